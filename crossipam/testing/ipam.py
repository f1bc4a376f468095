"""Pure IPAM arithmetic for the offline Azure's Virtual Network Manager IPAM pools.

No I/O and no state: every function takes lists of networks and returns new ones, so the emulator's
network layer decides *what* the containers and the used space are and this module only does the sums.

How Azure hands out a requested number of addresses, and so how `allocate` does:

* the count is **not** rounded up to a power of two; it is split into power-of-two CIDR blocks that add
  up to exactly the count (``100`` → ``/26 + /27 + /30``, i.e. 64 + 32 + 4), which need not be contiguous;
* each block is aligned to its own size and placed, largest first, at the lowest free aligned position
  (first fit) in the free space of the containers;
* an allocation is all-or-nothing: if any block cannot be placed, nothing is allocated and
  `InsufficientAddressSpace` tells how much was asked for and what is left.

The same `allocate` serves a pool (containers = the pool's prefixes; used = its allocations, static
CIDRs and child pools) and a subnet (containers = the virtual network's blocks from that pool; used = the
other subnets' prefixes).

Internally everything is done on sorted, merged half-open integer intervals, so the cost grows with the
number of prefixes involved, never with the number of addresses (about 0.7 ms per thousand ``used``
prefixes, whatever the pool's size), and IPv6 counts such as ``2**64`` are ordinary integers. The emulator's
VNet PUTs do not pay even that: `crossipam.testing.ipam_space` keeps each pool's used space sorted between
requests and answers as `allocate` and `grow` do here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "AllocationDecrease",
    "IPNetwork",
    "InsufficientAddressSpace",
    "InvalidAllocationCount",
    "MixedAddressFamilies",
    "PoolUsage",
    "address_count",
    "allocate",
    "covers",
    "free_space",
    "grow",
    "intersection",
    "largest_free_block",
    "overlapping",
    "pool_usage",
    "split_count",
    "summarize",
]

IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
"""An IPv4 or IPv6 network (CIDR prefix)."""

_Interval: TypeAlias = tuple[int, int]  # half-open [start, end) of integer addresses

_MAX_BITS = {4: 32, 6: 128}


class InsufficientAddressSpace(Exception):
    """The requested number of addresses cannot be placed in the free space.

    Attributes:
        requested: the number of addresses that had to be found (for `grow`, the increase).
        available: the number of free addresses in the containers.
        largest_block: the size, in addresses, of the largest free aligned CIDR block (0 if none).

    ```python
    >>> from ipaddress import ip_network as net
    >>> try:
    ...     allocate(512, [net("10.0.0.0/24")], [])
    ... except InsufficientAddressSpace as err:
    ...     (err.requested, err.available, err.largest_block)
    (512, 256, 256)

    ```
    """

    def __init__(
        self, requested: int, available: int, largest_block: int, message: str | None = None
    ) -> None:
        self.requested = requested
        self.available = available
        self.largest_block = largest_block
        if message is None:
            message = (
                f"cannot allocate {requested} IP addresses: {available} are free, "
                f"the largest free aligned block holds {largest_block}"
            )
        super().__init__(message)


class InvalidAllocationCount(ValueError):
    """The requested number of addresses is not positive, or larger than the address family holds.

    ```python
    >>> split_count(0)
    Traceback (most recent call last):
    crossipam.testing.ipam.InvalidAllocationCount: the number of IP addresses must be positive, got 0

    ```
    """


class AllocationDecrease(ValueError):
    """An existing allocation was asked to shrink, which Azure refuses.

    Attributes:
        current: the number of addresses the allocation holds now.
        requested: the smaller number that was asked for.

    ```python
    >>> from ipaddress import ip_network as net
    >>> try:
    ...     grow([net("10.0.0.0/26")], 32, [net("10.0.0.0/24")], [])
    ... except AllocationDecrease as err:
    ...     (err.current, err.requested)
    (64, 32)

    ```
    """

    def __init__(self, current: int, requested: int) -> None:
        self.current = current
        self.requested = requested
        super().__init__(
            f"cannot decrease an allocation from {current} to {requested} IP addresses: "
            "allocations can only grow; release it and allocate again"
        )


class MixedAddressFamilies(ValueError):
    """IPv4 and IPv6 networks were mixed in one computation.

    ```python
    >>> from ipaddress import ip_network as net
    >>> summarize([net("10.0.0.0/24"), net("fd00::/64")])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    crossipam.testing.ipam.MixedAddressFamilies: cannot mix IPv4 and IPv6 networks in one IPAM computation (...)

    ```
    """


# --------------------------------------------------------------------------------------------------------
# internals: families, intervals, CIDR decomposition


def _classify(net: object, version: int | None) -> int:
    """The version of ``net``, checked against ``version`` (the family seen so far, if any)."""
    if not isinstance(net, ipaddress.IPv4Network | ipaddress.IPv6Network):
        raise TypeError(f"expected an IPv4Network or IPv6Network, got {type(net).__name__}: {net!r}")
    if version is not None and net.version != version:
        raise MixedAddressFamilies(
            f"cannot mix IPv4 and IPv6 networks in one IPAM computation (found {net} among IPv{version})"
        )
    return net.version


def _scan(*groups: Iterable[IPNetwork]) -> tuple[int | None, list[list[_Interval]]]:
    """Check that all of ``groups`` share one family; return it and each group's merged intervals.

    The family is ``None`` when every group is empty. This is the hot path (one pass over every network
    given), so it avoids per-network property look-ups beyond the address and prefix length.
    """
    version: int | None = None
    seen: type | None = None
    out: list[list[_Interval]] = []
    for group in groups:
        keys: list[int] = []
        for net in group:
            if type(net) is not seen:
                version = _classify(net, version)
                seen = type(net)
            keys.append((int(net.network_address) << 8) | net.prefixlen)
        keys.sort()
        merged: list[_Interval] = []
        if keys:
            max_bits = _MAX_BITS[version or 4]
            for key in keys:
                start = key >> 8
                end = start + (1 << (max_bits - (key & 0xFF)))
                if merged and start <= merged[-1][1]:
                    if end > merged[-1][1]:
                        merged[-1] = (merged[-1][0], end)
                else:
                    merged.append((start, end))
        out.append(merged)
    return version, out


def _subtract(a: Sequence[_Interval], b: Sequence[_Interval]) -> list[_Interval]:
    """``a`` minus ``b``, both sorted and merged; linear in their lengths."""
    out: list[_Interval] = []
    j = 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        cur = start
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            if cur >= end:
                break
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def _intersect(a: Sequence[_Interval], b: Sequence[_Interval]) -> list[_Interval]:
    """The intersection of ``a`` and ``b``, both sorted and merged; linear in their lengths."""
    out: list[_Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _size(intervals: Iterable[_Interval]) -> int:
    return sum(end - start for start, end in intervals)


def _cidr_spans(start: int, end: int, max_bits: int) -> list[tuple[int, int]]:
    """The minimal CIDR decomposition of ``[start, end)`` as ``(start, size_bits)`` pairs, lowest first."""
    spans: list[tuple[int, int]] = []
    while start < end:
        # the largest block aligned at ``start`` (any size at address 0) that still fits before ``end``
        bits = (start & -start).bit_length() - 1 if start else max_bits
        while (1 << bits) > end - start:
            bits -= 1
        spans.append((start, bits))
        start += 1 << bits
    return spans


def _network(version: int, start: int, size_bits: int) -> IPNetwork:
    if version == 4:
        return ipaddress.IPv4Network((start, 32 - size_bits))
    return ipaddress.IPv6Network((start, 128 - size_bits))


def _to_networks(intervals: Iterable[_Interval], version: int) -> list[IPNetwork]:
    max_bits = _MAX_BITS[version]
    return [
        _network(version, start, bits)
        for lo, hi in intervals
        for start, bits in _cidr_spans(lo, hi, max_bits)
    ]


def _largest_block(intervals: Iterable[_Interval], max_bits: int) -> int:
    best = 0
    for lo, hi in intervals:
        for _, bits in _cidr_spans(lo, hi, max_bits):
            best = max(best, 1 << bits)
    return best


def _check_count(count: int, version: int | None) -> None:
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidAllocationCount(f"the number of IP addresses must be an integer, got {count!r}")
    if count <= 0:
        raise InvalidAllocationCount(f"the number of IP addresses must be positive, got {count}")
    if version is not None and count > 1 << _MAX_BITS[version]:
        raise InvalidAllocationCount(
            f"{count} IP addresses is more than the whole IPv{version} address space "
            f"(2**{_MAX_BITS[version]})"
        )


def _place(count: int, free: list[_Interval], version: int, requested: int) -> list[IPNetwork]:
    """Place ``split_count(count)`` first-fit in ``free`` (sorted, merged; consumed in place)."""
    original = list(free)
    available = _size(free)
    max_bits = _MAX_BITS[version]
    placed: list[IPNetwork] = []
    for block in split_count(count):
        bits = block.bit_length() - 1
        for i, (lo, hi) in enumerate(free):
            start = ((lo + block - 1) >> bits) << bits  # the first address in [lo, hi) aligned to ``block``
            if start + block <= hi:
                pieces = [p for p in ((lo, start), (start + block, hi)) if p[0] < p[1]]
                free[i : i + 1] = pieces
                placed.append(_network(version, start, bits))
                break
        else:
            largest = _largest_block(original, max_bits)
            raise InsufficientAddressSpace(
                requested,
                available,
                largest,
                _shortage_message(requested, available, largest, block, max_bits),
            )
    return placed


def _nothing_to_allocate_from(requested: int) -> InsufficientAddressSpace:
    return InsufficientAddressSpace(
        requested,
        0,
        0,
        f"cannot allocate {requested} IP addresses: there are no address prefixes to allocate from",
    )


def _shortage_message(requested: int, available: int, largest: int, block: int, max_bits: int) -> str:
    prefix = f"/{max_bits - (block.bit_length() - 1)}"
    largest_text = (
        f"the largest free aligned block holds {largest} (/{max_bits - (largest.bit_length() - 1)})"
        if largest
        else "there is no free block"
    )
    if available < requested:
        why = f"only {available} are free"
    else:
        why = f"{available} are free, but too fragmented to fit a {prefix} block ({block} addresses)"
    return (
        f"cannot allocate {requested} IP addresses (split into aligned power-of-two CIDR blocks): "
        f"{why}; {largest_text}"
    )


# --------------------------------------------------------------------------------------------------------
# public API


def split_count(count: int) -> list[int]:
    """Split ``count`` addresses into the power-of-two block sizes that add up to it, largest first.

    This is the binary expansion of ``count``: ``100`` → ``[64, 32, 4]``, ``80`` → ``[64, 16]``,
    ``2**64`` → ``[2**64]``. Raises `InvalidAllocationCount` (a ``ValueError``) if ``count`` is
    not a positive integer.

    ```python
    >>> split_count(100)
    [64, 32, 4]

    ```
    """
    _check_count(count, None)
    return [1 << bit for bit in range(count.bit_length() - 1, -1, -1) if count >> bit & 1]


def address_count(prefixes: Iterable[IPNetwork]) -> int:
    """The number of distinct addresses covered by ``prefixes`` (overlapping prefixes count once).

    ```python
    >>> from ipaddress import ip_network as net
    >>> address_count([net("10.0.0.0/24"), net("10.0.0.128/25")])
    256

    ```
    """
    return _size(_scan(prefixes)[1][0])


def summarize(prefixes: Iterable[IPNetwork]) -> list[IPNetwork]:
    """The minimal list of CIDR prefixes covering exactly the addresses of ``prefixes``, sorted by address.

    Like `ipaddress.collapse_addresses`, but refuses mixed families with a ``ValueError``.

    ```python
    >>> from ipaddress import ip_network as net
    >>> summarize([net("10.0.0.0/25"), net("10.0.0.128/25"), net("10.0.1.0/24")])
    [IPv4Network('10.0.0.0/23')]

    ```
    """
    version, (iv,) = _scan(prefixes)
    return [] if version is None else _to_networks(iv, version)


def free_space(containers: Sequence[IPNetwork], used: Sequence[IPNetwork]) -> list[IPNetwork]:
    """The minimal sorted CIDR cover of ``containers`` minus ``used``.

    ``containers`` may overlap one another; ``used`` may overlap itself or lie partly or wholly outside the
    containers (only what falls inside is taken away).

    ```python
    >>> from ipaddress import ip_network as net
    >>> free_space([net("10.0.0.0/24")], [net("10.0.0.0/26")])
    [IPv4Network('10.0.0.64/26'), IPv4Network('10.0.0.128/25')]

    ```
    """
    version, (cont_iv, used_iv) = _scan(containers, used)
    return [] if version is None else _to_networks(_subtract(cont_iv, used_iv), version)


def largest_free_block(containers: Sequence[IPNetwork], used: Sequence[IPNetwork]) -> int:
    """The size, in addresses, of the largest aligned CIDR block free in ``containers`` minus ``used``.

    ```python
    >>> from ipaddress import ip_network as net
    >>> largest_free_block([net("10.0.0.0/24")], [net("10.0.0.64/26")])
    128

    ```
    """
    version, (cont_iv, used_iv) = _scan(containers, used)
    return 0 if version is None else _largest_block(_subtract(cont_iv, used_iv), _MAX_BITS[version])


def allocate(count: int, containers: Sequence[IPNetwork], used: Sequence[IPNetwork]) -> list[IPNetwork]:
    """Allocate exactly ``count`` addresses from ``containers`` minus ``used``, the way Azure IPAM does.

    Returns the blocks of `split_count` (largest first, so sorted by size descending), each aligned
    to its size and placed at the lowest free aligned position left by the blocks before it. The blocks
    need not be contiguous. Raises `InvalidAllocationCount` if ``count`` is not positive or exceeds
    the address family, `InsufficientAddressSpace` if the blocks cannot all be placed (then nothing
    is allocated), and `MixedAddressFamilies` (a ``ValueError``) if IPv4 and IPv6 are mixed.

    Placing the largest block first loses nothing: whenever any placement of the blocks exists, this one
    succeeds, so the exception means the request cannot fit at all.

    ```python
    >>> from ipaddress import ip_network as net
    >>> allocate(100, [net("10.0.0.0/24")], [net("10.0.0.0/26")])
    [IPv4Network('10.0.0.64/26'), IPv4Network('10.0.0.128/27'), IPv4Network('10.0.0.160/30')]

    ```
    """
    version, (cont_iv, used_iv) = _scan(containers, used)
    _check_count(count, version)
    if version is None or not cont_iv:
        raise _nothing_to_allocate_from(count)
    return _place(count, _subtract(cont_iv, used_iv), version, count)


def grow(
    existing: Sequence[IPNetwork],
    new_count: int,
    containers: Sequence[IPNetwork],
    used: Sequence[IPNetwork],
) -> list[IPNetwork]:
    """Grow an allocation to exactly ``new_count`` addresses, keeping its existing blocks.

    Returns ``existing`` (unchanged, in its order) followed by the new blocks for the difference, as
    `allocate` would place them. ``used`` should include ``existing`` (they are taken away from the
    free space either way). The same count returns ``existing`` as it is; a smaller one raises
    `AllocationDecrease` (a ``ValueError``). If the increase cannot be placed,
    `InsufficientAddressSpace` is raised with ``requested`` = the increase.

    ```python
    >>> from ipaddress import ip_network as net
    >>> grow([net("10.0.0.0/26")], 96, [net("10.0.0.0/24")], [net("10.0.0.0/26")])
    [IPv4Network('10.0.0.0/26'), IPv4Network('10.0.0.64/27')]

    ```
    """
    version, (existing_iv, cont_iv, used_iv) = _scan(existing, containers, used)
    _check_count(new_count, version)
    current = _size(existing_iv)
    if new_count < current:
        raise AllocationDecrease(current, new_count)
    if new_count == current:
        return list(existing)
    extra = new_count - current
    if version is None or not cont_iv:
        raise _nothing_to_allocate_from(extra)
    free = _subtract(_subtract(cont_iv, used_iv), existing_iv)
    return [*existing, *_place(extra, free, version, extra)]


def intersection(a: Sequence[IPNetwork], b: Sequence[IPNetwork]) -> list[IPNetwork]:
    """The minimal sorted CIDR cover of the addresses that are in both ``a`` and ``b``.

    ```python
    >>> from ipaddress import ip_network as net
    >>> intersection([net("10.0.0.0/23")], [net("10.0.1.0/24"), net("10.0.2.0/24")])
    [IPv4Network('10.0.1.0/24')]

    ```
    """
    version, (a_iv, b_iv) = _scan(a, b)
    return [] if version is None else _to_networks(_intersect(a_iv, b_iv), version)


def covers(containers: Sequence[IPNetwork], prefixes: Sequence[IPNetwork]) -> bool:
    """Whether every address of ``prefixes`` lies inside ``containers`` (their union, not one of them).

    ```python
    >>> from ipaddress import ip_network as net
    >>> covers([net("10.0.0.0/25"), net("10.0.0.128/25")], [net("10.0.0.0/24")])
    True

    ```
    """
    _, (cont_iv, pref_iv) = _scan(containers, prefixes)
    return not _subtract(pref_iv, cont_iv)


def overlapping(candidates: Sequence[IPNetwork], taken: Sequence[IPNetwork]) -> list[IPNetwork]:
    """The members of ``candidates`` that share at least one address with ``taken``, in their order.

    ```python
    >>> from ipaddress import ip_network as net
    >>> overlapping([net("10.0.0.0/24"), net("10.0.1.0/24")], [net("10.0.1.128/25")])
    [IPv4Network('10.0.1.0/24')]

    ```
    """
    _, (_, taken_iv) = _scan(candidates, taken)
    return [net for net in candidates if _intersect(_scan([net])[1][0], taken_iv)]


@dataclass(frozen=True)
class PoolUsage:
    """An IPAM pool's usage, as ``ipamPools/{pool}/getPoolUsage`` reports it.

    The allocated, reserved and available prefixes are disjoint, each summarized to a minimal sorted CIDR
    cover (not one entry per allocation), and ``allocated + reserved + available == total``.
    ``address_prefixes`` are the pool's prefixes as given.

    ```python
    >>> from ipaddress import ip_network as net
    >>> usage = pool_usage([net("10.0.0.0/24")], allocated=[net("10.0.0.0/26")], reserved=[net("10.0.0.64/26")])
    >>> usage.available_address_prefixes, usage.number_of_available_ip_addresses
    ([IPv4Network('10.0.0.128/25')], 128)

    ```
    """

    address_prefixes: list[IPNetwork]
    allocated_address_prefixes: list[IPNetwork]
    reserved_address_prefixes: list[IPNetwork]
    available_address_prefixes: list[IPNetwork]
    total_number_of_ip_addresses: int
    number_of_allocated_ip_addresses: int
    number_of_reserved_ip_addresses: int
    number_of_available_ip_addresses: int
    child_pools: list[str] = field(default_factory=list)

    def to_wire(self) -> dict[str, object]:
        """The REST body's ``properties``-free shape: camelCase keys, prefixes and counts as strings.

        ``childPools`` is left to the caller (Azure reports ``{"id": ...}`` objects for them).

        ```python
        >>> from ipaddress import ip_network as net
        >>> pool_usage([net("10.0.0.0/24")], allocated=[net("10.0.0.0/25")]).to_wire()["availableAddressPrefixes"]
        ['10.0.0.128/25']

        ```
        """
        return {
            "addressPrefixes": [str(n) for n in self.address_prefixes],
            "allocatedAddressPrefixes": [str(n) for n in self.allocated_address_prefixes],
            "reservedAddressPrefixes": [str(n) for n in self.reserved_address_prefixes],
            "availableAddressPrefixes": [str(n) for n in self.available_address_prefixes],
            "totalNumberOfIPAddresses": str(self.total_number_of_ip_addresses),
            "numberOfAllocatedIPAddresses": str(self.number_of_allocated_ip_addresses),
            "numberOfReservedIPAddresses": str(self.number_of_reserved_ip_addresses),
            "numberOfAvailableIPAddresses": str(self.number_of_available_ip_addresses),
        }


def pool_usage(
    pool_prefixes: Sequence[IPNetwork],
    *,
    allocated: Sequence[IPNetwork] = (),
    reserved: Sequence[IPNetwork] = (),
    children: Sequence[IPNetwork] = (),
    child_pool_ids: Sequence[str] = (),
) -> PoolUsage:
    """Compute a pool's usage report.

    ``allocated`` are the prefixes handed out from the pool (virtual networks' blocks and any other
    allocations), ``children`` the child pools' prefixes (counted as allocated), ``reserved`` the reserved
    static CIDRs. Everything is clipped to the pool's prefixes, and an address is counted once: allocated
    wins over reserved. ``availableAddressPrefixes`` is the minimal CIDR cover of what is left.

    ```python
    >>> from ipaddress import ip_network as net
    >>> pool_usage([net("10.0.0.0/24")], children=[net("10.0.0.0/25")]).number_of_allocated_ip_addresses
    128

    ```
    """
    version, (pool_iv, taken_iv, reserved_all_iv) = _scan(pool_prefixes, [*allocated, *children], reserved)
    alloc_iv = _intersect(pool_iv, taken_iv)
    reserved_iv = _subtract(_intersect(pool_iv, reserved_all_iv), alloc_iv)
    free_iv = _subtract(_subtract(pool_iv, alloc_iv), reserved_iv)

    def nets(iv: list[_Interval]) -> list[IPNetwork]:
        return [] if version is None else _to_networks(iv, version)

    return PoolUsage(
        address_prefixes=list(pool_prefixes),
        allocated_address_prefixes=nets(alloc_iv),
        reserved_address_prefixes=nets(reserved_iv),
        available_address_prefixes=nets(free_iv),
        total_number_of_ip_addresses=_size(pool_iv),
        number_of_allocated_ip_addresses=_size(alloc_iv),
        number_of_reserved_ip_addresses=_size(reserved_iv),
        number_of_available_ip_addresses=_size(free_iv),
        child_pools=list(child_pool_ids),
    )
