"""What the ``crossipam`` console script prints: JSON (``--output json``), tables (the default), and errors —
one line plus a hint on stderr, with the hint's [`Remedy`][crossipam.errors.Remedy] said as a ``crossipam``
command.

The JSON shapes of results live with the models (``to_dict()``); what is the CLI's own is here: the error
object, the totals of a bulk run and the ``pool_id`` in front of a pool's usage.

```python
emit_json(deployment.to_dict(), sys.stdout)
print_deployment(deployment, sys.stdout)
```
"""

from __future__ import annotations

import argparse
import json
import re
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import ErrorDiagnostics, Remedy
from ..models import BulkItemResult, IPNetwork, PoolAllocation, PoolUsage, VirtualNetworkDeployment
from ._errors import exit_code_for

if TYPE_CHECKING:
    from ..onboarding import OffboardingResult, OnboardingResult
    from ..readiness import ReadinessReport

# ---- errors ---------------------------------------------------------------------------------------------------

_CLI_COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "onboard_service_principal": ("crossipam onboard", ()),
    "offboard_service_principal": ("crossipam offboard", ()),
    "begin_deploy_virtual_network": ("crossipam deploy", ("vnet_id",)),
    "begin_remove_allocation": ("crossipam remove", ("vnet_id",)),
    "get_virtual_network_allocation": ("crossipam show", ("vnet_id",)),
    "get_pool_usage": ("crossipam pool usage", ("pool_id",)),
    "list_pool_allocations": ("crossipam pool allocations", ("pool_id",)),
    "check_readiness": ("crossipam check", ()),
    "deploy_many": ("crossipam deploy --from-file", ()),
    "remove_many": ("crossipam remove --from-file", ()),
}
"""The command that does what a library operation does, and the arguments it takes positionally (the others
are ``--flags``): how a [`Remedy`][crossipam.errors.Remedy] is said on the command line."""


def cli_remedy(remedy: Remedy) -> str:
    """A [`Remedy`][crossipam.errors.Remedy] as the command line says it: the operation becomes the
    ``crossipam`` command that does the same, with its arguments (a value when known, else the argument's name
    in capitals).

    ```python
    cli_remedy(Remedy("check {action} and ask for fewer", "get_pool_usage", (("pool_id", None),)))
    # 'check `crossipam pool usage POOL_ID` and ask for fewer'
    ```
    """
    known = _CLI_COMMANDS.get(remedy.operation.rsplit(".", 1)[-1])
    if known is None:  # pragma: no cover - every operation a remedy names has a command
        return remedy.for_library()
    command, positional = known
    parts = [command]
    for name, value in remedy.arguments:
        shown = value if value is not None else name.upper()
        parts.append(shown if name in positional else f"--{name.replace('_', '-')} {shown}")
    return remedy.text.format(action=f"`{' '.join(parts)}`")


_PYTHON_TO_OPTIONS = (
    (r"\bmanaged_tenant_id\b", "--tenant"),
    (r"\bmanagement_tenant_id\b", "--management-tenant"),
    (r"\bipv6_number_of_ip_addresses\b", "--ipv6-addresses"),
    (r"\bnumber_of_ip_addresses\b", "--addresses"),
    (r"\bipv6_pool_id\b", "--ipv6-pool-id"),
    (r"\bpool_id\b", "--pool-id"),
    (r"\baddress_prefixes\b", "--address-prefix"),
    (r"\bsubnets=", "--subnets"),
    (r"\bcloud= endpoints\b", "--cloud or --arm-endpoint/--authority/--graph-endpoint"),
    (r"\bcloud=", "--cloud"),
    (r", or pass a larger operation_timeout\b", ""),
    (r", or raise max_replication_wait\b", ""),
)
"""The library's parameter names in hints, as the command line's options say them."""


def cli_hint(hint: str) -> str:
    """A library hint as the command line says it: parameter names become the options that set them.

    Args:
        hint: The library's hint.

    ```python
    cli_hint("pass that pool as pool_id")   # 'pass that pool as --pool-id'
    ```
    """
    for pattern, option in _PYTHON_TO_OPTIONS:
        hint = re.sub(pattern, option, hint)
    return hint


def _hint_of(err: BaseException) -> Any:
    """The hint as the command line says it: the remedy's command when the hint names an operation, the
    options where it names parameters."""
    remedy = getattr(err, "remedy", None)
    if isinstance(remedy, Remedy):
        return cli_hint(cli_remedy(remedy))
    hint = getattr(err, "hint", None)
    return cli_hint(hint) if isinstance(hint, str) else hint


