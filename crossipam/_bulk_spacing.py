"""Bulk starts no faster than the client can run them: consecutive starts at least its CPU time per item apart.

Why: a bulk run's items move in step. The first wave starts together, every operation answers with the same
``Retry-After``, so each item's status poll and final ``GET`` come due together with those of every other item
of its wave, round after round. The client's CPU — one event loop for `crossipam.aio`, one GIL for the threads
— then serves a burst of ``max_concurrency`` requests at once, and a request waits for the others' work before
its own answer is read: measured at concurrency 50 on the offline Azure, 22 ms at the median for a ``PUT`` in
asyncio against 4 ms alone, about 50 ms per item and round — which adds up over the rounds, as each item's next
request is due ``Retry-After`` after its own answer was read. Starts spread by the CPU an item costs never
form that burst, and cost nothing the CPU would not have cost anyway: the client cannot run more than one item
per CPU time per item.

`StartSpacing` reserves each start a time at least `interval` after the previous one. The interval is the
client's CPU time per item: before any item ended, ``first`` (4 ms: what a VNet costs the clients on the
benchmark's machine, ``docs/performance.md``); then the process's CPU time since the first start divided by
the items started, at most ``most`` (20 ms — a bound for a process whose other work shares the CPU).
``crossipam.bulk.prepare_bulk`` gives a run one unless the caller injected ``sleep`` or ``clock`` (a fake
clock measures no CPU).

```python
spacing = StartSpacing()
delay = spacing.reserve(now)     # 0.0 for the first start; the driver sleeps it before running the item
spacing.finished()               # after each item: from now on the interval is measured
```
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["StartSpacing"]


class StartSpacing:
    """When each start of a bulk run may begin: at least `interval` after the previous one (callers serialise
    the calls, as the drivers do under their lock).

    Args:
        cpu: The process's CPU seconds (``time.process_time``; inject a fake in tests).
        first: The interval before any item ended (seconds).
        most: The largest interval (seconds).

    ```python
    spacing = StartSpacing(first=0.004)
    [spacing.reserve(0.0) for _ in range(3)]   # [0.0, 0.004, 0.008]: a wave started at once is spread
    ```
    """

    def __init__(
        self, cpu: Callable[[], float] = time.process_time, *, first: float = 0.004, most: float = 0.02
    ) -> None:
        self._cpu = cpu
        self._cpu0: float | None = None  # taken at the first start: a run's setup (listing) is not an item's
        self.first = first
        self.most = most
        self._started = 0
        self._finished = 0
        self._last = -math.inf

    def interval(self) -> float:
        """The least time between two starts now: ``first`` until an item ended, then the CPU time per item
        started (at most ``most``).

        ```python
        spacing.interval()
        ```
        """
        if not self._finished or self._cpu0 is None:
            return self.first
        per_item = (self._cpu() - self._cpu0) / max(1, self._started)
        return min(self.most, max(0.0, per_item))

    def reserve(self, now: float) -> float:
        """Count a start due at ``now``; the seconds it waits first (``0.0`` when the previous start is at least
        an interval back).

        Args:
            now: The run's clock.

        ```python
        delay = spacing.reserve(clock())
        ```
        """
        if self._cpu0 is None:
            self._cpu0 = self._cpu()
        at = max(now, self._last + self.interval())
        self._last = at
        self._started += 1
        return at - now

    def finished(self) -> None:
        """An item ended (whatever its outcome): the interval is measured from now on.

        ```python
        spacing.finished()
        ```
        """
        self._finished += 1
