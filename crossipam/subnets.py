"""One subnet at a time: validation, decisions and parsing for ``begin_deploy_subnet`` and
``begin_remove_subnet_allocation``.

Pure functions over ARM JSON (no I/O), shared by the sync client and its async twin (the flows of
``crossipam._subnet_flows`` call them):

* `subnet_request` validates the caller's arguments before any request;
* `plan_subnet` decides, from the VNet as read (settled), whether the subnet is created, grown or left
  unchanged — and refuses a decrease, a pool the VNet takes no space from, a pool of the wrong IP family or a
  subnet with static prefixes, before any write;
* `plan_subnet_removal` turns the subnet's allocations into static ``addressPrefixes`` holding the same
  prefixes (nothing is renumbered);
* `subnet_from_wire` turns ARM's subnet JSON into a [`SubnetResult`][crossipam.subnets.SubnetResult].

Only the one subnet's body is ever written (the Subnets API): the VNet's other subnets are not part of the
request, so a concurrent change to them cannot be overwritten.

```python
from crossipam.subnets import plan_subnet, subnet_request

request = subnet_request(vnet_id, SubnetSpec("app", 64))
plan = plan_subnet(request, vnet_json)
plan.action, plan.body      # ('created', {'name': 'app', 'properties': {'ipamPoolPrefixAllocations': [...]}})
```
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from ._inflight import provisioning_state
from ._resource_ids import SUBNET_NAME, IpamPoolId, VirtualNetworkId
from .deployment import allocations_from_wire
from .errors import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    InvalidInputError,
    NotFoundError,
    Remedy,
)
from .models import DeploymentAction, IpamAllocation, IPNetwork, SubnetSpec, parse_networks

__all__ = [
    "SubnetPlan",
    "SubnetPools",
    "SubnetRequest",
    "SubnetResult",
    "check_subnet_name",
    "find_subnet",
    "plan_subnet",
    "plan_subnet_removal",
    "subnet_from_wire",
    "subnet_not_found",
    "subnet_request",
]

#: Read-only subnet properties (azure-mgmt-network's ``Subnet`` model: ``visibility=["read"]``), never sent back.
_READ_ONLY = (
    "provisioningState",
    "privateEndpoints",
    "ipConfigurations",
    "ipConfigurationProfiles",
    "resourceNavigationLinks",
    "serviceAssociationLinks",
    "purpose",
)


@dataclass(frozen=True)
class SubnetResult:
    """The state of one subnet after ``begin_deploy_subnet`` or ``begin_remove_subnet_allocation`` (what ARM
    returned), plus what the call did.

    ```python
    result = client.begin_deploy_subnet(vnet_id, SubnetSpec("app", 64)).result()
    result.action, result.address_prefixes   # ('created', [IPv4Network('10.0.0.0/26')])
    ```
    """

    vnet_id: VirtualNetworkId
    name: str
    address_prefixes: list[IPNetwork] = field(default_factory=list)
    allocations: list[IpamAllocation] = field(default_factory=list)
    etag: str | None = None
    provisioning_state: str | None = None
    action: DeploymentAction = "read"

    @property
    def subnet_id(self) -> str:
        """The subnet's resource id.

        ```python
        result.subnet_id     # '/subscriptions/…/virtualNetworks/vnet1/subnets/app'
        ```
        """
        return f"{self.vnet_id}/subnets/{self.name}"

    @property
    def changed(self) -> bool:
        """Whether the call wrote to Azure.

        ```python
        client.begin_deploy_subnet(vnet_id, same_spec).result().changed    # False
        ```
        """
        return self.action in ("created", "updated", "removed")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ids, ``name``, ``action``, prefixes as text, allocations, ``provisioning_state``.

        ```python
        result.to_dict()["address_prefixes"]     # ['10.0.0.0/26']
        ```
        """
        return {
            "subnet_id": self.subnet_id,
            "vnet_id": str(self.vnet_id),
            "name": self.name,
            "action": self.action,
            "address_prefixes": [str(n) for n in self.address_prefixes],
            "allocations": [a.to_dict() for a in self.allocations],
            "provisioning_state": self.provisioning_state,
        }


