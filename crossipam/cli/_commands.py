"""The commands of the ``crossipam`` console script that talk to Azure, one function each (``demo`` and
``emulator`` are in `crossipam.cli._demo`): read the options, call the library, print the result.

```python
code = COMMANDS["show"](build_parser().parse_args(["show", vnet_id]), CommandIO(sys.stdout, sys.stderr, os.environ))
```
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..models import BulkItemResult
from ._auth import admin_credential, make_client, read_setup, tenants
from ._errors import EXIT_ERROR, EXIT_NOT_READY, EXIT_OK, UsageError, exit_code_for
from ._input import Where
from ._output import emit
from ._picture import blocks, pool_html, pool_svg, print_usage_picture
from ._plan_commands import POOL_COMMANDS, cmd_plan, confirm_deployment
from ._progress import activity
from ._render import (
    bulk_to_dict,
    print_allocations,
    print_bulk,
    print_deployment,
    print_onboarding,
    print_report,
    print_usage,
    report_to_dict,
    usage_json,
)
from ._specs import read_deployment_file, read_removal_file, subnets_from_text, tags_value
from ._subnet import cmd_subnet

if TYPE_CHECKING:
    from ..onboarding import OffboardingResult, OnboardingResult


@dataclass
class CommandIO:
    """Where a command writes (stdout, stderr) and the environment it reads.

    ```python
    CommandIO(sys.stdout, sys.stderr, os.environ)
    ```
    """

    out: TextIO
    err: TextIO
    env: Mapping[str, str]


def _emit(args: argparse.Namespace, io_: CommandIO, data: Any, table: Callable[[TextIO], None]) -> None:
    emit(args, io_.out, data, table)


def vnet_id_of(args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """The VNet the command names: ``VNET_ID``, or ``-g/-n`` (+ ``--subscription`` or ``AZURE_SUBSCRIPTION_ID``)
    as ``az`` names resources; ``None`` when neither is given.

    Args:
        args: The parsed options.
        env: The environment (``AZURE_SUBSCRIPTION_ID``).

    ```python
    vnet_id_of(build_parser().parse_args(["show", "-g", "rg", "-n", "vnet-a", "--subscription", sub]), {})
    ```
    """
    group, name = getattr(args, "resource_group", None), getattr(args, "name", None)
    if group is None and name is None:
        if getattr(args, "subscription", None):
            raise UsageError("--subscription names a VNet only with -g/--resource-group and -n/--name")
        return args.vnet_id  # type: ignore[no-any-return]
    if args.vnet_id:
        raise UsageError("give a VNet id or -g/-n, not both")
    if not (group and name):
        raise UsageError("a VNet by name needs both -g/--resource-group and -n/--name")
    subscription = args.subscription or env.get("AZURE_SUBSCRIPTION_ID")
    if not subscription:
        raise UsageError(
            f"which subscription is {name} in?", hint="give --subscription ID, or set AZURE_SUBSCRIPTION_ID"
        )
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/{name}"


def pool_id_of(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    """Fill ``args.pool_id`` (and, for ``pool list``, ``args.network_manager_id``) from ``-g``,
    ``--network-manager-name``, ``-n`` and ``--subscription`` (or ``CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID``), as
    ``az network manager ipam-pool`` names a pool; a usage error when neither the id nor the names are given.

    Args:
        args: The parsed options of a ``pool`` command.
        env: The environment (``CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID``).

    ```python
    pool_id_of(build_parser().parse_args(["pool", "show", "-g", "rg", "--network-manager-name", "nm", "-n", "p",
                                          "--subscription", sub]), {})
    ```
    """
    listing = args.pool_command == "list"
    target, what = ("network_manager_id", "network manager") if listing else ("pool_id", "pool")
    group, manager = getattr(args, "resource_group", None), getattr(args, "network_manager_name", None)
    pool, subscription = getattr(args, "pool_name", None), getattr(args, "subscription", None)
    by_name = [v for v in (group, manager, pool, subscription) if v]
    if getattr(args, target, None):
        if by_name:
            raise UsageError(f"give the {what}'s id or its names (-g, --network-manager-name, -n), not both")
        return
    needed = {"-g/--resource-group": group, "--network-manager-name": manager}
    if listing and pool:
        raise UsageError("pool list names a network manager: -g and --network-manager-name, not -n")
    if not listing:
        needed["-n/--name"] = pool
    missing = [flag for flag, value in needed.items() if not value]
    if missing:
        raise UsageError(
            f"which {what}? give its resource id, or {', '.join(needed)} (missing: {', '.join(missing)})"
        )
    subscription = subscription or env.get("CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID")
    if not subscription:
        raise UsageError(
            f"which subscription is the {what} in?",
            hint="give --subscription ID, or set CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID",
        )
    manager_id = f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Network/networkManagers/{manager}"
    setattr(args, target, manager_id if listing else f"{manager_id}/ipamPools/{pool}")


def _name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _bulk_mode(args: argparse.Namespace) -> str:
    return "none" if args.only_show_errors else str(args.progress)


def _bulk_exit(results: Sequence[BulkItemResult]) -> int:
    codes = {exit_code_for(r.error) for r in results if r.error is not None}
    if not codes:
        return EXIT_OK
    return codes.pop() if len(codes) == 1 else EXIT_ERROR


def _cmd_deploy(args: argparse.Namespace, io_: CommandIO) -> int:
    args.vnet_id = vnet_id_of(args, io_.env)
    if args.from_file:
        if args.vnet_id:
            raise UsageError("give a VNet id or --from-file, not both")
        specs = read_deployment_file(
            args.from_file, default_location=args.location, default_pool_id=args.pool_id
        )
        with make_client(args, io_.env) as client:
            plan = confirm_deployment(client, specs, args, io_)
            with progress(_bulk_mode(args), len(specs), "deploy", io_.err) as cb:
                results = client.deploy_many(
                    specs, max_concurrency=args.max_concurrency, on_progress=cb, plan=plan
                )
        data = {**bulk_to_dict(results), "plan": plan.summary()}
        _emit(args, io_, data, lambda o: print_bulk(results, o))
        return _bulk_exit(results)
    missing = [o for o, v in (("VNET_ID", args.vnet_id), ("--location", args.location), ("--pool-id", args.pool_id), ("--addresses", args.addresses)) if not v]  # fmt: skip
    if missing:
        raise UsageError(f"deploy needs {', '.join(missing)}", hint="or --from-file FILE for many VNets")
    subnets = subnets_from_text(args.subnets, Where("--subnets"))
    tags = tags_value(args.tag, Where("--tag")) if args.tag else None
    with make_client(args, io_.env) as client, activity(args, io_.err, f"deploying {_name(args.vnet_id)}"):
        deployment = client.begin_deploy_virtual_network(
            args.vnet_id,
            location=args.location,
            pool_id=args.pool_id,
            number_of_ip_addresses=args.addresses,
            subnets=subnets,
            ipv6_pool_id=args.ipv6_pool_id,
            ipv6_number_of_ip_addresses=args.ipv6_addresses,
            tags=tags,
        ).result()
    _emit(args, io_, deployment.to_dict(), lambda o: print_deployment(deployment, o))
    return EXIT_OK


def _cmd_remove(args: argparse.Namespace, io_: CommandIO) -> int:
    args.vnet_id = vnet_id_of(args, io_.env)
    if args.from_file:
        if args.vnet_id:
            raise UsageError("give a VNet id or --from-file, not both")
        ids = read_removal_file(args.from_file)
        with (
            make_client(args, io_.env) as client,
            progress(_bulk_mode(args), len(ids), "remove", io_.err) as cb,
        ):
            results = client.remove_many(ids, max_concurrency=args.max_concurrency, on_progress=cb)
        _emit(args, io_, bulk_to_dict(results), lambda o: print_bulk(results, o))
        return _bulk_exit(results)
    if not args.vnet_id:
        raise UsageError("remove needs a VNet id", hint="or --from-file FILE for many VNets")
    with make_client(args, io_.env) as client, activity(args, io_.err, f"removing {_name(args.vnet_id)}"):
        deployment = client.begin_remove_allocation(
            args.vnet_id, address_prefixes=args.address_prefix
        ).result()
    _emit(args, io_, deployment.to_dict(), lambda o: print_deployment(deployment, o))
    return EXIT_OK


def _cmd_show(args: argparse.Namespace, io_: CommandIO) -> int:
    vnet_id = vnet_id_of(args, io_.env)
    if not vnet_id:
        raise UsageError("show needs a VNet id", hint="or -g RESOURCE_GROUP -n NAME")
    with make_client(args, io_.env) as client:
        deployment = client.get_virtual_network_allocation(vnet_id)
    _emit(args, io_, deployment.to_dict(), lambda o: print_deployment(deployment, o))
    return EXIT_OK


def _cmd_pool(args: argparse.Namespace, io_: CommandIO) -> int:
    pool_id_of(args, io_.env)
    if args.pool_command in POOL_COMMANDS:
        return POOL_COMMANDS[args.pool_command](args, io_)
    with make_client(args, io_.env) as client:
        if args.pool_command == "usage":
            usage = client.get_pool_usage(args.pool_id)
            pictured = args.output == "table" and not args.query  # the picture names what holds the space
            held = client.list_pool_allocations(args.pool_id) if pictured else []

            def table(out: TextIO) -> None:
                print_usage(args.pool_id, usage, out)
                print_usage_picture(usage, held, out)

            _emit(args, io_, usage_json(args.pool_id, usage), table)
        elif args.pool_command == "map":
            return _pool_map(args, io_, client)
        else:
            items = client.list_pool_allocations(args.pool_id)
            _emit(args, io_, [a.to_dict() for a in items], lambda o: print_allocations(items, o))
    return EXIT_OK


def _pool_map(args: argparse.Namespace, io_: CommandIO, client: Any) -> int:
    usage = client.get_pool_usage(args.pool_id)
    held = client.list_pool_allocations(args.pool_id)
    path = args.svg or args.html
    text = (pool_svg if args.svg else pool_html)(args.pool_id, usage, held)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    blocks_ = len(blocks(usage, held))
    _emit(
        args,
        io_,
        {"pool_id": args.pool_id, "file": path, "blocks": blocks_},
        lambda o: print(f"wrote {path} ({blocks_} blocks)", file=o),
    )
    return EXIT_OK


def _cmd_check(args: argparse.Namespace, io_: CommandIO) -> int:
    if args.addresses is not None and args.addresses <= 0:
        raise UsageError("--addresses must be positive")
    args.vnet_id = vnet_id_of(args, io_.env)
    with make_client(args, io_.env) as client:
        report = client.check_readiness(
            args.pool_id, vnet_id=args.vnet_id, number_of_ip_addresses=args.addresses, location=args.location
        )
    _emit(args, io_, report_to_dict(report), lambda o: print_report(report, o))
    return EXIT_OK if report.ok else EXIT_NOT_READY


def _cmd_onboard(args: argparse.Namespace, io_: CommandIO) -> int:
    from ..onboarding import offboard_service_principal, onboard_service_principal

    setup = read_setup(args, io_.env)
    b, a = tenants(setup)
    admin_a = admin_credential(args, setup, "management", a, b)
    result: OnboardingResult | OffboardingResult
    busy = activity(args, io_.err, f"{args.command}ing app {args.app_id}")
    if args.command == "onboard":
        admin_b = admin_credential(args, setup, "managed", b, a)
        with busy:
            result = onboard_service_principal(
                args.app_id,
                args.pool_id,
                managed_tenant_id=b,
                management_tenant_id=a,
                managed_tenant_credential=admin_b,
                management_tenant_credential=admin_a,
                cloud=setup.cloud,
                dry_run=args.dry_run,
                check_connection=args.check_connection,
                managed_subscription_id=args.managed_subscription,
                **setup.kwargs,
            )
    else:
        with busy:
            result = offboard_service_principal(
                args.app_id,
                args.pool_id,
                management_tenant_id=a,
                management_tenant_credential=admin_a,
                cloud=setup.cloud,
                dry_run=args.dry_run,
                delete_service_principal=args.delete_service_principal,
                **setup.kwargs,
            )
    _emit(args, io_, result.to_dict(), lambda o: print_onboarding(result, o))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, CommandIO], int]] = {
    "deploy": _cmd_deploy,
    "plan": cmd_plan,
    "remove": _cmd_remove,
    "show": _cmd_show,
    "pool": _cmd_pool,
    "check": _cmd_check,
    "onboard": _cmd_onboard,
    "offboard": _cmd_onboard,
    "subnet": cmd_subnet,
}
"""The commands that talk to Azure, by name (``offboard`` shares ``onboard``'s function)."""


# ---- progress ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def progress(
    mode: str, total: int, verb: str, errout: TextIO
) -> Iterator[Callable[[int, int, BulkItemResult], None]]:
    """An ``on_progress`` callback: a rich progress bar on stderr, or one plain line per finished item.

    ```python
    with progress("plain", len(specs), "deploy", sys.stderr) as on_progress:
        client.deploy_many(specs, on_progress=on_progress)
    ```
    """
    use_rich = False
    if mode in ("auto", "rich"):
        try:
            import rich.progress  # noqa: F401
        except ImportError:
            if mode == "rich":
                raise UsageError("--progress rich needs rich", hint='pip install "crossipam[cli]"') from None
        else:
            use_rich = mode == "rich" or errout.isatty()
    if mode == "none":
        yield lambda done, total, item: None
        return
    if use_rich:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn(f"{verb}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(file=errout),
        ) as bar:
            task = bar.add_task("", total=total)

            def advance(done: int, total_: int, item: BulkItemResult) -> None:
                name = item.vnet_id.rsplit("/", 1)[-1]
                bar.update(task, completed=done, description=f"{name}: {_outcome(item)}")

            yield advance
        return

    def line(done: int, total_: int, item: BulkItemResult) -> None:
        print(
            f"[{done}/{total_}] {item.vnet_id.rsplit('/', 1)[-1]}: {_outcome(item)}", file=errout, flush=True
        )

    yield line


def _outcome(item: BulkItemResult) -> str:
    if item.deployment is not None:
        return item.deployment.action
    return f"failed ({type(item.error).__name__})"
