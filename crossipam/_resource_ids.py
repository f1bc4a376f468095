"""Parsed ARM resource ids, validated before any request.

```python
from crossipam import IpamPoolId, VirtualNetworkId

vnet = VirtualNetworkId.parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v")
vnet.subscription_id, vnet.resource_group, vnet.name      # ('s', 'rg', 'v')
pool = IpamPoolId.parse(".../providers/Microsoft.Network/networkManagers/nm/ipamPools/p")
pool.network_manager_id
```

Ids compare case-insensitively (as ARM does) and ``str(id)`` gives the canonical form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidResourceIdError

__all__ = ["IpamPoolId", "ResourceId", "VirtualNetworkId"]

_SEGMENT = r"[^/\s]+"
_GENERIC_RX = re.compile(
    rf"^/subscriptions/(?P<sub>{_SEGMENT})"
    rf"(?:/resourceGroups/(?P<rg>{_SEGMENT}))?"
    rf"(?:/providers/(?P<ns>{_SEGMENT})(?P<rest>(?:/{_SEGMENT}/{_SEGMENT})+))?$",
    re.IGNORECASE,
)
_NAME_RX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


def _clean(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidResourceIdError(f"{what} must be a string resource id, got {type(value).__name__}")
    text = value.strip().rstrip("/")
    if not text.startswith("/"):
        raise InvalidResourceIdError(
            f"{what} must be a fully qualified resource id starting with '/subscriptions/', got {value!r}"
        )
    return text


@dataclass(frozen=True, eq=False)
class ResourceId:
    """Any ARM resource id below a subscription.

    ```python
    rid = ResourceId.parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v")
    rid.resource_type    # 'Microsoft.Network/virtualNetworks'
    ```
    """

    subscription_id: str
    resource_group: str | None = None
    namespace: str | None = None
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: str) -> ResourceId:
        """Parse any ARM resource id; raises :class:`InvalidResourceIdError`.

        ```python
        ResourceId.parse("/subscriptions/s/resourceGroups/rg").resource_group   # 'rg'
        ```
        """
        text = _clean(value, "resource id")
        m = _GENERIC_RX.match(text)
        if not m:
            raise InvalidResourceIdError(f"not an ARM resource id: {value!r}")
        parts = m["rest"].strip("/").split("/") if m["rest"] else []
        return ResourceId(
            subscription_id=m["sub"],
            resource_group=m["rg"],
            namespace=m["ns"],
            types=tuple(parts[0::2]),
            names=tuple(parts[1::2]),
        )

    @property
    def resource_type(self) -> str:
        """``Namespace/type[/subtype…]``, or ``""`` for a subscription or resource group id."""
        return "/".join([self.namespace or "", *self.types]) if self.namespace else ""

    @property
    def name(self) -> str:
        """The last name segment (or the resource group / subscription)."""
        if self.names:
            return self.names[-1]
        return self.resource_group or self.subscription_id

    def __str__(self) -> str:
        out = f"/subscriptions/{self.subscription_id}"
        if self.resource_group:
            out += f"/resourceGroups/{self.resource_group}"
        if self.namespace:
            out += f"/providers/{self.namespace}"
            for t, n in zip(self.types, self.names, strict=True):
                out += f"/{t}/{n}"
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ResourceId, VirtualNetworkId, IpamPoolId)):
            return str(self).lower() == str(other).lower()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self).lower())


def _typed(value: object, what: str, expected: tuple[str, ...], example: str) -> ResourceId:
    text = _clean(value, what)
    m = _GENERIC_RX.match(text)
    rid = None
    if m and m["rg"] and m["ns"]:
        rid = ResourceId.parse(text)
    wanted = "/".join(expected).lower()
    if rid is None or rid.resource_type.lower() != wanted:
        raise InvalidResourceIdError(
            f"{what} must be a {'/'.join(expected)} resource id like {example!r}, got {value!r}"
        )
    for name in rid.names:
        if not _NAME_RX.match(name):
            raise InvalidResourceIdError(f"{what} has an invalid resource name {name!r}: {value!r}")
    return rid


@dataclass(frozen=True, eq=False)
class VirtualNetworkId:
    """A ``Microsoft.Network/virtualNetworks`` id.

    ```python
    VirtualNetworkId.parse(vnet_id).name
    ```
    """

    subscription_id: str
    resource_group: str
    name: str

    @classmethod
    def parse(cls, value: str | VirtualNetworkId) -> VirtualNetworkId:
        """Parse and validate; raises :class:`InvalidResourceIdError` for anything but a VNet id.

        ```python
        VirtualNetworkId.parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v")
        ```
        """
        if isinstance(value, VirtualNetworkId):
            return value
        rid = _typed(
            value,
            "virtual network id",
            ("Microsoft.Network", "virtualNetworks"),
            "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>",
        )
        assert rid.resource_group is not None
        return cls(rid.subscription_id, rid.resource_group, rid.names[0])

    def subnet_id(self, subnet: str) -> str:
        """The id of one of its subnets."""
        return f"{self}/subnets/{subnet}"

    def __str__(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/virtualNetworks/{self.name}"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ResourceId, VirtualNetworkId, IpamPoolId)):
            return str(self).lower() == str(other).lower()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self).lower())


@dataclass(frozen=True, eq=False)
class IpamPoolId:
    """A ``Microsoft.Network/networkManagers/ipamPools`` id.

    ```python
    IpamPoolId.parse(pool_id).network_manager
    ```
    """

    subscription_id: str
    resource_group: str
    network_manager: str
    name: str

    @classmethod
    def parse(cls, value: str | IpamPoolId) -> IpamPoolId:
        """Parse and validate; raises :class:`InvalidResourceIdError` for anything but an IPAM pool id.

        ```python
        IpamPoolId.parse(".../providers/Microsoft.Network/networkManagers/nm/ipamPools/p").name   # 'p'
        ```
        """
        if isinstance(value, IpamPoolId):
            return value
        rid = _typed(
            value,
            "IPAM pool id",
            ("Microsoft.Network", "networkManagers", "ipamPools"),
            "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/networkManagers/<nm>"
            "/ipamPools/<pool>",
        )
        assert rid.resource_group is not None
        return cls(rid.subscription_id, rid.resource_group, rid.names[0], rid.names[1])

    @property
    def network_manager_id(self) -> str:
        """The id of the network manager that holds the pool."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/networkManagers/{self.network_manager}"
        )

    def __str__(self) -> str:
        return f"{self.network_manager_id}/ipamPools/{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ResourceId, VirtualNetworkId, IpamPoolId)):
            return str(self).lower() == str(other).lower()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self).lower())
