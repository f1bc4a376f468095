"""What a virtual network PUT may hold, over `crossipam.testing.ipam`: address space, IPAM allocations,
subnets.

`build_vnet` validates a PUT body against `NetworkState` and returns the record to store
(nothing is written): ``ipamPoolPrefixAllocations`` (count as a string) split into aligned power-of-two blocks
(first fit), returned in ``allocatedAddressPrefixes`` and mirrored into ``addressSpace.addressPrefixes``; subnet
allocations carved from the VNet's blocks of the same pool and mirrored into the subnet's ``addressPrefixes``.
The same count again keeps the prefixes; a larger count keeps the blocks and adds new ones; a pool the PUT no
longer references is released. From api-version ``2023-09-01`` a PUT that omits ``subnets`` keeps them.

Choice (not verified against Azure): ``addressPrefixes`` next to ``ipamPoolPrefixAllocations`` is
``CannotMixAddressPrefixAndPoolInPayload`` unless they equal what the resource mirrors (clients PUT back what
they GET); the same for subnets.
"""

from __future__ import annotations

import copy
import ipaddress
import uuid
from typing import Any

from .. import ipam
from .._core import Clock
from .._ids import VIRTUAL_NETWORK_ID
from ..ipam import IPNetwork
from .rules import (
    api_at_least,
    bad_request,
    by_family,
    ipam_errors,
    normalized,
    parse_count,
    parse_prefix,
)
from .state import NetworkState, Pool, VNet, new_etag
from .subnet_rules import check_subnet_allocation, check_subnet_prefixes

__all__ = [
    "SUBNETS_KEPT_FROM",
    "build_subnets",
    "build_vnet",
    "parse_allocations",
    "pool_ids_referenced",
    "settle",
    "succeed",
]

SUBNETS_KEPT_FROM = "2023-09-01"
"""From this api-version on, a VNet PUT that omits ``subnets`` keeps the existing ones."""


