"""Deploying a VNet with IPAM pool allocations: validation, request bodies, decisions, response parsing.

Pure functions over ARM JSON (no I/O), shared by the sync client and its async twin:

* `deployment_request` validates the caller's arguments before any request;
* `plan_deployment` decides, from the VNet as ARM returned it (or ``None`` when absent), whether to create,
  update (read-modify-write keeping every property and subnet the call does not name) or do nothing, and
  refuses a decrease before any write;
* `deployment_from_wire` turns ARM's VNet JSON into a
  [`VirtualNetworkDeployment`][crossipam.models.VirtualNetworkDeployment].

```python
from crossipam.deployment import deployment_request, plan_deployment

request = deployment_request(vnet_id, location="eastus", pool_id=pool_id, number_of_ip_addresses=100)
plan = plan_deployment(request, existing=None)
plan.action, plan.body["properties"]["addressSpace"]
# ('created', {'ipamPoolPrefixAllocations': [{'numberOfIpAddresses': '100', 'pool': {'id': '…'}}]})
```
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ._inflight import provisioning_state
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._validation import check_count, check_tags, merge_tags
from .errors import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    DeploymentRefusedError,
    InvalidInputError,
    InvalidResourceIdError,
    Remedy,
)
from .models import (
    DeploymentAction,
    IpamAllocation,
    IPNetwork,
    SubnetDeployment,
    SubnetSpec,
    VirtualNetworkDeployment,
    parse_networks,
)

if TYPE_CHECKING:  # annotations only (typing.Required needs Python 3.11)
    pass

__all__ = [
    "DeploymentPlan",
    "DeploymentRequest",
    "allocations_from_wire",
    "deployment_from_wire",
    "deployment_request",
    "plan_deployment",
    "put_body_from_existing",
]


@dataclass(frozen=True)
class DeploymentRequest:
    """Validated arguments of ``begin_deploy_virtual_network``.

    ```python
    deployment_request(vnet_id, location="eastus", pool_id=pool_id, number_of_ip_addresses=256)
    ```
    """

    vnet_id: VirtualNetworkId
    location: str
    pool_id: IpamPoolId
    number_of_ip_addresses: int
    subnets: tuple[SubnetSpec, ...] = ()
    ipv6_pool_id: IpamPoolId | None = None
    ipv6_number_of_ip_addresses: int | None = None
    tags: dict[str, str] | None = None

    def wanted(self) -> list[tuple[IpamPoolId, int]]:
        """The VNet-level allocations asked for: (pool, count), IPv4 first.

        ```python
        request.wanted()    # [(IpamPoolId(...pool-v4), 256), (IpamPoolId(...pool-v6), 256)]
        ```
        """
        out = [(self.pool_id, self.number_of_ip_addresses)]
        if self.ipv6_pool_id is not None and self.ipv6_number_of_ip_addresses is not None:
            out.append((self.ipv6_pool_id, self.ipv6_number_of_ip_addresses))
        return out

    def subnet_wanted(self, spec: SubnetSpec) -> list[tuple[IpamPoolId, int]]:
        """The allocations a subnet asks for: (pool, count), from the VNet's own pools.

        ```python
        request.subnet_wanted(SubnetSpec("app", 64))    # [(IpamPoolId(...pool-v4), 64)]
        ```
        """
        out = [(self.pool_id, spec.number_of_ip_addresses)]
        if spec.ipv6_number_of_ip_addresses is not None:
            assert self.ipv6_pool_id is not None
            out.append((self.ipv6_pool_id, spec.ipv6_number_of_ip_addresses))
        return out


# The most addresses a pool of each family can hold (the whole IPv4 / IPv6 space).
MAX_IPV4_ADDRESSES = 2**32
MAX_IPV6_ADDRESSES = 2**128


def deployment_request(
    vnet_id: str | VirtualNetworkId,
    *,
    location: str,
    pool_id: str | IpamPoolId,
    number_of_ip_addresses: int,
    subnets: Iterable[SubnetSpec] = (),
    ipv6_pool_id: str | IpamPoolId | None = None,
    ipv6_number_of_ip_addresses: int | None = None,
    tags: Mapping[str, str] | None = None,
) -> DeploymentRequest:
    """Validate the arguments (ids, counts, subnet names, IPv6 pairs, tags); raises
    [`InvalidInputError`][crossipam.errors.InvalidInputError] before any request.

    ```python
    deployment_request(vnet_id, location="eastus", pool_id=pool_id, number_of_ip_addresses=100,
                       subnets=[SubnetSpec("app", 64)])
    ```
    """
    vnet = VirtualNetworkId.parse(vnet_id)
    pool = IpamPoolId.parse(pool_id)
    if not isinstance(location, str) or not location.strip():
        raise InvalidInputError("location is required (e.g. 'eastus')")
    count = check_count(number_of_ip_addresses, "number_of_ip_addresses", MAX_IPV4_ADDRESSES)
    v6_pool = IpamPoolId.parse(ipv6_pool_id) if ipv6_pool_id is not None else None
    v6_count = None
    if (v6_pool is None) != (ipv6_number_of_ip_addresses is None):
        raise InvalidInputError(
            "ipv6_pool_id and ipv6_number_of_ip_addresses go together: give both or neither"
        )
    if ipv6_number_of_ip_addresses is not None:
        v6_count = check_count(ipv6_number_of_ip_addresses, "ipv6_number_of_ip_addresses", MAX_IPV6_ADDRESSES)
    if v6_pool is not None and v6_pool == pool:
        raise InvalidInputError("pool_id and ipv6_pool_id must be different pools (one IPv4, one IPv6)")
    specs = tuple(subnets)
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, SubnetSpec):
            raise InvalidInputError(f"subnets must be SubnetSpec values, got {type(spec).__name__}")
        if spec.name.lower() in seen:
            raise InvalidInputError(f"subnet {spec.name!r} is given twice")
        seen.add(spec.name.lower())
        if spec.ipv6_number_of_ip_addresses is not None and v6_pool is None:
            raise InvalidInputError(
                f"subnet {spec.name!r} asks for IPv6 addresses but no ipv6_pool_id is given"
            )
    if sum(s.number_of_ip_addresses for s in specs) > count:
        raise InvalidInputError(
            f"the subnets ask for {sum(s.number_of_ip_addresses for s in specs)} IPv4 addresses, more than the "
            f"VNet's {count}"
        )
    if v6_count is not None and sum(s.ipv6_number_of_ip_addresses or 0 for s in specs) > v6_count:
        raise InvalidInputError("the subnets ask for more IPv6 addresses than the VNet's allocation")
    clean_tags = check_tags(tags) if tags is not None else None
    return DeploymentRequest(vnet, location.strip(), pool, count, specs, v6_pool, v6_count, clean_tags)


# ---- ARM JSON helpers ---------------------------------------------------------------------------------


def _alloc_entry(pool: IpamPoolId, count: int) -> dict[str, Any]:
    return {"numberOfIpAddresses": str(count), "pool": {"id": str(pool)}}


def _pool_of(entry: Mapping[str, Any]) -> str:
    return str((entry.get("pool") or {}).get("id") or "")


def _entry_count(entry: Mapping[str, Any]) -> int:
    try:
        return int(str(entry.get("numberOfIpAddresses", "0")).strip())
    except ValueError:
        return 0


def _entry_family(entry: Mapping[str, Any]) -> int | None:
    nets = entry.get("allocatedAddressPrefixes") or []
    try:
        return ipaddress.ip_network(str(nets[0])).version if nets else None
    except ValueError:
        return None


def _families(existing: Mapping[str, Any]) -> dict[str, int]:
    """IP version of each pool the VNet (or a subnet) holds space from, judged by the allocated prefixes."""
    props = existing.get("properties") or {}
    lists = [(props.get("addressSpace") or {}).get("ipamPoolPrefixAllocations") or []]
    lists += [
        ((s or {}).get("properties") or {}).get("ipamPoolPrefixAllocations") or []
        for s in props.get("subnets") or []
    ]
    out: dict[str, int] = {}
    for entries in lists:
        for e in entries:
            family = _entry_family(e)
            if family is not None:
                out.setdefault(_pool_of(e).lower(), family)
    return out


def _same_location(a: str, b: str) -> bool:
    return a.replace(" ", "").lower() == b.replace(" ", "").lower()


def _strip_allocation_mirrors(container: dict[str, Any], prefix_keys: tuple[str, ...]) -> None:
    """Where a container (address space or subnet properties) uses pool allocations, drop the read-only mirrors
    (``addressPrefixes``/``addressPrefix`` and each entry's ``allocatedAddressPrefixes``)."""
    allocs = container.get("ipamPoolPrefixAllocations")
    if not allocs:
        return
    for key in prefix_keys:
        container.pop(key, None)
    for entry in allocs:
        if isinstance(entry, dict):
            entry.pop("allocatedAddressPrefixes", None)


def put_body_from_existing(existing: Mapping[str, Any]) -> dict[str, Any]:
    """The body to PUT back for a read-modify-write: the VNet as read, minus read-only fields and the
    allocation mirrors (everything else — subnets, peerings, DNS, tags, … — is kept).

    ```python
    body = put_body_from_existing(vnet_json)
    "etag" in body, "provisioningState" in body["properties"]   # (False, False)
    ```
    """
    body = copy.deepcopy(dict(existing))
    for key in ("etag", "id", "name", "type"):
        body.pop(key, None)
    props = body.setdefault("properties", {})
    for key in ("provisioningState", "resourceGuid"):
        props.pop(key, None)
    space = props.get("addressSpace")
    if isinstance(space, dict):
        _strip_allocation_mirrors(space, ("addressPrefixes",))
    for sub in props.get("subnets") or []:
        if not isinstance(sub, dict):
            continue
        for key in ("etag", "type"):
            sub.pop(key, None)
        sp = sub.get("properties")
        if isinstance(sp, dict):
            sp.pop("provisioningState", None)
            _strip_allocation_mirrors(sp, ("addressPrefixes", "addressPrefix"))
    return body


# ---- planning -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentPlan:
    """What to do: ``body`` to PUT (``None`` when nothing changes), the action, and the ETag to send.

    ```python
    plan = plan_deployment(request, existing)
    if plan.body is None: ...   # unchanged: no write at all
    ```
    """

    action: Literal["created", "updated", "unchanged"]
    body: dict[str, Any] | None
    if_match: str | None = None
    changes: tuple[str, ...] = field(default=())


def _decrease(
    what: str, vnet: VirtualNetworkId, pool: IpamPoolId, current: int, requested: int
) -> AllocationDecreaseError:
    return AllocationDecreaseError(
        f"{what} of {vnet} holds {current} addresses from pool {pool.name} and cannot be decreased to {requested}",
        current=current,
        requested=requested,
        pool_id=str(pool),
        resource_id=str(vnet),
        hint=Remedy(
            "IPAM allocations only grow. Ask for at least the current count, or remove the allocation ({action}) "
            "and deploy a new VNet",
            "begin_remove_allocation",
            call_syntax=False,
        ),
    )


def _merge_allocations(
    entries: list[dict[str, Any]],
    wanted: list[tuple[IpamPoolId, int]],
    *,
    what: str,
    request: DeploymentRequest,
    changes: list[str],
    families: Mapping[str, int],
) -> None:
    """Update ``entries`` (a VNet's or subnet's ``ipamPoolPrefixAllocations``) in place to hold ``wanted``."""
    for pool, count in wanted:
        family = 6 if request.ipv6_pool_id is not None and pool == request.ipv6_pool_id else 4
        match = next((e for e in entries if _pool_of(e).lower() == str(pool).lower()), None)
        if match is None:
            other = next(
                (
                    e
                    for e in entries
                    if families.get(_pool_of(e).lower(), 4) == family
                    and _pool_of(e).lower() != str(pool).lower()
                ),
                None,
            )
            if other is not None:
                raise AddressSpaceConflictError(
                    f"{what} of {request.vnet_id} already takes IPv{family} space from pool {_pool_of(other)}, "
                    f"not {pool}",
                    resource_id=str(request.vnet_id),
                    hint=(
                        "a VNet takes space from one pool per IP version; moving to another pool renumbers it. "
                        "Deploy with the pool it uses, or remove the allocation first"
                    ),
                )
            entries.append(_alloc_entry(pool, count))
            changes.append(f"{what}: allocate {count} addresses from {pool.name}")
            continue
        current = _entry_count(match)
        if count < current:
            raise _decrease(what, request.vnet_id, pool, current, count)
        if count > current:
            match["numberOfIpAddresses"] = str(count)
            changes.append(f"{what}: grow {pool.name} allocation {current} -> {count}")


def _create_body(request: DeploymentRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": request.location,
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [_alloc_entry(p, n) for p, n in request.wanted()],
            },
        },
    }
    if request.tags:
        body["tags"] = dict(request.tags)
    if request.subnets:
        body["properties"]["subnets"] = [
            {
                "name": spec.name,
                "properties": {
                    "ipamPoolPrefixAllocations": [_alloc_entry(p, n) for p, n in request.subnet_wanted(spec)]
                },
            }
            for spec in request.subnets
        ]
    return body


