"""Microsoft.Network connections across tenants: scope connections (a network manager's side) and
network-manager connections (a subscription's side); ``connectionState`` is ``Connected`` when both exist.

As the spec examples (``NetworkManagerScopeConnectionPut.json``/``Get.json``,
``NetworkManagerConnectionSubscriptionPut.json``/``Get.json``) show, a GET or PUT answers with the connection's
``ETag`` header and ``systemData``; lists page with ``$top``/``$skipToken``."""

from __future__ import annotations

from .._core import Router
from .._http import Request, Response, arm_error
from .._ids import NETWORK_MANAGER_CONNECTION_ID, NETWORK_MANAGER_ID, SCOPE_CONNECTION_ID, SUBSCRIPTION_ID
from ..authorization import require
from .common import (
    NetworkContext,
    Params,
    authenticated,
    connection_answer,
    connections_page,
    json_body,
    manager_or_404,
    not_found,
    stamped,
)
from .state import Connection

__all__ = ["register"]


def register(router: Router, ctx: NetworkContext) -> None:
    """Register the scope connection and network-manager connection routes."""
    router.register(
        "arm",
        ctx,
        [
            ("GET", NETWORK_MANAGER_ID.child("/scopeConnections").route, _list_scope_conns),
            ("GET", SCOPE_CONNECTION_ID.route, _get_scope_conn),
            ("PUT", SCOPE_CONNECTION_ID.route, _put_scope_conn),
            ("DELETE", SCOPE_CONNECTION_ID.route, _delete_scope_conn),
            (
                "GET",
                SUBSCRIPTION_ID.child("/providers/Microsoft.Network/networkManagerConnections").route,
                _list_nmcs,
            ),
            ("GET", NETWORK_MANAGER_CONNECTION_ID.route, _get_nmc),
            ("PUT", NETWORK_MANAGER_CONNECTION_ID.route, _put_nmc),
            ("DELETE", NETWORK_MANAGER_CONNECTION_ID.route, _delete_nmc),
        ],
    )


def _get_scope_conn(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(
        ctx.services,
        caller,
        "Microsoft.Network/networkManagers/scopeConnections/read",
        SCOPE_CONNECTION_ID.build(p),
    )
    with ctx.lock:
        manager_or_404(ctx, p)
        c = ctx.state.connections.get(SCOPE_CONNECTION_ID.build(p).lower())
        if c is None:
            raise not_found("Microsoft.Network/networkManagers/scopeConnections", p["conn"], p["rg"])
        return connection_answer(ctx, 200, c)


def _list_scope_conns(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(
        ctx.services,
        caller,
        "Microsoft.Network/networkManagers/scopeConnections/read",
        NETWORK_MANAGER_ID.build(p),
    )
    with ctx.lock:
        nm = manager_or_404(ctx, p)
        return connections_page(ctx, req, "scope", nm.id)


def _put_scope_conn(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(
        ctx.services,
        caller,
        "Microsoft.Network/networkManagers/scopeConnections/write",
        SCOPE_CONNECTION_ID.build(p),
    )
    body = json_body(req)
    with ctx.lock:
        nm = manager_or_404(ctx, p)
        props = {k: v for k, v in (body.get("properties") or {}).items() if k != "connectionState"}
        existing = ctx.state.connections.get(SCOPE_CONNECTION_ID.build(p).lower())
        c = Connection(
            existing.id if existing else SCOPE_CONNECTION_ID.build(p),
            p["conn"],
            "scope",
            nm.id.lower(),
            props,
            system_data=stamped(ctx, caller, existing.system_data if existing else None),
        )
        ctx.state.connections[c.id.lower()] = c
        return connection_answer(ctx, 200 if existing else 201, c)


def _delete_scope_conn(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(
        ctx.services,
        caller,
        "Microsoft.Network/networkManagers/scopeConnections/delete",
        SCOPE_CONNECTION_ID.build(p),
    )
    with ctx.lock:
        manager_or_404(ctx, p)
        gone = ctx.state.connections.pop(SCOPE_CONNECTION_ID.build(p).lower(), None)
        return Response.empty(200 if gone else 204)


def _get_nmc(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(
        ctx.services,
        caller,
        "Microsoft.Network/networkManagerConnections/read",
        NETWORK_MANAGER_CONNECTION_ID.build(p),
    )
    with ctx.lock:
        c = ctx.state.connections.get(NETWORK_MANAGER_CONNECTION_ID.build(p).lower())
        if c is None:
            raise arm_error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Network/networkManagerConnections/{p['conn']}' was not found.",
            )
        return connection_answer(ctx, 200, c)


def _list_nmcs(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(
        ctx.services, caller, "Microsoft.Network/networkManagerConnections/read", SUBSCRIPTION_ID.build(p)
    )
    with ctx.lock:
        return connections_page(ctx, req, "nmc", p["sub"])


def _put_nmc(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(
        ctx.services,
        caller,
        "Microsoft.Network/networkManagerConnections/write",
        NETWORK_MANAGER_CONNECTION_ID.build(p),
    )
    body = json_body(req)
    with ctx.lock:
        props = {k: v for k, v in (body.get("properties") or {}).items() if k != "connectionState"}
        existing = ctx.state.connections.get(NETWORK_MANAGER_CONNECTION_ID.build(p).lower())
        c = Connection(
            existing.id if existing else NETWORK_MANAGER_CONNECTION_ID.build(p),
            p["conn"],
            "nmc",
            p["sub"].lower(),
            props,
            system_data=stamped(ctx, caller, existing.system_data if existing else None),
        )
        ctx.state.connections[c.id.lower()] = c
        return connection_answer(ctx, 200 if existing else 201, c)


def _delete_nmc(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(
        ctx.services,
        caller,
        "Microsoft.Network/networkManagerConnections/delete",
        NETWORK_MANAGER_CONNECTION_ID.build(p),
    )
    with ctx.lock:
        gone = ctx.state.connections.pop(NETWORK_MANAGER_CONNECTION_ID.build(p).lower(), None)
        return Response.empty(200 if gone else 204)
