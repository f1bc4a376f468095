"""Microsoft.Network virtual networks beyond GET/PUT/DELETE: UpdateTags (PATCH) and ListUsage.

* ``PATCH …/virtualNetworks/{vnet}`` ``{"tags": {…}}`` replaces the VNet's tags (nothing else changes; a body
  without ``tags`` changes nothing) and answers 200 with the VNet and a new ETag — not a long-running
  operation, as the spec declares. While an operation runs on the VNet: 409 ``AnotherOperationInProgress``.
* ``GET …/virtualNetworks/{vnet}/usages`` lists one entry per subnet: ``currentValue`` the addresses in use
  (0: the offline Azure has no network interfaces), ``limit`` the subnet's usable IPv4 addresses (each prefix's
  size minus the 5 Azure reserves; IPv6 prefixes are not counted), ``unit`` ``"Count"``, ``name``
  ``{"value": "Subnet size and usage", "localizedValue": …}`` — the shape of the spec's example.
"""

from __future__ import annotations

import copy
import ipaddress

from .._core import Router
from .._http import Request, Response
from .._ids import VIRTUAL_NETWORK_ID
from .._validate import SCALAR, Map, Obj
from ..authorization import require
from .common import NetworkContext, Params, authenticated, busy, json_body, page, vnet_or_404
from .linked import VNET_WRITE
from .state import new_etag

__all__ = ["RESERVED_PER_SUBNET", "register"]

RESERVED_PER_SUBNET = 5
"""Addresses Azure reserves in each IPv4 subnet prefix (network, gateway, two DNS, broadcast)."""

_TAGS = Obj({"tags": Map(SCALAR)})


def register(router: Router, ctx: NetworkContext) -> None:
    """Register UpdateTags and ListUsage of virtual networks.

    Args:
        router: The emulator's router.
        ctx: The network's context the handlers are bound to.

    ```python
    vnet_extras.register(router, ctx)
    ```
    """
    router.register(
        "arm",
        ctx,
        [
            ("PATCH", VIRTUAL_NETWORK_ID.route, _update_tags),
            ("GET", VIRTUAL_NETWORK_ID.child("/usages").route, _list_usage),
        ],
    )


def _update_tags(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    vid = VIRTUAL_NETWORK_ID.build(p)
    require(ctx.services, caller, VNET_WRITE, vid)
    body = json_body(req, _TAGS)
    with ctx.lock:
        running = ctx.state.operations.in_progress(vid)
        rec = vnet_or_404(ctx, p)
        if running is not None:
            raise busy(ctx, running)
        if "tags" in body:
            rec.body["tags"] = {str(k): str(v) for k, v in dict(body["tags"]).items()}
            etag = new_etag()
            rec.body["etag"] = etag
            for s in rec.subnets():
                s["etag"] = etag
        return Response.json_body(200, copy.deepcopy(rec.body))


def _usable(prefix: object) -> int:
    try:
        net = ipaddress.ip_network(str(prefix), strict=False)
    except ValueError:
        return 0
    return max(0, net.num_addresses - RESERVED_PER_SUBNET) if net.version == 4 else 0


def _list_usage(ctx: NetworkContext, req: Request, p: Params) -> Response:
    caller, _ = authenticated(ctx, req)
    vid = VIRTUAL_NETWORK_ID.build(p)
    require(ctx.services, caller, "Microsoft.Network/virtualNetworks/read", vid)
    with ctx.lock:
        ctx.state.operations.in_progress(vid, observe=True)
        rec = vnet_or_404(ctx, p)
        items = []
        for s in rec.subnets():
            props = s.get("properties") or {}
            prefixes = list(props.get("addressPrefixes") or []) or [props.get("addressPrefix")]
            items.append(
                {
                    "currentValue": 0.0,
                    "id": s.get("id"),
                    "limit": float(sum(_usable(x) for x in prefixes if x)),
                    "name": {"localizedValue": "Subnet size and usage", "value": "Subnet size and usage"},
                    "unit": "Count",
                }
            )
    return page(ctx, req, items)
