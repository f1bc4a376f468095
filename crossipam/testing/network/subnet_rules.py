"""What a subnet may be, and a subnet write as the VNet PUT body it amounts to (pure, like `.rules`).

Sizes [learn: VNet FAQ]: the smallest IPv4 subnet is a /29 (Azure reserves five addresses of each) and an IPv6
subnet is exactly a /64. A static ``addressPrefix(es)`` outside that, or an IPAM allocation whose blocks would
be (an IPv4 count that is not a multiple of 8 splits into a block smaller than /29; an IPv6 count other than
2**64 is not one /64), is 400 ``NetcfgInvalidSubnet`` — the code Azure answers for a subnet it finds invalid
("Subnet '…' is not valid in virtual network '…'.", [field]); whether it is the code for a too-small subnet is
[unverified].

A subnet PUT or DELETE (``…/virtualNetworks/{vnet}/subnets/{subnet}``) is validated as the VNet PUT it amounts
to: the stored VNet with that one subnet replaced, added or removed (`vnet_body_with_subnet`,
`vnet_body_without_subnet`), so the IPAM rules of `.vnet_rules` apply to it unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

from .._http import EmulatorHTTPError
from ..ipam import IPNetwork
from .rules import bad_request
from .state import Pool, VNet

__all__ = [
    "IPV6_SUBNET_PREFIX",
    "MIN_IPV4_SUBNET_PREFIX",
    "check_subnet_allocation",
    "check_subnet_prefixes",
    "subnet_of",
    "vnet_body_with_subnet",
    "vnet_body_without_subnet",
]

MIN_IPV4_SUBNET_PREFIX = 29
"""The longest IPv4 subnet prefix Azure accepts (a /29: 8 addresses, 5 of them reserved)."""
IPV6_SUBNET_PREFIX = 64
"""The only IPv6 subnet prefix length Azure accepts."""


def _invalid(subnet: str, vnet_id: str, why: str) -> EmulatorHTTPError:
    return bad_request(
        "NetcfgInvalidSubnet",
        f"Subnet '{subnet}' is not valid in virtual network '{vnet_id.rsplit('/', 1)[-1]}': {why}",
    )


def check_subnet_prefixes(subnet: str, prefixes: list[IPNetwork], vnet_id: str) -> None:
    """400 ``NetcfgInvalidSubnet`` unless every IPv4 prefix is /29 or larger and every IPv6 prefix a /64.

    Args:
        subnet: The subnet's name (for the message).
        prefixes: Its static prefixes.
        vnet_id: The VNet's id (its name is in the message).

    ```python
    check_subnet_prefixes("app", [ip_network("10.0.0.0/30")], vnet_id)  # raises 400 NetcfgInvalidSubnet
    ```
    """
    for p in prefixes:
        if p.version == 4 and p.prefixlen > MIN_IPV4_SUBNET_PREFIX:
            raise _invalid(subnet, vnet_id, f"the prefix {p} is smaller than a /{MIN_IPV4_SUBNET_PREFIX}.")
        if p.version == 6 and p.prefixlen != IPV6_SUBNET_PREFIX:
            raise _invalid(subnet, vnet_id, f"the IPv6 prefix {p} is not a /{IPV6_SUBNET_PREFIX}.")


def check_subnet_allocation(subnet: str, pool: Pool, count: int, vnet_id: str) -> None:
    """400 ``NetcfgInvalidSubnet`` when ``count`` addresses from ``pool`` would give the subnet a block smaller
    than a /29 (IPv4: the count is not a multiple of 8) or other than one /64 (IPv6: the count is not 2**64).

    Args:
        subnet: The subnet's name (for the message).
        pool: The pool the allocation takes from (its family decides).
        count: The number of addresses asked for.
        vnet_id: The VNet's id (its name is in the message).

    ```python
    check_subnet_allocation("app", pool_v4, 100, vnet_id)  # raises: 100 = 64 + 32 + 4, a /30 block
    ```
    """
    if pool.version == 4 and count % (1 << (32 - MIN_IPV4_SUBNET_PREFIX)):
        raise _invalid(
            subnet,
            vnet_id,
            f"{count} IP addresses from IPAM pool '{pool.id}' would include a block smaller than a "
            f"/{MIN_IPV4_SUBNET_PREFIX}; ask for a multiple of 8.",
        )
    if pool.version == 6 and count != 1 << (128 - IPV6_SUBNET_PREFIX):
        raise _invalid(
            subnet,
            vnet_id,
            f"{count} IP addresses from IPAM pool '{pool.id}' are not one /{IPV6_SUBNET_PREFIX}; an IPv6 subnet "
            f"takes exactly {1 << (128 - IPV6_SUBNET_PREFIX)}.",
        )


def subnet_of(vnet: VNet, name: str) -> dict[str, Any] | None:
    """The VNet's subnet named ``name`` (case-insensitive) as stored, or ``None``.

    Args:
        vnet: The VNet.
        name: The subnet's name.

    ```python
    subnet_of(emulator.network.vnets[vnet_id.lower()], "app")["properties"]["addressPrefixes"]
    ```
    """
    return next((s for s in vnet.subnets() if str(s.get("name", "")).lower() == name.lower()), None)


def vnet_body_with_subnet(vnet: VNet, name: str, subnet: dict[str, Any]) -> dict[str, Any]:
    """The VNet PUT body a subnet PUT amounts to: the stored VNet with ``subnet`` in place of the subnet named
    ``name`` (same position), or added after the others.

    Args:
        vnet: The stored VNet.
        name: The subnet's name (from the route; it wins over a ``name`` in the body).
        subnet: The subnet PUT body.

    ```python
    body = vnet_body_with_subnet(vnet, "app", {"properties": {"addressPrefix": "10.0.0.0/29"}})
    ```
    """
    body = copy.deepcopy(vnet.body)
    entry = copy.deepcopy(subnet)
    entry["name"] = name
    entry.pop("id", None)
    subnets = body.setdefault("properties", {}).setdefault("subnets", [])
    for i, s in enumerate(subnets):
        if str(s.get("name", "")).lower() == name.lower():
            entry["name"] = s.get("name", name)
            subnets[i] = entry
            break
    else:
        subnets.append(entry)
    return body


def vnet_body_without_subnet(vnet: VNet, name: str) -> dict[str, Any]:
    """The VNet PUT body a subnet DELETE amounts to: the stored VNet without the subnet named ``name``.

    Args:
        vnet: The stored VNet.
        name: The subnet's name.

    ```python
    body = vnet_body_without_subnet(vnet, "app")
    ```
    """
    body = copy.deepcopy(vnet.body)
    props = body.setdefault("properties", {})
    props["subnets"] = [
        s for s in props.get("subnets") or [] if str(s.get("name", "")).lower() != name.lower()
    ]
    return body
