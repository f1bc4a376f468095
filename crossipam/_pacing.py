"""Pacing by ARM's remaining budget: requests wait for their bucket's tokens, bulk starts an item when its write fits.

ARM answers every request with what is left of the caller's buckets (``x-ms-ratelimit-remaining-subscription-
reads|writes|deletes``, and ``-global-`` for all principals together). `RateBudgets` — one per client — counts
the requests sent per subscription and kind and records each answer's remaining budget; it estimates a bucket's
level now (the last figure, plus its refill since, minus what was sent and not answered when the figure was
taken, or sent since) and its refill rate (measured over the last seconds in which the bucket was not full — the
rise plus what was charged meanwhile; ARM's documented rates until then).

Two places use the estimate:

* **every request** (`RateBudgetPolicy`, `AsyncRateBudgetPolicy`, in the VNet clients' pipelines) takes a token
  of its bucket: when the estimate says the bucket is short, the request waits until the refill has paid for
  it and for every request that waits before it — a reservation, so waiting requests are spread at the refill
  rate instead of all going when the first token comes back;
* **bulk** (`RateBudgets.start_delay`) starts an item of a subscription when its write and delete buckets can
  pay for it and for the writes and deletes the running items still owe, so that a throttled subscription does not hold
  bulk's workers. Reads are left to the requests: an item's reads come seconds after it starts (after its
  operation's ``Retry-After``), when the bucket has refilled.

Pacing counts on the refill rate in full and keeps a reserve of a few tokens (`reserve`): an estimated rate a
little too high only lowers the level the bucket hovers at (each answer tells the true level again), and the
reserve absorbs it.

```python
budgets = RateBudgets()
policy = RateBudgetPolicy(budgets)                       # in per_retry_policies of each VNet client
delay = budgets.start_delay("sub-1", running=8)          # 0.0 until the headers say the budget runs low
```
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from azure.core.pipeline.policies import AsyncHTTPPolicy, HTTPPolicy

__all__ = [
    "DOCUMENTED_REFILL",
    "AsyncRateBudgetPolicy",
    "Pacer",
    "RateBudgetPolicy",
    "RateBudgets",
    "reserve",
]

_LOGGER = logging.getLogger("crossipam.pacing")

DOCUMENTED_REFILL: Mapping[str, float] = {"reads": 25.0, "writes": 10.0, "deletes": 10.0}
"""ARM's refill per principal and second (Learn, "Request limits and throttling"): assumed for a bucket until its
figures over some seconds measure it."""
_ITEM_KINDS = ("writes", "deletes")
"""The kinds bulk paces an item's start by (an item spends them first; its reads come later)."""
_PRIOR_COST: Mapping[str, float] = {"reads": 2.0, "writes": 1.0, "deletes": 0.0}
"""Requests of each kind one bulk item is assumed to cost before any item was counted."""
_MIN_SPAN = 3.0
"""Seconds between the two figures a refill rate is measured from (the figures are whole tokens)."""
_SAMPLE = 0.5
"""Seconds between the figures kept for measuring the refill (the last figure is always kept)."""
_MAX_WAIT = 60.0
"""The longest a request or an item is held back."""


def reserve(most: float) -> float:
    """Tokens pacing leaves in a bucket that held ``most``: 2, and 2% of the bucket.

    Args:
        most: The most the bucket was seen to hold.

    ```python
    reserve(250)   # 7.0
    ```
    """
    return 2.0 + 0.02 * most


class Pacer(Protocol):
    """What bulk's scheduler asks before it starts an item (`RateBudgets` is one)."""

    def start_delay(self, subscription: str, running: int) -> float:
        """Seconds one more item of ``subscription`` must wait, ``running`` of its items being in flight."""

    def started(self, subscription: str) -> None:
        """An item of ``subscription`` started."""

    def use_clock(self, clock: Callable[[], float]) -> Callable[[], float]:
        """Read time from ``clock`` (the bulk run's, so that a fake clock in tests moves both) and count a bulk
        run's items from now; return the clock used before (the run gives it back when it ends)."""


