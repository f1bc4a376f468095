"""Bulk scheduling, pure: which item runs next, and what a failed attempt means (both drivers of
`crossipam.bulk` hold a lock around every call)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ._bulk_items import BulkItem
from ._bulk_retry import RetryDecision
from ._pacing import Pacer
from ._redact import describe
from .errors import CrossIpamError
from .models import BulkItemResult, VirtualNetworkDeployment

__all__ = ["AfterFailure", "Gate", "Scheduler"]

_LOGGER = logging.getLogger("crossipam.bulk")


AfterFailure = Callable[[Any, BulkItem, CrossIpamError, int, int], "RetryDecision | None"]
"""Decides on a failed attempt (``crossipam.bulk._after_failure``): the retry, or ``None`` when it ends."""


class Gate(Protocol):
    """What the scheduler asks of `crossipam.bulk.SubscriptionGate`."""

    clock: Callable[[], float]

    def resumes_at(self, subscription: str) -> float: ...
    def can_start(self, subscription: str) -> bool: ...
    def in_flight(self, subscription: str) -> int: ...
    def started(self, subscription: str) -> None: ...
    def finished(self, subscription: str, *, succeeded: bool) -> None: ...
    def slow_down(self, subscription: str, delay: float) -> None: ...


def _result(
    item: BulkItem, outcome: VirtualNetworkDeployment | CrossIpamError, attempts: int
) -> BulkItemResult:
    if isinstance(outcome, CrossIpamError):
        return BulkItemResult(item.vnet_id, None, outcome, attempts, item.spec)
    return BulkItemResult(item.vnet_id, outcome, None, attempts, item.spec)


@dataclass
class _Pending:
    item: BulkItem
    attempts: int  # runs so far
    not_before: float
    last_error: CrossIpamError | None = None


class Scheduler:
    """Which item runs next — pure logic shared by both drivers (they hold a lock around every call).

    Items wait in one queue (input order); `take` hands out the first one whose subscription is neither
    paused nor at its limit and whose retry delay has passed, so a paused subscription never holds a worker:
    the other subscriptions' items queued behind it run meanwhile. A failed attempt that is retried goes back
    to the queue with ``not_before = now + delay``.
    """

    def __init__(
        self,
        items: Sequence[BulkItem],
        gate: Gate,
        max_attempts: int,
        pacer: Pacer | None = None,
        after_failure: AfterFailure | None = None,
    ) -> None:
        self.gate = gate
        self._max_attempts = max_attempts
        self._pending = [_Pending(item, 0, 0.0) for item in items]
        self._queued = Counter(item.subscription for item in items)  # pending entries per subscription
        self._running = 0
        self._pacer = pacer
        self._after_failure = after_failure or (lambda *_args: None)
        self._pacer_clock = pacer.use_clock(gate.clock) if pacer is not None else None

    def release(self) -> None:
        """The run ended: give the pacer back the clock it used before (a test's fake clock stays the run's)."""
        if self._pacer is not None and self._pacer_clock is not None:
            self._pacer.use_clock(self._pacer_clock)
            self._pacer_clock = None

    def _subscription_ready(self, subscription: str, cache: dict[str, float], now: float) -> float:
        """When the subscription's pause and pacing let an item start (once per subscription and decision)."""
        at = cache.get(subscription)
        if at is None:
            at = self.gate.resumes_at(subscription)
            if self._pacer is not None and subscription:
                delay = self._pacer.start_delay(subscription, self.gate.in_flight(subscription))
                at = max(at, now + delay)
            cache[subscription] = at
        return at

    def _startable(self, now: float) -> int | None:
        """The queue position of the first pending item that may start at ``now``, if any. A subscription found
        paused, paced or at its limit is skipped for the rest of the queue."""
        cache: dict[str, float] = {}
        blocked: set[str] = set()
        for position, entry in enumerate(self._pending):
            subscription = entry.item.subscription
            if subscription in blocked:
                continue
            if (
                not self.gate.can_start(subscription)
                or self._subscription_ready(subscription, cache, now) > now
            ):
                blocked.add(subscription)
                if len(blocked) >= len(self._queued):
                    break
                continue
            if entry.not_before > now:
                continue
            return position
        return None

    def ready(self, now: float) -> bool:
        """Whether an item may start at ``now`` (`take` would hand one out); changes nothing."""
        return self._startable(now) is not None

    def take(self, now: float) -> tuple[BulkItem, int] | None:
        """The first pending item that may start at ``now`` and its attempt number (counted started), if any."""
        position = self._startable(now)
        if position is None:
            return None
        entry = self._pending.pop(position)
        subscription = entry.item.subscription
        self._queued[subscription] -= 1
        if not self._queued[subscription]:
            del self._queued[subscription]
        self.gate.started(subscription)
        if self._pacer is not None and subscription:
            self._pacer.started(subscription)
        self._running += 1
        return entry.item, entry.attempts + 1

    def wake_in(self, now: float) -> float | None:
        """Seconds until a pending item's pause, retry delay or pacing ends; ``None`` when no item waits for
        time."""
        cache: dict[str, float] = {}
        resolved: set[str] = (
            set()
        )  # subscriptions whose earliest start is known (later entries start no sooner)
        best: float | None = None
        for entry in self._pending:
            subscription = entry.item.subscription
            if subscription in resolved:
                continue
            ready = self._subscription_ready(subscription, cache, now)
            at = max(entry.not_before, ready)
            if at > now and (best is None or at - now < best):
                best = at - now
            if ready > now:
                resolved.add(subscription)
                if len(resolved) >= len(self._queued):
                    break
        return best

    def next(self, now: float) -> tuple[BulkItem, int] | float | None:
        """What a free worker does at ``now``: run an item (`take`), sleep this many seconds
        (`wake_in`), or — ``None`` — wait until another worker finishes (or exit when `all_done`)."""
        taken = self.take(now)
        return taken if taken is not None else self.wake_in(now)

    def finish(
        self, item: BulkItem, attempts: int, outcome: VirtualNetworkDeployment | CrossIpamError, now: float
    ) -> BulkItemResult | None:
        """Count the attempt out; the item's final result, or ``None`` when it was queued again for a retry.

        Never raises: should the retry decision fail (a bug, an error object of unexpected shape), the item
        ends with its error instead of being lost."""
        self._running -= 1
        failed = isinstance(outcome, CrossIpamError)
        try:
            self.gate.finished(item.subscription, succeeded=not failed)
            if isinstance(outcome, CrossIpamError):
                decision = self._after_failure(self.gate, item, outcome, attempts, self._max_attempts)
                if decision is not None:
                    self._pending.append(_Pending(item, attempts, now + decision.delay, outcome))
                    self._queued[item.subscription] += 1
                    return None
        except Exception:
            _LOGGER.exception("%s: the retry decision failed; the item ends with its error", item.vnet_id)
        return _result(item, outcome, attempts)

    def abandon_waiting(self, now: float, cause: BaseException) -> list[tuple[BulkItemResult, BulkItem]]:
        """The ``sleep`` callback raised, so the items that wait for time (a pause or a retry delay not over at
        ``now``) cannot be waited for: each ends now — a retried item with its last error, an item never run
        with a ``CrossIpamError`` whose ``__cause__`` is ``cause``. Items that may run are left queued."""
        ended: list[tuple[BulkItemResult, BulkItem]] = []
        keep: list[_Pending] = []
        for entry in self._pending:
            if max(entry.not_before, self.gate.resumes_at(entry.item.subscription)) <= now:
                keep.append(entry)
                continue
            error = entry.last_error
            if error is None:
                error = CrossIpamError(
                    f"{entry.item.vnet_id} was not run: waiting for its subscription failed "
                    f"(the sleep callback raised {describe(cause)})",
                    hint="sleep= must wait the seconds it is given; run the item again",
                )
                error.__cause__ = cause
            ended.append((_result(entry.item, error, entry.attempts), entry.item))
        self._pending = keep
        self._queued = Counter(entry.item.subscription for entry in keep)
        return ended

    @property
    def all_done(self) -> bool:
        """Nothing pending and nothing running."""
        return not self._pending and not self._running
