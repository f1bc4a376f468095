"""Bulk deploy and remove: many VNets at once, throttling-aware, one failure never aborting the others.

The decisions are pure and shared by the sync client (threads) and the async client (asyncio tasks):

* [`classify`][crossipam.bulk.classify] decides whether a failed item is retried — throttling (429
  ``SubscriptionRequestsThrottled``, ``TooManyRequests``, ``RetryableErrorDueToAnotherOperation``), conflicts
  (409 ``AnotherOperationInProgress``, 412 ``PreconditionFailed``) and transient failures (5xx, connections
  lost after azure-core's own retries) are; everything else (refusals, authorization, validation, a missing
  resource group …) is final;
* [`SubscriptionGate`][crossipam.bulk.SubscriptionGate] keeps, per subscription, a concurrency limit and a
  pause: a throttle or conflict pauses new work for that subscription for ``Retry-After`` seconds and halves
  its limit; every success raises it again by about one per round (AIMD), up to ``max_concurrency``;
* ``_Scheduler`` hands the next item to a free worker: the first queued one whose subscription is neither
  paused nor at its limit and whose retry delay has passed, so a paused subscription holds no worker;
* [`StartSpacing`][crossipam.bulk.StartSpacing] keeps consecutive starts the client's CPU time per item apart, so
  that a wave of items does not come back as a burst of requests every round;
* [`run_sync`][crossipam.bulk.run_sync] / [`run_async`][crossipam.bulk.run_async] drive the items (bounded
  attempts, injectable ``sleep`` and ``clock``) and return one
  [`BulkItemResult`][crossipam.models.BulkItemResult] per item, in input order.

```python
from crossipam import DeploymentSpec

specs = [DeploymentSpec(info.vnet_id(f"v{i}"), "eastus", pool_id, 64) for i in range(20)]
results = client.deploy_many(specs, max_concurrency=8, on_progress=lambda done, total, item: print(done, total))
failed = [r for r in results if not r.ok]
```

Log messages go to the ``crossipam.bulk`` logger.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ._bulk_items import (
    BulkItem,
    ProgressCallback,
    _check_positive,
    bulk_items,
    check_bulk_call,
    prepare_bulk,
    spec_of,
)
from ._bulk_retry import (
    DEFAULT_MAX_ATTEMPTS,
    RetryDecision,
    as_crossipam_error,
    classify,
    retry_after_seconds,
)
from ._bulk_schedule import Scheduler, _result
from ._bulk_spacing import StartSpacing
from ._pacing import Pacer
from .errors import (
    CrossIpamError,
)
from .models import BulkItemResult, VirtualNetworkDeployment

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "BulkItem",
    "ProgressCallback",
    "RetryDecision",
    "StartSpacing",
    "SubscriptionGate",
    "as_crossipam_error",
    "bulk_items",
    "check_bulk_call",
    "classify",
    "prepare_bulk",
    "retry_after_seconds",
    "run_async",
    "run_sync",
    "spec_of",
]

_LOGGER = logging.getLogger("crossipam.bulk")


# ---- the per-subscription gate -------------------------------------------------------------------------


class _SubscriptionState:
    __slots__ = ("in_flight", "limit", "paused_until", "throttles")

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.in_flight = 0
        self.paused_until = 0.0
        self.throttles = 0


class SubscriptionGate:
    """Per-subscription admission control (not thread-safe by itself: the drivers hold a lock around it).

    Each subscription starts at ``max_concurrency`` concurrent operations.
    [`slow_down`][crossipam.bulk.SubscriptionGate.slow_down] (a throttle or conflict) pauses new starts for
    ``delay`` seconds and halves the limit (never below 1); each success adds ``1/limit`` (about one per round
    of successes), up to ``max_concurrency``.

    Args:
        max_concurrency: The most operations a subscription may run at once (a positive ``int``); its starting
            limit.
        clock: Seconds, monotonic (inject a fake in tests).

    ```python
    gate = SubscriptionGate(8, clock=fake_clock)
    gate.slow_down("sub-1", 2.0)
    gate.limit("sub-1"), gate.pause_remaining("sub-1")    # (4, 2.0)
    ```
    """

    def __init__(self, max_concurrency: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        _check_positive("max_concurrency", max_concurrency)
        self.max_concurrency = max_concurrency
        self.clock = clock
        self._subs: dict[str, _SubscriptionState] = {}

    def _state(self, subscription: str) -> _SubscriptionState:
        key = subscription.lower()
        state = self._subs.get(key)
        if state is None:
            state = self._subs[key] = _SubscriptionState(float(self.max_concurrency))
        return state

    def limit(self, subscription: str) -> int:
        """The subscription's current concurrency limit.

        Args:
            subscription: The subscription id (any case).

        ```python
        gate.limit("sub-1")   # 8
        ```
        """
        return max(1, math.floor(self._state(subscription).limit))

    def throttle_count(self, subscription: str) -> int:
        """How often the subscription was slowed down.

        Args:
            subscription: The subscription id (any case).

        ```python
        gate.throttle_count("sub-1")   # 0
        ```
        """
        return self._state(subscription).throttles

    def pause_remaining(self, subscription: str) -> float:
        """Seconds until new work for the subscription may start (0 when not paused).

        Args:
            subscription: The subscription id (any case).

        ```python
        gate.pause_remaining("sub-1")   # 0.0
        ```
        """
        return max(0.0, self._state(subscription).paused_until - self.clock())

    def resumes_at(self, subscription: str) -> float:
        """The ``clock()`` time at which the subscription's pause ends (in the past when not paused).

        Args:
            subscription: The subscription id (any case).

        ```python
        gate.resumes_at("sub-1") <= clock()   # True: not paused
        ```
        """
        return self._state(subscription).paused_until

    def in_flight(self, subscription: str) -> int:
        """Operations of the subscription running now.

        Args:
            subscription: The subscription id (any case).

        ```python
        gate.in_flight("sub-1")   # 0
        ```
        """
        return self._state(subscription).in_flight

    def can_start(self, subscription: str) -> bool:
        """Whether one more operation may start now (below the limit; pauses are checked by the caller).

        Args:
            subscription: The subscription id (any case).

        ```python
        if gate.can_start(sub): gate.started(sub)
        ```
        """
        state = self._state(subscription)
        return state.in_flight < self.limit(subscription)

    def started(self, subscription: str) -> None:
        """Count an operation in.

        Args:
            subscription: The subscription id (any case).

        ```python
        gate.started("sub-1")
        ```
        """
        self._state(subscription).in_flight += 1

    def finished(self, subscription: str, *, succeeded: bool) -> None:
        """Count an operation out; a success raises the limit additively.

        Args:
            subscription: The subscription id (any case).
            succeeded: Whether the operation succeeded (only a success raises the limit).

        ```python
        gate.finished("sub-1", succeeded=True)
        ```
        """
        state = self._state(subscription)
        state.in_flight = max(0, state.in_flight - 1)
        if succeeded and state.limit < self.max_concurrency:
            state.limit = min(float(self.max_concurrency), state.limit + 1.0 / state.limit)

    def slow_down(self, subscription: str, delay: float) -> None:
        """ARM throttled the subscription (or a conflict hit it): pause it for ``delay`` s, halve its limit.

        Args:
            subscription: The subscription id (any case).
            delay: Seconds to pause new starts for (ARM's ``Retry-After``, else the backoff).

        ```python
        gate.slow_down("sub-1", retry_after_seconds(err) or 1.0)
        ```
        """
        state = self._state(subscription)
        state.throttles += 1
        state.paused_until = max(state.paused_until, self.clock() + max(0.0, delay))
        state.limit = max(1.0, state.limit / 2)
        _LOGGER.info(
            "subscription %s slowed down: paused %.3g s, concurrency limit now %d",
            subscription,
            delay,
            self.limit(subscription),
        )


def _after_failure(
    gate: SubscriptionGate, item: BulkItem, error: CrossIpamError, attempts: int, max_attempts: int
) -> RetryDecision | None:
    """Decide on a failed attempt (the caller holds the gate's lock)."""
    decision = classify(error, attempts)
    if decision is None:
        _LOGGER.info("%s failed: %s", item.vnet_id, error)
        return None
    if attempts >= max_attempts:
        _LOGGER.warning("%s failed after %d attempt(s): %s", item.vnet_id, attempts, error)
        return None
    if decision.slow_down and item.subscription:
        gate.slow_down(item.subscription, decision.delay)
    _LOGGER.info(
        "%s: %s (%s), retrying in %.3g s (attempt %d of %d)",
        item.vnet_id,
        decision.kind,
        getattr(error, "code", None) or type(error).__name__,
        decision.delay,
        attempts + 1,
        max_attempts,
    )
    return decision


class _Scheduler(Scheduler):
    """The scheduler (`crossipam._bulk_schedule`) deciding on failures with `_after_failure`."""

    def __init__(
        self, items: Sequence[BulkItem], gate: SubscriptionGate, max_attempts: int, pacer: Pacer | None = None
    ) -> None:
        super().__init__(items, gate, max_attempts, pacer, _after_failure)


def _check(max_attempts: int) -> None:
    _check_positive("max_attempts", max_attempts)


def _report(on_progress: ProgressCallback | None, done: int, total: int, result: BulkItemResult) -> None:
    """Call the caller's progress callback; an exception in it is the caller's bug, not the item's failure
    (the item's result is final already): it is logged and ignored."""
    if on_progress is None:
        return
    try:
        on_progress(done, total, result)
    except Exception:
        _LOGGER.exception("on_progress raised; ignored")


@dataclass(frozen=True)
class _Place:
    """A worker's next step: wait ``seconds`` for its place in the spacing, then take an item."""

    seconds: float


def _next_step(
    scheduler: _Scheduler, spacing: StartSpacing | None, placed: bool, now: Callable[[], float]
) -> tuple[BulkItem, int] | float | _Place | None:
    """`Scheduler.next`, with the spacing: a worker that could take an item but has no place yet reserves one
    and waits for it before it takes any (``placed``: it has just waited for its place)."""
    at = now()
    if spacing is not None and not placed and scheduler.ready(at):
        wait = spacing.reserve(at)
        if wait > 0:
            return _Place(wait)
    step = scheduler.next(at)
    if spacing is not None and isinstance(step, tuple):
        spacing.started()
    return step


class _Clock:
    """The caller's ``clock``, guarded: if it raises, the batch goes on with ``time.monotonic`` (logged once), so
    a broken test hook can neither abort the batch nor leave a worker counted as running."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.source = clock
        """The caller's clock (a pacer compares clocks by it)."""

    def __call__(self) -> float:
        try:
            return float(self._clock())
        except Exception:
            _LOGGER.exception("the bulk clock raised; using time.monotonic for the rest of the batch")
            self._clock = time.monotonic
            return time.monotonic()


# ---- scheduling ----------------------------------------------------------------------------------------


class _Results:
    """One slot per input: the final results, and progress reporting (callers serialise `add`)."""

    def __init__(self, items: Sequence[BulkItem], on_progress: ProgressCallback | None) -> None:
        self._items = items
        self._slots: list[BulkItemResult | None] = [None] * len(items)
        self._on_progress = on_progress
        self._done = 0

    def add(self, result: BulkItemResult, item: BulkItem) -> None:
        """Record the item's final result and report progress."""
        self._slots[item.index] = result
        self._done += 1
        _report(self._on_progress, self._done, len(self._slots), result)

    def in_input_order(self) -> list[BulkItemResult]:
        """Exactly one result per input; a slot left empty (only a bug in this module could do it) becomes
        that item's failure rather than a shorter list."""
        out: list[BulkItemResult] = []
        for item, result in zip(self._items, self._slots, strict=True):
            if result is None:
                _LOGGER.error("%s: no result was recorded (internal error)", item.vnet_id)
                result = _result(
                    item, CrossIpamError(f"{item.vnet_id}: no result was recorded (internal error)"), 0
                )
            out.append(result)
        return out


async def _call_async_attempt(
    attempt: Callable[[BulkItem], Awaitable[VirtualNetworkDeployment]], item: BulkItem
) -> VirtualNetworkDeployment | CrossIpamError:
    try:
        return await attempt(item)
    except Exception as exc:  # any exception of one item is that item's failure
        return as_crossipam_error(exc, item.vnet_id)


def _call_attempt(
    attempt: Callable[[BulkItem], VirtualNetworkDeployment], item: BulkItem
) -> VirtualNetworkDeployment | CrossIpamError:
    try:
        return attempt(item)
    except Exception as exc:  # any exception of one item is that item's failure
        return as_crossipam_error(exc, item.vnet_id)


# ---- drivers -------------------------------------------------------------------------------------------


def run_sync(
    items: Sequence[BulkItem],
    attempt: Callable[[BulkItem], VirtualNetworkDeployment],
    *,
    max_concurrency: int = 8,
    on_progress: ProgressCallback | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], Any] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    pacer: Pacer | None = None,
    spacing: StartSpacing | None = None,
) -> list[BulkItemResult]:
    """Run ``attempt`` for every item on up to ``max_concurrency`` threads; exactly one result per item, in
    input order. Any ``Exception`` an attempt raises is that item's failure; a raising ``on_progress`` is
    logged and ignored; a raising ``sleep`` ends the items that were waiting (see ``docs/bulk-and-async.md``).

    Args:
        items: The numbered items (``bulk_items`` or ``prepare_bulk``).
        attempt: Runs one item to its end and returns the VNet; what it raises is that attempt's failure.
        max_concurrency: The most items running at once, overall and per subscription.
        on_progress: Called as ``on_progress(done, total, result)`` after each item ends, one call at a time.
        max_attempts: Runs per item, the first included.
        sleep: Waits that many seconds (inject a fake in tests).
        clock: Seconds, monotonic (inject a fake in tests).
        pacer: Spreads each subscription's starts by ARM's remaining budget (the clients' own).
        spacing: Keeps starts the client's CPU time per item apart ([`StartSpacing`][crossipam.bulk.StartSpacing];
            `prepare_bulk` gives one when no ``sleep`` or ``clock`` is injected).

    ```python
    run_sync(bulk_items(specs), lambda item: deploy(item).result(), max_concurrency=4)
    ```
    """
    _check(max_attempts)
    now = _Clock(clock)
    scheduler = _Scheduler(items, SubscriptionGate(max_concurrency, clock=now), max_attempts, pacer)
    cond = threading.Condition()
    progress_lock = threading.Lock()
    results = _Results(items, on_progress)

    def record(ended: Iterable[tuple[BulkItemResult, BulkItem]]) -> None:
        with progress_lock:
            for result, item in ended:
                results.add(result, item)

    def work() -> None:
        placed = False
        while True:
            with cond:
                step = _next_step(scheduler, spacing, placed, now)
                while step is None and not scheduler.all_done:
                    cond.wait()  # only limits block: another worker's finish frees a slot
                    step = _next_step(scheduler, spacing, placed, now)
            if step is None:
                return
            placed = isinstance(step, _Place)
            if isinstance(step, _Place):
                # outside the lock; then the worker takes the item that may start when its place comes
                try:
                    sleep(step.seconds)
                except Exception:
                    _LOGGER.exception("the bulk sleep callback raised; the next item starts now")
                continue
            if not isinstance(step, tuple):
                # time-blocked only, outside the lock: nothing else can run before a pause or delay ends
                try:
                    sleep(step)
                except Exception as exc:
                    _LOGGER.exception("the bulk sleep callback raised; the waiting items end now")
                    with cond:
                        ended = scheduler.abandon_waiting(now(), exc)
                        cond.notify_all()
                    record(ended)
                continue
            item, attempts = step
            outcome = _call_attempt(attempt, item)
            with cond:
                if spacing is not None:
                    spacing.finished()
                result = scheduler.finish(item, attempts, outcome, now())
                cond.notify_all()
            if result is not None:
                record([(result, item)])

    workers = min(max_concurrency, len(items))
    try:
        if workers:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="crossipam-bulk") as pool:
                for future in [pool.submit(work) for _ in range(workers)]:
                    future.result()
    finally:
        scheduler.release()
    return results.in_input_order()


