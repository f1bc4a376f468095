"""The ``crossipam`` console script.

```sh
crossipam demo             # the cross-tenant IPAM tutorial, against the offline Azure started in-process
crossipam demo --https     # the same over real HTTPS on loopback (generated CA)
```

Only the ``demo`` command imports :mod:`crossipam.testing` (the offline Azure); the library never does.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from . import __version__
from .client import CrossTenantIpamClient
from .errors import CrossIpamError
from .models import CloudEndpoints, IPNetwork, PoolUsage, SubnetSpec, VirtualNetworkDeployment

if TYPE_CHECKING:
    from .testing import AzureEmulator

__all__ = ["build_parser", "main", "run_demo"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``crossipam`` (subcommands; ``demo`` for now).

    ```python
    build_parser().parse_args(["demo", "--addresses", "200"]).addresses   # 200
    ```
    """
    parser = argparse.ArgumentParser(
        prog="crossipam", description="Cross-tenant IP address management for Azure (AVNM IPAM)."
    )
    parser.add_argument("--version", action="version", version=f"crossipam {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="walk through the cross-tenant IPAM tutorial against the offline Azure",
        description=(
            "Start the offline Azure (two tenants, an IPAM pool in the management tenant, an onboarded "
            "automation app in the managed tenant), deploy a VNet with address space from the pool, show the "
            "pool usage, remove the allocation without renumbering and show the usage again."
        ),
    )
    demo.add_argument("--addresses", type=int, default=100, help="IPv4 addresses for the VNet (default 100)")
    demo.add_argument("--vnet-name", default="vnet-spoke-demo", help="name of the VNet to deploy")
    demo.add_argument(
        "--https",
        action="store_true",
        help="serve the offline Azure over HTTPS on loopback (default in-process)",
    )
    demo.add_argument("--verbose", "-v", action="store_true", help="log what crossipam does")
    return parser


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
def _offline_azure(https: bool) -> Iterator[tuple[AzureEmulator, dict[str, Any]]]:
    from .testing import AzureEmulator  # the only place outside tests that imports the offline Azure

    emu = AzureEmulator()
    info = emu.load_scenario("onboarded")
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
) -> int:
    """Run the walk-through; returns the exit code (0 on success).

    ```python
    run_demo(addresses=100)
    ```
    """
    p = _Printer(out or sys.stdout)
    print(
        "crossipam demo — cross-tenant IPAM against the offline Azure (no cloud, no credentials)", file=p.out
    )
    with _offline_azure(https) as (emu, net_kwargs):
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
        p.line(f"automation app      {info.app.client_id} (home: B; onboarded into A as IPAM Pool User)")
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

        tokens = {
            t: len(emu.journal.token_requests(t)) for t in (info.managed_tenant_id, info.management_tenant_id)
        }
        arm = emu.journal.entries(service="arm")
        writes = [e for e in arm if e.method == "PUT"]
        p.title("Cost")
        p.line(
            f"token requests: {tokens[info.managed_tenant_id]} for tenant B, "
            f"{tokens[info.management_tenant_id]} for tenant A"
        )
        p.line(f"ARM requests: {len(arm)} ({len(writes)} PUTs), all at api-version {arm[0].api_version}")
    print("\nDone.", file=p.out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crossipam`` console script.

    ```python
    main(["demo"])   # 0
    ```
    """
    args = build_parser().parse_args(argv)
    if getattr(args, "verbose", False):
        logging.basicConfig(level=logging.WARNING, format="   [%(name)s] %(message)s")
        logging.getLogger("crossipam").setLevel(logging.INFO)
    if args.command == "demo":
        if args.addresses <= 0:
            print("crossipam demo: --addresses must be positive", file=sys.stderr)
            return 2
        try:
            return run_demo(addresses=args.addresses, vnet_name=args.vnet_name, https=args.https)
        except CrossIpamError as err:
            print(f"crossipam demo failed: {err}", file=sys.stderr)
            return 1
    return 2  # pragma: no cover - argparse enforces a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