def plan_deployment(request: DeploymentRequest, existing: Mapping[str, Any] | None) -> DeploymentPlan:
    """Decide create / update / nothing from the VNet as read (``None``: it does not exist).

    Raises [`AllocationDecreaseError`][crossipam.errors.AllocationDecreaseError] for a decrease and
    [`AddressSpaceConflictError`][crossipam.errors.AddressSpaceConflictError] when the VNet uses static
    prefixes or another pool — before anything is written. A VNet that the last operation left ``Failed`` is
    never ``unchanged``: it is written back (Azure's way to re-apply it). ``existing`` must be in a terminal
    state (the clients wait).

    ```python
    plan_deployment(request, None).action          # 'created'
    plan_deployment(request, same_vnet).body       # None: nothing to change
    ```
    """
    if existing is None:
        return DeploymentPlan("created", _create_body(request), None, ("create",))
    vnet = request.vnet_id
    location = str(existing.get("location") or "")
    if location and not _same_location(location, request.location):
        raise DeploymentRefusedError(
            f"{vnet} exists in location {location!r}, not {request.location!r}",
            resource_id=str(vnet),
            hint="a VNet cannot move; pass its current location",
        )
    body = put_body_from_existing(existing)
    props = body.setdefault("properties", {})
    space = props.setdefault("addressSpace", {})
    entries: list[dict[str, Any]] = space.setdefault("ipamPoolPrefixAllocations", [])
    static = parse_networks(
        (existing.get("properties") or {}).get("addressSpace", {}).get("addressPrefixes") or []
    )
    if not entries and static:
        raise AddressSpaceConflictError(
            f"{vnet} uses static address prefixes {[str(n) for n in static]}, not an IPAM pool allocation",
            resource_id=str(vnet),
            hint=(
                "crossipam does not renumber a VNet: deploy a new VNet from the pool, or keep managing this "
                "one's static prefixes"
            ),
        )
    changes: list[str] = []
    families = _families(existing)
    _merge_allocations(
        entries, request.wanted(), what="the VNet", request=request, changes=changes, families=families
    )
    if request.subnets:
        subnets: list[dict[str, Any]] = props.setdefault("subnets", [])
        for spec in request.subnets:
            sub = next((s for s in subnets if str(s.get("name", "")).lower() == spec.name.lower()), None)
            wanted = request.subnet_wanted(spec)
            if sub is None:
                subnets.append(
                    {
                        "name": spec.name,
                        "properties": {"ipamPoolPrefixAllocations": [_alloc_entry(p, n) for p, n in wanted]},
                    }
                )
                changes.append(f"subnet {spec.name}: create")
                continue
            sp = sub.setdefault("properties", {})
            s_entries: list[dict[str, Any]] = sp.setdefault("ipamPoolPrefixAllocations", [])
            if not s_entries and (sp.get("addressPrefix") or sp.get("addressPrefixes")):
                raise AddressSpaceConflictError(
                    f"subnet {spec.name} of {vnet} uses static address prefixes, not an IPAM pool allocation",
                    resource_id=str(vnet),
                    hint="leave that subnet out of subnets=, or give the new subnet another name",
                )
            _merge_allocations(
                s_entries,
                wanted,
                what=f"subnet {spec.name}",
                request=request,
                changes=changes,
                families=families,
            )
    if request.tags is not None:
        tags = {str(k): str(v) for k, v in (existing.get("tags") or {}).items()}
        merged = merge_tags(tags, request.tags, resource_id=str(vnet))
        if merged != tags:
            body["tags"] = merged
            changes.append("tags")
    if not changes and (provisioning_state(existing) or "").lower() == "failed":
        # the last operation left it Failed: a PUT of what it holds is how Azure re-applies it
        changes.append("re-apply: the last operation left the VNet Failed")
    if not changes:
        return DeploymentPlan("unchanged", None, str(existing.get("etag") or "") or None, ())
    etag = existing.get("etag")
    return DeploymentPlan("updated", body, str(etag) if etag else None, tuple(changes))


