"""Bulk paces each subscription by ARM's remaining-budget headers instead of bouncing off its buckets: against
an offline Azure throttling like ARM (buckets of a tenth of ARM's size refilled at ARM's rate, so that a test of
60 VNets meets them), fewer than 1% of the requests are answered 429 and no item fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from crossipam import DeploymentSpec
from crossipam._pacing import RateBudgets, reserve
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

    def items(count: int, remaining: str | None = None, *, free: bool = True) -> None:
        """``count`` items of one write each, started, sent and answered (the last answer says ``remaining``);
        ``free``: the bucket had the tokens, so no write waited."""
        for i in range(count):
            budgets.started("s")
            wait = budgets.sent("s", "PUT")
            assert wait == 0.0 or not free
            last = remaining is not None and i == count - 1
            budgets.observed("s", {header: remaining} if last else {}, "PUT")

    assert budgets.start_delay("s", running=0) == 0.0  # nothing said yet: no pacing
    items(1, "199")
    assert budgets.start_delay("s", running=4) == 0.0  # plenty left
    items(99, "100")
    # 100 more writes answered in 5 s and the bucket holds as much as before: it refilled 20 per second since it
    # was last seen (nearly) full, at 199 after a write (the estimate moves half way from ARM's documented 10 per
    # second)
    now[0] = 5.0
    items(100, "100")
    now[0] = 5.01
    # measured again since the figure of 199 at 0 s: (0 - 199 + 300 - 1) / 5.01 per second
    items(100, "0", free=False)
    refill = (15 + (0 - 199 + 300 - 1) / 5.01) / 2
    # one more item needs its write and a reserve of 2 tokens and 2% of the most the bucket held (200: 199 left
    # after a write); pacing counts on the refill in full
    need = 1 + reserve(200)
    assert reserve(200) == pytest.approx(2 + 4)
    assert budgets.start_delay("s", running=4) == pytest.approx(need / refill)
    budgets.started("s")  # an item started and has not sent its write yet: it owes one more
    assert budgets.start_delay("s", running=4) == pytest.approx((need + 1) / refill)
    # its write waits for its token (the bucket is empty: the reserve and the token itself)...
    assert budgets.sent("s", "PUT") == pytest.approx(need / refill)
    # ... and the next one waits one token longer: waiting requests are spread at the refill rate
    assert budgets.sent("s", "PUT") == pytest.approx((need + 1) / refill)
    now[0] = 5.01 + (need + 3) / refill  # refilled meanwhile (the two writes, and the next item's)
    assert budgets.start_delay("s", running=4) == 0.0
    assert budgets.start_delay("other", running=4) == 0.0
    assert budgets.sent("other", "PUT") == 0.0


def test_reads_are_paced_per_request_and_a_429_is_not_charged() -> None:
    """An item's reads come after its operation's ``Retry-After``: bulk starts items by their writes, and each
    read waits for its own token. A 429 answered is finished and not charged: no drift afterwards."""
    budgets = RateBudgets(clock=lambda: 0.0)
    reads = "x-ms-ratelimit-remaining-subscription-reads"
    assert budgets.sent("t", "GET") == 0.0
    budgets.observed("t", {reads: "0"}, "GET")
    assert budgets.start_delay("t", running=0) == 0.0  # no write figure: reads do not hold items back
    # the bucket is empty: the next read waits for its token and the reserve (2 tokens and 2% of the 1 token it
    # was seen to hold) at ARM's documented 25 reads per second, the one after it a token longer
    assert budgets.sent("t", "GET") == pytest.approx((1 + reserve(1)) / 25.0)
    assert budgets.sent("t", "GET") == pytest.approx((2 + reserve(1)) / 25.0)
    # both were answered 429 (not charged): counted as never sent, so nothing is left counted in flight — and a
    # 429's "0" is no figure (a bucket only ever seen throttled would otherwise be taken to hold nothing)
    budgets.observed("t", {reads: "0"}, "GET", 429)
    budgets.observed("t", {reads: "0"}, "GET", 429)
    assert budgets.sent("t", "GET") == pytest.approx((1 + reserve(1)) / 25.0)
    # a request that got no answer to say what is left counts spent (it may have been charged): the next waits a
    # token longer
    budgets.observed("t", {}, "GET")
    assert budgets.sent("t", "GET") == pytest.approx((2 + reserve(1)) / 25.0)
    # a bucket only seen throttled does not hold items or requests back forever
    only_throttled = RateBudgets(clock=lambda: 0.0)
    only_throttled.sent("u", "PUT")
    only_throttled.observed("u", {"x-ms-ratelimit-remaining-subscription-writes": "0"}, "PUT", 429)
    assert only_throttled.start_delay("u", running=0) == 0.0
    assert only_throttled.sent("u", "PUT") == 0.0
