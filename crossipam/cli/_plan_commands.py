"""The ``plan`` command, the confirmation of ``deploy --from-file``, and the pool inventory and static CIDR
commands (``pool show|list|reserve|unreserve|reservations``): their options, what they call, what they print.

``crossipam plan --from-file FILE`` exits like Terraform's ``plan -detailed-exitcode``: 0 when nothing would
change, 2 when something would, 1 when an item is refused or cannot be planned, or on any error (a bad file,
no credential: not 2, which means "changes" here; only argparse's own usage errors still exit 2).

```sh
crossipam plan --from-file vnets.yaml                     # a table; exit 0, 1 or 2
crossipam deploy --from-file vnets.yaml --yes             # prints the plan's summary, then applies it
crossipam pool reserve $POOL on-premises --prefix 10.0.0.0/24 --description HQ
```
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from ..errors import CrossIpamError
from ..models import DeploymentSpec
from ..plans import Plan, VnetPlan
from ..pools import IpamPool, StaticCidr
from ._auth import make_client
from ._errors import EXIT_ERROR, EXIT_OK, UsageError
from ._output import emit
from ._render import _table, report_error, usage_json
from ._specs import read_deployment_file

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..client import CrossTenantIpamClient

__all__ = [
    "EXIT_CHANGES",
    "POOL_COMMANDS",
    "add_plan_command",
    "add_pool_commands",
    "add_yes_option",
    "cmd_plan",
    "confirm_deployment",
    "print_plan",
    "print_pool",
    "print_static_cidrs",
]

EXIT_CHANGES = 2
"""``crossipam plan``: the plan has changes (Terraform's ``-detailed-exitcode``)."""


class _IO(Protocol):
    out: TextIO
    err: TextIO
    env: Mapping[str, str]


# ---- options ---------------------------------------------------------------------------------------------------


def add_plan_command(sub: Any, common: argparse.ArgumentParser, azure: argparse.ArgumentParser) -> None:
    """Add ``plan`` to the subcommands.

    Args:
        sub: The subparsers of ``crossipam``.
        common: The ``--output``/``--debug`` parent parser.
        azure: The credentials and endpoints parent parser.

    ```python
    add_plan_command(sub, common, azure)
    ```
    """
    plan = sub.add_parser(
        "plan",
        parents=[common, azure],
        help="show what deploy --from-file would do (exit 0: no changes, 2: changes, 1: error)",
        description="Read the VNets and the pools' free space and print what `deploy --from-file` would do to "
        "each VNet, without writing anything. Exit codes like Terraform's -detailed-exitcode: 0 no changes, "
        "2 changes, 1 an item is refused or cannot be planned.",
    )
    plan.add_argument("--from-file", required=True, metavar="FILE", help="CSV or YAML, as deploy --from-file")
    plan.add_argument("--location", help="fills empty location cells")
    plan.add_argument("--pool-id", help="fills empty pool_id cells")


def add_yes_option(deploy: argparse.ArgumentParser) -> None:
    """Add ``--yes`` to ``deploy``.

    Args:
        deploy: The ``deploy`` parser.

    ```python
    add_yes_option(deploy)
    ```
    """
    deploy.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="with --from-file: apply the plan without asking (required when stdin is not a terminal)",
    )


def add_pool_commands(
    pool_sub: Any,
    common: argparse.ArgumentParser,
    azure: argparse.ArgumentParser,
    named: argparse.ArgumentParser,
) -> None:
    """Add ``pool show|list|reserve|unreserve|reservations``.

    Args:
        pool_sub: The subparsers of ``crossipam pool``.
        common: The ``--output``/``--debug`` parent parser.
        azure: The credentials and endpoints parent parser.
        named: The pool-by-name parent parser (``-g/--network-manager-name/-n/--subscription``).

    ```python
    add_pool_commands(pool_sub, common, azure, named)
    ```
    """
    parents = [common, named, azure]
    show = pool_sub.add_parser(
        "show", parents=parents, help="the pool: prefixes, family, parent, children, usage"
    )
    show.add_argument(
        "pool_id", nargs="?", help="resource id of the IPAM pool (or -g/--network-manager-name/-n)"
    )
    listed = pool_sub.add_parser("list", parents=parents, help="the pools of a network manager")
    listed.add_argument(
        "network_manager_id",
        nargs="?",
        help="resource id of the network manager (or -g/--network-manager-name)",
    )
    reserve = pool_sub.add_parser(
        "reserve",
        parents=parents,
        help="reserve space in the pool (a static CIDR)",
        description="Create a static CIDR: --addresses N (the pool picks the blocks) or --prefix CIDR "
        "(repeatable). Needs Microsoft.Network/networkManagers/ipamPools/staticCidrs/write on the pool.",
    )
    reserve.add_argument(
        "pool_id", nargs="?", help="resource id of the IPAM pool (or -g/--network-manager-name/-n)"
    )
    reserve.add_argument("name", help="name of the static CIDR")
    reserve.add_argument("--addresses", type=int, help="number of addresses to reserve")
    reserve.add_argument("--prefix", action="append", metavar="CIDR", help="a prefix to reserve (repeatable)")
    reserve.add_argument("--description", default="", help="what the space is for")
    unreserve = pool_sub.add_parser("unreserve", parents=parents, help="release a static CIDR")
    unreserve.add_argument(
        "pool_id", nargs="?", help="resource id of the IPAM pool (or -g/--network-manager-name/-n)"
    )
    unreserve.add_argument("name", help="name of the static CIDR")
    reservations = pool_sub.add_parser("reservations", parents=parents, help="the pool's static CIDRs")
    reservations.add_argument(
        "pool_id", nargs="?", help="resource id of the IPAM pool (or -g/--network-manager-name/-n)"
    )