# ---- parsing ------------------------------------------------------------------------------------------


def allocations_from_wire(entries: Iterable[Mapping[str, Any]] | None) -> list[IpamAllocation]:
    """Parse ``ipamPoolPrefixAllocations`` entries (skipping ones whose pool id is not an IPAM pool id).

    ```python
    allocations_from_wire([{"numberOfIpAddresses": "100", "pool": {"id": pool_id},
                            "allocatedAddressPrefixes": ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]}])
    ```
    """
    out: list[IpamAllocation] = []
    for e in entries or []:
        try:
            pool = IpamPoolId.parse(_pool_of(e))
        except InvalidResourceIdError:
            continue
        out.append(IpamAllocation(pool, _entry_count(e), parse_networks(e.get("allocatedAddressPrefixes"))))
    return out


def _prefixes(container: Mapping[str, Any], allocations: list[IpamAllocation]) -> list[IPNetwork]:
    given: list[Any] = list(container.get("addressPrefixes") or [])
    if container.get("addressPrefix"):
        given.insert(0, container["addressPrefix"])
    nets = parse_networks(given) if given else [p for a in allocations for p in a.allocated_prefixes]
    seen: set[IPNetwork] = set()
    return [n for n in nets if not (n in seen or seen.add(n))]  # type: ignore[func-returns-value]


