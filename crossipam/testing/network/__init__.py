"""ARM Microsoft.Network for the offline Azure: virtual networks with IPAM allocations, network managers,
IPAM pools, static CIDRs, scope connections and network-manager connections.

One room, four layers (each imports only those above it; see ``docs/architecture.md``):

* `.state` — the records and `NetworkState`, the stores with what they hold together (plain data);
* `.rules`, `.subnet_rules`, `.vnet_rules` — what may be written, over `crossipam.testing.ipam` (pure: they
  return the record to store or raise ARM's 400);
* `.common`, `.linked` (the cross-tenant checks of a write) and the handlers `.vnets`, `.vnet_extras`,
  `.subnets`, `.managers`, `.pools`, `.connections`, `.mg_connections`, `.provider` — the
  wire: each handler takes a `NetworkContext` (the shared services and the network's state), never the
  emulator;
* `.seeding` — `Network`, what a test sees as ``emulator.network``.

Error codes. Observed in the field: ``CannotMixAddressPrefixAndPoolInPayload``, ``CannotHaveDuplicatePoolIds``,
``SubnetPoolsMustBeSubsetOfVnetPools``, ``LinkedAuthorizationFailed``, ``AnotherOperationInProgress`` (409),
``NetcfgSubnetRangesOverlap``, ``NetcfgInvalidSubnet``, ``InvalidResourceReference``,
``LinkedInvalidPropertyId``, ``ResourceGroupNotFound``, ``ResourceNotFound``, ``PreconditionFailed`` (412),
``NotFound`` (a missing subnet), ``CannotDeleteResource`` (409, a manager with pools), ``RetryableErrorDueToAnotherOperation``
(429, with ``Settings.subnet_write_during_operation``). Field reports, each a knob: ``InvalidStaticCidrNumberOfIPAddresses``
(``Settings.static_cidr_count``), summarised grows (``Settings.summarize_grown_prefixes``).
**Unverified choices** (all 400 unless noted): ``OnlyOneIpamPoolPerIpTypeAllowed`` (more than one pool of a
family on a VNet), ``IpamPoolInsufficientAddressSpace`` (pool or VNet blocks exhausted),
``IpamAllocationCannotBeDecreased``, ``InvalidIpamPoolAllocationNumberOfIpAddresses``,
``InvalidAddressPrefixFormat``, ``NetworkManagerConnectionNotConnected`` (403, with ``require_connection``),
``IpamPoolPrefixesNotInParentPool``, ``IpamPoolPrefixesOverlap``, ``IpamPoolPrefixInUse``,
``IpamPoolMixedAddressFamilies``, ``IpamPoolHasAssociatedResources`` (pool delete while in use),
``StaticCidrPrefixesNotInPool``, ``StaticCidrPrefixesOverlap``, ``InvalidQueryParameterValue`` (a list's
``top``/``$top``/``skip`` not an integer in range). ``If-Match`` on VNets is honoured
(``Settings.vnet_honor_if_match``, default on) though the spec declares none. Pool/VNet region equality is
not enforced.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._core import Router
from .._validate import DEFAULT_API_VERSIONS, ApiVersionRange
from . import connections, managers, mg_connections, pools, provider, subnets, vnet_extras, vnets
from .common import NetworkContext
from .seeding import DEFAULT_API_VERSION, Network
from .state import Connection, NetworkManager, NetworkState, Pool, StaticCidr, VNet
from .vnet_rules import SUBNETS_KEPT_FROM
from .vnets import ASSOCIATE_ACTION

__all__ = [
    "ASSOCIATE_ACTION",
    "DEFAULT_API_VERSION",
    "SUBNETS_KEPT_FROM",
    "Connection",
    "Network",
    "NetworkContext",
    "NetworkManager",
    "NetworkState",
    "Pool",
    "StaticCidr",
    "VNet",
    "register",
]


def register(
    router: Router, ctx: NetworkContext, api_versions: Mapping[str, ApiVersionRange] = DEFAULT_API_VERSIONS
) -> None:
    """Register every Microsoft.Network route, each handler bound to ``ctx`` (in the order they are matched);
    the provider document lists the api-versions ``api_versions`` accepts."""
    vnets.register(router, ctx)
    vnet_extras.register(router, ctx)
    subnets.register(router, ctx)
    managers.register(router, ctx)
    pools.register(router, ctx)
    connections.register(router, ctx)
    mg_connections.register(router, ctx)
    provider.register(router, ctx, api_versions)