# ---- commands ------------------------------------------------------------------------------------------------


def _emit(args: argparse.Namespace, io_: _IO, data: Any, table: Callable[[TextIO], None]) -> None:
    emit(args, io_.out, data, table)  # --query and every --output format, as the other commands


def plan_exit(plan: Plan) -> int:
    """The exit code of ``crossipam plan``: 1 when an item is refused or failed, else 2 with changes, else 0.

    Args:
        plan: The plan printed.

    ```python
    plan_exit(client.plan_many(specs))   # 0, 1 or 2
    ```
    """
    if any(item.action in ("refused", "error") for item in plan.items):
        return EXIT_ERROR
    return EXIT_CHANGES if plan.has_changes else EXIT_OK


def _specs(args: argparse.Namespace) -> list[DeploymentSpec]:
    return read_deployment_file(args.from_file, default_location=args.location, default_pool_id=args.pool_id)


def cmd_plan(args: argparse.Namespace, io_: _IO) -> int:
    """``crossipam plan --from-file FILE``.

    Args:
        args: The parsed options.
        io_: Where to print, and the environment.

    ```python
    code = cmd_plan(build_parser().parse_args(["plan", "--from-file", "vnets.yaml"]), io_)
    ```
    """
    try:
        specs = _specs(args)
        with make_client(args, io_.env) as client:
            plan = client.plan_many(specs)
    except CrossIpamError as err:  # -detailed-exitcode: every error is 1 (2 means "changes")
        report_error(err, args, io_.out, io_.err)
        return EXIT_ERROR
    _emit(args, io_, plan.to_dict(), lambda o: print_plan(plan, o))
    return plan_exit(plan)


def confirm_deployment(
    client: CrossTenantIpamClient, specs: Sequence[DeploymentSpec], args: argparse.Namespace, io_: _IO
) -> Plan:
    """``deploy --from-file``: plan, print the summary (stdout for a table; stderr with ``--output json``, whose
    result then carries it) and, without ``--yes``, ask on the terminal. Raises
    [`UsageError`][crossipam.cli.UsageError] when stdin is not a terminal and ``--yes`` is not given (before
    any request) or when the answer is not yes.

    Args:
        client: The client that plans (and then applies).
        specs: The file's VNets.
        args: The parsed options (``--yes``, ``--output``).
        io_: Where to print.

    ```python
    plan = confirm_deployment(client, specs, args, io_)
    results = client.deploy_many(specs, plan=plan)
    ```
    """
    stdin = sys.stdin
    interactive = stdin is not None and stdin.isatty()
    if not args.yes and not interactive:
        raise UsageError(
            "deploy --from-file changes Azure and stdin is not a terminal to confirm it: pass --yes to apply "
            "without a prompt",
            hint="review first with `crossipam plan --from-file FILE`",
        )
    plan = client.plan_many(specs)
    shown = io_.err if args.output == "json" else io_.out
    if args.yes and args.output != "json":
        print(summary_line(plan), file=shown, flush=True)
    if not args.yes:
        print_plan(plan, shown)  # the table ends with the summary line
        shown.write("Apply this plan? Only 'yes' is accepted: ")
        shown.flush()
        if stdin.readline().strip().lower() != "yes":
            raise UsageError("deploy cancelled: nothing was written")
    return plan


def summary_line(plan: Plan) -> str:
    """``Plan: 2 to create, 1 to grow, …`` (the actions that occur, in a fixed order).

    Args:
        plan: The plan to sum up.

    ```python
    summary_line(plan)   # 'Plan: 2 to create, 1 unchanged.'
    ```
    """
    words = {
        "create": "to create",
        "grow": "to grow",
        "add_subnets": "to add subnets to",
        "update": "to update",
        "remove": "to remove",
        "unchanged": "unchanged",
        "refused": "refused",
        "error": "cannot be planned",
    }
    counts = plan.summary()
    parts = [f"{counts[action]} {text}" for action, text in words.items() if counts.get(action)]
    return "Plan: " + (", ".join(parts) if parts else "nothing to do") + "."


def _allocs(plan: VnetPlan, which: str) -> str:
    allocs = plan.current if which == "current" else plan.target
    return ", ".join(f"{a.number_of_ip_addresses}" for a in allocs) or "-"


