"""Plans as plain data: what the apply would do to each VNet (frozen dataclasses with ``to_dict()``), made by
[`crossipam.planning`][] and returned by ``plan_deployment``, ``plan_many`` and ``plan_removal``.

```python
plan = client.plan_many(specs)
plan.summary(), [item.to_dict() for item in plan.items if item.changed]
```
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ._resource_ids import IpamPoolId, VirtualNetworkId
from .errors import CrossIpamError
from .models import BulkItemResult

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
    "with_replans",
]

PlanAction = Literal["create", "grow", "add_subnets", "update", "unchanged", "refused", "remove", "error"]
"""What the apply would do to a VNet: ``create``; ``grow`` (an allocation of the VNet or of a subnet grows, or
the VNet takes space from one more pool); ``add_subnets`` (only new subnets); ``update`` (only tags, or
re-applying a VNet the last operation left ``Failed``); ``unchanged`` (no write); ``refused`` (see `reason`;
no write); ``remove`` (``plan_removal``: the allocations become static prefixes); ``error`` (``plan_many``:
the reads failed; see ``message``)."""

RefusalReason = Literal[
    "shrink", "pool_family", "pool_exhausted", "no_contiguous_space", "address_space_conflict", "location"
]
"""Why a plan refuses: ``shrink`` (an allocation would decrease), ``pool_family`` (``pool_id`` is not an IPv4
pool, or ``ipv6_pool_id`` not an IPv6 one), ``pool_exhausted`` (fewer free addresses than the growth),
``no_contiguous_space`` (enough free addresses, but not in aligned power-of-two blocks),
``address_space_conflict`` (static prefixes, or another pool of the same IP version), ``location`` (a VNet
cannot move)."""

_CHANGING: frozenset[str] = frozenset({"create", "grow", "add_subnets", "update", "remove"})


@dataclass(frozen=True)
class PlannedAllocation:
    """One allocation, before or after the apply: the pool and its number of addresses.

    ```python
    [(a.pool_id.name, a.number_of_ip_addresses) for a in plan.target]   # [('pool-eastus', 512)]
    ```
    """

    pool_id: IpamPoolId
    number_of_ip_addresses: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``pool_id`` (text) and ``number_of_ip_addresses``.

        ```python
        plan.target[0].to_dict()   # {'pool_id': '/subscriptions/…/ipamPools/pool-eastus', 'number_of_ip_addresses': 512}
        ```
        """
        return {"pool_id": str(self.pool_id), "number_of_ip_addresses": self.number_of_ip_addresses}


