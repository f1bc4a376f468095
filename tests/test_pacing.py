"""Bulk paces each subscription by ARM's remaining-budget headers instead of bouncing off its buckets: against
an offline Azure throttling like ARM (buckets of a tenth of ARM's size refilled at ARM's rate, so that a test of
60 VNets meets them), fewer than 1% of the requests are answered 429 and no item fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from crossipam import DeploymentSpec
from crossipam._pacing import RateBudgets
from crossipam.testing import ARM_THROTTLE_LIMITS, AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, MakeAsyncClient, MakeClient

N = 60
# ARM's buckets at a tenth of their size, refilled ten times as fast: 20 writes (10 per second), 25 reads (25 per
# second) per principal — a bulk run of 60 VNets spends each bucket about three times over
SMALL = ARM_THROTTLE_LIMITS.scaled(0.1, time_factor=0.1)


async def test_bulk_paces_by_the_remaining_budget_and_is_not_throttled(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    driver: str,
    make_client: MakeClient,
    make_async_client: MakeAsyncClient,
) -> None:
    emu = azure_emulator
    emu.settings.throttle = SMALL
    info = info_of(emu)
    specs = [
        DeploymentSpec(info.vnet_id(f"vnet-paced-{i:02d}"), info.location, info.pool_id, 16) for i in range(N)
    ]
    emu.journal.clear()
    if driver == "sync":
        with make_client(emu) as client:
            results = client.deploy_many(specs, max_concurrency=8)
    else:
        async with make_async_client(emu) as aclient:
            results = await aclient.deploy_many(specs, max_concurrency=8)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    arm = emu.journal.entries(service="arm")
    throttled = [e for e in arm if e.status == 429]
    assert len(throttled) < 0.01 * len(arm), (len(throttled), len(arm))
    # the starts were spread, counted rather than timed: three buckets' worth of writes were accepted with (almost)
    # no 429, which the offline Azure's bucket only allows once its refill has paid for them
    writes = SMALL.writes
    assert writes is not None and 3 * writes.capacity <= N
    accepted = [e for e in arm if e.method == "PUT" and e.status in (200, 201)]
    assert len(accepted) == N
    assert all(r.attempts == 1 for r in results)


def test_the_budget_estimates_level_and_refill_from_the_headers() -> None:
    now = [0.0]
    budgets = RateBudgets(clock=lambda: now[0])
    header = "x-ms-ratelimit-remaining-subscription-writes"

    def items(count: int, remaining: str | None = None) -> None:
        """``count`` items of one write each, started, sent and answered (the last answer says ``remaining``)."""
        for i in range(count):
            budgets.started("s")
            budgets.sent("s", "PUT")
            last = remaining is not None and i == count - 1
            budgets.observed("s", {header: remaining} if last else {}, "PUT")

    assert budgets.start_delay("s", running=0) == 0.0  # nothing said yet: no pacing
    items(1, "199")
    assert budgets.start_delay("s", running=4) == 0.0  # plenty left
    items(99, "100")
    # 100 more writes answered in 5 s and the bucket holds as much as before: it refilled 20 per second (the
    # estimate moves half way from ARM's documented 10 per second)
    now[0] = 5.0
    items(100, "100")
    now[0] = 5.01
    items(100, "0")  # measured again since the figure of 100 at 0 s: (0 - 100 + 200) / 5.01 per second
    refill = (15 + (0 - 100 + 200) / 5.01) / 2
    # one more item needs its write, a token to spare and a reserve of a tenth of the most the bucket held;
    # pacing counts on 90% of the refill
    need = 1 + 1 + 0.1 * 199
    assert budgets.start_delay("s", running=4) == pytest.approx(need / (0.9 * refill), rel=0.01)
    budgets.started("s")  # an item started and has not sent its write yet: it owes one more
    assert budgets.start_delay("s", running=4) == pytest.approx((need + 1) / (0.9 * refill), rel=0.01)
    budgets.sent("s", "PUT")
    now[0] = 6.61  # refilled meanwhile
    assert budgets.start_delay("s", running=4) == 0.0
    assert budgets.start_delay("other", running=4) == 0.0
    # a bucket nobody measured refills at ARM's documented rate (25 reads per second); an item costs 2 reads
    fresh = RateBudgets(clock=lambda: 0.0)
    fresh.sent("t", "GET")
    fresh.observed("t", {"x-ms-ratelimit-remaining-subscription-reads": "0"}, "GET")
    assert fresh.start_delay("t", running=0) == pytest.approx((2.0 + 1.0) / (0.9 * 25.0))
