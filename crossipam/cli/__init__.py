"""The ``crossipam`` console script.

```sh
crossipam demo                                   # onboard, deploy, remove: against an in-process offline Azure
crossipam check --pool-id $POOL --vnet-id $VNET --addresses 256      # is everything in place? (exit 4 if not)
crossipam deploy $VNET --location eastus --pool-id $POOL --addresses 256 --subnets "app:64;data:16"
crossipam plan --from-file vnets.csv                # what it would do (exit 0 none, 2 changes, 1 error)
crossipam deploy --from-file vnets.csv --yes --output json
crossipam pool usage $POOL
crossipam emulator --scenario fresh              # serve the offline Azure over HTTPS (one JSON line)
```

Credentials, in this order (the first that applies wins; ``--auth`` forces one):

1. ``--client-id`` (+ ``--tenant``): that app, with ``--certificate PATH`` or the secret from
   ``AZURE_CLIENT_SECRET`` (prompted for when unset and stdin is a terminal). A secret is never an option.
2. The environment, as ``CrossTenantIpamClient.from_environment`` reads it (``AZURE_CLIENT_ID``,
   ``AZURE_TENANT_ID``, ``AZURE_CLIENT_SECRET`` | ``AZURE_CLIENT_CERTIFICATE_PATH`` | ``AZURE_FEDERATED_TOKEN_FILE``).
3. The Azure CLI's login (``AzureCliCredential``, allowed to get tokens for the management tenant).

Exit codes (0-3 as in ``az``): 0 success, 1 Azure or operation error, 2 usage or bad input, 3 not found (a VNet,
pool or app Azure does not know), 4 readiness check failed, 5 authentication or authorization. Errors are one line plus a hint on stderr (``--output json`` also prints
``{"error": …}`` on stdout); ``--debug`` adds the details. Tokens and secrets are never printed.

Only the ``demo`` and ``emulator`` commands (`crossipam.cli._demo`) import `crossipam.testing` (the
offline Azure); the library never does.

The package: ``_parser`` (argparse), ``_commands`` (one function per command), ``_render`` (JSON, tables,
errors), ``_errors`` (exit codes), ``_auth`` (credentials and the files they read), ``_input`` and ``_specs``
(the files of ``--from-file``), ``_plan_commands`` (``plan``, the confirmation of ``deploy --from-file``, the pool
inventory and static CIDR commands), ``_demo`` (``demo``, ``emulator``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from ..errors import CrossIpamError

# two private helpers the tests reach as crossipam.cli._certificate_file and crossipam.cli._error_dict
from ._auth import _certificate_file as _certificate_file
from ._commands import COMMANDS, CommandIO
from ._demo import needs_testing_extra, run_demo, run_emulator
from ._errors import (
    EXIT_AUTH,
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_NOT_FOUND,
    EXIT_NOT_READY,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    exit_code_for,
)
from ._input import MAX_INPUT_FILE_BYTES
from ._parser import build_parser
from ._render import _error_dict as _error_dict
from ._render import bulk_to_dict, cli_remedy, command_name, report_error
from ._specs import parse_subnets, read_deployment_file, read_removal_file

__all__ = [
    "EXIT_AUTH",
    "EXIT_BROKEN_PIPE",
    "EXIT_ERROR",
    "EXIT_NOT_FOUND",
    "EXIT_NOT_READY",
    "EXIT_OK",
    "EXIT_USAGE",
    "MAX_INPUT_FILE_BYTES",
    "UsageError",
    "build_parser",
    "bulk_to_dict",
    "cli_remedy",
    "exit_code_for",
    "main",
    "parse_subnets",
    "read_deployment_file",
    "read_removal_file",
    "run_demo",
]


@contextlib.contextmanager
def _configure_logging(debug: bool, verbose: bool, errout: TextIO) -> Iterator[None]:
    """Log to ``errout`` for one command, then restore the logging configuration (``main`` may run in-process)."""
    handler = logging.StreamHandler(errout)
    handler.setFormatter(
        logging.Formatter(
            "   [%(name)s] %(message)s" if verbose and not debug else "[%(levelname)s %(name)s] %(message)s"
        )
    )
    root = logging.getLogger()
    names = ("crossipam", "azure.core.pipeline.policies.http_logging_policy")
    saved = (list(root.handlers), root.level, [logging.getLogger(n).level for n in names])
    root.handlers[:] = [handler]
    # azure-identity logs failed token requests at WARNING; crossipam reports them as its own error line.
    root.setLevel(logging.WARNING if (debug or verbose) else logging.CRITICAL)
    logging.getLogger(names[0]).setLevel(
        logging.DEBUG if debug else logging.INFO if verbose else logging.ERROR
    )
    # azure-core's HttpLoggingPolicy redacts Authorization and the auxiliary header.
    logging.getLogger(names[1]).setLevel(logging.INFO if debug else logging.WARNING)
    try:
        yield
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in zip(names, saved[2], strict=True):
            logging.getLogger(name).setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crossipam`` console script; returns the exit code.

    ```python
    main(["demo"])                                                # 0
    main(["pool", "usage", pool_id, "--output", "json"])          # prints the usage as JSON
    ```
    """
    try:
        return _main(argv)
    except (
        BrokenPipeError
    ):  # the reader went away (`crossipam demo | head`): stop quietly, like Unix tools do
        with contextlib.suppress(OSError, ValueError):  # and let the interpreter's final flush go nowhere
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["emulator"]:
        return run_emulator(args_list[1:])
    try:
        parser = build_parser()
        args, extras = parser.parse_known_args(args_list)
        if extras and args.command != "emulator":
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as exit_:  # --help, --version, or a usage error (already printed)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command == "emulator":  # after --output/--debug: the rest is the emulator's options
        return run_emulator(extras)
    out, errout = sys.stdout, sys.stderr
    if args.command == "demo":
        if args.addresses <= 0:
            print("crossipam demo: --addresses must be positive", file=errout)
            return EXIT_USAGE
        if args.output != "table" or args.query:  # given before the command
            given = f"--output {args.output}" if args.output != "table" else "--query"
            print(f"crossipam demo: {given} is not supported (the demo prints a walk-through)", file=errout)
            return EXIT_USAGE
        with _configure_logging(False, args.verbose, sys.stdout):
            try:
                return needs_testing_extra(
                    "demo",
                    lambda: run_demo(addresses=args.addresses, vnet_name=args.vnet_name, https=args.https),
                )
            except CrossIpamError as err:
                print(f"crossipam demo failed: {err}", file=errout)
                return EXIT_ERROR
    with _configure_logging(args.debug, args.verbose, errout):
        try:
            return COMMANDS[args.command](args, CommandIO(out, errout, os.environ))
        except CrossIpamError as err:
            return report_error(err, args, out, errout)
        except KeyboardInterrupt:
            print(f"crossipam {command_name(args)}: interrupted", file=errout)
            return 130
