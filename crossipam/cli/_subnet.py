"""``crossipam subnet deploy|remove``: one subnet of a VNet at a time (``begin_deploy_subnet``,
``begin_remove_subnet_allocation``), kept apart from the other commands: its parser (`add_subnet_parser`, called by
`crossipam.cli._parser`) and its command (`cmd_subnet`, in `crossipam.cli._commands.COMMANDS`).

```python
code = cmd_subnet(build_parser().parse_args(["subnet", "deploy", vnet_id, "app", "--addresses", "64"]), io_)
```
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from ..models import SubnetSpec
from ._errors import EXIT_OK

if TYPE_CHECKING:
    from ..subnets import SubnetResult
    from ._commands import CommandIO

__all__ = ["add_subnet_parser", "cmd_subnet", "print_subnet"]


def add_subnet_parser(
    sub: Any, parents: list[argparse.ArgumentParser], parser_class: Any, whole_number: Callable[[str], int]
) -> None:
    """Add ``subnet deploy`` and ``subnet remove`` to the console script's subcommands.

    Args:
        sub: The subparsers of the ``crossipam`` parser.
        parents: The parsers whose options every command takes (output, the Azure options).
        parser_class: The parser class of the subcommands.
        whole_number: The ``type`` of the address counts.

    ```python
    add_subnet_parser(sub, [common, azure], _Parser, _whole_number)
    ```
    """
    subnet = sub.add_parser(
        "subnet",
        parents=parents[:1],
        help="one subnet of a VNet at a time (the other subnets are not touched)",
    )
    verbs = subnet.add_subparsers(
        dest="subnet_command", required=True, metavar="COMMAND", parser_class=parser_class
    )
    deploy = verbs.add_parser(
        "deploy", parents=parents, help="create or grow one subnet from the VNet's pool (never shrinks)"
    )
    deploy.add_argument("vnet_id", help="resource id of the VNet (it must exist and hold a pool allocation)")
    deploy.add_argument("name", help="the subnet's name")
    deploy.add_argument("--addresses", type=whole_number, required=True, help="IPv4 addresses (e.g. 64)")
    deploy.add_argument(
        "--ipv6-addresses", type=whole_number, default=None, help="IPv6 addresses (2^64 per /64)"
    )
    deploy.add_argument("--pool-id", default=None, help="the VNet's IPv4 pool (default: the one it uses)")
    deploy.add_argument(
        "--ipv6-pool-id", default=None, help="the VNet's IPv6 pool (default: the one it uses)"
    )
    remove = verbs.add_parser(
        "remove",
        parents=parents,
        help="turn one subnet's allocation into static prefixes (nothing renumbered)",
    )
    remove.add_argument("vnet_id", help="resource id of the VNet")
    remove.add_argument("name", help="the subnet's name")


def print_subnet(result: SubnetResult, out: TextIO) -> None:
    """A subnet as a two-column table.

    Args:
        result: What the call returned.
        out: Where to print.

    ```python
    print_subnet(client.begin_deploy_subnet(vnet_id, SubnetSpec("app", 64)).result(), sys.stdout)
    ```
    """
    rows = [
        ("subnet", result.subnet_id),
        ("action", result.action),
        ("address prefixes", ", ".join(str(n) for n in result.address_prefixes) or "(none)"),
    ]
    rows += [("allocation", f"{a.number_of_ip_addresses} from {a.pool_id}") for a in result.allocations]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}", file=out)


def cmd_subnet(args: argparse.Namespace, io_: CommandIO) -> int:
    """Run ``crossipam subnet deploy|remove``.

    Args:
        args: The parsed command line.
        io_: Where to write, and the environment.

    ```python
    code = cmd_subnet(args, CommandIO(sys.stdout, sys.stderr, os.environ))
    ```
    """
    from ._auth import make_client  # the parser imports this module: the client's imports wait for a command
    from ._output import emit

    with make_client(args, io_.env) as client:
        if args.subnet_command == "deploy":
            spec = SubnetSpec(args.name, args.addresses, args.ipv6_addresses)
            poller = client.begin_deploy_subnet(
                args.vnet_id, spec, pool_id=args.pool_id, ipv6_pool_id=args.ipv6_pool_id
            )
        else:
            poller = client.begin_remove_subnet_allocation(args.vnet_id, args.name)
        result = poller.result()
    emit(args, io_.out, result.to_dict(), lambda out: print_subnet(result, out))
    return EXIT_OK
