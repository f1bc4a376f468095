"""The offline Azure's per-pool used space (`crossipam.testing.ipam_space`), issue 13 item 5.

* `UsedSpace` answers exactly as `ipam.allocate`/`ipam.grow` do with all its blocks among the used prefixes —
  the same blocks, the same exceptions and messages — through any sequence of takes and releases, overlapping
  or mixed-family blocks included (hypothesis);
* `AllocationStore` keeps its books in line with what is stored, whichever ``dict`` method wrote it;
* a virtual network PUT through azure-mgmt-network does the same IPAM work (networks handed to the interval
  arithmetic, used runs looked at) in a pool of 400 VNets as in a pool of 10: its cost no longer grows with
  the pool (counted, not timed).
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_mock import MockerFixture

from crossipam.testing import AzureEmulator, ipam
from crossipam.testing.ipam import IPNetwork
from crossipam.testing.ipam_space import AllocationStore, UsedSpace

CONTAINERS = [ipaddress.ip_network("10.0.0.0/25"), ipaddress.ip_network("10.0.1.0/26")]


def _outcome(call: Any) -> Any:
    try:
        return call()
    except (ValueError, ipam.InsufficientAddressSpace) as exc:
        return (type(exc), str(exc))


_v4_blocks = st.builds(
    lambda start, bits: ipaddress.ip_network((start >> (32 - bits) << (32 - bits), bits)),
    st.integers(int(ipaddress.ip_address("10.0.0.0")), int(ipaddress.ip_address("10.0.1.255"))),
    st.integers(24, 32),
)
_step = st.one_of(
    st.tuples(st.just("take"), st.integers(1, 70)),  # allocate, and take what was allocated
    st.tuples(st.just("grow"), st.integers(0, 40)),  # grow a held allocation by this much (0: same again)
    st.tuples(st.just("release"), st.integers(0, 50)),  # release one held allocation
    st.tuples(st.just("raw"), _v4_blocks),  # take any block (may overlap: the slow path must answer)
    st.tuples(st.just("static"), _v4_blocks),  # another used prefix (a static CIDR) appears
    st.tuples(st.just("v6"), st.just(ipaddress.ip_network("fd00::/64"))),  # a block of the other family
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(_step, max_size=40))
def test_used_space_answers_as_the_pure_arithmetic_does(steps: list[tuple[str, Any]]) -> None:
    space = UsedSpace()
    held: list[list[IPNetwork]] = []
    others: list[IPNetwork] = []
    for kind, arg in steps:
        used = [*space, *others]
        if kind == "take":
            got = _outcome(lambda: space.allocate(arg, CONTAINERS, others))
            assert got == _outcome(lambda: ipam.allocate(arg, CONTAINERS, used))
            if isinstance(got, list):
                space.add(got)
                held.append(got)
        elif kind == "grow" and held:
            old = held[-1]
            count = ipam.address_count(old) + arg
            got = _outcome(lambda: space.grow(old, count, CONTAINERS, others))
            assert got == _outcome(lambda: ipam.grow(old, count, CONTAINERS, used))
            if isinstance(got, list):
                space.remove(old)
                space.add(got)
                held[-1] = got
        elif kind == "release" and held:
            space.remove(held.pop(arg % len(held)))
        elif kind in ("raw", "v6"):
            space.add([arg])
            held.append([arg])
        elif kind == "static":
            others.append(arg)
        assert sorted(map(str, space)) == sorted(str(b) for blocks in held for b in blocks)


def test_used_space_counts_what_the_pure_arithmetic_refuses() -> None:
    space = UsedSpace()
    space.add([ipaddress.ip_network("10.0.0.0/26")])
    full = [ipaddress.ip_network("10.0.0.0/25")]
    with pytest.raises(ipam.InsufficientAddressSpace) as mine:
        space.allocate(100, full, [])
    with pytest.raises(ipam.InsufficientAddressSpace) as theirs:
        ipam.allocate(100, full, [ipaddress.ip_network("10.0.0.0/26")])
    assert str(mine.value) == str(theirs.value)
    with pytest.raises(ipam.AllocationDecrease):
        space.grow([ipaddress.ip_network("10.0.0.0/26")], 32, full, [])
    with pytest.raises(ipam.InvalidAllocationCount):
        space.allocate(2**33, full, [])


class _Holder:
    def __init__(self, pool: str, *prefixes: str) -> None:
        self.blocks = [ipaddress.ip_network(p) for p in prefixes]
        self.pool = pool

    def allocations(self) -> list[tuple[str, list[IPNetwork]]]:
        return [(self.pool, self.blocks)]


def test_the_store_keeps_its_books_through_every_dict_write() -> None:
    store: AllocationStore[_Holder] = AllocationStore({"a": _Holder("P", "10.0.0.0/28")})
    store["b"] = _Holder("p", "10.0.0.16/28")
    store.update({"c": _Holder("P", "10.0.0.32/28")}, d=_Holder("Q", "10.9.0.0/28"))
    store.setdefault("e", _Holder("P", "10.0.0.48/28"))
    assert sorted(map(str, store.blocks_of("P"))) == [f"10.0.0.{n}/28" for n in (0, 16, 32, 48)]
    assert store.blocks_of("p", exclude="b") == [
        ipaddress.ip_network(p) for p in ("10.0.0.0/28", "10.0.0.32/28", "10.0.0.48/28")
    ]
    store["b"] = _Holder("Q", "10.9.0.16/28")  # moved to another pool
    del store["a"]
    assert store.pop("c").blocks == [ipaddress.ip_network("10.0.0.32/28")]
    assert store.pop("nothing", None) is None
    store |= {"f": _Holder("P", "10.0.0.64/28")}
    assert sorted(store.holders("P")) == ["e", "f"] and sorted(store.holders("Q")) == ["b", "d"]
    assert sorted(map(str, store.space("P"))) == ["10.0.0.48/28", "10.0.0.64/28"]
    assert store.space("P").allocate(16, [ipaddress.ip_network("10.0.0.0/24")], []) == [
        ipaddress.ip_network("10.0.0.0/28")
    ]
    store.popitem()
    store.clear()
    assert store.blocks_of("P") == [] and list(store.space("Q")) == []


# ---- a VNet PUT's work does not grow with the pool ------------------------------------------------------------


def _ipam_work(
    emu: AzureEmulator, mocker: MockerFixture, client: Any, name: str, count: int
) -> tuple[int, int]:
    """(networks handed to the interval arithmetic, used runs looked at) by one VNet PUT through the SDK."""
    info = emu.scenario
    assert info is not None
    scan = mocker.spy(ipam, "_scan")
    steps_before = emu.network.vnets.space(info.pool_id).steps
    allocation = {"numberOfIpAddresses": str(count), "pool": {"id": info.pool_id}}
    body = {
        "location": info.location,
        "properties": {"addressSpace": {"ipamPoolPrefixAllocations": [allocation]}},
    }
    vnet = client.virtual_networks.begin_create_or_update(info.resource_group, name, body).result()
    assert vnet.address_space.ipam_pool_prefix_allocations[0].number_of_ip_addresses == str(count)
    networks = sum(len(group) for call in scan.call_args_list for group in call.args)
    mocker.stop(scan)
    return networks, emu.network.vnets.space(info.pool_id).steps - steps_before


def test_a_vnet_put_does_the_same_ipam_work_in_a_pool_of_400_vnets_as_in_one_of_10(
    azure_emulator: AzureEmulator, network_client: Any, mocker: MockerFixture
) -> None:
    info = azure_emulator.scenario
    assert info is not None
    rg_id = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"
    client = network_client(azure_emulator)

    def fill_to(n: int) -> None:
        for i in range(len(azure_emulator.network.vnets), n):
            azure_emulator.network.add_virtual_network(
                rg_id, f"seeded-{i}", ipam_allocations=[(info.pool_id, 16)]
            )

    work: dict[int, list[tuple[int, int]]] = {}
    for size in (10, 400):
        fill_to(size)
        work[size] = [
            _ipam_work(azure_emulator, mocker, client, f"new-{size}", 100),  # a new allocation
            _ipam_work(azure_emulator, mocker, client, f"new-{size}", 100),  # the same PUT again
            _ipam_work(azure_emulator, mocker, client, f"new-{size}", 200),  # grown
        ]
    assert work[400] == work[10]
    assert all(networks < 20 and steps <= 8 for networks, steps in work[400]), work
    seeded = sum(
        name.startswith("seeded-") for name in (v.name for v in azure_emulator.network.vnets.values())
    )
    usage = azure_emulator.network.state.pool_usage(azure_emulator.network.pools[info.pool_id.lower()])
    assert (seeded, usage["numberOfAllocatedIPAddresses"]) == (399, str(16 * 399 + 200 + 200))


def test_pool_usage_and_associated_resources_follow_every_change_of_the_pools_books(
    azure_emulator: AzureEmulator,
) -> None:
    """Both answers are kept between calls: each write that changes what they read must show at once."""
    emu, info = azure_emulator, azure_emulator.scenario
    assert info is not None
    rg_id = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"
    pool = emu.network.pools[info.pool_id.lower()]

    def books() -> tuple[str, str, list[str]]:
        usage = emu.network.state.pool_usage(pool)
        entries = emu.network.state.associated_resources(pool)
        usage["numberOfAllocatedIPAddresses"] = "spoiled"  # callers may change what they were given
        for entry in entries:
            entry["addressPrefixes"].append("spoiled")
        return (
            emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"],
            emu.pool_usage(info.pool_id)["numberOfReservedIPAddresses"],
            [p for e in emu.network.state.associated_resources(pool) for p in e["addressPrefixes"]],
        )

    assert books() == ("0", "0", [])
    vnet_id = emu.network.add_virtual_network(rg_id, "vnet-a", ipam_allocations=[(info.pool_id, 256)])
    assert books() == ("256", "0", ["10.0.0.0/24"])
    emu.network.add_virtual_network(rg_id, "vnet-a", ipam_allocations=[(info.pool_id, 512)])  # grown
    assert books() == ("512", "0", ["10.0.0.0/23"])
    emu.add_static_cidr(info.pool_id, "reserved", ["10.0.8.0/24"])
    assert books() == ("512", "256", ["10.0.0.0/23"])
    with emu.lock:
        emu.network.vnets.pop(vnet_id.lower())
    assert books() == ("0", "256", [])