def build_vnet(
    net: NetworkState,
    clock: Clock,
    existing: VNet | None,
    body: dict[str, Any],
    sub: str,
    rg: str,
    name: str,
    api_version: str,
    *,
    summarize_grow: bool = True,
) -> VNet:
    """Validate a VNet PUT body against the current state and compute the new record (no side effects).

    With ``summarize_grow`` (``Settings.summarize_grown_prefixes``), an allocation that grew is reported as
    the summarised prefixes of its blocks (two adjacent /21 → one /20)."""
    vnet_id = existing.id if existing else VIRTUAL_NETWORK_ID.build({"sub": sub, "rg": rg, "name": name})
    location = body.get("location")
    if not isinstance(location, str) or not location:
        raise bad_request("LocationRequired", "The location property is required for this definition.")
    if (
        existing is not None
        and existing.location.replace(" ", "").lower() != location.replace(" ", "").lower()
    ):
        raise bad_request(
            "InvalidResourceLocation",
            f"The resource '{existing.name}' already exists in location '{existing.location}' in resource group "
            f"'{existing.resource_group}'. A resource with the same name cannot be created in location "
            f"'{location}'. Please select a new resource name.",
        )
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise bad_request("InvalidRequestFormat", "'properties' must be an object.")
    space = props.get("addressSpace") or {}
    if not isinstance(space, dict):
        raise bad_request("InvalidRequestFormat", "'properties.addressSpace' must be an object.")
    given = list(space.get("addressPrefixes") or [])
    allocs = list(space.get("ipamPoolPrefixAllocations") or [])
    old_allocs = {pid.lower(): blocks for pid, blocks in existing.allocations()} if existing else {}
    if allocs and given:
        current = existing.body["properties"]["addressSpace"].get("addressPrefixes", []) if existing else []
        if not old_allocs or normalized(given) != normalized(current):
            raise bad_request(
                "CannotMixAddressPrefixAndPoolInPayload",
                f"Virtual network '{vnet_id}' cannot have both 'addressPrefixes' and 'ipamPoolPrefixAllocations' "
                "in its address space. Use either static address prefixes or IPAM pool allocations.",
            )
    parsed = parse_allocations(net, allocs, "properties.addressSpace.ipamPoolPrefixAllocations", vnet_id)
    families: dict[int, str] = {}
    pool_blocks: dict[str, list[IPNetwork]] = {}
    alloc_out: list[dict[str, Any]] = []
    created = dict(existing.alloc_created) if existing else {}
    for (pool, count), raw in zip(parsed, allocs, strict=True):
        if pool.version in families:
            raise bad_request(
                "OnlyOneIpamPoolPerIpTypeAllowed",
                f"Virtual network '{vnet_id}' references IPAM pools '{families[pool.version]}' and '{pool.id}' "
                f"of the same IP type (IPv{pool.version}); only one association of each IP type is allowed.",
            )
        families[pool.version] = pool.id
        old = old_allocs.get(pool.id.lower())
        with ipam_errors(pool, f"virtual network '{vnet_id}'"):
            blocks = net.allocate_for_vnet(pool, count, old)
        if summarize_grow and old and blocks != old:
            blocks = ipam.summarize(blocks)
        pool_blocks[pool.id.lower()] = blocks
        created.setdefault(pool.id.lower(), clock.time())
        entry = copy.deepcopy(raw)
        entry["numberOfIpAddresses"] = str(count)
        entry["allocatedAddressPrefixes"] = [str(b) for b in blocks]
        alloc_out.append(entry)
    created = {k: v for k, v in created.items() if k in pool_blocks}
    if allocs:
        space_nets = [b for bl in pool_blocks.values() for b in bl]
    else:
        space_nets = [
            parse_prefix(p, f"properties.addressSpace.addressPrefixes[{i}]") for i, p in enumerate(given)
        ]
    # subnets
    if "subnets" in props:
        sub_bodies = list(props.get("subnets") or [])
    elif existing is not None and api_at_least(api_version, SUBNETS_KEPT_FROM):
        sub_bodies = copy.deepcopy(existing.subnets())
    else:
        sub_bodies = []
    etag = new_etag()
    subnets_out = build_subnets(
        net, existing, sub_bodies, vnet_id, space_nets, pool_blocks, etag, summarize_grow=summarize_grow
    )
    out = copy.deepcopy(body)
    out_props = out.setdefault("properties", {})
    out_space = copy.deepcopy(space)
    out_space["addressPrefixes"] = [str(n) for n in space_nets] if allocs else list(given)
    if allocs:
        out_space["ipamPoolPrefixAllocations"] = alloc_out
    else:
        out_space.pop("ipamPoolPrefixAllocations", None)
    out_props["addressSpace"] = out_space
    out_props["subnets"] = subnets_out
    out_props["provisioningState"] = "Updating"
    out_props["resourceGuid"] = (
        existing.body["properties"].get("resourceGuid") if existing else str(uuid.uuid4())
    )
    out_props.setdefault("virtualNetworkPeerings", [])
    out_props.setdefault("enableDdosProtection", False)
    out.update(
        {
            "id": vnet_id,
            "name": existing.name if existing else name,
            "type": "Microsoft.Network/virtualNetworks",
            "location": existing.location if existing else location,
            "etag": etag,
        }
    )
    return VNet(
        id=vnet_id,
        subscription_id=sub.lower(),
        resource_group=existing.resource_group if existing else rg,
        name=existing.name if existing else name,
        body=out,
        api_version=api_version,
        alloc_created=created,
    )


def parse_allocations(
    net: NetworkState, allocs: list[Any], where: str, resource_id: str
) -> list[tuple[Pool, int]]:
    """The pools and counts of ``ipamPoolPrefixAllocations`` at ``where`` (each pool once, each existing)."""
    seen: set[str] = set()
    out: list[tuple[Pool, int]] = []
    for i, a in enumerate(allocs):
        if not isinstance(a, dict):
            raise bad_request("InvalidRequestFormat", f"{where}[{i}] must be an object.")
        pid = str((a.get("pool") or {}).get("id") or "")
        if not pid:
            raise bad_request("InvalidRequestFormat", f"{where}[{i}].pool.id is required.")
        if pid.lower() in seen:
            raise bad_request(
                "CannotHaveDuplicatePoolIds",
                f"Resource '{resource_id}' references IPAM pool '{pid}' more than once in {where}.",
            )
        seen.add(pid.lower())
        count = parse_count(a.get("numberOfIpAddresses"), f"{where}[{i}].numberOfIpAddresses")
        pool = net.pools.get(pid.lower())
        if pool is None:
            raise bad_request(
                "InvalidResourceReference",
                f"Resource {pid} referenced by resource {resource_id} was not found. Please make sure that the "
                "referenced resource exists, and that both resources are in the same region.",
            )
        out.append((pool, count))
    return out


