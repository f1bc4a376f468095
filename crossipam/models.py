"""Typed, frozen models: clouds, subnet specs, deployments, pool usage and pool allocations.

Counts are ``int``, prefixes are `ipaddress` networks, times are ``datetime``, ids are parsed — never the
strings the wire carries.

```python
from crossipam import SubnetSpec

spec = SubnetSpec("workloads", 64)
deployment = client.begin_deploy_virtual_network(vnet_id, location="eastus", pool_id=pool_id,
                                                 number_of_ip_addresses=256, subnets=[spec]).result()
deployment.address_prefixes        # [IPv4Network('10.0.0.0/24')]
```
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from ._cloud import CloudEndpoints, CloudLike
from ._resource_ids import SUBNET_NAME, IpamPoolId, ResourceId, VirtualNetworkId
from .errors import CrossIpamError, InvalidInputError, InvalidResourceIdError

__all__ = [
    "BulkItemResult",
    "ChildPool",
    "CloudEndpoints",
    "CloudLike",
    "DeploymentAction",
    "DeploymentSpec",
    "IPNetwork",
    "IpamAllocation",
    "PoolAllocation",
    "PoolUsage",
    "SubnetDeployment",
    "SubnetSpec",
    "VirtualNetworkDeployment",
    "parse_networks",
]

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]  # noqa: UP007 (a runtime alias on 3.10)

DeploymentAction = Literal["created", "updated", "unchanged", "removed", "no_allocation", "read"]
"""What a deploy/remove call did: ``created``/``updated`` (deploy), ``unchanged`` (nothing to do, no write),
``removed`` (allocations converted to static prefixes), ``no_allocation`` (removal had nothing to remove)."""

MIN_IPV4_SUBNET_ADDRESSES = 8
"""Azure's smallest IPv4 subnet is a /29 (its five reserved addresses leave three usable)."""


def _positive(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInputError(f"{what} must be a positive integer, got {value!r}")
    return value


@dataclass(frozen=True)
class SubnetSpec:
    """A subnet that takes ``number_of_ip_addresses`` from the VNet's IPv4 pool (and optionally
    ``ipv6_number_of_ip_addresses`` from its IPv6 pool). The name follows Azure's subnet rule (1 to 80
    characters: letters, digits, ``_``, ``.``, ``-``; first a letter or digit; last a letter, digit or ``_``),
    checked when the spec is built ([`InvalidInputError`][crossipam.errors.InvalidInputError]).

    ```python
    SubnetSpec("workloads", 64)
    SubnetSpec("dual", 32, ipv6_number_of_ip_addresses=2**64)
    ```
    """

    name: str
    number_of_ip_addresses: int
    ipv6_number_of_ip_addresses: int | None = None

    def __post_init__(self) -> None:
        SUBNET_NAME.check(self.name)
        _positive(self.number_of_ip_addresses, f"subnet {self.name!r} number_of_ip_addresses")
        if self.number_of_ip_addresses < MIN_IPV4_SUBNET_ADDRESSES:
            raise InvalidInputError(
                f"subnet {self.name!r} number_of_ip_addresses is {self.number_of_ip_addresses}: Azure's "
                f"smallest IPv4 subnet is a /29 (ask for at least {MIN_IPV4_SUBNET_ADDRESSES} addresses)"
            )
        if self.ipv6_number_of_ip_addresses is not None:
            _positive(self.ipv6_number_of_ip_addresses, f"subnet {self.name!r} ipv6_number_of_ip_addresses")


def parse_networks(values: Iterable[object] | None, what: str = "address prefixes") -> list[IPNetwork]:
    """Parse CIDR strings (or networks) into `ipaddress` networks; raises
    [`InvalidInputError`][crossipam.errors.InvalidInputError].

    Args:
        values: CIDR strings (surrounding spaces ignored, no host bits) or networks; ``None`` is empty.
        what: What the values are, for the error message.

    ```python
    parse_networks(["10.0.0.0/24"])   # [IPv4Network('10.0.0.0/24')]
    ```
    """
    out: list[IPNetwork] = []
    for v in values or ():
        if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            out.append(v)
            continue
        try:
            out.append(ipaddress.ip_network(str(v).strip(), strict=True))
        except ValueError:
            raise InvalidInputError(f"{what}: {v!r} is not a CIDR prefix without host bits") from None
    return out


def _strs(nets: Iterable[IPNetwork]) -> list[str]:
    return [str(n) for n in nets]


def _int(value: object, default: int = 0) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    return int(str(value).strip())


def _parse_datetime(value: object) -> _dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    m = re.match(r"^(.*?\.)(\d+)(.*)$", text)
    if m:  # Python < 3.11 accepts at most 6 fractional digits
        text = m.group(1) + m.group(2)[:6].ljust(6, "0") + m.group(3)
    parsed = _dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.timezone.utc)


