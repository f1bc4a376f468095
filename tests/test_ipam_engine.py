"""The emulator's pure IPAM engine: Azure's power-of-two split, first-fit placement, growth and usage."""

from __future__ import annotations

import functools
import ipaddress
import random
from collections.abc import Callable, Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossipam.testing.ipam import (
    AllocationDecrease,
    InsufficientAddressSpace,
    InvalidAllocationCount,
    IPNetwork,
    MixedAddressFamilies,
    address_count,
    allocate,
    covers,
    free_space,
    grow,
    intersection,
    largest_free_block,
    overlapping,
    pool_usage,
    split_count,
    summarize,
)

V4 = ipaddress.IPv4Network
V6 = ipaddress.IPv6Network


def n4(*cidrs: str) -> list[IPNetwork]:
    return [V4(c) for c in cidrs]


def n6(*cidrs: str) -> list[IPNetwork]:
    return [V6(c) for c in cidrs]


def addresses(nets: Iterable[IPNetwork]) -> set[int]:
    """Every address of ``nets`` as an int: the brute-force oracle (small networks only)."""
    out: set[int] = set()
    for net in nets:
        start = int(net.network_address)
        out.update(range(start, start + net.num_addresses))
    return out


# ------------------------------------------------------------------------------------------------------
# split_count


@pytest.mark.parametrize(
    ("count", "blocks"),
    [
        (1, [1]),
        (80, [64, 16]),
        (100, [64, 32, 4]),
        (144, [128, 16]),
        (256, [256]),
        (255, [128, 64, 32, 16, 8, 4, 2, 1]),
        (2**64, [2**64]),
        (2**64 + 3, [2**64, 2, 1]),
    ],
)
def test_split_count(count: int, blocks: list[int]) -> None:
    assert split_count(count) == blocks


@pytest.mark.parametrize("count", [0, -1, -256])
def test_split_count_refuses_non_positive(count: int) -> None:
    with pytest.raises(InvalidAllocationCount) as info:
        split_count(count)
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------------------------------------------
# allocate: Azure's examples and first fit


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (80, ["10.0.0.0/26", "10.0.0.64/28"]),
        (100, ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]),
        (144, ["10.0.0.0/25", "10.0.0.128/28"]),
        (256, ["10.0.0.0/24"]),
        (1, ["10.0.0.0/32"]),
    ],
)
def test_allocate_splits_exact_count_into_power_of_two_blocks(count: int, expected: list[str]) -> None:
    blocks = allocate(count, n4("10.0.0.0/16"), [])
    assert blocks == n4(*expected)
    assert address_count(blocks) == count


def test_allocate_first_fit_after_existing_allocation() -> None:
    assert allocate(80, n4("10.0.0.0/16"), n4("10.0.0.0/26")) == n4("10.0.0.64/26", "10.0.0.128/28")


def test_allocate_fills_holes_lowest_first_and_blocks_may_be_non_contiguous() -> None:
    used = n4("10.0.0.0/28", "10.0.0.64/26")
    # the /26 cannot go at .0 (partly used) nor .64 (used): .128; the /28 fits the hole at .16
    assert allocate(80, n4("10.0.0.0/16"), used) == n4("10.0.0.128/26", "10.0.0.16/28")


def test_allocate_around_static_cidrs_and_child_pools() -> None:
    pool = n4("10.0.0.0/24")
    static = n4("10.0.0.0/30")
    child_pool = n4("10.0.0.128/25")
    assert allocate(64, pool, [*static, *child_pool]) == n4("10.0.0.64/26")
    assert allocate(100, pool, [*static, *child_pool]) == n4("10.0.0.64/26", "10.0.0.32/27", "10.0.0.4/30")


def test_allocate_spans_several_pool_prefixes() -> None:
    pool = n4("10.0.0.0/26", "10.1.0.0/24")
    assert allocate(100, pool, []) == n4("10.0.0.0/26", "10.1.0.0/27", "10.1.0.32/30")


def test_allocate_does_not_touch_its_inputs() -> None:
    pool = n4("10.0.0.0/24")
    used = n4("10.0.0.64/26", "10.0.0.192/26")
    with pytest.raises(InsufficientAddressSpace):
        allocate(128, pool, used)
    assert pool == n4("10.0.0.0/24")
    assert used == n4("10.0.0.64/26", "10.0.0.192/26")