@dataclass(frozen=True)
class SubnetChange:
    """A subnet the apply creates (``create``) or whose allocation grows (``grow``).

    ```python
    {s.name: s.change for s in plan.subnets}   # {'app': 'grow', 'data': 'create'}
    ```
    """

    name: str
    change: Literal["create", "grow"]
    current: tuple[PlannedAllocation, ...] = ()
    target: tuple[PlannedAllocation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``name``, ``change``, ``current`` and ``target`` allocations.

        ```python
        plan.subnets[0].to_dict()["change"]   # 'create'
        ```
        """
        return {
            "name": self.name,
            "change": self.change,
            "current": [a.to_dict() for a in self.current],
            "target": [a.to_dict() for a in self.target],
        }


@dataclass(frozen=True)
class PlannedRequest:
    """A request the apply makes: method, URL (with the api-version) and what it is for — never a body.

    ```python
    str(plan.requests[-1])   # 'PUT https://management.azure.com/subscriptions/…/virtualNetworks/v1?api-version=…'
    ```
    """

    method: str
    url: str
    api_version: str
    purpose: str

    def __str__(self) -> str:
        return f"{self.method} {self.url}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``method``, ``url``, ``api_version``, ``purpose``.

        ```python
        [r.to_dict()["method"] for r in plan.requests]   # ['GET', 'POST', 'PUT']
        ```
        """
        return {
            "method": self.method,
            "url": self.url,
            "api_version": self.api_version,
            "purpose": self.purpose,
        }


@dataclass(frozen=True)
class VnetPlan:
    """What the apply would do to one VNet, and why.

    ``current`` and ``target`` are the VNet's own allocations before and after; ``subnets`` the subnets that
    change; ``changes`` the same in words; ``requests`` what the apply sends. A refusal has its `reason` and
    ``message`` (and raises ``error`` when applied). Two plans decide the same when `same_decision` holds.

    ```python
    plan = client.plan_deployment(spec)
    plan.action, plan.reason, plan.message   # ('refused', 'no_contiguous_space', 'pool … has 96 free addresses …')
    ```
    """

    vnet_id: VirtualNetworkId
    action: PlanAction
    current: tuple[PlannedAllocation, ...] = ()
    target: tuple[PlannedAllocation, ...] = ()
    subnets: tuple[SubnetChange, ...] = ()
    changes: tuple[str, ...] = ()
    reason: RefusalReason | None = None
    message: str = ""
    requests: tuple[PlannedRequest, ...] = ()
    error: CrossIpamError | None = field(default=None, compare=False, repr=False)
    """The error the apply raises for a refusal (or the read's error of an ``error`` item)."""

    @property
    def changed(self) -> bool:
        """Whether the apply writes (``create``, ``grow``, ``add_subnets``, ``update``, ``remove``).

        ```python
        [p.vnet_id.name for p in plan.items if p.changed]
        ```
        """
        return self.action in _CHANGING

    def same_decision(self, other: VnetPlan) -> bool:
        """Whether ``other`` decides what this plan decides (action, allocations, subnets, changes, reason).

        Args:
            other: A plan of the same VNet, e.g. made again just before the apply.

        ```python
        planned.same_decision(client.plan_deployment(spec))   # False once someone grew the VNet
        ```
        """
        keys = ("action", "current", "target", "subnets", "changes", "reason")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what ``crossipam plan --output json`` prints per VNet).

        ```python
        client.plan_deployment(spec).to_dict()["action"]   # 'create'
        ```
        """
        return {
            "vnet_id": str(self.vnet_id),
            "name": self.vnet_id.name,
            "action": self.action,
            "reason": self.reason,
            "message": self.message,
            "current": [a.to_dict() for a in self.current],
            "target": [a.to_dict() for a in self.target],
            "subnets": [s.to_dict() for s in self.subnets],
            "changes": list(self.changes),
            "requests": [r.to_dict() for r in self.requests],
        }


@dataclass(frozen=True)
class Plan:
    """The plans of many VNets (``plan_many``), in input order.

    ```python
    plan = client.plan_many(specs)
    plan.has_changes, plan.summary()
    ```
    """

    items: tuple[VnetPlan, ...] = ()

    @property
    def has_changes(self) -> bool:
        """Whether applying would write anything.

        ```python
        exit_code = 2 if plan.has_changes else 0
        ```
        """
        return any(item.changed for item in self.items)

    def summary(self) -> dict[str, int]:
        """How many VNets get each action (every action is counted, zeros included).

        ```python
        plan.summary()["create"]   # 3
        ```
        """
        counts = {action: 0 for action in PlanAction.__args__}  # type: ignore[attr-defined]
        for item in self.items:
            counts[item.action] += 1
        return counts

    def for_vnet(self, vnet_id: str | VirtualNetworkId) -> VnetPlan | None:
        """The plan of ``vnet_id`` (any case), if it is in this plan.

        Args:
            vnet_id: The VNet's resource id.

        ```python
        plan.for_vnet(vnet_id).action   # 'grow'
        ```
        """
        key = str(vnet_id).lower()
        return next((item for item in self.items if str(item.vnet_id).lower() == key), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``has_changes``, ``summary`` and one entry per VNet.

        ```python
        json.dumps(client.plan_many(specs).to_dict())
        ```
        """
        return {
            "has_changes": self.has_changes,
            "summary": self.summary(),
            "items": [item.to_dict() for item in self.items],
        }


class PlanChangedError(CrossIpamError):
    """``deploy_many(specs, plan=…)`` read something else than the plan saw: that VNet was not written; `plan`
    is what would be done now.

    Args:
        message: What changed, in words.
        plan: The new plan of the VNet.
        hint: What to do about it.

    ```python
    except PlanChangedError as err:
        print(err.plan.action, err.plan.changes)
    ```
    """

    def __init__(self, message: str, *, plan: VnetPlan, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.plan = plan


@dataclass(frozen=True)
class PlannedItemResult(BulkItemResult):
    """A [`BulkItemResult`][crossipam.models.BulkItemResult] of ``deploy_many(specs, plan=…)``: ``replanned``
    is the new plan of an item whose decision changed since the plan (it was not written).

    ```python
    stale = [r.replanned for r in client.deploy_many(specs, plan=plan) if r.replanned is not None]
    ```
    """

    replanned: VnetPlan | None = None

    def to_dict(self, error_to_dict: Callable[[CrossIpamError], Any] | None = None) -> dict[str, Any]:
        """The bulk item's JSON data plus ``replanned`` (the new plan, or ``None``).

        Args:
            error_to_dict: Shapes the error (see ``BulkItemResult.to_dict``).

        ```python
        [r.to_dict()["replanned"] for r in client.deploy_many(specs, plan=plan)]
        ```
        """
        out = super().to_dict(error_to_dict)
        out["replanned"] = self.replanned.to_dict() if self.replanned is not None else None
        return out


def with_replans(results: Iterable[BulkItemResult]) -> list[PlannedItemResult]:
    """The results of a plan's apply, each with the new plan of an item that was re-planned.

    Args:
        results: What the bulk run returned.

    ```python
    with_replans(run_sync(items, attempt))
    ```
    """
    out = []
    for r in results:
        replanned = r.error.plan if isinstance(r.error, PlanChangedError) else None
        out.append(PlannedItemResult(r.vnet_id, r.deployment, r.error, r.attempts, r.spec, replanned))
    return out
