"""Named scenarios: a realistic two-tenant setup seeded in one call.

``onboarded``: the automation app (home: the managed tenant) is multitenant, has its stub service principal in
the management tenant, holds *IPAM Pool User* on the pools and *Network Contributor* on the managed resource group,
and the cross-tenant network-manager connection is Connected.
``fresh``: the same, but the app is single-tenant and absent from the management tenant (onboarding not done).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulator import AzureEmulator

__all__ = [
    "SCENARIOS",
    "AdminCredentials",
    "OfflineCloud",
    "ScenarioInfo",
    "add_managed_subscriptions",
    "load",
]

SCENARIOS = ("onboarded", "fresh")
"""The names [`AzureEmulator.load_scenario`][crossipam.testing.AzureEmulator.load_scenario] accepts.

```python
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_readiness_report(scenario: str) -> None:
    info = AzureEmulator().load_scenario(scenario)
```
"""

# Fixed ids make demo output and docs reproducible.
MANAGED_TENANT = "bbbbbbbb-0000-4000-8000-000000000001"
MANAGEMENT_TENANT = "aaaaaaaa-0000-4000-8000-000000000001"
MANAGED_SUBSCRIPTION = "bbbbbbbb-1111-4000-8000-000000000002"
MANAGEMENT_SUBSCRIPTION = "aaaaaaaa-1111-4000-8000-000000000002"
AUTOMATION_APP = "c0ffee00-0000-4000-8000-00000000a11c"


@dataclass(frozen=True)
class OfflineCloud:
    """The offline Azure's endpoints, in the shape of crossipam's ``CloudEndpoints`` (the library accepts it as
    ``cloud=``; `crossipam.testing` does not import the library).

    ```python
    client = CrossTenantIpamClient.from_client_secret(..., cloud=info.cloud)
    ```
    """

    authority_host: str
    resource_manager: str
    graph: str
    resource_manager_scope: str


@dataclass
class AdminCredentials:
    """An app's client id, secret (hidden from repr) and home tenant, as a scenario seeds them.

    ```python
    admin = info.admins["management"]  # may create service principals and role assignments in tenant A
    credential = ClientSecretCredential(admin.tenant_id, admin.client_id, admin.client_secret,
                                        authority=info.authority, disable_instance_discovery=True)
    ```
    """

    client_id: str
    client_secret: str = field(repr=False)
    tenant_id: str = ""


@dataclass
class ScenarioInfo:
    """What a client needs to talk to a seeded offline Azure (the ``serve`` command prints it as JSON).

    ```python
    info = emulator.load_scenario("onboarded")
    client = CrossTenantIpamClient.from_client_secret(**info.client_kwargs(transport=emulator.transport()))
    # or, piece by piece: info.app.client_id, info.managed_tenant_id, ..., cloud=info.cloud
    ```
    """

    scenario: str
    authority: str
    arm_endpoint: str
    graph_endpoint: str
    ca_bundle: str | None
    managed_tenant_id: str
    management_tenant_id: str
    managed_subscription_id: str
    management_subscription_id: str
    resource_group: str
    location: str
    network_manager_id: str
    pool_id: str
    pool_prefixes: list[str]
    ipv6_pool_id: str
    ipv6_pool_prefixes: list[str]
    app: AdminCredentials
    admins: dict[str, AdminCredentials]

    @property
    def arm_scope(self) -> str:
        """The scope to ask a token for ARM with.

        ```python
        credential.get_token(info.arm_scope)  # "https://management.crossipam.test/.default" in-process
        ```
        """
        return self.arm_endpoint.rstrip("/") + "/.default"

    @property
    def graph_scope(self) -> str:
        """The scope to ask a token for Microsoft Graph with.

        ```python
        credential.get_token(info.graph_scope)  # "https://graph.crossipam.test/.default" in-process
        ```
        """
        return self.graph_endpoint.rstrip("/") + "/.default"

    def vnet_id(self, name: str) -> str:
        """Resource id of a VNet named ``name`` in the managed resource group.

        Args:
            name: The VNet's name.

        ```python
        info.vnet_id("vnet-team-blue")
        # "/subscriptions/bbbbbbbb-1111-4000-8000-000000000002/resourceGroups/rg-spoke-network"
        # "/providers/Microsoft.Network/virtualNetworks/vnet-team-blue"
        ```
        """
        return (
            f"/subscriptions/{self.managed_subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/virtualNetworks/{name}"
        )

    @property
    def cloud(self) -> OfflineCloud:
        """The endpoints as the clients' ``cloud=`` argument takes them (instead of a ``CloudEndpoints(...)``
        block written out in every test).

        ```python
        CrossTenantIpamClient.from_client_secret(app_id, secret, ..., cloud=info.cloud)
        ```
        """
        return OfflineCloud(self.authority, self.arm_endpoint, self.graph_endpoint, self.arm_scope)

    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """The keyword arguments of ``CrossTenantIpamClient.from_client_secret`` (and its asyncio twin) for the
        scenario's automation app: its id and secret, both tenants, the cloud, ``polling_interval=0`` (the
        offline Azure's operations finish at once) and, when served over HTTPS, ``connection_verify`` (the CA
        bundle).

        Args:
            overrides: Keyword arguments added or replaced, e.g. ``transport=emulator.transport()``.

        ```python
        with CrossTenantIpamClient.from_client_secret(**info.client_kwargs(transport=emulator.transport())) as c:
            c.get_pool_usage(info.pool_id)
        ```
        """
        kwargs: dict[str, Any] = {
            "client_id": self.app.client_id,
            "client_secret": self.app.client_secret,
            "managed_tenant_id": self.managed_tenant_id,
            "management_tenant_id": self.management_tenant_id,
            "cloud": self.cloud,
            "polling_interval": 0,
        }
        if self.ca_bundle:
            kwargs["connection_verify"] = self.ca_bundle
        kwargs.update(overrides)
        return kwargs

    def environment(self) -> dict[str, str]:
        """The environment variables that point the ``crossipam`` CLI, ``CrossTenantIpamClient.from_environment``
        and azure-identity's ``EnvironmentCredential`` at this offline Azure as its automation app
        (``crossipam emulator --print-env`` prints them).

        ```python
        os.environ.update(info.environment())
        client = CrossTenantIpamClient.from_environment()
        ```
        """
        env = {
            "AZURE_CLIENT_ID": self.app.client_id,
            "AZURE_CLIENT_SECRET": self.app.client_secret,
            "AZURE_TENANT_ID": self.managed_tenant_id,
            "AZURE_AUTHORITY_HOST": self.authority,
            "CROSSIPAM_MANAGEMENT_TENANT_ID": self.management_tenant_id,
            "CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID": self.management_subscription_id,
            "CROSSIPAM_ARM_ENDPOINT": self.arm_endpoint,
            "CROSSIPAM_GRAPH_ENDPOINT": self.graph_endpoint,
        }
        if self.ca_bundle:
            env["REQUESTS_CA_BUNDLE"] = self.ca_bundle
        return env

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain data (nested credentials included, secrets too).

        ```python
        info.to_dict()["app"]["client_id"]  # "c0ffee00-0000-4000-8000-00000000a11c"
        ```
        """
        return asdict(self)

    def to_json(self) -> str:
        """`to_dict` as one line of JSON (what ``python -m crossipam.testing serve`` prints).

        ```python
        Path("emulator.json").write_text(info.to_json())
        ```
        """
        return json.dumps(self.to_dict())


