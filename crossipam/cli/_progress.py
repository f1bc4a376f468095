"""Progress of one long command (a deploy's long-running operation, an onboarding's replication wait): a rich
spinner on stderr when it is a terminal, otherwise plain lines on stderr; never anything on stdout, so that
``-o json`` stays one JSON document. What is shown is what crossipam logs at INFO as it works (the waits included).

```python
with activity(args, sys.stderr, "deploying vnet-a"):
    client.begin_deploy_virtual_network(...).result()
```
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TextIO

_LOGGER_NAME = "crossipam"


class _Forward(logging.Handler):
    """Hands each crossipam INFO message to the display."""

    def __init__(self, show: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._show = show

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a display must never fail the command
            self._show(record.getMessage())


def quiet(args: argparse.Namespace) -> bool:
    """No progress: ``--only-show-errors``, ``--progress none``, or ``--verbose``/``--debug`` (their log says it).

    Args:
        args: The parsed options.

    ```python
    quiet(build_parser().parse_args(["show", vnet_id, "--only-show-errors"]))   # True
    ```
    """
    return bool(
        getattr(args, "only_show_errors", False)
        or getattr(args, "progress", "auto") == "none"
        or getattr(args, "verbose", False)
        or getattr(args, "debug", False)
    )


PLAIN_DELAY = 1.0
"""Seconds a command runs before ``--progress auto`` says so in plain lines (stderr not a terminal): what ends
sooner prints nothing but its result."""


@contextlib.contextmanager
def activity(args: argparse.Namespace, errout: TextIO, text: str) -> Iterator[None]:
    """Show that ``text`` is under way until the block ends, with what crossipam reports meanwhile: a spinner
    on a terminal; otherwise plain lines, from the start with ``--progress plain``, or once the work has taken
    `PLAIN_DELAY` seconds (``auto``).

    Args:
        args: The parsed options (``--only-show-errors``, ``--progress``, ``--verbose``, ``--debug``).
        errout: stderr.
        text: What is under way (``deploying vnet-a``).

    ```python
    with activity(args, sys.stderr, "onboarding the app"):
        onboard_service_principal(...)
    ```
    """
    if quiet(args):
        yield
        return
    mode = getattr(args, "progress", "auto")
    with contextlib.ExitStack() as stack:
        show: Callable[[str], None] | None = None
        if mode in ("auto", "rich") and errout.isatty():
            with contextlib.suppress(ImportError):
                from rich.console import Console

                status = stack.enter_context(Console(file=errout).status(text))
                show = lambda message: status.update(f"{text}: {message}")  # noqa: E731
        if show is None:
            show = stack.enter_context(_plain(errout, text, 0.0 if mode == "plain" else PLAIN_DELAY))
        stack.enter_context(_forwarded(show))
        yield


@contextlib.contextmanager
def _plain(errout: TextIO, text: str, delay: float) -> Iterator[Callable[[str], None]]:
    """Plain lines on ``errout``: ``text …`` once ``delay`` seconds passed, then each message (those that came
    earlier too)."""
    lock = threading.Lock()
    held: list[str] = []
    started = threading.Event()

    def start() -> None:
        with lock:
            if not started.is_set():
                started.set()
                for line in [f"{text} …", *(f"  {m}" for m in held)]:
                    print(line, file=errout, flush=True)

    def show(message: str) -> None:
        with lock:
            if not started.is_set():
                held.append(message)
                return
        print(f"  {message}", file=errout, flush=True)

    timer = threading.Timer(delay, start)
    timer.daemon = True
    if delay <= 0:
        start()
    else:
        timer.start()
    try:
        yield show
    finally:
        timer.cancel()
        with lock:
            started.set()  # too late: nothing more is printed


@contextlib.contextmanager
def _forwarded(show: Callable[[str], None]) -> Iterator[None]:
    """crossipam's INFO messages to ``show`` only (not to the log's handlers) while the block runs."""
    logger = logging.getLogger(_LOGGER_NAME)
    saved = (logger.level, logger.propagate)
    handler = _Forward(show)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
