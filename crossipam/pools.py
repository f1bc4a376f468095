"""IPAM pools and their static CIDRs, typed: what ``get_pool``, ``list_pools`` and the static CIDR operations
return, and the checks of their arguments (before any request).

A static CIDR reserves space in a pool for what is not a VNet (on-premises ranges, partner networks): by count
(``number_of_ip_addresses``: the pool picks aligned power-of-two blocks) or by prefix (``address_prefixes``).
Writing one needs ``Microsoft.Network/networkManagers/ipamPools/staticCidrs/write`` on the pool in the
management tenant (for example *Network Contributor*).

```python
pool = client.get_pool(pool_id)
pool.ip_family, pool.address_prefixes, [c.name for c in pool.child_pools], pool.usage.number_of_available_ip_addresses
cidr = client.create_static_cidr(pool_id, "on-premises", address_prefixes=["10.0.0.0/24"], description="HQ")
```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from ._resource_ids import IPAM_POOL_NAME, IpamPoolId, ResourceId
from ._validation import check_count
from .errors import InvalidInputError, InvalidResourceIdError
from .models import IPNetwork, PoolUsage, parse_networks

__all__ = [
    "IpamPool",
    "StaticCidr",
    "StaticCidrOptions",
    "StaticCidrRequest",
    "network_manager_parts",
    "static_cidr_request",
]

_NETWORK_MANAGERS = "microsoft.network/networkmanagers"


def _strs(nets: Iterable[IPNetwork]) -> list[str]:
    return [str(n) for n in nets]


def _int(value: object) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return 0


@dataclass(frozen=True)
class IpamPool:
    """An IPAM pool: its prefixes, IP family, parent and child pools, and (when read) its usage.

    ```python
    pool = client.get_pool(pool_id)
    pool.ip_family, pool.parent_pool_id, pool.usage.number_of_available_ip_addresses
    ```
    """

    pool_id: IpamPoolId
    location: str = ""
    address_prefixes: list[IPNetwork] = field(default_factory=list)
    ip_family: str = ""
    """``IPv4`` or ``IPv6``."""
    parent_pool_id: IpamPoolId | None = None
    child_pools: list[IpamPoolId] = field(default_factory=list)
    display_name: str = ""
    description: str = ""
    provisioning_state: str | None = None
    usage: PoolUsage | None = None

    @property
    def name(self) -> str:
        """The pool's name.

        ```python
        client.get_pool(pool_id).name   # 'pool-eastus'
        ```
        """
        return self.pool_id.name

    @classmethod
    def from_wire(cls, body: Mapping[str, Any], usage: PoolUsage | None = None) -> IpamPool:
        """Parse the pool's ARM JSON; its child pools come from the ``usage`` (``childPools``).

        Args:
            body: The pool as ``GET …/ipamPools/{name}`` answers it.
            usage: Its ``getPoolUsage`` answer, typed (``None``: not read).

        ```python
        IpamPool.from_wire(pool_json, PoolUsage.from_wire(usage_json)).child_pools
        ```
        """
        pool = IpamPoolId.parse(str(body.get("id")))
        props = body.get("properties") or {}
        prefixes = parse_networks(props.get("addressPrefixes"))
        kinds = props.get("ipAddressType") or []
        family = str(kinds[0]) if kinds else (f"IPv{prefixes[0].version}" if prefixes else "")
        parent = str(props.get("parentPoolName") or "")
        children = []
        for child in usage.child_pools if usage is not None else []:
            try:
                children.append(IpamPoolId.parse(str(child.resource_id)))
            except InvalidResourceIdError:
                continue
        return cls(
            pool_id=pool,
            location=str(body.get("location") or ""),
            address_prefixes=prefixes,
            ip_family=family,
            parent_pool_id=IpamPoolId.parse(f"{pool.network_manager_id}/ipamPools/{parent}")
            if parent
            else None,
            child_pools=children,
            display_name=str(props.get("displayName") or ""),
            description=str(props.get("description") or ""),
            provisioning_state=str(props["provisioningState"]) if props.get("provisioningState") else None,
            usage=usage,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what ``crossipam pool show --output json`` prints).

        ```python
        client.get_pool(pool_id).to_dict()["ip_family"]   # 'IPv4'
        ```
        """
        return {
            "pool_id": str(self.pool_id),
            "name": self.name,
            "location": self.location,
            "ip_family": self.ip_family,
            "address_prefixes": _strs(self.address_prefixes),
            "parent_pool_id": str(self.parent_pool_id) if self.parent_pool_id else None,
            "child_pools": [str(c) for c in self.child_pools],
            "display_name": self.display_name,
            "description": self.description,
            "provisioning_state": self.provisioning_state,
            "usage": self.usage.to_dict() if self.usage is not None else None,
        }


