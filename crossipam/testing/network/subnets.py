"""Microsoft.Network subnets: GET, list, PUT (static prefixes or IPAM allocations), DELETE.

``…/virtualNetworks/{vnet}/subnets[/{subnet}]``. A subnet write is the VNet PUT it amounts to (the stored VNet
with that one subnet replaced, added or removed; `.subnet_rules`), validated by `.vnet_rules`: allocations
carved from the VNet's blocks of the same pool, static prefixes inside the VNet, no overlap, /29 and /64
sizes. Only that subnet changes: the others keep their prefixes and provisioning state (all take the VNet's
new ETag, as subnets of one VNet share it). The cross-tenant checks are the VNet's (`.linked`), with the
subnet's write action and id in the messages.

PUT answers 201/200 with ``Azure-AsyncOperation``; DELETE 202 with ``Azure-AsyncOperation`` + ``Location``
(204 when the subnet is absent). The operation is one on the VNet: the VNet reads ``Updating`` while it runs,
another write to the VNet or one of its subnets meanwhile is refused (``Settings.subnet_write_during_operation``:
409 ``AnotherOperationInProgress`` or 429 ``RetryableErrorDueToAnotherOperation``), ``lro_polls`` and
``lro_duration`` time it, and an armed failure for ``"virtualNetworks"`` hits it — rolled back, or with
``Settings.failed_write = "failed"`` kept with the subnet ``Failed``.

404s: a missing VNet is ARM's ``ResourceNotFound`` ("The Resource 'Microsoft.Network/virtualNetworks/…' under
resource group '…' was not found."); a missing subnet of an existing VNet is the network provider's own
``NotFound`` ("Resource /subscriptions/…/subnets/… not found.") — the form Microsoft.Network gives for a child
resource [field].
"""

from __future__ import annotations

import copy
from typing import Any

from .._core import Router
from .._http import EmulatorHTTPError, Request, Response, arm_error
from .._ids import VIRTUAL_NETWORK_ID
from .._lro import Operation
from .._validate import VIRTUAL_NETWORK, Arr, Obj, Shape
from ..authorization import require
from .common import (
    NetworkContext,
    Params,
    api_version_of,
    authenticated,
    busy,
    check_preconditions,
    json_body,
    page,
    vnet_or_404,
)
from .linked import SUBNET_WRITE, linked_checks
from .state import VNet
from .subnet_rules import subnet_of, vnet_body_with_subnet, vnet_body_without_subnet
from .vnet_rules import build_vnet, pool_ids_referenced, succeed

__all__ = ["SUBNET", "SUBNET_ID", "register"]

SUBNET_ID = VIRTUAL_NETWORK_ID.child("/subnets/{subnet}")
SUBNET_READ = "Microsoft.Network/virtualNetworks/subnets/read"
SUBNET_DELETE = "Microsoft.Network/virtualNetworks/subnets/delete"


def _subnet_shape() -> Shape:
    props = VIRTUAL_NETWORK.fields["properties"]
    subnets = props.fields["subnets"] if isinstance(props, Obj) else None
    assert isinstance(subnets, Arr)
    return subnets.item


SUBNET: Shape = _subnet_shape()
"""A subnet PUT body: the shape of one member of a VNet body's ``properties.subnets``."""


def register(router: Router, ctx: NetworkContext) -> None:
    """Register the subnet routes.

    Args:
        router: The emulator's router.
        ctx: The network's context the handlers are bound to.

    ```python
    subnets.register(router, ctx)
    ```
    """
    router.register(
        "arm",
        ctx,
        [
            ("GET", VIRTUAL_NETWORK_ID.child("/subnets").route, _list_subnets),
            ("GET", SUBNET_ID.route, _get_subnet),
            ("PUT", SUBNET_ID.route, _put_subnet),
            ("DELETE", SUBNET_ID.route, _delete_subnet),
        ],
    )


def _vnet_or_404(ctx: NetworkContext, p: Params, *, observe: bool = False) -> VNet:
    """The VNet of the route (a read first counts as a poll of its running operation), or 404."""
    if observe:
        ctx.state.operations.in_progress(VIRTUAL_NETWORK_ID.build(p), observe=True)
    return vnet_or_404(ctx, p)


def _subnet_not_found(vnet: VNet, name: str) -> EmulatorHTTPError:
    return arm_error(404, "NotFound", f"Resource {vnet.id}/subnets/{name} not found.")


def _get_subnet(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, SUBNET_READ, SUBNET_ID.build(p))
    with ctx.lock:
        rec = _vnet_or_404(ctx, p, observe=True)
        sub = subnet_of(rec, p["subnet"])
        if sub is None:
            raise _subnet_not_found(rec, p["subnet"])
        return Response.json_body(200, copy.deepcopy(sub))


