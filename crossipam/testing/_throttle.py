"""ARM's request throttling and operation timing, as the offline Azure plays them.

Since 2024 ARM throttles with token buckets, per region ("Request limits and throttling", Microsoft Learn): for
each subscription, **per principal and kind of request** — reads 250 tokens refilled at 25 per second, writes
200 at 10 per second, deletes 200 at 10 per second — the same sizes per tenant for requests outside a
subscription, and a **global per-subscription bucket of 15 times** a principal's for all principals together.
A request takes one token from each bucket it falls in; when one is empty ARM answers 429
``SubscriptionRequestsThrottled`` with ``Retry-After``, and every answer says what is left:
``x-ms-ratelimit-remaining-subscription-reads|writes|deletes`` (the principal's bucket),
``x-ms-ratelimit-remaining-subscription-global-reads|writes|deletes`` (the global one) and, outside a
subscription, ``x-ms-ratelimit-remaining-tenant-reads|writes|deletes``.

``ARM_THROTTLE_LIMITS`` is that preset; it is off unless
[`Settings.throttle`][crossipam.testing.Settings.throttle] names it (``serve --throttle arm``).
[unverified] which kind a request is: the offline Azure counts ``GET``/``HEAD`` and the read-only ``POST``
actions (``getPoolUsage``, ``listAssociatedResources``) as reads, ``DELETE`` as deletes, everything else as
writes; the ``-global-`` headers are reported by third parties, not by Learn.

```python
from crossipam.testing import ARM_THROTTLE_LIMITS, AzureEmulator, Settings

emulator = AzureEmulator(Settings(throttle=ARM_THROTTLE_LIMITS))
small = AzureEmulator(Settings(throttle=ARM_THROTTLE_LIMITS.scaled(0.05)))   # buckets of 12 reads, 10 writes …
```
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Literal

from ._http import Request, arm_error

__all__ = [
    "ARM_LRO_RETRY_AFTER",
    "ARM_THROTTLE_LIMITS",
    "ARM_VNET_OPERATION_SECONDS",
    "BucketSize",
    "Kind",
    "ThrottleLimits",
    "Throttles",
    "request_kind",
]

Kind = Literal["reads", "writes", "deletes"]
"""The kinds of request ARM counts apart."""

ARM_LRO_RETRY_AFTER = 10
"""The ``Retry-After`` (seconds) Microsoft.Network answers a virtual network PUT and its status polls with
[field].

```python
real_world_lro_timing(Settings()).lro_retry_after   # 10
```
"""
ARM_VNET_OPERATION_SECONDS = 4.0
"""How long a virtual network create or update runs in Azure [unverified: a few seconds in field reports].

```python
real_world_lro_timing(Settings(), time_factor=0.1).lro_duration   # 0.4
```
"""


@dataclass(frozen=True)
class BucketSize:
    """One token bucket: ``capacity`` tokens, refilled at ``refill`` tokens per second.

    Args:
        capacity: The most tokens it holds (a burst of that many requests passes at once).
        refill: Tokens added per second, up to ``capacity``.

    ```python
    BucketSize(250, 25)   # ARM's reads
    ```
    """

    capacity: float
    refill: float


@dataclass(frozen=True)
class ThrottleLimits:
    """The buckets of each kind of request (``None``: that kind is not throttled), per principal and
    subscription (or tenant), and the factor of the global per-subscription bucket (``None``: none).

    Args:
        reads: Bucket of reads (``GET``, read-only ``POST`` actions).
        writes: Bucket of writes (``PUT``, ``PATCH``, ``POST``).
        deletes: Bucket of deletes.
        global_factor: The global per-subscription bucket (all principals) is this many times a principal's.
        report: Whether every answer carries the ``x-ms-ratelimit-remaining-*`` headers (a 429 always says
            ``0``); ``False`` is a bucket a client cannot see coming.

    ```python
    ThrottleLimits(writes=BucketSize(10, 5), global_factor=None)   # writes only, per principal
    ```
    """

    reads: BucketSize | None = None
    writes: BucketSize | None = None
    deletes: BucketSize | None = None
    global_factor: float | None = 15.0
    report: bool = True

    def size(self, kind: Kind) -> BucketSize | None:
        """The bucket of ``kind``.

        Args:
            kind: ``"reads"``, ``"writes"`` or ``"deletes"``.

        ```python
        ARM_THROTTLE_LIMITS.size("writes")   # BucketSize(capacity=200, refill=10)
        ```
        """
        return {"reads": self.reads, "writes": self.writes, "deletes": self.deletes}[kind]

    def scaled(self, size: float = 1.0, *, time_factor: float = 1.0) -> ThrottleLimits:
        """The same limits with every bucket ``size`` times as large (capacity and refill), and time running
        ``time_factor`` times as fast (refill divided by it: ``time_factor=0.1`` plays ten seconds in one).

        Args:
            size: Factor of capacity and refill (``0.05``: a bucket of 250 holds 12.5).
            time_factor: Seconds of real time per second of ARM's (refill divided by it).

        ```python
        ARM_THROTTLE_LIMITS.scaled(0.1).reads   # BucketSize(capacity=25.0, refill=2.5)
        ```
        """

        def scale(bucket: BucketSize | None) -> BucketSize | None:
            if bucket is None:
                return None
            return BucketSize(bucket.capacity * size, bucket.refill * size / time_factor)

        return ThrottleLimits(
            scale(self.reads), scale(self.writes), scale(self.deletes), self.global_factor, self.report
        )


ARM_THROTTLE_LIMITS = ThrottleLimits(
    reads=BucketSize(250, 25), writes=BucketSize(200, 10), deletes=BucketSize(200, 10), global_factor=15.0
)
"""ARM's buckets since 2024: per principal and subscription (or tenant) reads 250 / 25 per second, writes
200 / 10 per second, deletes 200 / 10 per second; a global per-subscription bucket of 15 times that.