@dataclass(frozen=True)
class StaticCidr:
    """A static CIDR: address space reserved in a pool (``numberOfIPAddressesToAllocate`` when made by count).

    ```python
    cidr = client.get_static_cidr(pool_id, "on-premises")
    cidr.address_prefixes, cidr.number_of_ip_addresses
    ```
    """

    pool_id: IpamPoolId
    name: str
    address_prefixes: list[IPNetwork] = field(default_factory=list)
    number_of_ip_addresses: int = 0
    number_of_ip_addresses_to_allocate: int | None = None
    description: str = ""
    provisioning_state: str | None = None

    @property
    def static_cidr_id(self) -> str:
        """The static CIDR's resource id.

        ```python
        cidr.static_cidr_id   # '/subscriptions/…/ipamPools/pool-eastus/staticCidrs/on-premises'
        ```
        """
        return f"{self.pool_id}/staticCidrs/{self.name}"

    @classmethod
    def from_wire(cls, body: Mapping[str, Any], pool_id: IpamPoolId) -> StaticCidr:
        """Parse the static CIDR's ARM JSON.

        Args:
            body: The static CIDR as ARM answers it.
            pool_id: Its pool.

        ```python
        StaticCidr.from_wire({"name": "hq", "properties": {"addressPrefixes": ["10.0.0.0/24"]}}, pool)
        ```
        """
        props = body.get("properties") or {}
        requested = props.get("numberOfIPAddressesToAllocate")
        return cls(
            pool_id=pool_id,
            name=str(body.get("name") or ""),
            address_prefixes=parse_networks(props.get("addressPrefixes")),
            number_of_ip_addresses=_int(props.get("totalNumberOfIPAddresses")),
            number_of_ip_addresses_to_allocate=_int(requested) if requested not in (None, "") else None,
            description=str(props.get("description") or ""),
            provisioning_state=str(props["provisioningState"]) if props.get("provisioningState") else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what ``crossipam pool reservations --output json`` prints per static CIDR).

        ```python
        client.get_static_cidr(pool_id, "hq").to_dict()["address_prefixes"]   # ['10.0.0.0/24']
        ```
        """
        return {
            "static_cidr_id": self.static_cidr_id,
            "name": self.name,
            "pool_id": str(self.pool_id),
            "address_prefixes": _strs(self.address_prefixes),
            "number_of_ip_addresses": self.number_of_ip_addresses,
            "number_of_ip_addresses_to_allocate": self.number_of_ip_addresses_to_allocate,
            "description": self.description,
            "provisioning_state": self.provisioning_state,
        }


class StaticCidrOptions(TypedDict, total=False):
    """The options of ``create_static_cidr``: exactly one of ``number_of_ip_addresses`` and
    ``address_prefixes``, and an optional ``description``.

    ```python
    options: StaticCidrOptions = {"address_prefixes": ["10.0.0.0/24"], "description": "HQ"}
    ```
    """

    number_of_ip_addresses: int | None
    address_prefixes: Iterable[str] | None
    description: str


@dataclass(frozen=True)
class StaticCidrRequest:
    """Validated arguments of ``create_static_cidr`` and the body to PUT.

    ```python
    static_cidr_request(pool_id, "hq", {"number_of_ip_addresses": 256}).body()
    ```
    """

    pool_id: IpamPoolId
    name: str
    number_of_ip_addresses: int | None = None
    address_prefixes: tuple[IPNetwork, ...] = ()
    description: str = ""

    def body(self) -> dict[str, Any]:
        """The PUT body (the count as a string, as ARM takes it).

        ```python
        request.body()   # {'properties': {'numberOfIPAddressesToAllocate': '256', 'description': ''}}
        ```
        """
        props: dict[str, Any] = {"description": self.description}
        if self.number_of_ip_addresses is not None:
            props["numberOfIPAddressesToAllocate"] = str(self.number_of_ip_addresses)
        else:
            props["addressPrefixes"] = _strs(self.address_prefixes)
        return {"properties": props}


def check_static_cidr_name(name: object) -> str:
    """A static CIDR's name, checked like a pool's (1 to 64 letters, digits, ``_``, ``.``, ``-``).

    Args:
        name: The name given.

    ```python
    check_static_cidr_name("on-premises")   # 'on-premises'
    ```
    """
    return IPAM_POOL_NAME.check(name, error=InvalidInputError)


def static_cidr_request(
    pool_id: str | IpamPoolId, name: str, options: Mapping[str, Any]
) -> StaticCidrRequest:
    """Check ``create_static_cidr``'s arguments; raises [`InvalidInputError`][crossipam.errors.InvalidInputError]
    before any request.

    Args:
        pool_id: The pool.
        name: The static CIDR's name.
        options: `StaticCidrOptions`.

    ```python
    static_cidr_request(pool_id, "hq", {"address_prefixes": ["10.0.0.0/24"]})
    ```
    """
    pool = IpamPoolId.parse(pool_id)
    unknown = sorted(set(options) - set(StaticCidrOptions.__annotations__))
    if unknown:
        raise InvalidInputError(f"create_static_cidr takes no option {', '.join(unknown)}")
    count, prefixes = options.get("number_of_ip_addresses"), options.get("address_prefixes")
    if (count is None) == (prefixes is None):
        raise InvalidInputError("give number_of_ip_addresses or address_prefixes (exactly one)")
    description = options.get("description") or ""
    if not isinstance(description, str):
        raise InvalidInputError(f"description must be a string, got {type(description).__name__}")
    if count is not None:
        count = check_count(count, "number_of_ip_addresses", 2**128)
        return StaticCidrRequest(pool, check_static_cidr_name(name), count, (), description)
    if isinstance(prefixes, (str, bytes)):
        prefixes = [prefixes]
    nets = tuple(parse_networks(prefixes, "address_prefixes"))
    if not nets:
        raise InvalidInputError("address_prefixes is empty")
    if len({n.version for n in nets}) > 1:
        raise InvalidInputError("address_prefixes mixes IPv4 and IPv6")
    return StaticCidrRequest(pool, check_static_cidr_name(name), None, nets, description)


def network_manager_parts(network_manager_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of a network manager id; raises
    [`InvalidResourceIdError`][crossipam.errors.InvalidResourceIdError] for any other id.

    Args:
        network_manager_id: ``/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/networkManagers/<nm>``.

    ```python
    network_manager_parts(IpamPoolId.parse(pool_id).network_manager_id)   # (sub, 'rg-ipam', 'nm-platform')
    ```
    """
    rid = ResourceId.parse(network_manager_id)
    if rid.resource_type.lower() != _NETWORK_MANAGERS or rid.resource_group is None:
        raise InvalidResourceIdError(
            f"not a network manager id: {network_manager_id!r}",
            hint="/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/networkManagers/<nm>",
        )
    return rid.subscription_id, rid.resource_group, rid.name
