"""Bulk work's retry decisions (pure; shared by the thread and asyncio drivers of [`crossipam.bulk`][], which
re-exports them): which failed items are retried, after how long, and how any failure becomes a typed error.

```python
decision = classify(err, attempt=2)      # None: final
```
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from ._redact import describe
from ._wire_errors import error_code
from .errors import (
    AzureServiceError,
    ConflictError,
    CrossIpamError,
    ThrottledError,
    TransportError,
)
from .policies import retry_after_from_headers

__all__ = ["DEFAULT_MAX_ATTEMPTS", "RetryDecision", "as_crossipam_error", "classify", "retry_after_seconds"]

_LOGGER = logging.getLogger("crossipam.bulk")

DEFAULT_MAX_ATTEMPTS = 6
"""Attempts per item (the first run plus up to five retries)."""
_BASE_DELAY = 1.0
"""Backoff when ARM gives no ``Retry-After``: base * 2**(attempt-1), capped."""
_MAX_DELAY = 60.0


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
    an HTTP date) on the response behind ``error`` (itself or its ``__cause__``), if any. An unreadable value
    (``soon``, ``0.5x``, negative, empty) counts as absent ([`crossipam.policies.parse_retry_after`][]), so
    the normal backoff applies. Never raises.

    Args:
        error: The item's failure; its ``response`` (or its ``__cause__``'s) carries the headers.

    ```python
    retry_after_seconds(throttled_error)   # 1.0
    ```
    """
    for candidate in (error, error.__cause__):
        try:
            wait = retry_after_from_headers(getattr(getattr(candidate, "response", None), "headers", None))
        except Exception as err:  # a response object of unexpected shape: no wait to read
            _LOGGER.debug("no Retry-After readable from %s: %s", type(candidate).__name__, type(err).__name__)
            wait = None
        if wait is not None:
            return wait
    return None


def _backoff(attempt: int) -> float:
    return float(min(_MAX_DELAY, _BASE_DELAY * 2.0 ** max(0, attempt - 1)))


def classify(error: CrossIpamError, attempt: int) -> RetryDecision | None:
    """Whether the item that failed with ``error`` on its ``attempt``-th run is retried, and after how long.

    Args:
        error: The item's failure, as a typed error.
        attempt: The run that failed (1 for the first), which sets the backoff without ``Retry-After``.

    ```python
    decision = classify(err, attempt=2)
    if decision is None: ...   # final: report the error
    ```
    """
    if not isinstance(error, AzureServiceError):
        return None
    code = error.code or ""
    wait = retry_after_seconds(error)
    if isinstance(error, ThrottledError) or error.status == 429 or error_code(code).retry == "throttle":
        return RetryDecision("throttle", wait if wait is not None else _backoff(attempt), True)
    if error_code(code).retry in ("conflict", "stale") or (
        isinstance(error, ConflictError) and error.status in (409, 412)
    ):
        return RetryDecision("conflict", wait if wait is not None else _backoff(attempt), True)
    if isinstance(error, TransportError) or (error.status is not None and error.status >= 500):
        return RetryDecision("transient", wait if wait is not None else _backoff(attempt), False)
    return None


def as_crossipam_error(exc: BaseException, vnet_id: str) -> CrossIpamError:
    """Every failure of an item as a [`CrossIpamError`][crossipam.errors.CrossIpamError] (an azure-core error
    the client did not map becomes a [`TransportError`][crossipam.errors.TransportError], anything else — a
    ``KeyError`` or ``TypeError`` from a bug, a ``ValueError`` from a library — a plain ``CrossIpamError``
    whose ``__cause__`` is the original). Never raises.

    Args:
        exc: What the attempt raised.
        vnet_id: The item's VNet, named in the message.

    ```python
    isinstance(as_crossipam_error(ServiceRequestError("connection reset"), vnet_id), TransportError)   # True
    ```
    """
    if isinstance(exc, CrossIpamError):
        return exc
    from azure.core.exceptions import AzureError

    if isinstance(exc, AzureError):
        err: CrossIpamError = TransportError(
            f"the request for {vnet_id} failed: {describe(exc)}",
            hint="a failure that outlived azure-core's retries; run the operation again",
        )
    else:
        err = CrossIpamError(
            f"unexpected failure for {vnet_id}: {describe(exc)}",
            hint="not an Azure answer: the original exception is this error's __cause__ (a bug worth reporting)",
        )
    err.__cause__ = exc
    return err
