"""Bulk paces each subscription by ARM's remaining-budget headers instead of bouncing off its buckets: against
an offline Azure throttling like ARM (buckets of a tenth of ARM's size refilled at ARM's rate, so that a test of
60 VNets meets them), fewer than 1% of the requests are answered 429 and no item fails."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest

from crossipam import DeploymentSpec
from crossipam._bulk_items import BulkItem, bulk_items
from crossipam._pacing import AsyncRateBudgetPolicy, RateBudgets, reserve
from crossipam.bulk import run_sync
from crossipam.errors import CrossIpamError
from crossipam.models import VirtualNetworkDeployment
from crossipam.testing import ARM_THROTTLE_LIMITS, AzureEmulator, BucketSize, ThrottleLimits

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, MakeAsyncClient, MakeClient

N = 60
SUB = "00000000-0000-0000-0000-0000000000a1"
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
            budgets.observed("s", {header: remaining} if last else {}, "PUT", 200)

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


def test_a_bulk_run_counts_its_own_items_and_gives_the_clock_back() -> None:
    """Writes sent before a bulk run (single calls) are not its items' cost, so they cannot hold its items back for
    ever; the run's (fake) clock paces only the run — the budgets read the clock of before when it ends."""
    now = [0.0]
    budgets = RateBudgets(clock=lambda: now[0])
    header = "x-ms-ratelimit-remaining-subscription-writes"
    for _ in range(50):  # fifty single PUTs before any bulk run: a bucket of 20 ran low
        budgets.sent(SUB, "PUT")
        budgets.observed(SUB, {header: "5"}, "PUT", 200)
    budgets.observed(SUB, {header: "19"}, "GET", 200)  # it held 20
    run_clock = [100.0]
    items = bulk_items(
        [
            f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v{i}"
            for i in range(3)
        ]
    )
    started_at: list[float] = []

    def attempt(item: BulkItem) -> VirtualNetworkDeployment:
        started_at.append(run_clock[0])
        budgets.sent(SUB, "PUT")
        # the first write finds 19 left (the bucket holds 20), the next ones empty it
        budgets.observed(SUB, {header: "19" if len(started_at) == 1 else "0"}, "PUT", 200)
        raise CrossIpamError("not deployed")  # the run's outcome does not matter here

    def sleep(seconds: float) -> None:
        run_clock[0] += seconds

    results = run_sync(
        items,
        attempt,
        max_concurrency=1,
        max_attempts=1,
        pacer=budgets,
        clock=lambda: run_clock[0],
        sleep=sleep,
    )
    assert len(results) == 3 and len(started_at) == 3
    # the figures of the old clock were forgotten: the first two items started at once (19 left); the third
    # waited for the refill (documented 10 per second) of its write and the reserve of a bucket of 20 — an item's
    # cost is this run's writes per item (1), not the 50 earlier ones (which would ask for 18 tokens: 1.8 s)
    assert started_at[0] == started_at[1] == 100.0
    assert started_at[2] - started_at[1] == pytest.approx((1 + reserve(20)) / 10.0)
    # the run gave the clock back: the budgets read the old clock, whose figures the run's made it forget
    budgets.sent(SUB, "PUT")
    budgets.observed(SUB, {header: "10"}, "PUT", 200)
    now[0] = 1.0
    assert budgets.start_delay(SUB, running=0) == 0.0


async def test_a_request_cancelled_while_it_waits_for_its_token_is_not_counted() -> None:
    """The policy counts a request before it waits; cancelled while waiting, it never went: counted out again,
    so the estimate does not drift (the next request waits as long as the cancelled one would have)."""
    budgets = RateBudgets(clock=lambda: 0.0)
    url = "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"
    budgets.sent("s", "GET")
    budgets.observed("s", {"x-ms-ratelimit-remaining-subscription-reads": "0"}, "GET", 200)
    waits: list[float] = []

    class Cancelling:
        """An azure-core transport's ``sleep`` as a cancelled task meets it (no wire: the request never goes)."""

        async def sleep(self, seconds: float) -> None:
            waits.append(seconds)
            raise asyncio.CancelledError

    policy = AsyncRateBudgetPolicy(budgets)
    request = PipelineRequest(HttpRequest("GET", url), PipelineContext(Cancelling()))  # type: ignore[arg-type]
    with pytest.raises(asyncio.CancelledError):
        await policy.send(request)
    with pytest.raises(asyncio.CancelledError):
        await policy.send(request)
    assert waits == [pytest.approx((1 + reserve(1)) / 25.0)] * 2


async def test_a_burst_of_reads_waits_for_the_read_bucket_instead_of_meeting_429s(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    driver: str,
    make_client: MakeClient,
    make_async_client: MakeAsyncClient,
) -> None:
    """Twenty reads of a VNet at once against a read bucket of 5 (refilled at ARM's documented 25 per second):
    each request waits in the pipeline for its own token (the first answer told the level), so none is answered
    429 — through the real SDK clients, sync and asyncio."""
    emu = azure_emulator
    info = info_of(emu)
    rg_id = info.vnet_id("vnet-read").split("/providers/")[0]
    vnet = emu.network.add_virtual_network(rg_id, "vnet-read", ipam_allocations=[(info.pool_id, 16)])
    emu.settings.throttle = ThrottleLimits(reads=BucketSize(5, 25), global_factor=None)
    emu.journal.clear()
    if driver == "sync":
        with make_client(emu) as client:
            client.get_virtual_network_allocation(vnet)  # the first answer: the bucket holds 4 more
            with ThreadPoolExecutor(20) as pool:
                found = list(pool.map(lambda _: client.get_virtual_network_allocation(vnet), range(20)))
    else:
        async with make_async_client(emu) as aclient:
            await aclient.get_virtual_network_allocation(vnet)
            found = list(
                await asyncio.gather(*(aclient.get_virtual_network_allocation(vnet) for _ in range(20)))
            )
    assert len(found) == 20 and all(str(d.vnet_id).lower() == vnet.lower() for d in found)
    reads = [e for e in emu.journal.entries(service="arm") if e.method == "GET"]
    assert len(reads) >= 21
    assert not [e for e in reads if e.status == 429], [e.status for e in reads]
