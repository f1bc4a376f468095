"""What every Microsoft.Network handler shares: the context it takes and ARM's request plumbing.

`NetworkContext` is all a handler is given — the services every ARM handler shares (lock, clock, knobs,
endpoints, directory; what `authenticate` and
`require` take) and the network's own state (records and operations).
The helpers answer what ARM answers before a resource provider acts: authentication, the caller's tenant, a
missing resource group or resource, the body as a JSON object of a shape, paging, ``If-Match``/``If-None-Match``
and an operation already in flight.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from typing import Any

from .._context import ServiceContext
from .._core import Clock, Endpoints, Settings
from .._http import EmulatorHTTPError, Request, Response, arm_error
from .._ids import NETWORK_MANAGER_ID, VIRTUAL_NETWORK_ID
from .._lro import Operation, Operations
from .._validate import RESOURCE, Shape, check_shape
from ..entra import Caller, authenticate, authenticate_auxiliary
from ..state import State
from .state import Connection, NetworkManager, NetworkState, SystemData, VNet

__all__ = [
    "NetworkContext",
    "Params",
    "api_version_of",
    "authenticated",
    "busy",
    "check_preconditions",
    "connection_answer",
    "connection_to_arm",
    "connections_page",
    "json_body",
    "manager_or_404",
    "not_found",
    "page",
    "require_subscription_tenant",
    "resource_group_or_404",
    "stamped",
    "vnet_or_404",
]

Params = dict[str, str]
"""A route's parameters (``sub``, ``rg``, ``nm``, ``pool``, …; see `crossipam.testing._ids`)."""


@dataclass(frozen=True, eq=False)
class NetworkContext:
    """What a Microsoft.Network handler is given: the shared services and the network's state — nothing else of
    the offline Azure (no façade, journal, faults, fronts or seeding API).

    ```python
    ctx = NetworkContext(services, NetworkState(Operations(services)))
    with ctx.lock:
        ctx.state.vnets  # {}
    ```
    """

    services: ServiceContext
    state: NetworkState

    @property
    def lock(self) -> threading.RLock:
        """The services' lock (one for all state)."""
        return self.services.lock

    @property
    def settings(self) -> Settings:
        """The knobs (read when needed: they may be replaced)."""
        return self.services.settings

    @property
    def clock(self) -> Clock:
        """The emulator's clock."""
        return self.services.clock

    @property
    def endpoints(self) -> Endpoints:
        """Where the services answer (read when needed: they change when served over HTTPS)."""
        return self.services.endpoints

    @property
    def directory(self) -> State:
        """Tenants, subscriptions, principals and RBAC."""
        return self.services.directory

    @property
    def operations(self) -> Operations:
        """The long-running operations on the network's resources."""
        return self.state.operations


def authenticated(ctx: NetworkContext, req: Request) -> tuple[Caller, list[Caller]]:
    """The caller of the bearer token and those of the auxiliary tokens (their 401 otherwise)."""
    caller = authenticate(ctx.services, req)
    aux = authenticate_auxiliary(ctx.services, req)
    return caller, aux


