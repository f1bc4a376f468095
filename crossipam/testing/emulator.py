"""The offline Azure: one in-memory Azure (Entra ID, Microsoft Graph, ARM) with two fronts.

```python
from crossipam.testing import AzureEmulator

emulator = AzureEmulator()
info = emulator.load_scenario("onboarded")       # tenants, app, pool, VNet resource group …
transport = emulator.transport()                 # in-process: pass transport= to any azure-core client
with emulator.serve() as server:                 # or real HTTPS on loopback
    print(server.arm_endpoint, server.ca_bundle)
```
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import _validate, authorization, entra, graph, network
from ._context import ServiceContext
from ._core import (
    IN_PROCESS_ARM,
    IN_PROCESS_AUTHORITY,
    IN_PROCESS_GRAPH,
    Endpoints,
    Faults,
    Journal,
    JournalEntry,
    Router,
    Settings,
    is_write,
)
from ._credentials import AppCredentials, CertificateCredentials, new_certificate, new_client_secret
from ._http import EmulatorHTTPError, Request, Response
from ._throttle import Throttles
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
    from azure.core.pipeline.transport import AsyncioRequestsTransport, RequestsTransport

    from .scenarios import ScenarioInfo
    from .server import EmulatorServer

__all__ = [
    "IN_PROCESS_ARM",
    "IN_PROCESS_AUTHORITY",
    "IN_PROCESS_GRAPH",
    "AppCredentials",
    "AzureEmulator",
    "CertificateCredentials",
    "Endpoints",
]


class AzureEmulator:
    """An offline Azure: Entra ID, Microsoft Graph and ARM (authorization + network) over one state.

    ```python
    emulator = AzureEmulator(Settings(lro_polls=1))
    info = emulator.load_scenario("onboarded")
    network = NetworkManagementClient(credential, info.managed_subscription_id, base_url=info.arm_endpoint,
                                      credential_scopes=[info.arm_scope], transport=emulator.transport())
    ```
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.services = ServiceContext(settings or Settings(), Endpoints())
        """What the services' handlers are given (the emulator itself never is): shared with them, the
        attributes below are the same objects."""
        self.clock = self.services.clock
        self.state = self.services.directory
        """Tenants, subscriptions, apps, service principals, role definitions and assignments."""
        self.tokens = self.services.tokens
        self.lock = self.services.lock
        """One lock for all state: handlers take it for each read-modify-write."""
        self.issued_secrets = self.services.issued_secrets
        """Every secret the emulator issued or was given (tokens, client secrets, assertions), so that
        tests can scan logs for leaks."""
        self.journal = Journal()
        self.faults = Faults()
        self.network = network.Network(self.services)
        """Microsoft.Network: its stores (``vnets``, ``pools``, …) and its seeding API."""
        self.api_versions: dict[str, _validate.ApiVersionRange] = dict(_validate.DEFAULT_API_VERSIONS)
        """The api-versions ARM requests may name, by resource type (see `ApiVersionRange`); edit it
        to accept a newer SDK's api-version before the offline Azure knows it."""
        self.max_body_bytes: int = _validate.DEFAULT_MAX_BODY_BYTES
        """Largest request body accepted (ARM's 4 MB); larger ones are 413 ``RequestContentTooLarge``."""
        self.router = Router()
        entra.register(self.router, self.services)
        graph.register(self.router, self.services)
        authorization.register(self.router, self.services)
        network.register(self.router, self.network.context)
        self.throttles = Throttles()
        """ARM's token buckets (see [`Settings.throttle`][crossipam.testing.Settings.throttle])."""
        self.scenario: ScenarioInfo | None = None

    @property
    def settings(self) -> Settings:
        """The knobs (see [`Settings`][crossipam.testing.Settings]); change them on a running emulator, or
        replace them.

        ```python
        emulator.settings.lro_polls = 2
        emulator.settings = Settings(replication_delay=30)
        ```
        """
        return self.services.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.services.settings = value

    @property
    def endpoints(self) -> Endpoints:
        """Where each service answers (the loopback URLs once served; see
        [`set_endpoints`][crossipam.testing.AzureEmulator.set_endpoints]).

        ```python
        emulator.endpoints.arm  # "https://management.crossipam.test/"
        ```
        """
        return self.services.endpoints

    @endpoints.setter
    def endpoints(self, value: Endpoints) -> None:
        self.services.endpoints = value

    # ---- fronts ---------------------------------------------------------------------------------
    def transport(self) -> RequestsTransport:
        """An azure-core transport answered in-process (no sockets). Pass it as ``transport=``.

        ```python
        credential = ClientSecretCredential(
            info.managed_tenant_id, info.app.client_id, info.app.client_secret,
            authority=info.authority, disable_instance_discovery=True, transport=emulator.transport(),
        )
        ```
        """
        from .transport import sync_transport

        return sync_transport(self)

    def async_transport(self) -> AsyncioRequestsTransport:
        """The asyncio twin of [`transport`][crossipam.testing.AzureEmulator.transport].

        ```python
        client = crossipam.aio.CrossTenantIpamClient.from_client_secret(
            info.app.client_id, info.app.client_secret, managed_tenant_id=info.managed_tenant_id,
            management_tenant_id=info.management_tenant_id, cloud=cloud, transport=emulator.async_transport())
        ```
        """
        from .transport import async_transport

        return async_transport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        """Serve over HTTPS on loopback (three listeners). Switches
        [`endpoints`][crossipam.testing.AzureEmulator.endpoints] to the real URLs.

        ```python
        with emulator.serve() as server:
            print(server.authority, server.arm_endpoint, server.graph_endpoint, server.ca_bundle)
        ```
        """
        from .server import EmulatorServer

        return EmulatorServer(self, host, port)

    def set_endpoints(self, *, authority: str, arm: str, graph: str) -> None:
        """Change the base URLs the emulator answers to (and issues tokens for).

        ```python
        emulator.set_endpoints(authority="https://login.example.test", arm="https://arm.example.test",
                               graph="https://graph.example.test")
        ```
        """
        self.endpoints = Endpoints(authority.rstrip("/"), arm.rstrip("/") + "/", graph.rstrip("/"))
        if self.scenario is not None:
            self.scenario.authority = self.endpoints.authority
            self.scenario.arm_endpoint = self.endpoints.arm
            self.scenario.graph_endpoint = self.endpoints.graph

    def load_scenario(self, name: str = "onboarded") -> ScenarioInfo:
        """Seed a named scenario (``onboarded`` or ``fresh``); returns what a client needs to know.

        ```python
        info = emulator.load_scenario("fresh")
        info.app.client_id, info.pool_id, info.vnet_id("vnet-spoke")
        ```
        """
        from .scenarios import load

        self.scenario = load(self, name)
        return self.scenario

    # ---- dispatch -------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        """Answer one request (both fronts call this).

        ```python
        url = "https://management.crossipam.test/subscriptions?api-version=2022-12-01"
        emulator.handle(Request("GET", url, {})).status  # 401: no bearer token
        emulator.handle(Request("GET", url.split("?")[0], {})).status  # 400: MissingApiVersionParameter
        ```
        """
        if not req.service:
            req.service = self.endpoints.service_of(req.netloc) or "arm"
        latency = self.settings.latency
        fault = self.faults.take(req, "before")
        resp: Response
        budget: dict[str, str] = {}
        try:
            if fault is not None:
                latency += fault.latency
                resp = fault.response()
            else:
                # body size; ARM's api-version
                _validate.check_request(
                    req, max_body_bytes=self.max_body_bytes, api_versions=self.api_versions
                )
                budget = self._throttle(req)
                resp = self.router.dispatch(req)
                after = self.faults.take(req, "after")
                if after is not None:
                    latency += after.latency
                    fault = after
                    resp = after.response()
        except EmulatorHTTPError as err:
            resp = err.response
            req.context.setdefault("error_code", err.code)
        for name, value in budget.items():
            resp.headers.setdefault(name, value)
        if req.service in ("arm", "graph"):
            req_id = str(uuid.uuid4())
            resp.headers.setdefault("x-ms-request-id", req_id)
            resp.headers.setdefault(
                "x-ms-correlation-request-id", req.header("x-ms-client-request-id") or req_id
            )
        if latency > 0:
            time.sleep(latency)
        if "tenant_id" not in req.context and req.service in ("arm", "graph"):
            caller = entra.verified_caller_or_none(self.services, req)
            if caller is not None:
                req.context["tenant_id"] = caller.tenant_id
        if req.service == "arm" and "aux_tenant_ids" not in req.context:
            with contextlib.suppress(EmulatorHTTPError):
                entra.authenticate_auxiliary(self.services, req)
        self.journal.record(
            JournalEntry(
                method=req.method,
                url=req.url,
                path=req.path,
                service=req.service,
                status=resp.status,
                api_version=req.api_version,
                tenant_id=req.context.get("tenant_id"),
                app_id=req.context.get("app_id"),
                aux_tenant_ids=tuple(req.context.get("aux_tenant_ids", ())),
                error_code=req.context.get("error_code"),
                fault=fault is not None,
                is_token_request=bool(req.context.get("is_token_request")),
                is_write=is_write(req),
            )
        )
        return resp

    def _throttle(self, req: Request) -> dict[str, str]:
        """ARM's buckets (`Settings.throttle_limits`): the ``x-ms-ratelimit-remaining-*`` headers of an
        authenticated ARM request, or its 429. Unauthenticated requests are left to the handler's 401."""
        limits = self.settings.throttle_limits()
        if limits is None or req.service != "arm":
            return {}
        caller = entra.verified_caller_or_none(self.services, req)
        if caller is None:
            return {}
        now = self.clock.time()
        return self.throttles.take(limits, req, principal=caller.object_id, tenant=caller.tenant_id, now=now)

    # ---- seeding: directory ---------------------------------------------------------------------
    def add_tenant(self, tenant_id: str | None = None, display_name: str = "", domain: str = "") -> Tenant:
        """Add an Entra tenant.

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

        ```python
        emulator.federated_assertion_valid(emulator.issue_federated_assertion(issuer=issuer, subject=subject))
        ```
        """
        return entra.federated_assertion_valid(self.services, assertion)

    def add_service_principal(
        self, app_id: str, tenant_id: str, *, replicated: bool = True
    ) -> ServicePrincipal:
        """Create the app's service principal in ``tenant_id`` (``replicated=False`` starts replication delay).

        ```python
        sp = emulator.add_service_principal(info.app.client_id, info.management_tenant_id, replicated=False)
        ```
        """
        return self.services.add_service_principal(app_id, tenant_id, replicated=replicated)

    def is_replicated(self, sp: ServicePrincipal) -> bool:
        """Whether directory replication has caught up with ``sp`` (consumes one 'attempt' if not).

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

        ```python
        emulator.grant_graph_permission(info.app.client_id, info.managed_tenant_id, "Application.ReadWrite.All")
        ```
        """
        with self.lock:
            self.state.service_principals[(tenant_id.lower(), app_id.lower())].graph_app_roles.add(permission)

    def service_principal(self, app_id: str, tenant_id: str) -> ServicePrincipal | None:
        """The app's service principal in ``tenant_id``, if any.

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

        ```python
        nm_id = emulator.add_network_manager(rg.id, "nm-hub", location="westeurope")
        ```
        """
        return self.network.add_network_manager(resource_group_id, name, **kwargs)

    def add_ipam_pool(
        self, network_manager_id: str, name: str, address_prefixes: list[str], **kwargs: Any
    ) -> str:
        """Create an IPAM pool (``parent_pool_name=`` for a child pool); returns its resource id.

        ```python
        pool_id = emulator.add_ipam_pool(nm_id, "pool-weu", ["10.1.0.0/16"])
        child_id = emulator.add_ipam_pool(nm_id, "pool-weu-apps", ["10.1.0.0/20"], parent_pool_name="pool-weu")
        ```
        """
        return self.network.add_ipam_pool(network_manager_id, name, address_prefixes, **kwargs)

    def add_static_cidr(self, pool_id: str, name: str, address_prefixes: list[str]) -> str:
        """Reserve prefixes in a pool; returns the static CIDR's resource id.

        ```python
        emulator.add_static_cidr(info.pool_id, "on-premises", ["10.0.0.0/24"])  # allocations skip it
        ```
        """
        return self.network.add_static_cidr(pool_id, name, address_prefixes)

    def connect_tenants(self, network_manager_id: str, subscription_id: str) -> None:
        """Create both sides of the cross-tenant connection (scope connection + network-manager connection).

        ```python
        emulator.connect_tenants(nm_id, info.managed_subscription_id)
        ```
        """
        self.network.connect(network_manager_id, subscription_id)

    def virtual_network(self, vnet_id: str) -> dict[str, Any] | None:
        """The stored ARM representation of a virtual network (a copy), or ``None``.

        ```python
        vnet = emulator.virtual_network(info.vnet_id("vnet-team-blue"))
        vnet["properties"]["addressSpace"]["addressPrefixes"]  # ["10.0.0.0/24"]
        ```
        """
        return self.network.get_virtual_network(vnet_id)

    def pool_usage(self, pool_id: str) -> dict[str, Any]:
        """The pool's ``getPoolUsage`` body, computed directly from state.

        ```python
        emulator.pool_usage(info.pool_id)["numberOfAvailableIPAddresses"]  # "65536" before any allocation
        ```
        """
        return self.network.pool_usage(pool_id)
