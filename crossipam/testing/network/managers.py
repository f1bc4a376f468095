"""Microsoft.Network network managers: GET, list (by resource group and by subscription), PUT, DELETE.

A DELETE while the manager still has IPAM pools is refused with 409 ``CannotDeleteResource`` ("Cannot delete
resource while nested resources exist. …", naming a pool), as reported from live Azure (azure-rest-api-specs
issue 31688) [field].
"""

from __future__ import annotations

import copy
import uuid

from .._core import Router
from .._http import Request, Response, arm_error
from .._ids import NETWORK_MANAGER_ID, RESOURCE_GROUP_ID, SUBSCRIPTION_ID
from ..authorization import require
from .common import (
    NetworkContext,
    Params,
    authenticated,
    json_body,
    manager_or_404,
    page,
    require_subscription_tenant,
    resource_group_or_404,
    stamped,
)
from .state import NetworkManager

__all__ = ["register"]


def register(router: Router, ctx: NetworkContext) -> None:
    """Register the network manager routes."""
    router.register(
        "arm",
        ctx,
        [
            ("GET", RESOURCE_GROUP_ID.child("/providers/Microsoft.Network/networkManagers").route, _list_nms),
            ("GET", SUBSCRIPTION_ID.child("/providers/Microsoft.Network/networkManagers").route, _list_nms),
            ("GET", NETWORK_MANAGER_ID.route, _get_nm),
            ("PUT", NETWORK_MANAGER_ID.route, _put_nm),
            ("DELETE", NETWORK_MANAGER_ID.route, _delete_nm),
        ],
    )


def _get_nm(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, "Microsoft.Network/networkManagers/read", NETWORK_MANAGER_ID.build(p))
    with ctx.lock:
        return Response.json_body(200, manager_or_404(ctx, p).to_arm())


def _list_nms(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require_subscription_tenant(ctx, caller, p["sub"])
    with ctx.lock:
        if "rg" in p:
            resource_group_or_404(ctx, p["sub"], p["rg"])
        prefix = f"{RESOURCE_GROUP_ID.build(p) if 'rg' in p else SUBSCRIPTION_ID.build(p)}/".lower()
        items = [
            nm.to_arm()
            for nm in sorted(ctx.state.managers.values(), key=lambda n: n.id.lower())
            if nm.id.lower().startswith(prefix)
            and ctx.directory.is_authorized(caller.object_id, "Microsoft.Network/networkManagers/read", nm.id)
        ]
    return page(ctx, req, items, top="$top")


def _put_nm(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    nid = NETWORK_MANAGER_ID.build(p)
    require(ctx.services, caller, "Microsoft.Network/networkManagers/write", nid)
    body = json_body(req)
    with ctx.lock:
        resource_group_or_404(ctx, p["sub"], p["rg"])
        existing = ctx.state.managers.get(nid.lower())
        props = copy.deepcopy(body.get("properties") or {})
        props.pop("provisioningState", None)
        props["resourceGuid"] = existing.properties.get("resourceGuid") if existing else str(uuid.uuid4())
        nm = NetworkManager(
            existing.id if existing else nid,
            p["sub"].lower(),
            existing.name if existing else p["nm"],
            str(body.get("location") or (existing.location if existing else "eastus")),
            props,
            dict(body.get("tags") or {}),
            system_data=stamped(ctx, caller, existing.system_data if existing else None),
        )
        ctx.state.managers[nid.lower()] = nm
        return Response.json_body(201 if existing is None else 200, nm.to_arm())


def _delete_nm(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    nid = NETWORK_MANAGER_ID.build(p)
    require(ctx.services, caller, "Microsoft.Network/networkManagers/delete", nid)
    with ctx.lock:
        if nid.lower() not in ctx.state.managers:
            return Response.empty(204)
        pools = sorted(pool.name for pool in ctx.state.pools.values() if pool.nm_id.lower() == nid.lower())
        if pools:
            nm = ctx.state.managers[nid.lower()]
            raise arm_error(
                409,
                "CannotDeleteResource",
                "Cannot delete resource while nested resources exist. Some existing nested resource IDs include: "
                f"'Microsoft.Network/networkManagers/{nm.name}/ipamPools/{pools[0]}'. Please delete all nested "
                "resources before deleting this resource.",
            )
        del ctx.state.managers[nid.lower()]
        return Response.empty(200)