def load(emu: AzureEmulator, name: str) -> ScenarioInfo:
    """Seed ``name`` into ``emu`` (see
    [`AzureEmulator.load_scenario`][crossipam.testing.AzureEmulator.load_scenario], which also remembers the
    result).

    ```python
    info = load(AzureEmulator(), "fresh")
    ```
    """
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    onboarded = name == "onboarded"
    location = "eastus"
    emu.add_tenant(MANAGED_TENANT, "Contoso Spoke (managed)", "contosospoke.onmicrosoft.com")
    emu.add_tenant(MANAGEMENT_TENANT, "Contoso Platform (management)", "contosoplatform.onmicrosoft.com")
    emu.add_subscription(MANAGED_TENANT, MANAGED_SUBSCRIPTION, "spoke-prod")
    emu.add_subscription(MANAGEMENT_TENANT, MANAGEMENT_SUBSCRIPTION, "platform-connectivity")
    rg_b = emu.add_resource_group(MANAGED_SUBSCRIPTION, "rg-spoke-network", location)
    rg_a = emu.add_resource_group(MANAGEMENT_SUBSCRIPTION, "rg-ipam", location)
    nm_id = emu.add_network_manager(rg_a.id, "nm-platform", location=location)
    pool_prefixes = ["10.0.0.0/16"]
    pool_id = emu.add_ipam_pool(nm_id, "pool-eastus", pool_prefixes, location=location)
    v6_prefixes = ["fd00:db8:cafe::/48"]
    v6_pool_id = emu.add_ipam_pool(nm_id, "pool-eastus-v6", v6_prefixes, location=location)
    emu.connect_tenants(nm_id, MANAGED_SUBSCRIPTION)

    app = emu.add_application(
        MANAGED_TENANT, "spoke-automation", app_id=AUTOMATION_APP, multitenant=onboarded
    )
    emu.assign_role(app.object_id, "Network Contributor", rg_b.id)

    admin_b = emu.add_application(
        MANAGED_TENANT, "spoke-admin", graph_permissions=["Application.ReadWrite.All"]
    )
    emu.assign_role(admin_b.object_id, "Owner", f"/subscriptions/{MANAGED_SUBSCRIPTION}")
    admin_a = emu.add_application(
        MANAGEMENT_TENANT, "platform-admin", graph_permissions=["Application.ReadWrite.All"]
    )
    emu.assign_role(admin_a.object_id, "Owner", f"/subscriptions/{MANAGEMENT_SUBSCRIPTION}")

    if onboarded:
        sp_a = emu.add_service_principal(app.client_id, MANAGEMENT_TENANT, replicated=True)
        emu.assign_role(sp_a.object_id, "IPAM Pool User", pool_id)
        emu.assign_role(sp_a.object_id, "IPAM Pool User", v6_pool_id)

    return ScenarioInfo(
        scenario=name,
        authority=emu.endpoints.authority,
        arm_endpoint=emu.endpoints.arm,
        graph_endpoint=emu.endpoints.graph,
        ca_bundle=None,
        managed_tenant_id=MANAGED_TENANT,
        management_tenant_id=MANAGEMENT_TENANT,
        managed_subscription_id=MANAGED_SUBSCRIPTION,
        management_subscription_id=MANAGEMENT_SUBSCRIPTION,
        resource_group=rg_b.name,
        location=location,
        network_manager_id=nm_id,
        pool_id=pool_id,
        pool_prefixes=pool_prefixes,
        ipv6_pool_id=v6_pool_id,
        ipv6_pool_prefixes=v6_prefixes,
        app=AdminCredentials(app.client_id, app.client_secret, MANAGED_TENANT),
        admins={
            "managed": AdminCredentials(admin_b.client_id, admin_b.client_secret, MANAGED_TENANT),
            "management": AdminCredentials(admin_a.client_id, admin_a.client_secret, MANAGEMENT_TENANT),
        },
    )


