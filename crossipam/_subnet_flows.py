"""One subnet at a time as step flows (`crossipam._engine`), written once for both clients.

Each flow reads the VNet until no operation runs on it (`crossipam._vnet_flows.read_settled`), plans with the
pure functions of [`crossipam.subnets`][] and writes **only the one subnet** through azure-mgmt-network's
``subnets.begin_create_or_update`` (the managed tenant's SDK client, which carries the auxiliary token): the
PUT carries ``If-Match`` with the subnet's ETag (``If-None-Match: *`` for a new subnet). A 409
``AnotherOperationInProgress`` (or a 429 that says the same), or a 412 ``PreconditionFailed`` (another writer
changed the VNet meanwhile) is read, planned and written again within the client's one ``conflict_retries`` budget; the other subnets are
never part of a request, so another writer's change to them survives.

```python
outcome = drive(deploy_subnet_flow(ctx, request), client, time.sleep)   # a poller, or the SubnetResult
```
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, cast

from azure.core.exceptions import AzureError, ResourceNotFoundError

from . import subnets as _subnets
from ._engine import ArmCall, BeginLro, Sleep
from ._inflight import SettleWait, is_terminal, lro_failure, provisioning_state
from ._resource_ids import VirtualNetworkId
from ._shared import API_VERSION, SDK_ERRORS, absent_or_error, put_headers, vnet_not_found
from ._vnet_flows import Flow, FlowContext, _after_conflict, _body_and_retry_after, read_settled
from .models import DeploymentAction

__all__ = ["deploy_subnet_flow", "read_subnet_settled", "remove_subnet_flow"]

_LOGGER = logging.getLogger("crossipam.client")


def _subnet_id(vnet: VirtualNetworkId, name: str) -> str:
    return f"{vnet}/subnets/{name}"


def _read_subnet_once(ctx: FlowContext, vnet: VirtualNetworkId, name: str) -> Flow:
    """One ``subnets.get``: ``(its JSON or None when absent, the answer's Retry-After)``."""
    call = ArmCall(
        "network",
        "managed",
        vnet.subscription_id,
        "subnets.get",
        (vnet.resource_group, vnet.name, name),
        {"api_version": API_VERSION, "cls": _body_and_retry_after},
    )
    action = f"read {_subnet_id(vnet, name)}"
    try:
        body, retry_after = yield call
    except ResourceNotFoundError as err:
        mapped = absent_or_error(ctx.vnet_error(err, action))
        if mapped is None:
            return None, None
        raise mapped from err
    except SDK_ERRORS as err:
        raise ctx.vnet_error(err, action) from err
    return cast(dict[str, Any], body), retry_after


def read_subnet_settled(ctx: FlowContext, vnet: VirtualNetworkId, name: str) -> Flow:
    """The subnet once no operation runs on it (``subnets.get`` again after ``Retry-After`` or
    ``polling_interval`` while its ``provisioningState`` is not terminal, up to ``operation_timeout``); raises
    [`OperationFailedError`][crossipam.errors.OperationFailedError] when it ended ``Failed`` or vanished.

    ```python
    body = drive(read_subnet_settled(ctx, vnet, "app"), client, time.sleep)
    ```
    """
    sid = _subnet_id(vnet, name)
    body, retry_after = yield from _read_subnet_once(ctx, vnet, name)
    wait = SettleWait(
        sid,
        timeout=ctx.operation_timeout,
        polling_interval=ctx.polling_interval,
        tenant_id=ctx.managed_tenant_id,
    )
    while body is not None and not is_terminal(state := provisioning_state(body)):
        _LOGGER.info("%s is %s: waiting for the operation in flight to end", sid, state)
        yield Sleep(wait.delay(state, retry_after))
        body, retry_after = yield from _read_subnet_once(ctx, vnet, name)
    wait.check_outcome(body)
    return body


def _begin_subnet_put(
    ctx: FlowContext,
    vnet: VirtualNetworkId,
    name: str,
    plan: _subnets.SubnetPlan,
    action: DeploymentAction,
    verb: str,
) -> BeginLro:
    sid = _subnet_id(vnet, name)

    def map_error(err: Exception) -> Exception:
        return lro_failure(ctx.vnet_error(cast(AzureError, err), f"{verb} {sid}"), err, sid)

    def result(pipeline_response: Any, _deserialized: Any, _headers: Any) -> _subnets.SubnetResult:
        return _subnets.subnet_from_wire(pipeline_response.http_response.json(), action, vnet_id=vnet)

    def settle(outcome: _subnets.SubnetResult) -> Flow:
        """The final read shows a state that is not terminal: read the subnet until it is."""
        if is_terminal(outcome.provisioning_state):
            return outcome
        body = yield from read_subnet_settled(ctx, vnet, name)
        return _subnets.subnet_from_wire(cast(Mapping[str, Any], body), action, vnet_id=vnet)

    assert plan.body is not None
    call = ArmCall(
        "network",
        "managed",
        vnet.subscription_id,
        "subnets.begin_create_or_update",
        (vnet.resource_group, vnet.name, name, json.dumps(plan.body).encode("utf-8")),
        {
            "content_type": "application/json",
            "api_version": API_VERSION,
            "headers": put_headers(plan.if_match),
            "cls": result,
        },
    )
    return BeginLro(call, ctx.polling_interval, ctx.endpoint, map_error, settle)


def _settled_vnet(ctx: FlowContext, vnet: VirtualNetworkId) -> Flow:
    existing = yield from read_settled(ctx, vnet)
    if existing is None:
        raise vnet_not_found(vnet, ctx.managed_tenant_id)
    return existing


def deploy_subnet_flow(ctx: FlowContext, request: _subnets.SubnetRequest) -> Flow:
    """Create or grow one subnet: read the VNet settled, plan, PUT the subnet (``If-None-Match: *`` /
    ``If-Match``); after a conflict read and plan again. Returns the poller of the PUT, or the
    [`SubnetResult`][crossipam.subnets.SubnetResult] when nothing needs writing.

    ```python
    outcome = drive(deploy_subnet_flow(ctx, request), client, time.sleep)
    ```
    """
    vnet, name = request.vnet_id, request.spec.name
    attempt = 0
    while True:
        existing = yield from _settled_vnet(ctx, vnet)
        plan = _subnets.plan_subnet(request, existing)
        if plan.body is None:
            _LOGGER.info("%s already has the requested allocation: nothing to do", _subnet_id(vnet, name))
            found = _subnets.find_subnet(existing, name)
            return _subnets.subnet_from_wire(cast(Mapping[str, Any], found), "unchanged", vnet_id=vnet)
        _LOGGER.info("deploying %s (%s): %s", _subnet_id(vnet, name), plan.action, "; ".join(plan.changes))
        put = _begin_subnet_put(ctx, vnet, name, plan, plan.action, "deploy")
        try:
            return (yield put)
        except SDK_ERRORS as err:
            mapped = ctx.vnet_error(err, f"deploy {_subnet_id(vnet, name)}")
            attempt = yield from _after_conflict(ctx, mapped, err, attempt, vnet)


def remove_subnet_flow(ctx: FlowContext, vnet: VirtualNetworkId, name: str) -> Flow:
    """Convert the subnet's pool allocations into static ``addressPrefixes`` holding the same prefixes (see
    ``begin_remove_subnet_allocation``). Returns the poller of the PUT, or the
    [`SubnetResult`][crossipam.subnets.SubnetResult] when the subnet has no allocation.

    ```python
    outcome = drive(remove_subnet_flow(ctx, vnet, "app"), client, time.sleep)
    ```
    """
    attempt = 0
    verb = "remove the allocation of"
    while True:
        existing = yield from _settled_vnet(ctx, vnet)
        plan = _subnets.plan_subnet_removal(existing, name)
        if plan is None:
            raise _subnets.subnet_not_found(vnet, name, ctx.managed_tenant_id)
        found = cast(Mapping[str, Any], _subnets.find_subnet(existing, name))
        real_name = str(found.get("name") or name)
        if plan.body is None:
            _LOGGER.info("%s has no IPAM pool allocation: nothing to remove", _subnet_id(vnet, real_name))
            return _subnets.subnet_from_wire(found, "no_allocation", vnet_id=vnet)
        _LOGGER.info(
            "removing the allocation of %s (%s)", _subnet_id(vnet, real_name), "; ".join(plan.changes)
        )
        put = _begin_subnet_put(ctx, vnet, real_name, plan, "removed", verb)
        try:
            return (yield put)
        except SDK_ERRORS as err:
            mapped = ctx.vnet_error(err, f"{verb} {_subnet_id(vnet, real_name)}")
            attempt = yield from _after_conflict(ctx, mapped, err, attempt, vnet)