async def run_async(
    items: Sequence[BulkItem],
    attempt: Callable[[BulkItem], Awaitable[VirtualNetworkDeployment]],
    *,
    max_concurrency: int = 8,
    on_progress: ProgressCallback | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    pacer: Pacer | None = None,
    spacing: StartSpacing | None = None,
) -> list[BulkItemResult]:
    """The asyncio twin of [`run_sync`][crossipam.bulk.run_sync]: up to ``max_concurrency`` worker tasks, the
    same guarantees.

    Args:
        items: The numbered items (``bulk_items`` or ``prepare_bulk``).
        attempt: Awaited to run one item to its end; what it raises is that attempt's failure.
        max_concurrency: The most items running at once, overall and per subscription.
        on_progress: Called as ``on_progress(done, total, result)`` after each item ends, one call at a time.
        max_attempts: Runs per item, the first included.
        sleep: Awaited to wait that many seconds (inject a fake in tests).
        clock: Seconds, monotonic (inject a fake in tests).
        pacer: Spreads each subscription's starts by ARM's remaining budget (the clients' own).
        spacing: Keeps starts the client's CPU time per item apart ([`StartSpacing`][crossipam.bulk.StartSpacing];
            `prepare_bulk` gives one when no ``sleep`` or ``clock`` is injected).

    ```python
    await run_async(bulk_items(specs), deploy_one, max_concurrency=8)
    ```
    """
    _check(max_attempts)
    now = _Clock(clock)
    scheduler = _Scheduler(items, SubscriptionGate(max_concurrency, clock=now), max_attempts, pacer)
    cond = asyncio.Condition()
    results = _Results(items, on_progress)

    async def work() -> None:
        placed = False
        while True:
            async with cond:
                step = _next_step(scheduler, spacing, placed, now)
                while step is None and not scheduler.all_done:
                    await cond.wait()  # only limits block: another worker's finish frees a slot
                    step = _next_step(scheduler, spacing, placed, now)
            if step is None:
                return
            placed = isinstance(step, _Place)
            if isinstance(step, _Place):
                # outside the lock; then the worker takes the item that may start when its place comes
                try:
                    await sleep(step.seconds)
                except Exception:
                    _LOGGER.exception("the bulk sleep callback raised; the next item starts now")
                continue
            if not isinstance(step, tuple):
                # time-blocked only, outside the lock: nothing else can run before a pause or delay ends
                try:
                    await sleep(step)
                except Exception as exc:
                    _LOGGER.exception("the bulk sleep callback raised; the waiting items end now")
                    async with cond:
                        ended = scheduler.abandon_waiting(now(), exc)
                        cond.notify_all()
                    for gone, waiting in ended:
                        results.add(gone, waiting)
                continue
            item, attempts = step
            outcome = await _call_async_attempt(attempt, item)
            async with cond:
                if spacing is not None:
                    spacing.finished()
                result = scheduler.finish(item, attempts, outcome, now())
                cond.notify_all()
            if result is not None:
                results.add(result, item)

    try:
        await asyncio.gather(*(work() for _ in range(min(max_concurrency, len(items)))))
    finally:
        scheduler.release()
    return results.in_input_order()
