"""What Microsoft.Network allows, over `crossipam.testing.ipam`: values, pools, static CIDRs, allocation.

Each rule reads `NetworkState` and returns the record a write would store, or raises ARM's 400
answer (`bad_request`); none of them writes, takes the lock or knows of HTTP beyond that answer. The
handlers and the seeding API call them under the services' lock and store what they return. The rules for a
virtual network's PUT body (address space, IPAM allocations, subnets) are `.vnet_rules`.

Choices where Azure documents nothing (see ``docs/offline-azure.md``): a pool holds one address family
(``IpamPoolMixedAddressFamilies``); a child pool lies inside its parent (``IpamPoolPrefixesNotInParentPool``) and
clear of what the parent already gives away (``IpamPoolPrefixesOverlap``); a pool cannot drop space in use
(``IpamPoolPrefixInUse``); static CIDRs lie inside their pool, clear of what it holds
(``StaticCidrPrefixesNotInPool``, ``StaticCidrPrefixesOverlap``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from .. import ipam
from .._core import Clock
from .._http import EmulatorHTTPError, arm_error
from .._validate import api_version_date
from ..ipam import IPNetwork
from .state import NetworkManager, NetworkState, Pool, StaticCidr

__all__ = [
    "allocate_in_pool",
    "api_at_least",
    "bad_request",
    "by_family",
    "ipam_errors",
    "normalized",
    "parse_count",
    "parse_prefix",
    "validated_pool",
    "validated_static_cidr",
]

_COUNT_RX = re.compile(r"[0-9]{1,40}")


def bad_request(code: str, message: str, status: int = 400) -> EmulatorHTTPError:
    """ARM's error answer for a rule a request breaks (400 unless told)."""
    return arm_error(status, code, message)


def parse_prefix(text: object, where: str) -> IPNetwork:
    """A CIDR prefix with no host bits set, or 400 ``InvalidAddressPrefixFormat`` naming ``where``."""
    if not isinstance(text, str):
        raise bad_request(
            "InvalidAddressPrefixFormat", f"Address prefix {text!r} at {where} is not a string."
        )
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        raise bad_request(
            "InvalidAddressPrefixFormat",
            f"Address prefix {text} at {where} is not formatted correctly: expected a CIDR prefix with no host "
            "bits set (e.g. 10.0.0.0/16).",
        ) from None


def by_family(nets: list[IPNetwork]) -> dict[int, list[IPNetwork]]:
    """``nets`` grouped by IP version."""
    out: dict[int, list[IPNetwork]] = {}
    for n in nets:
        out.setdefault(n.version, []).append(n)
    return out


def normalized(prefixes: list[Any]) -> set[str]:
    """The prefixes as canonical strings (what is not a prefix kept as sent), to compare two lists."""
    out: set[str] = set()
    for p in prefixes:
        try:
            out.add(str(ipaddress.ip_network(str(p).strip(), strict=False)))
        except ValueError:
            out.add(str(p))
    return out


