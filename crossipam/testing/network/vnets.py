"""Microsoft.Network virtual networks: GET, list, PUT (with IPAM allocations), DELETE; the operation monitors.

PUT answers 201/200 with ``Azure-AsyncOperation`` and an integer ``Retry-After``; DELETE answers 202 with
``Azure-AsyncOperation`` + ``Location`` (204 when absent). While an operation runs the VNet reads
``provisioningState: Updating`` with its goal state (each read counts like a status poll). An operation armed to
fail (``emulator.network.fail_next_operation``) rolls the VNet back to its state before the request — a failed
create leaves none — or, with ``Settings.failed_write = "failed"``, leaves it as written, ``Failed``.

Cross-tenant checks on PUT: the primary token must come from the VNet subscription's tenant and hold
``virtualNetworks/write``; each referenced pool needs ``ipamPools/associateResourcesToPool/action`` — from the
primary principal for a pool of the same tenant, from an ``x-ms-authorization-auxiliary`` token of the pool's
tenant otherwise (403 ``LinkedAuthorizationFailed`` in the two shapes ARM uses). With
``Settings.require_connection`` a pool of another tenant also needs a Connected network-manager connection.
"""

from __future__ import annotations

import copy

from .._core import Router
from .._http import Request, Response, arm_error
from .._ids import RESOURCE_GROUP_ID, SUBSCRIPTION_ID, VIRTUAL_NETWORK_ID
from .._validate import VIRTUAL_NETWORK
from ..authorization import require
from .common import (
    NetworkContext,
    Params,
    api_version_of,
    authenticated,
    busy,
    check_preconditions,
    json_body,
    not_found,
    page,
    require_subscription_tenant,
    resource_group_or_404,
)
from .linked import ASSOCIATE_ACTION, VNET_WRITE, linked_checks
from .vnet_rules import build_vnet, pool_ids_referenced, settle, succeed

__all__ = ["ASSOCIATE_ACTION", "register"]

VNET_READ = "Microsoft.Network/virtualNetworks/read"
VNET_DELETE = "Microsoft.Network/virtualNetworks/delete"

_NETWORK = SUBSCRIPTION_ID.child("/providers/Microsoft.Network")


def register(router: Router, ctx: NetworkContext) -> None:
    """Register the operation monitors and the virtual network routes."""
    router.register(
        "arm",
        ctx,
        [
            ("GET", _NETWORK.child("/locations/{loc}/operations/{op}").route, _get_operation),
            ("GET", _NETWORK.child("/locations/{loc}/operationResults/{op}").route, _get_operation_result),
            ("GET", _NETWORK.child("/virtualNetworks").route, _list_vnets),
            (
                "GET",
                RESOURCE_GROUP_ID.child("/providers/Microsoft.Network/virtualNetworks").route,
                _list_vnets,
            ),
            ("GET", VIRTUAL_NETWORK_ID.route, _get_vnet),
            ("PUT", VIRTUAL_NETWORK_ID.route, _put_vnet),
            ("DELETE", VIRTUAL_NETWORK_ID.route, _delete_vnet),
        ],
    )


def _poll_operation(ctx: NetworkContext, req: Request, p: Params, *, result: bool) -> Response:
    caller, _ = authenticated(ctx, req)
    require_subscription_tenant(ctx, caller, p["sub"])
    with ctx.lock:
        ops = ctx.state.operations
        op = ops.get(p["op"])
        if op is None or op.subscription_id.lower() != p["sub"].lower():
            raise arm_error(404, "OperationNotFound", f"The operation '{p['op']}' could not be found.")
        ops.poll(op)
        return ops.result_response(op) if result else ops.status_response(op)


def _get_operation(ctx: NetworkContext, req: Request, p: Params) -> Response:
    return _poll_operation(ctx, req, p, result=False)


def _get_operation_result(ctx: NetworkContext, req: Request, p: Params) -> Response:
    return _poll_operation(ctx, req, p, result=True)