def _kind(method: str) -> str:
    if method in ("GET", "HEAD"):
        return "reads"
    return "deletes" if method == "DELETE" else "writes"


def _subscription(url: str) -> str | None:
    lowered = url.lower()
    at = lowered.find("/subscriptions/")
    if at < 0:
        return None
    rest = lowered[at + len("/subscriptions/") :]
    return rest.split("/", 1)[0].split("?", 1)[0] or None


class _Meter:
    """One bucket as its answers describe it: the last figure ``(time, remaining, requests finished)``, figures
    kept every half second ``(time, remaining, requests charged)`` since the bucket was last seen full, the most
    it was seen to hold, and its refill rate (ARM's documented one until measured)."""

    __slots__ = ("best", "history", "last", "most", "scope")

    def __init__(self, kind: str, scope: str) -> None:
        self.scope = scope
        self.best = DOCUMENTED_REFILL[kind]
        self.most = 0.0
        self.last: tuple[float, float, int] = (0.0, 0.0, 0)
        self.history: deque[tuple[float, float, int]] = deque(maxlen=64)

    def observe(self, at: float, remaining: float, finished: int, charged: int) -> None:
        self.last = (at, remaining, finished)
        self.most = max(self.most, remaining + 1)  # it held the token the answered request took
        if remaining >= 0.9 * self.most:
            # (nearly) full: the refill went nowhere, so no window through this figure measures it
            self.history.clear()
            self.history.append((at, remaining, charged))
            return
        if not self.history or at - self.history[-1][0] >= _SAMPLE:
            self.history.append((at, remaining, charged))
        old_at, old_remaining, old_charged = self.history[0]
        if at - old_at >= _MIN_SPAN:
            # what came back: the rise, plus what was charged meanwhile (measured over every second the bucket
            # was not full, up to half a minute)
            rate = (remaining - old_remaining + charged - old_charged) / (at - old_at)
            self.best = max(0.1, (self.best + rate) / 2)

    def level(self, now: float, sent_now: int) -> float:
        """Tokens now: the last figure, plus the refill since (up to the most it was seen to hold), minus what
        was sent and not finished when it was taken, or sent since (counted spent: it may not be charged yet)."""
        at, remaining, finished = self.last
        refilled = min(self.most, remaining + self.best * max(0.0, now - at))
        return refilled - (sent_now - finished)