def test_exhaustion_reports_requested_available_and_largest_block() -> None:
    with pytest.raises(InsufficientAddressSpace) as info:
        allocate(300, n4("10.0.0.0/24"), n4("10.0.0.0/26"))
    err = info.value
    assert (err.requested, err.available, err.largest_block) == (300, 192, 128)
    assert "300" in str(err)
    assert "192" in str(err)
    assert "/25" in str(err)


def test_fragmentation_is_reported_even_when_enough_addresses_are_free() -> None:
    with pytest.raises(InsufficientAddressSpace) as info:
        allocate(128, n4("10.0.0.0/24"), n4("10.0.0.64/26", "10.0.0.192/26"))
    err = info.value
    assert (err.requested, err.available, err.largest_block) == (128, 128, 64)
    assert "fragmented" in str(err)


def test_full_pool_and_no_pool() -> None:
    with pytest.raises(InsufficientAddressSpace) as info:
        allocate(1, n4("10.0.0.0/24"), n4("10.0.0.0/24"))
    assert (info.value.available, info.value.largest_block) == (0, 0)
    with pytest.raises(InsufficientAddressSpace) as info:
        allocate(1, [], [])
    assert (info.value.requested, info.value.available, info.value.largest_block) == (1, 0, 0)


@pytest.mark.parametrize("count", [0, -5])
def test_allocate_refuses_non_positive_counts(count: int) -> None:
    with pytest.raises(InvalidAllocationCount):
        allocate(count, n4("10.0.0.0/16"), [])


def test_allocate_refuses_counts_larger_than_the_family() -> None:
    with pytest.raises(InvalidAllocationCount):
        allocate(2**32 + 1, n4("0.0.0.0/0"), [])
    assert allocate(2**32, n4("0.0.0.0/0"), []) == n4("0.0.0.0/0")
    with pytest.raises(InvalidAllocationCount):
        allocate(2**128 + 1, n6("::/0"), [])


def test_subnets_are_carved_from_the_vnet_blocks() -> None:
    vnet_blocks = allocate(80, n4("10.0.0.0/16"), [])  # 10.0.0.0/26 + 10.0.0.64/28
    first = allocate(32, vnet_blocks, [])
    assert first == n4("10.0.0.0/27")
    second = allocate(16, vnet_blocks, first)
    assert second == n4("10.0.0.32/28")
    # 32 addresses are left (.48/28 and .64/28) but no aligned /27 among them
    with pytest.raises(InsufficientAddressSpace) as info:
        allocate(32, vnet_blocks, [*first, *second])
    assert (info.value.available, info.value.largest_block) == (32, 16)
    assert allocate(20, vnet_blocks, [*first, *second]) == n4("10.0.0.48/28", "10.0.0.64/30")


# ------------------------------------------------------------------------------------------------------
# grow


def test_grow_keeps_existing_blocks_and_adds_the_difference() -> None:
    pool = n4("10.0.0.0/16")
    existing = allocate(64, pool, [])
    other = allocate(16, pool, existing)  # 10.0.0.64/28, someone else's
    grown = grow(existing, 100, pool, [*existing, *other])
    assert grown[: len(existing)] == existing
    assert grown == n4("10.0.0.0/26", "10.0.0.96/27", "10.0.0.80/30")
    assert address_count(grown) == 100


def test_grow_excludes_existing_even_if_used_omits_it() -> None:
    pool = n4("10.0.0.0/24")
    assert grow(n4("10.0.0.0/26"), 80, pool, []) == n4("10.0.0.0/26", "10.0.0.64/28")


def test_grow_to_the_same_count_is_a_no_op() -> None:
    existing = n4("10.0.0.0/26", "10.0.0.64/28")
    assert grow(existing, 80, n4("10.0.0.0/16"), existing) == existing


def test_grow_refuses_decreases() -> None:
    existing = n4("10.0.0.0/26", "10.0.0.64/28")
    with pytest.raises(AllocationDecrease) as info:
        grow(existing, 64, n4("10.0.0.0/16"), existing)
    assert isinstance(info.value, ValueError)
    assert (info.value.current, info.value.requested) == (80, 64)
    assert "80" in str(info.value)
    assert "64" in str(info.value)


def test_grow_that_does_not_fit_reports_the_increase() -> None:
    existing = n4("10.0.0.0/25")
    with pytest.raises(InsufficientAddressSpace) as info:
        grow(existing, 512, n4("10.0.0.0/24"), existing)
    assert (info.value.requested, info.value.available, info.value.largest_block) == (384, 128, 128)


# ------------------------------------------------------------------------------------------------------
# IPv6 and family mixing