def build_subnets(
    net: NetworkState,
    existing: VNet | None,
    sub_bodies: list[Any],
    vnet_id: str,
    space_nets: list[IPNetwork],
    pool_blocks: dict[str, list[IPNetwork]],
    etag: str,
    *,
    summarize_grow: bool = True,
) -> list[dict[str, Any]]:
    """The subnets of a VNet PUT: names unique, static prefixes inside the VNet, allocations carved from the
    VNet's blocks of the same pool (kept blocks first, then new ones — summarised with ``summarize_grow``), no
    two subnets overlapping, none smaller than `.subnet_rules` allows."""
    old_by_name: dict[str, dict[str, Any]] = {}
    if existing is not None:
        for s in existing.subnets():
            old_by_name[str(s.get("name", "")).lower()] = s
    names: set[str] = set()
    plans: list[dict[str, Any]] = []
    for i, sb in enumerate(sub_bodies):
        if not isinstance(sb, dict) or not sb.get("name"):
            raise bad_request("InvalidRequestFormat", f"properties.subnets[{i}] needs a 'name'.")
        name = str(sb["name"])
        if name.lower() in names:
            raise bad_request(
                "DuplicateResourceName", f"Virtual network '{vnet_id}' has two subnets named '{name}'."
            )
        names.add(name.lower())
        sp = sb.get("properties") or {}
        sid = f"{vnet_id}/subnets/{name}"
        s_allocs = list(sp.get("ipamPoolPrefixAllocations") or [])
        s_given = ([sp["addressPrefix"]] if sp.get("addressPrefix") else []) + list(
            sp.get("addressPrefixes") or []
        )
        old = old_by_name.get(name.lower())
        old_allocs: dict[str, list[IPNetwork]] = {}
        if old is not None:
            for a in (old.get("properties") or {}).get("ipamPoolPrefixAllocations") or []:
                old_allocs[str((a.get("pool") or {}).get("id", "")).lower()] = [
                    ipaddress.ip_network(p) for p in a.get("allocatedAddressPrefixes") or []
                ]
        if s_allocs and s_given:
            mirror = [str(b) for bl in old_allocs.values() for b in bl]
            if not old_allocs or normalized(s_given) != normalized(mirror):
                raise bad_request(
                    "CannotMixAddressPrefixAndPoolInPayload",
                    f"Subnet '{sid}' cannot have both address prefixes and 'ipamPoolPrefixAllocations'.",
                )
        where = f"properties.subnets[{i}].properties.ipamPoolPrefixAllocations"
        parsed = parse_allocations(net, s_allocs, where, sid)
        for pool, count in parsed:
            check_subnet_allocation(name, pool, count, vnet_id)
            if pool.id.lower() not in pool_blocks:
                raise bad_request(
                    "SubnetPoolsMustBeSubsetOfVnetPools",
                    f"Subnet '{sid}' references IPAM pool '{pool.id}', which virtual network '{vnet_id}' does not "
                    "take address space from. The pools of a subnet must be a subset of the pools of its "
                    "virtual network.",
                )
        statics = (
            []
            if s_allocs
            else [parse_prefix(p, f"properties.subnets[{i}].properties.addressPrefix(es)") for p in s_given]
        )
        check_subnet_prefixes(name, statics, vnet_id)
        plans.append(
            {
                "body": sb,
                "name": name,
                "id": sid,
                "parsed": parsed,
                "raw": s_allocs,
                "old": old_allocs,
                "statics": statics,
                "blocks": {},
            }
        )
    # pass 1: fixed space — static subnets and the blocks allocating subnets already hold
    fixed: list[IPNetwork] = []
    space_by_fam = by_family(space_nets)
    for plan in plans:
        for fam, nets in by_family(plan["statics"]).items():
            if not ipam.covers(space_by_fam.get(fam, []), nets):
                raise bad_request(
                    "NetcfgInvalidSubnet",
                    f"Subnet '{plan['name']}' is not valid because its IP address range is outside the IP address "
                    f"range of virtual network '{vnet_id.rsplit('/', 1)[-1]}'.",
                )
        fixed.extend(plan["statics"])
        for pool, _ in plan["parsed"]:
            fixed.extend(plan["old"].get(pool.id.lower(), []))
    # pass 2: allocations (grow keeps existing blocks)
    placed: list[IPNetwork] = []
    for plan in plans:
        for pool, count in plan["parsed"]:
            containers = pool_blocks[pool.id.lower()]
            old_blocks = plan["old"].get(pool.id.lower(), [])
            used = [n for n in fixed + placed if n.version == pool.version]
            what = f"subnet '{plan['id']}'"
            try:
                if old_blocks:
                    blocks = ipam.grow(old_blocks, count, containers, used)
                else:
                    blocks = ipam.allocate(count, containers, used)
            except ipam.AllocationDecrease as exc:
                raise bad_request(
                    "IpamAllocationCannotBeDecreased",
                    f"The allocation of {what} from IPAM pool '{pool.id}' holds {exc.current} IP addresses and "
                    f"cannot be decreased to {exc.requested}.",
                ) from None
            except ipam.InsufficientAddressSpace as exc:
                raise bad_request(
                    "IpamPoolInsufficientAddressSpace",
                    f"The address space virtual network '{vnet_id}' holds from IPAM pool '{pool.id}' cannot "
                    f"provide {exc.requested} IP addresses for {what}: {exc}.",
                ) from None
            except ipam.InvalidAllocationCount as exc:
                raise bad_request(
                    "InvalidIpamPoolAllocationNumberOfIpAddresses",
                    f"Invalid allocation for {what}: {exc}.",
                ) from None
            placed.extend(b for b in blocks if b not in old_blocks)
            if summarize_grow and old_blocks and blocks != old_blocks:
                blocks = ipam.summarize(blocks)
            plan["blocks"][pool.id.lower()] = blocks
    # overlaps between subnets
    finals: list[tuple[str, list[IPNetwork]]] = []
    for plan in plans:
        nets = plan["statics"] or [b for bl in plan["blocks"].values() for b in bl]
        for other_name, other in finals:
            for fam, mine in by_family(nets).items():
                theirs = [n for n in other if n.version == fam]
                if theirs and ipam.overlapping(mine, theirs):
                    raise bad_request(
                        "NetcfgSubnetRangesOverlap",
                        f"Subnet '{plan['name']}' is not valid because its IP address range overlaps with that of "
                        f"an existing subnet '{other_name}' in virtual network '{vnet_id.rsplit('/', 1)[-1]}'.",
                    )
        finals.append((plan["name"], nets))
    out: list[dict[str, Any]] = []
    for plan in plans:
        sb = copy.deepcopy(plan["body"])
        sp = sb.setdefault("properties", {})
        if plan["parsed"]:
            entries = []
            for (pool, count), raw in zip(plan["parsed"], plan["raw"], strict=True):
                e = copy.deepcopy(raw)
                e["numberOfIpAddresses"] = str(count)
                e["allocatedAddressPrefixes"] = [str(b) for b in plan["blocks"][pool.id.lower()]]
                entries.append(e)
            sp["ipamPoolPrefixAllocations"] = entries
            sp["addressPrefixes"] = [p for e in entries for p in e["allocatedAddressPrefixes"]]
            sp.pop("addressPrefix", None)
        sp["provisioningState"] = "Updating"
        sp.setdefault("privateEndpointNetworkPolicies", "Disabled")
        sp.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
        sb.update(
            {
                "name": plan["name"],
                "id": plan["id"],
                "etag": etag,
                "type": "Microsoft.Network/virtualNetworks/subnets",
            }
        )
        out.append(sb)
    return out


