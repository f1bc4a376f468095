"""Bulk deploy and remove: many VNets at once, throttling-aware, one failure never aborting the others.

The decisions are pure and shared by the sync client (threads) and the async client (asyncio tasks):

* :func:`classify` decides whether a failed item is retried — throttling (429 ``SubscriptionRequestsThrottled``,
  ``TooManyRequests``, ``RetryableErrorDueToAnotherOperation``), conflicts (409 ``AnotherOperationInProgress``,
  412 ``PreconditionFailed``) and transient failures (5xx, connections lost after azure-core's own retries) are;
  everything else (refusals, authorization, validation, a missing resource group …) is final;
* :class:`SubscriptionGate` keeps, per subscription, a concurrency limit and a pause: a throttle or conflict
  pauses new work for that subscription for ``Retry-After`` seconds and halves its limit; every success raises
  it again by about one per round (AIMD), up to ``max_concurrency``;
* ``_Scheduler`` hands the next item to a free worker: the first queued one whose subscription is neither
  paused nor at its limit and whose retry delay has passed, so a paused subscription holds no worker;
* :func:`run_sync` / :func:`run_async` drive the items (bounded attempts, injectable ``sleep`` and ``clock``)
  and return one :class:`~crossipam.models.BulkItemResult` per item, in input order.

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
import email.utils
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Union

from ._resource_ids import VirtualNetworkId
from .errors import (
    AzureServiceError,
    ConflictError,
    CrossIpamError,
    InvalidInputError,
    ThrottledError,
    TransportError,
)
from .models import BulkItemResult, DeploymentSpec, VirtualNetworkDeployment

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "BulkItem",
    "ProgressCallback",
    "RetryDecision",
    "SubscriptionGate",
    "as_crossipam_error",
    "bulk_items",
    "classify",
    "retry_after_seconds",
    "run_async",
    "run_sync",
    "spec_of",
]

_LOGGER = logging.getLogger("crossipam.bulk")

#: Attempts per item (the first run plus up to five retries).
DEFAULT_MAX_ATTEMPTS = 6
#: Backoff when ARM gives no ``Retry-After``: base * 2**(attempt-1), capped.
_BASE_DELAY = 1.0
_MAX_DELAY = 60.0

_THROTTLE_CODES = frozenset(
    {"SubscriptionRequestsThrottled", "TooManyRequests", "RetryableErrorDueToAnotherOperation"}
)
_CONFLICT_CODES = frozenset(
    {
        "AnotherOperationInProgress",
        "PreconditionFailed",
        "PreconditionFailedEtagMismatch",
        "ReferencedResourceNotProvisioned",
    }
)

#: ``on_progress(done, total, item)``: called once per finished item, one call at a time.
ProgressCallback = Callable[[int, int, BulkItemResult], None]
VnetOrSpec = Union[str, VirtualNetworkId, DeploymentSpec]  # noqa: UP007 (runtime alias on 3.10)


# ---- decisions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryDecision:
    """Retry the item after ``delay`` seconds; ``slow_down`` pauses and throttles its subscription too.

    ```python
    classify(ThrottledError("…", status=429), attempt=1)   # RetryDecision('throttle', 1.0, True)
    ```
    """

    kind: Literal["throttle", "conflict", "transient"]
    delay: float
    slow_down: bool


def retry_after_seconds(error: BaseException) -> float | None:
    """The wait ARM asked for (``retry-after-ms``, ``x-ms-retry-after-ms`` or ``Retry-After`` in seconds or as
    an HTTP date) on the response behind ``error`` (itself or its ``__cause__``), if any.

    ```python
    retry_after_seconds(throttled_error)   # 1.0
    ```
    """
    for candidate in (error, error.__cause__):
        response = getattr(candidate, "response", None)
        headers = getattr(response, "headers", None)
        if headers is None:
            continue
        for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("Retry-After", 1.0)):
            raw = headers.get(name)
            if not raw:
                continue
            try:
                return max(0.0, float(str(raw)) * scale)
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(str(raw)) if scale == 1.0 else None
                if parsed is not None:
                    return max(0.0, parsed.timestamp() - time.time())
    return None


def _backoff(attempt: int) -> float:
    return float(min(_MAX_DELAY, _BASE_DELAY * 2.0 ** max(0, attempt - 1)))


def classify(error: CrossIpamError, attempt: int) -> RetryDecision | None:
    """Whether the item that failed with ``error`` on its ``attempt``-th run is retried, and after how long.

    ```python
    decision = classify(err, attempt=2)
    if decision is None: ...   # final: report the error
    ```
    """
    if not isinstance(error, AzureServiceError):
        return None
    code = error.code or ""
    wait = retry_after_seconds(error)
    if isinstance(error, ThrottledError) or error.status == 429 or code in _THROTTLE_CODES:
        return RetryDecision("throttle", wait if wait is not None else _backoff(attempt), True)
    if code in _CONFLICT_CODES or (isinstance(error, ConflictError) and error.status in (409, 412)):
        return RetryDecision("conflict", wait if wait is not None else _backoff(attempt), True)
    if isinstance(error, TransportError) or (error.status is not None and error.status >= 500):
        return RetryDecision("transient", wait if wait is not None else _backoff(attempt), False)
    return None


def as_crossipam_error(exc: Exception, vnet_id: str) -> CrossIpamError:
    """Every failure of an item as a :class:`~crossipam.errors.CrossIpamError` (an azure-core error the client
    did not map becomes a :class:`~crossipam.errors.TransportError`, anything else a plain ``CrossIpamError``
    whose ``__cause__`` is the original).

    ```python
    isinstance(as_crossipam_error(ServiceRequestError("connection reset"), vnet_id), TransportError)   # True
    ```
    """
    if isinstance(exc, CrossIpamError):
        return exc
    from azure.core.exceptions import AzureError

    if isinstance(exc, AzureError):
        err: CrossIpamError = TransportError(
            f"the request for {vnet_id} failed: {type(exc).__name__}: {exc}",
            hint="a failure that outlived azure-core's retries; run the operation again",
        )
    else:
        err = CrossIpamError(f"unexpected failure for {vnet_id}: {type(exc).__name__}: {exc}")
    err.__cause__ = exc
    return err


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

    Each subscription starts at ``max_concurrency`` concurrent operations. :meth:`slow_down` (a throttle or
    conflict) pauses new starts for ``delay`` seconds and halves the limit (never below 1); each success adds
    ``1/limit`` (about one per round of successes), up to ``max_concurrency``.

    ```python
    gate = SubscriptionGate(8, clock=fake_clock)
    gate.slow_down("sub-1", 2.0)
    gate.limit("sub-1"), gate.pause_remaining("sub-1")    # (4, 2.0)
    ```
    """

    def __init__(self, max_concurrency: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise InvalidInputError(f"max_concurrency must be a positive integer, got {max_concurrency!r}")
        self.max_concurrency = max_concurrency
        self._clock = clock
        self._subs: dict[str, _SubscriptionState] = {}

    def _state(self, subscription: str) -> _SubscriptionState:
        key = subscription.lower()
        state = self._subs.get(key)
        if state is None:
            state = self._subs[key] = _SubscriptionState(float(self.max_concurrency))
        return state

    def limit(self, subscription: str) -> int:
        """The subscription's current concurrency limit.

        ```python
        gate.limit("sub-1")   # 8
        ```
        """
        return max(1, math.floor(self._state(subscription).limit))

    def throttle_count(self, subscription: str) -> int:
        """How often the subscription was slowed down.

        ```python
        gate.throttle_count("sub-1")   # 0
        ```
        """
        return self._state(subscription).throttles

    def pause_remaining(self, subscription: str) -> float:
        """Seconds until new work for the subscription may start (0 when not paused).

        ```python
        gate.pause_remaining("sub-1")   # 0.0
        ```
        """
        return max(0.0, self._state(subscription).paused_until - self._clock())

    def resumes_at(self, subscription: str) -> float:
        """The ``clock()`` time at which the subscription's pause ends (in the past when not paused).

        ```python
        gate.resumes_at("sub-1") <= clock()   # True: not paused
        ```
        """
        return self._state(subscription).paused_until

    def can_start(self, subscription: str) -> bool:
        """Whether one more operation may start now (below the limit; pauses are checked by the caller).

        ```python
        if gate.can_start(sub): gate.started(sub)
        ```
        """
        state = self._state(subscription)
        return state.in_flight < self.limit(subscription)

    def started(self, subscription: str) -> None:
        """Count an operation in.

        ```python
        gate.started("sub-1")
        ```
        """
        self._state(subscription).in_flight += 1

    def finished(self, subscription: str, *, succeeded: bool) -> None:
        """Count an operation out; a success raises the limit additively.

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

        ```python
        gate.slow_down("sub-1", retry_after_seconds(err) or 1.0)
        ```
        """
        state = self._state(subscription)
        state.throttles += 1
        state.paused_until = max(state.paused_until, self._clock() + max(0.0, delay))
        state.limit = max(1.0, state.limit / 2)
        _LOGGER.info(
            "subscription %s slowed down: paused %.3g s, concurrency limit now %d",
            subscription,
            delay,
            self.limit(subscription),
        )


# ---- items ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkItem:
    """One unit of work: its position, VNet id (as given), subscription and the spec (if any).

    ```python
    bulk_items([vnet_id])[0].subscription     # the VNet's subscription id, lower-cased
    ```
    """

    index: int
    vnet_id: str
    subscription: str
    spec: DeploymentSpec | None
    target: str | VirtualNetworkId


def bulk_items(values: Iterable[VnetOrSpec]) -> list[BulkItem]:
    """Number the inputs and find each one's subscription (an unparsable id gets ``""``; it fails alone when
    it runs).

    ```python
    [i.subscription for i in bulk_items(specs)]
    ```
    """
    out: list[BulkItem] = []
    for index, value in enumerate(values):
        spec = value if isinstance(value, DeploymentSpec) else None
        target = value.vnet_id if isinstance(value, DeploymentSpec) else value
        try:
            subscription = VirtualNetworkId.parse(target).subscription_id.lower()
        except CrossIpamError:
            subscription = ""
        out.append(BulkItem(index, str(target), subscription, spec, target))
    return out


def spec_of(item: BulkItem) -> DeploymentSpec:
    """The item's spec; raises :class:`~crossipam.errors.InvalidInputError` (for that item only) without one.

    ```python
    spec_of(bulk_items([spec])[0]) is spec     # True
    ```
    """
    if item.spec is None:
        raise InvalidInputError(f"deploy_many takes DeploymentSpec values, got {item.vnet_id!r}")
    return item.spec


def _result(
    item: BulkItem, outcome: VirtualNetworkDeployment | CrossIpamError, attempts: int
) -> BulkItemResult:
    if isinstance(outcome, CrossIpamError):
        return BulkItemResult(item.vnet_id, None, outcome, attempts, item.spec)
    return BulkItemResult(item.vnet_id, outcome, None, attempts, item.spec)


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


def _check(max_attempts: int) -> None:
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise InvalidInputError(f"max_attempts must be a positive integer, got {max_attempts!r}")


def _report(on_progress: ProgressCallback | None, done: int, total: int, result: BulkItemResult) -> None:
    if on_progress is None:
        return
    try:
        on_progress(done, total, result)
    except Exception:
        _LOGGER.exception("on_progress raised; ignored")


# ---- scheduling ----------------------------------------------------------------------------------------


@dataclass
class _Pending:
    item: BulkItem
    attempts: int  # runs so far
    not_before: float


class _Scheduler:
    """Which item runs next — pure logic shared by both drivers (they hold a lock around every call).

    Items wait in one queue (input order); :meth:`take` hands out the first one whose subscription is neither
    paused nor at its limit and whose retry delay has passed, so a paused subscription never holds a worker:
    the other subscriptions' items queued behind it run meanwhile. A failed attempt that is retried goes back
    to the queue with ``not_before = now + delay``.
    """

    def __init__(self, items: Sequence[BulkItem], gate: SubscriptionGate, max_attempts: int) -> None:
        self.gate = gate
        self._max_attempts = max_attempts
        self._pending = [_Pending(item, 0, 0.0) for item in items]
        self._running = 0

    def _ready_at(self, entry: _Pending) -> float:
        return max(entry.not_before, self.gate.resumes_at(entry.item.subscription))

    def take(self, now: float) -> tuple[BulkItem, int] | None:
        """The first pending item that may start at ``now`` and its attempt number (counted started), if any."""
        for position, entry in enumerate(self._pending):
            subscription = entry.item.subscription
            if self._ready_at(entry) <= now and self.gate.can_start(subscription):
                del self._pending[position]
                self.gate.started(subscription)
                self._running += 1
                return entry.item, entry.attempts + 1
        return None

    def wake_in(self, now: float) -> float | None:
        """Seconds until a pending item's pause or retry delay ends; ``None`` when no item waits for time."""
        waits = [at - now for at in map(self._ready_at, self._pending) if at > now]
        return min(waits) if waits else None

    def next(self, now: float) -> tuple[BulkItem, int] | float | None:
        """What a free worker does at ``now``: run an item (:meth:`take`), sleep this many seconds
        (:meth:`wake_in`), or — ``None`` — wait until another worker finishes (or exit when :attr:`all_done`)."""
        taken = self.take(now)
        return taken if taken is not None else self.wake_in(now)

    def finish(
        self, item: BulkItem, attempts: int, outcome: VirtualNetworkDeployment | CrossIpamError, now: float
    ) -> BulkItemResult | None:
        """Count the attempt out; the item's final result, or ``None`` when it was queued again for a retry."""
        self._running -= 1
        self.gate.finished(item.subscription, succeeded=not isinstance(outcome, CrossIpamError))
        if isinstance(outcome, CrossIpamError):
            decision = _after_failure(self.gate, item, outcome, attempts, self._max_attempts)
            if decision is not None:
                self._pending.append(_Pending(item, attempts, now + decision.delay))
                return None
        return _result(item, outcome, attempts)

    @property
    def all_done(self) -> bool:
        """Nothing pending and nothing running."""
        return not self._pending and not self._running


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
) -> list[BulkItemResult]:
    """Run ``attempt`` for every item on up to ``max_concurrency`` threads; results in input order.

    ```python
    run_sync(bulk_items(specs), lambda item: deploy(item).result(), max_concurrency=4)
    ```
    """
    _check(max_attempts)
    scheduler = _Scheduler(items, SubscriptionGate(max_concurrency, clock=clock), max_attempts)
    cond = threading.Condition()
    progress_lock = threading.Lock()
    total = len(items)
    done = 0
    results: list[BulkItemResult | None] = [None] * total

    def work() -> None:
        nonlocal done
        while True:
            with cond:
                step = scheduler.next(clock())
                while step is None and not scheduler.all_done:
                    cond.wait()  # only limits block: another worker's finish frees a slot
                    step = scheduler.next(clock())
            if step is None:
                return
            if not isinstance(step, tuple):
                # time-blocked only, outside the lock: nothing else can run before a pause or delay ends
                sleep(step)
                continue
            item, attempts = step
            outcome: VirtualNetworkDeployment | CrossIpamError
            try:
                outcome = attempt(item)
            except Exception as exc:
                outcome = as_crossipam_error(exc, item.vnet_id)
            with cond:
                result = scheduler.finish(item, attempts, outcome, clock())
                cond.notify_all()
            if result is not None:
                results[item.index] = result
                with progress_lock:
                    done += 1
                    _report(on_progress, done, total, result)

    if total:
        with ThreadPoolExecutor(
            max_workers=min(max_concurrency, total), thread_name_prefix="crossipam-bulk"
        ) as pool:
            for future in [pool.submit(work) for _ in range(min(max_concurrency, total))]:
                future.result()
    return [r for r in results if r is not None]


