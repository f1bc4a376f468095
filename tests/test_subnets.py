"""One subnet at a time (issue 12, items 5 and 6): ``begin_deploy_subnet`` and ``begin_remove_subnet_allocation`` of
both clients (each test runs through ``driver``: the sync client and its asyncio twin) over the real pipeline
against the offline Azure's Subnets routes, requests counted in its journal."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from azure.mgmt.network import operations as network_operations
from azure.mgmt.network.aio import operations as aio_network_operations
from pytest_mock import MockerFixture

from crossipam import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    OperationFailedError,
    OperationTimeoutError,
    SubnetResult,
    SubnetSpec,
)
from crossipam.cli import EXIT_OK, main
from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing._http import Request, Response

if TYPE_CHECKING:
    from .fixtures.clients import CloudOf, InfoOf
    from .fixtures.network_sdk import NetworkClient
    from .fixtures.subnets import SubnetCall, SubnetOf, SubnetVnet


def _nets(values: Any) -> list[Any]:
    return [ipaddress.ip_network(str(v)) for v in values]


def _alloc(pool_id: str, count: int) -> dict[str, Any]:
    return {"numberOfIpAddresses": str(count), "pool": {"id": pool_id}}


def _prefixes(subnet: dict[str, Any] | None) -> list[str]:
    assert subnet is not None
    sp = subnet["properties"]
    return list(sp.get("addressPrefixes") or [sp["addressPrefix"]])


def _arm(emu: AzureEmulator) -> list[tuple[str, str, int]]:
    """(method, what, status) of the ARM requests: what is ``vnet``, ``subnet:<name>`` or ``operation``."""
    out = []
    for e in emu.journal.entries(service="arm"):
        path = e.path.lower()
        if "/operations/" in path or "/operationresults/" in path:
            what = "operation"
        elif "/subnets/" in path:
            what = "subnet:" + path.rsplit("/", 1)[-1]
        else:
            what = "vnet"
        out.append((e.method, what, e.status))
    return out


def _their_subnet(net: Any, info: ScenarioInfo, name: str, count: int, *, wait: bool = True) -> None:
    """Another client (azure-mgmt-network as the app) PUTs subnet ``name`` of ``vnet-sub``; without ``wait`` it
    walks away with the operation in flight (no poller of its own: reads of the VNet are what advance it)."""
    body = {"properties": {"ipamPoolPrefixAllocations": [_alloc(info.pool_id, count)]}}
    poller = net.subnets.begin_create_or_update(info.resource_group, "vnet-sub", name, body, polling=wait)
    if wait:
        poller.result()


def _after_each(
    emu: AzureEmulator, monkeypatch: pytest.MonkeyPatch, after: Callable[[Request, Response], bool]
) -> None:
    """Call ``after(request, response)`` once each request has been answered, until it returns True (the requests
    it makes itself are not seen by it)."""
    original = emu.handle
    state = {"done": False}

    def handle(req: Request) -> Response:
        resp = original(req)
        if not state["done"]:
            state["done"] = True
            state["done"] = after(req, resp)
        return resp

    monkeypatch.setattr(emu, "handle", handle)


# ---- create, unchanged, grow, refused ----------------------------------------------------------------------


async def test_a_subnet_is_created_from_the_vnets_pool_and_the_others_are_untouched(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    subnet_of: SubnetOf,
    driver: str,
    mocker: MockerFixture,
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    vnet_id = subnet_vnet(emu, subnets={"web": 64})
    web_before = subnet_of(emu, vnet_id, "web")
    group = aio_network_operations if driver == "async" else network_operations
    sdk = mocker.spy(group.SubnetsOperations, "begin_create_or_update")
    wire = mocker.spy(emu, "handle")
    emu.journal.clear()

    result = await subnet_call(emu, "deploy_subnet", vnet_id, SubnetSpec("app", 64))

    assert isinstance(result, SubnetResult) and result.action == "created" and result.changed
    assert result.subnet_id == f"{vnet_id}/subnets/app" and result.provisioning_state == "Succeeded"
    (block,) = result.address_prefixes
    vnet = emu.virtual_network(vnet_id)
    assert vnet is not None
    space = _nets(vnet["properties"]["addressSpace"]["addressPrefixes"])
    assert block.num_addresses == 64 and any(block.subnet_of(s) for s in space)
    assert [str(a.pool_id).lower() for a in result.allocations] == [info.pool_id.lower()]
    assert _prefixes(subnet_of(emu, vnet_id, "app")) == [str(block)]
    assert _prefixes(subnet_of(emu, vnet_id, "web")) == _prefixes(web_before)
    assert result.to_dict()["address_prefixes"] == [str(block)]
    # one read of the VNet, one subnet PUT through the SDK's operation (If-None-Match: *, the aux token), no VNet PUT
    assert sdk.call_count == 1
    writes = emu.journal.writes()
    assert [(e.method, e.path.rsplit("/", 2)[-2:]) for e in writes] == [("PUT", ["subnets", "app"])]
    assert writes[0].aux_tenant_ids == (info.management_tenant_id,)
    assert _arm(emu)[0] == ("GET", "vnet", 200) and _arm(emu)[1] == ("PUT", "subnet:app", 201)
    (put,) = [c.args[0] for c in wire.call_args_list if c.args[0].method == "PUT"]
    assert put.header("if-none-match") == "*" and put.header("if-match") is None


async def test_the_same_subnet_again_is_one_read_and_no_write(
    azure_emulator: AzureEmulator, subnet_vnet: SubnetVnet, subnet_call: SubnetCall
) -> None:
    emu = azure_emulator
    vnet_id = subnet_vnet(emu, subnets={"app": 64})
    emu.journal.clear()
    result = await subnet_call(emu, "deploy_subnet", vnet_id, SubnetSpec("app", 64))
    assert result.action == "unchanged" and not result.changed and result.address_prefixes
    assert _arm(emu) == [("GET", "vnet", 200)]


async def test_a_grow_keeps_the_prefixes_and_sends_the_subnets_etag(
    azure_emulator: AzureEmulator,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    subnet_of: SubnetOf,
    mocker: MockerFixture,
) -> None:
    emu = azure_emulator
    vnet_id = subnet_vnet(emu, subnets={"app": 64, "web": 32})
    before, web = subnet_of(emu, vnet_id, "app"), subnet_of(emu, vnet_id, "web")
    assert before is not None
    wire = mocker.spy(emu, "handle")
    emu.journal.clear()

    result = await subnet_call(emu, "deploy_subnet", vnet_id, SubnetSpec("app", 128))

    assert result.action == "updated" and result.allocations[0].number_of_ip_addresses == 128
    assert sum(n.num_addresses for n in result.address_prefixes) == 128
    for old in _nets(_prefixes(before)):  # nothing renumbered: the old block is inside the grown space
        assert any(old.subnet_of(new) for new in result.address_prefixes)
    assert _prefixes(subnet_of(emu, vnet_id, "web")) == _prefixes(web)
    (put,) = [c.args[0] for c in wire.call_args_list if c.args[0].method == "PUT"]
    assert put.header("if-match") == before["etag"]
    assert [(m, w) for m, w, _ in _arm(emu) if m == "PUT"] == [("PUT", "subnet:app")]


async def test_a_dual_stack_subnet_takes_space_from_both_of_the_vnets_pools(
    azure_emulator: AzureEmulator, info_of: InfoOf, subnet_vnet: SubnetVnet, subnet_call: SubnetCall
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    vnet_id = subnet_vnet(emu, ipv6=2**66)
    spec = SubnetSpec("dual", 32, ipv6_number_of_ip_addresses=2**64)
    result = await subnet_call(emu, "deploy_subnet", vnet_id, spec, ipv6_pool_id=info.ipv6_pool_id)
    assert result.action == "created"
    assert {(str(a.pool_id).lower(), a.ip_version) for a in result.allocations} == {
        (info.pool_id.lower(), 4),
        (info.ipv6_pool_id.lower(), 6),
    }
    assert sorted(n.version for n in result.address_prefixes) == [4, 6]
    emu.journal.clear()
    again = await subnet_call(emu, "deploy_subnet", vnet_id, spec)  # the pools by default: the VNet's
    assert again.action == "unchanged" and not emu.journal.writes()


@pytest.mark.parametrize(
    ("seed", "spec", "kwargs", "error", "words"),
    [
        ({"subnets": {"app": 64}}, SubnetSpec("app", 32), {}, AllocationDecreaseError, "cannot be decreased"),
        ({}, SubnetSpec("app", 32), {"pool_id": "v6"}, AddressSpaceConflictError, "takes no space from pool"),
        ({"ipv6": 2**64}, SubnetSpec("app", 32), {"pool_id": "v6"}, AddressSpaceConflictError, "not IPv4"),
        ({}, SubnetSpec("app", 32, ipv6_number_of_ip_addresses=2**64), {}, AddressSpaceConflictError, "IPv6"),
        ({}, SubnetSpec("app", 4096), {}, AddressSpaceConflictError, "more than the VNet's 1024"),
        (
            {"static": True},
            SubnetSpec("legacy", 32),
            {},
            AddressSpaceConflictError,
            "static address prefixes",
        ),
    ],
    ids=[
        "shrink",
        "not-the-vnets-pool",
        "wrong-family",
        "no-ipv6-allocation",
        "more-than-the-vnet",
        "static",
    ],
)
async def test_refused_before_any_write(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    seed: dict[str, Any],
    spec: SubnetSpec,
    kwargs: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    if seed.pop("static", False):
        vnet = emu.virtual_network(subnet_vnet(emu))
        assert vnet is not None
        first = str(_nets(vnet["properties"]["addressSpace"]["addressPrefixes"])[0]).split("/")[0]
        seed["subnets"] = [{"name": "legacy", "properties": {"addressPrefix": f"{first}/28"}}]
    vnet_id = subnet_vnet(emu, **seed)
    if kwargs.get("pool_id") == "v6":
        kwargs = {"pool_id": info.ipv6_pool_id}
    emu.journal.clear()
    with pytest.raises(error) as caught:
        await subnet_call(emu, "deploy_subnet", vnet_id, spec, **kwargs)
    assert words in str(caught.value) and caught.value.hint  # type: ignore[attr-defined]
    assert not emu.journal.writes()
    assert _arm(emu) == [("GET", "vnet", 200)]


@pytest.mark.parametrize(
    ("op", "args", "kwargs"),
    [
        ("deploy_subnet", ("not-an-id", SubnetSpec("app", 8)), {}),
        ("deploy_subnet", ("VNET", "app"), {}),
        ("deploy_subnet", ("VNET", SubnetSpec("app", 8)), {"pool_id": "/subscriptions/x/pools"}),
        ("deploy_subnet", ("VNET", SubnetSpec("app", 8)), {"ipv6_pool_id": "POOL"}),
        ("remove_subnet_allocation", ("VNET", "bad name!"), {}),
        ("remove_subnet_allocation", ("/subscriptions/x", "app"), {}),
    ],
    ids=["vnet-id", "not-a-spec", "pool-id", "ipv6-pool-without-ipv6", "subnet-name", "remove-vnet-id"],
)
async def test_bad_input_is_refused_before_any_request(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    subnet_call: SubnetCall,
    op: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    values = {"VNET": info.vnet_id("vnet-sub"), "POOL": info.ipv6_pool_id}
    args = tuple(values.get(a, a) if isinstance(a, str) else a for a in args)
    kwargs = {k: values.get(v, v) for k, v in kwargs.items()}
    emu.journal.clear()
    with pytest.raises(InvalidInputError):
        await subnet_call(emu, op, *args, **kwargs)
    assert len(emu.journal) == 0


async def test_a_missing_vnet_is_not_found_and_nothing_is_written(
    azure_emulator: AzureEmulator, info_of: InfoOf, subnet_call: SubnetCall
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    emu.journal.clear()
    with pytest.raises(NotFoundError):
        await subnet_call(emu, "deploy_subnet", info.vnet_id("vnet-none"), SubnetSpec("app", 8))
    assert not emu.journal.writes()


# ---- removal -----------------------------------------------------------------------------------------------


async def test_removal_keeps_the_prefixes_as_static_ones(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    subnet_of: SubnetOf,
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    vnet_id = subnet_vnet(emu, subnets={"app": 64, "web": 32})
    app, web = subnet_of(emu, vnet_id, "app"), subnet_of(emu, vnet_id, "web")
    usage = emu.pool_usage(info.pool_id)
    emu.journal.clear()

    result = await subnet_call(emu, "remove_subnet_allocation", vnet_id, "app")

    assert result.action == "removed" and result.allocations == []
    assert [str(n) for n in result.address_prefixes] == _prefixes(app)
    stored = subnet_of(emu, vnet_id, "app")
    assert stored is not None and not stored["properties"].get("ipamPoolPrefixAllocations")
    assert stored["properties"]["addressPrefixes"] == _prefixes(app)
    assert subnet_of(emu, vnet_id, "web") is not None and _prefixes(
        subnet_of(emu, vnet_id, "web")
    ) == _prefixes(web)
    assert emu.pool_usage(info.pool_id) == usage  # a subnet's space is the VNet's: the pool is unchanged
    assert [(m, w) for m, w, _ in _arm(emu) if m != "GET"] == [("PUT", "subnet:app")]

    emu.journal.clear()
    again = await subnet_call(emu, "remove_subnet_allocation", vnet_id, "app")
    assert again.action == "no_allocation" and again.address_prefixes == result.address_prefixes
    assert _arm(emu) == [("GET", "vnet", 200)]


async def test_removing_a_missing_subnet_is_not_found(
    azure_emulator: AzureEmulator, subnet_vnet: SubnetVnet, subnet_call: SubnetCall
) -> None:
    emu = azure_emulator
    vnet_id = subnet_vnet(emu, subnets={"web": 32})
    emu.journal.clear()
    with pytest.raises(NotFoundError) as caught:
        await subnet_call(emu, "remove_subnet_allocation", vnet_id, "app")
    assert "subnet 'app'" in str(caught.value) and not emu.journal.writes()


# ---- another writer at the same moment ----------------------------------------------------------------------


#: how the other writer's change meets crossipam's PUT -> the refusal crossipam retries
OTHER_WRITER = {
    "done": 412,  # their operation ended: the ETag moved (If-Match)
    "in-flight": 409,  # their operation still runs: AnotherOperationInProgress
    "in-flight-retryable": 429,  # the same, as Settings.subnet_write_during_operation="retryable"
}


@pytest.mark.parametrize("other", list(OTHER_WRITER))
@pytest.mark.parametrize("op", ["deploy", "remove"])
async def test_another_writer_changing_another_subnet_between_get_and_put_keeps_both(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    subnet_of: SubnetOf,
    network_client: NetworkClient,
    monkeypatch: pytest.MonkeyPatch,
    other: str,
    op: str,
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    vnet_id = subnet_vnet(emu, subnets={"app": 64, "web": 32})
    app_before = subnet_of(emu, vnet_id, "app")
    net = network_client(emu)
    other_waits = other == "done"
    options: dict[str, Any] = {}
    if other == "in-flight-retryable":
        emu.settings.subnet_write_during_operation = "retryable"
        # azure-core does not retry the 429 itself (it would sleep Retry-After): crossipam's flow reads again
        options["retry_total"] = 0
    if not other_waits:
        emu.settings.lro_polls = 2

    def after(req: Request, _resp: Response) -> bool:
        if req.method != "GET" or not req.path.lower().endswith("/virtualnetworks/vnet-sub"):
            return False
        # another client adds a subnet and grows "web" (its own subnet PUTs), between crossipam's GET and PUT
        _their_subnet(net, info, "theirs", 16, wait=other_waits)
        if other_waits:
            _their_subnet(net, info, "web", 64)
        return True

    _after_each(emu, monkeypatch, after)
    emu.journal.clear()
    if op == "deploy":
        result = await subnet_call(
            emu, "deploy_subnet", vnet_id, SubnetSpec("app", 128), client_options=options
        )
        assert result.action == "updated" and result.allocations[0].number_of_ip_addresses == 128
    else:
        result = await subnet_call(emu, "remove_subnet_allocation", vnet_id, "app", client_options=options)
        assert result.action == "removed" and [str(n) for n in result.address_prefixes] == _prefixes(
            app_before
        )

    # both changes survive: theirs (and their grown "web") and crossipam's
    assert subnet_of(emu, vnet_id, "theirs") is not None
    if other_waits:
        web = subnet_of(emu, vnet_id, "web")
        assert (
            web is not None
            and web["properties"]["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] == "64"
        )
    app = subnet_of(emu, vnet_id, "app")
    assert app is not None
    if op == "deploy":
        assert app["properties"]["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] == "128"
    else:
        assert app["properties"]["addressPrefixes"] == _prefixes(app_before)
    mine = [s for m, w, s in _arm(emu) if m == "PUT" and w == "subnet:app"]
    assert mine[-1] in (200, 201) and OTHER_WRITER[other] in mine, mine
    assert not [w for m, w, _ in _arm(emu) if m == "PUT" and w == "vnet"]  # never the whole VNet


async def test_the_conflict_budget_is_the_clients(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    subnet_of: SubnetOf,
    network_client: NetworkClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    vnet_id = subnet_vnet(emu, subnets={"app": 64})
    other = network_client(emu)
    emu.journal.clear()

    def after(req: Request, _resp: Response) -> bool:
        if req.method == "GET" and req.path.lower().endswith("/virtualnetworks/vnet-sub"):
            _their_subnet(other, info, "theirs", 16)
            return True
        return False

    _after_each(emu, monkeypatch, after)
    with pytest.raises(ConflictError) as caught:
        await subnet_call(
            emu, "deploy_subnet", vnet_id, SubnetSpec("app", 128), client_options={"conflict_retries": 0}
        )
    # no retry left: the one PUT met 412, the subnet is as it was, theirs is kept
    assert caught.value.status == 412 and caught.value.hint
    assert [(m, w, st) for m, w, st in _arm(emu) if m == "PUT"] == [
        ("PUT", "subnet:theirs", 201),
        ("PUT", "subnet:app", 412),
    ]
    app = subnet_of(emu, vnet_id, "app")
    assert (
        app is not None and app["properties"]["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] == "64"
    )
    assert subnet_of(emu, vnet_id, "theirs") is not None


# ---- operations that take time or fail -----------------------------------------------------------------------


async def test_a_subnet_still_updating_after_the_operation_is_read_until_it_is_not(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    network_client: NetworkClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another client starts an operation on the same subnet right after crossipam's ended: the LRO's final read
    shows ``Updating``, which is never reported — the subnet is read (``subnets.get``) until it is not."""
    emu, info = azure_emulator, info_of(azure_emulator)
    vnet_id = subnet_vnet(emu, subnets={"app": 64})
    emu.settings.lro_polls = 2
    other = network_client(emu)

    def after(req: Request, resp: Response) -> bool:
        if "/operations/" in req.path.lower() and b"Succeeded" in resp.body:
            _their_subnet(other, info, "app", 256, wait=False)
            return True
        return False

    _after_each(emu, monkeypatch, after)
    emu.journal.clear()
    result = await subnet_call(emu, "deploy_subnet", vnet_id, SubnetSpec("app", 128))
    assert result.action == "updated" and result.provisioning_state == "Succeeded"
    assert result.allocations[0].number_of_ip_addresses == 256  # what the subnet holds once everything ended
    reads = [st for m, w, st in _arm(emu) if m == "GET" and w == "subnet:app"]
    assert len(reads) >= 2, _arm(emu)