def _error_dict(err: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": type(err).__name__,
        "message": getattr(err, "message", None) or str(err),
        "hint": _hint_of(err),
        "tenant_id": getattr(err, "tenant_id", None),
        "exit_code": exit_code_for(err),
        # the same keys for every error (null when unknown), so that scripts can rely on them
        "code": None,
        "status": None,
        "request_id": None,
        "correlation_id": None,
        "timestamp": None,
    }
    if isinstance(err, ErrorDiagnostics):  # service, credential and onboarding errors
        out.update(
            code=err.code,
            status=err.status,
            request_id=err.request_id,
            correlation_id=err.correlation_id,
            timestamp=err.timestamp,
        )
    return out


def report_error(err: BaseException, args: argparse.Namespace, out: TextIO, errout: TextIO) -> int:
    """Print ``err`` as the command line reports errors and return its exit code: ``crossipam COMMAND: message``
    and ``hint: …`` on ``errout``; with ``--debug`` the details and the traceback; with ``--output json`` also
    ``{"error": …}`` on ``out``.

    ```python
    except CrossIpamError as err:
        return report_error(err, args, sys.stdout, sys.stderr)   # 1, 2 or 3
    ```
    """
    command = command_name(args)
    info = _error_dict(err)
    print(f"crossipam {command}: {info['message']}", file=errout)
    if info["hint"]:
        print(f"hint: {info['hint']}", file=errout)
    if getattr(args, "debug", False):
        details = {k: v for k, v in info.items() if k not in ("message", "hint") and v is not None}
        print("details: " + ", ".join(f"{k}={v}" for k, v in details.items()), file=errout)
        print("".join(traceback.format_exception(type(err), err, err.__traceback__)).rstrip(), file=errout)
    if getattr(args, "output", "table") in ("json", "jsonc"):
        emit_json({"error": info}, out)
    return int(info["exit_code"])


def command_name(args: argparse.Namespace) -> str:
    """The command as the user typed it, for messages: ``deploy``, ``pool usage``.

    ```python
    command_name(build_parser().parse_args(["pool", "usage", pool_id]))   # 'pool usage'
    ```
    """
    name = str(getattr(args, "command", ""))
    return f"{name} {args.pool_command}" if name == "pool" else name


# ---- JSON ---------------------------------------------------------------------------------------------------


def emit_json(data: Any, out: TextIO) -> None:
    """Write ``data`` as indented JSON and a newline (keys in the order given).

    ```python
    emit_json(deployment.to_dict(), sys.stdout)
    ```
    """
    out.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def usage_json(pool_id: str, usage: PoolUsage) -> dict[str, Any]:
    """``pool usage --output json``: the pool's id, then
    [`PoolUsage.to_dict`][crossipam.models.PoolUsage.to_dict].

    ```python
    usage_json(pool_id, client.get_pool_usage(pool_id))["number_of_available_ip_addresses"]
    ```
    """
    return {"pool_id": pool_id, **usage.to_dict()}


def bulk_to_dict(results: Sequence[BulkItemResult]) -> dict[str, Any]:
    """``deploy/remove --from-file --output json``: totals and one item per VNet, in file order (each item's
    error as the CLI shapes errors).

    ```python
    bulk_to_dict(client.deploy_many(specs))["failed"]   # 0
    ```
    """
    return {
        "total": len(results),
        "succeeded": sum(1 for r in results if r.ok),
        "failed": sum(1 for r in results if not r.ok),
        "items": [r.to_dict(_error_dict) for r in results],
    }


def report_to_dict(report: ReadinessReport) -> dict[str, Any]:
    """``check --output json``: [`ReadinessReport.to_dict`][crossipam.readiness.ReadinessReport.to_dict], each
    fix also said as a command (``remedy``).

    ```python
    report_to_dict(client.check_readiness(pool_id))["ok"]
    ```
    """
    shown = report.to_dict()
    for check, as_dict in zip(report.checks, shown["checks"], strict=True):
        if check.fix is not None:  # the JSON's fixes name commands too
            as_dict["remedy"] = cli_remedy(check.fix)
    return shown


# ---- tables ------------------------------------------------------------------------------------------------


def _strs(nets: Sequence[IPNetwork]) -> list[str]:
    return [str(n) for n in nets]


def _table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip(), file=out)


def print_deployment(d: VirtualNetworkDeployment, out: TextIO) -> None:
    """A deployment as a two-column table (``deploy``, ``remove``, ``show``).

    ```python
    print_deployment(client.get_virtual_network_allocation(vnet_id), sys.stdout)
    ```
    """
    rows = [
        ["vnet", str(d.vnet_id)],
        ["location", d.location],
        ["action", d.action],
        ["address prefixes", ", ".join(_strs(d.address_prefixes)) or "(none)"],
    ]
    for a in d.allocations:
        rows.append(["allocation", f"{a.number_of_ip_addresses} from {a.pool_id}"])
    for s in d.subnets:
        source = f"pool {s.allocations[0].pool_id.name}" if s.allocations else "static"
        rows.append([f"subnet {s.name}", f"{', '.join(_strs(s.address_prefixes)) or '(none)'} ({source})"])
    if d.tags:
        rows.append(["tags", ", ".join(f"{k}={v}" for k, v in sorted(d.tags.items()))])
    _table(rows, out)