@dataclass(frozen=True)
class IpamAllocation:
    """One pool allocation of a VNet or subnet.

    ```python
    alloc = deployment.allocations[0]
    alloc.pool_id.name, alloc.number_of_ip_addresses, alloc.allocated_prefixes
    ```
    """

    pool_id: IpamPoolId
    number_of_ip_addresses: int
    allocated_prefixes: list[IPNetwork] = field(default_factory=list)

    @property
    def ip_version(self) -> int | None:
        """4 or 6 (from the allocated prefixes), or ``None`` before anything is allocated.

        ```python
        [a.ip_version for a in deployment.allocations]    # [4, 6]
        ```
        """
        return self.allocated_prefixes[0].version if self.allocated_prefixes else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, ids and prefixes as text (as ``crossipam … --output json`` prints it).

        ```python
        alloc.to_dict()   # {'pool_id': '/subscriptions/…/ipamPools/p1', 'number_of_ip_addresses': 64,
                          #  'allocated_prefixes': ['10.0.0.0/26']}
        ```
        """
        return {
            "pool_id": str(self.pool_id),
            "number_of_ip_addresses": self.number_of_ip_addresses,
            "allocated_prefixes": _strs(self.allocated_prefixes),
        }


@dataclass(frozen=True)
class SubnetDeployment:
    """A subnet of a deployed VNet: its prefixes and (if any) its pool allocations.

    ```python
    {s.name: s.address_prefixes for s in deployment.subnets}
    ```
    """

    name: str
    address_prefixes: list[IPNetwork] = field(default_factory=list)
    allocations: list[IpamAllocation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``name``, ``address_prefixes`` (text), ``allocations``
        ([`IpamAllocation.to_dict`][crossipam.models.IpamAllocation.to_dict]).

        ```python
        deployment.subnet("app").to_dict()["address_prefixes"]   # ['10.0.0.0/26']
        ```
        """
        return {
            "name": self.name,
            "address_prefixes": _strs(self.address_prefixes),
            "allocations": [a.to_dict() for a in self.allocations],
        }