async def test_a_slow_operation_is_reported_once_it_ended(
    azure_emulator: AzureEmulator, subnet_vnet: SubnetVnet, subnet_call: SubnetCall
) -> None:
    emu = azure_emulator
    vnet_id = subnet_vnet(emu, subnets={"web": 32})
    emu.settings.lro_polls = 2
    emu.journal.clear()
    result = await subnet_call(emu, "deploy_subnet", vnet_id, SubnetSpec("app", 64))
    assert result.action == "created" and result.provisioning_state == "Succeeded"
    assert [w for _, w, _ in _arm(emu)].count("operation") >= 2
    assert (emu.virtual_network(vnet_id) or {})["properties"]["provisioningState"] == "Succeeded"


@pytest.mark.parametrize("failed_write", ["rollback", "failed"])
@pytest.mark.parametrize("op", ["deploy", "remove"])
async def test_a_failed_operation_is_an_error_never_a_result(
    azure_emulator: AzureEmulator,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    subnet_of: SubnetOf,
    failed_write: str,
    op: str,
) -> None:
    emu = azure_emulator
    vnet_id = subnet_vnet(emu, subnets={"app": 64})
    before = subnet_of(emu, vnet_id, "app")
    emu.settings.lro_polls = 2
    emu.settings.failed_write = failed_write  # type: ignore[assignment]
    emu.network.fail_next_operation("InternalServerError", "boom", resource_type="virtualNetworks")
    with pytest.raises(OperationFailedError) as caught:
        if op == "deploy":
            await subnet_call(emu, "deploy_subnet", vnet_id, SubnetSpec("app", 128))
        else:
            await subnet_call(emu, "remove_subnet_allocation", vnet_id, "app")
    assert caught.value.hint
    after = subnet_of(emu, vnet_id, "app")
    assert after is not None
    if failed_write == "rollback":
        assert before is not None and after["properties"] == before["properties"]
    else:
        assert after["properties"]["provisioningState"] == "Failed"