def succeed(rec: VNet) -> None:
    """Mark the VNet and its subnets ``Succeeded`` (its operation ended well, or it was seeded)."""
    settle(rec, "Succeeded")


def settle(rec: VNet, state: str) -> None:
    """Set the ``provisioningState`` of the VNet and of each of its subnets."""
    props = rec.body.setdefault("properties", {})
    props["provisioningState"] = state
    for s in props.get("subnets") or []:
        s.setdefault("properties", {})["provisioningState"] = state


def pool_ids_referenced(body: dict[str, Any]) -> list[str]:
    """Pool ids a VNet PUT body references (VNet level and subnets), as sent, first occurrence kept."""
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        return []
    ids: list[str] = []
    space = props.get("addressSpace") or {}
    lists = [space.get("ipamPoolPrefixAllocations") or []] if isinstance(space, dict) else []
    # ARM checks the linked ids of the payload only (subnets kept from the stored VNet are not re-checked)
    subnets = props.get("subnets")
    for s in subnets if isinstance(subnets, list) else []:
        if isinstance(s, dict):
            lists.append((s.get("properties") or {}).get("ipamPoolPrefixAllocations") or [])
    seen: set[str] = set()
    for lst in lists:
        for a in lst if isinstance(lst, list) else []:
            pid = str(((a or {}).get("pool") or {}).get("id") or "") if isinstance(a, dict) else ""
            if pid and pid.lower() not in seen:
                seen.add(pid.lower())
                ids.append(pid)
    return ids
