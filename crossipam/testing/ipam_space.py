"""The used space of one IPAM pool, kept up to date block by block, so that an allocation costs the same in a
pool of ten allocations as in one of ten thousand.

`crossipam.testing.ipam` is pure: `ipam.allocate` is given every used prefix and sorts and merges them all,
so a virtual network PUT cost time proportional to the number of virtual networks the pool already served.
`UsedSpace` holds the blocks that virtual networks took from one pool as sorted, merged, disjoint intervals,
changed in place (``bisect``) when a block is taken or released, and answers `UsedSpace.allocate` and
`UsedSpace.grow` exactly as `ipam.allocate` and `ipam.grow` would with those blocks among the used prefixes:
the same blocks (first fit, largest first), the same exceptions with the same messages.

How it stays cheap: the first fit of a block of ``2**k`` addresses is searched from a *hint*, the lowest
address at which such a block could still be free (taking space never lowers a first fit; releasing a block
lowers the hints to its aligned start; a change of the pool's prefixes or of the other used prefixes — static
CIDRs, child pools — resets them). From there the search steps over whole merged runs of used space, so in a
pool filled from the bottom it looks at one or two intervals. Anything out of the ordinary (blocks that overlap
one another or mix address families, a count the pool cannot hold, a request that does not fit) is handed to
`ipam` itself with the full list of used prefixes, which then answers or raises as it always did.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar, overload

from . import ipam
from .ipam import IPNetwork

__all__ = ["AllocationStore", "HoldsAllocations", "UsedSpace"]

_Interval = tuple[int, int]
_T = TypeVar("_T")


class HoldsAllocations(Protocol):
    """A record that holds allocations from pools (a virtual network).

    ```python
    vnet.allocations()  # [(pool id as sent, [IPv4Network('10.0.0.0/28')])]
    ```
    """

    def allocations(self) -> list[tuple[str, list[IPNetwork]]]:
        """The (pool id, blocks) of each of its allocations."""
        ...


R = TypeVar("R", bound=HoldsAllocations)


def _interval(net: IPNetwork) -> _Interval:
    start = int(net.network_address)
    return start, start + net.num_addresses


def _merged(nets: Iterable[IPNetwork]) -> list[_Interval]:
    """Sorted, merged intervals of a few networks (one family: the caller checked)."""
    out: list[_Interval] = []
    for start, end in sorted(_interval(n) for n in nets):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


class UsedSpace:
    """The blocks taken from one pool (a multiset of networks) and, while they are disjoint and of one family,
    their union as sorted merged intervals with first-fit hints.

    ``allocate``/``grow`` answer as `ipam.allocate`/`ipam.grow` do with ``[*space, *others]`` as the used
    prefixes; `steps` counts the intervals the first-fit searches looked at (it does not grow with the pool).

    ```python
    from ipaddress import ip_network as net

    space = UsedSpace()
    space.add([net("10.0.0.0/28")])
    space.allocate(16, [net("10.0.0.0/24")], [])  # [IPv4Network('10.0.0.16/28')]
    ```
    """

    def __init__(self) -> None:
        self._count: dict[IPNetwork, int] = {}
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._clean = True  # the blocks are disjoint, of one family, and _starts/_ends are their union
        self._version: int | None = None
        self._hints: list[int] = [0] * 129
        self._signature: tuple[tuple[_Interval, ...], ...] = ()
        self.steps = 0
        """Merged intervals of used space the first-fit searches looked at (for tests: it stays flat)."""

    def __iter__(self) -> Iterator[IPNetwork]:
        for net, times in self._count.items():
            for _ in range(times):
                yield net

    def __len__(self) -> int:
        return sum(self._count.values())  # linear: for tests and reprs, not for the hot path

    def __bool__(self) -> bool:
        return bool(self._count)

    # ---- taking and releasing ------------------------------------------------------------------------------
    def add(self, nets: Iterable[IPNetwork]) -> None:
        """Record ``nets`` as taken.

        Args:
            nets: The blocks a virtual network now holds from the pool.

        ```python
        space.add([ip_network("10.0.0.0/28")])
        ```
        """
        for net in nets:
            self._count[net] = self._count.get(net, 0) + 1
            if not self._clean:
                continue
            if self._version is None:
                self._version = net.version
            if net.version != self._version or self._count[net] > 1 or not self._insert(*_interval(net)):
                self._clean = False

    def remove(self, nets: Iterable[IPNetwork]) -> None:
        """Record ``nets`` as released (each must have been added).

        Args:
            nets: The blocks a virtual network no longer holds from the pool.

        ```python
        space.remove([ip_network("10.0.0.0/28")])
        ```
        """
        for net in nets:
            times = self._count.get(net, 0)
            if times <= 1:
                self._count.pop(net, None)
            else:
                self._count[net] = times - 1
            if not times:
                self._clean = False  # released what was never taken: rebuild before trusting the intervals
            elif self._clean:
                start, end = _interval(net)
                self._delete(start, end)
                self._release(start)
        if not self._count:
            self._reset()

    def _reset(self) -> None:
        self._starts, self._ends, self._version, self._clean = [], [], None, True
        self._hints = [0] * 129

    def _insert(self, start: int, end: int) -> bool:
        """Add ``[start, end)`` to the union, merging with touching runs; ``False`` if it overlaps one."""
        i = bisect.bisect_right(self._ends, start)  # the first run ending after ``start``
        if i < len(self._starts) and self._starts[i] < end:
            return False
        if i < len(self._starts) and self._starts[i] == end:  # touches the next run
            end = self._ends[i]
            del self._starts[i], self._ends[i]
        if i and self._ends[i - 1] == start:  # touches the previous run
            self._ends[i - 1] = end
        else:
            self._starts.insert(i, start)
            self._ends.insert(i, end)
        return True

    def _delete(self, start: int, end: int) -> None:
        """Take ``[start, end)`` (a block of the union) out of its run, splitting it."""
        i = bisect.bisect_right(self._starts, start) - 1
        run_start, run_end = self._starts[i], self._ends[i]
        pieces = [p for p in ((run_start, start), (end, run_end)) if p[0] < p[1]]
        self._starts[i : i + 1] = [p[0] for p in pieces]
        self._ends[i : i + 1] = [p[1] for p in pieces]

    def _release(self, start: int) -> None:
        """A block at ``start`` became free: a block of any size may now fit from its aligned start."""
        hints = self._hints
        for bits in range(len(hints)):
            aligned = (start >> bits) << bits
            if aligned < hints[bits]:
                hints[bits] = aligned

    def _rebuild(self) -> bool:
        """Recompute the union from the multiset; ``True`` if the blocks are disjoint and of one family."""
        nets = list(self._count)
        self._reset()
        self._clean = all(times == 1 for times in self._count.values())
        if self._clean and nets:
            self._version = nets[0].version
            self._clean = all(n.version == self._version for n in nets) and all(
                self._insert(*iv) for iv in sorted(_interval(n) for n in nets)
            )
        return self._clean

    # ---- allocating ----------------------------------------------------------------------------------------
    def allocate(
        self, count: int, containers: Sequence[IPNetwork], others: Sequence[IPNetwork]
    ) -> list[IPNetwork]:
        """``ipam.allocate(count, containers, [*self, *others])``, without looking at every block.

        Args:
            count: The number of addresses to allocate.
            containers: The pool's prefixes.
            others: The other used prefixes of the pool (static CIDRs, child pools): a few.

        ```python
        space.allocate(100, [ip_network("10.0.0.0/24")], [])
        ```
        """
        plan = self._plan(count, containers, others)
        if plan is not None:
            placed = self._place(count, *plan)
            if placed is not None:
                return placed
        return ipam.allocate(count, containers, [*self, *others])

    def grow(
        self,
        existing: Sequence[IPNetwork],
        new_count: int,
        containers: Sequence[IPNetwork],
        others: Sequence[IPNetwork],
    ) -> list[IPNetwork]:
        """``ipam.grow(existing, new_count, containers, [*self, *others])``, without looking at every block.

        Args:
            existing: The allocation's blocks (taken: among this space's blocks).
            new_count: The number of addresses the allocation is to hold.
            containers: The pool's prefixes.
            others: The other used prefixes of the pool (static CIDRs, child pools): a few.

        ```python
        space.grow([ip_network("10.0.0.0/28")], 32, [ip_network("10.0.0.0/24")], [])
        ```
        """
        plan = self._plan(new_count, containers, others)
        if plan is not None and all(n in self._count and n.version == self._version for n in existing):
            current = ipam.address_count(existing)
            if new_count == current:
                return list(existing)
            if new_count > current:
                placed = self._place(new_count - current, *plan)
                if placed is not None:
                    return [*existing, *placed]
        return ipam.grow(existing, new_count, containers, [*self, *others])

    def _plan(
        self, count: int, containers: Sequence[IPNetwork], others: Sequence[IPNetwork]
    ) -> tuple[int, list[_Interval], list[_Interval]] | None:
        """The family, merged containers and merged others for the quick path, or ``None`` for `ipam`'s."""
        if not containers or (not self._clean and not self._rebuild()):
            return None
        version = containers[0].version
        if any(n.version != version for n in (*containers, *others)):
            return None
        if self._version not in (None, version) or isinstance(count, bool) or not isinstance(count, int):
            return None
        if not 0 < count <= 1 << (32 if version == 4 else 128):
            return None
        cont, rest = _merged(containers), _merged(others)
        signature = (tuple(cont), tuple(rest))
        if signature != self._signature:  # the pool or its other used space changed: hints may be too high
            self._signature = signature
            self._hints = [0] * 129
        return version, cont, rest

    def _place(
        self, count: int, version: int, containers: list[_Interval], others: list[_Interval]
    ) -> list[IPNetwork] | None:
        """The blocks of ``count`` placed first fit, largest first, or ``None`` if one does not fit."""
        placed: list[IPNetwork] = []
        for block in ipam.split_count(count):
            bits = block.bit_length() - 1
            start = self._first_fit(bits, self._hints[bits], containers, others)
            if start is None:
                return None
            if not placed:  # found in the stored space itself: nothing of this size (or larger) fits lower
                hints = self._hints
                for b in range(bits, len(hints)):
                    if hints[b] < start:
                        hints[b] = start
            net: IPNetwork = (
                ipaddress.IPv4Network((start, 32 - bits))
                if version == 4
                else ipaddress.IPv6Network((start, 128 - bits))
            )
            placed.append(net)
            others = _merged_with(others, (start, start + block))
        return placed

    def _first_fit(
        self, bits: int, pos: int, containers: list[_Interval], others: list[_Interval]
    ) -> int | None:
        """The lowest address from ``pos`` where an aligned block of ``2**bits`` lies free, if any."""
        size = 1 << bits
        ci = oi = 0
        while True:
            pos = ((pos + size - 1) >> bits) << bits
            end = pos + size
            while ci < len(containers) and containers[ci][1] <= pos:
                ci += 1
            if ci == len(containers):
                return None
            if containers[ci][0] > pos:
                pos = containers[ci][0]
                continue
            if end > containers[ci][1]:
                pos = containers[ci][1]
                continue
            while oi < len(others) and others[oi][1] <= pos:
                oi += 1
            if oi < len(others) and others[oi][0] < end:
                pos = others[oi][1]
                continue
            self.steps += 1
            i = bisect.bisect_right(self._ends, pos)  # the first used run ending after ``pos``
            if i < len(self._starts) and self._starts[i] < end:
                pos = self._ends[i]
                continue
            return pos