def print_plan(plan: Plan, out: TextIO) -> None:
    """The plan as a table: one row per VNet (action, addresses now and after, subnets, why a refusal).

    Args:
        plan: The plan.
        out: Where to print.

    ```python
    print_plan(client.plan_many(specs), sys.stdout)
    ```
    """
    rows = [["VNET", "ACTION", "CURRENT", "TARGET", "SUBNETS", "DETAIL"]]
    for item in plan.items:
        subnets = ", ".join(
            f"{'+' if s.change == 'create' else '^'}{s.name}({s.target[0].number_of_ip_addresses if s.target else ''})"
            for s in item.subnets
        )
        detail = f"{item.reason}: {item.message}" if item.reason else item.message
        rows.append(
            [
                item.vnet_id.name,
                item.action,
                _allocs(item, "current"),
                _allocs(item, "target"),
                subnets,
                detail,
            ]
        )
    _table(rows, out)
    print(summary_line(plan), file=out)


def print_pool(pool: IpamPool, out: TextIO) -> None:
    """A pool as a two-column table (``pool show``).

    Args:
        pool: The pool.
        out: Where to print.

    ```python
    print_pool(client.get_pool(pool_id), sys.stdout)
    ```
    """
    rows = [
        ["pool", str(pool.pool_id)],
        ["family", pool.ip_family],
        ["location", pool.location],
        ["address prefixes", ", ".join(str(p) for p in pool.address_prefixes) or "(none)"],
        ["parent pool", str(pool.parent_pool_id) if pool.parent_pool_id else "(none: a root pool)"],
        ["child pools", ", ".join(c.name for c in pool.child_pools) or "(none)"],
    ]
    if pool.usage is not None:
        u = pool.usage
        rows.append(["usage", f"{u.number_of_allocated_ip_addresses:,} allocated, {u.number_of_reserved_ip_addresses:,} reserved, {u.number_of_available_ip_addresses:,} available of {u.total_number_of_ip_addresses:,}"])  # fmt: skip
    _table(rows, out)


def _print_pools(pools: Sequence[IpamPool], out: TextIO) -> None:
    if not pools:
        print("(no pools)", file=out)
        return
    rows = [["POOL", "FAMILY", "PREFIXES", "PARENT", "AVAILABLE"]]
    for p in pools:
        free = f"{p.usage.number_of_available_ip_addresses:,}" if p.usage is not None else "?"
        parent = p.parent_pool_id.name if p.parent_pool_id else "-"
        rows.append([p.name, p.ip_family, ", ".join(str(x) for x in p.address_prefixes), parent, free])
    _table(rows, out)


def print_static_cidrs(cidrs: Sequence[StaticCidr], out: TextIO) -> None:
    """One row per static CIDR (``pool reservations``, ``pool reserve``).

    Args:
        cidrs: The static CIDRs.
        out: Where to print.

    ```python
    print_static_cidrs(client.list_static_cidrs(pool_id), sys.stdout)
    ```
    """
    if not cidrs:
        print("(no reservations)", file=out)
        return
    rows = [["NAME", "ADDRESSES", "PREFIXES", "DESCRIPTION"]]
    for c in cidrs:
        prefixes = ", ".join(str(p) for p in c.address_prefixes)
        rows.append([c.name, f"{c.number_of_ip_addresses:,}", prefixes, c.description])
    _table(rows, out)


def _cmd_pool_more(args: argparse.Namespace, io_: _IO) -> int:
    with make_client(args, io_.env) as client:
        command = args.pool_command
        if command == "show":
            pool = client.get_pool(args.pool_id)
            _emit(args, io_, pool.to_dict(), lambda o: print_pool(pool, o))
        elif command == "list":
            pools = client.list_pools(args.network_manager_id)
            _emit(args, io_, [p.to_dict() for p in pools], lambda o: _print_pools(pools, o))
        elif command == "reserve":
            if (args.addresses is None) == (not args.prefix):
                raise UsageError("pool reserve needs --addresses N or --prefix CIDR (one of them)")
            cidr = client.create_static_cidr(
                args.pool_id,
                args.name,
                number_of_ip_addresses=args.addresses,
                address_prefixes=args.prefix,
                description=args.description,
            )
            _emit(args, io_, cidr.to_dict(), lambda o: print_static_cidrs([cidr], o))
        elif command == "unreserve":
            client.delete_static_cidr(args.pool_id, args.name)
            usage = client.get_pool_usage(args.pool_id)
            line = f"released {args.name}: {usage.number_of_available_ip_addresses:,} addresses available"
            data = {"released": args.name, "usage": usage_json(args.pool_id, usage)}
            _emit(args, io_, data, lambda o: print(line, file=o))
        else:
            cidrs = client.list_static_cidrs(args.pool_id)
            _emit(args, io_, [c.to_dict() for c in cidrs], lambda o: print_static_cidrs(cidrs, o))
    return EXIT_OK


POOL_COMMANDS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    name: _cmd_pool_more for name in ("show", "list", "reserve", "unreserve", "reservations")
}
"""The ``pool`` subcommands of this module, by name."""