def require_subscription_tenant(ctx: NetworkContext, caller: Caller, sub: str) -> None:
    """404 ``SubscriptionNotFound`` / 401 ``InvalidAuthenticationTokenTenant`` unless the subscription exists
    and belongs to the caller's tenant (collection GETs check this instead of an action)."""
    tenant = ctx.directory.tenant_of_subscription(sub)
    if tenant is None:
        raise arm_error(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    if tenant != caller.tenant_id:
        raise arm_error(
            401,
            "InvalidAuthenticationTokenTenant",
            f"The access token is from the wrong issuer 'https://sts.windows.net/{caller.tenant_id}/'. It must match "
            f"the tenant 'https://sts.windows.net/{tenant}/' associated with this subscription. Please use the "
            f"authority (URL) 'https://login.windows.net/{tenant}' to get the token.",
        )


def resource_group_or_404(ctx: NetworkContext, sub: str, rg: str) -> str:
    """The resource group's name as created, or 404 ``ResourceGroupNotFound``."""
    s = ctx.directory.subscriptions.get(sub.lower())
    group = s.resource_groups.get(rg.lower()) if s else None
    if group is None:
        raise arm_error(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
    return group.name


def not_found(kind: str, name: str, rg: str) -> EmulatorHTTPError:
    """ARM's 404 ``ResourceNotFound`` for ``kind/name`` in resource group ``rg``."""
    return arm_error(
        404,
        "ResourceNotFound",
        f"The Resource '{kind}/{name}' under resource group '{rg}' was not found. For more details please go to "
        "https://aka.ms/ARMResourceNotFoundFix",
    )


def manager_or_404(ctx: NetworkContext, p: Params) -> NetworkManager:
    """The network manager the route names (its resource group must exist), or 404."""
    resource_group_or_404(ctx, p["sub"], p["rg"])
    nm = ctx.state.managers.get(NETWORK_MANAGER_ID.build(p).lower())
    if nm is None:
        raise not_found("Microsoft.Network/networkManagers", p["nm"], p["rg"])
    return nm


def vnet_or_404(ctx: NetworkContext, p: Params) -> VNet:
    """The virtual network the route names (its resource group must exist), or 404 ``ResourceNotFound``."""
    resource_group_or_404(ctx, p["sub"], p["rg"])
    rec = ctx.state.vnets.get(VIRTUAL_NETWORK_ID.build(p).lower())
    if rec is None:
        raise not_found("Microsoft.Network/virtualNetworks", p["name"], p["rg"])
    return rec


def json_body(req: Request, shape: Shape = RESOURCE) -> dict[str, Any]:
    """The body as a JSON object of ``shape`` (400 ``InvalidRequestContent`` otherwise; null members dropped)."""
    data = req.json()
    if not isinstance(data, dict):
        raise arm_error(400, "InvalidRequestContent", "The request content must be a JSON object.")
    check_shape(data, shape)
    return data


def api_version_of(req: Request) -> str:
    """The request's api-version (400 ``MissingApiVersionParameter`` without one)."""
    v = req.api_version
    if not v:
        raise arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    return v


def stamped(ctx: NetworkContext, caller: Caller, previous: SystemData | None) -> SystemData:
    """The ``systemData`` of a resource ``caller`` writes now (creation fields kept from ``previous``)."""
    return SystemData.stamp(previous, caller.app_id, ctx.clock.time())


def _count_param(req: Request, name: str, minimum: int) -> int | None:
    """The integer query parameter ``name`` (400 ``InvalidQueryParameterValue`` unless an integer >=
    ``minimum``), or ``None`` when absent."""
    raw = req.query_param(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"[0-9]{1,9}", raw.strip()) or int(raw) < minimum:
        raise arm_error(
            400,
            "InvalidQueryParameterValue",
            f"The value '{raw}' of query parameter '{name}' is invalid: an integer of at least {minimum} is "
            "expected.",
        )
    return int(raw)


def page(
    ctx: NetworkContext, req: Request, items: list[dict[str, Any]], *, top: str = "", skip: str = ""
) -> Response:
    """One page of a collection (``Settings.page_size`` items from ``$skipToken``), with ``nextLink``.

    ``top`` names the query parameter the operation's spec declares for the page size (``$top`` on network
    managers and connections, ``top`` on IPAM pools and static CIDRs), ``skip`` the one for an offset
    (``skip``); the page then holds at most that many items, and ``nextLink`` carries the size on.
    """
    size = max(1, int(ctx.settings.page_size))
    start_raw = req.query_param("$skipToken") or req.query_param("skipToken") or "0"
    start = int(start_raw) if re.fullmatch(r"[0-9]{1,9}", start_raw) else 0
    carried = ""
    if top:
        wanted = _count_param(req, top, 1)
        if wanted is not None:
            size = min(size, wanted)
            carried = f"&{top}={wanted}"
    if skip:
        start += _count_param(req, skip, 0) or 0
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        body["nextLink"] = (
            f"{ctx.endpoints.arm.rstrip('/')}{req.raw_path}?api-version={req.api_version}{carried}"
            f"&$skipToken={start + size}"
        )
    return Response.json_body(200, body)


def check_preconditions(ctx: NetworkContext, req: Request, rid: str, current_etag: str | None) -> None:
    """412 ``PreconditionFailed`` for ``If-None-Match: *`` on an existing resource, or a stale ``If-Match``
    (when ``Settings.vnet_honor_if_match``)."""
    if_none = req.header("if-none-match")
    if if_none and if_none.strip() == "*" and current_etag is not None:
        raise arm_error(
            412,
            "PreconditionFailed",
            f"The resource '{rid}' already exists and the request has If-None-Match: *.",
        )
    if_match = req.header("if-match")
    if not if_match or not ctx.settings.vnet_honor_if_match:
        return
    wanted = if_match.strip()
    if current_etag is None or (wanted != "*" and wanted != current_etag):
        raise arm_error(
            412,
            "PreconditionFailed",
            f"The condition specified using HTTP conditional header(s) is not met: If-Match was '{wanted}' but the "
            f"current ETag of resource '{rid}' is '{current_etag or '(resource does not exist)'}'. Read the "
            "resource again and retry with its current ETag.",
        )


def busy(ctx: NetworkContext, op: Operation) -> EmulatorHTTPError:
    """409 ``AnotherOperationInProgress`` naming the status monitor of ``op``."""
    url = ctx.operations.async_operation_url(op)
    return arm_error(
        409,
        "AnotherOperationInProgress",
        f"Another operation on this or dependent resource is in progress. To retrieve status of the operation use "
        f"uri: {url} (operation id '{op.op_id}').",
    )


_CONNECTION_TYPES = {
    "scope": "Microsoft.Network/networkManagers/scopeConnections",
    "nmc": "Microsoft.Network/networkManagerConnections",
    "mg": "Microsoft.Network/networkManagerConnections",
}


def connection_to_arm(ctx: NetworkContext, c: Connection) -> dict[str, Any]:
    """A connection's ARM body — scope, subscription or management-group network-manager connection alike: the
    state read now, ``description`` always (the examples answer one even when the PUT sent none), ``etag`` and
    ``systemData``."""
    props = copy.deepcopy(c.properties)
    props.setdefault("description", "")
    props["connectionState"] = ctx.state.connection_state(c, ctx.directory)
    return {
        "id": c.id,
        "name": c.name,
        "type": _CONNECTION_TYPES[c.kind],
        "etag": c.etag,
        "properties": props,
        **({"systemData": c.system_data.to_arm()} if c.system_data is not None else {}),
    }


def connection_answer(ctx: NetworkContext, status: int, c: Connection) -> Response:
    """A connection as a GET or PUT answers it: the body and its ``ETag`` header."""
    return Response.json_body(status, connection_to_arm(ctx, c), {"ETag": c.etag})


def connections_page(ctx: NetworkContext, req: Request, kind: str, owner: str) -> Response:
    """One page (``$top``, ``$skipToken``) of the ``kind`` connections that ``owner`` (a network manager, a
    subscription or a management group id) holds, in id order."""
    items = [
        connection_to_arm(ctx, c)
        for c in sorted(ctx.state.connections.values(), key=lambda c: c.id.lower())
        if c.kind == kind and c.owner == owner.lower()
    ]
    return page(ctx, req, items, top="$top")
