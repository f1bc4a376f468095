"""Bulk starts no faster than the client can run them (``crossipam._bulk_spacing``): a wave that starts at once is
spread, consecutive starts keep the client's CPU time per item apart, and both clients' ``deploy_many`` space
their starts with real time (and not with a caller's fake clock). The CPU clock is a fake here: only its
readings matter."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

import pytest

from crossipam import CrossTenantIpamClient, DeploymentSpec, VirtualNetworkId
from crossipam._bulk_spacing import StartSpacing
from crossipam.bulk import bulk_items, run_async, run_sync
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
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
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


def test_after_an_item_ended_the_interval_is_the_cpu_time_per_item_started() -> None:
    cpu = FakeCpu(100.0)
    spacing = StartSpacing(cpu, first=0.004, most=0.02)
    cpu.seconds = 50.0  # what the process spent before the run's first start is not an item's
    for _ in range(5):
        spacing.reserve(0.0)
    cpu.seconds = 50.03
    assert spacing.interval() == 0.004  # no item ended yet: the CPU so far is only part of their cost
    spacing.finished()
    assert spacing.interval() == pytest.approx(0.006)  # 30 ms of CPU for 5 items started
    assert spacing.reserve(1.0) == 0.0
    assert spacing.reserve(1.0) == pytest.approx(0.005)  # 30 ms for the 6 started now


def test_the_interval_is_bounded() -> None:
    cpu = FakeCpu(0.0)
    spacing = StartSpacing(cpu, first=0.004, most=0.02)
    spacing.reserve(0.0)
    spacing.finished()
    cpu.seconds = 3.0  # other work of the process: 3 s of CPU for one item
    assert spacing.interval() == 0.02
    cpu.seconds = -1.0  # a clock that went back measures nothing
    assert spacing.interval() == 0.0


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


def test_a_raising_sleep_starts_the_item_at_once() -> None:
    def sleep(seconds: float) -> None:
        raise RuntimeError("no sleeping here")

    spacing = StartSpacing(FakeCpu(), first=0.004)
    results = run_sync(
        _items(3), _deployment, max_concurrency=1, sleep=sleep, clock=lambda: 0.0, spacing=spacing
    )
    assert [r.ok for r in results] == [True] * 3


# ---- wired into both clients' deploy_many (the real SDK against the offline Azure) -------------------------


def _specs(emu: AzureEmulator, info_of: InfoOf, n: int, prefix: str) -> list[DeploymentSpec]:
    info = info_of(emu)
    return [DeploymentSpec(info.vnet_id(f"{prefix}{i}"), info.location, info.pool_id, 16) for i in range(n)]


def test_deploy_many_spaces_its_starts_with_real_time_only(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient, mocker: MockerFixture
) -> None:
    reserve = mocker.spy(StartSpacing, "reserve")
    finished = mocker.spy(StartSpacing, "finished")
    with make_client(azure_emulator) as client:
        assert isinstance(client, CrossTenantIpamClient)
        results = client.deploy_many(_specs(azure_emulator, info_of, 5, "spaced"), max_concurrency=3)
        assert [r.ok for r in results] == [True] * 5
        assert (reserve.call_count, finished.call_count) == (5, 5)
        faked = client.deploy_many(
            _specs(azure_emulator, info_of, 2, "faked"), sleep=lambda s: None, clock=lambda: 0.0
        )
    assert [r.ok for r in faked] == [True] * 2
    assert reserve.call_count == 5  # a caller's fake clock: no spacing (it would measure no CPU)


async def test_async_deploy_many_spaces_its_starts(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient, mocker: MockerFixture
) -> None:
    reserve = mocker.spy(StartSpacing, "reserve")
    async with make_async_client(azure_emulator) as client:
        results = await client.deploy_many(_specs(azure_emulator, info_of, 4, "aspaced"), max_concurrency=4)
        removed = await client.remove_many([r.vnet_id for r in results])
    assert [r.ok for r in results + removed] == [True] * 8
    assert reserve.call_count == 8  # remove_many is spaced as well
