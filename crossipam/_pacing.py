"""Pacing by ARM's remaining budget: bulk starts an item only when the subscription's buckets can pay for it.

ARM answers every request with what is left of the caller's buckets (``x-ms-ratelimit-remaining-subscription-
reads|writes|deletes``, and ``-global-`` for all principals together). `RateBudgetPolicy` — one per client, on
every pipeline of its VNet clients — counts the requests sent per subscription and kind and records each answer's
remaining budget. `RateBudgets.start_delay` estimates each bucket's level now (the last figure, plus its refill
since, minus what was sent since) and its refill rate (measured between two figures some seconds apart — the
rise plus what was answered meanwhile; ARM's documented rates until then) and says how long the next item must wait so that it, and the requests the running items still
owe, find tokens: bulk spreads its starts at the refill rate instead of running into 429s.

```python
budgets = RateBudgets()
policy = RateBudgetPolicy(budgets)                       # in per_retry_policies of each VNet client
delay = budgets.start_delay("sub-1", running=8)          # 0.0 until the headers say the budget runs low
```
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from azure.core.pipeline.policies import SansIOHTTPPolicy

__all__ = ["DOCUMENTED_REFILL", "Pacer", "RateBudgetPolicy", "RateBudgets"]

DOCUMENTED_REFILL: Mapping[str, float] = {"reads": 25.0, "writes": 10.0, "deletes": 10.0}
"""ARM's refill per principal and second (Learn, "Request limits and throttling"): assumed for a bucket until two
of its figures some seconds apart measure it."""
_PRIOR_COST: Mapping[str, float] = {"reads": 2.0, "writes": 1.0, "deletes": 0.0}
"""Requests of each kind one bulk item is assumed to cost before any item was counted."""
_MIN_SPAN = 3.0
"""Seconds between the two figures a refill rate is measured from (the figures are whole tokens)."""


class Pacer(Protocol):
    """What bulk's scheduler asks before it starts an item (`RateBudgets` is one)."""

    def start_delay(self, subscription: str, running: int) -> float:
        """Seconds one more item of ``subscription`` must wait, ``running`` of its items being in flight."""

    def started(self, subscription: str) -> None:
        """An item of ``subscription`` started."""

    def use_clock(self, clock: Callable[[], float]) -> None:
        """Read time from ``clock`` (the bulk run's, so that a fake clock in tests moves both)."""


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
    """One bucket as its answers describe it: ``(time, remaining, requests sent, requests answered)`` figures,
    the most it was seen to hold, and its refill rate (ARM's documented one, then the running mean of what was
    measured over windows that did not start with a full bucket); pacing counts on 90% of it."""

    __slots__ = ("best", "figures", "kind", "most")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.best = DOCUMENTED_REFILL[kind]
        self.most = 0.0
        self.figures: deque[tuple[float, float, int, int]] = deque(maxlen=256)

    def observe(self, at: float, remaining: float, sent: int, answered: int) -> None:
        self.figures.append((at, remaining, sent, answered))
        self.most = max(self.most, remaining)
        for old_at, old_remaining, _, old_answered in reversed(self.figures):
            if at - old_at < _MIN_SPAN:
                continue
            # what came back: the rise, plus what was spent meanwhile — unless the bucket was full (the refill
            # then went nowhere and only bounds the rate from below)
            if old_remaining < 0.9 * self.most:
                rate = (remaining - old_remaining + answered - old_answered) / (at - old_at)
                self.best = max(0.1, (self.best + rate) / 2)
            break

    def level(self, now: float, sent_now: int) -> float:
        """Tokens now: the last figure, plus the refill since (up to the most it was seen to hold), minus what
        was sent but not answered when it was taken, or sent since."""
        at, remaining, _, answered = self.figures[-1]
        refilled = min(self.most, remaining + 0.9 * self.best * max(0.0, now - at))
        # what was sent and not answered when the figure was taken may not have been charged yet: count it spent
        return refilled - (sent_now - answered)


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
        self._answered: dict[tuple[str, str], int] = {}
        self._meters: dict[tuple[str, str], _Meter] = {}
        self._started: dict[str, int] = {}

    def use_clock(self, clock: Callable[[], float]) -> None:
        """Read time from ``clock`` from now on (the bulk run's: a test's fake clock moves the pacing too).

        Args:
            clock: Seconds, monotonic.

        ```python
        budgets.use_clock(time.monotonic)
        ```
        """
        with self._lock:
            self._clock = clock
            self._meters.clear()  # figures of another clock

    def sent(self, subscription: str, method: str) -> None:
        """Count a request (each try) to ``subscription``.

        Args:
            subscription: The subscription id in the request's URL.
            method: Its HTTP method.

        ```python
        budgets.sent("sub-1", "PUT")
        ```
        """
        key = (subscription.lower(), _kind(method))
        with self._lock:
            self._sent[key] = self._sent.get(key, 0) + 1

    def observed(self, subscription: str, headers: Mapping[str, Any], method: str | None = None) -> None:
        """Record the remaining budgets an answer from ``subscription`` reports.

        Args:
            subscription: The subscription id in the request's URL.
            headers: The answer's headers (case-insensitive mapping).
            method: The HTTP method of the request answered (counted: what was spent between two figures).

        ```python
        budgets.observed("sub-1", {"x-ms-ratelimit-remaining-subscription-writes": "199"})
        ```
        """
        sub = subscription.lower()
        kind_answered = _kind(method.upper()) if method else None
        with self._lock:
            now = self._clock()
            if kind_answered is not None:
                key = (sub, kind_answered)
                self._answered[key] = self._answered.get(key, 0) + 1
            for kind in DOCUMENTED_REFILL:
                for scope in ("subscription", "subscription-global"):
                    value = headers.get(f"x-ms-ratelimit-remaining-{scope}-{kind}")
                    try:
                        remaining = float(value) if value is not None else None
                    except (TypeError, ValueError):
                        remaining = None
                    if remaining is None:
                        continue
                    meter = self._meters.setdefault((sub, scope + kind), _Meter(kind))
                    sent, answered = self._sent.get((sub, kind), 0), self._answered.get((sub, kind), 0)
                    meter.observe(now, remaining, sent, answered)

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
        """Seconds until one more item may start in ``subscription`` so that every bucket can pay for it and for
        what the started items still owe — requests each item is expected to cost (learnt, at least 2 reads and
        1 write) and that were not sent yet (0.0 when the headers said nothing yet).

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
            for (meter_sub, _), meter in self._meters.items():
                if meter_sub != sub:
                    continue
                sent = self._sent.get((sub, meter.kind), 0)
                cost = max(_PRIOR_COST[meter.kind], sent / started if started else 0.0)
                if cost <= 0:
                    continue
                level = meter.level(now, sent)
                # this item, and what the started ones still owe (expected requests not sent yet)
                need = cost + max(0.0, cost * started - sent) + 1.0 + 0.1 * meter.most  # a standing reserve
                if level < need:
                    delay = max(delay, (need - level) / (0.9 * meter.best))
        return min(delay, 60.0)


class RateBudgetPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Feeds `RateBudgets` from a pipeline (sync or asyncio): each try's request, each answer's headers.

    Args:
        budgets: Where to record them.

    ```python
    NetworkManagementClient(credential, sub, per_retry_policies=[RateBudgetPolicy(budgets)])
    ```
    """

    def __init__(self, budgets: RateBudgets) -> None:
        self._budgets = budgets

    def on_request(self, request: Any) -> None:
        http = request.http_request
        subscription = _subscription(http.url)
        if subscription:
            self._budgets.sent(subscription, http.method.upper())

    def on_response(self, request: Any, response: Any) -> None:
        """Record the budget an answer reports; a 429 is left to bulk's gate (it pauses the subscription for
        ``Retry-After`` and halves its concurrency)."""
        subscription = _subscription(request.http_request.url)
        if subscription and response.http_response.status_code != 429:
            method = request.http_request.method.upper()
            self._budgets.observed(subscription, response.http_response.headers, method)
