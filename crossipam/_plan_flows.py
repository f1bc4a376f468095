"""Plans and their apply as step flows (`crossipam._engine`), written once for both clients.

A plan reads the VNet (settled, as the deploy does) and the usage of each pool an allocation would grow from,
then decides with [`crossipam.planning.decide`][] — the deploy's own decision plus the pool check. The apply of
a plan (``deploy_many(specs, plan=…)``) runs the same reads and the same decision; it writes only when the
decision is the planned one, with the deploy's PUT (``If-None-Match: *`` / ``If-Match``), and after a conflict
reads and decides again.

```python
plan = drive(plan_flow(ctx, spec), client, time.sleep)
outcome = drive(deploy_or_apply_flow(ctx, request, plan), client, time.sleep)
```
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from . import deployment as _deployment
from . import planning as _planning
from . import removal as _removal
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._shared import SDK_ERRORS, vnet_not_found
from ._vnet_flows import (
    Flow,
    FlowContext,
    Listed,
    _after_conflict,
    _begin_put,
    deploy_flow,
    pool_usage_flow,
    read_settled,
)
from .errors import CrossIpamError
from .models import DeploymentSpec, PoolUsage

__all__ = ["deploy_or_apply_flow", "plan_flow", "plan_many_flow", "removal_plan_flow"]

_LOGGER = logging.getLogger("crossipam.client")


def _read_and_decide(
    ctx: FlowContext, request: _deployment.DeploymentRequest, known: dict[str, PoolUsage] | None = None
) -> Flow:
    """Read the VNet (settled) and the usage of the pools it would grow from; decide. Returns
    ``(plan, existing, the deploy's decision or None)``. ``known`` holds usages already read (``plan_many``)."""
    existing = yield from read_settled(ctx, request.vnet_id)
    usages: list[tuple[IpamPoolId, PoolUsage]] = []
    for pool in _planning.pools_to_check(request, existing):
        key = str(pool).lower()
        usage = known.get(key) if known is not None else None
        if usage is None:
            usage = yield from pool_usage_flow(ctx, pool)
            if known is not None:
                known[key] = usage
        usages.append((pool, usage))
    plan, decided = _planning.decide(request, existing, usages, endpoint=ctx.endpoint)
    return plan, existing, decided


def plan_flow(ctx: FlowContext, spec: DeploymentSpec) -> Flow:
    """``plan_deployment``: what deploying ``spec`` would do, without a write.

    ```python
    plan = drive(plan_flow(ctx, spec), client, time.sleep)
    ```
    """
    plan, _existing, _decided = yield from _read_and_decide(ctx, _planning.spec_request(spec))
    return plan


def plan_many_flow(ctx: FlowContext, specs: Iterable[DeploymentSpec]) -> Flow:
    """``plan_many``: the plan of each spec in order. Each pool's usage is read once and what the earlier
    items would take from it is taken away, so that the plan of 500 VNets from one pool does not promise the
    same free block twice. A spec that cannot be planned (bad arguments, a read refused) is an ``error`` item.

    ```python
    plan = drive(plan_many_flow(ctx, specs), client, time.sleep)
    ```
    """
    known: dict[str, PoolUsage] = {}
    items = []
    for spec in _planning.spec_list(specs):
        try:
            plan, _existing, _decided = yield from _read_and_decide(ctx, _planning.spec_request(spec), known)
        except CrossIpamError as err:
            failed = _planning.error_plan(getattr(spec, "vnet_id", spec), err)
            if failed is None:
                raise
            _LOGGER.info("%s cannot be planned: %s", failed.vnet_id, err)
            items.append(failed)
            continue
        for pool, extra in _planning.planned_growth(plan).items():
            key = str(pool).lower()
            if key in known:
                known[key] = _planning.take_from(known[key], extra)
        items.append(plan)
    return _planning.Plan(tuple(items))


def removal_plan_flow(ctx: FlowContext, vnet: VirtualNetworkId) -> Flow:
    """``plan_removal``: what ``begin_remove_allocation`` would do, without a write.

    ```python
    plan = drive(removal_plan_flow(ctx, vnet), client, time.sleep)
    ```
    """
    existing = yield from read_settled(ctx, vnet)
    if existing is None:
        raise vnet_not_found(vnet, ctx.managed_tenant_id)
    decided = _removal.plan_removal(existing, None)
    return _planning.removal_plan(vnet, existing, decided.body is not None, endpoint=ctx.endpoint)


def _apply_flow(
    ctx: FlowContext, request: _deployment.DeploymentRequest, expected: _planning.VnetPlan | None
) -> Flow:
    vnet = request.vnet_id
    attempt = 0
    while True:
        plan, existing, decided = yield from _read_and_decide(ctx, request)
        if expected is None or not expected.same_decision(plan):
            _LOGGER.info("%s: the decision is not the planned one (%s); not written", vnet, plan.action)
            raise _planning.replanned(expected, plan)
        if plan.error is not None:
            raise plan.error
        if decided is None:
            return _deployment.deployment_from_wire(existing, "unchanged", vnet_id=vnet)
        _LOGGER.info("deploying %s as planned (%s): %s", vnet, plan.action, "; ".join(plan.changes))
        put = _begin_put(
            ctx, vnet, decided.body, if_match=decided.if_match, action=decided.action, verb="deploy"
        )
        try:
            return (yield put)
        except SDK_ERRORS as err:
            attempt = yield from _after_conflict(
                ctx, ctx.vnet_error(err, f"deploy {vnet}"), err, attempt, vnet
            )


def deploy_or_apply_flow(
    ctx: FlowContext,
    request: _deployment.DeploymentRequest,
    plan: _planning.Plan | None,
    listed: Listed | None = None,
) -> Flow:
    """The deploy (``plan`` is ``None``; ``listed``: what bulk's list of the resource group showed, see
    `deploy_flow`), or the apply of ``plan``'s item for the VNet: it writes only when reading and deciding again
    gives the planned decision, and raises [`PlanChangedError`][crossipam.plans.PlanChangedError] (with the new
    plan) otherwise.

    ```python
    outcome = drive(deploy_or_apply_flow(ctx, request, plan), client, time.sleep)
    ```
    """
    if plan is None:
        return deploy_flow(ctx, request, listed)
    return _apply_flow(ctx, request, plan.for_vnet(request.vnet_id))