def _merged_with(intervals: list[_Interval], new: _Interval) -> list[_Interval]:
    """``intervals`` (sorted, merged) with ``new`` (disjoint from them) added."""
    out = sorted([*intervals, new])
    merged: list[_Interval] = []
    for start, end in out:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class AllocationStore(dict[str, R]):
    """Records that hold allocations from pools (the virtual networks), by key: a ``dict`` that also keeps, per
    pool, what each record holds from it and the pool's `UsedSpace`, updated on every write (store, pop,
    delete, clear, update).

    So a PUT allocates from a pool without reading every virtual network. The books follow what is *stored*: a
    writer stores a new record (or a copy); a stored record's allocations are never changed in place (anything
    else of it may be).

    ```python
    store = AllocationStore()
    store[vnet.id.lower()] = vnet
    store.blocks_of(pool_id)  # the blocks the VNets hold from the pool
    ```
    """

    def __init__(self, items: Mapping[str, R] | Iterable[tuple[str, R]] = ()) -> None:
        super().__init__()
        self._held: dict[str, dict[str, list[IPNetwork]]] = {}  # vnet key -> pool (lower) -> blocks
        self._by_pool: dict[str, dict[str, list[IPNetwork]]] = {}  # pool (lower) -> vnet key -> blocks
        self._spaces: dict[str, UsedSpace] = {}
        self._stamps: dict[str, int] = {}  # pool (lower) -> the write that last changed its books
        self._writes = 0
        self.update(items)

    def __reduce__(self) -> tuple[type[AllocationStore[R]], tuple[dict[str, R]]]:
        return (type(self), (dict(self),))

    def __setitem__(self, key: str, value: R) -> None:
        super().__setitem__(key, value)
        self._index(key, value)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._index(key, None)

    @overload
    def pop(self, key: str, /) -> R: ...
    @overload
    def pop(self, key: str, default: R, /) -> R: ...
    @overload
    def pop(self, key: str, default: _T, /) -> R | _T: ...
    def pop(self, key: str, *default: Any) -> Any:
        """Remove ``key`` and return its VNet (or ``default``).

        Args:
            key: A lower-case VNet id.
            default: What to return when there is no such VNet (``KeyError`` without it).

        ```python
        store.pop(vnet_id.lower(), None)
        ```
        """
        if key not in self:
            return super().pop(key, *default)
        value = super().pop(key)
        self._index(key, None)
        return value

    def popitem(self) -> tuple[str, R]:
        """Remove and return the last stored (key, R).

        ```python
        store.popitem()
        ```
        """
        key, value = super().popitem()
        self._index(key, None)
        return key, value

    def clear(self) -> None:
        """Remove every VNet.

        ```python
        store.clear()
        ```
        """
        for pool in self._by_pool:
            self._stamp(pool)
        super().clear()
        self._held.clear()
        self._by_pool.clear()
        self._spaces.clear()

    def update(self, *args: Any, **kwargs: R) -> None:
        """Store each (key, R) given, as ``dict.update`` does.

        Args:
            args: A mapping or (key, R) pairs.
            kwargs: More (key, R) pairs.

        ```python
        store.update({vnet.id.lower(): vnet})
        ```
        """
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: str, default: R, /) -> R:
        """The VNet at ``key``, storing ``default`` there first if there is none.

        Args:
            key: A lower-case VNet id.
            default: The VNet to store if there is none.

        ```python
        store.setdefault(vnet.id.lower(), vnet)
        ```
        """
        if key not in self:
            self[key] = default
        return self[key]

    def __ior__(self, other: Any) -> AllocationStore[R]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def _index(self, key: str, value: R | None) -> None:
        """Bring the per-pool books in line with ``value`` now stored at ``key`` (``None``: removed)."""
        new: dict[str, list[IPNetwork]] = {}
        for pid, blocks in value.allocations() if value is not None else ():
            new.setdefault(pid.lower(), []).extend(blocks)
        old = self._held.pop(key, {})
        if new:
            self._held[key] = new
        for pool in old.keys() | new.keys():
            self._stamp(pool)
            before, after = Counter(old.get(pool, ())), Counter(new.get(pool, ()))
            space = self._spaces.setdefault(pool, UsedSpace())
            space.remove((before - after).elements())
            space.add((after - before).elements())
            vnets = self._by_pool.setdefault(pool, {})
            if pool in new:
                vnets[key] = new[pool]
            else:
                vnets.pop(key, None)
            if not vnets:
                del self._by_pool[pool], self._spaces[pool]

    def _stamp(self, pool: str) -> None:
        self._writes += 1
        self._stamps[pool] = self._writes

    def generation(self, pool_id: str) -> int:
        """A number that changes whenever a record holding (or no longer holding) blocks of the pool is written.

        Args:
            pool_id: The pool's id (any case).

        ```python
        store.generation(pool.id)  # 0 until a record with an allocation from it is stored
        ```
        """
        return self._stamps.get(pool_id.lower(), 0)

    def space(self, pool_id: str) -> UsedSpace:
        """The `UsedSpace` of the blocks VNets hold from the pool (an empty one if they hold none).

        Args:
            pool_id: The pool's id (any case).

        ```python
        store.space(pool.id).allocate(16, pool.prefixes, [])
        ```
        """
        space = self._spaces.get(pool_id.lower())
        return UsedSpace() if space is None else space

    def holders(self, pool_id: str) -> list[str]:
        """The keys of the VNets with an allocation from the pool.

        Args:
            pool_id: The pool's id (any case).

        ```python
        store.holders(pool.id)
        ```
        """
        return list(self._by_pool.get(pool_id.lower(), ()))

    def blocks_of(self, pool_id: str, exclude: str = "") -> list[IPNetwork]:
        """The blocks the VNets (all but the one at key ``exclude``) hold from the pool.

        Args:
            pool_id: The pool's id (any case).
            exclude: The key of a VNet to leave out (``""``: none).

        ```python
        store.blocks_of(pool.id, exclude=vnet_id.lower())
        ```
        """
        vnets = self._by_pool.get(pool_id.lower(), {})
        return [b for key, blocks in vnets.items() if key != exclude for b in blocks]
