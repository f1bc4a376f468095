"""The ``crossipam`` console script.

```sh
crossipam demo                                   # onboard, deploy, remove: against an in-process offline Azure
crossipam check --pool-id $POOL --vnet-id $VNET --addresses 256      # is everything in place? (exit 4 if not)
crossipam deploy $VNET --location eastus --pool-id $POOL --addresses 256 --subnets "app:64;data:16"
crossipam deploy --from-file vnets.csv --output json
crossipam pool usage $POOL
crossipam emulator --scenario fresh              # serve the offline Azure over HTTPS (one JSON line)
```

Credentials, in this order (the first that applies wins; ``--auth`` forces one):

1. ``--client-id`` (+ ``--tenant``): that app, with ``--certificate PATH`` or the secret from
   ``AZURE_CLIENT_SECRET`` (prompted for when unset and stdin is a terminal). A secret is never an option.
2. The environment, as ``CrossTenantIpamClient.from_environment`` reads it (``AZURE_CLIENT_ID``,
   ``AZURE_TENANT_ID``, ``AZURE_CLIENT_SECRET`` | ``AZURE_CLIENT_CERTIFICATE_PATH`` | ``AZURE_FEDERATED_TOKEN_FILE``).
3. The Azure CLI's login (``AzureCliCredential``, allowed to get tokens for the management tenant).

Exit codes: 0 success, 1 Azure or operation error, 2 usage or bad input, 3 authentication or authorization,
4 readiness check failed. Errors are one line plus a hint on stderr (``--output json`` also prints
``{"error": …}`` on stdout); ``--debug`` adds the details. Tokens and secrets are never printed.

Only the ``demo`` and ``emulator`` commands import :mod:`crossipam.testing` (the offline Azure); the library
never does.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from azure.core import AzureClouds
from azure.core.credentials import TokenCredential

from . import _cli_input
from ._cli_input import MAX_INPUT_FILE_BYTES
from ._shared import cloud_from_env
from ._version import __version__
from .client import CrossTenantIpamClient
from .credentials import credential_pipeline_kwargs, validate_tenant_id
from .errors import (
    AdminCredentialError,
    AuthorizationError,
    ConfigurationError,
    CredentialError,
    CrossIpamError,
    ErrorDiagnostics,
    InsufficientPrivilegesError,
    InvalidInputError,
    Remedy,
)
from .models import (
    BulkItemResult,
    CloudEndpoints,
    DeploymentSpec,
    IpamAllocation,
    IPNetwork,
    PoolAllocation,
    PoolUsage,
    SubnetSpec,
    VirtualNetworkDeployment,
)

if TYPE_CHECKING:
    from .onboarding import OffboardingResult, OnboardingResult
    from .readiness import ReadinessReport
    from .testing import AzureEmulator

__all__ = [
    "EXIT_AUTH",
    "EXIT_ERROR",
    "EXIT_NOT_READY",
    "EXIT_OK",
    "EXIT_USAGE",
    "MAX_INPUT_FILE_BYTES",
    "build_parser",
    "exit_code_for",
    "main",
    "read_deployment_file",
    "read_removal_file",
    "run_demo",
]

#: Exit codes of the console script.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_READY = 4
#: The reader of stdout went away (128 + SIGPIPE, what a shell reports for a writer killed by it).
EXIT_BROKEN_PIPE = 141

_LOGGER = logging.getLogger("crossipam.cli")

# ---- parser ---------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a one-line error (argparse's default, kept explicit)."""

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
        choices=("table", "json"),
        default="table" if defaults else argparse.SUPPRESS,
        help="table (for people, default) or json (for scripts: stable keys, prefixes as strings)",
    )
    g.add_argument(
        "--debug",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="log what crossipam does and print error details (tokens and secrets are never printed)",
    )
    return common


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
    common, azure = _common_options(defaults=False), _azure_options()

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
    demo.add_argument("--verbose", "-v", action="store_true", help="log what crossipam does")

    deploy = sub.add_parser(
        "deploy",
        parents=[common, azure],
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

    remove = sub.add_parser(
        "remove",
        parents=[common, azure],
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

    show = sub.add_parser("show", parents=[common, azure], help="show a VNet's prefixes and pool allocations")
    show.add_argument("vnet_id", help="resource id of the VNet")

    pool = sub.add_parser("pool", parents=[common], help="read an IPAM pool (usage, allocations)")
    pool_sub = pool.add_subparsers(
        dest="pool_command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    usage = pool_sub.add_parser("usage", parents=[common, azure], help="the pool's usage (getPoolUsage)")
    usage.add_argument("pool_id", help="resource id of the IPAM pool")
    allocs = pool_sub.add_parser(
        "allocations", parents=[common, azure], help="everything that holds space in the pool"
    )
    allocs.add_argument("pool_id", help="resource id of the IPAM pool")

    check = sub.add_parser(
        "check",
        parents=[common, azure],
        help="check every prerequisite of a cross-tenant deployment (exit 4 if one fails)",
        description="Read-only: tokens in both tenants, onboarding, IPAM Pool User on the pool, Network "
        "Contributor where the VNet goes, the cross-tenant connection, pool capacity and region.",
    )
    check.add_argument("--pool-id", required=True, help="resource id of the IPAM pool")
    check.add_argument("--vnet-id", help="resource id of the VNet (existing or to be created)")
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
    return parser


# ---- demo ---------------------------------------------------------------------------------------------------


def _pow2_at_most(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)


def _nets(nets: Sequence[IPNetwork]) -> str:
    return ", ".join(str(n) for n in nets) if nets else "(none)"


class _Printer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = 0

    def title(self, text: str) -> None:
        self.step += 1
        print(f"\n{self.step}. {text}", file=self.out)

    def line(self, text: str = "") -> None:
        print(f"   {text}" if text else "", file=self.out)

    def usage(self, usage: PoolUsage) -> None:
        self.line(
            f"total {usage.total_number_of_ip_addresses:,} · allocated {usage.number_of_allocated_ip_addresses:,} "
            f"· reserved {usage.number_of_reserved_ip_addresses:,} · available "
            f"{usage.number_of_available_ip_addresses:,}"
        )
        self.line(f"allocated prefixes: {_nets(usage.allocated_address_prefixes)}")

    def deployment(self, d: VirtualNetworkDeployment) -> None:
        self.line(f"VNet {d.vnet_id.name} ({d.location}): {_nets(d.address_prefixes)}")
        for a in d.allocations:
            self.line(f"  from pool {a.pool_id.name}: {a.number_of_ip_addresses} addresses")
        for s in d.subnets:
            source = f"pool {s.allocations[0].pool_id.name}" if s.allocations else "static"
            self.line(f"  subnet {s.name}: {_nets(s.address_prefixes)} ({source})")


@contextlib.contextmanager
def _offline_azure(
    https: bool, emulator: AzureEmulator | None = None
) -> Iterator[tuple[AzureEmulator, dict[str, Any]]]:
    """The offline Azure seeded with the ``fresh`` scenario (the app not onboarded yet), and the network kwargs
    (a transport, or the CA bundle with ``https``) for every client, credential and onboarding call."""
    from .testing import AzureEmulator  # the only place outside tests that imports the offline Azure

    emu = emulator if emulator is not None else AzureEmulator()
    info = emu.load_scenario("fresh")
    if not https:
        yield emu, {"transport": emu.transport()}
        return
    with emu.serve() as server:
        info.ca_bundle = server.ca_bundle
        yield emu, {"connection_verify": server.ca_bundle}


def run_demo(
    *,
    addresses: int = 100,
    vnet_name: str = "vnet-spoke-demo",
    https: bool = False,
    out: TextIO | None = None,
    emulator: AzureEmulator | None = None,
) -> int:
    """Run the walk-through; returns the exit code (0 on success).

    Starts from the ``fresh`` scenario: the two tenants' admins onboard the automation app, which then deploys a
    VNet from the pool and removes its allocation. ``emulator`` is the (unseeded) offline Azure to run against —
    a new one by default; pass your own to inspect its state afterwards.

    ```python
    run_demo(addresses=100)
    ```
    """
    from azure.identity import ClientSecretCredential

    from .onboarding import onboard_service_principal

    p = _Printer(out or sys.stdout)
    print(
        "crossipam demo — cross-tenant IPAM against the offline Azure (no cloud, no credentials)", file=p.out
    )
    with _offline_azure(https, emulator) as (emu, net_kwargs):
        info = emu.scenario
        assert info is not None
        cloud = CloudEndpoints(
            authority_host=info.authority,
            resource_manager=info.arm_endpoint,
            graph=info.graph_endpoint,
            resource_manager_scope=info.arm_scope,
        )
        p.title("The offline Azure is up " + ("(HTTPS on loopback)" if https else "(in-process)"))
        p.line(f"ARM endpoint        {info.arm_endpoint}")
        p.line(
            f"management tenant A {info.management_tenant_id}: IPAM pool {info.pool_id.rsplit('/', 1)[-1]} "
            f"({', '.join(info.pool_prefixes)})"
        )
        p.line(f"managed tenant B    {info.managed_tenant_id}: subscription {info.managed_subscription_id}")
        p.line(f"automation app      {info.app.client_id} (home: B; single-tenant, not onboarded into A yet)")
        p.line("admins              an admin app in B and one in A (they onboard the automation app)")
        admin_b, admin_a = info.admins["managed"], info.admins["management"]

        p.title("Onboard the app into tenant A as IPAM Pool User (run by the admins of B and A)")
        credential_kwargs: dict[str, Any] = {
            "authority": info.authority,
            "disable_instance_discovery": True,
            **credential_pipeline_kwargs(net_kwargs),
        }
        with (
            ClientSecretCredential(
                admin_b.tenant_id, admin_b.client_id, admin_b.client_secret, **credential_kwargs
            ) as managed_admin,
            ClientSecretCredential(
                admin_a.tenant_id, admin_a.client_id, admin_a.client_secret, **credential_kwargs
            ) as management_admin,
        ):
            onboarded = onboard_service_principal(
                info.app.client_id,
                info.pool_id,
                managed_tenant_id=info.managed_tenant_id,
                management_tenant_id=info.management_tenant_id,
                managed_tenant_credential=managed_admin,
                management_tenant_credential=management_admin,
                cloud=cloud,
                **net_kwargs,
            )
        for step in onboarded.steps:
            p.line(f"{step.name}: {step.status} — {step.detail}")
        vnet_id = info.vnet_id(vnet_name)
        subnets = [SubnetSpec("workloads", _pow2_at_most(addresses * 2 // 3))]
        if addresses >= 8:
            subnets.append(SubnetSpec("data", _pow2_at_most(addresses // 6)))
        with CrossTenantIpamClient.from_client_secret(
            info.app.client_id,
            info.app.client_secret,
            managed_tenant_id=info.managed_tenant_id,
            management_tenant_id=info.management_tenant_id,
            cloud=cloud,
            polling_interval=0.05,
            **net_kwargs,
        ) as client:
            p.title("Pool usage before (read in tenant A)")
            p.usage(client.get_pool_usage(info.pool_id))

            p.title(
                f"Deploy {vnet_name} in tenant B with {addresses} addresses from the pool "
                f"(subnets: {', '.join(f'{s.name} {s.number_of_ip_addresses}' for s in subnets)})"
            )
            p.line("PUT with a tenant-B token + x-ms-authorization-auxiliary: a tenant-A token")
            deployment = client.begin_deploy_virtual_network(
                vnet_id,
                location=info.location,
                pool_id=info.pool_id,
                number_of_ip_addresses=addresses,
                subnets=subnets,
                tags={"owner": "platform-team"},
            ).result()
            p.deployment(deployment)

            p.title("Pool usage after the deployment")
            p.usage(client.get_pool_usage(info.pool_id))
            for a in client.list_pool_allocations(info.pool_id):
                p.line(
                    f"held by {a.resource_id.name} (subscription {a.resource_id.subscription_id}): "
                    f"{a.total_number_of_ip_addresses} addresses, {_nets(a.address_prefixes)}"
                )

            p.title("Deploy the same again (idempotent)")
            again = client.begin_deploy_virtual_network(
                vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=addresses
            ).result()
            p.line(f"result: {again.action} — no write was needed")

            p.title("Remove the allocation: the prefixes become static, nothing is renumbered")
            removed = client.begin_remove_allocation(vnet_id).result()
            p.deployment(removed)
            p.line(f"tags kept: {removed.tags}")

            p.title("Pool usage after the removal")
            p.usage(client.get_pool_usage(info.pool_id))

        app_id = info.app.client_id
        tokens = {
            t: sum(1 for e in emu.journal.token_requests(t) if e.app_id == app_id)
            for t in (info.managed_tenant_id, info.management_tenant_id)
        }
        arm = [e for e in emu.journal.entries(service="arm") if e.app_id == app_id]
        writes = [e for e in arm if e.method == "PUT"]
        admin_ids = {admin_b.client_id, admin_a.client_id}
        by_admins = [e for e in emu.journal if e.app_id in admin_ids]
        p.title("Cost")
        p.line(
            f"token requests by the app: {tokens[info.managed_tenant_id]} for tenant B, "
            f"{tokens[info.management_tenant_id]} for tenant A"
        )
        p.line(
            f"ARM requests by the app: {len(arm)} ({len(writes)} PUTs), all at api-version {arm[0].api_version}"
        )
        p.line(
            f"onboarding, by the admins: {sum(1 for e in by_admins if e.is_token_request)} token requests, "
            f"{sum(1 for e in by_admins if e.service == 'graph')} Graph requests, "
            f"{sum(1 for e in by_admins if e.service == 'arm')} ARM requests"
        )
    print("\nDone.", file=p.out)
    return 0


# ---- errors and exit codes ------------------------------------------------------------------------------


class UsageError(CrossIpamError):
    """Bad command-line input (exit code 2).

    ```python
    raise UsageError("--addresses is required", hint="or use --from-file")
    ```
    """


def exit_code_for(err: BaseException) -> int:
    """The exit code for an error: 2 bad input, 3 authentication/authorization, 1 anything else.

    ```python
    exit_code_for(InvalidInputError("bad"))   # 2
    ```
    """
    if isinstance(err, (UsageError, InvalidInputError, ConfigurationError)):
        return EXIT_USAGE
    if isinstance(
        err, (CredentialError, AuthorizationError, AdminCredentialError, InsufficientPrivilegesError)
    ):
        return EXIT_AUTH
    return EXIT_ERROR


#: The command that does what a library operation does, and the arguments it takes positionally (the others are
#: ``--flags``): how a :class:`~crossipam.errors.Remedy` is said on the command line.
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


def cli_remedy(remedy: Remedy) -> str:
    """A :class:`~crossipam.errors.Remedy` as the command line says it: the operation becomes the ``crossipam``
    command that does the same, with its arguments (a value when known, else the argument's name in capitals).

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


def _hint_of(err: BaseException) -> Any:
    """The hint as the command line says it: the remedy's command when the hint names an operation."""
    remedy = getattr(err, "remedy", None)
    return cli_remedy(remedy) if isinstance(remedy, Remedy) else getattr(err, "hint", None)


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


def _report_error(err: BaseException, args: argparse.Namespace, out: TextIO, errout: TextIO) -> int:
    command = _command_name(args)
    info = _error_dict(err)
    print(f"crossipam {command}: {info['message']}", file=errout)
    if info["hint"]:
        print(f"hint: {info['hint']}", file=errout)
    if getattr(args, "debug", False):
        details = {k: v for k, v in info.items() if k not in ("message", "hint") and v is not None}
        print("details: " + ", ".join(f"{k}={v}" for k, v in details.items()), file=errout)
        print("".join(traceback.format_exception(type(err), err, err.__traceback__)).rstrip(), file=errout)
    if getattr(args, "output", "table") == "json":
        _emit_json({"error": info}, out)
    return int(info["exit_code"])


def _command_name(args: argparse.Namespace) -> str:
    name = str(getattr(args, "command", ""))
    return f"{name} {args.pool_command}" if name == "pool" else name


# ---- JSON shapes -----------------------------------------------------------------------------------------


def _strs(nets: Sequence[IPNetwork]) -> list[str]:
    return [str(n) for n in nets]


def _allocation(a: IpamAllocation) -> dict[str, Any]:
    return {
        "pool_id": str(a.pool_id),
        "number_of_ip_addresses": a.number_of_ip_addresses,
        "allocated_prefixes": _strs(a.allocated_prefixes),
    }


def deployment_to_dict(d: VirtualNetworkDeployment) -> dict[str, Any]:
    """A deployment as JSON-ready data (the shape ``deploy``/``remove``/``show --output json`` print).

    ```python
    deployment_to_dict(client.get_virtual_network_allocation(vnet_id))["address_prefixes"]   # ['10.0.0.0/26']
    ```
    """
    return {
        "vnet_id": str(d.vnet_id),
        "name": d.vnet_id.name,
        "location": d.location,
        "action": d.action,
        "address_prefixes": _strs(d.address_prefixes),
        "allocations": [_allocation(a) for a in d.allocations],
        "subnets": [
            {
                "name": s.name,
                "address_prefixes": _strs(s.address_prefixes),
                "allocations": [_allocation(a) for a in s.allocations],
            }
            for s in d.subnets
        ],
        "tags": dict(d.tags),
        "provisioning_state": d.provisioning_state,
    }


def usage_to_dict(pool_id: str, u: PoolUsage) -> dict[str, Any]:
    """A pool's usage as JSON-ready data (``pool usage --output json``).

    ```python
    usage_to_dict(pool_id, client.get_pool_usage(pool_id))["number_of_available_ip_addresses"]
    ```
    """
    return {
        "pool_id": pool_id,
        "address_prefixes": _strs(u.address_prefixes),
        "allocated_address_prefixes": _strs(u.allocated_address_prefixes),
        "reserved_address_prefixes": _strs(u.reserved_address_prefixes),
        "available_address_prefixes": _strs(u.available_address_prefixes),
        "child_pools": [
            {"resource_id": str(c.resource_id), "address_prefixes": _strs(c.address_prefixes)}
            for c in u.child_pools
        ],
        "total_number_of_ip_addresses": u.total_number_of_ip_addresses,
        "number_of_allocated_ip_addresses": u.number_of_allocated_ip_addresses,
        "number_of_reserved_ip_addresses": u.number_of_reserved_ip_addresses,
        "number_of_available_ip_addresses": u.number_of_available_ip_addresses,
    }


def allocation_to_dict(a: PoolAllocation) -> dict[str, Any]:
    """One pool allocation as JSON-ready data (``pool allocations --output json`` prints a list of these).

    ```python
    [allocation_to_dict(a) for a in client.list_pool_allocations(pool_id)]
    ```
    """
    return {
        "resource_id": str(a.resource_id),
        "pool_id": str(a.pool_id) if a.pool_id else None,
        "description": a.description,
        "address_prefixes": _strs(a.address_prefixes),
        "reserved_prefixes": _strs(a.reserved_prefixes),
        "total_number_of_ip_addresses": a.total_number_of_ip_addresses,
        "number_of_reserved_ip_addresses": a.number_of_reserved_ip_addresses,
        "created_at": a.created_at.isoformat() if a.created_at else None,
        "reservation_expires_at": a.reservation_expires_at.isoformat() if a.reservation_expires_at else None,
    }


def bulk_to_dict(results: Sequence[BulkItemResult]) -> dict[str, Any]:
    """``deploy/remove --from-file --output json``: totals and one item per VNet, in file order.

    ```python
    bulk_to_dict(client.deploy_many(specs))["failed"]   # 0
    ```
    """
    return {
        "total": len(results),
        "succeeded": sum(1 for r in results if r.ok),
        "failed": sum(1 for r in results if not r.ok),
        "items": [
            {
                "vnet_id": r.vnet_id,
                "ok": r.ok,
                "attempts": r.attempts,
                "action": r.deployment.action if r.deployment else None,
                "deployment": deployment_to_dict(r.deployment) if r.deployment else None,
                "error": _error_dict(r.error) if r.error else None,
            }
            for r in results
        ],
    }


def _onboarding_to_dict(result: OnboardingResult | OffboardingResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "app_id": result.app_id,
        "pool_id": result.pool_id,
        "management_tenant_id": result.management_tenant_id,
        "dry_run": result.dry_run,
        "changed": result.changed,
        "service_principal_object_id": result.service_principal_object_id,
        "steps": [
            {"name": s.name, "status": s.status, "detail": s.detail, "tenant_id": s.tenant_id}
            for s in result.steps
        ],
    }
    from .onboarding import OnboardingResult

    if isinstance(result, OnboardingResult):
        out["managed_tenant_id"] = result.managed_tenant_id
        out["role_assignment_id"] = result.role_assignment_id
    else:
        out["removed_role_assignment_ids"] = list(result.removed_role_assignment_ids)
    return out


def _emit_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


# ---- tables ------------------------------------------------------------------------------------------------


def _table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip(), file=out)


def _print_deployment(d: VirtualNetworkDeployment, out: TextIO) -> None:
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


def _print_usage(pool_id: str, u: PoolUsage, out: TextIO) -> None:
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


def _print_allocations(items: Sequence[PoolAllocation], out: TextIO) -> None:
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


def _print_bulk(results: Sequence[BulkItemResult], out: TextIO) -> None:
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


def _print_report(report: ReadinessReport, out: TextIO) -> None:
    marks = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}
    for c in report.checks:
        print(f"{marks[c.status]}  {c.name}: {c.observed}", file=out)
        if c.remedy and c.status != "pass":
            print(f"      fix: {cli_remedy(c.fix) if c.fix else c.remedy}", file=out)
    print("ready" if report.ok else f"not ready: {len(report.failed)} check(s) failed", file=out)


def _print_onboarding(result: OnboardingResult | OffboardingResult, out: TextIO) -> None:
    for step in result.steps:
        print(step.describe(), file=out)
    if result.dry_run:
        print("(dry run: nothing was changed)", file=out)


# ---- input files ---------------------------------------------------------------------------------------------


def parse_subnets(text: str) -> tuple[SubnetSpec, ...]:
    """``"app:64;data:16"`` → subnet specs (``,`` also separates); raises :class:`InvalidInputError`.

    ```python
    parse_subnets("app:64;data:16")   # (SubnetSpec('app', 64), SubnetSpec('data', 16))
    ```
    """
    return _cli_input.subnets_from_text(text, _cli_input.Where(""))


def read_deployment_file(
    path: str, *, default_location: str | None = None, default_pool_id: str | None = None
) -> list[DeploymentSpec]:
    """Read a CSV or YAML file of VNets to deploy into :class:`~crossipam.models.DeploymentSpec` values.

    Columns/keys: ``vnet_id``, ``location``, ``pool_id``, ``number_of_ip_addresses``, ``subnets``
    (``"app:64;data:16"``), optional ``tags`` (``"env=prod;owner=net"``); others are refused. Empty
    ``location``/``pool_id`` take the defaults. Raises :class:`InvalidInputError` naming the file, the line and
    the field: for a file larger than :data:`MAX_INPUT_FILE_BYTES`, not UTF-8, not valid CSV/YAML, with YAML
    anchors, aliases or duplicate keys, or with a value of the wrong type.

    ```python
    specs = read_deployment_file("vnets.csv", default_pool_id=pool_id)
    client.deploy_many(specs)
    ```
    """
    rows = _cli_input.load_rows(path, fields=_cli_input.DEPLOY_FIELDS)
    specs = _cli_input.deployment_specs(
        rows, default_location=default_location, default_pool_id=default_pool_id
    )
    if not specs:
        raise UsageError(f"{path} lists no VNets")
    return specs


def read_removal_file(path: str) -> list[str]:
    """Read the ``vnet_id`` column (CSV) or key (YAML) of a file; other columns are ignored, rows without an id
    skipped. Raises :class:`InvalidInputError` like :func:`read_deployment_file`.

    ```python
    client.remove_many(read_removal_file("vnets.csv"))
    ```
    """
    ids = _cli_input.vnet_ids(_cli_input.load_rows(path))
    if not ids:
        raise UsageError(f"{path} lists no VNets")
    return ids


def _tags(value: Any, where: str) -> dict[str, str]:
    return _cli_input.tags_value(value, _cli_input.Where(where))


def _whole_number(text: str) -> int:
    """argparse ``type`` of the counts: ASCII digits only (``int()`` would also take ``²`` or ``٣``)."""
    if not re.fullmatch(r"-?[0-9]{1,40}", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (ASCII digits 0-9)")
    return int(text)


# ---- credentials and the client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Setup:
    cloud: CloudEndpoints
    kwargs: dict[str, Any]
    env: dict[str, str]


def _setup(args: argparse.Namespace, environ: Mapping[str, str]) -> _Setup:
    env = dict(environ)
    for option, variable in (
        ("arm_endpoint", "CROSSIPAM_ARM_ENDPOINT"),
        ("authority", "AZURE_AUTHORITY_HOST"),
        ("graph_endpoint", "CROSSIPAM_GRAPH_ENDPOINT"),
        ("ca_bundle", "REQUESTS_CA_BUNDLE"),
        ("tenant", "AZURE_TENANT_ID"),
        ("management_tenant", "CROSSIPAM_MANAGEMENT_TENANT_ID"),
    ):
        value = getattr(args, option, None)
        if value:
            env[variable] = value
    cloud = cloud_from_env(env, args.cloud or AzureClouds.AZURE_PUBLIC_CLOUD)
    kwargs: dict[str, Any] = {}
    if env.get("REQUESTS_CA_BUNDLE"):
        field = "--ca-bundle" if getattr(args, "ca_bundle", None) else "REQUESTS_CA_BUNDLE"
        _cli_input.check_ca_bundle(env["REQUESTS_CA_BUNDLE"], field)
        kwargs["connection_verify"] = env["REQUESTS_CA_BUNDLE"]
    return _Setup(cloud, kwargs, env)


def _tenants(setup: _Setup) -> tuple[str, str]:
    missing = [
        f"{option} ({variable})"
        for option, variable in (
            ("--tenant", "AZURE_TENANT_ID"),
            ("--management-tenant", "CROSSIPAM_MANAGEMENT_TENANT_ID"),
        )
        if not setup.env.get(variable)
    ]
    if missing:
        raise UsageError(
            f"missing {' and '.join(missing)}", hint="pass the managed (B) and management (A) tenant ids"
        )
    return (
        validate_tenant_id(setup.env["AZURE_TENANT_ID"], "--tenant"),
        validate_tenant_id(setup.env["CROSSIPAM_MANAGEMENT_TENANT_ID"], "--management-tenant"),
    )


def _secret(variable: str, what: str, env: Mapping[str, str]) -> str:
    value = env.get(variable)
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"{what} client secret: ")
    raise UsageError(
        f"no client secret for {what}",
        hint=f"set {variable}, pass --certificate, or run in a terminal to be prompted",
    )


@contextlib.contextmanager
def _certificate_file(path: str | None, field: str) -> Iterator[None]:
    """Refuse a missing, unreadable, empty or oversized certificate file before azure-identity reads it, and
    report what azure-identity cannot use in it — exit 2, naming the option (or variable) and the file."""
    if path:
        _cli_input.check_certificate_file(path, field)
    try:
        yield
    except (ValueError, TypeError) as err:
        problem = _cli_input.certificate_problem(err)
        if not path or problem is None:
            raise
        raise UsageError(
            f"{field} {path}: not a usable certificate: {problem}",
            hint="a PEM file with the private key and its certificate, or a PKCS12 file (its password in "
            "AZURE_CLIENT_CERTIFICATE_PASSWORD)",
        ) from None


def _environment_certificate(env: Mapping[str, str]) -> str | None:
    """The certificate file ``from_environment`` will read (none when a secret is set); a federated token file
    it would use instead is checked here."""
    if env.get("AZURE_CLIENT_SECRET"):
        return None
    if env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
        return env["AZURE_CLIENT_CERTIFICATE_PATH"]
    if env.get("AZURE_FEDERATED_TOKEN_FILE"):
        _cli_input.check_token_file(env["AZURE_FEDERATED_TOKEN_FILE"], "AZURE_FEDERATED_TOKEN_FILE")
    return None


def _auth_source(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    if args.auth != "auto":
        return str(args.auth)
    if args.client_id:
        return "app"
    if env.get("AZURE_CLIENT_ID"):
        return "environment"
    return "azure-cli"


def _make_client(args: argparse.Namespace, environ: Mapping[str, str]) -> CrossTenantIpamClient:
    setup = _setup(args, environ)
    source = _auth_source(args, setup.env)
    _LOGGER.info("credentials: %s; ARM %s", source, setup.cloud.resource_manager)
    if source == "environment":
        with _certificate_file(_environment_certificate(setup.env), "AZURE_CLIENT_CERTIFICATE_PATH"):
            return CrossTenantIpamClient.from_environment(
                environ=setup.env, cloud=setup.cloud, **setup.kwargs
            )
    b, a = _tenants(setup)
    if source == "app":
        client_id = args.client_id or setup.env.get("AZURE_CLIENT_ID")
        if not client_id:
            raise UsageError("--auth app needs --client-id")
        if args.certificate:
            with _certificate_file(args.certificate, "--certificate"):
                return CrossTenantIpamClient.from_client_certificate(
                    client_id,
                    args.certificate,
                    managed_tenant_id=b,
                    management_tenant_id=a,
                    cloud=setup.cloud,
                    password=setup.env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None,
                    **setup.kwargs,
                )
        secret = _secret("AZURE_CLIENT_SECRET", f"app {client_id}", setup.env)
        return CrossTenantIpamClient.from_client_secret(
            client_id, secret, managed_tenant_id=b, management_tenant_id=a, cloud=setup.cloud, **setup.kwargs
        )
    from azure.identity import AzureCliCredential

    cli = AzureCliCredential(tenant_id=b, additionally_allowed_tenants=[a])
    return CrossTenantIpamClient(
        cli, managed_tenant_id=b, management_tenant_id=a, cloud=setup.cloud, **setup.kwargs
    )


def _admin_credential(
    args: argparse.Namespace, setup: _Setup, side: str, tenant_id: str, other_tenant: str
) -> TokenCredential:
    """An admin credential for one tenant: the --<side>-admin-* app, else the general credential options."""
    from azure.identity import AzureCliCredential, CertificateCredential, ClientSecretCredential

    authority: dict[str, Any] = {"authority": setup.cloud.authority_host}
    if not setup.cloud.is_known_authority:
        authority["disable_instance_discovery"] = True
    pipeline = credential_pipeline_kwargs(setup.kwargs)
    client_id = getattr(args, f"{side}_admin_client_id", None)
    certificate = getattr(args, f"{side}_admin_certificate", None)
    if client_id:
        if certificate:
            with _certificate_file(certificate, f"--{side}-admin-certificate"):
                return CertificateCredential(tenant_id, client_id, certificate, **authority, **pipeline)
        variable = f"CROSSIPAM_{side.upper()}_ADMIN_CLIENT_SECRET"
        secret = _secret(variable, f"{side}-tenant admin app {client_id}", setup.env)
        return ClientSecretCredential(tenant_id, client_id, secret, **authority, **pipeline)
    source = _auth_source(args, setup.env)
    allowed: dict[str, Any] = {"additionally_allowed_tenants": [other_tenant]}
    if source == "azure-cli":
        return AzureCliCredential(tenant_id=tenant_id, additionally_allowed_tenants=[other_tenant])
    app = args.client_id or setup.env.get("AZURE_CLIENT_ID")
    if not app:
        raise UsageError(f"no admin credential for the {side} tenant", hint=f"pass --{side}-admin-client-id")
    if args.certificate or (source == "environment" and setup.env.get("AZURE_CLIENT_CERTIFICATE_PATH")):
        path = args.certificate or setup.env["AZURE_CLIENT_CERTIFICATE_PATH"]
        with _certificate_file(
            path, "--certificate" if args.certificate else "AZURE_CLIENT_CERTIFICATE_PATH"
        ):
            return CertificateCredential(tenant_id, app, path, **authority, **allowed, **pipeline)
    secret = _secret("AZURE_CLIENT_SECRET", f"app {app}", setup.env)
    return ClientSecretCredential(tenant_id, app, secret, **authority, **allowed, **pipeline)


# ---- progress ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _progress(
    mode: str, total: int, verb: str, errout: TextIO
) -> Iterator[Callable[[int, int, BulkItemResult], None]]:
    """An ``on_progress`` callback: a rich progress bar on stderr, or one plain line per finished item."""
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


# ---- commands ----------------------------------------------------------------------------------------------


@dataclass
class _IO:
    out: TextIO
    err: TextIO
    env: Mapping[str, str]


def _emit(args: argparse.Namespace, io_: _IO, data: Any, table: Callable[[TextIO], None]) -> None:
    if args.output == "json":
        _emit_json(data, io_.out)
    else:
        table(io_.out)


def _bulk_exit(results: Sequence[BulkItemResult]) -> int:
    codes = {exit_code_for(r.error) for r in results if r.error is not None}
    if not codes:
        return EXIT_OK
    return codes.pop() if len(codes) == 1 else EXIT_ERROR


def _cmd_deploy(args: argparse.Namespace, io_: _IO) -> int:
    if args.from_file:
        if args.vnet_id:
            raise UsageError("give a VNet id or --from-file, not both")
        specs = read_deployment_file(
            args.from_file, default_location=args.location, default_pool_id=args.pool_id
        )
        with (
            _make_client(args, io_.env) as client,
            _progress(args.progress, len(specs), "deploy", io_.err) as cb,
        ):
            results = client.deploy_many(specs, max_concurrency=args.max_concurrency, on_progress=cb)
        _emit(args, io_, bulk_to_dict(results), lambda o: _print_bulk(results, o))
        return _bulk_exit(results)
    missing = [o for o, v in (("VNET_ID", args.vnet_id), ("--location", args.location), ("--pool-id", args.pool_id), ("--addresses", args.addresses)) if not v]  # fmt: skip
    if missing:
        raise UsageError(f"deploy needs {', '.join(missing)}", hint="or --from-file FILE for many VNets")
    subnets = _cli_input.subnets_from_text(args.subnets, _cli_input.Where("--subnets"))
    tags = _tags(args.tag, "--tag") if args.tag else None
    with _make_client(args, io_.env) as client:
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
    _emit(args, io_, deployment_to_dict(deployment), lambda o: _print_deployment(deployment, o))
    return EXIT_OK


def _cmd_remove(args: argparse.Namespace, io_: _IO) -> int:
    if args.from_file:
        if args.vnet_id:
            raise UsageError("give a VNet id or --from-file, not both")
        ids = read_removal_file(args.from_file)
        with (
            _make_client(args, io_.env) as client,
            _progress(args.progress, len(ids), "remove", io_.err) as cb,
        ):
            results = client.remove_many(ids, max_concurrency=args.max_concurrency, on_progress=cb)
        _emit(args, io_, bulk_to_dict(results), lambda o: _print_bulk(results, o))
        return _bulk_exit(results)
    if not args.vnet_id:
        raise UsageError("remove needs a VNet id", hint="or --from-file FILE for many VNets")
    with _make_client(args, io_.env) as client:
        deployment = client.begin_remove_allocation(
            args.vnet_id, address_prefixes=args.address_prefix
        ).result()
    _emit(args, io_, deployment_to_dict(deployment), lambda o: _print_deployment(deployment, o))
    return EXIT_OK


def _cmd_show(args: argparse.Namespace, io_: _IO) -> int:
    with _make_client(args, io_.env) as client:
        deployment = client.get_virtual_network_allocation(args.vnet_id)
    _emit(args, io_, deployment_to_dict(deployment), lambda o: _print_deployment(deployment, o))
    return EXIT_OK


def _cmd_pool(args: argparse.Namespace, io_: _IO) -> int:
    with _make_client(args, io_.env) as client:
        if args.pool_command == "usage":
            usage = client.get_pool_usage(args.pool_id)
            _emit(
                args, io_, usage_to_dict(args.pool_id, usage), lambda o: _print_usage(args.pool_id, usage, o)
            )
        else:
            items = client.list_pool_allocations(args.pool_id)
            _emit(args, io_, [allocation_to_dict(a) for a in items], lambda o: _print_allocations(items, o))
    return EXIT_OK


def _cmd_check(args: argparse.Namespace, io_: _IO) -> int:
    if args.addresses is not None and args.addresses <= 0:
        raise UsageError("--addresses must be positive")
    with _make_client(args, io_.env) as client:
        report = client.check_readiness(
            args.pool_id, vnet_id=args.vnet_id, number_of_ip_addresses=args.addresses, location=args.location
        )
    shown = report.to_dict()
    for check, as_dict in zip(report.checks, shown["checks"], strict=True):
        if check.fix is not None:  # the JSON's fixes name commands too
            as_dict["remedy"] = cli_remedy(check.fix)
    _emit(args, io_, shown, lambda o: _print_report(report, o))
    return EXIT_OK if report.ok else EXIT_NOT_READY


def _cmd_onboard(args: argparse.Namespace, io_: _IO) -> int:
    from .onboarding import offboard_service_principal, onboard_service_principal

    setup = _setup(args, io_.env)
    b, a = _tenants(setup)
    admin_a = _admin_credential(args, setup, "management", a, b)
    result: OnboardingResult | OffboardingResult
    if args.command == "onboard":
        admin_b = _admin_credential(args, setup, "managed", b, a)
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
    _emit(args, io_, _onboarding_to_dict(result), lambda o: _print_onboarding(result, o))
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, _IO], int]] = {
    "deploy": _cmd_deploy,
    "remove": _cmd_remove,
    "show": _cmd_show,
    "pool": _cmd_pool,
    "check": _cmd_check,
    "onboard": _cmd_onboard,
    "offboard": _cmd_onboard,
}


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


def _run_emulator(argv: Sequence[str]) -> int:
    from .testing.__main__ import main as testing_main  # the offline Azure's own `serve`

    return testing_main(["serve", *argv], serve_prog="crossipam emulator")


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
        return _run_emulator(args_list[1:])
    try:
        parser = build_parser()
        args, extras = parser.parse_known_args(args_list)
        if extras and args.command != "emulator":
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as exit_:  # --help, --version, or a usage error (already printed)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command == "emulator":  # after --output/--debug: the rest is the emulator's options
        return _run_emulator(extras)
    out, errout = sys.stdout, sys.stderr
    if args.command == "demo":
        if args.addresses <= 0:
            print("crossipam demo: --addresses must be positive", file=errout)
            return EXIT_USAGE
        if args.output == "json":  # given before the command
            print(
                "crossipam demo: --output json is not supported (the demo prints a walk-through)", file=errout
            )
            return EXIT_USAGE
        with _configure_logging(False, args.verbose, sys.stdout):
            try:
                return run_demo(addresses=args.addresses, vnet_name=args.vnet_name, https=args.https)
            except CrossIpamError as err:
                print(f"crossipam demo failed: {err}", file=errout)
                return EXIT_ERROR
    with _configure_logging(args.debug, False, errout):
        try:
            return _COMMANDS[args.command](args, _IO(out, errout, os.environ))
        except CrossIpamError as err:
            return _report_error(err, args, out, errout)
        except KeyboardInterrupt:
            print(f"crossipam {_command_name(args)}: interrupted", file=errout)
            return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
