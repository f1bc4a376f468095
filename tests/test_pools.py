"""Pool inventory and static CIDRs over the offline Azure, through either client (``driver``): by count and by
prefix, overlap refused, usage reflects them, delete frees them, and the role a static CIDR needs is named."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

import pytest
from azure.mgmt.network import operations as network_operations
from azure.mgmt.network.aio import operations as aio_network_operations
from pytest_mock import MockerFixture

from crossipam.errors import AuthorizationError, AzureServiceError, InvalidInputError, NotFoundError
from crossipam.pools import IpamPool, StaticCidr, network_manager_parts, static_cidr_request
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.planning import IpamCall, PoolContributor


def pool_of(emu: AzureEmulator) -> str:
    assert emu.scenario is not None
    return emu.scenario.pool_id


async def test_get_pool_with_parent_children_family_and_usage(
    azure_emulator: AzureEmulator, ipam_call: IpamCall
) -> None:
    emu = azure_emulator
    info = emu.scenario
    assert info is not None
    child = emu.add_ipam_pool(
        info.network_manager_id, "pool-apps", ["10.0.128.0/20"], parent_pool_name="pool-eastus"
    )
    pool = await ipam_call(emu, "get_pool", info.pool_id)
    assert isinstance(pool, IpamPool)
    assert (pool.name, pool.ip_family, pool.parent_pool_id) == ("pool-eastus", "IPv4", None)
    assert pool.address_prefixes == [ipaddress.ip_network("10.0.0.0/16")]
    assert [str(c) for c in pool.child_pools] == [child]
    assert pool.usage is not None and pool.usage.number_of_available_ip_addresses == 65536 - 4096
    shown = pool.to_dict()
    assert shown["child_pools"] == [child] and shown["usage"]["total_number_of_ip_addresses"] == 65536

    emu.assign_role(
        emu.service_principal(info.app.client_id, info.management_tenant_id).object_id,  # type: ignore[union-attr]
        "IPAM Pool User",
        child,
    )
    pools = await ipam_call(emu, "list_pools", info.network_manager_id)
    assert [(p.name, p.ip_family) for p in pools] == [
        ("pool-apps", "IPv4"),
        ("pool-eastus", "IPv4"),
        ("pool-eastus-v6", "IPv6"),
    ]
    apps = pools[0]
    assert apps.parent_pool_id is not None and str(apps.parent_pool_id) == info.pool_id
    assert apps.usage is not None and apps.usage.total_number_of_ip_addresses == 4096


async def test_static_cidrs_by_count_and_prefix_usage_and_delete(
    azure_emulator: AzureEmulator, ipam_call: IpamCall, pool_contributor: PoolContributor
) -> None:
    emu = azure_emulator
    pool = pool_of(emu)
    pool_contributor(emu, pool)
    by_prefix = await ipam_call(
        emu, "create_static_cidr", pool, "on-premises", address_prefixes=["10.0.0.0/24"], description="HQ"
    )
    assert isinstance(by_prefix, StaticCidr)
    assert by_prefix.address_prefixes == [ipaddress.ip_network("10.0.0.0/24")]
    assert (by_prefix.number_of_ip_addresses, by_prefix.description) == (256, "HQ")
    by_count = await ipam_call(emu, "create_static_cidr", pool, "partner", number_of_ip_addresses=128)
    assert by_count.number_of_ip_addresses == 128 and by_count.number_of_ip_addresses_to_allocate == 128
    assert not any(p.overlaps(ipaddress.ip_network("10.0.0.0/24")) for p in by_count.address_prefixes)

    usage = await ipam_call(emu, "get_pool_usage", pool)
    assert usage.number_of_reserved_ip_addresses == 384
    assert usage.number_of_available_ip_addresses == 65536 - 384

    with pytest.raises(AzureServiceError) as overlap:
        await ipam_call(emu, "create_static_cidr", pool, "clash", address_prefixes=["10.0.0.128/25"])
    assert (overlap.value.status, overlap.value.code) == (400, "StaticCidrPrefixesOverlap")

    got = await ipam_call(emu, "get_static_cidr", pool, "on-premises")
    assert got == by_prefix and got.static_cidr_id == f"{pool}/staticCidrs/on-premises"
    assert sorted(c.name for c in await ipam_call(emu, "list_static_cidrs", pool)) == [
        "on-premises",
        "partner",
    ]

    assert await ipam_call(emu, "delete_static_cidr", pool, "on-premises") is None
    freed = await ipam_call(emu, "get_pool_usage", pool)
    assert freed.number_of_reserved_ip_addresses == 128
    assert freed.number_of_available_ip_addresses == 65536 - 128
    with pytest.raises(NotFoundError):
        await ipam_call(emu, "get_static_cidr", pool, "on-premises")
    assert await ipam_call(emu, "delete_static_cidr", pool, "on-premises") is None  # already gone: no error
    hq = ipaddress.ip_network("10.0.0.0/24")  # free again, for a VNet or another reservation
    assert any(hq.subnet_of(p) for p in freed.available_address_prefixes)


async def test_a_static_cidr_goes_through_the_sdk_operation(
    azure_emulator: AzureEmulator, ipam_call: IpamCall, driver: str, mocker: MockerFixture
) -> None:
    group = aio_network_operations if driver == "async" else network_operations
    create = mocker.spy(group.StaticCidrsOperations, "create")
    emu = azure_emulator
    await ipam_call(emu, "create_static_cidr", pool_of(emu), "spied", number_of_ip_addresses=16)
    assert create.call_count == 1
    body = create.call_args.args[5]
    assert body == b'{"properties": {"description": "", "numberOfIPAddressesToAllocate": "16"}}'
    [put] = emu.journal.entries(service="arm", method="PUT")
    assert put.path.endswith("/staticCidrs/spied") and put.api_version == "2026-03-01"


async def test_releasing_needs_more_than_ipam_pool_user_and_the_hint_says_so(
    azure_emulator: AzureEmulator, ipam_call: IpamCall
) -> None:
    emu = azure_emulator
    pool = pool_of(emu)
    await ipam_call(emu, "create_static_cidr", pool, "hq", address_prefixes=["10.0.0.0/24"])
    with pytest.raises(AuthorizationError) as denied:
        await ipam_call(emu, "delete_static_cidr", pool, "hq")
    err = denied.value
    assert err.code == "AuthorizationFailed" and err.status == 403
    assert err.tenant_id == emu.scenario.management_tenant_id  # type: ignore[union-attr]
    assert err.hint is not None
    assert "Microsoft.Network/networkManagers/ipamPools/staticCidrs/write" in err.hint
    assert "Network Contributor" in err.hint
    assert emu.pool_usage(pool)["numberOfReservedIPAddresses"] == "256"  # still reserved


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "exactly one"),
        ({"number_of_ip_addresses": 16, "address_prefixes": ["10.0.0.0/28"]}, "exactly one"),
        ({"number_of_ip_addresses": 0}, "positive integer"),
        ({"address_prefixes": ["10.0.0.1/24"]}, "not a CIDR prefix"),
        ({"address_prefixes": []}, "empty"),
        ({"address_prefixes": ["10.0.0.0/24", "fd00::/64"]}, "mixes IPv4 and IPv6"),
        ({"address_prefixes": ["10.0.0.0/24"], "colour": "red"}, "no option colour"),
    ],
)
def test_static_cidr_arguments_are_checked_before_any_request(
    options: dict[str, object], message: str
) -> None:
    pool = (
        "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Network"
        "/networkManagers/nm/ipamPools/p"
    )
    with pytest.raises(InvalidInputError, match=message):
        static_cidr_request(pool, "hq", options)
    with pytest.raises(InvalidInputError):
        static_cidr_request(pool, "bad/name", {"number_of_ip_addresses": 16})


def test_network_manager_ids_are_checked() -> None:
    nm = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm"
    assert network_manager_parts(nm) == ("00000000-0000-4000-8000-000000000001", "rg", "nm")
    with pytest.raises(InvalidInputError, match="not a network manager id"):
        network_manager_parts(nm + "/ipamPools/p")