def parse_count(value: object, where: str) -> int:
    """A number of IP addresses: a positive integer (ASCII digits), or 400
    ``InvalidIpamPoolAllocationNumberOfIpAddresses`` naming ``where``."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    # ASCII digits only (str.isdigit also accepts '²', which int() refuses); 2**128 has 39 digits
    if not _COUNT_RX.fullmatch(text) or int(text) <= 0:
        raise bad_request(
            "InvalidIpamPoolAllocationNumberOfIpAddresses",
            f"The value {value!r} of numberOfIpAddresses at {where} is invalid: it must be a positive integer "
            'given as a string, e.g. "256".',
        )
    return int(text)


def api_at_least(api_version: str, floor: str) -> bool:
    """Whether ``api_version`` is ``floor`` or later, compared as dates (``-preview`` ignored)."""
    mine, limit = api_version_date(api_version), api_version_date(floor)
    return mine is not None and limit is not None and mine >= limit


def validated_pool(
    net: NetworkState,
    nm: NetworkManager,
    pool_id: str,
    name: str,
    props: dict[str, Any],
    location: str,
    tags: dict[str, Any],
    existing: Pool | None,
) -> Pool:
    """The pool a PUT/PATCH (or the seeding API) describes, checked against its manager's other pools: one
    address family, inside its parent and clear of what the parent gives away, not dropping space in use."""
    raw = props.get("addressPrefixes")
    if not isinstance(raw, list) or not raw:
        raise bad_request("InvalidRequestFormat", "The IPAM pool property 'addressPrefixes' is required.")
    prefixes = [parse_prefix(p, f"properties.addressPrefixes[{i}]") for i, p in enumerate(raw)]
    if len({p.version for p in prefixes}) > 1:
        raise bad_request(
            "IpamPoolMixedAddressFamilies",
            f"IPAM pool '{name}' mixes IPv4 and IPv6 prefixes; a pool holds one address family.",
        )
    parent_name = str(props.get("parentPoolName") or "")
    if existing is not None and parent_name.lower() != existing.parent_name.lower():
        raise bad_request("InvalidRequestFormat", f"The parent pool of IPAM pool '{name}' cannot be changed.")
    if parent_name:
        parent = net.pools.get(f"{nm.id}/ipamPools/{parent_name}".lower())
        if parent is None:
            raise bad_request(
                "InvalidResourceReference",
                f"Parent pool '{parent_name}' of IPAM pool '{name}' was not found.",
            )
        if parent.version != prefixes[0].version or not ipam.covers(parent.prefixes, prefixes):
            raise bad_request(
                "IpamPoolPrefixesNotInParentPool",
                f"The address prefixes {[str(p) for p in prefixes]} of IPAM pool '{name}' must lie within the "
                f"prefixes {[str(p) for p in parent.prefixes]} of its parent pool '{parent.name}'.",
            )
        taken = net.pool_used(parent)
        if existing is not None:
            own = {str(p) for p in existing.prefixes}
            taken = [t for t in taken if str(t) not in own]
        clash = ipam.overlapping(prefixes, taken)
        if clash:
            raise bad_request(
                "IpamPoolPrefixesOverlap",
                f"The address prefixes {[str(p) for p in clash]} of IPAM pool '{name}' overlap space of parent "
                f"pool '{parent.name}' that is already allocated, reserved or given to another child pool.",
            )
    if existing is not None:
        inner = net.pool_used(existing)
        if inner and (inner[0].version != prefixes[0].version or not ipam.covers(prefixes, inner)):
            raise bad_request(
                "IpamPoolPrefixInUse",
                f"IPAM pool '{name}' cannot drop address space that is allocated, reserved or given to a "
                "child pool.",
            )
    known = {
        "addressPrefixes",
        "parentPoolName",
        "displayName",
        "description",
        "ipAddressType",
        "provisioningState",
    }
    return Pool(
        id=existing.id if existing else pool_id,
        nm_id=nm.id,
        name=existing.name if existing else name,
        location=location,
        prefixes=prefixes,
        parent_name=parent_name,
        display_name=str(props.get("displayName") or ""),
        description=str(props.get("description") or ""),
        extra={k: v for k, v in props.items() if k not in known},
        tags=dict(tags or {}),
    )


def validated_static_cidr(
    net: NetworkState,
    clock: Clock,
    pool: Pool,
    name: str,
    props: dict[str, Any],
    *,
    count_rule: str = "power_of_two",
) -> StaticCidr:
    """The static CIDR ``props`` describe: given prefixes inside the pool and clear of what it holds, or
    ``numberOfIPAddressesToAllocate`` addresses allocated from it (the same count again keeps the prefixes).
    ``count_rule`` is ``Settings.static_cidr_count``: ``"power_of_two"`` refuses another count (400
    ``InvalidStaticCidrNumberOfIPAddresses``), ``"round_up"`` rounds it up to one, ``"split"`` takes any."""
    sc_id = f"{pool.id}/staticCidrs/{name}"
    existing = net.static_cidrs.get(sc_id.lower())
    raw = props.get("addressPrefixes")
    count_raw = props.get("numberOfIPAddressesToAllocate")
    used = net.pool_used(pool, exclude_cidr=sc_id)
    requested: str | None = None
    if raw:
        if not isinstance(raw, list):
            raise bad_request("InvalidRequestFormat", "'addressPrefixes' must be a list of CIDR prefixes.")
        prefixes = [parse_prefix(p, f"properties.addressPrefixes[{i}]") for i, p in enumerate(raw)]
        if any(p.version != pool.version for p in prefixes) or not ipam.covers(pool.prefixes, prefixes):
            raise bad_request(
                "StaticCidrPrefixesNotInPool",
                f"The address prefixes {[str(p) for p in prefixes]} of static CIDR '{name}' must lie within the "
                f"prefixes {[str(p) for p in pool.prefixes]} of pool '{pool.name}'.",
            )
        clash = ipam.overlapping(prefixes, used)
        if clash:
            raise bad_request(
                "StaticCidrPrefixesOverlap",
                f"The address prefixes {[str(p) for p in clash]} of static CIDR '{name}' overlap space of pool "
                f"'{pool.name}' that is already allocated, reserved or given to a child pool.",
            )
    elif count_raw is not None:
        count = parse_count(count_raw, "properties.numberOfIPAddressesToAllocate")
        if count & (count - 1) and count_rule == "power_of_two":
            raise bad_request(
                "InvalidStaticCidrNumberOfIPAddresses",
                f"The numberOfIPAddressesToAllocate '{count}' of static CIDR '{name}' is invalid: it must be a "
                "power of two (e.g. 16, 256, 4096).",
            )
        if count & (count - 1) and count_rule == "round_up":
            count = 1 << count.bit_length()
        requested = str(count)
        if existing is not None and ipam.address_count(existing.prefixes) == count:
            prefixes = list(existing.prefixes)
        else:
            prefixes = allocate_in_pool(pool, count, used, f"static CIDR '{name}'")
    else:
        raise bad_request(
            "InvalidRequestFormat",
            "A static CIDR needs 'addressPrefixes' or 'numberOfIPAddressesToAllocate'.",
        )
    return StaticCidr(
        id=existing.id if existing else sc_id,
        pool_id=pool.id,
        name=existing.name if existing else name,
        prefixes=prefixes,
        description=str(props.get("description") or ""),
        requested=requested,
        created_at=existing.created_at if existing else clock.time(),
    )


def allocate_in_pool(
    pool: Pool,
    count: int,
    used: list[IPNetwork],
    what: str,
    existing: list[IPNetwork] | None = None,
) -> list[IPNetwork]:
    """``count`` addresses from the pool for ``what`` (grown from ``existing`` blocks), or its 400 answer."""
    with ipam_errors(pool, what):
        if existing:
            return ipam.grow(existing, count, pool.prefixes, used + existing)
        return ipam.allocate(count, pool.prefixes, used)


@contextlib.contextmanager
def ipam_errors(pool: Pool, what: str) -> Iterator[None]:
    """Turn what `crossipam.testing.ipam` raises while allocating from ``pool`` for ``what`` into ARM's 400."""
    try:
        yield
    except ipam.AllocationDecrease as exc:
        raise bad_request(
            "IpamAllocationCannotBeDecreased",
            f"The allocation of {what} from IPAM pool '{pool.id}' holds {exc.current} IP addresses and cannot "
            f"be decreased to {exc.requested}. Remove the allocation and create a new one instead.",
        ) from None
    except ipam.InsufficientAddressSpace as exc:
        raise bad_request(
            "IpamPoolInsufficientAddressSpace",
            f"IPAM pool '{pool.id}' cannot provide {exc.requested} IP addresses for {what}: {exc}.",
        ) from None
    except ipam.InvalidAllocationCount as exc:
        raise bad_request(
            "InvalidIpamPoolAllocationNumberOfIpAddresses", f"Invalid allocation for {what}: {exc}."
        ) from None


# ---- virtual networks ------------------------------------------------------------------------