def test_ipv6_slash_48_pool_hands_out_a_slash_64() -> None:
    pool = n6("2001:db8::/48")
    first = allocate(2**64, pool, [])
    assert first == n6("2001:db8::/64")
    assert allocate(2**64, pool, first) == n6("2001:db8:0:1::/64")
    assert allocate(100, pool, first) == n6(
        "2001:db8:0:1::/122", "2001:db8:0:1::40/123", "2001:db8:0:1::60/126"
    )
    assert address_count(pool) == 2**80


def test_ipv6_exhaustion_numbers_are_exact_big_ints() -> None:
    pool = n6("2001:db8::/48")
    used = n6("2001:db8::/64")
    with pytest.raises(InsufficientAddressSpace) as info:
        allocate(2**80, pool, used)
    assert info.value.available == 2**80 - 2**64
    assert info.value.largest_block == 2**79


def test_mixing_families_is_refused_everywhere() -> None:
    v4 = n4("10.0.0.0/16")
    v6 = n6("2001:db8::/48")
    calls: list[Callable[[], object]] = [
        lambda: allocate(1, v4, v6),
        lambda: allocate(1, [*v4, *v6], []),
        lambda: free_space(v4, v6),
        lambda: grow(v6, 2**65, v4, []),
        lambda: summarize([*v4, *v6]),
        lambda: address_count([*v4, *v6]),
        lambda: intersection(v4, v6),
        lambda: covers(v4, v6),
        lambda: overlapping(v4, v6),
        lambda: largest_free_block(v4, v6),
        lambda: pool_usage(v4, allocated=v6),
    ]
    for call in calls:
        with pytest.raises(MixedAddressFamilies, match="IPv4 and IPv6"):
            call()
    assert issubclass(MixedAddressFamilies, ValueError)


def test_non_networks_are_refused() -> None:
    with pytest.raises(TypeError):
        free_space(["10.0.0.0/8"], [])  # type: ignore[list-item]


# ------------------------------------------------------------------------------------------------------
# free space, summaries, usage


def test_free_space_with_used_overlapping_and_partly_outside() -> None:
    containers = n4("10.0.0.64/26", "10.0.0.128/25", "10.0.0.128/26")  # the last two overlap
    used = n4(
        "10.0.0.0/25",  # partly outside the containers: only .64-.127 is inside
        "9.0.0.0/8",  # wholly outside
        "10.0.0.192/27",
        "10.0.0.200/29",  # overlaps the one before
        "10.0.1.0/24",  # wholly outside
    )
    assert free_space(containers, used) == n4("10.0.0.128/26", "10.0.0.224/27")


def test_free_space_merges_adjacent_containers() -> None:
    assert free_space(n4("10.0.0.0/25", "10.0.0.128/25"), []) == n4("10.0.0.0/24")
    assert free_space([], n4("10.0.0.0/24")) == []


def test_summarize_and_address_count() -> None:
    nets = n4("10.0.0.0/25", "10.0.0.128/26", "10.0.0.192/26", "10.0.0.0/30", "10.0.2.0/31")
    assert summarize(nets) == n4("10.0.0.0/24", "10.0.2.0/31")
    assert address_count(nets) == 258
    assert summarize([]) == []
    assert address_count([]) == 0


def test_intersection_covers_and_overlapping() -> None:
    a = n4("10.0.0.0/24")
    b = n4("10.0.0.128/25", "10.0.1.0/24")
    assert intersection(a, b) == n4("10.0.0.128/25")
    assert covers(n4("10.0.0.0/25", "10.0.0.128/25"), n4("10.0.0.64/26", "10.0.0.96/27", "10.0.0.0/25"))
    assert not covers(a, b)
    assert overlapping(n4("10.0.0.0/26", "10.0.2.0/24", "10.0.1.5/32"), b) == n4("10.0.1.5/32")
    assert largest_free_block(a, n4("10.0.0.64/26")) == 128


