"""ARM Microsoft.Network (placeholder, being written): network managers, IPAM pools, virtual networks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._core import Router
    from .emulator import AzureEmulator


class NetworkState:
    def __init__(self, emulator: AzureEmulator) -> None:
        self.emulator = emulator

    def add_network_manager(self, resource_group_id: str, name: str, **kwargs: Any) -> str:
        return f"{resource_group_id}/providers/Microsoft.Network/networkManagers/{name}"

    def add_ipam_pool(self, network_manager_id: str, name: str, address_prefixes: list[str], **kwargs: Any) -> str:
        return f"{network_manager_id}/ipamPools/{name}"

    def add_static_cidr(self, pool_id: str, name: str, address_prefixes: list[str]) -> str:
        return f"{pool_id}/staticCidrs/{name}"

    def connect(self, network_manager_id: str, subscription_id: str) -> None:
        return None

    def get_virtual_network(self, vnet_id: str) -> dict[str, Any] | None:
        return None

    def pool_usage(self, pool_id: str) -> dict[str, Any]:
        return {}


def register(router: Router) -> None:
    """Register Microsoft.Network routes."""