@dataclass(frozen=True)
class VirtualNetworkDeployment:
    """The state of a VNet after a deploy or remove call (what ARM returned), plus what the call did.

    ```python
    deployment = poller.result()
    deployment.action             # 'created' | 'updated' | 'unchanged' | 'removed' | 'no_allocation'
    deployment.address_prefixes   # [IPv4Network('10.0.0.0/25'), IPv4Network('10.0.0.128/30')]
    ```
    """

    vnet_id: VirtualNetworkId
    location: str
    address_prefixes: list[IPNetwork] = field(default_factory=list)
    allocations: list[IpamAllocation] = field(default_factory=list)
    subnets: list[SubnetDeployment] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    provisioning_state: str | None = None
    action: DeploymentAction = "read"

    @property
    def changed(self) -> bool:
        """Whether the call wrote to Azure.

        ```python
        client.begin_deploy_virtual_network(vnet_id, **same_as_before).result().changed    # False
        ```
        """
        return self.action in ("created", "updated", "removed")

    @property
    def has_allocation(self) -> bool:
        """Whether the VNet (still) takes space from an IPAM pool.

        ```python
        client.begin_remove_allocation(vnet_id).result().has_allocation    # False
        ```
        """
        return bool(self.allocations)

    def subnet(self, name: str) -> SubnetDeployment:
        """The subnet named ``name`` (case-insensitive); ``KeyError`` if absent.

        Args:
            name: The subnet's name, in any case.

        ```python
        deployment.subnet("app").address_prefixes    # [IPv4Network('10.0.0.0/26')]
        ```
        """
        for s in self.subnets:
            if s.name.lower() == name.lower():
                return s
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what ``crossipam deploy``/``remove``/``show --output json`` print): the id and its
        ``name``, ``location``, ``action``, prefixes as text, allocations, subnets, tags and
        ``provisioning_state`` (not the ``etag``).

        ```python
        client.get_virtual_network_allocation(vnet_id).to_dict()["address_prefixes"]   # ['10.0.0.0/26']
        ```
        """
        return {
            "vnet_id": str(self.vnet_id),
            "name": self.vnet_id.name,
            "location": self.location,
            "action": self.action,
            "address_prefixes": _strs(self.address_prefixes),
            "allocations": [a.to_dict() for a in self.allocations],
            "subnets": [s.to_dict() for s in self.subnets],
            "tags": dict(self.tags),
            "provisioning_state": self.provisioning_state,
        }


@dataclass(frozen=True)
class ChildPool:
    """A child pool listed in a pool's usage.

    ```python
    [c.resource_id.name for c in usage.child_pools]
    ```
    """

    resource_id: ResourceId
    address_prefixes: list[IPNetwork] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``resource_id`` and ``address_prefixes`` as text.

        ```python
        [c.to_dict() for c in usage.child_pools]   # [{'resource_id': '/subscriptions/…', 'address_prefixes': [...]}]
        ```
        """
        return {"resource_id": str(self.resource_id), "address_prefixes": _strs(self.address_prefixes)}


def _rid(value: object) -> ResourceId:
    try:
        return ResourceId.parse(str(value))
    except InvalidResourceIdError:
        raise ValueError(f"not a resource id: {value!r}") from None


