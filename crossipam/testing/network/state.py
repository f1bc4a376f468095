"""Microsoft.Network's state in the offline Azure: the records it stores and what they hold together.

The records (`NetworkManager`, `Pool`, `StaticCidr`, `VNet`, `Connection`)
and `NetworkState`, the stores of one offline Azure with the questions asked of them (what a pool holds,
its usage and associated resources, whether a connection is Connected). It is plain data: no lock (callers hold
the services' lock), no clock, no HTTP, no reference to the emulator or to a handler. What may be written is
decided by `.rules` and `.vnet_rules`; the handlers and the seeding API write it.

``vnets`` is an `AllocationStore` (`crossipam.testing.ipam_space`): a ``dict`` that keeps, as VNets are stored
and removed, each pool's used space, so that a VNet PUT allocates without reading the other VNets; a pool's
usage and associated resources are kept until its books change.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .. import ipam
from .._ids import MANAGEMENT_GROUP_ID, SUBSCRIPTION_ID
from .._lro import Operations
from ..ipam import IPNetwork
from ..ipam_space import AllocationStore
from ..state import State

__all__ = [
    "SEEDED_BY",
    "Connection",
    "NetworkManager",
    "NetworkState",
    "Pool",
    "StaticCidr",
    "SystemData",
    "VNet",
    "new_etag",
    "new_strong_etag",
]


def new_etag() -> str:
    """A fresh weak ETag, as Microsoft.Network sends (``W/"<guid>"``, new on every write)."""
    return f'W/"{uuid.uuid4()}"'


def new_strong_etag() -> str:
    """A fresh ETag as the IPAM pool examples show it (``"<guid>"``, quotes included; new on every write)."""
    return f'"{uuid.uuid4()}"'


SEEDED_BY = "crossipam.testing"
"""``systemData.createdBy`` of what the seeding API wrote (no caller): not an identity Azure would name."""


@dataclass(frozen=True)
class SystemData:
    """ARM's ``systemData`` of a network-manager resource: who created and last modified it, and when.

    An application (every caller of the offline Azure) is named by its app id with type ``Application``.

    ```python
    first = SystemData.stamp(None, "app-id", 0.0)
    later = SystemData.stamp(first, "other-app", 60.0)  # created_* kept, last_modified_* new
    later.to_arm()["createdBy"]  # "app-id"
    ```
    """

    created_by: str
    created_by_type: str
    created_at: float
    last_modified_by: str
    last_modified_by_type: str
    last_modified_at: float

    @classmethod
    def stamp(
        cls, previous: SystemData | None, by: str, at: float, by_type: str = "Application"
    ) -> SystemData:
        """The system data after a write by ``by`` at ``at`` (creation fields kept from ``previous``).

        Args:
            previous: The resource's system data before the write (``None`` for a create).
            by: Who writes (an app id, or `SEEDED_BY`).
            at: When (emulator time, seconds since the epoch).
            by_type: ``Application``, ``User``, ``ManagedIdentity`` or ``Key``.

        ```python
        SystemData.stamp(None, "app-id", 0.0).created_by_type  # "Application"
        ```
        """
        if previous is None:
            return cls(by, by_type, at, by, by_type, at)
        return cls(previous.created_by, previous.created_by_type, previous.created_at, by, by_type, at)

    def to_arm(self) -> dict[str, str]:
        """The ``systemData`` object as ARM returns it."""
        return {
            "createdBy": self.created_by,
            "createdByType": self.created_by_type,
            "createdAt": _iso(self.created_at),
            "lastModifiedBy": self.last_modified_by,
            "lastModifiedByType": self.last_modified_by_type,
            "lastModifiedAt": _iso(self.last_modified_at),
        }


def _with_system_data(body: dict[str, Any], system_data: SystemData | None) -> dict[str, Any]:
    if system_data is not None:
        body["systemData"] = system_data.to_arm()
    return body


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int((ts % 1) * 1e7):07d}Z"


# --------------------------------------------------------------------------------------------------------
# records


@dataclass
class NetworkManager:
    """A network manager (``Microsoft.Network/networkManagers``): its properties kept as sent."""

    id: str
    subscription_id: str
    name: str
    location: str
    properties: dict[str, Any]
    tags: dict[str, Any] = field(default_factory=dict)
    etag: str = field(default_factory=new_etag)
    system_data: SystemData | None = None

    def to_arm(self) -> dict[str, Any]:
        """The manager as ARM returns it."""
        props = copy.deepcopy(self.properties)
        props.setdefault("provisioningState", "Succeeded")
        body = {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Network/networkManagers",
            "location": self.location,
            "tags": dict(self.tags),
            "etag": self.etag,
            "properties": props,
        }
        return _with_system_data(body, self.system_data)


@dataclass
class Pool:
    """An IPAM pool: its prefixes (one address family), its parent pool (by name) and what it was sent."""

    id: str
    nm_id: str
    name: str
    location: str
    prefixes: list[IPNetwork]
    parent_name: str = ""
    display_name: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)
    etag: str = field(default_factory=new_strong_etag)
    provisioning_state: str = "Succeeded"
    system_data: SystemData | None = None

    @property
    def version(self) -> int:
        """The pool's IP version (4 or 6)."""
        return self.prefixes[0].version if self.prefixes else 4

    def to_arm(self) -> dict[str, Any]:
        """The pool as ARM returns it."""
        props: dict[str, Any] = copy.deepcopy(self.extra)
        props.update(
            {
                "description": self.description,
                "displayName": self.display_name,
                "ipAddressType": [f"IPv{self.version}"],
                "parentPoolName": self.parent_name,
                "addressPrefixes": [str(p) for p in self.prefixes],
                "provisioningState": self.provisioning_state,
            }
        )
        body = {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Network/networkManagers/ipamPools",
            "location": self.location,
            "tags": dict(self.tags),
            "etag": self.etag,
            "properties": props,
        }
        return _with_system_data(body, self.system_data)