def test_pool_usage_report() -> None:
    pool = n4("10.0.0.0/16")
    vnet = allocate(80, pool, [])  # 10.0.0.0/26 + 10.0.0.64/28
    static = n4("10.0.1.0/24")
    child = n4("10.0.128.0/17")
    usage = pool_usage(pool, allocated=vnet, reserved=static, children=child, child_pool_ids=["/child"])
    assert usage.total_number_of_ip_addresses == 65536
    assert usage.number_of_allocated_ip_addresses == 80 + 32768
    assert usage.number_of_reserved_ip_addresses == 256
    assert usage.number_of_available_ip_addresses == 65536 - 80 - 32768 - 256
    assert usage.allocated_address_prefixes == n4("10.0.0.0/26", "10.0.0.64/28", "10.0.128.0/17")
    assert usage.available_address_prefixes == n4(
        "10.0.0.80/28",
        "10.0.0.96/27",
        "10.0.0.128/25",
        "10.0.2.0/23",
        "10.0.4.0/22",
        "10.0.8.0/21",
        "10.0.16.0/20",
        "10.0.32.0/19",
        "10.0.64.0/18",
    )
    wire = usage.to_wire()
    assert wire["totalNumberOfIPAddresses"] == "65536"
    assert wire["numberOfReservedIPAddresses"] == "256"
    assert wire["addressPrefixes"] == ["10.0.0.0/16"]
    assert wire["reservedAddressPrefixes"] == ["10.0.1.0/24"]
    assert usage.child_pools == ["/child"]


def test_pool_usage_counts_each_address_once_and_clips_to_the_pool() -> None:
    usage = pool_usage(
        n4("10.0.0.0/24"),
        allocated=n4("10.0.0.0/25", "10.0.0.0/26", "10.9.0.0/16"),
        reserved=n4("10.0.0.64/26", "10.0.0.128/26"),
    )
    assert usage.number_of_allocated_ip_addresses == 128
    assert usage.number_of_reserved_ip_addresses == 64
    assert usage.number_of_available_ip_addresses == 64
    assert usage.available_address_prefixes == n4("10.0.0.192/26")


def test_pool_usage_of_an_empty_pool() -> None:
    usage = pool_usage([])
    assert usage.total_number_of_ip_addresses == 0
    assert usage.available_address_prefixes == []


# ------------------------------------------------------------------------------------------------------
# scale: a /8 with thousands of allocations (speed is measured in benchmarks/, not asserted here)


def test_a_slash_8_with_thousands_of_allocations_finds_the_first_fit() -> None:
    rng = random.Random(8)
    pool = n4("10.0.0.0/8")
    used: list[IPNetwork] = [V4((0x0A000000 + i * 512, 24)) for i in range(2000)]
    rng.shuffle(used)
    assert allocate(100, pool, used) == n4("10.0.1.0/26", "10.0.1.64/27", "10.0.1.96/30")
    assert allocate(2**64, n6("2001:db8::/32"), []) == n6("2001:db8::/64")


# ------------------------------------------------------------------------------------------------------
# properties


_BASE4 = int(ipaddress.IPv4Address("10.0.0.0"))


@st.composite
def v4_in_slash_23(draw: st.DrawFn, min_prefix: int = 23, max_prefix: int = 32) -> IPNetwork:
    """A network inside 10.0.0.0/23 (512 addresses, small enough for the brute-force oracle)."""
    prefix = draw(st.integers(min_prefix, max_prefix))
    index = draw(st.integers(0, 2 ** (prefix - 23) - 1))
    return V4((_BASE4 + (index << (32 - prefix)), prefix))


containers_v4 = st.lists(v4_in_slash_23(24, 30), max_size=4)
used_v4 = st.lists(v4_in_slash_23(23, 32), max_size=8)


def check_blocks(
    blocks: Sequence[IPNetwork], count: int, containers: Sequence[IPNetwork], used: Sequence[IPNetwork]
) -> None:
    assert [b.num_addresses for b in blocks] == split_count(count)
    assert sum(b.num_addresses for b in blocks) == count
    assert all(int(b.network_address) % b.num_addresses == 0 for b in blocks)  # aligned to own size
    got = addresses(blocks)
    assert len(got) == count  # pairwise disjoint
    assert got <= addresses(containers)
    assert not got & addresses(used)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(containers=containers_v4, used=used_v4)