@dataclass(frozen=True)
class PoolUsage:
    """A pool's usage (``getPoolUsage``), typed; field names follow the SDK's ``PoolUsage``.

    ```python
    usage = client.get_pool_usage(pool_id)
    usage.number_of_allocated_ip_addresses, usage.available_address_prefixes
    ```
    """

    address_prefixes: list[IPNetwork] = field(default_factory=list)
    child_pools: list[ChildPool] = field(default_factory=list)
    allocated_address_prefixes: list[IPNetwork] = field(default_factory=list)
    reserved_address_prefixes: list[IPNetwork] = field(default_factory=list)
    available_address_prefixes: list[IPNetwork] = field(default_factory=list)
    total_number_of_ip_addresses: int = 0
    number_of_allocated_ip_addresses: int = 0
    number_of_reserved_ip_addresses: int = 0
    number_of_available_ip_addresses: int = 0

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> PoolUsage:
        """Parse the ``getPoolUsage`` JSON (counts as strings).

        Args:
            body: The JSON object ``getPoolUsage`` answered.

        ```python
        PoolUsage.from_wire({"totalNumberOfIPAddresses": "65536"}).total_number_of_ip_addresses   # 65536
        ```
        """
        return cls(
            address_prefixes=parse_networks(body.get("addressPrefixes")),
            child_pools=[
                ChildPool(_rid(c.get("resourceId")), parse_networks(c.get("addressPrefixes")))
                for c in body.get("childPools") or []
            ],
            allocated_address_prefixes=parse_networks(body.get("allocatedAddressPrefixes")),
            reserved_address_prefixes=parse_networks(body.get("reservedAddressPrefixes")),
            available_address_prefixes=parse_networks(body.get("availableAddressPrefixes")),
            total_number_of_ip_addresses=_int(body.get("totalNumberOfIPAddresses")),
            number_of_allocated_ip_addresses=_int(body.get("numberOfAllocatedIPAddresses")),
            number_of_reserved_ip_addresses=_int(body.get("numberOfReservedIPAddresses")),
            number_of_available_ip_addresses=_int(body.get("numberOfAvailableIPAddresses")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, prefixes as text (``crossipam pool usage --output json`` prints it after the
        ``pool_id``).

        ```python
        client.get_pool_usage(pool_id).to_dict()["number_of_available_ip_addresses"]   # 65280
        ```
        """
        return {
            "address_prefixes": _strs(self.address_prefixes),
            "allocated_address_prefixes": _strs(self.allocated_address_prefixes),
            "reserved_address_prefixes": _strs(self.reserved_address_prefixes),
            "available_address_prefixes": _strs(self.available_address_prefixes),
            "child_pools": [c.to_dict() for c in self.child_pools],
            "total_number_of_ip_addresses": self.total_number_of_ip_addresses,
            "number_of_allocated_ip_addresses": self.number_of_allocated_ip_addresses,
            "number_of_reserved_ip_addresses": self.number_of_reserved_ip_addresses,
            "number_of_available_ip_addresses": self.number_of_available_ip_addresses,
        }


@dataclass(frozen=True)
class PoolAllocation:
    """A resource associated with a pool (``listAssociatedResources``); field names follow the SDK's
    ``PoolAssociation``. Cross-tenant VNets appear with their own (managed-tenant) ids.

    ```python
    for a in client.list_pool_allocations(pool_id):
        print(a.resource_id, a.address_prefixes, a.created_at)
    ```
    """

    resource_id: ResourceId
    pool_id: IpamPoolId | None = None
    description: str = ""
    address_prefixes: list[IPNetwork] = field(default_factory=list)
    reserved_prefixes: list[IPNetwork] = field(default_factory=list)
    total_number_of_ip_addresses: int = 0
    number_of_reserved_ip_addresses: int = 0
    created_at: _dt.datetime | None = None
    reservation_expires_at: _dt.datetime | None = None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> PoolAllocation:
        """Parse one ``listAssociatedResources`` item.

        Args:
            body: One element of the answer's ``value`` list.

        ```python
        PoolAllocation.from_wire({"resourceId": vnet_id, "addressPrefixes": ["10.0.0.0/25"]})
        ```
        """
        pool = body.get("poolId")
        return cls(
            resource_id=_rid(body.get("resourceId")),
            pool_id=IpamPoolId.parse(str(pool)) if pool else None,
            description=str(body.get("description") or ""),
            address_prefixes=parse_networks(body.get("addressPrefixes")),
            reserved_prefixes=parse_networks(body.get("reservedPrefixes")),
            total_number_of_ip_addresses=_int(body.get("totalNumberOfIPAddresses")),
            number_of_reserved_ip_addresses=_int(body.get("numberOfReservedIPAddresses")),
            created_at=_parse_datetime(body.get("createdAt")),
            reservation_expires_at=_parse_datetime(body.get("reservationExpiresAt")),
        )

    @property
    def is_virtual_network(self) -> bool:
        """Whether the associated resource is a virtual network.

        ```python
        vnets = [a for a in client.list_pool_allocations(pool_id) if a.is_virtual_network]
        ```
        """
        return self.resource_id.resource_type.lower() == "microsoft.network/virtualnetworks"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, ids and prefixes as text, times in ISO 8601 (``crossipam pool allocations --output
        json`` prints a list of these).

        ```python
        [a.to_dict() for a in client.list_pool_allocations(pool_id)]
        ```
        """
        return {
            "resource_id": str(self.resource_id),
            "pool_id": str(self.pool_id) if self.pool_id else None,
            "description": self.description,
            "address_prefixes": _strs(self.address_prefixes),
            "reserved_prefixes": _strs(self.reserved_prefixes),
            "total_number_of_ip_addresses": self.total_number_of_ip_addresses,
            "number_of_reserved_ip_addresses": self.number_of_reserved_ip_addresses,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "reservation_expires_at": (
                self.reservation_expires_at.isoformat() if self.reservation_expires_at else None
            ),
        }


@dataclass(frozen=True)
class DeploymentSpec:
    """One VNet to deploy with [`deploy_many`][crossipam.CrossTenantIpamClient.deploy_many]: the arguments of
    ``begin_deploy_virtual_network`` as a value. Validation happens when the item runs, so one bad spec fails
    alone with its typed error.

    ```python
    DeploymentSpec(vnet_id, "eastus", pool_id, 256, subnets=(SubnetSpec("app", 64),), tags={"env": "prod"})
    ```
    """

    vnet_id: str | VirtualNetworkId
    location: str
    pool_id: str | IpamPoolId
    number_of_ip_addresses: int
    subnets: tuple[SubnetSpec, ...] = ()
    ipv6_pool_id: str | IpamPoolId | None = None
    ipv6_number_of_ip_addresses: int | None = None
    tags: Mapping[str, str] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.subnets, tuple):
            object.__setattr__(self, "subnets", tuple(self.subnets))

    def deploy_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``begin_deploy_virtual_network`` (everything but ``vnet_id``).

        ```python
        client.begin_deploy_virtual_network(spec.vnet_id, **spec.deploy_kwargs())
        ```
        """
        return {
            "location": self.location,
            "pool_id": self.pool_id,
            "number_of_ip_addresses": self.number_of_ip_addresses,
            "subnets": self.subnets,
            "ipv6_pool_id": self.ipv6_pool_id,
            "ipv6_number_of_ip_addresses": self.ipv6_number_of_ip_addresses,
            "tags": self.tags,
        }


@dataclass(frozen=True)
class BulkItemResult:
    """The outcome of one item of ``deploy_many`` / ``remove_many``: the deployment or the typed error.

    ``attempts`` counts the item's read-plan-write runs (more than 1 after throttling, conflicts or transient
    failures were retried). ``spec`` is the [`DeploymentSpec`][crossipam.models.DeploymentSpec] given
    (``None`` when ``remove_many`` got an id).

    ```python
    for item in client.deploy_many(specs):
        print(item.vnet_id, item.deployment.action if item.ok else item.error)
    ```
    """

    vnet_id: str
    deployment: VirtualNetworkDeployment | None = None
    error: CrossIpamError | None = None
    attempts: int = 0
    spec: DeploymentSpec | None = None

    @property
    def ok(self) -> bool:
        """Whether the item succeeded (``deployment`` is set, ``error`` is ``None``).

        ```python
        failed = [r for r in client.deploy_many(specs) if not r.ok]
        ```
        """
        return self.error is None and self.deployment is not None

    def to_dict(self, error_to_dict: Callable[[CrossIpamError], Any] | None = None) -> dict[str, Any]:
        """JSON-ready data: ``vnet_id``, ``ok``, ``attempts``, ``action``, the ``deployment``
        ([`VirtualNetworkDeployment.to_dict`][crossipam.models.VirtualNetworkDeployment.to_dict]) and the
        ``error`` (``None`` when there is none) as ``error_to_dict`` shapes it — by default its ``type``,
        ``message`` and ``hint``. The CLI passes its own, which adds the exit code and the diagnostics.

        Args:
            error_to_dict: Shapes the error (``None``: its ``type``, ``message`` and ``hint``).

        ```python
        [item.to_dict() for item in client.deploy_many(specs)]
        ```
        """
        shape = error_to_dict or _error_summary
        return {
            "vnet_id": self.vnet_id,
            "ok": self.ok,
            "attempts": self.attempts,
            "action": self.deployment.action if self.deployment else None,
            "deployment": self.deployment.to_dict() if self.deployment else None,
            "error": shape(self.error) if self.error else None,
        }


def _error_summary(err: CrossIpamError) -> dict[str, Any]:
    return {"type": type(err).__name__, "message": err.message, "hint": err.hint}
