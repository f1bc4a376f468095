"""Plans: what a deploy or a removal would do, decided by the deploy's own code from what Azure holds now.

A plan reads (the VNet, and the free space of each pool an allocation would grow from) and writes nothing. Its
decision is [`decide`][crossipam.planning.decide]: the deploy's own `crossipam.deployment.plan_deployment`,
plus the pool check on the pool's free prefixes (``getPoolUsage``'s ``availableAddressPrefixes``), so that a
count that fits the pool's free addresses but no aligned block of it is refused with the reason
``no_contiguous_space``. ``deploy_many(specs, plan=…)`` decides again with the same function when it applies a
plan: an item whose decision changed meanwhile is not written, and its result carries the new plan
(``replanned``).

```python
plan = client.plan_many(specs)
print(plan.summary())             # {'create': 3, 'grow': 1, 'unchanged': 12, 'refused': 0, ...}
for item in plan.items:
    print(item.vnet_id.name, item.action, item.reason, [str(r) for r in item.requests])
results = client.deploy_many(specs, plan=plan)
```
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from . import deployment as _deployment
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._shared import API_VERSION
from .errors import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    CrossIpamError,
    DeploymentRefusedError,
    InvalidInputError,
    PoolExhaustedError,
)
from .models import DeploymentSpec, IPNetwork, PoolUsage
from .plans import (
    Plan,
    PlanAction,
    PlanChangedError,
    PlannedAllocation,
    PlannedItemResult,
    PlannedRequest,
    RefusalReason,
    SubnetChange,
    VnetPlan,
    with_replans,
)

__all__ = [
    "Plan",
    "PlanAction",
    "PlanChangedError",
    "PlannedAllocation",
    "PlannedItemResult",
    "PlannedRequest",
    "RefusalReason",
    "SubnetChange",
    "VnetPlan",
    "decide",
    "error_plan",
    "planned_growth",
    "pools_to_check",
    "removal_plan",
    "replanned",
    "spec_list",
    "spec_request",
    "take_from",
    "with_replans",
]

# ---- the decision ----------------------------------------------------------------------------------------


def _allocations(entries: Iterable[Mapping[str, Any]] | None) -> tuple[PlannedAllocation, ...]:
    return tuple(
        PlannedAllocation(a.pool_id, a.number_of_ip_addresses)
        for a in _deployment.allocations_from_wire(entries)
    )


def _space(body: Mapping[str, Any] | None) -> tuple[PlannedAllocation, ...]:
    props = (body or {}).get("properties") or {}
    return _allocations((props.get("addressSpace") or {}).get("ipamPoolPrefixAllocations"))


def _subnet_allocations(body: Mapping[str, Any] | None) -> dict[str, tuple[PlannedAllocation, ...]]:
    props = (body or {}).get("properties") or {}
    return {
        str(s.get("name", "")).lower(): _allocations(
            ((s or {}).get("properties") or {}).get("ipamPoolPrefixAllocations")
        )
        for s in props.get("subnets") or []
    }


def _growth(
    current: Sequence[PlannedAllocation], target: Sequence[PlannedAllocation]
) -> dict[IpamPoolId, int]:
    """Per pool, how many addresses the target takes beyond the current allocation."""
    now = {a.pool_id: a.number_of_ip_addresses for a in current}
    return {
        a.pool_id: a.number_of_ip_addresses - now.get(a.pool_id, 0)
        for a in target
        if a.number_of_ip_addresses > now.get(a.pool_id, 0)
    }


def _safe_plan(
    request: _deployment.DeploymentRequest, existing: Mapping[str, Any] | None
) -> _deployment.DeploymentPlan | DeploymentRefusedError:
    try:
        return _deployment.plan_deployment(request, existing)
    except DeploymentRefusedError as err:
        return err


def _place(available: Sequence[IPNetwork], count: int) -> list[IPNetwork] | None:
    """Place ``count`` addresses as Azure does — its power-of-two blocks, largest first, each aligned to its
    size at the lowest free position — in the free prefixes; what stays free, or ``None`` if a block does not
    fit."""
    if not available:
        return None
    free: list[list[int]] = []
    for lo, hi in sorted((int(n.network_address), int(n.broadcast_address) + 1) for n in available):
        if free and lo <= free[-1][1]:
            free[-1][1] = max(free[-1][1], hi)
        else:
            free.append([lo, hi])
    for bit in range(count.bit_length() - 1, -1, -1):
        block = 1 << bit
        if not count & block:
            continue
        for i, (lo, hi) in enumerate(free):
            start = -(-lo // block) * block  # the first address at or after lo aligned to the block
            if start + block <= hi:
                free[i : i + 1] = [p for p in ([lo, start], [start + block, hi]) if p[0] < p[1]]
                break
        else:
            return None
    address = ipaddress.IPv4Address if available[0].version == 4 else ipaddress.IPv6Address
    return [n for lo, hi in free for n in ipaddress.summarize_address_range(address(lo), address(hi - 1))]


def planned_growth(plan: VnetPlan) -> dict[IpamPoolId, int]:
    """Per pool, how many addresses applying ``plan`` takes from it (nothing unless it writes).

    Args:
        plan: One VNet's plan.

    ```python
    planned_growth(plan)   # {IpamPoolId(... pool-eastus): 256}
    ```
    """
    return _growth(plan.current, plan.target) if plan.action in ("create", "grow") else {}


def take_from(usage: PoolUsage, count: int) -> PoolUsage:
    """The usage once ``count`` more addresses are allocated (as Azure places them).

    Args:
        usage: The pool's usage.
        count: The addresses an allocation takes.

    ```python
    take_from(usage, 256).number_of_available_ip_addresses   # 256 fewer
    ```
    """
    return replace(
        usage,
        available_address_prefixes=_place(usage.available_address_prefixes, count) or [],
        number_of_allocated_ip_addresses=usage.number_of_allocated_ip_addresses + count,
        number_of_available_ip_addresses=max(0, usage.number_of_available_ip_addresses - count),
    )


def pools_to_check(
    request: _deployment.DeploymentRequest, existing: Mapping[str, Any] | None
) -> list[IpamPoolId]:
    """The pools whose free space the plan reads: those the VNet's own allocation would take more from.

    Args:
        request: The validated deploy arguments.
        existing: The VNet as read (``None``: absent).

    ```python
    pools_to_check(request, None)   # [IpamPoolId(... pool-eastus)]: a new VNet takes from its pool
    ```
    """
    decided = _safe_plan(request, existing)
    if isinstance(decided, DeploymentRefusedError) or decided.body is None:
        return []
    return list(_growth(_space(existing), _space(decided.body)))


def _requests(
    endpoint: str, vnet: VirtualNetworkId, pools: Iterable[IpamPoolId], write: str | None
) -> tuple[PlannedRequest, ...]:
    query = f"?api-version={API_VERSION}"
    out = [PlannedRequest("GET", f"{endpoint}{vnet}{query}", API_VERSION, "read the VNet")]
    out += [
        PlannedRequest(
            "POST", f"{endpoint}{p}/getPoolUsage{query}", API_VERSION, f"read the free space of {p.name}"
        )
        for p in pools
    ]
    if write is not None:
        out.append(PlannedRequest("PUT", f"{endpoint}{vnet}{query}", API_VERSION, write))
    return tuple(out)


def _pool_refusal(
    request: _deployment.DeploymentRequest,
    growth: Mapping[IpamPoolId, int],
    usages: Sequence[tuple[IpamPoolId, PoolUsage]],
) -> tuple[RefusalReason, CrossIpamError] | None:
    vnet = request.vnet_id
    read = {str(pool).lower(): usage for pool, usage in usages}
    for pool, extra in growth.items():
        usage = read.get(str(pool).lower())
        if usage is None:
            continue
        family = 6 if pool == request.ipv6_pool_id else 4
        versions = {p.version for p in usage.address_prefixes}
        if versions and versions != {family}:
            role = "ipv6_pool_id" if family == 6 else "pool_id"
            return "pool_family", DeploymentRefusedError(
                f"pool {pool.name} holds IPv{versions.pop()} prefixes, but {vnet.name} takes it as its {role} "
                f"(an IPv{family} pool)",
                resource_id=str(vnet),
                hint="pass the IPv4 pool as pool_id and the IPv6 pool as ipv6_pool_id",
            )
        free = usage.number_of_available_ip_addresses
        hint = f"check the pool's usage (get_pool_usage {pool.name}) and ask for fewer addresses or a larger pool"
        if free < extra:
            return "pool_exhausted", PoolExhaustedError(
                f"pool {pool.name} has {free} free addresses; {vnet.name} needs {extra} more",
                hint=hint,
            )
        if _place(usage.available_address_prefixes, extra) is None:
            prefixes = ", ".join(str(p) for p in usage.available_address_prefixes) or "none"
            return "no_contiguous_space", PoolExhaustedError(
                f"pool {pool.name} has {free} free addresses, but not {extra} in aligned power-of-two blocks "
                f"for {vnet.name} (free prefixes: {prefixes})",
                hint=hint,
            )
    return None


def decide(
    request: _deployment.DeploymentRequest,
    existing: Mapping[str, Any] | None,
    usages: Sequence[tuple[IpamPoolId, PoolUsage]],
    *,
    endpoint: str,
) -> tuple[VnetPlan, _deployment.DeploymentPlan | None]:
    """The one decision of a plan and of its apply: the deploy's `plan_deployment`, then the pool check.

    Args:
        request: The validated deploy arguments.
        existing: The VNet as read, settled (``None``: absent).
        usages: Each pool of `pools_to_check` with its usage.
        endpoint: The ARM endpoint (no trailing slash), for the planned requests' URLs.

    Returns:
        The plan, and the deploy's own decision (its body and ETag) when the apply writes.

    ```python
    plan, write = decide(request, None, [(pool, usage)], endpoint="https://management.azure.com")
    plan.action   # 'create'
    ```
    """
    vnet = request.vnet_id
    current = _space(existing)
    checked = [pool for pool, _usage in usages]
    decided = _safe_plan(request, existing)
    if isinstance(decided, DeploymentRefusedError):
        reason: RefusalReason = (
            "shrink"
            if isinstance(decided, AllocationDecreaseError)
            else "address_space_conflict"
            if isinstance(decided, AddressSpaceConflictError)
            else "location"
        )
        return _refused(vnet, current, reason, decided, _requests(endpoint, vnet, checked, None)), None
    if decided.body is None:
        return VnetPlan(
            vnet, "unchanged", current, current, requests=_requests(endpoint, vnet, [], None)
        ), None
    target = _space(decided.body)
    growth = _growth(current, target)
    refusal = _pool_refusal(request, growth, usages)
    if refusal is not None:
        return _refused(vnet, current, refusal[0], refusal[1], _requests(endpoint, vnet, checked, None)), None
    subnets = _subnet_changes(request, existing, decided.body)
    if existing is None:
        action: PlanAction = "create"
        write = "create the VNet (If-None-Match: *)"
    else:
        grows = bool(growth) or any(s.change == "grow" for s in subnets)
        action = "grow" if grows else "add_subnets" if subnets else "update"
        write = "update the VNet (If-Match: its ETag)"
    plan = VnetPlan(
        vnet,
        action,
        current,
        target,
        subnets,
        decided.changes,
        requests=_requests(endpoint, vnet, checked, write),
    )
    return plan, decided


def _refused(
    vnet: VirtualNetworkId,
    current: tuple[PlannedAllocation, ...],
    reason: RefusalReason,
    error: CrossIpamError,
    requests: tuple[PlannedRequest, ...],
) -> VnetPlan:
    return VnetPlan(
        vnet,
        "refused",
        current,
        current,
        reason=reason,
        message=error.message,
        requests=requests,
        error=error,
    )


def _subnet_changes(
    request: _deployment.DeploymentRequest, existing: Mapping[str, Any] | None, body: Mapping[str, Any]
) -> tuple[SubnetChange, ...]:
    before, after = _subnet_allocations(existing), _subnet_allocations(body)
    out = []
    for spec in request.subnets:
        key = spec.name.lower()
        old, new = before.get(key), after.get(key, ())
        if old is None:
            out.append(SubnetChange(spec.name, "create", (), new))
        elif _growth(old, new):
            out.append(SubnetChange(spec.name, "grow", old, new))
    return tuple(out)


def removal_plan(
    vnet: VirtualNetworkId, existing: Mapping[str, Any], has_allocation: bool, *, endpoint: str
) -> VnetPlan:
    """The plan of ``begin_remove_allocation``: ``remove`` (every allocation becomes static prefixes) or
    ``unchanged`` (no allocation).

    Args:
        vnet: The VNet.
        existing: The VNet as read, settled.
        has_allocation: Whether the removal's own decision writes.
        endpoint: The ARM endpoint (no trailing slash).

    ```python
    removal_plan(vnet, vnet_json, True, endpoint=arm).action   # 'remove'
    ```
    """
    current = _space(existing)
    write = "convert the allocations into static prefixes (If-Match: its ETag)" if has_allocation else None
    changes = tuple(f"free {a.number_of_ip_addresses} addresses of {a.pool_id.name}" for a in current)
    return VnetPlan(
        vnet,
        "remove" if has_allocation else "unchanged",
        current,
        (),
        changes=changes if has_allocation else (),
        requests=_requests(endpoint, vnet, [], write),
    )


def error_plan(vnet_id: object, error: CrossIpamError) -> VnetPlan | None:
    """An ``error`` item of ``plan_many`` (``None`` when the id itself is not a VNet id).

    Args:
        vnet_id: The spec's VNet id.
        error: What planning it raised.

    ```python
    error_plan(spec.vnet_id, err).action   # 'error'
    ```
    """
    try:
        vnet = VirtualNetworkId.parse(vnet_id)  # type: ignore[arg-type]
    except CrossIpamError:
        return None
    return VnetPlan(vnet, "error", message=error.message, error=error)


def spec_request(spec: DeploymentSpec) -> _deployment.DeploymentRequest:
    """A spec's validated deploy arguments (raises [`InvalidInputError`][crossipam.errors.InvalidInputError]).

    Args:
        spec: One VNet to deploy.

    ```python
    spec_request(DeploymentSpec(vnet_id, "eastus", pool_id, 64)).wanted()
    ```
    """
    if not isinstance(spec, DeploymentSpec):
        raise InvalidInputError(f"a plan takes DeploymentSpec values, got {type(spec).__name__}")
    return _deployment.deployment_request(spec.vnet_id, **spec.deploy_kwargs())


def spec_list(values: object) -> list[DeploymentSpec]:
    """``plan_many``'s specs as a list; a single spec, a string or a mapping is refused
    ([`InvalidInputError`][crossipam.errors.InvalidInputError]) rather than iterated.

    Args:
        values: What the caller passed as the list of specs.

    ```python
    spec_list([spec])          # [spec]
    spec_list(spec)            # raises: wrap one spec in a list
    ```
    """
    if isinstance(values, (str, bytes, DeploymentSpec, Mapping)) or not isinstance(values, Iterable):
        raise InvalidInputError(
            f"plan_many takes a list of DeploymentSpec values, got {type(values).__name__}",
            hint="wrap one spec in a list: plan_many([spec])",
        )
    return list(values)


def replanned(expected: VnetPlan | None, plan: VnetPlan) -> PlanChangedError:
    """The error of an item whose decision is not the planned one.

    Args:
        expected: What the plan said (``None``: the VNet is not in the plan).
        plan: What would be done now.

    ```python
    raise replanned(planned, now)
    ```
    """
    was = expected.action if expected is not None else "not in the plan"
    return PlanChangedError(
        f"{plan.vnet_id.name} changed since the plan ({was} -> {plan.action}); nothing was written",
        plan=plan,
        hint="review the new plan (result.replanned) and apply again",
    )