async def test_a_vnet_busy_past_operation_timeout_is_an_error_and_nothing_is_written(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    subnet_vnet: SubnetVnet,
    subnet_call: SubnetCall,
    network_client: NetworkClient,
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    vnet_id = subnet_vnet(emu, subnets={"app": 64})
    emu.settings.lro_polls = 1000
    _their_subnet(network_client(emu), info, "theirs", 16, wait=False)
    emu.journal.clear()
    with pytest.raises(OperationTimeoutError) as caught:
        await subnet_call(
            emu, "deploy_subnet", vnet_id, SubnetSpec("app", 128), client_options={"operation_timeout": 0}
        )
    assert caught.value.provisioning_state == "Updating"
    assert not emu.journal.writes()


# ---- the docs' example -----------------------------------------------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "subnets.md"


def test_the_example_of_the_subnets_page_runs(
    azure_emulator: AzureEmulator, info_of: InfoOf, cloud_of: CloudOf, capsys: pytest.CaptureFixture[str]
) -> None:
    emu, info = azure_emulator, info_of(azure_emulator)
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    namespace: dict[str, Any] = {"info": info, "cloud": cloud_of(info), "transport": emu.transport()}
    exec(compile(block, DOC.name, "exec"), namespace)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["created", "updated", "unchanged", "refused:", "removed"]
    assert lines[1:] == ["updated 128", "unchanged", "refused: 128 -> 32", "removed True True"]
    subnets = (emu.virtual_network(info.vnet_id("vnet-shared")) or {})["properties"]["subnets"]
    assert sorted(s["name"] for s in subnets) == ["app", "web"]


# ---- the command line --------------------------------------------------------------------------------------------


def test_the_cli_deploys_grows_refuses_and_removes_one_subnet(
    azure_emulator_https: AzureEmulator,
    info_of: InfoOf,
    subnet_vnet: SubnetVnet,
    subnet_of: SubnetOf,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu, info = azure_emulator_https, info_of(azure_emulator_https)
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", info.app.client_secret)
    assert info.ca_bundle
    app = [
        "--client-id", info.app.client_id, "--tenant", info.managed_tenant_id,
        "--management-tenant", info.management_tenant_id, "--authority", info.authority,
        "--arm-endpoint", info.arm_endpoint, "--graph-endpoint", info.graph_endpoint, "--ca-bundle", info.ca_bundle,
    ]  # fmt: skip
    vnet_id = subnet_vnet(emu, subnets={"web": 32})
    web = subnet_of(emu, vnet_id, "web")

    def cli(*argv: str) -> tuple[int, str]:
        code = main([*argv, *app])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, out = cli("subnet", "deploy", vnet_id, "app", "--addresses", "64", "--output", "json")
    created = json.loads(out)
    assert code == EXIT_OK and created["action"] == "created" and created["name"] == "app"
    code, out = cli("subnet", "deploy", vnet_id, "app", "--addresses", "128")
    assert code == EXIT_OK and "updated" in out and "128 from " + info.pool_id in out
    code, out = cli("subnet", "deploy", vnet_id, "app", "--addresses", "16")
    assert code != EXIT_OK and "cannot be decreased" in out  # refused, with the reason
    code, out = cli("subnet", "remove", vnet_id, "app", "--output", "json")
    removed = json.loads(out)
    assert code == EXIT_OK and removed["action"] == "removed" and removed["allocations"] == []
    assert _prefixes(subnet_of(emu, vnet_id, "web")) == _prefixes(web)