def test_property_free_space_partitions_the_containers(
    containers: list[IPNetwork], used: list[IPNetwork]
) -> None:
    free = free_space(containers, used)
    inside_used = intersection(used, containers)
    assert addresses(free) == addresses(containers) - addresses(used)
    assert not addresses(free) & addresses(inside_used)
    assert addresses(free) | addresses(inside_used) == addresses(containers)
    assert address_count(free) + address_count(inside_used) == address_count(containers)
    assert summarize(free) == free  # minimal and sorted
    assert free == sorted(free)
    assert largest_free_block(containers, used) == max((n.num_addresses for n in free), default=0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(containers=containers_v4, used=used_v4, count=st.integers(1, 600))
def test_property_allocation_is_exact_disjoint_aligned_and_first_fit(
    containers: list[IPNetwork], used: list[IPNetwork], count: int
) -> None:
    free_addrs = addresses(containers) - addresses(used)
    try:
        blocks = allocate(count, containers, used)
    except InsufficientAddressSpace as err:
        assert err.requested == count
        assert err.available == len(free_addrs)
        assert err.largest_block == largest_free_block(containers, used)
        return
    check_blocks(blocks, count, containers, used)
    # first fit: no lower aligned position of each block's size was free when it was placed
    for block in blocks:
        size = block.num_addresses
        start = int(block.network_address)
        for lower in range(_BASE4, start, size):
            assert not set(range(lower, lower + size)) <= free_addrs
        free_addrs -= addresses([block])


@functools.cache
def feasible(sizes: tuple[int, ...], free_mask: int) -> bool:
    """Brute force: can blocks of ``sizes`` be placed aligned in the 32-address universe ``free_mask``?"""
    if not sizes:
        return True
    size, rest = sizes[0], sizes[1:]
    block_mask = (1 << size) - 1
    for start in range(0, 32, size):
        mask = block_mask << start
        if free_mask & mask == mask and feasible(rest, free_mask & ~mask):
            return True
    return False


@settings(max_examples=200, deadline=None)
@given(
    used=st.lists(v4_in_slash_23(27, 32).filter(lambda n: int(n.network_address) < _BASE4 + 32), max_size=6),
    count=st.integers(1, 32),
)
def test_property_allocation_fails_only_when_no_placement_exists(used: list[IPNetwork], count: int) -> None:
    container = n4("10.0.0.0/27")
    free_mask = 0
    for address in addresses(container) - addresses(used):
        free_mask |= 1 << (address - _BASE4)
    possible = feasible(tuple(split_count(count)), free_mask)
    try:
        allocate(count, container, used)
    except InsufficientAddressSpace:
        assert not possible
    else:
        assert possible


@settings(max_examples=100, deadline=None)
@given(containers=containers_v4, used=used_v4, first=st.integers(1, 200), more=st.integers(0, 200))
def test_property_grow_keeps_existing_and_reaches_the_exact_count(
    containers: list[IPNetwork], used: list[IPNetwork], first: int, more: int
) -> None:
    try:
        existing = allocate(first, containers, used)
    except InsufficientAddressSpace:
        return
    try:
        grown = grow(existing, first + more, containers, [*used, *existing])
    except InsufficientAddressSpace as err:
        assert err.requested == more
        return
    assert grown[: len(existing)] == existing
    added = grown[len(existing) :]
    assert address_count(grown) == first + more
    if more:
        check_blocks(added, more, containers, [*used, *existing])
    else:
        assert added == []


_BASE6 = int(ipaddress.IPv6Address("2001:db8::"))


@st.composite
def v6_in_slash_44(draw: st.DrawFn) -> IPNetwork:
    prefix = draw(st.integers(44, 64))
    index = draw(st.integers(0, 2 ** (prefix - 44) - 1))
    return V6((_BASE6 + (index << (128 - prefix)), prefix))


@settings(max_examples=100, deadline=None)
@given(
    containers=st.lists(v6_in_slash_44(), max_size=4),
    used=st.lists(v6_in_slash_44(), max_size=8),
    count=st.integers(1, 2**84),
)
def test_property_ipv6_matches_the_ipaddress_reference(
    containers: list[IPNetwork], used: list[IPNetwork], count: int
) -> None:
    # reference: ipaddress's own collapse / exclude
    remaining: list[ipaddress.IPv6Network] = list(
        ipaddress.collapse_addresses(V6(str(c)) for c in containers)
    )
    for u in used:
        u6 = V6(str(u))
        nxt: list[ipaddress.IPv6Network] = []
        for net in remaining:
            if net.subnet_of(u6):
                continue
            if u6.subnet_of(net):
                nxt.extend(net.address_exclude(u6))
            else:
                nxt.append(net)
        remaining = nxt
    reference = list(ipaddress.collapse_addresses(remaining))
    assert free_space(containers, used) == reference
    try:
        blocks = allocate(count, containers, used)
    except InsufficientAddressSpace as err:
        assert err.available == sum(n.num_addresses for n in reference)
        return
    assert [b.num_addresses for b in blocks] == split_count(count)
    assert covers(reference, blocks)
    assert not overlapping(blocks, used)
    assert address_count(blocks) == count