def add_managed_subscriptions(emu: AzureEmulator, info: ScenarioInfo, count: int) -> list[dict[str, str]]:
    """Seed ``count`` more managed subscriptions like the scenario's own (benchmarks over many subscriptions).

    Each gets the scenario's resource group name, *Network Contributor* there for the automation app, a
    Connected network-manager connection, and an IPv4 pool of its own in the network manager
    (``pool-eastus-2`` … with ``10.1.0.0/16`` …, at most 255) that the app may use (``onboarded``).

    Args:
        emu: The offline Azure the scenario was loaded into.
        info: The loaded scenario.
        count: How many subscriptions to add.

    ```python
    extra = add_managed_subscriptions(emulator, info, 4)
    extra[0]  # {"subscription_id": "bbbbbbbb-1111-4000-8000-000000000003", "pool_id": ".../pool-eastus-2"}
    ```
    """
    if not 0 <= count <= 255:
        raise ValueError(f"count must be 0 to 255, got {count}")
    app = emu.service_principal(info.app.client_id, info.managed_tenant_id)
    assert app is not None, "load a scenario first"
    sp_a = emu.service_principal(info.app.client_id, info.management_tenant_id)
    out = []
    for k in range(1, count + 1):
        subscription = f"{MANAGED_SUBSCRIPTION[:-12]}{k + 2:012d}"
        emu.add_subscription(info.managed_tenant_id, subscription, f"spoke-prod-{k + 1}")
        group = emu.add_resource_group(subscription, info.resource_group, info.location)
        emu.assign_role(app.object_id, "Network Contributor", group.id)
        emu.connect_tenants(info.network_manager_id, subscription)
        pool_id = emu.add_ipam_pool(
            info.network_manager_id, f"pool-eastus-{k + 1}", [f"10.{k}.0.0/16"], location=info.location
        )
        if sp_a is not None:
            emu.assign_role(sp_a.object_id, "IPAM Pool User", pool_id)
        out.append({"subscription_id": subscription, "pool_id": pool_id})
    return out
