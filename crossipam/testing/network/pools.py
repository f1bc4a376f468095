"""Microsoft.Network IPAM pools and their static CIDRs: GET, list, PUT, PATCH, DELETE, ``getPoolUsage`` and
``listAssociatedResources``.

A pool PUT and the deletes of pools and static CIDRs are long-running operations (see `.vnets`) whose
monitors live at ``…/resourceGroups/{rg}/providers/Microsoft.Network/locations/{loc}/ipamPoolOperationResults/
{id}`` (and a static CIDR delete's ``Location`` at ``…/ipamPools/{pool}/operationResults/{id}``), as the
spec examples ``IpamPools_Create.json``, ``IpamPools_Delete.json`` and ``StaticCidrs_Delete.json`` show. A
PATCH applies what the ``IpamPoolUpdate`` model holds (``tags``; ``description``, ``displayName``,
``minAllocationSize``, ``maxAllocationSize``) and ignores other members. A pool that
still has allocations, static CIDRs or child pools is not deleted (400 ``IpamPoolHasAssociatedResources``).
``listAssociatedResources`` lists VNets (by their own ids, e.g. in another tenant) and static CIDRs (with
``reservedPrefixes``); subnets are not listed separately. Collection GETs return only what the caller may read.
"""

from __future__ import annotations

from .._core import Router
from .._http import Request, Response, arm_error
from .._ids import IPAM_POOL_ID, NETWORK_MANAGER_ID, RESOURCE_GROUP_ID, STATIC_CIDR_ID
from .._lro import Operation
from .._validate import IPAM_POOL, STATIC_CIDR
from ..authorization import require
from .common import (
    NetworkContext,
    Params,
    api_version_of,
    authenticated,
    busy,
    check_preconditions,
    json_body,
    manager_or_404,
    not_found,
    page,
    require_subscription_tenant,
    stamped,
)
from .rules import validated_pool, validated_static_cidr
from .state import Pool

__all__ = ["POOL_PREFIX", "register"]

POOL_PREFIX = "Microsoft.Network/networkManagers/ipamPools"

_POOL_OPERATIONS = RESOURCE_GROUP_ID.child(
    "/providers/Microsoft.Network/locations/{loc}/ipamPoolOperationResults"
)
_UPDATABLE = ("description", "displayName", "minAllocationSize", "maxAllocationSize")
"""What a PATCH may change in ``properties`` (the ``IpamPoolUpdateProperties`` model)."""


def register(router: Router, ctx: NetworkContext) -> None:
    """Register the IPAM pool and static CIDR routes."""
    router.register(
        "arm",
        ctx,
        [
            ("GET", NETWORK_MANAGER_ID.child("/ipamPools").route, _list_pools),
            ("GET", IPAM_POOL_ID.route, _get_pool),
            ("PUT", IPAM_POOL_ID.route, _put_pool),
            ("PATCH", IPAM_POOL_ID.route, _patch_pool),
            ("DELETE", IPAM_POOL_ID.route, _delete_pool),
            ("POST", IPAM_POOL_ID.child("/getPoolUsage").route, _pool_usage),
            ("POST", IPAM_POOL_ID.child("/listAssociatedResources").route, _list_associated),
            ("GET", IPAM_POOL_ID.child("/listAssociatedResources").route, _list_associated),
            ("GET", IPAM_POOL_ID.child("/staticCidrs").route, _list_cidrs),
            ("GET", STATIC_CIDR_ID.route, _get_cidr),
            ("PUT", STATIC_CIDR_ID.route, _put_cidr),
            ("DELETE", STATIC_CIDR_ID.route, _delete_cidr),
            ("GET", _POOL_OPERATIONS.child("/{op}").route, _get_pool_operation),
            ("GET", IPAM_POOL_ID.child("/operationResults/{op}").route, _get_pool_operation_result),
        ],
    )


def _monitor(p: Params, location: str) -> str:
    """The ARM path of the ``ipamPoolOperationResults`` collection for an operation in ``location``."""
    return _POOL_OPERATIONS.build({**p, "loc": location.replace(" ", "").lower()})


def _own_operation(ctx: NetworkContext, req: Request, p: Params) -> Operation:
    caller, _ = authenticated(ctx, req)
    require_subscription_tenant(ctx, caller, p["sub"])
    op = ctx.state.operations.get(p["op"])
    if op is None or op.subscription_id.lower() != p["sub"].lower():
        raise arm_error(404, "OperationNotFound", f"The operation '{p['op']}' could not be found.")
    return op


