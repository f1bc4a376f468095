"""``python -m crossipam.testing serve``: run the offline Azure over HTTPS until SIGINT/SIGTERM.

On start it prints exactly one JSON line on stdout (the scenario: endpoints, CA bundle, tenant and
subscription ids, credentials), so a parent process or a shell script can read it and point clients at it:

```sh
python -m crossipam.testing serve --scenario onboarded > emulator.json &
jq -r .ca_bundle emulator.json
```
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ._core import Settings, real_world_lro_timing
from ._throttle import ARM_THROTTLE_LIMITS
from .emulator import AzureEmulator
from .scenarios import SCENARIOS, add_managed_subscriptions

__all__ = ["build_parser", "env_text", "main", "settings_from_args"]


def build_parser(*, serve_prog: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser of ``python -m crossipam.testing``; ``serve_prog`` is the name the ``serve``
    command's usage and errors show (default ``python -m crossipam.testing serve``; ``crossipam emulator``
    passes its own)."""
    parser = argparse.ArgumentParser(prog="python -m crossipam.testing", description="The offline Azure.")
    sub = parser.add_subparsers(dest="command", required=True)
    prog = serve_prog or "python -m crossipam.testing serve"
    serve = sub.add_parser(
        "serve",
        prog=serve_prog,
        help="serve a seeded offline Azure over HTTPS on loopback",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Examples:\n  Serve the fresh scenario; one JSON line\n    {prog} --scenario fresh\n\n"
        f"  Point this shell at it\n    {prog} --print-env > offline.env & sleep 3; . ./offline.env\n",
    )
    serve.set_defaults(command_parser=serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=_port,
        default=0,
        help="first port: login, ARM and Graph take PORT, PORT+1, PORT+2 (default 0: any free ports)",
    )
    serve.add_argument("--scenario", choices=SCENARIOS, default="onboarded", help="what to seed")
    serve.add_argument(
        "--print-env",
        nargs="?",
        const="shell",
        choices=("shell", "dotenv"),
        help="print the environment variables that point the CLI and the SDKs here (AZURE_*, CROSSIPAM_*, "
        "REQUESTS_CA_BUNDLE) instead of the JSON line: shell `export` lines (default) or a dotenv file",
    )
    serve.add_argument(
        "--managed-subscriptions",
        type=_positive,
        default=1,
        help="managed subscriptions to seed, each with its own pool (default 1: the scenario's); the JSON line "
        "lists them under managed_subscriptions",
    )
    serve.add_argument(
        "--lro-polls", type=_count, default=0, help="InProgress answers before an LRO completes"
    )
    serve.add_argument("--lro-retry-after", type=_count, default=0, help="integer Retry-After sent with LROs")
    serve.add_argument("--latency", type=_seconds, default=0.0, help="seconds added to every request")
    serve.add_argument(
        "--token-lifetime", type=_positive, default=3600, help="access-token lifetime in seconds"
    )
    serve.add_argument(
        "--replication-delay",
        type=_seconds,
        default=0.0,
        help="seconds before a new service principal replicates",
    )
    serve.add_argument(
        "--replication-failures",
        type=_count,
        default=0,
        help="attempts that fail while a principal replicates",
    )
    serve.add_argument(
        "--require-connection",
        action="store_true",
        help="refuse cross-tenant VNet PUTs without a Connected network-manager connection",
    )
    serve.add_argument(
        "--write-bucket-capacity",
        type=_count,
        default=None,
        help="per-subscription ARM write budget (429 when empty)",
    )
    serve.add_argument(
        "--throttle",
        choices=("off", "arm"),
        default="off",
        help="ARM's token buckets (arm: reads 250 / 25 per s, writes and deletes 200 / 10 per s, per principal; "
        "a global bucket 15 times that), with x-ms-ratelimit-remaining-* headers and 429s (default off)",
    )
    serve.add_argument(
        "--throttle-scale",
        type=_factor,
        default=1.0,
        help="with --throttle arm: buckets this many times ARM's, capacity and refill (default 1)",
    )
    serve.add_argument(
        "--lro-timing",
        choices=("instant", "azure"),
        default="instant",
        help="azure: operations last as in Azure and answer Azure's Retry-After (times --time-factor)",
    )
    serve.add_argument(
        "--time-factor",
        type=_factor,
        default=1.0,
        help="seconds of real time per second of Azure's, for --lro-timing azure and --throttle arm (default 1)",
    )
    return parser


