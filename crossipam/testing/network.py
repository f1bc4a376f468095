"""ARM Microsoft.Network for the offline Azure: virtual networks with IPAM allocations, network managers,
IPAM pools, static CIDRs, scope connections, network-manager connections (and resource group GET).

What it follows (see ``docs/offline-azure.md`` and the wire-facts reference):

* **Virtual networks** are stored as the ARM JSON the client sent (every property kept), plus the read-only
  fields (``id``, ``name``, ``type``, ``etag`` — ``W/"<guid>"``, new on every write —, ``provisioningState``,
  ``resourceGuid``, subnet ids/etags/types). PUT answers 201/200 with ``Azure-AsyncOperation`` and an integer
  ``Retry-After``; DELETE answers 202 with ``Azure-AsyncOperation`` + ``Location`` (204 when absent). The
  operation monitor is :mod:`crossipam.testing._lro`; while it runs the VNet reads ``provisioningState:
  Updating`` with its goal state. :meth:`NetworkState.fail_next_operation` makes the next operation end
  ``Failed``: the VNet is then rolled back to its state before the request (a failed create leaves no
  resource) or, with ``Settings.failed_write = "failed"``, kept as written with ``provisioningState: Failed``.
* **api-version semantics**: from ``2023-09-01`` a VNet PUT that omits ``subnets`` keeps the existing
  subnets, ``"subnets": []`` deletes them; older api-versions prune omitted subnets.
* **IPAM allocations**: ``addressSpace.ipamPoolPrefixAllocations`` (count as a string) are split into
  aligned power-of-two blocks by :mod:`crossipam.testing.ipam` (first fit), returned in
  ``allocatedAddressPrefixes`` and mirrored into ``addressSpace.addressPrefixes``. Subnet allocations are
  carved from the VNet's blocks of the same pool and mirrored into the subnet's ``addressPrefixes`` (plural,
  as in the spec example; ``addressPrefix`` is removed). Same count again → same prefixes; a larger count
  keeps the existing blocks and adds new ones; the pool's allocation is released when the VNet is deleted or
  a PUT stops referencing the pool (e.g. converted to static ``addressPrefixes``).
* **Choice** (documented, not verified against Azure): a payload with both ``addressPrefixes`` and
  ``ipamPoolPrefixAllocations`` is refused with ``CannotMixAddressPrefixAndPoolInPayload`` *unless* the
  prefixes equal exactly what the resource currently mirrors (clients PUT back what they GET). The same
  rule applies to subnets (``addressPrefix``/``addressPrefixes`` next to allocations).
* **Cross-tenant checks on VNet PUT**: the primary token must come from the VNet subscription's tenant
  and hold ``virtualNetworks/write``; each referenced pool needs
  ``ipamPools/associateResourcesToPool/action`` — from the primary principal for a same-tenant pool, from
  an ``x-ms-authorization-auxiliary`` token of the pool's tenant otherwise (403 ``LinkedAuthorizationFailed``
  in the two shapes ARM uses). With ``Settings.require_connection`` a cross-tenant pool also needs a
  Connected network-manager connection.

Error codes. Observed in the field: ``CannotMixAddressPrefixAndPoolInPayload``, ``CannotHaveDuplicatePoolIds``,
``SubnetPoolsMustBeSubsetOfVnetPools``, ``LinkedAuthorizationFailed``, ``AnotherOperationInProgress`` (409),
``NetcfgSubnetRangesOverlap``, ``NetcfgInvalidSubnet``, ``InvalidResourceReference``,
``LinkedInvalidPropertyId``, ``ResourceGroupNotFound``, ``ResourceNotFound``, ``PreconditionFailed`` (412).
**Unverified choices** (all 400 unless noted): ``OnlyOneIpamPoolPerIpTypeAllowed`` (more than one pool of a
family on a VNet), ``IpamPoolInsufficientAddressSpace`` (pool or VNet blocks exhausted),
``IpamAllocationCannotBeDecreased``, ``InvalidIpamPoolAllocationNumberOfIpAddresses``,
``InvalidAddressPrefixFormat``, ``NetworkManagerConnectionNotConnected`` (403, with ``require_connection``),
``IpamPoolPrefixesNotInParentPool``, ``IpamPoolPrefixesOverlap``, ``IpamPoolPrefixInUse``,
``IpamPoolMixedAddressFamilies``, ``IpamPoolHasAssociatedResources`` (pool delete while in use),
``StaticCidrPrefixesNotInPool``, ``StaticCidrPrefixesOverlap``. ``If-Match`` on VNets is honoured
(``Settings.vnet_honor_if_match``, default on) though the spec declares none. Pool/VNet region equality is
not enforced. ``listAssociatedResources`` lists VNets (by their own, e.g. Tenant-B, ids) and static CIDRs
(with ``reservedPrefixes``); subnets are not listed separately. Collection GETs return only the items the
caller may read.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import ipam
from ._http import EmulatorHTTPError, Request, Response, arm_error
from ._ids import (
    IPAM_POOL_ID,
    NETWORK_MANAGER_CONNECTION_ID,
    NETWORK_MANAGER_ID,
    RESOURCE_GROUP_ID,
    SCOPE_CONNECTION_ID,
    STATIC_CIDR_ID,
    SUBSCRIPTION_ID,
    VIRTUAL_NETWORK_ID,
)
from ._lro import Operation, Operations
from ._validate import IPAM_POOL, RESOURCE, STATIC_CIDR, VIRTUAL_NETWORK, Shape, api_version_date, check_shape
from .authorization import require
from .entra import Caller, authenticate, authenticate_auxiliary
from .ipam import IPNetwork

if TYPE_CHECKING:
    from ._core import Router
    from .emulator import AzureEmulator

__all__ = ["ASSOCIATE_ACTION", "NetworkState", "register"]

ASSOCIATE_ACTION = "Microsoft.Network/networkManagers/ipamPools/associateResourcesToPool/action"
VNET_WRITE = "Microsoft.Network/virtualNetworks/write"
VNET_READ = "Microsoft.Network/virtualNetworks/read"
VNET_DELETE = "Microsoft.Network/virtualNetworks/delete"
POOL_PREFIX = "Microsoft.Network/networkManagers/ipamPools"
#: From this api-version on, a VNet PUT that omits ``subnets`` keeps the existing ones.
SUBNETS_KEPT_FROM = "2023-09-01"
DEFAULT_API_VERSION = "2024-05-01"

_COUNT_RX = re.compile(r"[0-9]{1,40}")


def _etag() -> str:
    return f'W/"{uuid.uuid4()}"'


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int((ts % 1) * 1e7):07d}Z"


def _bad(code: str, message: str, status: int = 400) -> EmulatorHTTPError:
    return arm_error(status, code, message)


def _parse_prefix(text: object, where: str) -> IPNetwork:
    if not isinstance(text, str):
        raise _bad("InvalidAddressPrefixFormat", f"Address prefix {text!r} at {where} is not a string.")
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        raise _bad(
            "InvalidAddressPrefixFormat",
            f"Address prefix {text} at {where} is not formatted correctly: expected a CIDR prefix with no host "
            "bits set (e.g. 10.0.0.0/16).",
        ) from None


def _by_family(nets: list[IPNetwork]) -> dict[int, list[IPNetwork]]:
    out: dict[int, list[IPNetwork]] = {}
    for n in nets:
        out.setdefault(n.version, []).append(n)
    return out


def _norm(prefixes: list[Any]) -> set[str]:
    out: set[str] = set()
    for p in prefixes:
        try:
            out.add(str(ipaddress.ip_network(str(p).strip(), strict=False)))
        except ValueError:
            out.add(str(p))
    return out


def _parse_count(value: object, where: str) -> int:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    # ASCII digits only (str.isdigit also accepts '²', which int() refuses); 2**128 has 39 digits
    if not _COUNT_RX.fullmatch(text) or int(text) <= 0:
        raise _bad(
            "InvalidIpamPoolAllocationNumberOfIpAddresses",
            f"The value {value!r} of numberOfIpAddresses at {where} is invalid: it must be a positive integer "
            'given as a string, e.g. "256".',
        )
    return int(text)


def _api_at_least(api_version: str, floor: str) -> bool:
    """Whether ``api_version`` is ``floor`` or later, compared as dates (``-preview`` ignored)."""
    mine, limit = api_version_date(api_version), api_version_date(floor)
    return mine is not None and limit is not None and mine >= limit


# --------------------------------------------------------------------------------------------------------
# records


@dataclass
class _NetworkManager:
    id: str
    subscription_id: str
    name: str
    location: str
    properties: dict[str, Any]
    tags: dict[str, Any] = field(default_factory=dict)
    etag: str = field(default_factory=_etag)

    def to_arm(self) -> dict[str, Any]:
        props = copy.deepcopy(self.properties)
        props.setdefault("provisioningState", "Succeeded")
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Network/networkManagers",
            "location": self.location,
            "tags": dict(self.tags),
            "etag": self.etag,
            "properties": props,
        }


@dataclass
class _Pool:
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
    etag: str = field(default_factory=_etag)
    provisioning_state: str = "Succeeded"

    @property
    def version(self) -> int:
        return self.prefixes[0].version if self.prefixes else 4

    def to_arm(self) -> dict[str, Any]:
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
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Network/networkManagers/ipamPools",
            "location": self.location,
            "tags": dict(self.tags),
            "etag": self.etag,
            "properties": props,
        }


@dataclass
class _StaticCidr:
    id: str
    pool_id: str
    name: str
    prefixes: list[IPNetwork]
    description: str = ""
    requested: str | None = None
    created_at: float = 0.0
    etag: str = field(default_factory=_etag)

    def to_arm(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "description": self.description,
            "addressPrefixes": [str(p) for p in self.prefixes],
            "totalNumberOfIPAddresses": str(ipam.address_count(self.prefixes)),
            "provisioningState": "Succeeded",
        }
        if self.requested is not None:
            props["numberOfIPAddressesToAllocate"] = self.requested
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Network/networkManagers/ipamPools/staticCidrs",
            "etag": self.etag,
            "properties": props,
        }


@dataclass
class _VNet:
    id: str
    subscription_id: str
    resource_group: str
    name: str
    body: dict[str, Any]
    api_version: str
    #: pool id (lower) -> emulator time the VNet first took an allocation from it
    alloc_created: dict[str, float] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return str(self.body.get("location", ""))

    @property
    def etag(self) -> str:
        return str(self.body.get("etag", ""))

    def allocations(self) -> list[tuple[str, list[IPNetwork]]]:
        """The VNet-level allocations: (pool id as sent, blocks)."""
        space = self.body.get("properties", {}).get("addressSpace", {}) or {}
        out = []
        for a in space.get("ipamPoolPrefixAllocations") or []:
            pid = str((a.get("pool") or {}).get("id", ""))
            out.append((pid, [ipaddress.ip_network(p) for p in a.get("allocatedAddressPrefixes") or []]))
        return out

    def subnets(self) -> list[dict[str, Any]]:
        return list(self.body.get("properties", {}).get("subnets") or [])


@dataclass
class _Connection:
    """A scope connection (network-manager side) or a network-manager connection (subscription side)."""

    id: str
    name: str
    kind: str  # "scope" | "nmc"
    owner: str  # network manager id (scope) or subscription id (nmc)
    properties: dict[str, Any]
    etag: str = field(default_factory=_etag)


# --------------------------------------------------------------------------------------------------------
# state


class NetworkState:
    """Microsoft.Network state of one emulator (seeding helpers and the handlers' logic)."""

    def __init__(self, emulator: AzureEmulator) -> None:
        self.emulator = emulator
        self.managers: dict[str, _NetworkManager] = {}
        self.pools: dict[str, _Pool] = {}
        self.static_cidrs: dict[str, _StaticCidr] = {}
        self.vnets: dict[str, _VNet] = {}
        self.connections: dict[str, _Connection] = {}
        self.operations = Operations(emulator)

    # ---- seeding ---------------------------------------------------------------------------------
    def add_network_manager(
        self, resource_group_id: str, name: str, *, location: str = "eastus", description: str = ""
    ) -> str:
        """Create a network manager in an existing resource group; returns its id."""
        m = RESOURCE_GROUP_ID.parse(resource_group_id)
        if m is None:
            raise ValueError(f"not a resource group id: {resource_group_id!r}")
        nm_id = f"{resource_group_id}/providers/Microsoft.Network/networkManagers/{name}"
        props = {
            "description": description,
            "networkManagerScopes": {"managementGroups": [], "subscriptions": [SUBSCRIPTION_ID.build(m)]},
            "networkManagerScopeAccesses": [],
            "resourceGuid": str(uuid.uuid4()),
        }
        with self.emulator.lock:
            self.managers[nm_id.lower()] = _NetworkManager(nm_id, m["sub"].lower(), name, location, props)
        return nm_id

    def add_ipam_pool(
        self,
        network_manager_id: str,
        name: str,
        address_prefixes: list[str],
        *,
        location: str | None = None,
        parent_pool_name: str = "",
        display_name: str = "",
        description: str = "",
    ) -> str:
        """Create an IPAM pool (a child pool with ``parent_pool_name``); returns its id.

        The IP address type is inferred from the prefixes. Raises ``ValueError`` on invalid input.
        """
        with self.emulator.lock:
            nm = self.managers.get(network_manager_id.lower())
            if nm is None:
                raise ValueError(f"unknown network manager {network_manager_id!r}")
            pool_id = f"{nm.id}/ipamPools/{name}"
            try:
                pool = self._validated_pool(
                    nm,
                    pool_id,
                    name,
                    {
                        "addressPrefixes": list(address_prefixes),
                        "parentPoolName": parent_pool_name,
                        "displayName": display_name,
                        "description": description,
                    },
                    location or nm.location,
                    {},
                    None,
                )
            except EmulatorHTTPError as err:
                raise ValueError(err.response.body.decode()) from None
            self.pools[pool_id.lower()] = pool
        return pool_id

    def add_static_cidr(
        self, pool_id: str, name: str, address_prefixes: list[str], *, description: str = ""
    ) -> str:
        """Reserve ``address_prefixes`` in a pool as a static CIDR; returns its id."""
        with self.emulator.lock:
            pool = self.pools.get(pool_id.lower())
            if pool is None:
                raise ValueError(f"unknown pool {pool_id!r}")
            try:
                sc = self._validated_static_cidr(
                    pool, name, {"addressPrefixes": list(address_prefixes), "description": description}
                )
            except EmulatorHTTPError as err:
                raise ValueError(err.response.body.decode()) from None
            self.static_cidrs[sc.id.lower()] = sc
        return sc.id

    def connect(self, network_manager_id: str, subscription_id: str) -> None:
        """Create both sides of a cross-tenant connection (scope connection + network-manager connection)."""
        with self.emulator.lock:
            nm = self.managers.get(network_manager_id.lower())
            if nm is None:
                raise ValueError(f"unknown network manager {network_manager_id!r}")
            sub = subscription_id.lower()
            tenant = self.emulator.state.tenant_of_subscription(sub) or ""
            sc_id = f"{nm.id}/scopeConnections/conn-{sub}"
            self.connections[sc_id.lower()] = _Connection(
                sc_id,
                f"conn-{sub}",
                "scope",
                nm.id.lower(),
                {"tenantId": tenant, "resourceId": SUBSCRIPTION_ID.build({"sub": sub}), "description": ""},
            )
            nmc_id = NETWORK_MANAGER_CONNECTION_ID.build({"sub": sub, "conn": f"conn-{nm.name}"})
            self.connections[nmc_id.lower()] = _Connection(
                nmc_id, f"conn-{nm.name}", "nmc", sub, {"networkManagerId": nm.id, "description": ""}
            )

    def add_virtual_network(
        self,
        resource_group_id: str,
        name: str,
        *,
        location: str = "eastus",
        address_prefixes: list[str] | None = None,
        ipam_allocations: list[tuple[str, int]] | None = None,
        subnets: list[dict[str, Any]] | None = None,
        api_version: str = DEFAULT_API_VERSION,
    ) -> str:
        """Create a VNet directly (no authorization): static ``address_prefixes`` or ``ipam_allocations``
        as ``[(pool_id, count)]``; ``subnets`` as ARM JSON. Returns its id.

        ```python
        rg_id = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"
        emulator.network.add_virtual_network(rg_id, "vnet-existing", ipam_allocations=[(info.pool_id, 256)])
        ```
        """
        m = RESOURCE_GROUP_ID.parse(resource_group_id)
        if m is None:
            raise ValueError(f"not a resource group id: {resource_group_id!r}")
        space: dict[str, Any] = {}
        if address_prefixes:
            space["addressPrefixes"] = list(address_prefixes)
        if ipam_allocations:
            space["ipamPoolPrefixAllocations"] = [
                {"numberOfIpAddresses": str(n), "pool": {"id": pid}} for pid, n in ipam_allocations
            ]
        body: dict[str, Any] = {"location": location, "properties": {"addressSpace": space}}
        if subnets is not None:
            body["properties"]["subnets"] = subnets
        vnet_id = f"{resource_group_id}/providers/Microsoft.Network/virtualNetworks/{name}"
        with self.emulator.lock:
            existing = self.vnets.get(vnet_id.lower())
            try:
                rec = self._build_vnet(existing, body, m["sub"], m["rg"], name, api_version)
            except EmulatorHTTPError as err:
                raise ValueError(err.response.body.decode()) from None
            self._succeed(rec)
            self.vnets[rec.id.lower()] = rec
            return rec.id

    def fail_next_operation(
        self, code: str = "InternalServerError", message: str = "The operation failed (injected).", **kw: Any
    ) -> None:
        """Make the next long-running operation end ``Failed`` with ``error={code, message}``
        (``resource_type="virtualNetworks"`` to target one type, ``times=`` for several).

        ```python
        emulator.network.fail_next_operation("InternalServerError", "boom", resource_type="virtualNetworks")
        ```
        """
        with self.emulator.lock:
            self.operations.fail_next(code, message, **kw)

    # ---- reads -----------------------------------------------------------------------------------
    def get_virtual_network(self, vnet_id: str) -> dict[str, Any] | None:
        """A copy of the stored ARM JSON of a VNet, or ``None``."""
        with self.emulator.lock:
            self.operations.in_progress(vnet_id)
            rec = self.vnets.get(vnet_id.lower())
            return copy.deepcopy(rec.body) if rec else None

    def pool_usage(self, pool_id: str) -> dict[str, Any]:
        """The pool's ``getPoolUsage`` body (counts as strings)."""
        with self.emulator.lock:
            pool = self.pools.get(pool_id.lower())
            if pool is None:
                raise KeyError(pool_id)
            children = self._children(pool)
            usage = ipam.pool_usage(
                pool.prefixes,
                allocated=self._vnet_blocks(pool),
                reserved=[p for sc in self._static_cidrs_of(pool) for p in sc.prefixes],
                children=[p for c in children for p in c.prefixes],
            )
            body: dict[str, Any] = usage.to_wire()
            body["childPools"] = [
                {"resourceId": c.id, "addressPrefixes": [str(p) for p in c.prefixes]} for c in children
            ]
            return body

    def associated_resources(self, pool_id: str) -> list[dict[str, Any]]:
        """The pool's ``listAssociatedResources`` entries (all pages)."""
        with self.emulator.lock:
            pool = self.pools.get(pool_id.lower())
            if pool is None:
                raise KeyError(pool_id)
            rows: list[tuple[float, str, dict[str, Any]]] = []
            for v in self.vnets.values():
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
            for sc in self._static_cidrs_of(pool):
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

    def connection_state(self, conn: _Connection) -> str:
        """``Connected`` when both sides exist with the same scope, else ``Pending``."""
        if conn.kind == "scope":
            rid = str(conn.properties.get("resourceId", "")).lower().rstrip("/")
            scope = SUBSCRIPTION_ID.parse(rid)
            if scope is None or SUBSCRIPTION_ID.build(scope) != rid:  # text as _has_scope compares it
                return "Pending"
            tenant = conn.properties.get("tenantId")
            actual = self.emulator.state.tenant_of_subscription(scope["sub"])
            if tenant and actual and str(tenant).lower() != actual:
                return "Pending"
            return "Connected" if self._has_nmc(scope["sub"], conn.owner) else "Pending"
        nm_id = str(conn.properties.get("networkManagerId", "")).lower()
        return "Connected" if self._has_scope(nm_id, conn.owner) else "Pending"

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

    # ---- pool helpers ----------------------------------------------------------------------------
    def _children(self, pool: _Pool) -> list[_Pool]:
        return [
            p
            for p in self.pools.values()
            if p.nm_id.lower() == pool.nm_id.lower() and p.parent_name.lower() == pool.name.lower() and p.name
        ]

    def _static_cidrs_of(self, pool: _Pool) -> list[_StaticCidr]:
        return [s for s in self.static_cidrs.values() if s.pool_id.lower() == pool.id.lower()]

    def _vnet_blocks(self, pool: _Pool, exclude_vnet: str | None = None) -> list[IPNetwork]:
        out: list[IPNetwork] = []
        for v in self.vnets.values():
            if exclude_vnet is not None and v.id.lower() == exclude_vnet.lower():
                continue
            for pid, blocks in v.allocations():
                if pid.lower() == pool.id.lower():
                    out.extend(blocks)
        return out

    def _pool_used(
        self, pool: _Pool, *, exclude_vnet: str | None = None, exclude_cidr: str | None = None
    ) -> list[IPNetwork]:
        used = self._vnet_blocks(pool, exclude_vnet)
        used += [
            p
            for s in self._static_cidrs_of(pool)
            if s.id.lower() != (exclude_cidr or "").lower()
            for p in s.prefixes
        ]
        used += [p for c in self._children(pool) for p in c.prefixes]
        return used

    def _validated_pool(
        self,
        nm: _NetworkManager,
        pool_id: str,
        name: str,
        props: dict[str, Any],
        location: str,
        tags: dict[str, Any],
        existing: _Pool | None,
    ) -> _Pool:
        raw = props.get("addressPrefixes")
        if not isinstance(raw, list) or not raw:
            raise _bad("InvalidRequestFormat", "The IPAM pool property 'addressPrefixes' is required.")
        prefixes = [_parse_prefix(p, f"properties.addressPrefixes[{i}]") for i, p in enumerate(raw)]
        if len({p.version for p in prefixes}) > 1:
            raise _bad(
                "IpamPoolMixedAddressFamilies",
                f"IPAM pool '{name}' mixes IPv4 and IPv6 prefixes; a pool holds one address family.",
            )
        parent_name = str(props.get("parentPoolName") or "")
        if existing is not None and parent_name.lower() != existing.parent_name.lower():
            raise _bad("InvalidRequestFormat", f"The parent pool of IPAM pool '{name}' cannot be changed.")
        if parent_name:
            parent = self.pools.get(f"{nm.id}/ipamPools/{parent_name}".lower())
            if parent is None:
                raise _bad(
                    "InvalidResourceReference",
                    f"Parent pool '{parent_name}' of IPAM pool '{name}' was not found.",
                )
            if parent.version != prefixes[0].version or not ipam.covers(parent.prefixes, prefixes):
                raise _bad(
                    "IpamPoolPrefixesNotInParentPool",
                    f"The address prefixes {[str(p) for p in prefixes]} of IPAM pool '{name}' must lie within the "
                    f"prefixes {[str(p) for p in parent.prefixes]} of its parent pool '{parent.name}'.",
                )
            taken = self._pool_used(parent)
            if existing is not None:
                own = {str(p) for p in existing.prefixes}
                taken = [t for t in taken if str(t) not in own]
            clash = ipam.overlapping(prefixes, taken)
            if clash:
                raise _bad(
                    "IpamPoolPrefixesOverlap",
                    f"The address prefixes {[str(p) for p in clash]} of IPAM pool '{name}' overlap space of parent "
                    f"pool '{parent.name}' that is already allocated, reserved or given to another child pool.",
                )
        if existing is not None:
            inner = self._pool_used(existing)
            if inner and (inner[0].version != prefixes[0].version or not ipam.covers(prefixes, inner)):
                raise _bad(
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
        return _Pool(
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

    def _validated_static_cidr(self, pool: _Pool, name: str, props: dict[str, Any]) -> _StaticCidr:
        sc_id = f"{pool.id}/staticCidrs/{name}"
        existing = self.static_cidrs.get(sc_id.lower())
        raw = props.get("addressPrefixes")
        count_raw = props.get("numberOfIPAddressesToAllocate")
        used = self._pool_used(pool, exclude_cidr=sc_id)
        requested: str | None = None
        if raw:
            if not isinstance(raw, list):
                raise _bad("InvalidRequestFormat", "'addressPrefixes' must be a list of CIDR prefixes.")
            prefixes = [_parse_prefix(p, f"properties.addressPrefixes[{i}]") for i, p in enumerate(raw)]
            if any(p.version != pool.version for p in prefixes) or not ipam.covers(pool.prefixes, prefixes):
                raise _bad(
                    "StaticCidrPrefixesNotInPool",
                    f"The address prefixes {[str(p) for p in prefixes]} of static CIDR '{name}' must lie within the "
                    f"prefixes {[str(p) for p in pool.prefixes]} of pool '{pool.name}'.",
                )
            clash = ipam.overlapping(prefixes, used)
            if clash:
                raise _bad(
                    "StaticCidrPrefixesOverlap",
                    f"The address prefixes {[str(p) for p in clash]} of static CIDR '{name}' overlap space of pool "
                    f"'{pool.name}' that is already allocated, reserved or given to a child pool.",
                )
        elif count_raw is not None:
            count = _parse_count(count_raw, "properties.numberOfIPAddressesToAllocate")
            requested = str(count)
            if existing is not None and ipam.address_count(existing.prefixes) == count:
                prefixes = list(existing.prefixes)
            else:
                prefixes = self._allocate_in_pool(pool, count, used, f"static CIDR '{name}'")
        else:
            raise _bad(
                "InvalidRequestFormat",
                "A static CIDR needs 'addressPrefixes' or 'numberOfIPAddressesToAllocate'.",
            )
        return _StaticCidr(
            id=existing.id if existing else sc_id,
            pool_id=pool.id,
            name=existing.name if existing else name,
            prefixes=prefixes,
            description=str(props.get("description") or ""),
            requested=requested,
            created_at=existing.created_at if existing else self.emulator.clock.time(),
        )

    def _allocate_in_pool(
        self,
        pool: _Pool,
        count: int,
        used: list[IPNetwork],
        what: str,
        existing: list[IPNetwork] | None = None,
    ) -> list[IPNetwork]:
        try:
            if existing:
                return ipam.grow(existing, count, pool.prefixes, used + existing)
            return ipam.allocate(count, pool.prefixes, used)
        except ipam.AllocationDecrease as exc:
            raise _bad(
                "IpamAllocationCannotBeDecreased",
                f"The allocation of {what} from IPAM pool '{pool.id}' holds {exc.current} IP addresses and cannot "
                f"be decreased to {exc.requested}. Remove the allocation and create a new one instead.",
            ) from None
        except ipam.InsufficientAddressSpace as exc:
            raise _bad(
                "IpamPoolInsufficientAddressSpace",
                f"IPAM pool '{pool.id}' cannot provide {exc.requested} IP addresses for {what}: {exc}.",
            ) from None
        except ipam.InvalidAllocationCount as exc:
            raise _bad(
                "InvalidIpamPoolAllocationNumberOfIpAddresses", f"Invalid allocation for {what}: {exc}."
            ) from None

    # ---- virtual networks ------------------------------------------------------------------------
    def _build_vnet(
        self,
        existing: _VNet | None,
        body: dict[str, Any],
        sub: str,
        rg: str,
        name: str,
        api_version: str,
    ) -> _VNet:
        """Validate a VNet PUT body against the current state and compute the new record (no side effects)."""
        vnet_id = existing.id if existing else VIRTUAL_NETWORK_ID.build({"sub": sub, "rg": rg, "name": name})
        location = body.get("location")
        if not isinstance(location, str) or not location:
            raise _bad("LocationRequired", "The location property is required for this definition.")
        if (
            existing is not None
            and existing.location.replace(" ", "").lower() != location.replace(" ", "").lower()
        ):
            raise _bad(
                "InvalidResourceLocation",
                f"The resource '{existing.name}' already exists in location '{existing.location}' in resource group "
                f"'{existing.resource_group}'. A resource with the same name cannot be created in location "
                f"'{location}'. Please select a new resource name.",
            )
        props = body.get("properties") or {}
        if not isinstance(props, dict):
            raise _bad("InvalidRequestFormat", "'properties' must be an object.")
        space = props.get("addressSpace") or {}
        if not isinstance(space, dict):
            raise _bad("InvalidRequestFormat", "'properties.addressSpace' must be an object.")
        given = list(space.get("addressPrefixes") or [])
        allocs = list(space.get("ipamPoolPrefixAllocations") or [])
        old_allocs = {pid.lower(): blocks for pid, blocks in existing.allocations()} if existing else {}
        if allocs and given:
            current = (
                existing.body["properties"]["addressSpace"].get("addressPrefixes", []) if existing else []
            )
            if not old_allocs or _norm(given) != _norm(current):
                raise _bad(
                    "CannotMixAddressPrefixAndPoolInPayload",
                    f"Virtual network '{vnet_id}' cannot have both 'addressPrefixes' and 'ipamPoolPrefixAllocations' "
                    "in its address space. Use either static address prefixes or IPAM pool allocations.",
                )
        parsed = self._parse_allocations(allocs, "properties.addressSpace.ipamPoolPrefixAllocations", vnet_id)
        families: dict[int, str] = {}
        pool_blocks: dict[str, list[IPNetwork]] = {}
        alloc_out: list[dict[str, Any]] = []
        created = dict(existing.alloc_created) if existing else {}
        for (pool, count), raw in zip(parsed, allocs, strict=True):
            if pool.version in families:
                raise _bad(
                    "OnlyOneIpamPoolPerIpTypeAllowed",
                    f"Virtual network '{vnet_id}' references IPAM pools '{families[pool.version]}' and '{pool.id}' "
                    f"of the same IP type (IPv{pool.version}); only one association of each IP type is allowed.",
                )
            families[pool.version] = pool.id
            old = old_allocs.get(pool.id.lower())
            used = self._pool_used(pool, exclude_vnet=vnet_id)
            blocks = self._allocate_in_pool(pool, count, used, f"virtual network '{vnet_id}'", old)
            pool_blocks[pool.id.lower()] = blocks
            created.setdefault(pool.id.lower(), self.emulator.clock.time())
            entry = copy.deepcopy(raw)
            entry["numberOfIpAddresses"] = str(count)
            entry["allocatedAddressPrefixes"] = [str(b) for b in blocks]
            alloc_out.append(entry)
        created = {k: v for k, v in created.items() if k in pool_blocks}
        if allocs:
            space_nets = [b for bl in pool_blocks.values() for b in bl]
        else:
            space_nets = [
                _parse_prefix(p, f"properties.addressSpace.addressPrefixes[{i}]") for i, p in enumerate(given)
            ]
        # subnets
        if "subnets" in props:
            sub_bodies = list(props.get("subnets") or [])
        elif existing is not None and _api_at_least(api_version, SUBNETS_KEPT_FROM):
            sub_bodies = copy.deepcopy(existing.subnets())
        else:
            sub_bodies = []
        etag = _etag()
        subnets_out = self._build_subnets(existing, sub_bodies, vnet_id, space_nets, pool_blocks, etag)
        out = copy.deepcopy(body)
        out_props = out.setdefault("properties", {})
        out_space = copy.deepcopy(space)
        out_space["addressPrefixes"] = [str(n) for n in space_nets] if allocs else list(given)
        if allocs:
            out_space["ipamPoolPrefixAllocations"] = alloc_out
        else:
            out_space.pop("ipamPoolPrefixAllocations", None)
        out_props["addressSpace"] = out_space
        out_props["subnets"] = subnets_out
        out_props["provisioningState"] = "Updating"
        out_props["resourceGuid"] = (
            existing.body["properties"].get("resourceGuid") if existing else str(uuid.uuid4())
        )
        out_props.setdefault("virtualNetworkPeerings", [])
        out_props.setdefault("enableDdosProtection", False)
        out.update(
            {
                "id": vnet_id,
                "name": existing.name if existing else name,
                "type": "Microsoft.Network/virtualNetworks",
                "location": existing.location if existing else location,
                "etag": etag,
            }
        )
        return _VNet(
            id=vnet_id,
            subscription_id=sub.lower(),
            resource_group=existing.resource_group if existing else rg,
            name=existing.name if existing else name,
            body=out,
            api_version=api_version,
            alloc_created=created,
        )

    def _parse_allocations(self, allocs: list[Any], where: str, resource_id: str) -> list[tuple[_Pool, int]]:
        seen: set[str] = set()
        out: list[tuple[_Pool, int]] = []
        for i, a in enumerate(allocs):
            if not isinstance(a, dict):
                raise _bad("InvalidRequestFormat", f"{where}[{i}] must be an object.")
            pid = str((a.get("pool") or {}).get("id") or "")
            if not pid:
                raise _bad("InvalidRequestFormat", f"{where}[{i}].pool.id is required.")
            if pid.lower() in seen:
                raise _bad(
                    "CannotHaveDuplicatePoolIds",
                    f"Resource '{resource_id}' references IPAM pool '{pid}' more than once in {where}.",
                )
            seen.add(pid.lower())
            count = _parse_count(a.get("numberOfIpAddresses"), f"{where}[{i}].numberOfIpAddresses")
            pool = self.pools.get(pid.lower())
            if pool is None:
                raise _bad(
                    "InvalidResourceReference",
                    f"Resource {pid} referenced by resource {resource_id} was not found. Please make sure that the "
                    "referenced resource exists, and that both resources are in the same region.",
                )
            out.append((pool, count))
        return out

    def _build_subnets(
        self,
        existing: _VNet | None,
        sub_bodies: list[Any],
        vnet_id: str,
        space_nets: list[IPNetwork],
        pool_blocks: dict[str, list[IPNetwork]],
        etag: str,
    ) -> list[dict[str, Any]]:
        old_by_name: dict[str, dict[str, Any]] = {}
        if existing is not None:
            for s in existing.subnets():
                old_by_name[str(s.get("name", "")).lower()] = s
        names: set[str] = set()
        plans: list[dict[str, Any]] = []
        for i, sb in enumerate(sub_bodies):
            if not isinstance(sb, dict) or not sb.get("name"):
                raise _bad("InvalidRequestFormat", f"properties.subnets[{i}] needs a 'name'.")
            name = str(sb["name"])
            if name.lower() in names:
                raise _bad(
                    "DuplicateResourceName", f"Virtual network '{vnet_id}' has two subnets named '{name}'."
                )
            names.add(name.lower())
            sp = sb.get("properties") or {}
            sid = f"{vnet_id}/subnets/{name}"
            s_allocs = list(sp.get("ipamPoolPrefixAllocations") or [])
            s_given = ([sp["addressPrefix"]] if sp.get("addressPrefix") else []) + list(
                sp.get("addressPrefixes") or []
            )
            old = old_by_name.get(name.lower())
            old_allocs: dict[str, list[IPNetwork]] = {}
            if old is not None:
                for a in (old.get("properties") or {}).get("ipamPoolPrefixAllocations") or []:
                    old_allocs[str((a.get("pool") or {}).get("id", "")).lower()] = [
                        ipaddress.ip_network(p) for p in a.get("allocatedAddressPrefixes") or []
                    ]
            if s_allocs and s_given:
                mirror = [str(b) for bl in old_allocs.values() for b in bl]
                if not old_allocs or _norm(s_given) != _norm(mirror):
                    raise _bad(
                        "CannotMixAddressPrefixAndPoolInPayload",
                        f"Subnet '{sid}' cannot have both address prefixes and 'ipamPoolPrefixAllocations'.",
                    )
            where = f"properties.subnets[{i}].properties.ipamPoolPrefixAllocations"
            parsed = self._parse_allocations(s_allocs, where, sid)
            for pool, _count in parsed:
                if pool.id.lower() not in pool_blocks:
                    raise _bad(
                        "SubnetPoolsMustBeSubsetOfVnetPools",
                        f"Subnet '{sid}' references IPAM pool '{pool.id}', which virtual network '{vnet_id}' does not "
                        "take address space from. The pools of a subnet must be a subset of the pools of its "
                        "virtual network.",
                    )
            statics = (
                []
                if s_allocs
                else [
                    _parse_prefix(p, f"properties.subnets[{i}].properties.addressPrefix(es)") for p in s_given
                ]
            )
            plans.append(
                {
                    "body": sb,
                    "name": name,
                    "id": sid,
                    "parsed": parsed,
                    "raw": s_allocs,
                    "old": old_allocs,
                    "statics": statics,
                    "blocks": {},
                }
            )
        # pass 1: fixed space — static subnets and the blocks allocating subnets already hold
        fixed: list[IPNetwork] = []
        space_by_fam = _by_family(space_nets)
        for plan in plans:
            for fam, nets in _by_family(plan["statics"]).items():
                if not ipam.covers(space_by_fam.get(fam, []), nets):
                    raise _bad(
                        "NetcfgInvalidSubnet",
                        f"Subnet '{plan['name']}' is not valid because its IP address range is outside the IP address "
                        f"range of virtual network '{vnet_id.rsplit('/', 1)[-1]}'.",
                    )
            fixed.extend(plan["statics"])
            for pool, _ in plan["parsed"]:
                fixed.extend(plan["old"].get(pool.id.lower(), []))
        # pass 2: allocations (grow keeps existing blocks)
        placed: list[IPNetwork] = []
        for plan in plans:
            for pool, count in plan["parsed"]:
                containers = pool_blocks[pool.id.lower()]
                old_blocks = plan["old"].get(pool.id.lower(), [])
                used = [n for n in fixed + placed if n.version == pool.version]
                what = f"subnet '{plan['id']}'"
                try:
                    if old_blocks:
                        blocks = ipam.grow(old_blocks, count, containers, used)
                    else:
                        blocks = ipam.allocate(count, containers, used)
                except ipam.AllocationDecrease as exc:
                    raise _bad(
                        "IpamAllocationCannotBeDecreased",
                        f"The allocation of {what} from IPAM pool '{pool.id}' holds {exc.current} IP addresses and "
                        f"cannot be decreased to {exc.requested}.",
                    ) from None
                except ipam.InsufficientAddressSpace as exc:
                    raise _bad(
                        "IpamPoolInsufficientAddressSpace",
                        f"The address space virtual network '{vnet_id}' holds from IPAM pool '{pool.id}' cannot "
                        f"provide {exc.requested} IP addresses for {what}: {exc}.",
                    ) from None
                except ipam.InvalidAllocationCount as exc:
                    raise _bad(
                        "InvalidIpamPoolAllocationNumberOfIpAddresses",
                        f"Invalid allocation for {what}: {exc}.",
                    ) from None
                plan["blocks"][pool.id.lower()] = blocks
                placed.extend(b for b in blocks if b not in old_blocks)
        # overlaps between subnets
        finals: list[tuple[str, list[IPNetwork]]] = []
        for plan in plans:
            nets = plan["statics"] or [b for bl in plan["blocks"].values() for b in bl]
            for other_name, other in finals:
                for fam, mine in _by_family(nets).items():
                    theirs = [n for n in other if n.version == fam]
                    if theirs and ipam.overlapping(mine, theirs):
                        raise _bad(
                            "NetcfgSubnetRangesOverlap",
                            f"Subnet '{plan['name']}' is not valid because its IP address range overlaps with that of "
                            f"an existing subnet '{other_name}' in virtual network '{vnet_id.rsplit('/', 1)[-1]}'.",
                        )
            finals.append((plan["name"], nets))
        out: list[dict[str, Any]] = []
        for plan in plans:
            sb = copy.deepcopy(plan["body"])
            sp = sb.setdefault("properties", {})
            if plan["parsed"]:
                entries = []
                for (pool, count), raw in zip(plan["parsed"], plan["raw"], strict=True):
                    e = copy.deepcopy(raw)
                    e["numberOfIpAddresses"] = str(count)
                    e["allocatedAddressPrefixes"] = [str(b) for b in plan["blocks"][pool.id.lower()]]
                    entries.append(e)
                sp["ipamPoolPrefixAllocations"] = entries
                sp["addressPrefixes"] = [p for e in entries for p in e["allocatedAddressPrefixes"]]
                sp.pop("addressPrefix", None)
            sp["provisioningState"] = "Updating"
            sp.setdefault("privateEndpointNetworkPolicies", "Disabled")
            sp.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
            sb.update(
                {
                    "name": plan["name"],
                    "id": plan["id"],
                    "etag": etag,
                    "type": "Microsoft.Network/virtualNetworks/subnets",
                }
            )
            out.append(sb)
        return out

    @staticmethod
    def _succeed(rec: _VNet) -> None:
        NetworkState._settle_state(rec, "Succeeded")

    @staticmethod
    def _settle_state(rec: _VNet, state: str) -> None:
        props = rec.body.setdefault("properties", {})
        props["provisioningState"] = state
        for s in props.get("subnets") or []:
            s.setdefault("properties", {})["provisioningState"] = state

    def pool_ids_referenced(
        self, body: dict[str, Any], existing: _VNet | None, api_version: str
    ) -> list[str]:
        """Pool ids a VNet PUT body references (VNet level and subnets), as sent, first occurrence kept."""
        props = body.get("properties") or {}
        if not isinstance(props, dict):
            return []
        ids: list[str] = []
        space = props.get("addressSpace") or {}
        lists = [space.get("ipamPoolPrefixAllocations") or []] if isinstance(space, dict) else []
        # ARM checks the linked ids of the payload only (subnets kept from the stored VNet are not re-checked)
        subnets = props.get("subnets")
        for s in subnets if isinstance(subnets, list) else []:
            if isinstance(s, dict):
                lists.append((s.get("properties") or {}).get("ipamPoolPrefixAllocations") or [])
        seen: set[str] = set()
        for lst in lists:
            for a in lst if isinstance(lst, list) else []:
                pid = str(((a or {}).get("pool") or {}).get("id") or "") if isinstance(a, dict) else ""
                if pid and pid.lower() not in seen:
                    seen.add(pid.lower())
                    ids.append(pid)
        return ids


# --------------------------------------------------------------------------------------------------------
# HTTP plumbing


_NETWORK = SUBSCRIPTION_ID.child("/providers/Microsoft.Network")
_OPERATION = _NETWORK.child("/locations/{loc}/operations/{op}")
_OPERATION_RESULT = _NETWORK.child("/locations/{loc}/operationResults/{op}")
_VNETS = RESOURCE_GROUP_ID.child("/providers/Microsoft.Network/virtualNetworks")
_NMS = RESOURCE_GROUP_ID.child("/providers/Microsoft.Network/networkManagers")


def register(router: Router) -> None:
    """Register Microsoft.Network routes (and resource group GET)."""
    a = router.add
    a("arm", "GET", RESOURCE_GROUP_ID.route, _get_resource_group)
    a("arm", "GET", _OPERATION.route, _get_operation)
    a("arm", "GET", _OPERATION_RESULT.route, _get_operation_result)
    a("arm", "GET", _NETWORK.child("/virtualNetworks").route, _list_vnets)
    a("arm", "GET", _VNETS.route, _list_vnets)
    a("arm", "GET", VIRTUAL_NETWORK_ID.route, _get_vnet)
    a("arm", "PUT", VIRTUAL_NETWORK_ID.route, _put_vnet)
    a("arm", "DELETE", VIRTUAL_NETWORK_ID.route, _delete_vnet)
    a("arm", "GET", _NMS.route, _list_nms)
    a("arm", "GET", NETWORK_MANAGER_ID.route, _get_nm)
    a("arm", "PUT", NETWORK_MANAGER_ID.route, _put_nm)
    a("arm", "DELETE", NETWORK_MANAGER_ID.route, _delete_nm)
    a("arm", "GET", NETWORK_MANAGER_ID.child("/ipamPools").route, _list_pools)
    a("arm", "GET", IPAM_POOL_ID.route, _get_pool)
    a("arm", "PUT", IPAM_POOL_ID.route, _put_pool)
    a("arm", "PATCH", IPAM_POOL_ID.route, _patch_pool)
    a("arm", "DELETE", IPAM_POOL_ID.route, _delete_pool)
    a("arm", "POST", IPAM_POOL_ID.child("/getPoolUsage").route, _pool_usage)
    a("arm", "POST", IPAM_POOL_ID.child("/listAssociatedResources").route, _list_associated)
    a("arm", "GET", IPAM_POOL_ID.child("/listAssociatedResources").route, _list_associated)
    a("arm", "GET", IPAM_POOL_ID.child("/staticCidrs").route, _list_cidrs)
    a("arm", "GET", STATIC_CIDR_ID.route, _get_cidr)
    a("arm", "PUT", STATIC_CIDR_ID.route, _put_cidr)
    a("arm", "DELETE", STATIC_CIDR_ID.route, _delete_cidr)
    a("arm", "GET", NETWORK_MANAGER_ID.child("/scopeConnections").route, _list_scope_conns)
    a("arm", "GET", SCOPE_CONNECTION_ID.route, _get_scope_conn)
    a("arm", "PUT", SCOPE_CONNECTION_ID.route, _put_scope_conn)
    a("arm", "DELETE", SCOPE_CONNECTION_ID.route, _delete_scope_conn)
    a("arm", "GET", _NETWORK.child("/networkManagerConnections").route, _list_nmcs)
    a("arm", "GET", NETWORK_MANAGER_CONNECTION_ID.route, _get_nmc)
    a("arm", "PUT", NETWORK_MANAGER_CONNECTION_ID.route, _put_nmc)
    a("arm", "DELETE", NETWORK_MANAGER_CONNECTION_ID.route, _delete_nmc)


def _auth(emu: AzureEmulator, req: Request) -> tuple[Caller, list[Caller]]:
    caller = authenticate(emu, req)
    aux = authenticate_auxiliary(emu, req)
    return caller, aux


def _require_tenant(emu: AzureEmulator, caller: Caller, sub: str) -> None:
    tenant = emu.state.tenant_of_subscription(sub)
    if tenant is None:
        raise arm_error(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    if tenant != caller.tenant_id:
        raise arm_error(
            401,
            "InvalidAuthenticationTokenTenant",
            f"The access token is from the wrong issuer 'https://sts.windows.net/{caller.tenant_id}/'. It must match "
            f"the tenant 'https://sts.windows.net/{tenant}/' associated with this subscription. Please use the "
            f"authority (URL) 'https://login.windows.net/{tenant}' to get the token.",
        )


def _rg_or_404(emu: AzureEmulator, sub: str, rg: str) -> str:
    s = emu.state.subscriptions.get(sub.lower())
    group = s.resource_groups.get(rg.lower()) if s else None
    if group is None:
        raise arm_error(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")
    return group.name


def _not_found(kind: str, name: str, rg: str) -> EmulatorHTTPError:
    return arm_error(
        404,
        "ResourceNotFound",
        f"The Resource '{kind}/{name}' under resource group '{rg}' was not found. For more details please go to "
        "https://aka.ms/ARMResourceNotFoundFix",
    )


def _body(req: Request, shape: Shape = RESOURCE) -> dict[str, Any]:
    """The body as a JSON object of ``shape`` (400 ``InvalidRequestContent`` otherwise; null members dropped)."""
    data = req.json()
    if not isinstance(data, dict):
        raise arm_error(400, "InvalidRequestContent", "The request content must be a JSON object.")
    check_shape(data, shape)
    return data


def _api(req: Request) -> str:
    v = req.api_version
    if not v:
        raise arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    return v


def _page(emu: AzureEmulator, req: Request, items: list[dict[str, Any]]) -> Response:
    size = max(1, int(emu.settings.page_size))
    start_raw = req.query_param("$skipToken") or "0"
    start = int(start_raw) if re.fullmatch(r"[0-9]{1,9}", start_raw) else 0
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        body["nextLink"] = (
            f"{emu.endpoints.arm.rstrip('/')}{req.raw_path}?api-version={req.api_version}&$skipToken={start + size}"
        )
    return Response.json_body(200, body)


def _check_preconditions(emu: AzureEmulator, req: Request, rid: str, current_etag: str | None) -> None:
    if_none = req.header("if-none-match")
    if if_none and if_none.strip() == "*" and current_etag is not None:
        raise arm_error(
            412,
            "PreconditionFailed",
            f"The resource '{rid}' already exists and the request has If-None-Match: *.",
        )
    if_match = req.header("if-match")
    if not if_match or not emu.settings.vnet_honor_if_match:
        return
    wanted = if_match.strip()
    if current_etag is None or (wanted != "*" and wanted != current_etag):
        raise arm_error(
            412,
            "PreconditionFailed",
            f"The condition specified using HTTP conditional header(s) is not met: If-Match was '{wanted}' but the "
            f"current ETag of resource '{rid}' is '{current_etag or '(resource does not exist)'}'. Read the "
            "resource again and retry with its current ETag.",
        )


def _busy(emu: AzureEmulator, op: Operation) -> EmulatorHTTPError:
    url = emu.network.operations.async_operation_url(op)
    return arm_error(
        409,
        "AnotherOperationInProgress",
        f"Another operation on this or dependent resource is in progress. To retrieve status of the operation use "
        f"uri: {url} (operation id '{op.op_id}').",
    )


# ---- resource groups -----------------------------------------------------------------------------------


def _get_resource_group(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    sub = p["sub"]
    rg_id = RESOURCE_GROUP_ID.build(p)
    require(emu, caller, "Microsoft.Resources/subscriptions/resourceGroups/read", rg_id)
    with emu.lock:
        s = emu.state.subscriptions.get(sub.lower())
        group = s.resource_groups.get(p["rg"].lower()) if s else None
        if group is None:
            raise arm_error(404, "ResourceGroupNotFound", f"Resource group '{p['rg']}' could not be found.")
        return Response.json_body(
            200,
            {
                "id": group.id,
                "name": group.name,
                "type": "Microsoft.Resources/resourceGroups",
                "location": group.location,
                "tags": dict(group.tags),
                "properties": {"provisioningState": "Succeeded"},
            },
        )


# ---- operations ----------------------------------------------------------------------------------------


def _poll_operation(emu: AzureEmulator, req: Request, p: dict[str, str], *, result: bool) -> Response:
    caller, _ = _auth(emu, req)
    _require_tenant(emu, caller, p["sub"])
    with emu.lock:
        ops = emu.network.operations
        op = ops.get(p["op"])
        if op is None or op.subscription_id.lower() != p["sub"].lower():
            raise arm_error(404, "OperationNotFound", f"The operation '{p['op']}' could not be found.")
        ops.poll(op)
        return ops.result_response(op) if result else ops.status_response(op)


def _get_operation(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    return _poll_operation(emu, req, p, result=False)


def _get_operation_result(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    return _poll_operation(emu, req, p, result=True)


# ---- virtual networks ----------------------------------------------------------------------------------


def _vnet_id(p: dict[str, str]) -> str:
    return VIRTUAL_NETWORK_ID.build(p)


def _get_vnet(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    vid = _vnet_id(p)
    require(emu, caller, VNET_READ, vid)
    with emu.lock:
        _rg_or_404(emu, p["sub"], p["rg"])
        emu.network.operations.in_progress(vid, observe=True)
        rec = emu.network.vnets.get(vid.lower())
        if rec is None:
            raise _not_found("Microsoft.Network/virtualNetworks", p["name"], p["rg"])
        return Response.json_body(200, copy.deepcopy(rec.body))


def _list_vnets(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    _require_tenant(emu, caller, p["sub"])
    with emu.lock:
        if "rg" in p:
            _rg_or_404(emu, p["sub"], p["rg"])
        items = []
        for v in sorted(emu.network.vnets.values(), key=lambda v: v.id.lower()):
            if v.subscription_id != p["sub"].lower():
                continue
            if "rg" in p and v.resource_group.lower() != p["rg"].lower():
                continue
            emu.network.operations.in_progress(v.id, observe=True)
            if emu.state.is_authorized(caller.object_id, VNET_READ, v.id):
                items.append(copy.deepcopy(v.body))
    return _page(emu, req, items)


def _linked_checks(
    emu: AzureEmulator, caller: Caller, aux: list[Caller], vnet_id: str, pool_ids: list[str], vnet_sub: str
) -> None:
    for pid in pool_ids:
        m = IPAM_POOL_ID.parse(pid)
        if m is None:
            raise arm_error(
                400,
                "LinkedInvalidPropertyId",
                f"Property id '{pid}' at path 'pool.id' is invalid. Expect fully qualified resource Id that start "
                "with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.",
            )
        pool_sub = m["sub"]
        pool_tenant = emu.state.tenant_of_subscription(pool_sub)
        if pool_tenant is not None and pool_tenant == caller.tenant_id:
            principal: Caller = caller
        else:
            found = next((a for a in aux if pool_tenant is not None and a.tenant_id == pool_tenant), None)
            if found is None:
                raise arm_error(
                    403,
                    "LinkedAuthorizationFailed",
                    f"The client has permission to perform action '{VNET_WRITE}' on scope '{vnet_id}', however the "
                    f"current tenant '{caller.tenant_id}' is not authorized to access linked subscription "
                    f"'{pool_sub}'.",
                )
            principal = found
        if not emu.state.is_authorized(principal.object_id, ASSOCIATE_ACTION, pid):
            raise arm_error(
                403,
                "LinkedAuthorizationFailed",
                f"The client '{caller.app_id}' with object id '{caller.object_id}' has permission to perform action "
                f"'{VNET_WRITE}' on scope '{vnet_id}'; however, it does not have permission to perform action "
                f"'{ASSOCIATE_ACTION}' on the linked scope(s) '{pid}' or the linked scope(s) are invalid.",
            )
        if emu.settings.require_connection and pool_tenant != emu.state.tenant_of_subscription(vnet_sub):
            nm_id = pid.rsplit("/ipamPools/", 1)[0]
            if not emu.network.is_connected(nm_id, vnet_sub):
                raise arm_error(
                    403,
                    "NetworkManagerConnectionNotConnected",
                    f"Subscription '{vnet_sub}' is not connected to network manager '{nm_id}': both the scope "
                    "connection (management tenant) and the network manager connection (this subscription) must "
                    "exist before a virtual network can use an IPAM pool of another tenant.",
                )


def _put_vnet(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, aux = _auth(emu, req)
    vid = _vnet_id(p)
    require(emu, caller, VNET_WRITE, vid)
    api = _api(req)
    body = _body(req, VIRTUAL_NETWORK)
    net = emu.network
    with emu.lock:
        rg = _rg_or_404(emu, p["sub"], p["rg"])
        existing = net.vnets.get(vid.lower())
        busy = net.operations.in_progress(vid)
        if busy is not None:
            raise _busy(emu, busy)
        _check_preconditions(emu, req, existing.id if existing else vid, existing.etag if existing else None)
        _linked_checks(
            emu,
            caller,
            aux,
            existing.id if existing else vid,
            net.pool_ids_referenced(body, existing, api),
            p["sub"],
        )
        rec = net._build_vnet(existing, body, p["sub"], rg, p["name"], api)
        net.vnets[rec.id.lower()] = rec
        snapshot = copy.deepcopy(existing)

        def rollback() -> None:
            if emu.settings.failed_write == "failed":
                NetworkState._settle_state(rec, "Failed")
            elif snapshot is None:
                net.vnets.pop(rec.id.lower(), None)
            else:
                net.vnets[rec.id.lower()] = snapshot

        op = net.operations.start(
            subscription_id=p["sub"],
            location=rec.location,
            resource_id=rec.id,
            kind="PutVirtualNetwork",
            api_version=api,
            on_success=lambda: NetworkState._succeed(rec),
            on_failure=rollback,
        )
        out = copy.deepcopy(rec.body)
        out["properties"]["provisioningState"] = "Updating"
        return Response.json_body(201 if existing is None else 200, out, net.operations.headers(op))


def _delete_vnet(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    vid = _vnet_id(p)
    require(emu, caller, VNET_DELETE, vid)
    api = _api(req)
    net = emu.network
    with emu.lock:
        _rg_or_404(emu, p["sub"], p["rg"])
        busy = net.operations.in_progress(vid)
        if busy is not None:
            raise _busy(emu, busy)
        rec = net.vnets.pop(vid.lower(), None)
        if rec is None:
            return Response.empty(204)

        def restore() -> None:
            net.vnets[rec.id.lower()] = rec

        op = net.operations.start(
            subscription_id=p["sub"],
            location=rec.location,
            resource_id=rec.id,
            kind="DeleteVirtualNetwork",
            api_version=api,
            on_failure=restore,
        )
        return Response.empty(202, net.operations.headers(op, with_location=True))


# ---- network managers ----------------------------------------------------------------------------------


def _nm_id(p: dict[str, str]) -> str:
    return NETWORK_MANAGER_ID.build(p)


def _nm_or_404(emu: AzureEmulator, p: dict[str, str]) -> _NetworkManager:
    _rg_or_404(emu, p["sub"], p["rg"])
    nm = emu.network.managers.get(_nm_id(p).lower())
    if nm is None:
        raise _not_found("Microsoft.Network/networkManagers", p["nm"], p["rg"])
    return nm


def _get_nm(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagers/read", _nm_id(p))
    with emu.lock:
        return Response.json_body(200, _nm_or_404(emu, p).to_arm())


def _list_nms(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    _require_tenant(emu, caller, p["sub"])
    with emu.lock:
        _rg_or_404(emu, p["sub"], p["rg"])
        prefix = f"{RESOURCE_GROUP_ID.build(p)}/".lower()
        items = [
            nm.to_arm()
            for nm in sorted(emu.network.managers.values(), key=lambda n: n.id.lower())
            if nm.id.lower().startswith(prefix)
            and emu.state.is_authorized(caller.object_id, "Microsoft.Network/networkManagers/read", nm.id)
        ]
    return _page(emu, req, items)


def _put_nm(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    nid = _nm_id(p)
    require(emu, caller, "Microsoft.Network/networkManagers/write", nid)
    body = _body(req)
    with emu.lock:
        _rg_or_404(emu, p["sub"], p["rg"])
        existing = emu.network.managers.get(nid.lower())
        props = copy.deepcopy(body.get("properties") or {})
        props.pop("provisioningState", None)
        props["resourceGuid"] = existing.properties.get("resourceGuid") if existing else str(uuid.uuid4())
        nm = _NetworkManager(
            existing.id if existing else nid,
            p["sub"].lower(),
            existing.name if existing else p["nm"],
            str(body.get("location") or (existing.location if existing else "eastus")),
            props,
            dict(body.get("tags") or {}),
        )
        emu.network.managers[nid.lower()] = nm
        return Response.json_body(201 if existing is None else 200, nm.to_arm())


def _delete_nm(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    nid = _nm_id(p)
    require(emu, caller, "Microsoft.Network/networkManagers/delete", nid)
    with emu.lock:
        if nid.lower() not in emu.network.managers:
            return Response.empty(204)
        if any(pool.nm_id.lower() == nid.lower() for pool in emu.network.pools.values()):
            raise arm_error(
                400,
                "CannotDeleteNetworkManagerWithIpamPools",
                f"Network manager '{nid}' still has IPAM pools; delete them first.",
            )
        del emu.network.managers[nid.lower()]
        return Response.empty(200)


# ---- IPAM pools ----------------------------------------------------------------------------------------


def _pool_id(p: dict[str, str]) -> str:
    return IPAM_POOL_ID.build(p)


def _pool_or_404(emu: AzureEmulator, p: dict[str, str]) -> _Pool:
    _nm_or_404(emu, p)
    pool = emu.network.pools.get(_pool_id(p).lower())
    if pool is None:
        raise _not_found("Microsoft.Network/networkManagers/ipamPools", f"{p['nm']}/{p['pool']}", p["rg"])
    return pool


def _get_pool(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, f"{POOL_PREFIX}/read", _pool_id(p))
    with emu.lock:
        return Response.json_body(200, _pool_or_404(emu, p).to_arm())


def _list_pools(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    _require_tenant(emu, caller, p["sub"])
    with emu.lock:
        nm = _nm_or_404(emu, p)
        items = [
            pool.to_arm()
            for pool in sorted(emu.network.pools.values(), key=lambda x: x.id.lower())
            if pool.nm_id.lower() == nm.id.lower()
            and emu.state.is_authorized(caller.object_id, f"{POOL_PREFIX}/read", pool.id)
        ]
    return _page(emu, req, items)


def _put_pool(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    pid = _pool_id(p)
    require(emu, caller, f"{POOL_PREFIX}/write", pid)
    api = _api(req)
    body = _body(req, IPAM_POOL)
    net = emu.network
    with emu.lock:
        nm = _nm_or_404(emu, p)
        existing = net.pools.get(pid.lower())
        busy = net.operations.in_progress(pid)
        if busy is not None:
            raise _busy(emu, busy)
        _check_preconditions(emu, req, pid, existing.etag if existing else None)
        location = str(body.get("location") or nm.location)
        pool = net._validated_pool(
            nm,
            pid,
            p["pool"],
            dict(body.get("properties") or {}),
            location,
            dict(body.get("tags") or {}),
            existing,
        )
        pool.provisioning_state = "Updating"
        net.pools[pid.lower()] = pool

        def done() -> None:
            pool.provisioning_state = "Succeeded"

        def rollback() -> None:
            if existing is None:
                net.pools.pop(pid.lower(), None)
            else:
                net.pools[pid.lower()] = existing

        op = net.operations.start(
            subscription_id=p["sub"],
            location=location,
            resource_id=pool.id,
            kind="PutIpamPool",
            api_version=api,
            on_success=done,
            on_failure=rollback,
        )
        out = pool.to_arm()
        out["properties"]["provisioningState"] = "Updating"
        return Response.json_body(201 if existing is None else 200, out, net.operations.headers(op))


def _patch_pool(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    pid = _pool_id(p)
    require(emu, caller, f"{POOL_PREFIX}/write", pid)
    body = _body(req, IPAM_POOL)
    net = emu.network
    with emu.lock:
        nm = _nm_or_404(emu, p)
        existing = _pool_or_404(emu, p)
        _check_preconditions(emu, req, pid, existing.etag)
        props = existing.to_arm()["properties"]
        props.update(body.get("properties") or {})
        tags = body.get("tags") if "tags" in body else existing.tags
        pool = net._validated_pool(nm, pid, p["pool"], props, existing.location, dict(tags or {}), existing)
        net.pools[pid.lower()] = pool
        return Response.json_body(200, pool.to_arm())


def _delete_pool(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    pid = _pool_id(p)
    require(emu, caller, f"{POOL_PREFIX}/delete", pid)
    api = _api(req)
    net = emu.network
    with emu.lock:
        _nm_or_404(emu, p)
        pool = net.pools.get(pid.lower())
        if pool is None:
            return Response.empty(204)
        if net._vnet_blocks(pool) or net._children(pool) or net._static_cidrs_of(pool):
            raise arm_error(
                400,
                "IpamPoolHasAssociatedResources",
                f"IPAM pool '{pool.id}' cannot be deleted while it has associated resources, static CIDRs or child "
                "pools.",
            )
        del net.pools[pid.lower()]

        def restore() -> None:
            net.pools[pid.lower()] = pool

        op = net.operations.start(
            subscription_id=p["sub"],
            location=pool.location,
            resource_id=pool.id,
            kind="DeleteIpamPool",
            api_version=api,
            on_failure=restore,
        )
        return Response.empty(202, net.operations.headers(op, with_location=True))


def _pool_usage(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, f"{POOL_PREFIX}/getPoolUsage/action", _pool_id(p))
    with emu.lock:
        pool = _pool_or_404(emu, p)
        return Response.json_body(200, emu.network.pool_usage(pool.id))


def _list_associated(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, f"{POOL_PREFIX}/listAssociatedResources/action", _pool_id(p))
    with emu.lock:
        pool = _pool_or_404(emu, p)
        items = emu.network.associated_resources(pool.id)
    return _page(emu, req, items)


# ---- static CIDRs --------------------------------------------------------------------------------------


def _cidr_id(p: dict[str, str]) -> str:
    return STATIC_CIDR_ID.build(p)


def _get_cidr(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, f"{POOL_PREFIX}/staticCidrs/read", _cidr_id(p))
    with emu.lock:
        _pool_or_404(emu, p)
        sc = emu.network.static_cidrs.get(_cidr_id(p).lower())
        if sc is None:
            raise _not_found("Microsoft.Network/networkManagers/ipamPools/staticCidrs", p["cidr"], p["rg"])
        return Response.json_body(200, sc.to_arm())


def _list_cidrs(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, f"{POOL_PREFIX}/staticCidrs/read", _pool_id(p))
    with emu.lock:
        pool = _pool_or_404(emu, p)
        items = [sc.to_arm() for sc in sorted(emu.network._static_cidrs_of(pool), key=lambda s: s.id.lower())]
    return _page(emu, req, items)


def _put_cidr(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, f"{POOL_PREFIX}/staticCidrs/write", _cidr_id(p))
    body = _body(req, STATIC_CIDR)
    with emu.lock:
        pool = _pool_or_404(emu, p)
        existed = _cidr_id(p).lower() in emu.network.static_cidrs
        sc = emu.network._validated_static_cidr(pool, p["cidr"], dict(body.get("properties") or {}))
        emu.network.static_cidrs[sc.id.lower()] = sc
        return Response.json_body(200 if existed else 201, sc.to_arm())


def _delete_cidr(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    cid = _cidr_id(p)
    require(emu, caller, f"{POOL_PREFIX}/staticCidrs/delete", cid)
    api = _api(req)
    net = emu.network
    with emu.lock:
        _pool_or_404(emu, p)
        sc = net.static_cidrs.pop(cid.lower(), None)
        if sc is None:
            return Response.empty(204)

        def restore() -> None:
            net.static_cidrs[cid.lower()] = sc

        op = net.operations.start(
            subscription_id=p["sub"],
            location="eastus",
            resource_id=sc.id,
            kind="DeleteStaticCidr",
            api_version=api,
            on_failure=restore,
        )
        return Response.empty(202, net.operations.headers(op, with_location=True))


# ---- connections ---------------------------------------------------------------------------------------


def _conn_to_arm(emu: AzureEmulator, c: _Connection) -> dict[str, Any]:
    props = copy.deepcopy(c.properties)
    props["connectionState"] = emu.network.connection_state(c)
    return {
        "id": c.id,
        "name": c.name,
        "type": "Microsoft.Network/networkManagers/scopeConnections"
        if c.kind == "scope"
        else "Microsoft.Network/networkManagerConnections",
        "etag": c.etag,
        "properties": props,
    }


def _sc_id(p: dict[str, str]) -> str:
    return SCOPE_CONNECTION_ID.build(p)


def _get_scope_conn(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagers/scopeConnections/read", _sc_id(p))
    with emu.lock:
        _nm_or_404(emu, p)
        c = emu.network.connections.get(_sc_id(p).lower())
        if c is None:
            raise _not_found("Microsoft.Network/networkManagers/scopeConnections", p["conn"], p["rg"])
        return Response.json_body(200, _conn_to_arm(emu, c))


def _list_scope_conns(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagers/scopeConnections/read", _nm_id(p))
    with emu.lock:
        nm = _nm_or_404(emu, p)
        items = [
            _conn_to_arm(emu, c)
            for c in sorted(emu.network.connections.values(), key=lambda c: c.id.lower())
            if c.kind == "scope" and c.owner == nm.id.lower()
        ]
    return _page(emu, req, items)


def _put_scope_conn(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagers/scopeConnections/write", _sc_id(p))
    body = _body(req)
    with emu.lock:
        nm = _nm_or_404(emu, p)
        props = {k: v for k, v in (body.get("properties") or {}).items() if k != "connectionState"}
        existing = emu.network.connections.get(_sc_id(p).lower())
        c = _Connection(existing.id if existing else _sc_id(p), p["conn"], "scope", nm.id.lower(), props)
        emu.network.connections[c.id.lower()] = c
        return Response.json_body(200 if existing else 201, _conn_to_arm(emu, c))


def _delete_scope_conn(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagers/scopeConnections/delete", _sc_id(p))
    with emu.lock:
        _nm_or_404(emu, p)
        gone = emu.network.connections.pop(_sc_id(p).lower(), None)
        return Response.empty(200 if gone else 204)


def _nmc_id(p: dict[str, str]) -> str:
    return NETWORK_MANAGER_CONNECTION_ID.build(p)


def _get_nmc(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagerConnections/read", _nmc_id(p))
    with emu.lock:
        c = emu.network.connections.get(_nmc_id(p).lower())
        if c is None:
            raise arm_error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Network/networkManagerConnections/{p['conn']}' was not found.",
            )
        return Response.json_body(200, _conn_to_arm(emu, c))


def _list_nmcs(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagerConnections/read", SUBSCRIPTION_ID.build(p))
    with emu.lock:
        items = [
            _conn_to_arm(emu, c)
            for c in sorted(emu.network.connections.values(), key=lambda c: c.id.lower())
            if c.kind == "nmc" and c.owner == p["sub"].lower()
        ]
    return _page(emu, req, items)


def _put_nmc(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagerConnections/write", _nmc_id(p))
    body = _body(req)
    with emu.lock:
        props = {k: v for k, v in (body.get("properties") or {}).items() if k != "connectionState"}
        existing = emu.network.connections.get(_nmc_id(p).lower())
        c = _Connection(existing.id if existing else _nmc_id(p), p["conn"], "nmc", p["sub"].lower(), props)
        emu.network.connections[c.id.lower()] = c
        return Response.json_body(200 if existing else 201, _conn_to_arm(emu, c))


def _delete_nmc(emu: AzureEmulator, req: Request, p: dict[str, str]) -> Response:
    caller, _ = _auth(emu, req)
    require(emu, caller, "Microsoft.Network/networkManagerConnections/delete", _nmc_id(p))
    with emu.lock:
        gone = emu.network.connections.pop(_nmc_id(p).lower(), None)
        return Response.empty(200 if gone else 204)