def _get_pool_operation(ctx: NetworkContext, req: Request, p: Params) -> Response:
    """The status monitor (``Azure-AsyncOperation``, and ``Location`` of a pool delete): the status body, with
    202 while the operation runs so that a client polling it as a ``Location`` keeps polling."""
    with ctx.lock:
        ops = ctx.state.operations
        op = ops.poll(_own_operation(ctx, req, p))
        resp = ops.status_response(op)
        if not op.done:
            resp.status = 202
        return resp


def _get_pool_operation_result(ctx: NetworkContext, req: Request, p: Params) -> Response:
    with ctx.lock:
        ops = ctx.state.operations
        return ops.result_response(ops.poll(_own_operation(ctx, req, p)))


def _pool_or_404(ctx: NetworkContext, p: Params) -> Pool:
    manager_or_404(ctx, p)
    pool = ctx.state.pools.get(IPAM_POOL_ID.build(p).lower())
    if pool is None:
        raise not_found("Microsoft.Network/networkManagers/ipamPools", f"{p['nm']}/{p['pool']}", p["rg"])
    return pool


def _get_pool(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, f"{POOL_PREFIX}/read", IPAM_POOL_ID.build(p))
    with ctx.lock:
        return Response.json_body(200, _pool_or_404(ctx, p).to_arm())