def _integer(text: str, low: int, high: int | None, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < low or (high is not None and value > high):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def _port(text: str) -> int:
    """0 (any free ports) or a first port whose next two also exist (login, ARM, Graph)."""
    return _integer(text, 0, 65535 - 2, "a port: 0 (any free ports) or 1-65533 (PORT, PORT+1, PORT+2)")


def _count(text: str) -> int:
    return _integer(text, 0, None, "a non-negative integer")


def _positive(text: str) -> int:
    return _integer(text, 1, None, "a positive integer")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative number of seconds")
    return value


def _factor(text: str) -> float:
    value = _seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The emulator settings selected by the parsed ``serve`` options."""
    factor = getattr(args, "time_factor", 1.0)
    throttle = None
    if getattr(args, "throttle", "off") == "arm":
        throttle = ARM_THROTTLE_LIMITS.scaled(getattr(args, "throttle_scale", 1.0), time_factor=factor)
    settings = Settings(
        token_lifetime=args.token_lifetime,
        lro_polls=args.lro_polls,
        lro_retry_after=args.lro_retry_after,
        latency=args.latency,
        replication_delay=args.replication_delay,
        replication_failures=args.replication_failures,
        require_connection=args.require_connection,
        write_bucket_capacity=args.write_bucket_capacity,
        throttle=throttle,
    )
    if getattr(args, "lro_timing", "instant") == "azure":
        settings = real_world_lro_timing(settings, time_factor=factor)
    return settings


def serve(args: argparse.Namespace) -> int:
    """Seed, serve, print the scenario as one JSON line, and block until SIGINT/SIGTERM."""
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    emu = AzureEmulator(settings_from_args(args))
    info = emu.load_scenario(args.scenario)
    try:
        server = emu.serve(args.host, args.port)
    except OSError as err:  # port in use, unknown host …: one line, not a traceback
        sys.stderr.write(f"cannot listen on {args.host} port {args.port}: {err.strerror or err}\n")
        return 1
    try:
        info.ca_bundle = server.ca_bundle
        extra = add_managed_subscriptions(emu, info, getattr(args, "managed_subscriptions", 1) - 1)
        if args.print_env:
            sys.stdout.write(env_text(info.environment(), args.print_env))
        else:
            payload = info.to_dict()
            payload["managed_subscriptions"] = [
                {"subscription_id": info.managed_subscription_id, "pool_id": info.pool_id},
                *extra,
            ]
            sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        server.close()
    return 0


_PLAIN = re.compile(r"[\w@%+=:,./-]*")


def env_text(env: dict[str, str], form: str) -> str:
    """Environment variables as ``export`` lines a POSIX shell evaluates (``shell``) or a dotenv file.

    ```python
    env_text({"AZURE_TENANT_ID": "bbbb…"}, "shell")   # "export AZURE_TENANT_ID=bbbb…\n"
    ```
    """
    if form == "dotenv":  # quoted (JSON's escapes, which dotenv readers accept) when not a plain word
        return "".join(f"{k}={v if _PLAIN.fullmatch(v) else json.dumps(v)}\n" for k, v in env.items())
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())


def main(argv: Sequence[str] | None = None, *, serve_prog: str | None = None) -> int:
    """Entry point; returns the process exit code. ``serve_prog``: see `build_parser`."""
    parser = build_parser(serve_prog=serve_prog)
    args, extras = parser.parse_known_args(argv)
    if extras:  # reported by the command they were given to, under its name
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(extras)}")
    if args.command == "serve":
        return serve(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
