"""Bulk deploy/remove (sync threads and asyncio tasks) against the offline Azure: 24 VNets over two managed
subscriptions with injected 429s, 5xx, dropped connections, lost PUT responses, 409 AnotherOperationInProgress
and ARM's write throttle. Every good item ends deployed exactly once, the bad ones fail alone with their typed
errors, the token count stays 2, and no wall-clock sleeps happen (fake sleep + fake clock)."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import ipaddress
import re
import threading
import time
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.exceptions import AzureError
from pytest_mock import MockerFixture

import crossipam.bulk as bulk_module
import crossipam.testing._core as testing_core
from crossipam import (
    AllocationDecreaseError,
    AuthorizationError,
    BulkItemResult,
    ConflictError,
    CrossIpamError,
    CrossTenantIpamClient,
    DeploymentSpec,
    InvalidInputError,
    NotFoundError,
    PoolExhaustedError,
    SubnetSpec,
    ThrottledError,
    TransportError,
    VirtualNetworkDeployment,
    VirtualNetworkId,
)
from crossipam import aio as crossipam_aio
from crossipam.bulk import (
    BulkItem,
    RetryDecision,
    SubscriptionGate,
    _Scheduler,
    bulk_items,
    classify,
    retry_after_seconds,
    run_async,
    run_sync,
)
from crossipam.policies import parse_retry_after
from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing._http import Request, Response

if TYPE_CHECKING:
    from .fixtures.clients import CloudOf, InfoOf, MakeAsyncClient, MakeClient


SECOND_SUBSCRIPTION = "bbbbbbbb-2222-4000-8000-000000000003"
SECOND_RG = "rg-spoke-two"
VNET_PUT = r"/virtualNetworks/[^/]+$"
N_PER_SUB = 12
#: arm_faults() can fail at most 14 attempts in all (5 x 429, 3 x 409, 2 x 500, 2 x 503, 2 lost PUT responses
#: answered 412 on re-send); dropped GETs are retried by azure-core. Even if every fault hits the same item it
#: succeeds within 15 attempts, so the test is deterministic however the threads interleave.
MAX_ATTEMPTS = 15
#: How the bulk tests' clients are built (``make_client(emu, **BULK_CLIENT)``): 429 / 5xx go to the bulk layer
#: (azure-core would sleep Retry-After on the wall clock); connection errors are still retried by azure-core,
#: without backoff; 409/412 go to the bulk layer too (its sleep is the fake one).
BULK_CLIENT: dict[str, Any] = {"retry_status": 0, "retry_backoff_factor": 0, "conflict_retries": 0}


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The fake clock also drives the offline Azure's clock, hence its token buckets (they refill only when
    crossipam sleeps): the offline Azure's time is the wall clock at the start plus what crossipam slept."""
    fake = FakeClock()
    start = time.time() - fake.now
    monkeypatch.setattr(testing_core.Clock, "time", lambda self: start + fake.time() + self._offset)
    return fake


def add_second_subscription(emu: AzureEmulator, info: ScenarioInfo) -> str:
    """A second managed subscription + resource group where the app is Network Contributor."""
    emu.add_subscription(info.managed_tenant_id, SECOND_SUBSCRIPTION, "spoke-two")
    rg = emu.add_resource_group(SECOND_SUBSCRIPTION, SECOND_RG, info.location)
    sp_b = emu.service_principal(info.app.client_id, info.managed_tenant_id)
    assert sp_b is not None
    emu.assign_role(sp_b.object_id, "Network Contributor", rg.id)
    emu.connect_tenants(info.network_manager_id, SECOND_SUBSCRIPTION)
    return SECOND_SUBSCRIPTION


def vnet_in(subscription: str, rg: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}"


