"""The ``demo`` and ``emulator`` commands: the only part of crossipam outside the tests that imports the offline
Azure (`crossipam.testing`), and only inside the functions that start it.

```python
run_demo(addresses=100)            # the walk-through of the README's quick start
run_emulator(["--scenario", "fresh"])
```
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ..client import CrossTenantIpamClient
from ..credentials import credential_pipeline_kwargs
from ..models import CloudEndpoints, IPNetwork, PoolUsage, SubnetSpec, VirtualNetworkDeployment

if TYPE_CHECKING:
    from ..testing import AzureEmulator


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
    from ..testing import AzureEmulator  # the only place outside tests that imports the offline Azure

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

    from ..onboarding import onboard_service_principal

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


def run_emulator(argv: Sequence[str]) -> int:
    """``crossipam emulator …``: the offline Azure's own ``serve`` command (``python -m crossipam.testing serve``).

    ```python
    run_emulator(["--scenario", "fresh"])   # serves until interrupted; prints one JSON line first
    ```
    """

    def serve() -> int:
        from ..testing.__main__ import main as testing_main  # the offline Azure's own `serve`

        return testing_main(["serve", *argv], serve_prog="crossipam emulator")

    return needs_testing_extra("emulator", serve)


EXIT_MISSING_EXTRA = 2
"""``demo`` and ``emulator`` without the ``testing`` extra: a usage error of the installation, not of Azure."""
_TESTING_EXTRA = frozenset({"trustme", "cryptography", "jwt", "requests", "aiohttp"})


def needs_testing_extra(command: str, run: Callable[[], int]) -> int:
    """``run()``, with a missing dependency of the offline Azure said as one line naming the ``testing`` extra
    (exit 2) instead of a traceback.

    Args:
        command: The command, for the message (``demo``, ``emulator``).
        run: What the command does; returns its exit code.

    ```python
    needs_testing_extra("demo", lambda: run_demo(addresses=100))
    ```
    """
    try:
        return run()
    except ModuleNotFoundError as err:
        if err.name is None or err.name.split(".")[0] not in _TESTING_EXTRA:
            raise
        print(
            f"crossipam {command}: the offline Azure needs the `testing` extra ({err.name} is not installed)\n"
            'hint: in a checkout of crossipam: pip install -e ".[testing]"',
            file=sys.stderr,
        )
        return EXIT_MISSING_EXTRA