@dataclass
class StaticCidr:
    """A static CIDR: prefixes reserved in a pool (given, or allocated from a requested count)."""

    id: str
    pool_id: str
    name: str
    prefixes: list[IPNetwork]
    description: str = ""
    requested: str | None = None
    created_at: float = 0.0
    system_data: SystemData | None = None

    def to_arm(self) -> dict[str, Any]:
        """The static CIDR as ARM returns it: ``numberOfIPAddressesToAllocate`` echoes the requested count
        (``""`` when prefixes were given), and no ``etag`` (the StaticCidr model has none)."""
        props: dict[str, Any] = {
            "description": self.description,
            "numberOfIPAddressesToAllocate": self.requested if self.requested is not None else "",
            "addressPrefixes": [str(p) for p in self.prefixes],
            "totalNumberOfIPAddresses": str(ipam.address_count(self.prefixes)),
            "provisioningState": "Succeeded",
        }
        body = {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Network/networkManagers/ipamPools/staticCidrs",
            "properties": props,
        }
        return _with_system_data(body, self.system_data)


@functools.lru_cache(maxsize=65536)
def _blocks(prefixes: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """The parsed prefixes (cached: a stored VNet's allocations are read on every write and listing; networks
    are immutable)."""
    return tuple(ipaddress.ip_network(p) for p in prefixes)


@dataclass
class VNet:
    """A virtual network, stored as the ARM JSON of its last write (read-only fields filled in)."""

    id: str
    subscription_id: str
    resource_group: str
    name: str
    body: dict[str, Any]
    api_version: str
    alloc_created: dict[str, float] = field(default_factory=dict)
    """pool id (lower) -> emulator time the VNet first took an allocation from it"""

    @property
    def location(self) -> str:
        """The VNet's location as written."""
        return str(self.body.get("location", ""))

    @property
    def etag(self) -> str:
        """The VNet's current ETag."""
        return str(self.body.get("etag", ""))

    def allocations(self) -> list[tuple[str, list[IPNetwork]]]:
        """The VNet-level allocations: (pool id as sent, blocks)."""
        space = self.body.get("properties", {}).get("addressSpace", {}) or {}
        out = []
        for a in space.get("ipamPoolPrefixAllocations") or []:
            pid = str((a.get("pool") or {}).get("id", ""))
            out.append((pid, list(_blocks(tuple(a.get("allocatedAddressPrefixes") or ())))))
        return out

    def subnets(self) -> list[dict[str, Any]]:
        """The VNet's subnets as stored (ARM JSON)."""
        return list(self.body.get("properties", {}).get("subnets") or [])


@dataclass
class Connection:
    """A scope connection (network-manager side) or a network-manager connection (subscription side)."""

    id: str
    name: str
    kind: str  # "scope" | "nmc" | "mg" (a network-manager connection of a management group)
    owner: str  # network manager id (scope), subscription id (nmc) or management group id (mg), lower-case
    properties: dict[str, Any]
    etag: str = field(default_factory=new_etag)
    system_data: SystemData | None = None


# --------------------------------------------------------------------------------------------------------
# the stores


class NetworkState:
    """Microsoft.Network's stores of one offline Azure (by lower-case id) and its operations.

    ```python
    with services.lock:
        pool = state.pools[pool_id.lower()]
        state.pool_usage(pool)["numberOfAvailableIPAddresses"]
    ```
    """

    def __init__(self, operations: Operations) -> None:
        self.managers: dict[str, NetworkManager] = {}
        self.pools: dict[str, Pool] = {}
        self.static_cidrs: dict[str, StaticCidr] = {}
        self.vnets: AllocationStore[VNet] = AllocationStore()
        self.connections: dict[str, Connection] = {}
        self.operations = operations
        self._usage: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        self._associated: dict[str, tuple[tuple[Any, ...], list[dict[str, Any]]]] = {}

    def _books_of(self, pool: Pool) -> tuple[Any, ...]:
        """What a pool's usage and associated resources are computed from, short of the VNets themselves
        (they change the store's generation of the pool): equal books, equal answers."""
        statics = tuple(
            (s.id, s.description, s.created_at, tuple(s.prefixes)) for s in self.static_cidrs_of(pool)
        )
        children = tuple((c.id, tuple(c.prefixes)) for c in self.children(pool))
        return (self.vnets.generation(pool.id), pool.id, tuple(pool.prefixes), statics, children)

    def pool_usage(self, pool: Pool) -> dict[str, Any]:
        """The pool's ``getPoolUsage`` body (counts as strings); computed again only when the pool's books
        changed (a copy of the last answer otherwise)."""
        books = self._books_of(pool)
        cached = self._usage.get(pool.id.lower())
        if cached is None or cached[0] != books:
            cached = (books, self._pool_usage(pool))
            self._usage[pool.id.lower()] = cached
        return copy.deepcopy(cached[1])

    def associated_resources(self, pool: Pool) -> list[dict[str, Any]]:
        """The pool's ``listAssociatedResources`` entries (all pages), oldest first; computed again only when
        the pool's books changed (each entry a copy otherwise: the pages of a long list cost one listing)."""
        books = self._books_of(pool)
        cached = self._associated.get(pool.id.lower())
        if cached is None or cached[0] != books:
            cached = (books, self._associated_resources(pool))
            self._associated[pool.id.lower()] = cached
        return [
            {
                **row,
                "addressPrefixes": list(row["addressPrefixes"]),
                "reservedPrefixes": list(row["reservedPrefixes"]),
            }
            for row in cached[1]
        ]

    def _pool_usage(self, pool: Pool) -> dict[str, Any]:
        children = self.children(pool)
        usage = ipam.pool_usage(
            pool.prefixes,
            allocated=self.vnet_blocks(pool),
            reserved=[p for sc in self.static_cidrs_of(pool) for p in sc.prefixes],
            children=[p for c in children for p in c.prefixes],
        )
        body: dict[str, Any] = usage.to_wire()
        body["childPools"] = [
            {"resourceId": c.id, "addressPrefixes": [str(p) for p in c.prefixes]} for c in children
        ]
        return body

    def _associated_resources(self, pool: Pool) -> list[dict[str, Any]]:
        rows: list[tuple[float, str, dict[str, Any]]] = []
        for v in (self.vnets[key] for key in self.vnets.holders(pool.id)):
            for pid, blocks in v.allocations():
                if pid.lower() != pool.id.lower():
                    continue
                created = v.alloc_created.get(pool.id.lower(), 0.0)
                rows.append(
                    (
                        created,
                        v.id,
                        {
                            "resourceId": v.id,
                            "poolId": pool.id,
                            "description": "",
                            "addressPrefixes": [str(b) for b in blocks],
                            "reservedPrefixes": [],
                            "totalNumberOfIPAddresses": str(ipam.address_count(blocks)),
                            "numberOfReservedIPAddresses": "0",
                            "createdAt": _iso(created),
                            "reservationExpiresAt": None,
                        },
                    )
                )
        for sc in self.static_cidrs_of(pool):
            n = str(ipam.address_count(sc.prefixes))
            rows.append(
                (
                    sc.created_at,
                    sc.id,
                    {
                        "resourceId": sc.id,
                        "poolId": pool.id,
                        "description": sc.description,
                        "addressPrefixes": [],
                        "reservedPrefixes": [str(p) for p in sc.prefixes],
                        "totalNumberOfIPAddresses": n,
                        "numberOfReservedIPAddresses": n,
                        "createdAt": _iso(sc.created_at),
                        "reservationExpiresAt": None,
                    },
                )
            )
        rows.sort(key=lambda r: (r[0], r[1].lower()))
        return [r[2] for r in rows]

    def connection_state(self, conn: Connection, directory: State) -> str:
        """``Connected`` when both sides exist with the same scope (and, for a scope connection, the tenant it
        names owns the subscription), else ``Pending``."""
        if conn.kind == "mg" or (conn.kind == "scope" and MANAGEMENT_GROUP_ID.parse(self._scope_of(conn))):
            return "Connected" if self._mg_connected(conn) else "Pending"
        if conn.kind == "scope":
            rid = str(conn.properties.get("resourceId", "")).lower().rstrip("/")
            scope = SUBSCRIPTION_ID.parse(rid)
            if scope is None or SUBSCRIPTION_ID.build(scope) != rid:  # text as _has_scope compares it
                return "Pending"
            tenant = conn.properties.get("tenantId")
            actual = directory.tenant_of_subscription(scope["sub"])
            if tenant and actual and str(tenant).lower() != actual:
                return "Pending"
            return "Connected" if self._has_nmc(scope["sub"], conn.owner) else "Pending"
        nm_id = str(conn.properties.get("networkManagerId", "")).lower()
        return "Connected" if self._has_scope(nm_id, conn.owner) else "Pending"

    @staticmethod
    def _scope_of(conn: Connection) -> str:
        return str(conn.properties.get("resourceId", "")).lower().rstrip("/")

    def _mg_connected(self, conn: Connection) -> bool:
        """Both sides of a management group's connection: a scope connection naming the group and the
        group's network-manager connection naming the manager."""
        mg, nm = (
            (conn.owner, self._manager_of(conn)) if conn.kind == "mg" else (self._scope_of(conn), conn.owner)
        )
        return any(
            c.kind == "scope" and c.owner == nm and self._scope_of(c) == mg for c in self.connections.values()
        ) and any(
            c.kind == "mg" and c.owner == mg and self._manager_of(c) == nm for c in self.connections.values()
        )

    @staticmethod
    def _manager_of(conn: Connection) -> str:
        return str(conn.properties.get("networkManagerId", "")).lower()

    def is_connected(self, network_manager_id: str, subscription_id: str) -> bool:
        """Whether the network manager and the subscription are connected on both sides."""
        nm, sub = network_manager_id.lower(), subscription_id.lower()
        return self._has_nmc(sub, nm) and self._has_scope(nm, sub)

    def _has_nmc(self, sub: str, nm_id: str) -> bool:
        return any(
            c.kind == "nmc"
            and c.owner == sub
            and str(c.properties.get("networkManagerId", "")).lower() == nm_id
            for c in self.connections.values()
        )

    def _has_scope(self, nm_id: str, sub: str) -> bool:
        return any(
            c.kind == "scope"
            and c.owner == nm_id
            and str(c.properties.get("resourceId", "")).lower().rstrip("/")
            == SUBSCRIPTION_ID.build({"sub": sub})
            for c in self.connections.values()
        )

    # ---- what a pool holds -----------------------------------------------------------------------
    def children(self, pool: Pool) -> list[Pool]:
        """The pool's child pools."""
        return [
            p
            for p in self.pools.values()
            if p.nm_id.lower() == pool.nm_id.lower() and p.parent_name.lower() == pool.name.lower() and p.name
        ]

    def static_cidrs_of(self, pool: Pool) -> list[StaticCidr]:
        """The static CIDRs reserved in the pool."""
        return [s for s in self.static_cidrs.values() if s.pool_id.lower() == pool.id.lower()]

    def vnet_blocks(self, pool: Pool, exclude_vnet: str | None = None) -> list[IPNetwork]:
        """The blocks VNets (all but ``exclude_vnet``) hold from the pool."""
        return self.vnets.blocks_of(pool.id, (exclude_vnet or "").lower())

    def others_used(self, pool: Pool) -> list[IPNetwork]:
        """What of the pool is taken by other than VNets: static CIDRs and child pools."""
        return [p for s in self.static_cidrs_of(pool) for p in s.prefixes] + [
            p for c in self.children(pool) for p in c.prefixes
        ]

    def allocate_for_vnet(self, pool: Pool, count: int, existing: list[IPNetwork] | None) -> list[IPNetwork]:
        """``count`` addresses from the pool for a VNet that holds ``existing`` from it (grown from them), as
        ``ipam.grow(existing, count, pool.prefixes, pool_used(pool))`` (``ipam.allocate`` without ``existing``)
        answers or raises — but at a cost that does not grow with the number of VNets (see `crossipam.testing.ipam_space`)."""
        space = self.vnets.space(pool.id)
        if existing:
            return space.grow(existing, count, pool.prefixes, self.others_used(pool))
        return space.allocate(count, pool.prefixes, self.others_used(pool))

    def pool_used(
        self, pool: Pool, *, exclude_vnet: str | None = None, exclude_cidr: str | None = None
    ) -> list[IPNetwork]:
        """Everything of the pool that is taken: VNet blocks, static CIDRs, child pools (minus the excluded)."""
        used = self.vnet_blocks(pool, exclude_vnet)
        used += [
            p
            for s in self.static_cidrs_of(pool)
            if s.id.lower() != (exclude_cidr or "").lower()
            for p in s.prefixes
        ]
        used += [p for c in self.children(pool) for p in c.prefixes]
        return used