# ---- virtual networks ----------------------------------------------------------------------------------


def _get_vnet(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    vid = VIRTUAL_NETWORK_ID.build(p)
    require(ctx.services, caller, VNET_READ, vid)
    with ctx.lock:
        resource_group_or_404(ctx, p["sub"], p["rg"])
        ctx.state.operations.in_progress(vid, observe=True)
        rec = ctx.state.vnets.get(vid.lower())
        if rec is None:
            raise not_found("Microsoft.Network/virtualNetworks", p["name"], p["rg"])
        return Response.json_body(200, copy.deepcopy(rec.body))


def _list_vnets(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require_subscription_tenant(ctx, caller, p["sub"])
    with ctx.lock:
        if "rg" in p:
            resource_group_or_404(ctx, p["sub"], p["rg"])
        items = []
        for v in sorted(ctx.state.vnets.values(), key=lambda v: v.id.lower()):
            if v.subscription_id != p["sub"].lower():
                continue
            if "rg" in p and v.resource_group.lower() != p["rg"].lower():
                continue
            ctx.state.operations.in_progress(v.id, observe=True)
            if ctx.directory.is_authorized(caller.object_id, VNET_READ, v.id):
                items.append(copy.deepcopy(v.body))
    return page(ctx, req, items)


def _put_vnet(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, aux = authenticated(ctx, req)
    vid = VIRTUAL_NETWORK_ID.build(p)
    require(ctx.services, caller, VNET_WRITE, vid)
    api = api_version_of(req)
    body = json_body(req, VIRTUAL_NETWORK)
    net = ctx.state
    with ctx.lock:
        rg = resource_group_or_404(ctx, p["sub"], p["rg"])
        existing = net.vnets.get(vid.lower())
        running = net.operations.in_progress(vid)
        if running is not None:
            raise busy(ctx, running)
        check_preconditions(ctx, req, existing.id if existing else vid, existing.etag if existing else None)
        linked_checks(
            ctx,
            caller,
            aux,
            existing.id if existing else vid,
            pool_ids_referenced(body),
            p["sub"],
        )
        rec = build_vnet(
            net,
            ctx.clock,
            existing,
            body,
            p["sub"],
            rg,
            p["name"],
            api,
            summarize_grow=ctx.settings.summarize_grown_prefixes,
        )
        net.vnets[rec.id.lower()] = rec
        snapshot = copy.deepcopy(existing)

        def rollback() -> None:
            if ctx.settings.failed_write == "failed":
                settle(rec, "Failed")
            elif snapshot is None:
                net.vnets.pop(rec.id.lower(), None)
            else:
                net.vnets[rec.id.lower()] = snapshot

        op = net.operations.start(
            subscription_id=p["sub"],
            location=rec.location,
            resource_id=rec.id,
            kind="PutVirtualNetwork",
            api_version=api,
            on_success=lambda: succeed(rec),
            on_failure=rollback,
        )
        out = copy.deepcopy(rec.body)
        out["properties"]["provisioningState"] = "Updating"
        return Response.json_body(201 if existing is None else 200, out, net.operations.headers(op))


def _delete_vnet(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    vid = VIRTUAL_NETWORK_ID.build(p)
    require(ctx.services, caller, VNET_DELETE, vid)
    api = api_version_of(req)
    net = ctx.state
    with ctx.lock:
        resource_group_or_404(ctx, p["sub"], p["rg"])
        running = net.operations.in_progress(vid)
        if running is not None:
            raise busy(ctx, running)
        rec = net.vnets.pop(vid.lower(), None)
        if rec is None:
            return Response.empty(204)

        def restore() -> None:
            net.vnets[rec.id.lower()] = rec

        op = net.operations.start(
            subscription_id=p["sub"],
            location=rec.location,
            resource_id=rec.id,
            kind="DeleteVirtualNetwork",
            api_version=api,
            on_failure=restore,
        )
        return Response.empty(202, net.operations.headers(op, with_location=True))