def deployment_from_wire(
    body: Mapping[str, Any], action: DeploymentAction = "read", *, vnet_id: VirtualNetworkId | None = None
) -> VirtualNetworkDeployment:
    """Parse ARM's VNet JSON into a [`VirtualNetworkDeployment`][crossipam.models.VirtualNetworkDeployment].

    ```python
    deployment_from_wire(vnet_json, "created").address_prefixes
    ```
    """
    props = body.get("properties") or {}
    space = props.get("addressSpace") or {}
    allocations = allocations_from_wire(space.get("ipamPoolPrefixAllocations"))
    subnets: list[SubnetDeployment] = []
    for s in props.get("subnets") or []:
        sp = s.get("properties") or {}
        s_allocs = allocations_from_wire(sp.get("ipamPoolPrefixAllocations"))
        subnets.append(SubnetDeployment(str(s.get("name", "")), _prefixes(sp, s_allocs), s_allocs))
    rid = vnet_id
    if body.get("id"):
        rid = VirtualNetworkId.parse(str(body["id"]))
    if rid is None:
        raise InvalidInputError("the VNet JSON has no id")
    return VirtualNetworkDeployment(
        vnet_id=rid,
        location=str(body.get("location") or ""),
        address_prefixes=_prefixes(space, allocations),
        allocations=allocations,
        subnets=subnets,
        tags={str(k): str(v) for k, v in (body.get("tags") or {}).items()},
        etag=str(body["etag"]) if body.get("etag") else None,
        provisioning_state=str(props["provisioningState"]) if props.get("provisioningState") else None,
        action=action,
    )
