"""The command line of ``crossipam``: one argparse parser for every command and its options.

```python
args = build_parser().parse_args(["deploy", vnet_id, "--location", "eastus", "--pool-id", pool_id,
                                  "--addresses", "256", "-o", "json"])
```
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from azure.core import AzureClouds

from .._version import __version__
from ._errors import EXIT_USAGE
from ._examples import add_examples
from ._output import OUTPUT_FORMATS
from ._plan_commands import add_plan_command, add_pool_commands, add_yes_option
from ._subnet import add_subnet_parser


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a one-line error (argparse's default, kept explicit), and no abbreviated
    options (``--pool`` is not ``--pool-id``: as in ``az``, a mistyped option is an error)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # pragma: no cover - argparse exits
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _common_options(*, defaults: bool = True) -> _Parser:
    """``--output`` and ``--debug``, accepted before the command and after it: the top-level parser holds the
    defaults; the commands' copies (``defaults=False``) set a value only when the option is given, so that they
    do not overwrite one given before the command."""
    common = _Parser(add_help=False)
    g = common.add_argument_group("output")
    g.add_argument(
        "--output",
        "-o",
        choices=OUTPUT_FORMATS,
        default="table" if defaults else argparse.SUPPRESS,
        help="table (for people, default), json (for scripts: stable keys, prefixes as strings), jsonc "
        "(coloured on a terminal), tsv, yaml or none",
    )
    g.add_argument(
        "--query",
        metavar="JMESPATH",
        default=None if defaults else argparse.SUPPRESS,
        help="JMESPath query applied to the JSON result, as in az (e.g. \"checks[?status=='fail'].name\")",
    )
    g.add_argument(
        "--debug",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="log what crossipam does and print error details (tokens and secrets are never printed)",
    )
    g.add_argument(
        "--verbose",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="say what crossipam does, step by step, on stderr",
    )
    g.add_argument(
        "--only-show-errors",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="print nothing on stderr but errors (no progress, no warnings)",
    )
    return common


def _vnet_options() -> _Parser:
    """``-g/-n/--subscription``: a VNet named as ``az`` names it, instead of its resource id."""
    vnet = _Parser(add_help=False)
    v = vnet.add_argument_group("the VNet by name (instead of VNET_ID, as in az)")
    v.add_argument("--resource-group", "-g", metavar="RG", help="resource group of the VNet")
    v.add_argument("--name", "-n", metavar="NAME", help="name of the VNet")
    v.add_argument(
        "--subscription", metavar="ID", help="subscription of the VNet (default AZURE_SUBSCRIPTION_ID)"
    )
    return vnet


POOL_ID_HELP = "resource id of the IPAM pool (or -g/--network-manager-name/-n)"


def pool_by_name() -> _Parser:
    """``-g/--network-manager-name/-n/--subscription``: a pool named as ``az network manager ipam-pool`` names
    it, instead of its resource id (``pool list``: the network manager, by ``-g`` and
    ``--network-manager-name``).

    ```python
    build_parser().parse_args(["pool", "usage", "-g", "rg-ipam", "--network-manager-name", "nm", "-n", "pool"])
    ```
    """
    pool = _Parser(add_help=False)
    p = pool.add_argument_group("the pool by name (instead of POOL_ID, as in az network manager ipam-pool)")
    p.add_argument("--resource-group", "-g", metavar="RG", help="resource group of the network manager")
    p.add_argument("--network-manager-name", metavar="NM", help="name of the network manager")
    p.add_argument("--name", "-n", dest="pool_name", metavar="POOL", help="name of the IPAM pool")
    p.add_argument(
        "--subscription",
        metavar="ID",
        help="subscription of the network manager (default CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID)",
    )
    return pool


def _azure_options() -> _Parser:
    azure = _Parser(add_help=False)
    a = azure.add_argument_group(
        "credentials",
        "First that applies: --client-id (secret from AZURE_CLIENT_SECRET or a prompt, or --certificate), the "
        "environment (AZURE_CLIENT_ID …, like CrossTenantIpamClient.from_environment), the Azure CLI's login.",
    )
    a.add_argument(
        "--auth",
        choices=("auto", "app", "environment", "azure-cli"),
        default="auto",
        help="force a credential source (default auto: the order above)",
    )
    a.add_argument("--client-id", help="application (client) id of the automation app")
    a.add_argument("--tenant", help="managed tenant B, owner of the VNets (default: AZURE_TENANT_ID)")
    a.add_argument(
        "--management-tenant",
        help="management tenant A, owner of the pool (default: CROSSIPAM_MANAGEMENT_TENANT_ID)",
    )
    a.add_argument(
        "--certificate", metavar="PATH", help="PEM/PKCS12 certificate of the app (instead of a secret)"
    )
    e = azure.add_argument_group(
        "endpoints", "default: the Azure public cloud, or the CROSSIPAM_*/AZURE_AUTHORITY_HOST variables"
    )
    e.add_argument(
        "--cloud",
        choices=[c.name for c in AzureClouds],
        help="a known cloud (AZURE_PUBLIC_CLOUD, AZURE_CHINA_CLOUD, AZURE_US_GOVERNMENT)",
    )
    e.add_argument("--arm-endpoint", help="Azure Resource Manager URL (CROSSIPAM_ARM_ENDPOINT)")
    e.add_argument("--authority", help="Entra ID authority host URL (AZURE_AUTHORITY_HOST)")
    e.add_argument("--graph-endpoint", help="Microsoft Graph URL (CROSSIPAM_GRAPH_ENDPOINT)")
    e.add_argument("--ca-bundle", metavar="PATH", help="CA certificates to trust (REQUESTS_CA_BUNDLE)")
    return azure


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``crossipam`` (every subcommand).

    ```python
    build_parser().parse_args(["demo", "--addresses", "200"]).addresses   # 200
    build_parser().parse_args(["pool", "usage", pool_id, "-o", "json"]).output   # 'json'
    build_parser().parse_args(["-o", "json", "pool", "usage", pool_id]).output   # 'json' (before, too)
    ```
    """
    parser = _Parser(
        prog="crossipam",
        description="Cross-tenant IP address management for Azure (AVNM IPAM).",
        parents=[_common_options()],
    )
    parser.add_argument("--version", action="version", version=f"crossipam {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    common, azure, by_name = _common_options(defaults=False), _azure_options(), _vnet_options()

    demo = sub.add_parser(
        "demo",
        help="walk through the cross-tenant IPAM tutorial against the offline Azure",
        description=(
            "Start the offline Azure (two tenants, an IPAM pool in the management tenant, an automation app in "
            "the managed tenant that is not onboarded yet), onboard the app as the tenants' admins, deploy a VNet "
            "with address space from the pool, show the pool usage, remove the allocation without renumbering "
            "and show the usage again."
        ),
    )
    demo.add_argument(
        "--addresses", type=_whole_number, default=100, help="IPv4 addresses for the VNet (default 100)"
    )
    demo.add_argument("--vnet-name", default="vnet-spoke-demo", help="name of the VNet to deploy")
    demo.add_argument(
        "--https",
        action="store_true",
        help="serve the offline Azure over HTTPS on loopback (default in-process)",
    )
    demo.add_argument(
        "--verbose", "-v", action="store_true", default=argparse.SUPPRESS, help="log what crossipam does"
    )

    deploy = sub.add_parser(
        "deploy",
        parents=[common, by_name, azure],
        help="create or grow VNets with address space from the pool",
        description="Create or grow a VNet in the managed tenant (or many, with --from-file) whose address "
        "space comes from the management tenant's IPAM pool. Idempotent: the same call twice writes nothing.",
    )
    deploy.add_argument("vnet_id", nargs="?", help="resource id of the VNet (omit with --from-file)")
    deploy.add_argument("--location", help="region of the VNet (e.g. eastus)")
    deploy.add_argument("--pool-id", help="resource id of the IPv4 IPAM pool")
    deploy.add_argument(
        "--addresses", type=_whole_number, help="number of IPv4 addresses (split into power-of-two blocks)"
    )
    deploy.add_argument("--subnets", default="", help='subnets from the pool, e.g. "app:64;data:16"')
    deploy.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="a tag (repeatable)")
    deploy.add_argument("--ipv6-pool-id", help="resource id of an IPv6 IPAM pool (dual stack)")
    deploy.add_argument(
        "--ipv6-addresses", type=_whole_number, help="number of IPv6 addresses from --ipv6-pool-id"
    )
    deploy.add_argument(
        "--from-file",
        metavar="FILE",
        help="CSV or YAML of many VNets (columns vnet_id, location, pool_id, number_of_ip_addresses, subnets); "
        "--location/--pool-id fill empty cells",
    )
    deploy.add_argument(
        "--max-concurrency", type=_whole_number, default=8, help="parallel deployments with --from-file"
    )
    deploy.add_argument(
        "--progress",
        choices=("auto", "rich", "plain", "none"),
        default="auto",
        help="progress of --from-file on stderr: a rich bar if installed (auto), one line per VNet (plain)",
    )
    add_yes_option(deploy)
    add_plan_command(sub, common, azure)

    remove = sub.add_parser(
        "remove",
        parents=[common, by_name, azure],
        help="detach VNets from the pool (their prefixes become static; nothing is renumbered)",
    )
    remove.add_argument("vnet_id", nargs="?", help="resource id of the VNet (omit with --from-file)")
    remove.add_argument(
        "--address-prefix",
        action="append",
        default=None,
        metavar="CIDR",
        help="replace the VNet's address space with these prefixes (repeatable; must contain every subnet)",
    )
    remove.add_argument(
        "--from-file", metavar="FILE", help="CSV or YAML with a vnet_id column (bulk removal)"
    )
    remove.add_argument(
        "--max-concurrency", type=_whole_number, default=8, help="parallel removals with --from-file"
    )
    remove.add_argument("--progress", choices=("auto", "rich", "plain", "none"), default="auto")

    show = sub.add_parser(
        "show", parents=[common, by_name, azure], help="show a VNet's prefixes and pool allocations"
    )
    show.add_argument("vnet_id", nargs="?", help="resource id of the VNet (or -g/-n)")

    pool = sub.add_parser("pool", parents=[common], help="read an IPAM pool (usage, allocations)")
    pool_sub = pool.add_subparsers(
        dest="pool_command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    named = pool_by_name()
    usage = pool_sub.add_parser(
        "usage", parents=[common, named, azure], help="the pool's usage (getPoolUsage)"
    )
    usage.add_argument("pool_id", nargs="?", help=POOL_ID_HELP)
    allocs = pool_sub.add_parser(
        "allocations", parents=[common, named, azure], help="everything that holds space in the pool"
    )
    allocs.add_argument("pool_id", nargs="?", help=POOL_ID_HELP)
    pool_map = pool_sub.add_parser(
        "map", parents=[common, named, azure], help="a picture of the pool's address space (SVG or HTML file)"
    )
    pool_map.add_argument("pool_id", nargs="?", help=POOL_ID_HELP)
    drawn = pool_map.add_mutually_exclusive_group(required=True)
    drawn.add_argument("--svg", metavar="FILE", help="write the map as an SVG picture")
    drawn.add_argument("--html", metavar="FILE", help="write the map as a web page (the picture and a table)")
    add_pool_commands(pool_sub, common, azure, named)
    add_subnet_parser(sub, [common, azure], _Parser, _whole_number)

    check = sub.add_parser(
        "check",
        parents=[common, by_name, azure],
        help="check every prerequisite of a cross-tenant deployment (exit 4 if one fails)",
        description="Read-only: tokens in both tenants, onboarding, IPAM Pool User on the pool, Network "
        "Contributor where the VNet goes, the cross-tenant connection, pool capacity and region.",
    )
    check.add_argument("--pool-id", required=True, help="resource id of the IPAM pool")
    check.add_argument("--vnet-id", help="resource id of the VNet (existing or to be created; or -g/-n)")
    check.add_argument(
        "--addresses", type=_whole_number, help="number of addresses to check the pool's capacity for"
    )
    check.add_argument("--location", help="region of a VNet that does not exist yet")

    for name, verb in (("onboard", "onboard"), ("offboard", "offboard")):
        p = sub.add_parser(
            name,
            parents=[common, azure],
            help=(
                "let the app use the pool: multitenant app, service principal in tenant A, IPAM Pool User"
                if name == "onboard"
                else "remove the app's IPAM Pool User assignment on the pool (and optionally its SP in A)"
            ),
            description=f"{verb.capitalize()} the automation app --app-id on --pool-id, as admins. Admin "
            "credentials: --managed-admin-client-id / --management-admin-client-id (secrets from "
            "CROSSIPAM_MANAGED_ADMIN_CLIENT_SECRET / CROSSIPAM_MANAGEMENT_ADMIN_CLIENT_SECRET or a prompt, or "
            "--*-admin-certificate); without them the credentials options above (e.g. the Azure CLI's login) "
            "act in both tenants.",
        )
        p.add_argument("--app-id", required=True, help="application (client) id of the automation app")
        p.add_argument("--pool-id", required=True, help="resource id of the IPAM pool")
        p.add_argument("--dry-run", action="store_true", help="only read; report what a real run would do")
        for side in ("managed", "management"):
            p.add_argument(f"--{side}-admin-client-id", help=f"app id of an admin app in the {side} tenant")
            p.add_argument(f"--{side}-admin-certificate", metavar="PATH", help="its certificate")
        if name == "onboard":
            p.add_argument("--check-connection", action="store_true", help="also check the connection")
            p.add_argument("--managed-subscription", help="with --check-connection: the managed subscription")
        else:
            p.add_argument(
                "--delete-service-principal",
                action="store_true",
                help="also delete the app's service principal in the management tenant",
            )

    sub.add_parser(
        "emulator",
        add_help=False,
        help="serve the offline Azure over HTTPS (options: crossipam emulator --help)",
        description="Same as python -m crossipam.testing serve.",
    )
    add_examples(parser)
    return parser


def _whole_number(text: str) -> int:
    """argparse ``type`` of the counts: ASCII digits only (``int()`` would also take ``²`` or ``٣``)."""
    if not re.fullmatch(r"-?[0-9]{1,40}", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (ASCII digits 0-9)")
    return int(text)
