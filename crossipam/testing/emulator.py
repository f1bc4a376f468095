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
from typing import TYPE_CHECKING

from . import _validate, authorization, entra, graph, metadata, network
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
from ._credentials import AppCredentials, CertificateCredentials
from ._http import EmulatorHTTPError, Request, Response
from ._seeding import SeedingApi
from ._throttle import Throttles

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


class AzureEmulator(SeedingApi):
    """An offline Azure: Entra ID, Microsoft Graph and ARM (authorization + network) over one state.

    Args:
        settings: Behaviour knobs (LRO length, replication delay, throttling, …); default `Settings()`.

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
        metadata.register(self.router, self.services)
        network.register(self.router, self.network.context, self.api_versions)
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

        Args:
            host: The loopback address to listen on.
            port: The first port (``0``: any free ports).

        ```python
        with emulator.serve() as server:
            print(server.authority, server.arm_endpoint, server.graph_endpoint, server.ca_bundle)
        ```
        """
        from .server import EmulatorServer

        return EmulatorServer(self, host, port)

    def set_endpoints(self, *, authority: str, arm: str, graph: str) -> None:
        """Change the base URLs the emulator answers to (and issues tokens for).

        Args:
            authority: Entra ID's base URL (``https://login.example.test``).
            arm: Azure Resource Manager's base URL.
            graph: Microsoft Graph's base URL.

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

        Args:
            name: ``onboarded`` (ready to deploy) or ``fresh`` (nothing onboarded yet).

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

        Args:
            req: The request, as either front received it.

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
