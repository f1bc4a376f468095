"""Microsoft.Network as a test sees it (``emulator.network``): the network's stores and the seeding API.

Seeding writes directly, without requests or authorization, under the services' lock, through the same rules the
handlers use (`.rules`, `.vnet_rules`): what cannot be written over the wire cannot be seeded either
(``ValueError`` with ARM's error body).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from .._context import ServiceContext
from .._http import EmulatorHTTPError
from .._ids import NETWORK_MANAGER_CONNECTION_ID, RESOURCE_GROUP_ID, SUBSCRIPTION_ID
from .._lro import Operations
from ..ipam_space import AllocationStore
from .common import NetworkContext
from .rules import validated_pool, validated_static_cidr
from .state import SEEDED_BY, Connection, NetworkManager, NetworkState, Pool, StaticCidr, SystemData, VNet
from .vnet_rules import build_vnet, succeed

__all__ = ["DEFAULT_API_VERSION", "Network"]

DEFAULT_API_VERSION = "2024-05-01"
"""The api-version `Network.add_virtual_network` writes with (it decides whether omitted subnets are kept)."""


class Network:
    """Microsoft.Network of one offline Azure: its stores (``vnets``, ``pools``, ``managers``, ``static_cidrs``,
    ``connections``, ``operations``) and the seeding API.

    ```python
    rg_id = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"
    vnet_id = emulator.network.add_virtual_network(rg_id, "vnet-existing", ipam_allocations=[(info.pool_id, 256)])
    emulator.network.vnets[vnet_id.lower()].body["properties"]["addressSpace"]
    ```
    """

    def __init__(self, services: ServiceContext) -> None:
        self.context = NetworkContext(services, NetworkState(Operations(services)))
        """What the Microsoft.Network handlers are given (see `crossipam.testing.network.register`)."""

    # ---- the stores (by lower-case id) -----------------------------------------------------------
    @property
    def state(self) -> NetworkState:
        """All of Microsoft.Network's state."""
        return self.context.state

    @property
    def managers(self) -> dict[str, NetworkManager]:
        """Network managers."""
        return self.state.managers

    @property
    def pools(self) -> dict[str, Pool]:
        """IPAM pools."""
        return self.state.pools

    @property
    def static_cidrs(self) -> dict[str, StaticCidr]:
        """Static CIDRs."""
        return self.state.static_cidrs

    @property
    def vnets(self) -> AllocationStore[VNet]:
        """Virtual networks (a ``dict`` that keeps each pool's used space; see `AllocationStore`)."""
        return self.state.vnets

    @property
    def connections(self) -> dict[str, Connection]:
        """Scope connections and network-manager connections."""
        return self.state.connections

    @property
    def operations(self) -> Operations:
        """Long-running operations."""
        return self.state.operations

    # ---- seeding ---------------------------------------------------------------------------------
    def _seeded(self) -> SystemData:
        """The ``systemData`` of a record the seeding API writes now (by `SEEDED_BY`)."""
        return SystemData.stamp(None, SEEDED_BY, self.context.clock.time())

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
        with self.context.lock:
            self.managers[nm_id.lower()] = NetworkManager(
                nm_id, m["sub"].lower(), name, location, props, system_data=self._seeded()
            )
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
        with self.context.lock:
            nm = self.managers.get(network_manager_id.lower())
            if nm is None:
                raise ValueError(f"unknown network manager {network_manager_id!r}")
            pool_id = f"{nm.id}/ipamPools/{name}"
            try:
                pool = validated_pool(
                    self.state,
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
            pool.system_data = self._seeded()
            self.pools[pool_id.lower()] = pool
        return pool_id

    def add_static_cidr(
        self, pool_id: str, name: str, address_prefixes: list[str], *, description: str = ""
    ) -> str:
        """Reserve ``address_prefixes`` in a pool as a static CIDR; returns its id."""
        with self.context.lock:
            pool = self.pools.get(pool_id.lower())
            if pool is None:
                raise ValueError(f"unknown pool {pool_id!r}")
            try:
                sc = validated_static_cidr(
                    self.state,
                    self.context.clock,
                    pool,
                    name,
                    {"addressPrefixes": list(address_prefixes), "description": description},
                )
            except EmulatorHTTPError as err:
                raise ValueError(err.response.body.decode()) from None
            sc.system_data = self._seeded()
            self.static_cidrs[sc.id.lower()] = sc
        return sc.id

    def connect(self, network_manager_id: str, subscription_id: str) -> None:
        """Create both sides of a cross-tenant connection (scope connection + network-manager connection)."""
        with self.context.lock:
            nm = self.managers.get(network_manager_id.lower())
            if nm is None:
                raise ValueError(f"unknown network manager {network_manager_id!r}")
            sub = subscription_id.lower()
            tenant = self.context.directory.tenant_of_subscription(sub) or ""
            sc_id = f"{nm.id}/scopeConnections/conn-{sub}"
            self.connections[sc_id.lower()] = Connection(
                sc_id,
                f"conn-{sub}",
                "scope",
                nm.id.lower(),
                {"tenantId": tenant, "resourceId": SUBSCRIPTION_ID.build({"sub": sub}), "description": ""},
                system_data=self._seeded(),
            )
            nmc_id = NETWORK_MANAGER_CONNECTION_ID.build({"sub": sub, "conn": f"conn-{nm.name}"})
            self.connections[nmc_id.lower()] = Connection(
                nmc_id,
                f"conn-{nm.name}",
                "nmc",
                sub,
                {"networkManagerId": nm.id, "description": ""},
                system_data=self._seeded(),
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
        with self.context.lock:
            existing = self.vnets.get(vnet_id.lower())
            try:
                rec = build_vnet(
                    self.state,
                    self.context.clock,
                    existing,
                    body,
                    m["sub"],
                    m["rg"],
                    name,
                    api_version,
                    summarize_grow=self.context.settings.summarize_grown_prefixes,
                )
            except EmulatorHTTPError as err:
                raise ValueError(err.response.body.decode()) from None
            succeed(rec)
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
        with self.context.lock:
            self.operations.fail_next(code, message, **kw)

    # ---- reads -----------------------------------------------------------------------------------
    def get_virtual_network(self, vnet_id: str) -> dict[str, Any] | None:
        """A copy of the stored ARM JSON of a VNet, or ``None``."""
        with self.context.lock:
            self.operations.in_progress(vnet_id)
            rec = self.vnets.get(vnet_id.lower())
            return copy.deepcopy(rec.body) if rec else None

    def pool_usage(self, pool_id: str) -> dict[str, Any]:
        """The pool's ``getPoolUsage`` body (counts as strings); ``KeyError`` for an unknown pool."""
        with self.context.lock:
            return self.state.pool_usage(self._pool(pool_id))

    def associated_resources(self, pool_id: str) -> list[dict[str, Any]]:
        """The pool's ``listAssociatedResources`` entries (all pages); ``KeyError`` for an unknown pool."""
        with self.context.lock:
            return self.state.associated_resources(self._pool(pool_id))

    def connection_state(self, conn: Connection) -> str:
        """``Connected`` when both sides of ``conn`` exist with the same scope, else ``Pending``."""
        with self.context.lock:
            return self.state.connection_state(conn, self.context.directory)

    def is_connected(self, network_manager_id: str, subscription_id: str) -> bool:
        """Whether the network manager and the subscription are connected on both sides."""
        with self.context.lock:
            return self.state.is_connected(network_manager_id, subscription_id)

    def _pool(self, pool_id: str) -> Pool:
        pool = self.pools.get(pool_id.lower())
        if pool is None:
            raise KeyError(pool_id)
        return pool
