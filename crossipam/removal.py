"""Removing a VNet's IPAM allocations: convert them into static prefixes without renumbering anything.

Pure functions over ARM JSON (no I/O), shared by the sync client and its async twin. By default the VNet and
each subnet keep the very prefixes their allocations hold; ``address_prefixes=`` replaces the VNet's space and
must contain every subnet. Subnets, peerings, tags and DNS settings are kept (read-modify-write). A VNet
without allocations needs no write.

```python
from crossipam.removal import plan_removal

plan = plan_removal(vnet_json)
plan.action                                   # 'removed' ('no_allocation' when there is nothing to remove)
plan.body["properties"]["addressSpace"]       # {'addressPrefixes': ['10.0.0.0/26', '10.0.0.64/27', …]}
```
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._inflight import provisioning_state
from ._resource_ids import VirtualNetworkId
from .deployment import allocations_from_wire, put_body_from_existing
from .errors import AddressSpaceConflictError, InvalidInputError
from .models import IpamAllocation, IPNetwork, parse_networks

__all__ = ["RemovalPlan", "plan_removal", "validate_replacement_prefixes"]


@dataclass(frozen=True)
class RemovalPlan:
    """What to do: ``body`` to PUT (``None`` when the VNet has no allocation), the allocations it frees.

    ```python
    plan = plan_removal(vnet_json, [ipaddress.ip_network("10.0.0.0/24")])
    ```
    """

    action: Literal["removed", "no_allocation"]
    body: dict[str, Any] | None
    if_match: str | None = None
    freed: tuple[IpamAllocation, ...] = field(default=())


def validate_replacement_prefixes(address_prefixes: Iterable[object] | None) -> list[IPNetwork] | None:
    """Check ``address_prefixes=`` before any request: CIDRs, at least one, no overlaps.

    ```python
    validate_replacement_prefixes(["10.0.0.0/24"])   # [IPv4Network('10.0.0.0/24')]
    ```
    """
    if address_prefixes is None:
        return None
    if isinstance(address_prefixes, (str, bytes)):
        raise InvalidInputError("address_prefixes must be a list of CIDR prefixes, not a single string")
    nets = parse_networks(address_prefixes, "address_prefixes")
    if not nets:
        raise InvalidInputError("address_prefixes must not be empty (omit it to keep the allocated prefixes)")
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            if a.version == b.version and a.overlaps(b):
                raise InvalidInputError(f"address_prefixes overlap: {a} and {b}")
    return nets


def _contained(net: IPNetwork, space: list[IPNetwork]) -> bool:
    return any(outer.version == net.version and net.subnet_of(outer) for outer in space)  # type: ignore[arg-type]


def _subnet_prefixes(sp: Mapping[str, Any]) -> list[IPNetwork]:
    allocs = allocations_from_wire(sp.get("ipamPoolPrefixAllocations"))
    held = [p for a in allocs for p in a.allocated_prefixes]
    if held:
        return held
    given: list[Any] = list(sp.get("addressPrefixes") or [])
    if sp.get("addressPrefix"):
        given.append(sp["addressPrefix"])
    out: list[IPNetwork] = []
    for g in given:
        try:
            out.append(ipaddress.ip_network(str(g), strict=False))
        except ValueError:
            continue
    return out


def _static(container: dict[str, Any], nets: list[IPNetwork], *, single_key: str | None) -> None:
    container.pop("ipamPoolPrefixAllocations", None)
    container.pop("addressPrefix", None)
    container.pop("addressPrefixes", None)
    if single_key is not None and len(nets) == 1:
        container[single_key] = str(nets[0])
    else:
        container["addressPrefixes"] = [str(n) for n in nets]


def plan_removal(existing: Mapping[str, Any], address_prefixes: list[IPNetwork] | None = None) -> RemovalPlan:
    """Plan converting every pool allocation of the VNet (and its subnets) into static prefixes.

    Raises [`AddressSpaceConflictError`][crossipam.errors.AddressSpaceConflictError] if ``address_prefixes``
    does not contain every subnet — before anything is written. A VNet without allocations that the last
    operation left ``Failed`` is written back as it is (Azure's way to re-apply it), never reported as
    ``no_allocation``.

    ```python
    plan_removal(vnet_json).action     # 'removed'
    ```
    """
    vnet_id = VirtualNetworkId.parse(str(existing.get("id"))) if existing.get("id") else None
    where = str(vnet_id) if vnet_id else "the VNet"
    props = existing.get("properties") or {}
    space = props.get("addressSpace") or {}
    vnet_allocs = allocations_from_wire(space.get("ipamPoolPrefixAllocations"))
    subnets = [s for s in props.get("subnets") or [] if isinstance(s, dict)]
    subnet_allocs = [
        a
        for s in subnets
        for a in allocations_from_wire((s.get("properties") or {}).get("ipamPoolPrefixAllocations"))
    ]
    if not vnet_allocs and not subnet_allocs:
        if (provisioning_state(existing) or "").lower() == "failed":
            # the last operation left it Failed: a PUT of what it holds is how Azure re-applies it
            etag = existing.get("etag")
            return RemovalPlan("removed", put_body_from_existing(existing), str(etag) if etag else None, ())
        return RemovalPlan("no_allocation", None, None, ())
    held = [p for a in vnet_allocs for p in a.allocated_prefixes]
    if not held:
        held = parse_networks(space.get("addressPrefixes") or [], "the VNet's address prefixes")
    new_space = list(address_prefixes) if address_prefixes is not None else held
    if address_prefixes is not None:
        for s in subnets:
            outside = [
                str(n) for n in _subnet_prefixes(s.get("properties") or {}) if not _contained(n, new_space)
            ]
            if outside:
                raise AddressSpaceConflictError(
                    f"address_prefixes {[str(n) for n in new_space]} do not contain subnet {s.get('name')} "
                    f"({', '.join(outside)}) of {where}",
                    resource_id=str(vnet_id) if vnet_id else None,
                    hint="give address prefixes that contain every subnet, or omit address_prefixes to keep "
                    "the prefixes the allocation holds",
                )
    body = put_body_from_existing(existing)
    body_props = body.setdefault("properties", {})
    body_space = body_props.setdefault("addressSpace", {})
    _static(body_space, new_space, single_key=None)
    for s in body_props.get("subnets") or []:
        sp = s.get("properties")
        if not isinstance(sp, dict):
            continue
        original = next(
            (o for o in subnets if str(o.get("name", "")).lower() == str(s.get("name", "")).lower()), None
        )
        allocs = allocations_from_wire(
            ((original or {}).get("properties") or {}).get("ipamPoolPrefixAllocations")
        )
        if not allocs:
            continue
        _static(sp, [p for a in allocs for p in a.allocated_prefixes], single_key="addressPrefix")
    etag = existing.get("etag")
    return RemovalPlan(
        "removed", body, str(etag) if etag else None, tuple(vnet_allocs) + tuple(subnet_allocs)
    )
