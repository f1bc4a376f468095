"""Bulk starts no faster than the client can run them (``crossipam._bulk_spacing``): a wave that starts at once is
spread, consecutive starts keep the client's CPU time per item apart, and both clients' ``deploy_many`` space
their starts with real time (and not with a caller's fake clock). The CPU clock is a fake here: only its
readings matter."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from crossipam import CrossTenantIpamClient, DeploymentSpec, ThrottledError, VirtualNetworkId
from crossipam.bulk import StartSpacing, bulk_items, run_async, run_sync
from crossipam.models import VirtualNetworkDeployment
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from pytest_mock import MockerFixture

    from crossipam._bulk_items import BulkItem

    from .fixtures.clients import InfoOf, MakeAsyncClient, MakeClient

SUB = "00000000-0000-0000-0000-0000000000aa"


class FakeCpu:
    """The process's CPU seconds, as a test sets them."""

    def __init__(self, seconds: float = 100.0) -> None:
        self.seconds = seconds

    def __call__(self) -> float:
        return self.seconds


def test_a_wave_started_at_once_is_spread_by_the_first_interval() -> None:
    spacing = StartSpacing(FakeCpu(), first=0.004)
    assert [spacing.reserve(10.0) for _ in range(4)] == pytest.approx([0.0, 0.004, 0.008, 0.012])


def test_a_start_later_than_its_place_waits_nothing_and_the_next_keeps_its_distance() -> None:
    spacing = StartSpacing(FakeCpu(), first=0.004)
    assert spacing.reserve(10.0) == 0.0
    assert spacing.reserve(10.5) == 0.0  # long after the previous start
    assert spacing.reserve(10.5) == pytest.approx(0.004)  # but the next is an interval after it
    assert spacing.reserve(10.501) == pytest.approx(0.007)


def test_the_interval_is_the_cpu_time_per_item_started_once_half_have_ended() -> None:
    cpu = FakeCpu(100.0)
    spacing = StartSpacing(cpu, first=0.004, most=0.02)
    cpu.seconds = 50.0  # what the process spent before the run's first start is not an item's
    for _ in range(4):
        spacing.started()
    cpu.seconds = 50.012
    assert spacing.interval() == 0.004  # 3 ms per item so far, but none ended: at least `first`
    spacing.finished()
    assert spacing.interval() == 0.004  # one that failed at once does not end the first wave's spread
    spacing.finished()
    assert spacing.interval() == pytest.approx(0.003)  # half ended: 12 ms of CPU for 4 items started
    cpu.seconds = 50.032
    assert spacing.interval() == pytest.approx(0.008)
    assert spacing.reserve(1.0) == 0.0
    assert spacing.reserve(1.0) == pytest.approx(0.008)


def test_the_interval_is_bounded() -> None:
    cpu = FakeCpu(0.0)
    spacing = StartSpacing(cpu, first=0.004, most=0.02)
    spacing.started()
    spacing.finished()
    cpu.seconds = 3.0  # other work of the process: 3 s of CPU for one item
    assert spacing.interval() == 0.02
    cpu.seconds = -1.0  # a clock that went back measures nothing
    assert spacing.interval() == 0.0


def test_a_clock_that_went_back_does_not_leave_a_start_waiting_for_a_place_far_ahead() -> None:
    spacing = StartSpacing(FakeCpu(), first=0.004)
    assert spacing.reserve(5000.0) == 0.0  # a fake clock's time …
    assert spacing.reserve(2.0) == 0.0  # … then the real one: no wait of 4,998 s
    assert spacing.reserve(2.0) == pytest.approx(0.004)


def _items(n: int) -> list[BulkItem]:
    return bulk_items(
        [
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v{i}"
            for i in range(n)
        ]
    )


def _deployment(item: BulkItem) -> VirtualNetworkDeployment:
    return VirtualNetworkDeployment(VirtualNetworkId.parse(item.vnet_id), "eastus", action="created")


def test_run_sync_spreads_its_first_wave_and_measures_the_items_it_ran() -> None:
    cpu, waits = FakeCpu(10.0), list[float]()
    spacing = StartSpacing(cpu, first=0.004)
    all_started = threading.Barrier(4, timeout=30)
    lock = threading.Lock()

    def attempt(item: BulkItem) -> VirtualNetworkDeployment:
        all_started.wait()  # no item ends before every worker reserved its start
        with lock:
            cpu.seconds += 0.005
        return _deployment(item)

    results = run_sync(
        _items(4), attempt, max_concurrency=4, sleep=waits.append, clock=lambda: 0.0, spacing=spacing
    )
    assert [r.ok for r in results] == [True] * 4
    assert sorted(waits) == pytest.approx([0.004, 0.008, 0.012])  # the first start did not wait
    assert spacing.interval() == pytest.approx(0.005)  # 20 ms of CPU for 4 items: every finish was counted