def good_specs(emu: AzureEmulator, info: ScenarioInfo) -> list[DeploymentSpec]:
    second = add_second_subscription(emu, info)
    specs: list[DeploymentSpec] = []
    for i in range(N_PER_SUB):
        for sub, rg in ((info.managed_subscription_id, info.resource_group), (second, SECOND_RG)):
            count = (16, 32, 64)[i % 3]
            subnets = (SubnetSpec("app", count // 2),) if i % 4 == 0 else ()
            specs.append(
                DeploymentSpec(vnet_in(sub, rg, f"vnet-{i:02d}"), info.location, info.pool_id, count, subnets)
            )
    return specs


def bad_specs(emu: AzureEmulator, info: ScenarioInfo) -> list[DeploymentSpec]:
    return [
        DeploymentSpec(info.vnet_id("vnet-too-big"), info.location, info.pool_id, 200_000),
        DeploymentSpec(
            vnet_in(info.managed_subscription_id, "rg-does-not-exist", "vnet-lost"),
            info.location,
            info.pool_id,
            16,
        ),
        DeploymentSpec(info.vnet_id("vnet-bad-count"), info.location, info.pool_id, 0),
    ]


def arm_faults(emu: AzureEmulator) -> dict[str, Any]:
    return {
        "throttled": emu.faults.add(
            "PUT", VNET_PUT, status=429, code="SubscriptionRequestsThrottled", retry_after=1, times=5
        ),
        "busy": emu.faults.add("PUT", VNET_PUT, status=409, code="AnotherOperationInProgress", times=3),
        "server": emu.faults.add("PUT", VNET_PUT, status=500, code="InternalServerError", times=2),
        "unavailable": emu.faults.add("GET", VNET_PUT, status=503, code="ServiceUnavailable", times=2),
        "dropped": emu.faults.add("GET", VNET_PUT, drop_connection=True, times=2),
        "lost_put": emu.faults.add("PUT", VNET_PUT, drop_connection=True, times=2, when="after"),
    }


def check_deployed_once(
    emu: AzureEmulator, info: ScenarioInfo, specs: list[DeploymentSpec], results: list[BulkItemResult]
) -> None:
    assert [r.vnet_id for r in results] == [str(s.vnet_id) for s in specs]  # input order
    for spec, result in zip(specs, results):
        assert result.ok, (result.vnet_id, result.error)
        assert result.spec == spec and result.attempts >= 1
        assert result.deployment is not None and result.deployment.action in ("created", "unchanged")
        stored = emu.virtual_network(str(spec.vnet_id))
        assert stored is not None
        [alloc] = stored["properties"]["addressSpace"]["ipamPoolPrefixAllocations"]  # exactly one entry
        assert alloc["numberOfIpAddresses"] == str(spec.number_of_ip_addresses)
        held = sum(ipaddress.ip_network(p).num_addresses for p in alloc["allocatedAddressPrefixes"])
        assert held == spec.number_of_ip_addresses
    wanted = sum(s.number_of_ip_addresses for s in specs)
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == str(wanted)


def check_failures(results: list[BulkItemResult]) -> None:
    too_big, lost, bad_count = results
    assert isinstance(too_big.error, PoolExhaustedError)  # final: retried only past injected faults
    # the app is Network Contributor on its resource groups only, so ARM says 403 for a group that does not exist
    assert isinstance(lost.error, AuthorizationError) and lost.error.code == "AuthorizationFailed"
    assert lost.attempts <= 6
    assert isinstance(bad_count.error, InvalidInputError) and bad_count.attempts == 1
    assert not any(r.ok for r in results) and all(r.deployment is None for r in results)


# ---- sync ----------------------------------------------------------------------------------------------


def test_deploy_many_survives_faults_and_deploys_each_vnet_once(
    azure_emulator: AzureEmulator, clock: FakeClock, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    good = good_specs(emu, info)
    bad = bad_specs(emu, info)
    specs = good[:10] + bad + good[10:]
    faults = arm_faults(emu)
    progress: list[tuple[int, int, str]] = []
    emu.journal.clear()

    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many(
            specs,
            max_concurrency=8,
            on_progress=lambda done, total, item: progress.append((done, total, item.vnet_id)),
            sleep=clock.sleep,
            clock=clock.time,
            max_attempts=MAX_ATTEMPTS,
        )
        listed = client.list_pool_allocations(info.pool_id)

    assert len(results) == len(specs) == 27
    check_deployed_once(emu, info, good, results[:10] + results[13:])
    check_failures(results[10:13])
    assert all(f.times == 0 for f in faults.values())  # every fault fired
    assert faults["throttled"].hits == 5 and faults["lost_put"].hits == 2
    assert 1.0 in clock.slept  # Retry-After honoured through the injected sleep
    assert len(listed) == len(good)  # one association per VNet: no duplicate allocation
    assert {str(a.resource_id).lower() for a in listed} == {str(s.vnet_id).lower() for s in good}
    assert [p[0] for p in progress] == list(range(1, 28)) and {p[1] for p in progress} == {27}
    assert sorted(p[2] for p in progress) == sorted(str(s.vnet_id) for s in specs)
    assert len(emu.journal.token_requests(info.managed_tenant_id)) == 1
    assert len(emu.journal.token_requests(info.management_tenant_id)) == 1
    assert len(emu.journal.token_requests()) == 2
    assert max(r.attempts for r in results) > 1


def test_deploy_many_under_the_write_throttle(
    azure_emulator: AzureEmulator, clock: FakeClock, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    specs = good_specs(emu, info)
    emu.settings.write_bucket_capacity = 4
    emu.settings.write_bucket_refill = 1.0
    emu.journal.clear()

    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many(
            specs, max_concurrency=8, sleep=clock.sleep, clock=clock.time, max_attempts=30
        )

    check_deployed_once(emu, info, specs, results)
    throttled = emu.journal.entries(service="arm", status=429)
    assert throttled and {e.error_code for e in throttled} == {"SubscriptionRequestsThrottled"}
    assert clock.slept and min(clock.slept) >= 1.0
    assert len(emu.journal.token_requests()) == 2
    assert info.pool_id


def test_remove_many_and_redeploy_is_unchanged(
    azure_emulator: AzureEmulator, clock: FakeClock, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    specs = good_specs(emu, info)[:8]
    with make_client(emu, **BULK_CLIENT) as client:
        assert all(r.ok for r in client.deploy_many(specs, sleep=clock.sleep, clock=clock.time))
        again = client.deploy_many(specs, sleep=clock.sleep, clock=clock.time)
        assert {r.deployment.action for r in again if r.deployment} == {"unchanged"}
        emu.faults.add("PUT", VNET_PUT, status=429, code="TooManyRequests", retry_after=2, times=2)
        missing = info.vnet_id("vnet-never-made")
        removed = client.remove_many(
            [*specs[:4], *(str(s.vnet_id) for s in specs[4:]), missing], sleep=clock.sleep, clock=clock.time
        )
    assert [r.ok for r in removed] == [True] * 8 + [False]
    assert {r.deployment.action for r in removed if r.deployment} == {"removed"}
    assert isinstance(removed[-1].error, NotFoundError) and removed[-1].spec is None
    assert removed[0].spec == specs[0]
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"
    assert 2.0 in clock.slept


def test_deploy_many_gives_up_after_max_attempts(
    azure_emulator: AzureEmulator, clock: FakeClock, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    emu.faults.add(
        "PUT", VNET_PUT, status=429, code="SubscriptionRequestsThrottled", retry_after=3, times=100
    )
    spec = DeploymentSpec(info.vnet_id("vnet-stuck"), info.location, info.pool_id, 16)
    with make_client(emu, **BULK_CLIENT) as client:
        [result] = client.deploy_many([spec], sleep=clock.sleep, clock=clock.time, max_attempts=3)
    assert isinstance(result.error, ThrottledError) and result.attempts == 3
    assert clock.slept == [3.0, 3.0]  # a wait after each of the first two attempts, none after the last
    assert emu.virtual_network(str(spec.vnet_id)) is None


class SimClock:
    """Virtual time for the bulk workers (``run_sync``'s threads, or ``run_async``'s tasks with
    :meth:`async_sleep`): work takes no time, and ``sleep(s)`` blocks until every busy worker is asleep (or has
    nothing left to do); then time jumps to the earliest wake-up.

    So whatever can run while a subscription is paused runs *before* the pause ends, and a worker that waited
    shows it in the time of its next request: the test compares times and orderings, never the wall clock.
    Pass ``item_done`` as ``on_progress`` (a finished item frees its worker).
    """

    def __init__(self, workers: int, items: int) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._workers = workers
        self._unfinished = items
        self._wakes: list[float] = []
        self._cond = threading.Condition()

    def time(self) -> float:
        with self._cond:
            return self.now

    def item_done(self, *_: object) -> None:
        with self._cond:
            self._unfinished -= 1
            self._cond.notify_all()

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + 10  # a guard against a bug in this clock, not a wait
        with self._cond:
            self.slept.append(seconds)
            wake = self.now + seconds
            self._wakes.append(wake)
            while wake > self.now:
                asleep = [w for w in self._wakes if w > self.now]
                if len(asleep) >= min(self._workers, self._unfinished):
                    self.now = min(asleep)
                    self._cond.notify_all()
                elif not self._cond.wait(timeout=deadline - time.monotonic()):
                    raise AssertionError("the virtual clock is stuck")
            self._wakes.remove(wake)
            self._cond.notify_all()

    async def async_sleep(self, seconds: float) -> None:
        """:meth:`sleep` for asyncio tasks: polls (a real millisecond at a time) instead of blocking the loop."""
        deadline = time.monotonic() + 10  # a guard against a bug in this clock, not a wait
        with self._cond:
            self.slept.append(seconds)
            wake = self.now + seconds
            self._wakes.append(wake)
        while True:
            with self._cond:
                if wake <= self.now:
                    self._wakes.remove(wake)
                    return
                asleep = [w for w in self._wakes if w > self.now]
                if len(asleep) >= min(self._workers, self._unfinished):
                    self.now = min(asleep)
                    continue
            if time.monotonic() > deadline:
                raise AssertionError("the virtual clock is stuck")
            await asyncio.sleep(0.001)


@dataclass(frozen=True)
class TimedPut:
    """A VNet PUT the offline Azure answered, with the virtual time of the answer."""

    time: float
    path: str
    status: int


def _record_times(emu: AzureEmulator, sim: SimClock, monkeypatch: pytest.MonkeyPatch) -> list[TimedPut]:
    """Every VNet PUT with its virtual time, in the order the offline Azure answered them (a timed journal)."""
    original = emu.handle
    puts: list[TimedPut] = []
    lock = threading.Lock()

    def handle(req: Request) -> Response:
        resp = original(req)
        if req.method == "PUT" and re.search(VNET_PUT, req.path, re.IGNORECASE):
            with lock:
                puts.append(TimedPut(sim.time(), req.path, resp.status))
        return resp

    monkeypatch.setattr(emu, "handle", handle)
    return puts


def _hold_until_throttled(emu: AzureEmulator, held: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests whose path matches ``held`` wait until the offline Azure has answered a 429."""
    original = emu.handle
    throttled = threading.Event()

    def handle(req: Request) -> Response:
        if re.search(held, req.path, re.IGNORECASE):
            assert throttled.wait(timeout=10)
        resp = original(req)
        if resp.status == 429:
            throttled.set()
        return resp

    monkeypatch.setattr(emu, "handle", handle)


def _meet(emu: AzureEmulator, path: str, parties: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first ``parties`` PUTs whose path matches ``path`` wait for each other (all in flight at once)."""
    original = emu.handle
    barrier = threading.Barrier(parties, timeout=10)
    lock = threading.Lock()
    arrived = [0]

    def handle(req: Request) -> Response:
        if req.method == "PUT" and re.search(path, req.path, re.IGNORECASE):
            with lock:
                arrived[0] += 1
                meets = arrived[0] <= parties
            if meets:
                barrier.wait()
        return original(req)

    monkeypatch.setattr(emu, "handle", handle)


RETRY_AFTER = 7


def test_a_throttled_subscription_pauses_alone(
    azure_emulator: AzureEmulator, monkeypatch: pytest.MonkeyPatch, info_of: InfoOf, make_client: MakeClient
) -> None:
    """Subscription A's first PUT is throttled (429, ``Retry-After: 7``). A's later writes — the throttled item's
    retry and every A item started after it — wait the 7 s out; subscription B's writes carry on meanwhile. Virtual
    time (:class:`SimClock`): B's work is not held up by A's pause, A's writes after the 429 are ≥ 7 s later."""
    emu = azure_emulator
    info = info_of(emu)
    sub_a, sub_b = info.managed_subscription_id, add_second_subscription(emu, info)
    a = [DeploymentSpec(info.vnet_id(f"vnet-a{i}"), info.location, info.pool_id, 16) for i in range(3)]
    b = [
        DeploymentSpec(vnet_in(sub_b, SECOND_RG, f"vnet-b{i}"), info.location, info.pool_id, 32)
        for i in range(4)
    ]
    # two workers: one takes a0 (throttled), the other b0..b3, then a1 and a2 (started during A's pause)
    specs = [a[0], *b, a[1], a[2]]
    throttle = emu.faults.add(
        "PUT",
        rf"/subscriptions/{sub_a}/.*/virtualNetworks/[^/]+$",
        status=429,
        code="SubscriptionRequestsThrottled",
        retry_after=RETRY_AFTER,
    )
    sim = SimClock(workers=2, items=len(specs))
    puts = _record_times(emu, sim, monkeypatch)
    _hold_until_throttled(emu, rf"/subscriptions/{sub_b}/", monkeypatch)  # B starts after the 429
    emu.journal.clear()

    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many(
            specs, max_concurrency=2, sleep=sim.sleep, clock=sim.time, on_progress=sim.item_done
        )
        listed = client.list_pool_allocations(info.pool_id)

    check_deployed_once(emu, info, specs, results)
    assert throttle.hits == 1 and results[0].attempts == 2 and all(r.attempts == 1 for r in results[1:])
    [throttled] = [p for p in puts if p.status == 429]
    assert sub_a in throttled.path and throttled.time == 1000.0
    after = puts[puts.index(throttled) + 1 :]
    # A: the retry of a0, then a1 and a2 — one write each, none before the pause ended
    assert [(p.time, p.status) for p in after if sub_a in p.path] == [(1000.0 + RETRY_AFTER, 201)] * 3, puts
    # B: four creates while A was paused (virtual time had not moved), each written once
    assert [(p.time, p.status) for p in puts if sub_b in p.path] == [(1000.0, 201)] * 4, puts
    # B never waited: the workers slept only once nothing but A's paused items was left (both of them, once)
    assert sim.slept == [RETRY_AFTER] * 2
    assert len(listed) == len(specs)  # one association per VNet: no duplicate allocation
    assert len(emu.journal.token_requests(info.managed_tenant_id)) == 1
    assert len(emu.journal.token_requests()) == 2


def _head_of_line_scenario(
    emu: AzureEmulator, info: ScenarioInfo, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[DeploymentSpec], SimClock, list[TimedPut]]:
    """Subscription A's items come first: two workers take a0 and a1, both are throttled (429, ``Retry-After:
    7``); a2 and B's two items are queued behind them. B must not wait for A's pause; A's writes all must."""
    sub_a, sub_b = info.managed_subscription_id, add_second_subscription(emu, info)
    a = [DeploymentSpec(info.vnet_id(f"vnet-a{i}"), info.location, info.pool_id, 16) for i in range(3)]
    b = [
        DeploymentSpec(vnet_in(sub_b, SECOND_RG, f"vnet-b{i}"), info.location, info.pool_id, 32)
        for i in range(2)
    ]
    emu.faults.add(
        "PUT",
        rf"/subscriptions/{sub_a}/.*/virtualNetworks/[^/]+$",
        status=429,
        code="SubscriptionRequestsThrottled",
        retry_after=RETRY_AFTER,
        times=2,
    )
    sim = SimClock(workers=2, items=5)
    puts = _record_times(emu, sim, monkeypatch)
    _meet(emu, rf"/subscriptions/{sub_a}/.*/virtualNetworks/[^/]+$", 2, monkeypatch)  # a0 and a1 in flight
    return [*a, *b], sim, puts


def _check_head_of_line(
    emu: AzureEmulator,
    info: ScenarioInfo,
    specs: list[DeploymentSpec],
    results: list[BulkItemResult],
    puts: list[TimedPut],
) -> None:
    check_deployed_once(emu, info, specs, results)
    assert [r.attempts for r in results] == [2, 2, 1, 1, 1]
    assert [(p.time, p.status) for p in puts if SECOND_SUBSCRIPTION in p.path] == [(1000.0, 201)] * 2, puts
    a_puts = [(p.time, p.status) for p in puts if info.managed_subscription_id in p.path]
    assert a_puts == [(1000.0, 429)] * 2 + [(1000.0 + RETRY_AFTER, 201)] * 3, puts  # A's pause honoured


def test_a_throttled_subscription_does_not_hold_up_items_queued_behind_it(
    azure_emulator: AzureEmulator, monkeypatch: pytest.MonkeyPatch, make_client: MakeClient, info_of: InfoOf
) -> None:
    """Head-of-line blocking: both workers' items are throttled, yet B's items queued behind A's run during
    A's pause (a paused subscription holds no worker), and every A write waits the pause out."""
    emu = azure_emulator
    info = info_of(emu)
    specs, sim, puts = _head_of_line_scenario(emu, info, monkeypatch)
    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many(
            specs, max_concurrency=2, sleep=sim.sleep, clock=sim.time, on_progress=sim.item_done
        )
    _check_head_of_line(emu, info, specs, results, puts)
    assert sim.slept == [RETRY_AFTER] * 2  # once B was done, both workers waited for A's pause


def test_deploy_many_with_the_same_vnet_twice(
    azure_emulator: AzureEmulator, clock: FakeClock, info_of: InfoOf, make_client: MakeClient
) -> None:
    """Two items for one VNet in one batch: the client serialises them (no 409/412 reaches ARM), both are
    reported in input order, the VNet ends with exactly one allocation."""
    emu = azure_emulator
    info = info_of(emu)
    twice = DeploymentSpec(
        info.vnet_id("vnet-twice"), info.location, info.pool_id, 64, (SubnetSpec("app", 32),)
    )
    other = DeploymentSpec(info.vnet_id("vnet-other"), info.location, info.pool_id, 16)
    emu.settings.lro_polls = 2
    emu.journal.clear()
    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many([twice, other, twice], sleep=clock.sleep, clock=clock.time)
        assert [r.vnet_id for r in results] == [str(twice.vnet_id), str(other.vnet_id), str(twice.vnet_id)]
        assert all(r.ok and r.attempts == 1 for r in results), results
        assert sorted(r.deployment.action for r in (results[0], results[2]) if r.deployment) == [
            "created",
            "unchanged",
        ]
        check_deployed_once(emu, info, [twice, other], [results[0], results[1]])
        puts = emu.journal.entries(service="arm", method="PUT", path=r"/virtualNetworks/vnet-twice$")
        assert [e.status for e in puts] == [201]
        # a grow and a shrink of it in one batch: whichever runs first, the larger count wins, once
        grow = [
            DeploymentSpec(twice.vnet_id, info.location, info.pool_id, n, twice.subnets)
            for n in (128, 256, 128)
        ]
        grown = client.deploy_many(grow, sleep=clock.sleep, clock=clock.time)
        listed = client.list_pool_allocations(info.pool_id)
    assert grown[1].ok and grown[1].deployment is not None and grown[1].deployment.action == "updated"
    for r in (grown[0], grown[2]):
        assert r.attempts == 1
        assert (r.deployment is not None and r.deployment.action in ("updated", "unchanged")) or isinstance(
            r.error, AllocationDecreaseError
        ), r
    assert not [e for e in emu.journal.entries(service="arm") if e.status in (409, 412)]
    stored = emu.virtual_network(str(twice.vnet_id))
    assert stored is not None
    [alloc] = stored["properties"]["addressSpace"]["ipamPoolPrefixAllocations"]
    assert alloc["numberOfIpAddresses"] == "256"
    assert [s["name"] for s in stored["properties"]["subnets"]] == ["app"]
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == str(256 + 16)
    assert sorted(a.resource_id.name for a in listed) == ["vnet-other", "vnet-twice"]


def test_deploy_many_rejects_a_plain_id_per_item(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    with make_client(emu, **BULK_CLIENT) as client:
        [result] = client.deploy_many([info.vnet_id("v1")])  # type: ignore[list-item]
    assert isinstance(result.error, InvalidInputError)


# ---- async ---------------------------------------------------------------------------------------------


async def test_async_deploy_many_survives_faults_and_deploys_each_vnet_once(
    azure_emulator: AzureEmulator, clock: FakeClock, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    good = good_specs(emu, info)
    bad = bad_specs(emu, info)
    specs = bad[:1] + good + bad[1:]
    faults = arm_faults(emu)
    progress: list[int] = []
    emu.journal.clear()

    async with make_async_client(emu, **BULK_CLIENT) as client:
        results = await client.deploy_many(
            specs,
            max_concurrency=8,
            on_progress=lambda done, total, item: progress.append(done),
            sleep=clock.async_sleep,
            clock=clock.time,
            max_attempts=MAX_ATTEMPTS,
        )
        listed = await client.list_pool_allocations(info.pool_id)

    check_deployed_once(emu, info, good, results[1:-2])
    check_failures([results[0], *results[-2:]])
    assert faults["throttled"].hits == 5 and faults["busy"].hits == 3 and faults["lost_put"].hits == 2
    assert len(listed) == len(good)
    assert progress == list(range(1, len(specs) + 1))
    assert len(emu.journal.token_requests()) == 2


async def test_async_bulk_under_the_write_throttle_then_remove(
    azure_emulator: AzureEmulator, clock: FakeClock, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    specs = good_specs(emu, info)
    emu.settings.write_bucket_capacity = 4
    emu.settings.write_bucket_refill = 1.0
    async with make_async_client(emu, **BULK_CLIENT) as client:
        results = await client.deploy_many(specs, sleep=clock.async_sleep, clock=clock.time, max_attempts=30)
        check_deployed_once(emu, info, specs, results)
        removed = await client.remove_many(specs, sleep=clock.async_sleep, clock=clock.time, max_attempts=30)
    assert all(r.ok and r.deployment and r.deployment.action == "removed" for r in removed)
    assert emu.journal.entries(service="arm", status=429)
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"
    assert len(emu.journal.token_requests()) == 2


async def test_async_throttled_subscription_does_not_hold_up_items_queued_behind_it(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    make_async_client: MakeAsyncClient,
    info_of: InfoOf,
) -> None:
    """The asyncio twin of the head-of-line test: the worker tasks run B while A is paused."""
    emu = azure_emulator
    info = info_of(emu)
    specs, sim, puts = _head_of_line_scenario(emu, info, monkeypatch)
    async with make_async_client(emu, **BULK_CLIENT) as client:
        results = await client.deploy_many(
            specs, max_concurrency=2, sleep=sim.async_sleep, clock=sim.time, on_progress=sim.item_done
        )
    _check_head_of_line(emu, info, specs, results, puts)
    assert sim.slept == [RETRY_AFTER] * 2


# ---- the pure parts ------------------------------------------------------------------------------------


def test_gate_pauses_and_halves_then_recovers() -> None:
    now = [0.0]
    gate = SubscriptionGate(8, clock=lambda: now[0])
    assert gate.limit("s") == 8 and gate.pause_remaining("s") == 0.0
    gate.slow_down("s", 2.0)
    assert gate.limit("s") == 4 and gate.pause_remaining("s") == 2.0 and gate.throttle_count("s") == 1
    gate.slow_down("S", 1.0)  # case-insensitive; a shorter pause does not shorten the current one
    assert gate.limit("s") == 2 and gate.pause_remaining("s") == 2.0
    for _ in range(3):
        gate.slow_down("s", 0)
    assert gate.limit("s") == 1  # never below one
    now[0] = 5.0
    assert gate.pause_remaining("s") == 0.0
    for _ in range(40):
        gate.started("s")
        gate.finished("s", succeeded=True)
    assert gate.limit("s") == 8
    assert gate.limit("other") == 8  # subscriptions are independent
    gate.started("s")
    assert gate.can_start("s")
    with pytest.raises(InvalidInputError):
        SubscriptionGate(0)


def test_scheduler_passes_over_a_paused_subscription() -> None:
    """The pure scheduling shared by both drivers: a throttled item is queued again, its subscription's items
    are passed over until the pause ends, the next subscription's run meanwhile; idle workers learn how long
    to sleep, or (limits only) that they must wait for a finish."""
    now = [0.0]
    sub_a, sub_b = "a" * 8, "b" * 8
    items = [
        BulkItem(i, f"/subscriptions/{sub}/v{i}", sub, None, f"v{i}")
        for i, sub in enumerate((sub_a, sub_a, sub_b))
    ]
    scheduler = _Scheduler(items, SubscriptionGate(2, clock=lambda: now[0]), max_attempts=3)
    assert scheduler.take(0.0) == (items[0], 1)
    throttled = ThrottledError("t", status=429, code="SubscriptionRequestsThrottled")
    assert scheduler.finish(items[0], 1, throttled, 0.0) is None  # queued again, A paused for 1 s
    assert scheduler.take(0.0) == (items[2], 1)  # a1 and the retry of a0 are passed over
    assert scheduler.next(0.0) == 1.0 and scheduler.wake_in(0.5) == 0.5
    assert scheduler.take(1.0) == (items[1], 1)  # a1 first (input order); A's limit is 1 now
    assert scheduler.next(1.0) is None and not scheduler.all_done  # a0 waits for a1 to finish
    done = scheduler.finish(items[1], 1, InvalidInputError("bad"), 1.0)
    assert done is not None and isinstance(done.error, InvalidInputError) and done.attempts == 1
    assert scheduler.take(1.0) == (items[0], 2)
    for item, attempts in ((items[0], 2), (items[2], 1)):
        assert scheduler.finish(item, attempts, InvalidInputError("bad"), 1.0) is not None
    assert scheduler.all_done and scheduler.next(1.0) is None


def test_classify() -> None:
    assert classify(ThrottledError("t", status=429), 1) is not None
    decision = classify(ConflictError("c", code="AnotherOperationInProgress", status=409), 3)
    assert (
        decision is not None and decision.kind == "conflict" and decision.delay == 4.0 and decision.slow_down
    )
    transient = classify(TransportError("x"), 1)
    assert transient is not None and transient.kind == "transient" and not transient.slow_down
    assert classify(NotFoundError("n", status=404, code="ResourceGroupNotFound"), 1) is None
    assert classify(PoolExhaustedError("p", status=400), 1) is None
    assert classify(InvalidInputError("bad"), 1) is None


def test_deployment_spec_is_a_value() -> None:
    spec = DeploymentSpec(
        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v",
        "eastus",
        "/p",
        16,
        [SubnetSpec("a", 8)],  # type: ignore[arg-type]
    )
    assert spec.subnets == (SubnetSpec("a", 8),)
    assert spec.deploy_kwargs()["number_of_ip_addresses"] == 16
    assert BulkItemResult("v").ok is False


# ---- never losing a result (issue 16) ------------------------------------------------------------------


def _one_vnet_read_breaks(emu: AzureEmulator, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline Azure answers the GET of VNet ``name`` with a 200 whose body is a JSON list: parsing it blows
    up inside the client with an ``AttributeError`` (not an Azure error, not a crossipam error). The list of its
    resource group breaks the same way, so that bulk reads each VNet on its own (a failed list is no failure)."""
    original = emu.handle

    def handle(req: Request) -> Response:
        path = req.path.lower()
        if req.method == "GET" and (
            path.endswith(f"/virtualnetworks/{name}") or path.endswith("/virtualnetworks")
        ):
            return Response(200, {"Content-Type": "application/json"}, b"[1, 2]")
        return original(req)

    monkeypatch.setattr(emu, "handle", handle)


def _three_specs(info: ScenarioInfo) -> list[DeploymentSpec]:
    return [
        DeploymentSpec(info.vnet_id(name), info.location, info.pool_id, 16)
        for name in ("vnet-first", "vnet-broken", "vnet-last")
    ]


def _check_broken_middle(
    emu: AzureEmulator, info: ScenarioInfo, specs: list[DeploymentSpec], results: list[BulkItemResult]
) -> None:
    assert [r.vnet_id for r in results] == [str(s.vnet_id) for s in specs]
    first, broken, last = results
    check_deployed_once(emu, info, [specs[0], specs[2]], [first, last])
    assert not broken.ok and broken.attempts == 1  # final: an unexpected failure is not retried
    assert type(broken.error) is CrossIpamError and isinstance(broken.error.__cause__, AttributeError)
    assert "vnet-broken" in str(broken.error) and "AttributeError" in str(broken.error)


@pytest.mark.parametrize(
    ("retry_after", "waited"),
    [("soon", 1.0), ("0.5x", 1.0), ("", 1.0), ("-3", 1.0), ("inf", 1.0), ("1e3", 1.0), ("7", 7.0)],
)
def test_an_unreadable_retry_after_means_the_normal_backoff(
    azure_emulator: AzureEmulator,
    clock: FakeClock,
    retry_after: str,
    waited: float,
    info_of: InfoOf,
    make_client: MakeClient,
) -> None:
    """A 429 whose ``Retry-After`` cannot be read is a 429 without one: the item waits the bulk backoff (1 s
    after the first attempt) and succeeds; a readable value (the ``"7"`` row) is honoured."""
    emu = azure_emulator
    info = info_of(emu)
    fault = emu.faults.add("PUT", VNET_PUT, status=429, code="TooManyRequests", retry_after=retry_after)
    spec = DeploymentSpec(info.vnet_id("vnet-soon"), info.location, info.pool_id, 16)
    with make_client(emu, **BULK_CLIENT) as client:
        [result] = client.deploy_many([spec], sleep=clock.sleep, clock=clock.time)
    assert fault.hits == 1 and result.ok and result.attempts == 2, result.error
    assert clock.slept == [waited]


async def test_async_an_unreadable_retry_after_means_the_normal_backoff(
    azure_emulator: AzureEmulator, clock: FakeClock, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    emu.faults.add("PUT", VNET_PUT, status=429, code="TooManyRequests", retry_after="soon", times=2)
    specs = [DeploymentSpec(info.vnet_id(f"vnet-soon{i}"), info.location, info.pool_id, 16) for i in range(2)]
    async with make_async_client(emu, **BULK_CLIENT) as client:
        results = await client.deploy_many(specs, sleep=clock.async_sleep, clock=clock.time)
    assert all(r.ok for r in results) and sum(r.attempts for r in results) == 4
    assert clock.slept and set(clock.slept) == {1.0}


@pytest.mark.parametrize("retry_after", ["soon", "0.5x", "-3", "Mon, 32 Jan 2024 00:00:00 GMT"])
def test_an_unreadable_retry_after_does_not_break_azure_core_retries(
    azure_emulator: AzureEmulator, retry_after: str, info_of: InfoOf, cloud_of: CloudOf
) -> None:
    """With azure-core's default status retries, its ``RetryPolicy`` would raise ``ValueError("Invalid HTTP
    date")`` on ``Retry-After: soon``; the client's pipelines drop the unreadable value first, so azure-core
    backs off as usual and the deployment converges."""
    emu = azure_emulator
    info = info_of(emu)
    fault = emu.faults.add("PUT", VNET_PUT, status=429, code="TooManyRequests", retry_after=retry_after)
    with CrossTenantIpamClient.from_client_secret(
        info.app.client_id,
        info.app.client_secret,
        managed_tenant_id=info.managed_tenant_id,
        management_tenant_id=info.management_tenant_id,
        cloud=cloud_of(info),
        transport=emu.transport(),
        polling_interval=0,
        retry_backoff_factor=0,
    ) as client:
        deployed = client.begin_deploy_virtual_network(
            info.vnet_id("vnet-core"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
        ).result()
    assert deployed.action == "created" and fault.hits == 1


async def test_async_an_unreadable_retry_after_does_not_break_azure_core_retries(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    cloud_of: CloudOf,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    fault = emu.faults.add("PUT", VNET_PUT, status=429, code="TooManyRequests", retry_after="soon")
    async with crossipam_aio.CrossTenantIpamClient.from_client_secret(
        info.app.client_id,
        info.app.client_secret,
        managed_tenant_id=info.managed_tenant_id,
        management_tenant_id=info.management_tenant_id,
        cloud=cloud_of(info),
        transport=emu.async_transport(),
        polling_interval=0,
        retry_backoff_factor=0,
    ) as client:
        poller = await client.begin_deploy_virtual_network(
            info.vnet_id("vnet-core"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
        )
        deployed = await poller.result()
    assert deployed.action == "created" and fault.hits == 1


def _refused_calls(info: Any) -> list[tuple[str, Any, dict[str, Any]]]:
    """(method, first argument, keywords) of bulk calls refused before any request."""
    spec = DeploymentSpec(info.vnet_id("vnet-x"), info.location, info.pool_id, 16)
    vnet = info.vnet_id("vnet-x")
    return [
        ("deploy_many", vnet, {}),  # a string: must not deploy each character
        ("deploy_many", vnet.encode(), {}),
        ("deploy_many", spec, {}),  # a single spec
        ("deploy_many", {"a": spec}, {}),  # a mapping
        ("deploy_many", None, {}),
        ("deploy_many", 3, {}),
        ("deploy_many", [spec], {"max_concurrency": 0}),
        ("deploy_many", [spec], {"max_concurrency": -1}),
        ("deploy_many", [spec], {"max_concurrency": True}),
        ("deploy_many", [spec], {"max_concurrency": 2.0}),
        ("deploy_many", [spec], {"max_concurrency": "8"}),
        ("deploy_many", [], {"max_concurrency": 0}),  # checked even when there is nothing to do
        ("deploy_many", [spec], {"max_attempts": 0}),
        ("deploy_many", [spec], {"max_attempts": False}),
        ("deploy_many", [spec], {"max_attempts": 1.5}),
        ("deploy_many", [spec], {"on_progress": "print"}),
        ("remove_many", vnet, {}),
        ("remove_many", spec, {}),
        ("remove_many", VirtualNetworkId.parse(vnet), {}),
        ("remove_many", {vnet: spec}, {}),
        ("remove_many", [vnet], {"max_concurrency": 0}),
        ("remove_many", [vnet], {"max_attempts": -2}),
    ]


def test_bad_bulk_calls_are_refused_before_any_token_request(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    emu.journal.clear()
    with make_client(emu, **BULK_CLIENT) as client:
        for method, first, kwargs in _refused_calls(info):
            with pytest.raises(InvalidInputError):
                getattr(client, method)(first, **kwargs)
        assert client.deploy_many([]) == [] and client.remove_many([]) == []
        assert client.deploy_many(iter([])) == [] and client.remove_many(()) == []
    assert len(emu.journal.token_requests()) == 0 and len(emu.journal) == 0


async def test_async_bad_bulk_calls_are_refused_before_any_token_request(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    make_async_client: MakeAsyncClient,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    emu.journal.clear()
    async with make_async_client(emu, **BULK_CLIENT) as client:
        for method, first, kwargs in _refused_calls(info):
            with pytest.raises(InvalidInputError):
                await getattr(client, method)(first, **kwargs)
        assert await client.deploy_many([]) == [] and await client.remove_many([]) == []
    assert len(emu.journal.token_requests()) == 0 and len(emu.journal) == 0


def test_a_single_string_is_named_in_the_refusal(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    with (
        make_client(emu, **BULK_CLIENT) as client,
        pytest.raises(InvalidInputError, match=r"a single str") as caught,
    ):
        client.remove_many(info.vnet_id("v"))
    assert caught.value.hint is not None and "remove_many([value])" in caught.value.hint


def test_a_generator_of_specs_is_accepted(
    azure_emulator: AzureEmulator, clock: FakeClock, make_client: MakeClient, info_of: InfoOf
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    specs = _three_specs(info)
    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many((s for s in specs), sleep=clock.sleep, clock=clock.time)
    check_deployed_once(emu, info, specs, results)


def test_an_unexpected_exception_is_that_items_failure(
    azure_emulator: AzureEmulator,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    make_client: MakeClient,
    info_of: InfoOf,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    specs = _three_specs(info)
    _one_vnet_read_breaks(emu, "vnet-broken", monkeypatch)
    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many(specs, max_concurrency=2, sleep=clock.sleep, clock=clock.time)
    _check_broken_middle(emu, info, specs, results)


async def test_async_an_unexpected_exception_is_that_items_failure(
    azure_emulator: AzureEmulator,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    make_async_client: MakeAsyncClient,
    info_of: InfoOf,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    specs = _three_specs(info)
    _one_vnet_read_breaks(emu, "vnet-broken", monkeypatch)
    async with make_async_client(emu, **BULK_CLIENT) as client:
        results = await client.deploy_many(
            specs, max_concurrency=2, sleep=clock.async_sleep, clock=clock.time
        )
    _check_broken_middle(emu, info, specs, results)


def test_a_raising_on_progress_loses_nothing(
    azure_emulator: AzureEmulator, clock: FakeClock, make_client: MakeClient, info_of: InfoOf
) -> None:
    """``on_progress`` is the caller's code: its exception is logged and ignored (the item's result is final
    already — a VNet that was deployed is not reported as failed)."""
    emu = azure_emulator
    info = info_of(emu)
    specs = _three_specs(info)
    calls: list[int] = []

    def progress(done: int, total: int, item: BulkItemResult) -> None:
        calls.append(done)
        raise RuntimeError("callback bug")

    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many(specs, on_progress=progress, sleep=clock.sleep, clock=clock.time)
    check_deployed_once(emu, info, specs, results)
    assert calls == [1, 2, 3]


def _sleep_fails_scenario(emu: AzureEmulator, info: ScenarioInfo) -> tuple[list[DeploymentSpec], Any]:
    """a0 is throttled (Retry-After 5) and pauses subscription A; a1 (A) waits for the pause; b0 (B) runs."""
    sub_b = add_second_subscription(emu, info)
    specs = [
        DeploymentSpec(info.vnet_id("vnet-a0"), info.location, info.pool_id, 16),
        DeploymentSpec(info.vnet_id("vnet-a1"), info.location, info.pool_id, 16),
        DeploymentSpec(vnet_in(sub_b, SECOND_RG, "vnet-b0"), info.location, info.pool_id, 16),
    ]
    fault = emu.faults.add(
        "PUT", r"/virtualNetworks/vnet-a0$", status=429, code="SubscriptionRequestsThrottled", retry_after=5
    )
    return specs, fault


def _check_sleep_failed(
    emu: AzureEmulator, info: ScenarioInfo, specs: list[DeploymentSpec], results: list[BulkItemResult]
) -> None:
    a0, a1, b0 = results
    assert [r.vnet_id for r in results] == [str(s.vnet_id) for s in specs]
    assert isinstance(a0.error, ThrottledError) and a0.attempts == 1  # its last error
    assert type(a1.error) is CrossIpamError and a1.attempts == 0 and "was not run" in a1.error.message
    assert isinstance(a1.error.__cause__, RuntimeError)
    check_deployed_once(emu, info, [specs[2]], [b0])
    assert not emu.journal.entries(service="arm", method="PUT", path=r"/virtualNetworks/vnet-a1$")


def test_a_raising_sleep_ends_only_the_waiting_items(
    azure_emulator: AzureEmulator, make_client: MakeClient, info_of: InfoOf, mocker: MockerFixture
) -> None:
    """``sleep`` is the caller's hook; if it raises, the items that were waiting for time cannot wait: they end
    (the throttled one with its 429, the one never run with an error saying so), the rest runs on."""
    emu = azure_emulator
    info = info_of(emu)
    specs, fault = _sleep_fails_scenario(emu, info)

    sleep = mocker.Mock(side_effect=RuntimeError("sleep hook bug"))
    with make_client(emu, **BULK_CLIENT) as client:
        results = client.deploy_many(specs, max_concurrency=1, sleep=sleep, clock=lambda: 0.0)
    assert fault.hits == 1
    sleep.assert_called_once_with(5.0)  # a1 was to wait out A's pause (Retry-After: 5)
    _check_sleep_failed(emu, info, specs, results)


async def test_async_a_raising_sleep_ends_only_the_waiting_items(
    azure_emulator: AzureEmulator, make_async_client: MakeAsyncClient, info_of: InfoOf, mocker: MockerFixture
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    specs, fault = _sleep_fails_scenario(emu, info)

    sleep = mocker.AsyncMock(side_effect=RuntimeError("sleep hook bug"))
    async with make_async_client(emu, **BULK_CLIENT) as client:
        results = await client.deploy_many(specs, max_concurrency=1, sleep=sleep, clock=lambda: 0.0)
    assert fault.hits == 1
    sleep.assert_awaited_once_with(5.0)  # a1 was to wait out A's pause (Retry-After: 5)
    _check_sleep_failed(emu, info, specs, results)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_raising_clock_loses_nothing(
    azure_emulator: AzureEmulator,
    flavour: str,
    make_client: MakeClient,
    make_async_client: MakeAsyncClient,
    info_of: InfoOf,
) -> None:
    """A ``clock`` that starts raising mid-batch: the batch goes on with ``time.monotonic`` (logged)."""
    emu = azure_emulator
    info = info_of(emu)
    specs = _three_specs(info)
    calls = [0]

    def clock() -> float:
        calls[0] += 1
        if calls[0] > 3:
            raise RuntimeError("clock hook bug")
        return 0.0

    if flavour == "sync":
        with make_client(emu, **BULK_CLIENT) as client:
            results = client.deploy_many(specs, max_concurrency=2, clock=clock)
    else:

        async def run() -> list[BulkItemResult]:
            async with make_async_client(emu, **BULK_CLIENT) as client:
                return await client.deploy_many(specs, max_concurrency=2, clock=clock)

        results = asyncio.run(run())
    check_deployed_once(emu, info, specs, results)


# ---- never losing a result: the pure parts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "seconds"),
    [
        ("5", 1.0, 5.0),
        (" 7 ", 1.0, 7.0),
        ("1.5", 1.0, 1.5),
        ("250", 0.001, 0.25),
        (b"4", 1.0, 4.0),
        ("0", 1.0, 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1.0, 0.0),  # in the past: no wait
        ("soon", 1.0, None),
        ("0.5x", 1.0, None),
        ("", 1.0, None),
        ("   ", 1.0, None),
        ("-3", 1.0, None),
        ("+3", 1.0, None),
        ("1e3", 1.0, None),
        ("1_000", 1.0, None),
        ("inf", 1.0, None),
        ("nan", 1.0, None),
        ("9" * 400, 1.0, None),  # overflows to inf
        ("Mon, 32 Jan 2024 00:00:00 GMT", 1.0, None),  # no such day
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.001, None),  # a date is not milliseconds
        (None, 1.0, None),
        (5, 1.0, None),
    ],
)
def test_parse_retry_after(value: object, unit: float, seconds: float | None) -> None:
    assert parse_retry_after(value, unit=unit) == seconds


def test_parse_retry_after_reads_a_future_http_date() -> None:
    when = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc), usegmt=True)
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    assert parse_retry_after(when, now=lambda: now - 30) == pytest.approx(30, abs=1.5)


class _Answered(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("answered")
        self.response = types.SimpleNamespace(headers=headers)


def test_the_bulk_layer_reads_retry_after_tolerantly() -> None:
    def throttled(headers: dict[str, str]) -> ThrottledError:
        err = ThrottledError("t", status=429, code="TooManyRequests")
        err.__cause__ = _Answered(headers)
        return err

    assert retry_after_seconds(throttled({"Retry-After": "soon"})) is None
    assert retry_after_seconds(throttled({"retry-after": "-1", "x-ms-retry-after-ms": "2500"})) == 2.5
    assert retry_after_seconds(throttled({"retry-after-ms": "x", "Retry-After": "3"})) == 3.0
    decision = classify(throttled({"Retry-After": "0.5x"}), 3)
    assert decision is not None and decision.delay == 4.0  # the normal backoff of a third attempt
    weird = ThrottledError("t", status=429)
    weird.__cause__ = _Answered({})
    weird.__cause__.response = types.SimpleNamespace(headers=42)  # not a mapping
    assert retry_after_seconds(weird) is None


def _deployment(vnet: str) -> VirtualNetworkDeployment:
    return VirtualNetworkDeployment(VirtualNetworkId.parse(vnet), "eastus", action="created")


class _Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


def _failing_attempts() -> tuple[list[BulkItem], dict[str, BaseException]]:
    vnets = [vnet_in("5" * 8 + "-0000-4000-8000-" + "0" * 12, "rg", f"vnet-{i}") for i in range(6)]
    failures: dict[str, BaseException] = {
        vnets[1]: KeyError("properties"),
        vnets[2]: TypeError("'NoneType' object is not subscriptable"),
        vnets[3]: AzureError("an azure-core error nobody mapped"),
        vnets[4]: _Unprintable(),
    }
    return bulk_items(vnets), failures


def _check_failing_attempts(items: list[BulkItem], results: list[BulkItemResult]) -> None:
    assert [r.vnet_id for r in results] == [i.vnet_id for i in items]
    assert [r.ok for r in results] == [True, False, False, False, False, True]
    # not an Azure answer: final at once; an unmapped azure-core error is transient: retried up to max_attempts
    assert [r.attempts for r in results] == [1, 1, 1, 2, 1, 1]
    key, type_, azure, unprintable = (r.error for r in results[1:5])
    assert type(key) is CrossIpamError and isinstance(key.__cause__, KeyError)
    assert type(type_) is CrossIpamError and "TypeError" in str(type_)
    assert isinstance(azure, TransportError) and isinstance(azure.__cause__, AzureError)
    assert type(unprintable) is CrossIpamError and "<unprintable>" in str(unprintable)


def test_run_sync_turns_any_exception_into_that_items_failure() -> None:
    items, failures = _failing_attempts()

    def attempt(item: BulkItem) -> VirtualNetworkDeployment:
        if item.vnet_id in failures:
            raise failures[item.vnet_id]
        return _deployment(item.vnet_id)

    clock = FakeClock()
    results = run_sync(items, attempt, max_concurrency=3, max_attempts=2, sleep=clock.sleep, clock=clock.time)
    _check_failing_attempts(items, results)


async def test_run_async_turns_any_exception_into_that_items_failure() -> None:
    items, failures = _failing_attempts()

    async def attempt(item: BulkItem) -> VirtualNetworkDeployment:
        await asyncio.sleep(0)
        if item.vnet_id in failures:
            raise failures[item.vnet_id]
        return _deployment(item.vnet_id)

    clock = FakeClock()
    results = await run_async(
        items, attempt, max_concurrency=3, max_attempts=2, sleep=clock.async_sleep, clock=clock.time
    )
    _check_failing_attempts(items, results)


def test_a_failing_retry_decision_ends_the_item_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should deciding on a retry itself fail (a bug), the item ends with its error; the others go on."""
    items = bulk_items(
        [vnet_in("5" * 8 + "-0000-4000-8000-" + "0" * 12, "rg", f"vnet-{i}") for i in range(3)]
    )

    def broken_classify(error: CrossIpamError, attempt: int) -> RetryDecision | None:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(bulk_module, "classify", broken_classify)

    def attempt(item: BulkItem) -> VirtualNetworkDeployment:
        if item.index == 1:
            raise ThrottledError("t", status=429)
        return _deployment(item.vnet_id)

    results = run_sync(items, attempt, max_concurrency=2)
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, ThrottledError) and results[1].attempts == 1


def test_one_retry_budget_per_operation(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    """A conflict is retried by one layer only: a single call re-reads ``conflict_retries`` times; a bulk item
    leaves its conflicts to the bulk scheduler, so ``max_attempts`` PUTs in all (not 5 inside each of them)."""
    from crossipam import ConflictError

    emu = azure_emulator
    info = info_of(emu)
    emu.faults.add(
        "PUT", r"/virtualNetworks/vnet-budget$", status=409, code="AnotherOperationInProgress", times=100
    )
    spec = DeploymentSpec(info.vnet_id("vnet-budget"), info.location, info.pool_id, 16)
    with make_client(emu, conflict_retries=2) as client:
        [result] = client.deploy_many([spec], max_attempts=3, sleep=lambda _s: None)
        assert not result.ok and isinstance(result.error, ConflictError) and result.attempts == 3
        puts = emu.journal.entries(service="arm", method="PUT", path="/virtualNetworks/vnet-budget")
        assert len(puts) == 3
        emu.journal.clear()
        with pytest.raises(ConflictError):
            client.begin_deploy_virtual_network(
                spec.vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
            )
        puts = emu.journal.entries(service="arm", method="PUT", path="/virtualNetworks/vnet-budget")
        assert len(puts) == 3  # conflict_retries=2: the first PUT and two more
