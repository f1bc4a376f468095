"""Plans over the offline Azure, through either client (``driver``): every action and refusal, no write while
planning (the journal), and an apply that decides again and never writes blind."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

import pytest

from crossipam import DeploymentSpec, SubnetSpec
from crossipam.errors import (
    AllocationDecreaseError,
    DeploymentRefusedError,
    InvalidInputError,
    NotFoundError,
    PoolExhaustedError,
)
from crossipam.planning import decide, take_from
from crossipam.plans import Plan, PlanChangedError, PlannedItemResult, VnetPlan
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.onboarding import FakeAsyncSleep, FakeSleep
    from .fixtures.planning import FragmentedPool, IpamCall


def spec(
    emu: AzureEmulator, name: str, count: int, *subnets: SubnetSpec, pool: str | None = None
) -> DeploymentSpec:
    info = emu.scenario
    assert info is not None
    return DeploymentSpec(info.vnet_id(name), "eastus", pool or info.pool_id, count, subnets=subnets)


def arm_writes(emu: AzureEmulator) -> list[tuple[str, str]]:
    return [(e.method, e.path) for e in emu.journal.writes() if e.service == "arm"]


async def plan_without_writing(
    emu: AzureEmulator, ipam_call: IpamCall, method: str, *args: object
) -> VnetPlan:
    before = len(emu.journal.writes())
    plan = await ipam_call(emu, method, *args)
    assert len(emu.journal.writes()) == before, "a plan wrote"
    assert isinstance(plan, VnetPlan)
    return plan


async def test_create_plan_names_the_requests_and_writes_nothing(
    azure_emulator: AzureEmulator, ipam_call: IpamCall
) -> None:
    emu = azure_emulator
    wanted = spec(emu, "v-new", 256, SubnetSpec("app", 64))
    plan = await plan_without_writing(emu, ipam_call, "plan_deployment", wanted)
    assert plan.action == "create" and plan.changed and plan.reason is None
    assert plan.current == () and [(a.pool_id.name, a.number_of_ip_addresses) for a in plan.target] == [
        ("pool-eastus", 256)
    ]
    assert [(s.name, s.change) for s in plan.subnets] == [("app", "create")]
    assert [(r.method, r.api_version) for r in plan.requests] == [
        ("GET", "2026-03-01"),
        ("POST", "2026-03-01"),
        ("PUT", "2026-03-01"),
    ]
    assert plan.requests[0].url.endswith("/virtualNetworks/v-new?api-version=2026-03-01")
    assert plan.requests[1].url.endswith("/ipamPools/pool-eastus/getPoolUsage?api-version=2026-03-01")
    assert plan.to_dict()["requests"][2]["purpose"].startswith("create the VNet")
    assert emu.virtual_network(str(wanted.vnet_id)) is None
    # what the plan read: the VNet (404) and the pool's usage, nothing else
    assert [(e.method, e.status) for e in emu.journal.entries(service="arm")] == [("GET", 404), ("POST", 200)]


async def test_grow_add_subnets_unchanged_and_shrink(
    azure_emulator: AzureEmulator, ipam_call: IpamCall
) -> None:
    emu = azure_emulator
    first = spec(emu, "v1", 256, SubnetSpec("app", 64))
    [done] = await ipam_call(emu, "deploy_many", [first])
    assert done.ok and done.deployment.action == "created"

    same = await plan_without_writing(emu, ipam_call, "plan_deployment", first)
    assert same.action == "unchanged" and not same.changed
    assert same.current == same.target and [r.method for r in same.requests] == ["GET"]

    more_subnets = spec(emu, "v1", 256, SubnetSpec("app", 64), SubnetSpec("db", 32))
    added = await plan_without_writing(emu, ipam_call, "plan_deployment", more_subnets)
    assert added.action == "add_subnets" and [(s.name, s.change) for s in added.subnets] == [("db", "create")]
    assert added.current == added.target  # the VNet's own allocation does not change: no pool read
    assert [r.method for r in added.requests] == ["GET", "PUT"]

    grown = await plan_without_writing(
        emu, ipam_call, "plan_deployment", spec(emu, "v1", 512, SubnetSpec("app", 128))
    )
    assert grown.action == "grow"
    assert [a.number_of_ip_addresses for a in grown.current] == [256]
    assert [a.number_of_ip_addresses for a in grown.target] == [512]
    assert [(s.name, s.change, s.current[0].number_of_ip_addresses, s.target[0].number_of_ip_addresses) for s in grown.subnets] == [("app", "grow", 64, 128)]  # fmt: skip
    assert grown.changes == ("the VNet: grow pool-eastus allocation 256 -> 512", "subnet app: grow pool-eastus allocation 64 -> 128")  # fmt: skip

    shrink = await plan_without_writing(emu, ipam_call, "plan_deployment", spec(emu, "v1", 128))
    assert (shrink.action, shrink.reason) == ("refused", "shrink")
    assert (
        isinstance(shrink.error, AllocationDecreaseError) and "cannot be decreased to 128" in shrink.message
    )
    assert shrink.to_dict()["reason"] == "shrink" and [r.method for r in shrink.requests] == ["GET"]


async def test_wrong_family_is_refused(azure_emulator: AzureEmulator, ipam_call: IpamCall) -> None:
    emu = azure_emulator
    assert emu.scenario is not None
    v6_as_v4 = spec(emu, "v-family", 64, pool=emu.scenario.ipv6_pool_id)
    plan = await plan_without_writing(emu, ipam_call, "plan_deployment", v6_as_v4)
    assert (plan.action, plan.reason) == ("refused", "pool_family")
    assert "holds IPv6 prefixes" in plan.message and isinstance(plan.error, DeploymentRefusedError)


async def test_no_aligned_block_is_refused_and_the_apply_agrees(
    azure_emulator: AzureEmulator, ipam_call: IpamCall, fragmented_pool: FragmentedPool
) -> None:
    emu = azure_emulator
    pool = fragmented_pool(emu)
    fits_count = spec(emu, "v-frag", 128, pool=pool)  # 128 free, but as two separate /26
    plan = await plan_without_writing(emu, ipam_call, "plan_deployment", fits_count)
    assert (plan.action, plan.reason) == ("refused", "no_contiguous_space")
    assert "has 128 free addresses, but not 128 in aligned power-of-two blocks" in plan.message
    assert "10.9.0.64/26, 10.9.0.192/26" in plan.message
    too_many = await plan_without_writing(
        emu, ipam_call, "plan_deployment", spec(emu, "v-big", 256, pool=pool)
    )
    assert (too_many.action, too_many.reason) == ("refused", "pool_exhausted")
    fits = await plan_without_writing(emu, ipam_call, "plan_deployment", spec(emu, "v-ok", 64, pool=pool))
    assert fits.action == "create"

    # applied, the refusal is the plan's error and nothing is written; Azure itself refuses the same request
    many = Plan((plan,))
    [result] = await ipam_call(emu, "deploy_many", [fits_count], plan=many)
    assert isinstance(result, PlannedItemResult) and result.replanned is None
    assert isinstance(result.error, PoolExhaustedError) and arm_writes(emu) == []
    [blind] = await ipam_call(emu, "deploy_many", [fits_count])
    assert isinstance(blind.error, PoolExhaustedError) and [m for m, _ in arm_writes(emu)] == ["PUT"]


async def test_plan_many_does_not_promise_the_same_space_twice(
    azure_emulator: AzureEmulator, ipam_call: IpamCall, fragmented_pool: FragmentedPool
) -> None:
    emu = azure_emulator
    pool = fragmented_pool(emu)
    specs = [spec(emu, f"v{n}", 64, pool=pool) for n in "abc"]
    before = len(emu.journal.writes())
    plan = await ipam_call(emu, "plan_many", specs)
    assert len(emu.journal.writes()) == before
    assert [(p.action, p.reason) for p in plan.items] == [
        ("create", None),
        ("create", None),
        ("refused", "pool_exhausted"),
    ]
    assert len(emu.journal.entries(service="arm", path="getPoolUsage")) == 1  # each pool is read once
    assert plan.has_changes and plan.summary()["create"] == 2 and plan.summary()["refused"] == 1
    assert (
        plan.to_dict()["summary"]["create"] == 2
        and plan.for_vnet(str(specs[1].vnet_id).upper()) is plan.items[1]
    )


async def test_a_spec_that_cannot_be_planned_is_an_error_item(
    azure_emulator: AzureEmulator, ipam_call: IpamCall
) -> None:
    emu = azure_emulator
    good, bad = spec(emu, "ok", 64), spec(emu, "bad", 0)
    plan = await ipam_call(emu, "plan_many", [good, bad])
    assert [p.action for p in plan.items] == ["create", "error"]
    assert "number_of_ip_addresses must be a positive integer" in plan.items[1].message
    with pytest.raises(InvalidInputError, match="wrap one spec in a list"):
        await ipam_call(emu, "plan_many", good)


async def test_a_plan_applied_after_the_world_changed_is_replanned_not_applied(
    azure_emulator: AzureEmulator, ipam_call: IpamCall
) -> None:
    emu = azure_emulator
    await ipam_call(emu, "deploy_many", [spec(emu, "v1", 256)])
    grow, create = spec(emu, "v1", 512), spec(emu, "v2", 64)
    plan = await ipam_call(emu, "plan_many", [grow, create])
    assert [p.action for p in plan.items] == ["grow", "create"]

    await ipam_call(emu, "deploy_many", [spec(emu, "v1", 1024)])  # someone else grows v1 meanwhile
    puts = len(emu.journal.entries(service="arm", method="PUT"))
    results = await ipam_call(emu, "deploy_many", [grow, create], plan=plan)
    stale, applied = results
    assert isinstance(stale, PlannedItemResult) and not stale.ok
    assert isinstance(stale.error, PlanChangedError) and "nothing was written" in stale.error.message
    assert stale.replanned is not None and (stale.replanned.action, stale.replanned.reason) == (
        "refused",
        "shrink",
    )
    assert stale.to_dict()["replanned"]["action"] == "refused"
    assert applied.ok and applied.replanned is None and applied.deployment.action == "created"
    assert len(emu.journal.entries(service="arm", method="PUT")) == puts + 1  # v2 only
    vnet = emu.virtual_network(str(grow.vnet_id))
    assert vnet is not None
    assert vnet["properties"]["addressSpace"]["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] == "1024"


async def test_a_vnet_missing_from_the_plan_is_not_applied(
    azure_emulator: AzureEmulator, ipam_call: IpamCall
) -> None:
    emu = azure_emulator
    [result] = await ipam_call(emu, "deploy_many", [spec(emu, "v-unplanned", 64)], plan=Plan())
    assert isinstance(result.error, PlanChangedError) and "not in the plan" in result.error.message
    assert result.replanned is not None and result.replanned.action == "create" and arm_writes(emu) == []


async def test_plan_removal(azure_emulator: AzureEmulator, ipam_call: IpamCall) -> None:
    emu = azure_emulator
    first = spec(emu, "v-rm", 256)
    await ipam_call(emu, "deploy_many", [first])
    plan = await plan_without_writing(emu, ipam_call, "plan_removal", str(first.vnet_id))
    assert plan.action == "remove" and plan.changes == ("free 256 addresses of pool-eastus",)
    assert plan.target == () and [r.method for r in plan.requests] == ["GET", "PUT"]
    await ipam_call(emu, "remove_many", [str(first.vnet_id)])
    after = await plan_without_writing(emu, ipam_call, "plan_removal", str(first.vnet_id))
    assert after.action == "unchanged" and not after.changed


def test_decide_is_the_deploys_decision_plus_the_pool_check() -> None:
    from crossipam.deployment import deployment_request
    from crossipam.models import PoolUsage

    sub = "00000000-0000-4000-8000-000000000001"
    pool = (
        f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm/ipamPools/p"
    )
    vnet = f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
    request = deployment_request(vnet, location="eastus", pool_id=pool, number_of_ip_addresses=100)
    free = [ipaddress.ip_network("10.0.0.0/25")]
    usage = PoolUsage(available_address_prefixes=free, number_of_available_ip_addresses=128)
    plan, write = decide(request, None, [(request.pool_id, usage)], endpoint="https://arm.example")
    assert plan.action == "create" and write is not None and write.action == "created"
    rest = take_from(usage, 100)  # 64 + 32 + 4, first fit: 10.0.0.100/30 .. /25 stay free
    assert rest.number_of_available_ip_addresses == 28
    assert [str(n) for n in rest.available_address_prefixes] == [
        "10.0.0.100/30",
        "10.0.0.104/29",
        "10.0.0.112/28",
    ]
    refused, none = decide(request, None, [(request.pool_id, rest)], endpoint="https://arm.example")
    assert (refused.action, refused.reason, none) == ("refused", "pool_exhausted", None)


@pytest.mark.parametrize("action", ["create", "unchanged", "refused"])
def test_plan_exit_codes(action: str) -> None:
    from crossipam._resource_ids import VirtualNetworkId
    from crossipam.cli._plan_commands import plan_exit

    vnet = VirtualNetworkId("00000000-0000-4000-8000-000000000001", "rg", "vnet")
    plan = Plan((VnetPlan(vnet, action),))  # type: ignore[arg-type]
    assert plan_exit(plan) == {"create": 2, "unchanged": 0, "refused": 1}[action]


async def test_dual_stack_reads_both_pools_and_an_absent_vnet_has_no_removal_plan(
    azure_emulator: AzureEmulator, ipam_call: IpamCall
) -> None:
    emu = azure_emulator
    info = emu.scenario
    assert info is not None
    dual = DeploymentSpec(
        info.vnet_id("v-dual"),
        "eastus",
        info.pool_id,
        256,
        ipv6_pool_id=info.ipv6_pool_id,
        ipv6_number_of_ip_addresses=2**64,
    )
    plan = await plan_without_writing(emu, ipam_call, "plan_deployment", dual)
    assert plan.action == "create"
    assert [(a.pool_id.name, a.number_of_ip_addresses) for a in plan.target] == [
        ("pool-eastus", 256),
        ("pool-eastus-v6", 2**64),
    ]
    assert [r.url.split("/ipamPools/")[1].split("?")[0] for r in plan.requests if r.method == "POST"] == [
        "pool-eastus/getPoolUsage",
        "pool-eastus-v6/getPoolUsage",
    ]
    with pytest.raises(NotFoundError):
        await ipam_call(emu, "plan_removal", info.vnet_id("v-absent"))


async def test_an_apply_that_meets_a_conflict_reads_and_decides_again(
    azure_emulator: AzureEmulator,
    ipam_call: IpamCall,
    driver: str,
    fake_sleep: FakeSleep,
    fake_async_sleep: FakeAsyncSleep,
) -> None:
    emu = azure_emulator
    sleep = fake_sleep(emu) if driver == "sync" else fake_async_sleep(emu)
    wanted = [spec(emu, "v-busy", 64)]
    plan = await ipam_call(emu, "plan_many", wanted)
    fault = emu.faults.add(
        "PUT",
        "virtualNetworks/v-busy",
        status=412,
        code="PreconditionFailed",
        service="arm",
    )
    [result] = await ipam_call(emu, "deploy_many", wanted, plan=plan, sleep=sleep, clock=emu.clock.time)
    assert fault.hits == 1 and sleep.call_count == 1  # the bulk retry's backoff
    assert result.ok and result.attempts == 2 and result.replanned is None
    assert [(e.method, e.status) for e in emu.journal.entries(service="arm", method="PUT")] == [
        ("PUT", 412),
        ("PUT", 201),
    ]
    # each attempt read the VNet and the pool again before it decided
    assert len(emu.journal.entries(service="arm", path="getPoolUsage")) == 1 + 2