class SubnetPools(TypedDict, total=False):
    """The keyword arguments of ``begin_deploy_subnet``: which of the VNet's pools the subnet takes space from.

    ```python
    client.begin_deploy_subnet(vnet_id, SubnetSpec("app", 64), pool_id=pool_id)
    ```
    """

    pool_id: str | IpamPoolId | None
    """The VNet's IPv4 pool (default: the one the VNet takes IPv4 space from)."""
    ipv6_pool_id: str | IpamPoolId | None
    """The VNet's IPv6 pool (default: the one the VNet takes IPv6 space from)."""


@dataclass(frozen=True)
class SubnetRequest:
    """Validated arguments of ``begin_deploy_subnet``: the VNet, the subnet and (optionally) its pools.

    ```python
    subnet_request(vnet_id, SubnetSpec("app", 64)).spec.name     # 'app'
    ```
    """

    vnet_id: VirtualNetworkId
    spec: SubnetSpec
    pool_id: IpamPoolId | None = None
    ipv6_pool_id: IpamPoolId | None = None


def subnet_request(
    vnet_id: str | VirtualNetworkId,
    spec: SubnetSpec,
    *,
    pool_id: str | IpamPoolId | None = None,
    ipv6_pool_id: str | IpamPoolId | None = None,
) -> SubnetRequest:
    """Validate the arguments of ``begin_deploy_subnet``; raises
    [`InvalidInputError`][crossipam.errors.InvalidInputError] before any request.

    Args:
        vnet_id: The virtual network: a resource id or a parsed `VirtualNetworkId`.
        spec: The subnet: a [`SubnetSpec`][crossipam.models.SubnetSpec].
        pool_id: The IPv4 pool (default: the one the VNet takes IPv4 space from).
        ipv6_pool_id: The IPv6 pool (default: the one the VNet takes IPv6 space from).

    ```python
    subnet_request(vnet_id, SubnetSpec("app", 64), pool_id=pool_id)
    ```
    """
    vnet = VirtualNetworkId.parse(vnet_id)
    if not isinstance(spec, SubnetSpec):
        raise InvalidInputError(f"the subnet must be a SubnetSpec, got {type(spec).__name__}")
    pool = IpamPoolId.parse(pool_id) if pool_id is not None else None
    v6 = IpamPoolId.parse(ipv6_pool_id) if ipv6_pool_id is not None else None
    if v6 is not None and spec.ipv6_number_of_ip_addresses is None:
        raise InvalidInputError(f"ipv6_pool_id is given but subnet {spec.name!r} asks for no IPv6 addresses")
    if pool is not None and v6 is not None and pool == v6:
        raise InvalidInputError("pool_id and ipv6_pool_id must be different pools (one IPv4, one IPv6)")
    return SubnetRequest(vnet, spec, pool, v6)


def check_subnet_name(name: object) -> str:
    """Validate a subnet name before any request (Azure's rule); raises
    [`InvalidInputError`][crossipam.errors.InvalidInputError].

    Args:
        name: The subnet's name.

    ```python
    check_subnet_name("app")     # 'app'
    ```
    """
    return SUBNET_NAME.check(name)


# ---- reading the VNet's JSON ------------------------------------------------------------------------------