def _list_pools(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require_subscription_tenant(ctx, caller, p["sub"])
    with ctx.lock:
        nm = manager_or_404(ctx, p)
        items = [
            pool.to_arm()
            for pool in sorted(ctx.state.pools.values(), key=lambda x: x.id.lower())
            if pool.nm_id.lower() == nm.id.lower()
            and ctx.directory.is_authorized(caller.object_id, f"{POOL_PREFIX}/read", pool.id)
        ]
    return page(ctx, req, items, top="top", skip="skip")


def _put_pool(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    pid = IPAM_POOL_ID.build(p)
    require(ctx.services, caller, f"{POOL_PREFIX}/write", pid)
    api = api_version_of(req)
    body = json_body(req, IPAM_POOL)
    net = ctx.state
    with ctx.lock:
        nm = manager_or_404(ctx, p)
        existing = net.pools.get(pid.lower())
        running = net.operations.in_progress(pid)
        if running is not None:
            raise busy(ctx, running)
        check_preconditions(ctx, req, pid, existing.etag if existing else None)
        location = str(body.get("location") or nm.location)
        pool = validated_pool(
            net,
            nm,
            pid,
            p["pool"],
            dict(body.get("properties") or {}),
            location,
            dict(body.get("tags") or {}),
            existing,
        )
        pool.provisioning_state = "Updating"
        pool.system_data = stamped(ctx, caller, existing.system_data if existing else None)
        net.pools[pid.lower()] = pool

        def done() -> None:
            pool.provisioning_state = "Succeeded"

        def rollback() -> None:
            if existing is None:
                net.pools.pop(pid.lower(), None)
            else:
                net.pools[pid.lower()] = existing

        op = net.operations.start(
            subscription_id=p["sub"],
            location=location,
            resource_id=pool.id,
            kind="PutIpamPool",
            api_version=api,
            on_success=done,
            on_failure=rollback,
            monitor=_monitor(p, location),
            results=_monitor(p, location),
        )
        out = pool.to_arm()
        out["properties"]["provisioningState"] = "Updating"
        return Response.json_body(201 if existing is None else 200, out, net.operations.headers(op))


def _patch_pool(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    pid = IPAM_POOL_ID.build(p)
    require(ctx.services, caller, f"{POOL_PREFIX}/write", pid)
    body = json_body(req, IPAM_POOL)
    net = ctx.state
    with ctx.lock:
        nm = manager_or_404(ctx, p)
        existing = _pool_or_404(ctx, p)
        check_preconditions(ctx, req, pid, existing.etag)
        props = existing.to_arm()["properties"]
        update = body.get("properties") or {}
        props.update({k: v for k, v in update.items() if k in _UPDATABLE})
        tags = body.get("tags") if "tags" in body else existing.tags
        pool = validated_pool(net, nm, pid, p["pool"], props, existing.location, dict(tags or {}), existing)
        pool.system_data = stamped(ctx, caller, existing.system_data)
        net.pools[pid.lower()] = pool
        return Response.json_body(200, pool.to_arm())


def _delete_pool(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    pid = IPAM_POOL_ID.build(p)
    require(ctx.services, caller, f"{POOL_PREFIX}/delete", pid)
    api = api_version_of(req)
    net = ctx.state
    with ctx.lock:
        manager_or_404(ctx, p)
        pool = net.pools.get(pid.lower())
        if pool is None:
            return Response.empty(204)
        if net.vnet_blocks(pool) or net.children(pool) or net.static_cidrs_of(pool):
            raise arm_error(
                400,
                "IpamPoolHasAssociatedResources",
                f"IPAM pool '{pool.id}' cannot be deleted while it has associated resources, static CIDRs or child "
                "pools.",
            )
        del net.pools[pid.lower()]

        def restore() -> None:
            net.pools[pid.lower()] = pool

        op = net.operations.start(
            subscription_id=p["sub"],
            location=pool.location,
            resource_id=pool.id,
            kind="DeleteIpamPool",
            api_version=api,
            on_failure=restore,
            monitor=_monitor(p, pool.location),
            results=_monitor(p, pool.location),
        )
        return Response.empty(202, net.operations.headers(op, with_location=True))


def _pool_usage(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, f"{POOL_PREFIX}/getPoolUsage/action", IPAM_POOL_ID.build(p))
    with ctx.lock:
        pool = _pool_or_404(ctx, p)
        return Response.json_body(200, ctx.state.pool_usage(pool))


def _list_associated(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, f"{POOL_PREFIX}/listAssociatedResources/action", IPAM_POOL_ID.build(p))
    with ctx.lock:
        pool = _pool_or_404(ctx, p)
        items = ctx.state.associated_resources(pool)
    return page(ctx, req, items)


# ---- static CIDRs --------------------------------------------------------------------------------------


def _get_cidr(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, f"{POOL_PREFIX}/staticCidrs/read", STATIC_CIDR_ID.build(p))
    with ctx.lock:
        _pool_or_404(ctx, p)
        sc = ctx.state.static_cidrs.get(STATIC_CIDR_ID.build(p).lower())
        if sc is None:
            raise not_found("Microsoft.Network/networkManagers/ipamPools/staticCidrs", p["cidr"], p["rg"])
        return Response.json_body(200, sc.to_arm())


def _list_cidrs(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, f"{POOL_PREFIX}/staticCidrs/read", IPAM_POOL_ID.build(p))
    with ctx.lock:
        pool = _pool_or_404(ctx, p)
        items = [sc.to_arm() for sc in sorted(ctx.state.static_cidrs_of(pool), key=lambda s: s.id.lower())]
    return page(ctx, req, items, top="top", skip="skip")


def _put_cidr(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, f"{POOL_PREFIX}/staticCidrs/write", STATIC_CIDR_ID.build(p))
    body = json_body(req, STATIC_CIDR)
    with ctx.lock:
        pool = _pool_or_404(ctx, p)
        existing = ctx.state.static_cidrs.get(STATIC_CIDR_ID.build(p).lower())
        sc = validated_static_cidr(
            ctx.state,
            ctx.clock,
            pool,
            p["cidr"],
            dict(body.get("properties") or {}),
            count_rule=ctx.settings.static_cidr_count,
        )
        sc.system_data = stamped(ctx, caller, existing.system_data if existing else None)
        ctx.state.static_cidrs[sc.id.lower()] = sc
        return Response.json_body(200 if existing else 201, sc.to_arm())


def _delete_cidr(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    cid = STATIC_CIDR_ID.build(p)
    require(ctx.services, caller, f"{POOL_PREFIX}/staticCidrs/delete", cid)
    api = api_version_of(req)
    net = ctx.state
    with ctx.lock:
        pool = _pool_or_404(ctx, p)
        sc = net.static_cidrs.pop(cid.lower(), None)
        if sc is None:
            return Response.empty(204)

        def restore() -> None:
            net.static_cidrs[cid.lower()] = sc

        op = net.operations.start(
            subscription_id=p["sub"],
            location=pool.location,
            resource_id=sc.id,
            kind="DeleteStaticCidr",
            api_version=api,
            on_failure=restore,
            monitor=_monitor(p, pool.location),
            results=f"{pool.id}/operationResults",
        )
        return Response.empty(202, net.operations.headers(op, with_location=True))