def print_usage(pool_id: str, u: PoolUsage, out: TextIO) -> None:
    """A pool's usage as a two-column table (``pool usage``).

    ```python
    print_usage(pool_id, client.get_pool_usage(pool_id), sys.stdout)
    ```
    """
    _table(
        [
            ["pool", pool_id],
            ["address prefixes", ", ".join(_strs(u.address_prefixes)) or "(none)"],
            ["total", f"{u.total_number_of_ip_addresses:,}"],
            ["allocated", f"{u.number_of_allocated_ip_addresses:,}"],
            ["reserved", f"{u.number_of_reserved_ip_addresses:,}"],
            ["available", f"{u.number_of_available_ip_addresses:,}"],
            ["allocated prefixes", ", ".join(_strs(u.allocated_address_prefixes)) or "(none)"],
            ["available prefixes", ", ".join(_strs(u.available_address_prefixes)) or "(none)"],
        ],
        out,
    )


def print_allocations(items: Sequence[PoolAllocation], out: TextIO) -> None:
    """One row per allocation of a pool (``pool allocations``).

    ```python
    print_allocations(client.list_pool_allocations(pool_id), sys.stdout)
    ```
    """
    if not items:
        print("(no allocations)", file=out)
        return
    rows = [["RESOURCE", "SUBSCRIPTION", "ADDRESSES", "PREFIXES"]]
    for a in items:
        rows.append(
            [
                a.resource_id.name,
                a.resource_id.subscription_id or "",
                str(a.total_number_of_ip_addresses),
                ", ".join(_strs(a.address_prefixes or a.reserved_prefixes)),
            ]
        )
    _table(rows, out)


def print_bulk(results: Sequence[BulkItemResult], out: TextIO) -> None:
    """One row per VNet of a bulk run, then how many succeeded (``deploy``/``remove --from-file``).

    ```python
    print_bulk(client.deploy_many(specs), sys.stdout)
    ```
    """
    rows = [["VNET", "RESULT", "PREFIXES / ERROR"]]
    for r in results:
        name = r.vnet_id.rsplit("/", 1)[-1]
        if r.deployment is not None:
            rows.append([name, r.deployment.action, ", ".join(_strs(r.deployment.address_prefixes))])
        else:
            err = r.error
            rows.append([name, "failed", f"{type(err).__name__}: {getattr(err, 'message', err)}"])
    _table(rows, out)
    ok = sum(1 for r in results if r.ok)
    print(f"{ok} of {len(results)} succeeded", file=out)


def print_report(report: ReadinessReport, out: TextIO) -> None:
    """One line per readiness check (its fix said as a command), then the verdict (``check``).

    ```python
    print_report(client.check_readiness(pool_id), sys.stdout)
    ```
    """
    if out.isatty() and _coloured_report(report, out):
        return
    marks = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}
    for c in report.checks:
        print(f"{marks[c.status]}  {c.name}: {c.observed}", file=out)
        if c.remedy and c.status != "pass":
            print(f"      fix: {cli_remedy(c.fix) if c.fix else c.remedy}", file=out)
    print("ready" if report.ok else f"not ready: {len(report.failed)} check(s) failed", file=out)


def _coloured_report(report: ReadinessReport, out: TextIO) -> bool:
    """``check`` on a terminal: a table with the status in colour (rich); ``False`` without rich."""
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:
        return False
    styles = {"pass": ("PASS", "bold green"), "fail": ("FAIL", "bold red"), "skip": ("SKIP", "yellow")}
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("", "check", "observed", "fix"):
        table.add_column(column, overflow="fold")
    for c in report.checks:
        mark, style = styles[c.status]
        fix = (cli_remedy(c.fix) if c.fix else c.remedy or "") if c.status != "pass" else ""
        table.add_row(
            Text(mark, style=style), Text(c.name), Text(c.observed), Text(fix)
        )  # text, never markup
    console = Console(file=out, force_terminal=True, highlight=False)
    console.print(table)
    failed = f"not ready: {len(report.failed)} check(s) failed"
    console.print(Text("ready", style="bold green") if report.ok else Text(failed, style="bold red"))
    return True


def print_onboarding(result: OnboardingResult | OffboardingResult, out: TextIO) -> None:
    """One line per onboarding or offboarding step (``onboard``, ``offboard``).

    ```python
    print_onboarding(onboard_service_principal(app_id, pool_id, ...), sys.stdout)
    ```
    """
    for step in result.steps:
        print(step.describe(), file=out)
    if result.dry_run:
        print("(dry run: nothing was changed)", file=out)
