"""Microsoft.Network network-manager connections of a management group: GET, list, PUT, DELETE.

``/providers/Microsoft.Management/managementGroups/{mg}/providers/Microsoft.Network/networkManagerConnections/{name}``
— the management group's side of a cross-tenant connection (``properties.networkManagerId``, ``description``);
``connectionState`` is ``Connected`` when the network manager also has a scope connection whose ``resourceId``
is the management group, else ``Pending``. PUT answers 201/200 (not an operation), DELETE 200 or 204 (absent),
as the spec declares.

Management groups are not modelled: any group id is accepted, and the caller needs the action by a role
assigned at the group's scope (or above, e.g. ``/``) — ARM checks no subscription tenant for such a scope.
``Settings.require_connection`` still asks for a subscription's own connection (group membership is not
modelled either).
"""

from __future__ import annotations

from .._core import Router
from .._http import Request, Response, arm_error
from .._ids import MANAGEMENT_GROUP_ID, MANAGEMENT_GROUP_NETWORK_MANAGER_CONNECTION_ID
from ..authorization import require
from .common import (
    NetworkContext,
    Params,
    authenticated,
    connection_answer,
    connections_page,
    json_body,
    stamped,
)
from .state import Connection

__all__ = ["register"]

_ACTION = "Microsoft.Network/networkManagerConnections"


def register(router: Router, ctx: NetworkContext) -> None:
    """Register the management-group network-manager connection routes.

    Args:
        router: The emulator's router.
        ctx: The network's context the handlers are bound to.

    ```python
    mg_connections.register(router, ctx)
    ```
    """
    one = MANAGEMENT_GROUP_NETWORK_MANAGER_CONNECTION_ID.route
    router.register(
        "arm",
        ctx,
        [
            (
                "GET",
                MANAGEMENT_GROUP_ID.child("/providers/Microsoft.Network/networkManagerConnections").route,
                _list,
            ),
            ("GET", one, _get),
            ("PUT", one, _put),
            ("DELETE", one, _delete),
        ],
    )


def _get(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    cid = MANAGEMENT_GROUP_NETWORK_MANAGER_CONNECTION_ID.build(p)
    require(ctx.services, caller, f"{_ACTION}/read", cid)
    with ctx.lock:
        c = ctx.state.connections.get(cid.lower())
        if c is None or c.kind != "mg":
            raise arm_error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Network/networkManagerConnections/{p['conn']}' was not found.",
            )
        return connection_answer(ctx, 200, c)


def _list(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    mg = MANAGEMENT_GROUP_ID.build(p)
    require(ctx.services, caller, f"{_ACTION}/read", mg)
    with ctx.lock:
        return connections_page(ctx, req, "mg", mg)


def _put(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    cid = MANAGEMENT_GROUP_NETWORK_MANAGER_CONNECTION_ID.build(p)
    require(ctx.services, caller, f"{_ACTION}/write", cid)
    body = json_body(req)
    with ctx.lock:
        props = {k: v for k, v in (body.get("properties") or {}).items() if k != "connectionState"}
        existing = ctx.state.connections.get(cid.lower())
        c = Connection(
            existing.id if existing else cid,
            existing.name if existing else p["conn"],
            "mg",
            MANAGEMENT_GROUP_ID.build(p).lower(),
            props,
        )
        c.system_data = stamped(ctx, caller, existing.system_data if existing else None)
        ctx.state.connections[c.id.lower()] = c
        return connection_answer(ctx, 200 if existing else 201, c)


def _delete(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    cid = MANAGEMENT_GROUP_NETWORK_MANAGER_CONNECTION_ID.build(p)
    require(ctx.services, caller, f"{_ACTION}/delete", cid)
    with ctx.lock:
        gone = ctx.state.connections.pop(cid.lower(), None)
        return Response.empty(200 if gone else 204)