async def run_async(
    items: Sequence[BulkItem],
    attempt: Callable[[BulkItem], Awaitable[VirtualNetworkDeployment]],
    *,
    max_concurrency: int = 8,
    on_progress: ProgressCallback | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[BulkItemResult]:
    """The asyncio twin of :func:`run_sync`: up to ``max_concurrency`` worker tasks.

    ```python
    await run_async(bulk_items(specs), deploy_one, max_concurrency=8)
    ```
    """
    _check(max_attempts)
    scheduler = _Scheduler(items, SubscriptionGate(max_concurrency, clock=clock), max_attempts)
    cond = asyncio.Condition()
    total = len(items)
    done = 0
    results: list[BulkItemResult | None] = [None] * total

    async def work() -> None:
        nonlocal done
        while True:
            async with cond:
                step = scheduler.next(clock())
                while step is None and not scheduler.all_done:
                    await cond.wait()  # only limits block: another worker's finish frees a slot
                    step = scheduler.next(clock())
            if step is None:
                return
            if not isinstance(step, tuple):
                # time-blocked only, outside the lock: nothing else can run before a pause or delay ends
                await sleep(step)
                continue
            item, attempts = step
            outcome: VirtualNetworkDeployment | CrossIpamError
            try:
                outcome = await attempt(item)
            except Exception as exc:
                outcome = as_crossipam_error(exc, item.vnet_id)
            async with cond:
                result = scheduler.finish(item, attempts, outcome, clock())
                cond.notify_all()
            if result is not None:
                results[item.index] = result
                done += 1
                _report(on_progress, done, total, result)

    await asyncio.gather(*(work() for _ in range(min(max_concurrency, total))))
    return [r for r in results if r is not None]
