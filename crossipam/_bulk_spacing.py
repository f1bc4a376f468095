"""Bulk starts no faster than the client can run them: consecutive starts at least its CPU time per item apart.

Why: a bulk run's items move in step. The first wave starts together, every operation answers with the same
``Retry-After``, so each item's status poll and final ``GET`` come due together with those of every other item
of its wave, round after round. The client's CPU — one event loop for `crossipam.aio`, one interpreter lock for
the threads — then serves a burst of ``max_concurrency`` requests at once, and a request waits for the others'
work before its own answer is read (at concurrency 50 against the offline Azure, a ``PUT`` took 17.5 ms at the
median with asyncio, 4.6 ms once the starts were spread: ``benchmarks/bench_arm.py --latency``). Each item's next request is due ``Retry-After`` after
its own answer was read, so the waits add up round after round. Starts spread by the CPU an item costs do not
form that burst, and cost nothing the CPU would not have cost anyway: the client cannot run items faster.

`StartSpacing` gives each start a place at least `interval` after the previous one. The interval is the
process's CPU time (``time.process_time``, all threads) since the first start per item started, at most
``most`` (20 ms: a bound for a process whose other work shares the CPU) - and at least ``first`` (4 ms, a little
under a VNet's client CPU time on the benchmark's machine: 4.5 to 10 ms in ``docs/performance.md``) until half
the items started have ended. ``crossipam.bulk.prepare_bulk`` gives a run one unless the caller injected
``sleep`` or ``clock``: the places are real CPU seconds, which mean nothing on a test's fake clock.

```python
spacing = StartSpacing()
wait = spacing.reserve(now)      # 0.0 for the first place; the driver sleeps the wait, then takes an item
spacing.started()                # when it took one
spacing.finished()               # when the item ended
```
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["StartSpacing"]

_CLOCK_JUMP = 60.0
"""A reserved place further ahead than this (seconds) means the clock went back."""


class StartSpacing:
    """When each start of a bulk run may begin: at least `interval` after the previous one. A worker reserves its
    place *before* it takes an item and sleeps outside the lock, so that it takes whichever item may start when
    its place comes (a subscription paused meanwhile is skipped) and no worker wakes the others; callers
    serialise the calls, as the drivers do under their lock.

    Args:
        cpu: The process's CPU seconds (``time.process_time``; inject a fake in tests).
        first: The least interval until half the items started have ended (seconds).
        most: The largest interval (seconds).

    Attributes:
        first: As given.
        most: As given.

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
        """The least time between two starts now: the process's CPU time since the first start per item started,
        within ``[0, most]`` — and at least ``first`` until half the items started have ended (before, the CPU
        spent is only part of what they cost, and one item that failed at once would end the spread).

        Returns:
            Seconds.

        ```python
        spacing.interval()
        ```
        """
        if self._cpu0 is None or not self._started:
            return self.first
        measured = min(self.most, max(0.0, (self._cpu() - self._cpu0) / self._started))
        return max(self.first, measured) if 2 * self._finished < self._started else measured

    def reserve(self, now: float) -> float:
        """Reserve the next place: at ``now``, or an interval after the previous place if that is later.

        Args:
            now: The run's clock.

        Returns:
            The seconds until the place (``0.0``: an item may start now).

        ```python
        wait = spacing.reserve(clock())
        ```
        """
        if self._last > now + _CLOCK_JUMP:  # the clock went back (a broken fake replaced): start afresh
            self._last = -math.inf
        at = max(now, self._last + self.interval())
        self._last = at
        return at - now

    def started(self) -> None:
        """An item started (the first one starts the CPU count).

        ```python
        spacing.started()
        ```
        """
        if self._cpu0 is None:
            self._cpu0 = self._cpu()
        self._started += 1

    def finished(self) -> None:
        """An item ended (whatever its outcome).

        ```python
        spacing.finished()
        ```
        """
        self._finished += 1