async def test_run_async_spreads_its_first_wave_and_measures_the_items_it_ran() -> None:
    cpu, waits = FakeCpu(10.0), list[float]()
    spacing = StartSpacing(cpu, first=0.004)
    started, all_started = 0, asyncio.Event()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def attempt(item: BulkItem) -> VirtualNetworkDeployment:
        nonlocal started
        started += 1
        if started == 4:
            all_started.set()
        await all_started.wait()
        cpu.seconds += 0.005
        return _deployment(item)

    results = await run_async(
        _items(4), attempt, max_concurrency=4, sleep=sleep, clock=lambda: 0.0, spacing=spacing
    )
    assert [r.ok for r in results] == [True] * 4
    assert sorted(waits) == pytest.approx([0.004, 0.008, 0.012])
    assert spacing.interval() == pytest.approx(0.005)


def test_a_raising_sleep_lets_the_item_start_at_once() -> None:
    cpu, calls = FakeCpu(0.0), list[float]()

    def sleep(seconds: float) -> None:
        calls.append(seconds)
        raise RuntimeError("no sleeping here")

    def attempt(item: BulkItem) -> VirtualNetworkDeployment:
        cpu.seconds += 0.005
        return _deployment(item)

    spacing = StartSpacing(cpu, first=0.004)
    results = run_sync(_items(3), attempt, max_concurrency=1, sleep=sleep, clock=lambda: 0.0, spacing=spacing)
    assert [r.ok for r in results] == [True] * 3
    # each later start had a place to wait for (5 ms apart on a clock that stands still), and ran anyway
    assert calls == pytest.approx([0.005, 0.010])


class _Answered(Exception):
    """The answer behind an error: what `retry_after_seconds` reads ``Retry-After`` from."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("answered")
        self.response = SimpleNamespace(headers=headers)


async def test_an_item_waiting_for_its_place_does_not_start_into_a_pause_that_began_meanwhile() -> None:
    clock, spacing = [0.0], StartSpacing(FakeCpu(), first=0.004)
    waiting, started_at = asyncio.Event(), dict[str, list[float]]()

    async def sleep(seconds: float) -> None:
        waiting.set()  # the second worker waits for its place …
        for _ in range(5):
            await asyncio.sleep(0)  # … while the first item is throttled, which pauses the subscription
        clock[0] += seconds

    async def attempt(item: BulkItem) -> VirtualNetworkDeployment:
        name = item.vnet_id.rsplit("/", 1)[1]
        started_at.setdefault(name, []).append(clock[0])
        if name == "v0" and len(started_at[name]) == 1:
            await waiting.wait()
            error = ThrottledError("throttled", status=429, code="SubscriptionRequestsThrottled")
            error.__cause__ = _Answered({"Retry-After": "5"})
            raise error
        return _deployment(item)

    results = await run_async(
        _items(2), attempt, max_concurrency=2, sleep=sleep, clock=lambda: clock[0], spacing=spacing
    )
    assert [(r.ok, r.attempts) for r in results] == [(True, 2), (True, 1)]
    assert started_at["v0"][0] == 0.0
    # v1 had its place at 4 ms, but the subscription was paused by then: it started after the pause
    assert started_at["v1"][0] >= 5.0


# ---- wired into both clients' deploy_many (the real SDK against the offline Azure) -------------------------


def _specs(emu: AzureEmulator, info_of: InfoOf, n: int, prefix: str) -> list[DeploymentSpec]:
    info = info_of(emu)
    return [DeploymentSpec(info.vnet_id(f"{prefix}{i}"), info.location, info.pool_id, 16) for i in range(n)]


def test_deploy_many_spaces_its_starts_with_real_time_only(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient, mocker: MockerFixture
) -> None:
    reserve = mocker.spy(StartSpacing, "reserve")
    started = mocker.spy(StartSpacing, "started")
    finished = mocker.spy(StartSpacing, "finished")
    with make_client(azure_emulator) as client:
        assert isinstance(client, CrossTenantIpamClient)
        results = client.deploy_many(_specs(azure_emulator, info_of, 5, "spaced"), max_concurrency=3)
        assert [r.ok for r in results] == [True] * 5
        assert (started.call_count, finished.call_count) == (5, 5)
        assert reserve.call_count >= 5  # every start had its place (a worker may reserve again after a wait)
        reserved = reserve.call_count
        faked = client.deploy_many(
            _specs(azure_emulator, info_of, 2, "faked"), sleep=lambda s: None, clock=lambda: 0.0
        )
    assert [r.ok for r in faked] == [True] * 2
    # a caller's fake clock: no spacing (its places would be real CPU seconds on a clock the test controls)
    assert (reserve.call_count, started.call_count) == (reserved, 5)


async def test_async_deploy_many_spaces_its_starts(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient, mocker: MockerFixture
) -> None:
    started = mocker.spy(StartSpacing, "started")
    finished = mocker.spy(StartSpacing, "finished")
    async with make_async_client(azure_emulator) as client:
        results = await client.deploy_many(_specs(azure_emulator, info_of, 4, "aspaced"), max_concurrency=4)
        removed = await client.remove_many([r.vnet_id for r in results])
    assert [r.ok for r in results + removed] == [True] * 8
    assert (started.call_count, finished.call_count) == (8, 8)  # remove_many is spaced as well
