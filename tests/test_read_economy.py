"""Reads are ARM's scarcest budget at bulk rates (250 per principal, 25 per second refill): a new VNet costs at
most 3 reads alone (the GET that decides create or update, one status poll, the final GET) and at most 2 in bulk
(one poll, the final GET: the resource group is listed once instead of a GET per VNet). Counted with the journal,
against an offline Azure that times its operations like Azure (``Retry-After: 10``, a 4 s operation)."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import Mock

import pytest

from crossipam import DeploymentSpec
from crossipam.testing import AzureEmulator, Request, ScenarioInfo, real_world_lro_timing
from crossipam.testing.scenarios import add_managed_subscriptions

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, MakeAsyncClient, MakeClient, SpyVnetPuts
    from .fixtures.onboarding import FakeSleep

VNET = re.compile(r"/virtualNetworks/[^/]+$", re.IGNORECASE)
OPERATION = re.compile(r"/operations/", re.IGNORECASE)
LIST = re.compile(r"/virtualNetworks$", re.IGNORECASE)


def _reads(emu: AzureEmulator) -> dict[str, int]:
    """The ARM reads an offline Azure answered, by kind: GETs of a VNet, status polls, lists of VNets."""
    gets = emu.journal.entries(service="arm", method="GET")
    return {
        "vnet": sum(1 for e in gets if VNET.search(e.path)),
        "poll": sum(1 for e in gets if OPERATION.search(e.path)),
        "list": sum(1 for e in gets if LIST.search(e.path)),
        "all": len(gets),
    }


@pytest.fixture
def timed(azure_emulator: AzureEmulator) -> AzureEmulator:
    """The onboarded offline Azure, timing its operations like Azure."""
    azure_emulator.settings = real_world_lro_timing(azure_emulator.settings)
    return azure_emulator


@pytest.fixture
def no_wall_clock(timed: AzureEmulator, fake_sleep: FakeSleep, monkeypatch: pytest.MonkeyPatch) -> Mock:
    """``time.sleep`` — crossipam's and azure-core's pollers' — advances the offline Azure's clock instead."""
    sleep = fake_sleep(timed)
    monkeypatch.setattr(time, "sleep", sleep)
    return sleep


def _spec(info: ScenarioInfo, name: str, rg: str | None = None) -> DeploymentSpec:
    vnet = info.vnet_id(name)
    if rg is not None:
        vnet = vnet.replace(f"/resourceGroups/{info.resource_group}/", f"/resourceGroups/{rg}/")
    return DeploymentSpec(vnet, info.location, info.pool_id, 16)


def test_a_new_vnet_alone_costs_three_reads(
    timed: AzureEmulator, no_wall_clock: Mock, info_of: InfoOf, make_client: MakeClient
) -> None:
    info = info_of(timed)
    timed.journal.clear()
    with make_client(timed, polling_interval=30) as client:
        spec = _spec(info, "vnet-alone")
        result = client.begin_deploy_virtual_network(spec.vnet_id, **spec.deploy_kwargs()).result()
    assert result.action == "created" and result.provisioning_state == "Succeeded"
    reads = _reads(timed)
    assert reads == {"vnet": 2, "poll": 1, "list": 0, "all": 3}  # GET (404), one poll, the final GET
    # the poller waited the PUT's Retry-After before its first poll (azure-core alone would poll at once)
    assert no_wall_clock.call_args_list[0].args == (10.0,)
    assert [e.status for e in timed.journal.entries(method="PUT")] == [201]


async def test_a_new_vnet_alone_costs_three_reads_with_asyncio(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    # a 1 s Retry-After (wall clock: the asyncio pollers await asyncio.sleep) and a 0.5 s operation
    emu = azure_emulator
    emu.settings.lro_retry_after, emu.settings.lro_duration = 1, 0.5
    info = info_of(emu)
    emu.journal.clear()
    async with make_async_client(emu, polling_interval=30) as client:
        spec = _spec(info, "vnet-alone-async")
        poller = await client.begin_deploy_virtual_network(spec.vnet_id, **spec.deploy_kwargs())
        result = await poller.result()
    assert result.action == "created"
    assert _reads(emu) == {"vnet": 2, "poll": 1, "list": 0, "all": 3}


def _two_groups(emu: AzureEmulator, info: ScenarioInfo, per_group: int) -> list[DeploymentSpec]:
    emu.add_resource_group(info.managed_subscription_id, "rg-spoke-more", info.location)
    app = emu.service_principal(info.app.client_id, info.managed_tenant_id)
    assert app is not None
    emu.assign_role(
        app.object_id,
        "Network Contributor",
        f"/subscriptions/{info.managed_subscription_id}/resourceGroups/rg-spoke-more",
    )
    return [
        _spec(info, f"vnet-{rg[-4:]}-{i}", rg)
        for rg in (info.resource_group, "rg-spoke-more")
        for i in range(per_group)
    ]


def test_a_new_vnet_in_bulk_costs_two_reads_and_each_resource_group_is_listed_once(
    timed: AzureEmulator,
    no_wall_clock: Mock,
    info_of: InfoOf,
    make_client: MakeClient,
    spy_vnet_puts: SpyVnetPuts,
) -> None:
    info = info_of(timed)
    specs = _two_groups(timed, info, 6)
    _, wire = spy_vnet_puts(timed)
    timed.journal.clear()
    with make_client(timed, polling_interval=30) as client:
        results = client.deploy_many(specs, max_concurrency=4)
    assert all(r.ok for r in results) and {r.deployment.action for r in results if r.deployment} == {
        "created"
    }
    reads = _reads(timed)
    assert reads["list"] == 2  # one per resource group
    assert reads["vnet"] + reads["poll"] <= 2 * len(specs)  # one poll and the final GET per VNet
    assert reads["vnet"] == len(specs)  # only the final GETs: no GET before the write
    # the list counts as the read: every PUT of a VNet the list did not show carries If-None-Match: *
    puts = [call.args[0] for call in wire.call_args_list if call.args[0].method == "PUT"]
    assert len(puts) == len(specs) and all(p.header("if-none-match") == "*" for p in puts)


@pytest.mark.parametrize("operation", ["deploy_many", "remove_many"])
async def test_a_vnet_in_bulk_costs_two_reads_with_asyncio(
    operation: str, azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    emu = azure_emulator
    emu.settings.lro_retry_after, emu.settings.lro_duration = 1, 0.5
    info = info_of(emu)
    # deploy_many: new VNets; remove_many: VNets with an allocation (their ids)
    specs: list[Any] = (
        _two_groups(emu, info, 4) if operation == "deploy_many" else _with_allocations(emu, info, 4)
    )
    emu.journal.clear()
    async with make_async_client(emu, polling_interval=30) as client:
        results = await getattr(client, operation)(specs, max_concurrency=8)
    assert all(r.ok for r in results)
    expected = "created" if operation == "deploy_many" else "removed"
    assert all(r.deployment and r.deployment.action == expected for r in results)
    reads = _reads(emu)
    assert reads["list"] == 2 and reads["vnet"] == len(specs) and reads["poll"] <= len(specs)


def test_a_listed_vnet_is_grown_with_the_listed_etag_and_a_stale_list_is_never_written_over(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    make_client: MakeClient,
    spy_vnet_puts: SpyVnetPuts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    rg_id = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"
    emu.network.add_virtual_network(rg_id, "vnet-listed", ipam_allocations=[(info.pool_id, 16)])
    listed_etag = emu.virtual_network(info.vnet_id("vnet-listed"))["etag"]  # type: ignore[index]
    grow = DeploymentSpec(info.vnet_id("vnet-listed"), info.location, info.pool_id, 32)
    # someone else creates vnet-late after crossipam listed the group, before crossipam's PUT reaches ARM
    original = emu.handle

    def handle(req: Request) -> Any:
        if (
            req.method == "PUT"
            and req.path.lower().endswith("/vnet-late")
            and not emu.virtual_network(info.vnet_id("vnet-late"))
        ):
            emu.network.add_virtual_network(rg_id, "vnet-late", ipam_allocations=[(info.pool_id, 64)])
        return original(req)

    monkeypatch.setattr(emu, "handle", handle)
    _, wire = spy_vnet_puts(emu)
    late = DeploymentSpec(info.vnet_id("vnet-late"), info.location, info.pool_id, 64)
    emu.journal.clear()
    now = [0.0]  # the bulk layer's clock and sleep: waits pass at once

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with make_client(emu) as client:
        grown, created = client.deploy_many(
            [grow, late], max_concurrency=1, sleep=sleep, clock=lambda: now[0]
        )
    puts = [call.args[0] for call in wire.call_args_list if call.args[0].method == "PUT"]
    # the listed VNet: no GET before its PUT, which carries the listed ETag
    assert grown.ok and grown.deployment is not None and grown.deployment.action == "updated"
    assert puts[0].header("if-match") == listed_etag
    assert len(emu.journal.entries(method="GET", path="/virtualNetworks/vnet-listed$")) == 1  # the final GET
    # the VNet the list did not show: If-None-Match: * met someone else's VNet (412), so it was read and
    # planned again — the other's VNet (64 addresses) is kept as it is, nothing is written over
    assert puts[1].header("if-none-match") == "*"
    assert [e.status for e in emu.journal.entries(method="PUT", path="/vnet-late")] == [412]
    assert created.ok and created.deployment is not None and created.deployment.action == "unchanged"
    assert created.attempts == 2
    late_gets = emu.journal.entries(method="GET", path="/virtualNetworks/vnet-late$")
    assert len(late_gets) == 1  # the retry read it (a list is handed out once)


def _with_allocations(emu: AzureEmulator, info: ScenarioInfo, per_group: int) -> list[str]:
    """``per_group`` VNets with an allocation in each of two resource groups; their ids."""
    specs = _two_groups(emu, info, per_group)
    for spec in specs:
        vnet = str(spec.vnet_id)
        rg_id, name = vnet.split("/providers/")[0], vnet.rsplit("/", 1)[1]
        emu.network.add_virtual_network(rg_id, name, ipam_allocations=[(info.pool_id, 16)])
    return [str(spec.vnet_id) for spec in specs]


def test_a_removal_in_bulk_costs_two_reads_and_carries_the_listed_etag(
    timed: AzureEmulator,
    no_wall_clock: Mock,
    info_of: InfoOf,
    make_client: MakeClient,
    spy_vnet_puts: SpyVnetPuts,
) -> None:
    info = info_of(timed)
    ids = _with_allocations(timed, info, 5)
    listed_etags = {vnet.lower(): timed.virtual_network(vnet)["etag"] for vnet in ids}  # type: ignore[index]
    _, wire = spy_vnet_puts(timed)
    timed.journal.clear()
    with make_client(timed, polling_interval=30) as client:
        results = client.remove_many(ids, max_concurrency=4)
    assert [r.deployment.action for r in results if r.deployment] == ["removed"] * len(ids)
    reads = _reads(timed)
    assert reads["list"] == 2  # one per resource group
    assert reads["vnet"] == len(ids)  # only the final GETs: no GET before the write
    assert reads["vnet"] + reads["poll"] <= 2 * len(ids)
    # never written over unread: each PUT carries the ETag the list showed
    puts = [call.args[0] for call in wire.call_args_list if call.args[0].method == "PUT"]
    assert len(puts) == len(ids)
    assert {p.path.split("?")[0].lower(): p.header("if-match") for p in puts} == {
        vnet.lower(): etag for vnet, etag in listed_etags.items()
    }
    assert all(
        not timed.virtual_network(vnet)["properties"]["addressSpace"].get("ipamPoolPrefixAllocations")  # type: ignore[index]
        for vnet in ids
    )


def test_a_removal_in_bulk_never_writes_over_a_vnet_changed_since_the_list(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    ids = [*_with_allocations(emu, info, 1)[:1], info.vnet_id("vnet-gone")]
    rg_id = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"
    emu.network.add_virtual_network(rg_id, "vnet-other", ipam_allocations=[(info.pool_id, 16)])
    ids.append(info.vnet_id("vnet-other"))  # a second VNet of the group, so that the group is listed
    changed = ids[0]
    original = emu.handle

    def handle(req: Request) -> Any:
        # someone else writes the VNet after crossipam listed the group, before crossipam's PUT reaches ARM
        vnet = emu.network.vnets[changed.lower()]
        if req.method == "PUT" and req.path.lower().startswith(changed.lower()) and "tags" not in vnet.body:
            vnet.body["tags"] = {"owner": "someone else"}
            vnet.body["etag"] = 'W/"changed-by-someone-else"'
        return original(req)

    monkeypatch.setattr(emu, "handle", handle)
    emu.journal.clear()
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with make_client(emu) as client:
        first, gone, other = client.remove_many(ids, max_concurrency=1, sleep=sleep, clock=lambda: now[0])
    # the listed ETag no longer matched (412): read again, and the other's change is kept
    assert [e.status for e in emu.journal.entries(method="PUT", path=f"{changed.rsplit('/', 1)[1]}$")] == [
        412,
        200,
    ]
    assert first.ok and first.deployment is not None and first.deployment.action == "removed"
    assert emu.virtual_network(changed)["tags"] == {"owner": "someone else"}  # type: ignore[index]
    # a VNet the list did not show is read (and reported missing from that read), not taken as absent
    assert not gone.ok and type(gone.error).__name__ == "NotFoundError"
    assert len(emu.journal.entries(method="GET", path="/virtualNetworks/vnet-gone$")) == 1
    assert other.ok


def test_bulk_over_seeded_subscriptions_lists_each_once(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    extra = add_managed_subscriptions(emu, info, 2)
    targets = [(info.managed_subscription_id, info.pool_id)] + [
        (s["subscription_id"], s["pool_id"]) for s in extra
    ]
    specs = [
        DeploymentSpec(
            info.vnet_id(f"vnet-{k}-{i}").replace(info.managed_subscription_id, subscription),
            info.location,
            pool,
            16,
        )
        for k, (subscription, pool) in enumerate(targets)
        for i in range(3)
    ]
    emu.journal.clear()
    with make_client(emu) as client:
        results = client.deploy_many(specs, max_concurrency=4)
    assert all(r.ok for r in results)
    assert _reads(emu)["list"] == 3  # one per subscription's resource group
    for subscription, pool in targets:  # each subscription's VNets took from its own pool
        usage = emu.network.pool_usage(pool)
        assert usage["allocatedAddressPrefixes"], subscription
        assert sum(1 for s in specs if s.pool_id == pool) == 3