```python
emulator = AzureEmulator(Settings(throttle=ARM_THROTTLE_LIMITS))
```
"""


def request_kind(req: Request) -> Kind:
    """Which bucket an ARM request draws from: ``DELETE`` deletes; ``GET``, ``HEAD`` and the read-only
    ``POST`` actions read; everything else writes.

    Args:
        req: The request.

    ```python
    request_kind(Request("DELETE", "https://management.crossipam.test/subscriptions/s/x", {}))   # "deletes"
    ```
    """
    if req.method == "DELETE":
        return "deletes"
    if req.method in ("GET", "HEAD"):
        return "reads"
    path = req.path.lower().rstrip("/")
    if req.method == "POST" and (path.endswith("/getpoolusage") or path.endswith("/listassociatedresources")):
        return "reads"
    return "writes"


def _wait(level: float, bucket: BucketSize) -> int:
    """Whole seconds until an empty bucket holds a token again."""
    return math.ceil((1 - level) / bucket.refill) if bucket.refill > 0 else 3600


class Throttles:
    """The buckets of one offline Azure, created full on first use (thread-safe).

    ```python
    headers = throttles.take(ARM_THROTTLE_LIMITS, req, principal=oid, tenant=tid, now=clock.time())
    ```
    """

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, ...], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(
        self, limits: ThrottleLimits, req: Request, *, principal: str, tenant: str, now: float
    ) -> dict[str, str]:
        """Take one token from each bucket ``req`` falls in and return the ``x-ms-ratelimit-remaining-*``
        headers; raise ARM's 429 ``SubscriptionRequestsThrottled`` (with ``Retry-After``) when one is empty —
        then no bucket is charged.

        Args:
            limits: The bucket sizes.
            req: An ARM request.
            principal: Object id of the caller.
            tenant: Tenant of the caller (the scope of a request outside a subscription).
            now: The offline Azure's clock.

        ```python
        throttles.take(limits, req, principal=oid, tenant=tid, now=emulator.clock.time())
        ```
        """
        kind = request_kind(req)
        size = limits.size(kind)
        if size is None:
            return {}
        parts = req.path.split("/")
        subscription = parts[2].lower() if len(parts) > 2 and parts[1].lower() == "subscriptions" else ""
        scope = "subscription" if subscription else "tenant"
        buckets: list[tuple[tuple[str, ...], BucketSize, str]] = [
            (
                (scope, subscription or tenant, principal, kind),
                size,
                f"x-ms-ratelimit-remaining-{scope}-{kind}",
            )
        ]
        if subscription and limits.global_factor:
            factor = limits.global_factor
            buckets.append(
                (
                    ("global", subscription, kind),
                    BucketSize(size.capacity * factor, size.refill * factor),
                    f"x-ms-ratelimit-remaining-subscription-global-{kind}",
                )
            )
        with self._lock:
            levels = [(self._level(key, bucket, now), key, bucket, name) for key, bucket, name in buckets]
            waits = [_wait(level, bucket) for level, _, bucket, _ in levels if level < 1]
            if waits:
                headers = {name: str(max(0, int(level))) for level, _, _, name in levels}
                headers["Retry-After"] = str(max(1, *waits))
                raise arm_error(
                    429,
                    "SubscriptionRequestsThrottled",
                    f"Number of '{kind[:-1]}' requests for {scope} '{subscription or tenant}' actor "
                    f"'{principal}' exceeded. Please try again after '{headers['Retry-After']}' seconds after "
                    "additional tokens are available. Refer to https://aka.ms/arm-throttling",
                    headers=headers,
                )
            out: dict[str, str] = {}
            for level, key, _, name in levels:
                self._buckets[key] = (level - 1, now)
                out[name] = str(int(level - 1))
            return out if limits.report else {}

    def _level(self, key: tuple[str, ...], bucket: BucketSize, now: float) -> float:
        """The bucket's tokens at ``now`` (stored back, so a clock moved backwards refills nothing)."""
        tokens, last = self._buckets.get(key, (float(bucket.capacity), now))
        tokens = min(float(bucket.capacity), tokens + max(0.0, now - last) * bucket.refill)
        self._buckets[key] = (tokens, max(now, last))
        return tokens

    def reset(self) -> None:
        """Fill every bucket again (forget them).

        ```python
        emulator.throttles.reset()
        ```
        """
        with self._lock:
            self._buckets.clear()
