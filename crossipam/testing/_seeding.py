"""The offline Azure's seeding API: what a test or a scenario puts into the directory and Microsoft.Network
before a client talks to it. [`AzureEmulator`][crossipam.testing.AzureEmulator] inherits it; the
handlers never use it (they are given a context, see ``_context``).

```python
emulator = AzureEmulator()
tenant = emulator.add_tenant(display_name="Contoso")
app = emulator.add_application(tenant.tenant_id, multitenant=True)
```
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import entra
from . import network as network_module
from ._credentials import AppCredentials, CertificateCredentials, new_certificate, new_client_secret
from .state import (
    Application,
    FederatedCredential,
    ResourceGroup,
    RoleAssignment,
    ServicePrincipal,
    Subscription,
    Tenant,
)

if TYPE_CHECKING:
    import threading

    from ._context import ServiceContext
    from ._core import Clock
    from ._tokens import TokenIssuer
    from .state import State

__all__ = ["SeedingApi"]


class SeedingApi:
    """Tenants, subscriptions, apps and their credentials, service principals, roles, and the network resources
    (network managers, pools, static CIDRs, connections), added directly to the state — no request, no token.

    ```python
    info = emulator.load_scenario("onboarded")
    emulator.assign_role(info.app_sp_object_id_a, "IPAM Pool User", info.pool_id)
    ```
    """

    services: ServiceContext
    network: network_module.Network
    state: State
    clock: Clock
    tokens: TokenIssuer
    lock: threading.RLock
    issued_secrets: set[str]

    # ---- seeding: directory ---------------------------------------------------------------------
    def add_tenant(self, tenant_id: str | None = None, display_name: str = "", domain: str = "") -> Tenant:
        """Add an Entra tenant.

        Args:
            tenant_id: The tenant's GUID (default: a new one).
            display_name: The tenant's name.
            domain: Its initial domain (default: from the tenant id).

        ```python
        tenant = emulator.add_tenant(display_name="Fabrikam")  # a random tenant id
        ```
        """
        tid = (tenant_id or str(uuid.uuid4())).lower()
        tenant = Tenant(tid, display_name or f"Tenant {tid[:8]}", domain or f"t{tid[:8]}.onmicrosoft.com")
        with self.lock:
            self.state.tenants[tid] = tenant
        return tenant

    def add_subscription(
        self, tenant_id: str, subscription_id: str | None = None, display_name: str = ""
    ) -> Subscription:
        """Add a subscription to a tenant.

        Args:
            tenant_id: The tenant that owns it.
            subscription_id: Its GUID (default: a new one).
            display_name: Its name.

        ```python
        sub = emulator.add_subscription(tenant.tenant_id, display_name="fabrikam-prod")
        ```
        """
        sid = (subscription_id or str(uuid.uuid4())).lower()
        sub = Subscription(sid, tenant_id.lower(), display_name or f"Subscription {sid[:8]}")
        with self.lock:
            self._require_tenant(tenant_id)
            self.state.subscriptions[sid] = sub
        return sub

    def add_resource_group(self, subscription_id: str, name: str, location: str = "eastus") -> ResourceGroup:
        """Add a resource group to a subscription.

        Args:
            subscription_id: The subscription.
            name: The group's name.
            location: Its region.

        ```python
        rg = emulator.add_resource_group(sub.subscription_id, "rg-network", "westeurope")
        rg.id  # "/subscriptions/<subscription id>/resourceGroups/rg-network"
        ```
        """
        with self.lock:
            sub = self.state.subscriptions[subscription_id.lower()]
            rg = ResourceGroup(sub.subscription_id, name, location)
            sub.resource_groups[name.lower()] = rg
        return rg

    def add_application(
        self,
        home_tenant_id: str,
        display_name: str = "app",
        *,
        app_id: str | None = None,
        multitenant: bool = False,
        with_secret: bool = True,
        graph_permissions: Iterable[str] = (),
    ) -> AppCredentials:
        """Register an app in its home tenant (with its service principal there) and return its credentials.

        Args:
            home_tenant_id: The tenant the app is registered in.
            display_name: The app's name.
            app_id: Its client id (default: a new GUID).
            multitenant: Whether ``signInAudience`` is ``AzureADMultipleOrgs``.
            with_secret: Whether to add a client secret (returned in the credentials).
            graph_permissions: Microsoft Graph application permissions granted in the home tenant.

        ```python
        admin = emulator.add_application(tenant.tenant_id, "admin", graph_permissions=["Application.ReadWrite.All"])
        ```
        """
        aid = (app_id or str(uuid.uuid4())).lower()
        secret = new_client_secret() if with_secret else ""
        app = Application(
            app_id=aid,
            object_id=str(uuid.uuid4()),
            home_tenant_id=home_tenant_id.lower(),
            display_name=display_name,
            sign_in_audience="AzureADMultipleOrgs" if multitenant else "AzureADMyOrg",
            secrets=[secret] if secret else [],
        )
        with self.lock:
            self._require_tenant(home_tenant_id)
            self.state.applications[aid] = app
            if secret:
                self.issued_secrets.add(secret)
        sp = self.add_service_principal(aid, home_tenant_id, replicated=True)
        sp.graph_app_roles.update(graph_permissions)
        app.owners.add(sp.object_id)
        return AppCredentials(aid, secret, home_tenant_id.lower(), sp.object_id)

    def add_client_secret(self, app_id: str) -> str:
        """Add another client secret to an app and return it.

        Args:
            app_id: The app's client id.

        ```python
        second_secret = emulator.add_client_secret(info.app.client_id)
        ```
        """
        secret = new_client_secret()
        with self.lock:
            self.state.applications[app_id.lower()].secrets.append(secret)
            self.issued_secrets.add(secret)
        return secret

    def add_certificate(self, app_id: str) -> CertificateCredentials:
        """Generate a self-signed certificate, register it on the app and return key + certificate as PEM.

        Args:
            app_id: The app's client id.

        ```python
        (tmp_path / "cert.pem").write_bytes(emulator.add_certificate(info.app.client_id).pem)
        ```
        """
        der, cert = new_certificate(app_id)
        with self.lock:
            self.state.applications[app_id.lower()].certificates.append(der)
        return cert

    def add_federated_credential(
        self, app_id: str, *, issuer: str, subject: str, audience: str = "api://AzureADTokenExchange"
    ) -> None:
        """Trust assertions from ``issuer`` about ``subject`` for the app (workload identity federation).

        Args:
            app_id: The app's client id.
            issuer: The external identity provider's issuer URL.
            subject: The subject its assertions name.
            audience: The audience they must carry.

        ```python
        emulator.add_federated_credential(info.app.client_id, issuer="https://token.actions.githubusercontent.com",
                                          subject="repo:contoso/spoke:ref:refs/heads/main")
        ```
        """
        with self.lock:
            self.state.applications[app_id.lower()].federated_credentials.append(
                FederatedCredential(issuer, subject, (audience,))
            )

    def issue_federated_assertion(
        self, *, issuer: str, subject: str, audience: str = "api://AzureADTokenExchange", lifetime: int = 600
    ) -> str:
        """Play the external identity provider: sign an assertion the token endpoint will accept.

        Args:
            issuer: The issuer to sign as.
            subject: The subject claim.
            audience: The audience claim.
            lifetime: Seconds until it expires (emulator clock).

        ```python
        credential = ClientAssertionCredential(
            info.managed_tenant_id, info.app.client_id,
            lambda: emulator.issue_federated_assertion(issuer=issuer, subject=subject),
            authority=info.authority, disable_instance_discovery=True, transport=emulator.transport(),
        )
        ```
        """
        now = int(self.clock.time())
        token = self.tokens.sign(
            {"iss": issuer, "sub": subject, "aud": audience, "iat": now, "nbf": now, "exp": now + lifetime}
        )
        self.issued_secrets.add(token)
        return token

    def federated_assertion_valid(self, assertion: str) -> bool:
        """Whether ``assertion`` bears the emulator's signature and has not expired (emulator clock).

        Args:
            assertion: The JWT to check.

        ```python
        emulator.federated_assertion_valid(emulator.issue_federated_assertion(issuer=issuer, subject=subject))
        ```
        """
        return entra.federated_assertion_valid(self.services, assertion)

    def add_service_principal(
        self, app_id: str, tenant_id: str, *, replicated: bool = True
    ) -> ServicePrincipal:
        """Create the app's service principal in ``tenant_id`` (``replicated=False`` starts replication delay).

        Args:
            app_id: The app's client id.
            tenant_id: The tenant to create it in.
            replicated: ``False`` makes it invisible until replication catches up (`Settings`).

        ```python
        sp = emulator.add_service_principal(info.app.client_id, info.management_tenant_id, replicated=False)
        ```
        """
        return self.services.add_service_principal(app_id, tenant_id, replicated=replicated)

    def is_replicated(self, sp: ServicePrincipal) -> bool:
        """Whether directory replication has caught up with ``sp`` (consumes one 'attempt' if not).

        Args:
            sp: The service principal.

        ```python
        emulator.settings.replication_delay = 30
        sp = emulator.add_service_principal(app_id, tenant_id, replicated=False)
        emulator.clock.advance(30)
        assert emulator.is_replicated(sp)
        ```
        """
        return self.services.is_replicated(sp)

    def grant_graph_permission(self, app_id: str, tenant_id: str, permission: str) -> None:
        """Grant a Microsoft Graph application permission (e.g. ``Application.ReadWrite.All``) in a tenant.

        Args:
            app_id: The app's client id.
            tenant_id: The tenant the grant is made in.
            permission: The permission's value (``Application.ReadWrite.All``).

        ```python
        emulator.grant_graph_permission(info.app.client_id, info.managed_tenant_id, "Application.ReadWrite.All")
        ```
        """
        with self.lock:
            self.state.service_principals[(tenant_id.lower(), app_id.lower())].graph_app_roles.add(permission)

    def service_principal(self, app_id: str, tenant_id: str) -> ServicePrincipal | None:
        """The app's service principal in ``tenant_id``, if any.

        Args:
            app_id: The app's client id.
            tenant_id: The tenant to look in.

        ```python
        assert emulator.service_principal(info.app.client_id, info.management_tenant_id) is None  # "fresh"
        ```
        """
        with self.lock:
            return self.state.service_principals.get((tenant_id.lower(), app_id.lower()))

    def assign_role(
        self, principal_object_id: str, role: str, scope: str, *, name: str | None = None
    ) -> RoleAssignment:
        """Assign a role (by name or GUID) to a principal at ``scope``.

        Args:
            principal_object_id: The principal's object id in the scope's tenant.
            role: A role name (``IPAM Pool User``) or role definition GUID.
            scope: The ARM scope (a resource, group or subscription id).
            name: The assignment's GUID (default: a new one).

        ```python
        sp = emulator.service_principal(info.app.client_id, info.management_tenant_id)
        emulator.assign_role(sp.object_id, "Reader", f"/subscriptions/{info.management_subscription_id}")
        ```
        """
        with self.lock:
            rd = self.state.role_by_name(role) or self.state.role_definitions.get(role.lower())
            if rd is None:
                raise KeyError(f"unknown role {role!r}")
            sp = self.state.principal_anywhere(principal_object_id)
            sub = scope.split("/")[2] if scope.lower().startswith("/subscriptions/") else None
            tenant = self.state.tenant_of_subscription(sub) if sub else (sp.tenant_id if sp else "")
            ra = RoleAssignment(
                name=(name or str(uuid.uuid4())).lower(),
                scope=scope,
                role_id=rd.role_id,
                principal_id=principal_object_id,
                principal_type="ServicePrincipal",
                tenant_id=tenant or "",
                created_on=time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(self.clock.time())),
            )
            self.state.role_assignments[ra.name] = ra
        return ra

    def _require_tenant(self, tenant_id: str) -> None:
        if tenant_id.lower() not in self.state.tenants:
            raise KeyError(f"unknown tenant {tenant_id!r}")

    # ---- seeding: network (delegated to crossipam.testing.network) ------------------------------
    def add_network_manager(self, resource_group_id: str, name: str, **kwargs: Any) -> str:
        """Create a network manager; returns its resource id.

        Args:
            resource_group_id: The resource group's id.
            name: The network manager's name.
            **kwargs: ``location``, ``description``.

        ```python
        nm_id = emulator.add_network_manager(rg.id, "nm-hub", location="westeurope")
        ```
        """
        return self.network.add_network_manager(resource_group_id, name, **kwargs)

    def add_ipam_pool(
        self, network_manager_id: str, name: str, address_prefixes: list[str], **kwargs: Any
    ) -> str:
        """Create an IPAM pool (``parent_pool_name=`` for a child pool); returns its resource id.

        Args:
            network_manager_id: The network manager's id.
            name: The pool's name.
            address_prefixes: The pool's prefixes (a child pool's lie inside its parent's).
            **kwargs: ``location``, ``parent_pool_name``, ``description``, …

        ```python
        pool_id = emulator.add_ipam_pool(nm_id, "pool-weu", ["10.1.0.0/16"])
        child_id = emulator.add_ipam_pool(nm_id, "pool-weu-apps", ["10.1.0.0/20"], parent_pool_name="pool-weu")
        ```
        """
        return self.network.add_ipam_pool(network_manager_id, name, address_prefixes, **kwargs)

    def add_static_cidr(self, pool_id: str, name: str, address_prefixes: list[str]) -> str:
        """Reserve prefixes in a pool; returns the static CIDR's resource id.

        Args:
            pool_id: The pool's id.
            name: The static CIDR's name.
            address_prefixes: The prefixes to reserve.

        ```python
        emulator.add_static_cidr(info.pool_id, "on-premises", ["10.0.0.0/24"])  # allocations skip it
        ```
        """
        return self.network.add_static_cidr(pool_id, name, address_prefixes)

    def connect_tenants(self, network_manager_id: str, subscription_id: str) -> None:
        """Create both sides of the cross-tenant connection (scope connection + network-manager connection).

        Args:
            network_manager_id: The network manager (management tenant).
            subscription_id: The managed tenant's subscription.

        ```python
        emulator.connect_tenants(nm_id, info.managed_subscription_id)
        ```
        """
        self.network.connect(network_manager_id, subscription_id)

    def virtual_network(self, vnet_id: str) -> dict[str, Any] | None:
        """The stored ARM representation of a virtual network (a copy), or ``None``.

        Args:
            vnet_id: The VNet's resource id.

        ```python
        vnet = emulator.virtual_network(info.vnet_id("vnet-team-blue"))
        vnet["properties"]["addressSpace"]["addressPrefixes"]  # ["10.0.0.0/24"]
        ```
        """
        return self.network.get_virtual_network(vnet_id)

    def pool_usage(self, pool_id: str) -> dict[str, Any]:
        """The pool's ``getPoolUsage`` body, computed directly from state.

        Args:
            pool_id: The pool's resource id.

        ```python
        emulator.pool_usage(info.pool_id)["numberOfAvailableIPAddresses"]  # "65536" before any allocation
        ```
        """
        return self.network.pool_usage(pool_id)
