"""Reading ``Retry-After``: one tolerant parser for every place crossipam reads a wait (a leaf: no I/O, no
imports from the library). [`crossipam.policies`][] re-exports both functions.

```python
from crossipam._retry_after import parse_retry_after

parse_retry_after("5"), parse_retry_after("soon")     # (5.0, None): unreadable counts as absent
```
"""

from __future__ import annotations

import datetime
import email.utils
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["RETRY_AFTER_HEADERS", "parse_retry_after", "retry_after_from_headers"]

RETRY_AFTER_HEADERS: tuple[tuple[str, float], ...] = (
    ("retry-after-ms", 0.001),
    ("x-ms-retry-after-ms", 0.001),
    ("Retry-After", 1.0),
)
"""The headers that ask a client to wait, and the unit of their value in seconds, in the order crossipam's
bulk layer reads them (the first readable one wins)."""
_DELAY_RX = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
"""delay-seconds (RFC 9110: 1*DIGIT), tolerating a fraction; no sign, exponent, ``inf``/``nan`` or ``_``."""


def parse_retry_after(
    value: object, *, unit: float = 1.0, now: Callable[[], float] = time.time
) -> float | None:
    """The wait a ``Retry-After`` value asks for, in seconds, or ``None`` when the value is unreadable.

    Readable: a non-negative decimal number of ``unit`` seconds (``"5"``, ``"1.5"``; ``unit=0.001`` for
    ``retry-after-ms``), or — for seconds only — an HTTP date (a date in the past waits ``0.0``). Unreadable,
    hence treated as absent: ``None``, empty, ``"soon"``, ``"0.5x"``, negative or signed numbers, ``inf``/``nan``,
    an impossible date. Never raises.

    Args:
        value: The header's value (``str`` or ``bytes``; anything else is unreadable).
        unit: Seconds per unit of a number: ``1.0`` for ``Retry-After``, ``0.001`` for the ``-ms`` headers
            (which take no date).
        now: The clock an HTTP date is compared with (seconds since the epoch).

    ```python
    parse_retry_after("5"), parse_retry_after("250", unit=0.001), parse_retry_after("soon")   # (5.0, 0.25, None)
    parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")                                       # 0.0 (past)
    ```
    """
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if _DELAY_RX.fullmatch(text):
        seconds = float(text) * unit
        return seconds if math.isfinite(seconds) else None
    if unit != 1.0:
        return None
    try:
        parsed = email.utils.parsedate_tz(text)
        if parsed is None:
            return None
        offset = datetime.timezone(datetime.timedelta(seconds=parsed[9] or 0))
        when = datetime.datetime(*parsed[:6], tzinfo=offset)
        return max(0.0, when.timestamp() - now())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def retry_after_from_headers(
    headers: Mapping[str, Any] | None, *, now: Callable[[], float] = time.time
) -> float | None:
    """The first readable wait among [`RETRY_AFTER_HEADERS`][crossipam.policies.RETRY_AFTER_HEADERS] in
    ``headers`` (case-insensitive), in seconds; ``None`` when none is present or readable.

    Args:
        headers: A response's headers (``None``, or anything that is not a mapping, has no wait).
        now: The clock an HTTP date is compared with (seconds since the epoch).

    ```python
    retry_after_from_headers({"Retry-After": "soon", "x-ms-retry-after-ms": "1500"})   # 1.5
    ```
    """
    if headers is None:
        return None
    try:
        lowered = {str(k).lower(): v for k, v in headers.items()}
    except Exception:  # not a mapping after all: no wait
        return None
    for name, unit in RETRY_AFTER_HEADERS:
        seconds = parse_retry_after(lowered.get(name.lower()), unit=unit, now=now)
        if seconds is not None:
            return seconds
    return None