def find_subnet(vnet_json: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """The subnet named ``name`` (case-insensitive) in the VNet's JSON, or ``None``.

    Args:
        vnet_json: The VNet as ARM returned it.
        name: The subnet's name.

    ```python
    find_subnet(vnet_json, "app")["properties"]["addressPrefixes"]
    ```
    """
    for s in (vnet_json.get("properties") or {}).get("subnets") or []:
        if isinstance(s, dict) and str(s.get("name", "")).lower() == name.lower():
            return s
    return None


def subnet_not_found(vnet: VirtualNetworkId, name: str, tenant_id: str) -> NotFoundError:
    """The error for a removal of a subnet the VNet does not have.

    Args:
        vnet: The VNet.
        name: The subnet's name.
        tenant_id: The managed tenant.

    ```python
    raise subnet_not_found(vnet, "app", b)
    ```
    """
    return NotFoundError(
        f"subnet {name!r} of {vnet} was not found",
        code="NotFound",
        status=404,
        tenant_id=tenant_id,
        hint="check the subnet's name (client.get_virtual_network_allocation(vnet_id).subnets lists them)",
    )


def _prefixes(sp: Mapping[str, Any], allocations: list[IpamAllocation]) -> list[IPNetwork]:
    given: list[Any] = list(sp.get("addressPrefixes") or [])
    if sp.get("addressPrefix") and sp["addressPrefix"] not in given:
        given.insert(0, sp["addressPrefix"])
    return parse_networks(given) if given else [p for a in allocations for p in a.allocated_prefixes]


def subnet_from_wire(
    body: Mapping[str, Any], action: DeploymentAction, *, vnet_id: VirtualNetworkId
) -> SubnetResult:
    """Parse ARM's subnet JSON into a [`SubnetResult`][crossipam.subnets.SubnetResult].

    Args:
        body: The subnet as ARM returned it (a subnet GET or a member of the VNet's ``subnets``).
        action: What the call did.
        vnet_id: The VNet the subnet belongs to.

    ```python
    subnet_from_wire(subnet_json, "created", vnet_id=vnet).address_prefixes
    ```
    """
    sp = body.get("properties") or {}
    allocations = allocations_from_wire(sp.get("ipamPoolPrefixAllocations"))
    return SubnetResult(
        vnet_id=vnet_id,
        name=str(body.get("name") or ""),
        address_prefixes=_prefixes(sp, allocations),
        allocations=allocations,
        etag=str(body["etag"]) if body.get("etag") else None,
        provisioning_state=str(sp["provisioningState"]) if sp.get("provisioningState") else None,
        action=action,
    )


# ---- planning ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubnetPlan:
    """What to do with the subnet: ``body`` to PUT (``None`` when nothing changes), the action, the ETag to send
    (``None``: a create, sent with ``If-None-Match: *``) and what changes.

    ```python
    plan = plan_subnet(request, vnet_json)
    if plan.body is None: ...      # unchanged: no write at all
    ```
    """

    action: Literal["created", "updated", "unchanged", "removed", "no_allocation"]
    body: dict[str, Any] | None
    if_match: str | None = None
    changes: tuple[str, ...] = field(default=())


def _conflict(vnet: VirtualNetworkId, message: str, hint: str) -> AddressSpaceConflictError:
    return AddressSpaceConflictError(f"{message} ({vnet})", resource_id=str(vnet), hint=hint)


def _vnet_pool(
    vnet: VirtualNetworkId, allocations: list[IpamAllocation], wanted: IpamPoolId | None, family: int
) -> IpamPoolId:
    """The VNet's pool of IP version ``family`` the subnet takes space from (``wanted``, if given)."""
    mine = {str(a.pool_id).lower(): a for a in allocations}
    pools = ", ".join(a.pool_id.name for a in allocations) or "none"
    if wanted is not None:
        found = mine.get(str(wanted).lower())
        if found is None:
            raise _conflict(
                vnet,
                f"the VNet takes no space from pool {wanted.name} (its pools: {pools})",
                "a subnet takes its space from the VNet's own allocation: name one of the VNet's pools, or grow "
                "the VNet from that pool first (begin_deploy_virtual_network)",
            )
        if found.ip_version is not None and found.ip_version != family:
            raise _conflict(
                vnet,
                f"pool {wanted.name} is an IPv{found.ip_version} pool, not IPv{family}",
                "pass the IPv4 pool as pool_id and the IPv6 pool as ipv6_pool_id",
            )
        return found.pool_id
    of_family = [a for a in allocations if (a.ip_version or 4) == family]
    if not of_family:
        raise _conflict(
            vnet,
            f"the VNet takes no IPv{family} space from an IPAM pool (its pools: {pools})",
            "deploy the VNet from a pool first (begin_deploy_virtual_network), or manage this VNet's static "
            "subnets with the Azure CLI",
        )
    return of_family[0].pool_id


def _wanted(request: SubnetRequest, vnet_allocs: list[IpamAllocation]) -> list[tuple[IpamPoolId, int, int]]:
    """(pool, count, IP version) the subnet asks for, checked against the VNet's allocations."""
    spec, vnet = request.spec, request.vnet_id
    out = [(_vnet_pool(vnet, vnet_allocs, request.pool_id, 4), spec.number_of_ip_addresses, 4)]
    if spec.ipv6_number_of_ip_addresses is not None:
        out.append(
            (_vnet_pool(vnet, vnet_allocs, request.ipv6_pool_id, 6), spec.ipv6_number_of_ip_addresses, 6)
        )
    for pool, count, family in out:
        held = next(a for a in vnet_allocs if a.pool_id == pool).number_of_ip_addresses
        if count > held:
            raise _conflict(
                vnet,
                f"subnet {spec.name} asks for {count} IPv{family} addresses, more than the VNet's {held} from "
                f"pool {pool.name}",
                "grow the VNet first (begin_deploy_virtual_network with a larger number_of_ip_addresses)",
            )
    return out


def _entry(pool: IpamPoolId, count: int) -> dict[str, Any]:
    return {"numberOfIpAddresses": str(count), "pool": {"id": str(pool)}}


def _put_body(subnet: Mapping[str, Any]) -> dict[str, Any]:
    """The subnet as read, minus read-only fields and (where it uses allocations) the prefix mirrors."""
    body = copy.deepcopy(dict(subnet))
    for key in ("etag", "type"):
        body.pop(key, None)
    sp = body.setdefault("properties", {})
    for key in _READ_ONLY:
        sp.pop(key, None)
    if sp.get("ipamPoolPrefixAllocations"):
        sp.pop("addressPrefix", None)
        sp.pop("addressPrefixes", None)
        for entry in sp["ipamPoolPrefixAllocations"]:
            if isinstance(entry, dict):
                entry.pop("allocatedAddressPrefixes", None)
    return body


def _decrease(request: SubnetRequest, pool: IpamPoolId, current: int, count: int) -> AllocationDecreaseError:
    return AllocationDecreaseError(
        f"subnet {request.spec.name} of {request.vnet_id} holds {current} addresses from pool {pool.name} and "
        f"cannot be decreased to {count}",
        current=current,
        requested=count,
        pool_id=str(pool),
        resource_id=f"{request.vnet_id}/subnets/{request.spec.name}",
        hint=Remedy(
            "IPAM allocations only grow. Ask for at least the current count, or remove the subnet's allocation "
            "({action}) and create a new subnet",
            "begin_remove_subnet_allocation",
            call_syntax=False,
        ),
    )


def plan_subnet(request: SubnetRequest, vnet_json: Mapping[str, Any]) -> SubnetPlan:
    """Decide create / grow / nothing for the subnet, from the VNet as read (settled).

    Raises [`AllocationDecreaseError`][crossipam.errors.AllocationDecreaseError] for a decrease and
    [`AddressSpaceConflictError`][crossipam.errors.AddressSpaceConflictError] for a pool the VNet takes no space
    from, a pool of the wrong IP family, more addresses than the VNet holds, or a subnet that uses static
    prefixes (or another pool) — before anything is written. A subnet the last operation left ``Failed`` is
    written back, never ``unchanged``.

    Args:
        request: The validated request ([`subnet_request`][crossipam.subnets.subnet_request]).
        vnet_json: The VNet as ARM returned it (in a terminal state).

    ```python
    plan_subnet(request, vnet_json).action     # 'created' | 'updated' | 'unchanged'
    ```
    """
    spec, vnet = request.spec, request.vnet_id
    space = (vnet_json.get("properties") or {}).get("addressSpace") or {}
    wanted = _wanted(request, allocations_from_wire(space.get("ipamPoolPrefixAllocations")))
    existing = find_subnet(vnet_json, spec.name)
    if existing is None:
        created: dict[str, Any] = {
            "name": spec.name,
            "properties": {"ipamPoolPrefixAllocations": [_entry(p, n) for p, n, _ in wanted]},
        }
        return SubnetPlan("created", created, None, (f"subnet {spec.name}: create",))
    body = _put_body(existing)
    sp = body["properties"]
    entries: list[dict[str, Any]] = sp.setdefault("ipamPoolPrefixAllocations", [])
    if not entries:
        raise _conflict(
            vnet,
            f"subnet {spec.name} uses static address prefixes, not an IPAM pool allocation",
            "crossipam does not renumber a subnet: give the new subnet another name",
        )
    held = {
        str(a.pool_id).lower(): a
        for a in allocations_from_wire((existing.get("properties") or {}).get("ipamPoolPrefixAllocations"))
    }
    changes: list[str] = []
    for pool, count, family in wanted:
        match = next(
            (e for e in entries if str((e.get("pool") or {}).get("id", "")).lower() == str(pool).lower()),
            None,
        )
        if match is None or str(pool).lower() not in held:
            other = next((a for a in held.values() if (a.ip_version or 4) == family), None)
            if other is not None:
                raise _conflict(
                    vnet,
                    f"subnet {spec.name} takes IPv{family} space from pool {other.pool_id.name}, not {pool.name}",
                    "a subnet takes space from one pool per IP version; moving it renumbers it",
                )
            entries.append(_entry(pool, count))
            changes.append(f"subnet {spec.name}: allocate {count} addresses from {pool.name}")
            continue
        current = held[str(pool).lower()].number_of_ip_addresses
        if count < current:
            raise _decrease(request, pool, current, count)
        if count > current:
            match["numberOfIpAddresses"] = str(count)
            changes.append(f"subnet {spec.name}: grow {pool.name} allocation {current} -> {count}")
    if not changes and (provisioning_state(existing) or "").lower() == "failed":
        changes.append(f"subnet {spec.name}: re-apply (the last operation left it Failed)")
    etag = str(existing.get("etag") or "") or None
    if not changes:
        return SubnetPlan("unchanged", None, etag, ())
    return SubnetPlan("updated", body, etag, tuple(changes))


def plan_subnet_removal(vnet_json: Mapping[str, Any], name: str) -> SubnetPlan | None:
    """Plan converting the subnet's pool allocations into static ``addressPrefixes`` holding the same prefixes
    (``None`` when the VNet has no such subnet).

    Args:
        vnet_json: The VNet as ARM returned it (in a terminal state).
        name: The subnet's name.

    ```python
    plan_subnet_removal(vnet_json, "app").body["properties"]     # {'addressPrefixes': ['10.0.0.0/26']}
    ```
    """
    existing = find_subnet(vnet_json, name)
    if existing is None:
        return None
    etag = str(existing.get("etag") or "") or None
    allocations = allocations_from_wire((existing.get("properties") or {}).get("ipamPoolPrefixAllocations"))
    if not allocations:
        if (provisioning_state(existing) or "").lower() == "failed":
            return SubnetPlan("removed", _put_body(existing), etag, ("re-apply: the subnet is Failed",))
        return SubnetPlan("no_allocation", None, etag, ())
    body = _put_body(existing)
    sp = body["properties"]
    sp.pop("ipamPoolPrefixAllocations", None)
    sp["addressPrefixes"] = [str(p) for a in allocations for p in a.allocated_prefixes]
    freed = tuple(f"{a.pool_id.name}: {a.number_of_ip_addresses}" for a in allocations)
    return SubnetPlan("removed", body, etag, freed)