class RateBudgets:
    """What this client's requests and ARM's answers say of each subscription's buckets (thread-safe).

    Args:
        clock: Seconds, monotonic.

    ```python
    budgets.start_delay(subscription, running=4)   # seconds the next bulk item waits (0.0: start now)
    ```
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sent: dict[tuple[str, str], int] = {}
        self._finished: dict[tuple[str, str], int] = {}
        self._charged: dict[tuple[str, str], int] = {}
        self._meters: dict[tuple[str, str], list[_Meter]] = {}
        self._started: dict[str, int] = {}
        self._run_base: dict[tuple[str, str], int] = {}
        """Requests sent before the current bulk run (what its items cost is counted from there)."""

    def use_clock(self, clock: Callable[[], float]) -> Callable[[], float]:
        """Read time from ``clock`` from now on (the bulk run's: a test's fake clock moves the pacing too), and
        count what a bulk run's items cost from now. A clock of another source forgets the figures (they were
        taken on the old one).

        Args:
            clock: Seconds, monotonic; one with a ``source`` attribute (bulk's guarded clock) is compared by it.

        Returns:
            The clock used until now, for the run to give back when it ends.

        ```python
        before = budgets.use_clock(time.monotonic)
        ```
        """
        with self._lock:
            before, self._clock = self._clock, clock
            if getattr(clock, "source", clock) is not getattr(before, "source", before):
                self._meters.clear()  # figures of another clock
            self._run_base = dict(self._sent)
            self._started.clear()
            return before

    def sent(self, subscription: str, method: str) -> float:
        """Count a request (each try) to ``subscription``, and say how long it should wait before it goes: until
        its bucket's refill has paid for it and for the requests counted before it (0.0: at once).

        Args:
            subscription: The subscription id in the request's URL.
            method: Its HTTP method.

        ```python
        budgets.sent("sub-1", "PUT")   # 0.0
        ```
        """
        key = (subscription.lower(), _kind(method))
        with self._lock:
            sent = self._sent[key] = self._sent.get(key, 0) + 1
            wait = 0.0
            for meter in self._meters.get(key, ()):
                short = reserve(meter.most) - meter.level(self._clock(), sent)
                if short > 0:
                    wait = max(wait, short / meter.best)
        return min(wait, _MAX_WAIT)

    def observed(
        self,
        subscription: str,
        headers: Mapping[str, Any],
        method: str | None = None,
        status: int | None = None,
    ) -> None:
        """Record that a request to ``subscription`` finished, and the remaining budgets its answer reports.

        Args:
            subscription: The subscription id in the request's URL.
            headers: The answer's headers (case-insensitive mapping; empty when no answer came).
            method: The HTTP method of the request (counted finished: what was spent between two figures).
            status: The answer's status (a 429 was not charged: it is counted as never sent, and only tells
                that the bucket is empty now; ``None``: no answer came — spent for the level, which is
                cautious, but not charged for the refill measured).

        ```python
        budgets.observed("sub-1", {"x-ms-ratelimit-remaining-subscription-writes": "199"}, "PUT")
        ```
        """
        sub = subscription.lower()
        with self._lock:
            now = self._clock()
            if method:
                key = (sub, _kind(method.upper()))
                if status == 429:
                    # not charged: as if never sent; the bucket is empty now (a meter already made says so),
                    # but a 429's "0" says nothing of what the bucket holds
                    self._sent[key] = self._sent.get(key, 0) - 1
                    if headers.get(f"x-ms-ratelimit-remaining-subscription-{key[1]}") is not None:
                        for empty in self._meters.get(key, ()):
                            if empty.scope == "subscription":
                                empty.last = (now, 0.0, self._finished.get(key, 0))
                    return
                self._finished[key] = self._finished.get(key, 0) + 1
                if status is not None:  # no answer: it may never have reached ARM
                    self._charged[key] = self._charged.get(key, 0) + 1
            for kind in DOCUMENTED_REFILL:
                for scope in ("subscription", "subscription-global"):
                    value = headers.get(f"x-ms-ratelimit-remaining-{scope}-{kind}")
                    try:
                        remaining = float(value) if value is not None else None
                    except (TypeError, ValueError):
                        remaining = None
                    if remaining is None:
                        continue
                    meters = self._meters.setdefault((sub, kind), [])
                    meter = next((m for m in meters if m.scope == scope), None)
                    if meter is None:
                        meter = _Meter(kind, scope)
                        meters.append(meter)
                    key = (sub, kind)
                    meter.observe(now, remaining, self._finished.get(key, 0), self._charged.get(key, 0))

    def started(self, subscription: str) -> None:
        """Count a bulk item started in ``subscription`` (its cost per item is learnt from these).

        Args:
            subscription: The item's subscription id.

        ```python
        budgets.started("sub-1")
        ```
        """
        sub = subscription.lower()
        with self._lock:
            self._started[sub] = self._started.get(sub, 0) + 1

    def start_delay(self, subscription: str, running: int) -> float:
        """Seconds until one more item may start in ``subscription`` so that its write and delete buckets can pay
        for it and for what the started items still owe — requests each item is expected to cost (learnt, at
        least 1 write) and that were not sent yet (0.0 when the headers said nothing yet). Reads are paced per
        request (`sent`).

        Args:
            subscription: The subscription id.
            running: Items of that subscription in flight (the pacer counts what they owe itself).

        ```python
        budgets.start_delay("sub-1", running=8)   # 0.0
        ```
        """
        sub = subscription.lower()
        delay = 0.0
        with self._lock:
            now = self._clock()
            started = self._started.get(sub, 0)
            for kind in _ITEM_KINDS:
                sent = self._sent.get((sub, kind), 0)
                in_run = sent - self._run_base.get((sub, kind), 0)  # this run's items' requests
                cost = max(_PRIOR_COST[kind], in_run / started if started else 0.0)
                if cost <= 0:
                    continue
                for meter in self._meters.get((sub, kind), ()):
                    # this item, and what the started ones still owe (expected requests not sent yet) — never
                    # more than a bucket nearly full holds, so that an item always starts at last
                    need = cost + max(0.0, cost * started - in_run) + reserve(meter.most)
                    need = min(need, 0.9 * meter.most)
                    level = meter.level(now, sent)
                    if level < need:
                        delay = max(delay, (need - level) / meter.best)
        return min(delay, _MAX_WAIT)


def _before(budgets: RateBudgets, request: Any) -> tuple[str | None, str, float]:
    http = request.http_request
    subscription, method = _subscription(http.url), http.method.upper()
    wait = budgets.sent(subscription, method) if subscription else 0.0
    if wait > 0:
        _LOGGER.debug("%s %s waits %.2f s for its subscription's ARM budget", method, subscription, wait)
    return subscription, method, wait


def _unsent(budgets: RateBudgets, subscription: str | None, method: str) -> None:
    if subscription:
        budgets.observed(subscription, {}, method, 429)  # counted as never sent, as a throttled request is


def _after(budgets: RateBudgets, subscription: str | None, method: str, response: Any) -> None:
    if subscription:
        answer = response.http_response if response is not None else None
        headers = answer.headers if answer is not None else {}
        budgets.observed(subscription, headers, method, answer.status_code if answer is not None else None)


class RateBudgetPolicy(HTTPPolicy):  # type: ignore[type-arg]
    """Paces a sync pipeline's requests by `RateBudgets` and feeds it each answer's headers.

    Args:
        budgets: The client's budgets.

    ```python
    NetworkManagementClient(credential, sub, per_retry_policies=[RateBudgetPolicy(budgets)])
    ```
    """

    def __init__(self, budgets: RateBudgets) -> None:
        super().__init__()
        self._budgets = budgets

    def send(self, request: Any) -> Any:
        """Wait for the request's token if its bucket is short, send it, record the answer.

        Args:
            request: The pipeline request.

        ```python
        response = policy.send(request)   # called by the pipeline
        ```
        """
        subscription, method, wait = _before(self._budgets, request)
        try:
            if wait > 0:
                request.context.transport.sleep(wait)
        except BaseException:
            _unsent(self._budgets, subscription, method)  # cancelled while waiting: it never went
            raise
        response = None
        try:
            response = self.next.send(request)
        finally:
            _after(self._budgets, subscription, method, response)
        return response


class AsyncRateBudgetPolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """`RateBudgetPolicy` for an asyncio pipeline.

    Args:
        budgets: The client's budgets.

    ```python
    NetworkManagementClient(credential, sub, per_retry_policies=[AsyncRateBudgetPolicy(budgets)])
    ```
    """

    def __init__(self, budgets: RateBudgets) -> None:
        super().__init__()
        self._budgets = budgets

    async def send(self, request: Any) -> Any:
        """Wait for the request's token if its bucket is short, send it, record the answer.

        Args:
            request: The pipeline request.

        ```python
        response = await policy.send(request)   # called by the pipeline
        ```
        """
        subscription, method, wait = _before(self._budgets, request)
        try:
            if wait > 0:
                await request.context.transport.sleep(wait)
        except BaseException:
            _unsent(self._budgets, subscription, method)  # cancelled while waiting: it never went
            raise
        response = None
        try:
            response = await self.next.send(request)
        finally:
            _after(self._budgets, subscription, method, response)
        return response
