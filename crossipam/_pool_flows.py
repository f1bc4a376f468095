"""Pool inventory and static CIDRs as step flows (`crossipam._engine`), written once for both clients.

Every request goes to the management tenant (the pool's tenant) through azure-mgmt-network's ``ipam_pools``
and ``static_cidrs`` operations; an error is mapped like the other pool reads (``FlowContext.pool_error``), so
a 403 on a static CIDR write carries the hint of ``AuthorizationFailed`` in the error table.

```python
pool = drive(get_pool_flow(ctx, pool_id), client, time.sleep)
cidr = drive(create_static_cidr_flow(ctx, static_cidr_request(pool_id, "hq", options)), client, time.sleep)
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from azure.core.exceptions import AzureError

from ._engine import ArmCall, BeginLro
from ._inflight import lro_failure
from ._resource_ids import IpamPoolId
from ._shared import API_VERSION, SDK_ERRORS, wire
from ._vnet_flows import Flow, FlowContext, pool_usage_flow
from .pools import IpamPool, StaticCidr, StaticCidrRequest, check_static_cidr_name, network_manager_parts

__all__ = [
    "create_static_cidr_flow",
    "delete_static_cidr_flow",
    "get_pool_flow",
    "get_static_cidr_flow",
    "list_pools_flow",
    "list_static_cidrs_flow",
]


def _json(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
    return pipeline_response.http_response.json()


def _call(ctx: FlowContext, pool: IpamPoolId, action: str, call: ArmCall) -> Flow:
    """One call in the management tenant, its error mapped for ``pool``."""
    try:
        return (yield call)
    except SDK_ERRORS as err:
        raise ctx.pool_error(err, f"{action} {pool}", pool) from err


def _on_pool(pool: IpamPoolId, operation: str, *args: Any, paged: bool = False, **kwargs: Any) -> ArmCall:
    names = (pool.resource_group, pool.network_manager, pool.name, *args)
    options: dict[str, Any] = {"api_version": API_VERSION, **kwargs}
    if not paged:
        options["cls"] = _json
    return ArmCall("network", "management", pool.subscription_id, operation, names, options, paged=paged)


def _pool_of(ctx: FlowContext, body: Mapping[str, Any]) -> Flow:
    pool = IpamPoolId.parse(str(body.get("id")))
    usage = yield from pool_usage_flow(ctx, pool)
    return IpamPool.from_wire(body, usage)


def get_pool_flow(ctx: FlowContext, pool_id: str | IpamPoolId) -> Flow:
    """``get_pool``: the pool (``GET``) and its usage (``getPoolUsage``).

    ```python
    pool = drive(get_pool_flow(ctx, pool_id), client, time.sleep)
    ```
    """
    pool = IpamPoolId.parse(pool_id)
    body = yield from _call(ctx, pool, "read", _on_pool(pool, "ipam_pools.get"))
    return (yield from _pool_of(ctx, cast(Mapping[str, Any], body)))


def list_pools_flow(ctx: FlowContext, network_manager_id: str, management_tenant_id: str) -> Flow:
    """``list_pools``: every pool of the network manager the caller may read (all pages), each with its usage
    (``management_tenant_id``: the tenant whose token the requests carry, named in an error).

    ```python
    pools = drive(list_pools_flow(ctx, nm_id, a), client, time.sleep)
    ```
    """
    sub, rg, name = network_manager_parts(network_manager_id)
    call = ArmCall(
        "network", "management", sub, "ipam_pools.list", (rg, name), {"api_version": API_VERSION}, paged=True
    )
    try:
        items = yield call
    except SDK_ERRORS as err:
        raise ctx.service_error(err, management_tenant_id, f"list the pools of {network_manager_id}") from err
    pools = []
    for item in items:
        pools.append((yield from _pool_of(ctx, wire(item))))
    return pools


def create_static_cidr_flow(ctx: FlowContext, request: StaticCidrRequest) -> Flow:
    """``create_static_cidr``: ``PUT …/staticCidrs/{name}`` (by count or by prefixes).

    ```python
    cidr = drive(create_static_cidr_flow(ctx, request), client, time.sleep)
    ```
    """
    body = json.dumps(request.body()).encode("utf-8")
    call = _on_pool(
        request.pool_id, "static_cidrs.create", request.name, body, content_type="application/json"
    )
    answer = yield from _call(ctx, request.pool_id, f"reserve {request.name} in", call)
    return StaticCidr.from_wire(cast(Mapping[str, Any], answer), request.pool_id)


def get_static_cidr_flow(ctx: FlowContext, pool_id: str | IpamPoolId, name: str) -> Flow:
    """``get_static_cidr``.

    ```python
    cidr = drive(get_static_cidr_flow(ctx, pool_id, "hq"), client, time.sleep)
    ```
    """
    pool = IpamPoolId.parse(pool_id)
    call = _on_pool(pool, "static_cidrs.get", check_static_cidr_name(name))
    answer = yield from _call(ctx, pool, f"read static CIDR {name} of", call)
    return StaticCidr.from_wire(cast(Mapping[str, Any], answer), pool)


def list_static_cidrs_flow(ctx: FlowContext, pool_id: str | IpamPoolId) -> Flow:
    """``list_static_cidrs``: every static CIDR of the pool, all pages.

    ```python
    cidrs = drive(list_static_cidrs_flow(ctx, pool_id), client, time.sleep)
    ```
    """
    pool = IpamPoolId.parse(pool_id)
    items = yield from _call(
        ctx, pool, "list the static CIDRs of", _on_pool(pool, "static_cidrs.list", paged=True)
    )
    return [StaticCidr.from_wire(wire(item), pool) for item in items]


def delete_static_cidr_flow(ctx: FlowContext, pool_id: str | IpamPoolId, name: str) -> Flow:
    """``delete_static_cidr``: the delete's long-running operation (answered with its poller; ``None`` at the
    end). Deleting one that does not exist succeeds (ARM answers 204).

    ```python
    poller = drive(delete_static_cidr_flow(ctx, pool_id, "hq"), client, time.sleep)
    ```
    """
    pool = IpamPoolId.parse(pool_id)
    action = f"release static CIDR {name} of {pool}"
    names = (pool.resource_group, pool.network_manager, pool.name, check_static_cidr_name(name))
    call = ArmCall(
        "network",
        "management",
        pool.subscription_id,
        "static_cidrs.begin_delete",
        names,
        {"api_version": API_VERSION},
    )

    def map_error(err: Exception) -> Exception:
        mapped = ctx.pool_error(cast(AzureError, err), action, pool)
        return lro_failure(mapped, err, f"{pool}/staticCidrs/{name}")

    def settle(result: Any) -> Flow:
        return result
        yield  # a flow that reads nothing more

    try:
        return (yield BeginLro(call, ctx.polling_interval, ctx.endpoint, map_error, settle))
    except SDK_ERRORS as err:
        raise ctx.pool_error(err, action, pool) from err