def _list_subnets(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, SUBNET_READ, VIRTUAL_NETWORK_ID.build(p))
    with ctx.lock:
        items = copy.deepcopy(_vnet_or_404(ctx, p, observe=True).subnets())
    return page(ctx, req, items)


def _busy(ctx: NetworkContext, op: Operation) -> EmulatorHTTPError:
    if ctx.settings.subnet_write_during_operation == "retryable":
        return arm_error(
            429,
            "RetryableErrorDueToAnotherOperation",
            f"Operation on the subnet could not be performed because another operation on virtual network "
            f"'{op.resource_id}' is in progress (operation id '{op.op_id}'). Retry later.",
            headers={"Retry-After": str(max(1, int(ctx.settings.lro_retry_after)))},
        )
    return busy(ctx, op)


def _writable_vnet(ctx: NetworkContext, p: Params) -> VNet:
    """The VNet of a subnet write: it exists and no operation runs on it."""
    running = ctx.state.operations.in_progress(VIRTUAL_NETWORK_ID.build(p))
    rec = _vnet_or_404(ctx, p)
    if running is not None:
        raise _busy(ctx, running)
    return rec


def _keep_states(new: VNet, old: VNet, changed: str) -> None:
    """The subnets of ``new`` other than ``changed`` keep their provisioning state of ``old``."""
    for s in new.subnets():
        name = str(s.get("name", ""))
        before = subnet_of(old, name)
        if name.lower() != changed.lower() and before is not None:
            state = (before.get("properties") or {}).get("provisioningState", "Succeeded")
            s.setdefault("properties", {})["provisioningState"] = state


def _rebuild(ctx: NetworkContext, p: Params, vnet: VNet, body: dict[str, Any], api: str) -> VNet:
    rec = build_vnet(
        ctx.state,
        ctx.clock,
        vnet,
        body,
        p["sub"],
        vnet.resource_group,
        vnet.name,
        api,
        summarize_grow=ctx.settings.summarize_grown_prefixes,
    )
    rec.api_version = vnet.api_version
    _keep_states(rec, vnet, p["subnet"])
    return rec


def _start(ctx: NetworkContext, p: Params, old: VNet, rec: VNet, kind: str, api: str) -> Operation:
    """Store ``rec`` and start the operation that settles it (or restores ``old``)."""
    net = ctx.state
    net.vnets[rec.id.lower()] = rec
    snapshot = copy.deepcopy(old)
    name = p["subnet"]

    def on_failure() -> None:
        mine = subnet_of(rec, name)
        if ctx.settings.failed_write == "failed" and mine is not None:
            succeed(rec)
            mine.setdefault("properties", {})["provisioningState"] = "Failed"
        else:
            net.vnets[rec.id.lower()] = snapshot

    return net.operations.start(
        subscription_id=p["sub"],
        location=rec.location,
        resource_id=rec.id,
        kind=kind,
        api_version=api,
        on_success=lambda: succeed(rec),
        on_failure=on_failure,
    )


def _put_subnet(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, aux = authenticated(ctx, req)
    sid = SUBNET_ID.build(p)
    require(ctx.services, caller, SUBNET_WRITE, sid)
    api = api_version_of(req)
    body = json_body(req, SUBNET)
    with ctx.lock:
        vnet = _writable_vnet(ctx, p)
        before = subnet_of(vnet, p["subnet"])
        name = str(before.get("name")) if before is not None else p["subnet"]
        sid = f"{vnet.id}/subnets/{name}"
        check_preconditions(ctx, req, sid, str(before.get("etag", "")) if before is not None else None)
        pools = pool_ids_referenced({"properties": {"subnets": [body]}})
        linked_checks(ctx, caller, aux, sid, pools, p["sub"], action=SUBNET_WRITE)
        rec = _rebuild(ctx, p, vnet, vnet_body_with_subnet(vnet, name, body), api)
        op = _start(ctx, p, vnet, rec, "PutSubnet", api)
        out = copy.deepcopy(subnet_of(rec, name) or {})
        out.setdefault("properties", {})["provisioningState"] = "Updating"
        return Response.json_body(201 if before is None else 200, out, ctx.state.operations.headers(op))


def _delete_subnet(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    require(ctx.services, caller, SUBNET_DELETE, SUBNET_ID.build(p))
    api = api_version_of(req)
    with ctx.lock:
        vnet = _writable_vnet(ctx, p)
        if subnet_of(vnet, p["subnet"]) is None:
            return Response.empty(204)
        rec = _rebuild(ctx, p, vnet, vnet_body_without_subnet(vnet, p["subnet"]), api)
        op = _start(ctx, p, vnet, rec, "DeleteSubnet", api)
        return Response.empty(202, ctx.state.operations.headers(op, with_location=True))
