"""``CrossTenantIpamClient``: the composition root over the official Azure SDK clients.

* a managed-tenant (B) ``NetworkManagementClient`` per VNet subscription, carrying the auxiliary-token policy
  (``x-ms-authorization-auxiliary`` with a management-tenant token) — VNet reads and writes;
* a management-tenant (A) ``NetworkManagementClient`` per pool subscription — pool usage and allocations.

One credential serves both tenants; it is asked for one token per tenant per token lifetime (MSAL cache).

```python
from crossipam import CrossTenantIpamClient, SubnetSpec

with CrossTenantIpamClient.from_client_secret(app_id, secret, managed_tenant_id=b, management_tenant_id=a) as c:
    deployment = c.begin_deploy_virtual_network(
        vnet_id, location="eastus", pool_id=pool_id, number_of_ip_addresses=100,
        subnets=[SubnetSpec("app", 64)],
    ).result()
    print(deployment.address_prefixes, c.get_pool_usage(pool_id).number_of_available_ip_addresses)
```

Request cost (asserted by the tests): deploying a **new** VNet is ``GET`` (404: crossipam must know create vs
update, and never overwrites a VNet it has not read) + ``PUT`` (``If-None-Match: *``) + the status polls (the
first one after the PUT's ``Retry-After``, so usually one) + the final ``GET``: 3 reads. ``deploy_many`` lists
each resource group once instead of the first ``GET`` of each VNet: 2 reads per new VNet. Updating an existing VNet is ``GET`` + ``PUT`` (``If-Match: <etag>``) + polls + final ``GET``; a
deploy or removal that changes nothing is a single ``GET`` and no write.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from azure.core.credentials import TokenCredential
from azure.core.polling import LROPoller
from azure.mgmt.network import NetworkManagementClient

from . import _plan_flows as _plans
from . import _pool_flows as _pools
from . import _subnet_flows
from . import _vnet_flows as _flows
from . import bulk as _bulk
from . import deployment as _deployment
from . import readiness as _readiness
from . import removal as _removal
from . import subnets as _subnets
from ._client_base import ClientBase
from ._drive import done_poller, drive
from ._pacing import RateBudgetPolicy
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._shared import API_VERSION
from .credentials import (
    TenantBoundCredential,
    certificate_credential,
    secret_credential,
    workload_identity_credential,
)
from .models import BulkItemResult, DeploymentSpec, PoolAllocation, PoolUsage, VirtualNetworkDeployment
from .plans import Plan, VnetPlan, with_replans
from .policies import CrossTenantAuxiliaryPolicy
from .pools import IpamPool, StaticCidr, static_cidr_request
from .subnets import SubnetResult

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11)
    from typing_extensions import Unpack

    from .models import SubnetSpec
    from .options import BulkOptions, DeployOptions, ReadinessOptions
    from .pools import StaticCidrOptions
    from .subnets import SubnetPools

__all__ = ["API_VERSION", "CrossTenantIpamClient"]

_LOGGER = logging.getLogger("crossipam.client")


class CrossTenantIpamClient(ClientBase[TokenCredential, TenantBoundCredential]):
    """Deploy VNets in a managed tenant with address space from an IPAM pool of the management tenant.

    Args:
        credential: A credential of the automation app (home: the managed tenant) that may also get tokens for
            the management tenant (azure-identity: ``additionally_allowed_tenants=[management_tenant_id]``).
            Managed identities are refused: they cannot obtain tokens in another tenant.
        managed_tenant_id: Tenant B, which owns the VNets.
        management_tenant_id: Tenant A, which owns the IPAM pool.
        cloud: An ``azure.core.AzureClouds`` value or a [CloudEndpoints][crossipam.models.CloudEndpoints].
        **kwargs: azure-core options (``transport``, ``connection_verify``, ``retry_total``,
            ``polling_interval``, ``logging_enable`` …) for every pipeline (the network trace of
            ``logging_enable=True`` redacts both tokens), and crossipam's own: ``operation_timeout`` (seconds
            to wait for an operation in flight on a VNet, default 900) and ``conflict_retries`` (default 4).

    ```python
    client = CrossTenantIpamClient(credential, managed_tenant_id=b, management_tenant_id=a)
    ```
    """

    _REPR_NAME = "CrossTenantIpamClient"
    _bind = TenantBoundCredential
    _secret_credential = staticmethod(secret_credential)
    _certificate_credential = staticmethod(certificate_credential)
    _workload_identity_credential = staticmethod(workload_identity_credential)

    # ---- SDK clients -----------------------------------------------------------------------------------------
    _aux_policy = CrossTenantAuxiliaryPolicy
    _budget_policy = RateBudgetPolicy

    def _network(self, which: str, subscription_id: str) -> NetworkManagementClient:
        key = self._client_key(which, subscription_id)
        with self._lock:
            if key not in self._clients:
                credential, options = self._network_options(which)
                self._clients[key] = NetworkManagementClient(credential, subscription_id, **options)
            return cast(NetworkManagementClient, self._clients[key])

    @contextlib.contextmanager
    def _vnet_operation(self, vnet: VirtualNetworkId) -> Iterator[None]:
        """Serialize read-plan-PUT per VNet within this client (ARM can duplicate allocation entries under
        concurrent writes). The lock ends once ARM accepted the PUT: from then on the operation is in flight
        at ARM, and every later read waits for it to end before deciding (so a poller that is never polled
        does not hold the VNet)."""
        with self._lock:
            lock = self._vnet_locks.setdefault(str(vnet).lower(), threading.Lock())
        with lock:
            yield

    # ---- operations -----------------------------------------------------------------------------------------
    def begin_deploy_virtual_network(
        self,
        vnet_id: str | VirtualNetworkId,
        **options: Unpack[DeployOptions],
    ) -> LROPoller[VirtualNetworkDeployment]:
        """Create or grow a VNet whose address space (and subnets') come from the management tenant's pool.

        An existing VNet is updated by read-modify-write (every property and subnet not named is kept; the PUT
        carries ``If-Match``). A decrease is refused before any write
        ([`AllocationDecreaseError`][crossipam.errors.AllocationDecreaseError]); the same call twice writes
        nothing the second time (``result().action == "unchanged"``). ``tags`` are merged into the existing
        tags.

        Args:
            vnet_id: The virtual network in the managed tenant: a resource id or a parsed `VirtualNetworkId`.
            **options: What to deploy: the keywords of [`DeployOptions`][crossipam.options.DeployOptions] (``location``, ``pool_id``, ``number_of_ip_addresses``, ``subnets``, …).

        ```python
        poller = client.begin_deploy_virtual_network(vnet_id, location="eastus", pool_id=pool_id,
                                                     number_of_ip_addresses=100, subnets=[SubnetSpec("app", 64)])
        deployment = poller.result()
        ```
        """
        request = _deployment.deployment_request(vnet_id, **options)
        return self._deploy(request, self._conflict_retries)

    def _deploy(
        self,
        request: _deployment.DeploymentRequest,
        conflict_retries: int,
        plan: Plan | None = None,
        listed: _flows.Listed | None = None,
    ) -> LROPoller[VirtualNetworkDeployment]:
        with self._vnet_operation(request.vnet_id):
            ctx = self._flow_context(conflict_retries=conflict_retries)
            flow = _plans.deploy_or_apply_flow(ctx, request, plan, listed)
            outcome = drive(flow, self, time.sleep)
        return self._poller(outcome)

    @staticmethod
    def _poller(outcome: Any) -> LROPoller[VirtualNetworkDeployment]:
        """The flow's poller, or a finished one when it wrote nothing."""
        if isinstance(outcome, VirtualNetworkDeployment):
            return done_poller(outcome)
        return cast(LROPoller[VirtualNetworkDeployment], outcome)

    def get_virtual_network_allocation(self, vnet_id: str | VirtualNetworkId) -> VirtualNetworkDeployment:
        """The VNet's prefixes and pool allocations (raises [`NotFoundError`][crossipam.errors.NotFoundError]
        if absent).

        Args:
            vnet_id: The virtual network in the managed tenant: a resource id or a parsed `VirtualNetworkId`.

        ```python
        client.get_virtual_network_allocation(vnet_id).allocations
        ```
        """
        vnet = VirtualNetworkId.parse(vnet_id)
        return cast(
            VirtualNetworkDeployment, drive(_flows.read_flow(self._flow_context(), vnet), self, time.sleep)
        )

    def begin_remove_allocation(
        self,
        vnet_id: str | VirtualNetworkId,
        *,
        address_prefixes: Iterable[str] | None = None,
    ) -> LROPoller[VirtualNetworkDeployment]:
        """Convert the VNet's (and its subnets') pool allocations into static prefixes, freeing the pool.

        By default the static prefixes are the ones the allocations hold, so nothing is renumbered;
        ``address_prefixes`` replaces the VNet's space and must contain every subnet
        ([`AddressSpaceConflictError`][crossipam.errors.AddressSpaceConflictError] otherwise, before any
        write). Subnets, peerings, tags and DNS settings are kept. Without an allocation nothing is written
        and the result's ``action`` is ``"no_allocation"``.

        Args:
            vnet_id: The virtual network in the managed tenant: a resource id or a parsed `VirtualNetworkId`.
            address_prefixes: Static prefixes to replace the VNet's space with (every subnet must fit); default: the prefixes the allocations hold.

        ```python
        deployment = client.begin_remove_allocation(vnet_id).result()
        deployment.address_prefixes, deployment.has_allocation     # same prefixes, False
        ```
        """
        vnet = VirtualNetworkId.parse(vnet_id)
        prefixes = _removal.validate_replacement_prefixes(address_prefixes)
        return self._remove(vnet, prefixes, self._conflict_retries)

    def _remove(
        self,
        vnet: VirtualNetworkId,
        prefixes: Any,
        conflict_retries: int,
        listed: _flows.Listed | None = None,
    ) -> LROPoller[VirtualNetworkDeployment]:
        with self._vnet_operation(vnet):
            ctx = self._flow_context(conflict_retries=conflict_retries)
            flow = _flows.remove_flow(ctx, vnet, prefixes, listed)
            outcome = drive(flow, self, time.sleep)
        return self._poller(outcome)

    def check_readiness(
        self, pool_id: str | IpamPoolId, **options: Unpack[ReadinessOptions]
    ) -> _readiness.ReadinessReport:
        """Check, read-only, everything a cross-tenant deployment from ``pool_id`` needs (tokens in both
        tenants, onboarding, roles, the connection, pool capacity, region); see [`crossipam.readiness`][].

        Args:
            pool_id: The IPAM pool in the management tenant: a resource id or a parsed `IpamPoolId`.
            **options: The checks' inputs: [`ReadinessOptions`][crossipam.options.ReadinessOptions] (``vnet_id``, ``number_of_ip_addresses``, ``location``, …).

        ```python
        report = client.check_readiness(pool_id, vnet_id=vnet_id, number_of_ip_addresses=256)
        print(report.ok, [(c.name, c.remedy) for c in report.failed])
        ```
        """
        arguments = self._readiness_arguments(pool_id, options)
        return _readiness.check_readiness(self._for_managed, self._for_management, **arguments)

    def get_pool_usage(self, pool_id: str | IpamPoolId) -> PoolUsage:
        """The pool's usage, read in the management tenant.

        Args:
            pool_id: The IPAM pool in the management tenant: a resource id or a parsed `IpamPoolId`.

        ```python
        usage = client.get_pool_usage(pool_id)
        print(usage.number_of_allocated_ip_addresses, usage.available_address_prefixes)
        ```
        """
        pool = IpamPoolId.parse(pool_id)
        return cast(PoolUsage, drive(_flows.pool_usage_flow(self._flow_context(), pool), self, time.sleep))

    def list_pool_allocations(self, pool_id: str | IpamPoolId) -> list[PoolAllocation]:
        """Everything that holds space in the pool (VNets of any tenant, static CIDRs), all pages.

        Args:
            pool_id: The IPAM pool in the management tenant: a resource id or a parsed `IpamPoolId`.

        ```python
        [a.resource_id.name for a in client.list_pool_allocations(pool_id)]
        ```
        """
        pool = IpamPoolId.parse(pool_id)
        flow = _flows.pool_allocations_flow(self._flow_context(), pool)
        return cast(list[PoolAllocation], drive(flow, self, time.sleep))

    # ---- plans, pools and static CIDRs (crossipam.planning, crossipam.pools) -----------------------------------
    def _run(self, flow: Any) -> Any:
        return drive(flow, self, time.sleep)

    def plan_deployment(self, spec: DeploymentSpec) -> VnetPlan:
        """What deploying ``spec`` would do, read from Azure and decided by the deploy's own code; no write.

        Reads the VNet and the usage of each pool its allocation would grow from (a new VNet: its pools), so
        that a count that no aligned block of the pool's free space holds is ``refused`` with the reason
        ``no_contiguous_space``. See [`crossipam.planning`][].

        Args:
            spec: The VNet, as ``deploy_many`` takes it.

        ```python
        plan = client.plan_deployment(DeploymentSpec(vnet_id, "eastus", pool_id, 256))
        plan.action, [str(r) for r in plan.requests]      # ('create', ['GET …', 'POST …/getPoolUsage…', 'PUT …'])
        ```
        """
        return cast(VnetPlan, self._run(_plans.plan_flow(self._flow_context(), spec)))

    def plan_many(self, specs: Iterable[DeploymentSpec]) -> Plan:
        """The plan of every spec, in input order (each pool read once; what earlier items take from a pool is
        not promised to later ones). A spec that cannot be planned is an ``error`` item.

        Args:
            specs: The VNets, as ``deploy_many`` takes them.

        ```python
        plan = client.plan_many(specs)
        if plan.has_changes:
            results = client.deploy_many(specs, plan=plan)
        ```
        """
        return cast(Plan, self._run(_plans.plan_many_flow(self._flow_context(), specs)))

    def plan_removal(self, vnet_id: str | VirtualNetworkId) -> VnetPlan:
        """What ``begin_remove_allocation`` would do (``remove`` or ``unchanged``); no write.

        Args:
            vnet_id: The VNet's resource id.

        ```python
        client.plan_removal(vnet_id).changes     # ('free 256 addresses of pool-eastus',)
        ```
        """
        vnet = VirtualNetworkId.parse(vnet_id)
        return cast(VnetPlan, self._run(_plans.removal_plan_flow(self._flow_context(), vnet)))

    def get_pool(self, pool_id: str | IpamPoolId) -> IpamPool:
        """The pool: prefixes, IP family, parent and child pools, and its usage (management tenant).

        Args:
            pool_id: The pool's resource id.

        ```python
        pool = client.get_pool(pool_id)
        pool.ip_family, pool.child_pools, pool.usage.number_of_available_ip_addresses
        ```
        """
        return cast(IpamPool, self._run(_pools.get_pool_flow(self._flow_context(), pool_id)))

    def list_pools(self, network_manager_id: str) -> list[IpamPool]:
        """Every pool of a network manager that the app may read, each with its usage.

        Args:
            network_manager_id: The network manager's resource id (management tenant).

        ```python
        [(p.name, p.ip_family) for p in client.list_pools(IpamPoolId.parse(pool_id).network_manager_id)]
        ```
        """
        flow = _pools.list_pools_flow(self._flow_context(), network_manager_id, self.management_tenant_id)
        return cast(list[IpamPool], self._run(flow))

    def create_static_cidr(
        self, pool_id: str | IpamPoolId, name: str, **options: Unpack[StaticCidrOptions]
    ) -> StaticCidr:
        """Reserve space in the pool for something that is not a VNet: ``number_of_ip_addresses`` (the pool
        picks the blocks) or ``address_prefixes``, and an optional ``description``. Needs
        ``…/ipamPools/staticCidrs/write`` on the pool (e.g. *Network Contributor*), beyond *IPAM Pool User*.

        Args:
            pool_id: The pool's resource id.
            name: The static CIDR's name.
            **options: ``number_of_ip_addresses`` or ``address_prefixes`` (one of them), ``description``.

        ```python
        client.create_static_cidr(pool_id, "on-premises", address_prefixes=["10.0.0.0/24"], description="HQ")
        ```
        """
        request = static_cidr_request(pool_id, name, options)
        return cast(StaticCidr, self._run(_pools.create_static_cidr_flow(self._flow_context(), request)))

    def get_static_cidr(self, pool_id: str | IpamPoolId, name: str) -> StaticCidr:
        """One static CIDR of the pool ([`NotFoundError`][crossipam.errors.NotFoundError] if absent).

        Args:
            pool_id: The pool's resource id.
            name: The static CIDR's name.

        ```python
        client.get_static_cidr(pool_id, "on-premises").address_prefixes
        ```
        """
        return cast(StaticCidr, self._run(_pools.get_static_cidr_flow(self._flow_context(), pool_id, name)))

    def list_static_cidrs(self, pool_id: str | IpamPoolId) -> list[StaticCidr]:
        """Every static CIDR of the pool.

        Args:
            pool_id: The pool's resource id.

        ```python
        [c.name for c in client.list_static_cidrs(pool_id)]
        ```
        """
        flow = _pools.list_static_cidrs_flow(self._flow_context(), pool_id)
        return cast(list[StaticCidr], self._run(flow))

    def delete_static_cidr(self, pool_id: str | IpamPoolId, name: str) -> None:
        """Release a static CIDR (waits for the delete to end; one that does not exist is no error).

        Args:
            pool_id: The pool's resource id.
            name: The static CIDR's name.

        ```python
        client.delete_static_cidr(pool_id, "on-premises")
        ```
        """
        self._run(_pools.delete_static_cidr_flow(self._flow_context(), pool_id, name)).result()

    # ---- bulk ------------------------------------------------------------------------------------------------
    def deploy_many(
        self,
        specs: Iterable[DeploymentSpec],
        *,
        plan: Plan | None = None,
        **options: Unpack[BulkOptions],
    ) -> list[BulkItemResult]:
        """Deploy many VNets on up to ``max_concurrency`` threads; one result per spec, in input order.

        One failure never aborts the others: each item ends with its deployment or its typed error. Throttling
        (429) and conflicts (409 ``AnotherOperationInProgress``) pause and slow down the affected subscription
        and retry the item (at most ``max_attempts`` runs); see ``docs/bulk-and-async.md``. ``sleep`` and
        ``clock`` replace ``time.sleep`` / ``time.monotonic`` (tests).

        With ``plan`` (from [`plan_many`][crossipam.CrossTenantIpamClient.plan_many]) each item is read and
        decided again and written only if the decision is the planned one; otherwise it fails with
        [`PlanChangedError`][crossipam.plans.PlanChangedError] and its result's ``replanned`` is the new plan
        (the results are [`PlannedItemResult`][crossipam.plans.PlannedItemResult] values).

        Args:
            specs: One [`DeploymentSpec`][crossipam.models.DeploymentSpec] per VNet; any iterable (not a string).
            plan: A [`Plan`][crossipam.plans.Plan] from ``plan_many`` to apply (each item decided again first).
            **options: [`BulkOptions`][crossipam.options.BulkOptions]: ``max_concurrency``, ``max_attempts``, ``progress``, …

        ```python
        results = client.deploy_many([DeploymentSpec(vnet_id, "eastus", pool_id, 64) for vnet_id in ids])
        assert all(r.ok for r in results)
        ```
        """
        items, run = _bulk.prepare_bulk(specs, "deploy_many", options)
        if not items:
            return []
        self._prime_tokens()
        listing = drive(self._listing(items), self, time.sleep)

        def attempt(item: _bulk.BulkItem) -> VirtualNetworkDeployment:
            spec = _bulk.spec_of(item)
            request = _deployment.deployment_request(spec.vnet_id, **spec.deploy_kwargs())
            # one budget per operation: the bulk scheduler retries this item's conflicts
            return self._deploy(request, 0, plan, listing.take(request.vnet_id)).result()

        results = _bulk.run_sync(items, attempt, pacer=self._budgets, **run)
        return results if plan is None else list(with_replans(results))

    def remove_many(
        self,
        vnet_ids_or_specs: Iterable[str | VirtualNetworkId | DeploymentSpec],
        **options: Unpack[BulkOptions],
    ) -> list[BulkItemResult]:
        """Remove the pool allocations of many VNets (keeping their prefixes), like
        [`deploy_many`][crossipam.CrossTenantIpamClient.deploy_many].

        Args:
            vnet_ids_or_specs: The VNets, as resource ids, parsed ids or [`DeploymentSpec`][crossipam.models.DeploymentSpec]s (their ``vnet_id`` is used).
            **options: [`BulkOptions`][crossipam.options.BulkOptions], as for ``deploy_many``.

        ```python
        results = client.remove_many(vnet_ids)
        [r.deployment.action for r in results if r.ok]     # 'removed' | 'no_allocation'
        ```
        """
        items, run = _bulk.prepare_bulk(vnet_ids_or_specs, "remove_many", options)
        if not items:
            return []
        self._prime_tokens()
        listing = drive(self._removal_listing(items), self, time.sleep)

        def attempt(item: _bulk.BulkItem) -> VirtualNetworkDeployment:
            vnet = VirtualNetworkId.parse(item.target)
            return self._remove(vnet, None, 0, listing.take(vnet)).result()

        return _bulk.run_sync(items, attempt, pacer=self._budgets, **run)

    def _prime_tokens(self) -> None:
        """Fetch each tenant's token once before workers fan out, so that concurrent first requests find it in
        the credential's cache (one token request per tenant). Failures are left to the items."""
        for bound in (self._for_managed, self._for_management):
            try:
                bound.get_token(self._cloud.resource_manager_scope)
            except Exception as err:
                _LOGGER.debug("token prefetch for tenant %s failed: %s", bound.tenant_id, err)

    # ---- lifetime --------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the SDK clients (and the credential, if this client created it).

        ```python
        client.close()
        ```
        """
        for c in self._take_clients():
            c.close()
        if self._owns_credential:
            closer = getattr(self._credential, "close", None)
            if callable(closer):
                closer()

    def __enter__(self) -> CrossTenantIpamClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- one subnet at a time (crossipam._subnet_flows) -----------------------------------------------------
    def begin_deploy_subnet(
        self,
        vnet_id: str | VirtualNetworkId,
        subnet: SubnetSpec,
        **pools: Unpack[SubnetPools],
    ) -> LROPoller[SubnetResult]:
        """Create or grow one subnet of an existing VNet through the Subnets API, leaving the other subnets alone.

        The subnet takes space from the VNet's own allocation (by default the VNet's IPv4 pool and, if the spec
        asks for IPv6, its IPv6 pool). Refused before any write: a pool the VNet takes no space from, a pool of
        the wrong IP family, a subnet with static prefixes
        ([`AddressSpaceConflictError`][crossipam.errors.AddressSpaceConflictError]) and a decrease
        ([`AllocationDecreaseError`][crossipam.errors.AllocationDecreaseError]). The same call twice writes
        nothing the second time (``result().action == "unchanged"``); a grow keeps the subnet's prefixes.

        Args:
            vnet_id: The virtual network in the managed tenant: a resource id or a parsed `VirtualNetworkId`.
            subnet: The subnet: a [`SubnetSpec`][crossipam.models.SubnetSpec] (name and address counts).
            **pools: Which of the VNet's pools ([`SubnetPools`][crossipam.subnets.SubnetPools]): ``pool_id`` (IPv4) and ``ipv6_pool_id``; by default the ones the VNet uses.

        ```python
        result = client.begin_deploy_subnet(vnet_id, SubnetSpec("app", 64)).result()
        result.action, result.address_prefixes    # ('created', [IPv4Network('10.0.0.0/26')])
        ```
        """
        request = _subnets.subnet_request(vnet_id, subnet, **pools)
        with self._vnet_operation(request.vnet_id):
            outcome = drive(_subnet_flows.deploy_subnet_flow(self._flow_context(), request), self, time.sleep)
        return (
            done_poller(outcome)
            if isinstance(outcome, SubnetResult)
            else cast(LROPoller[SubnetResult], outcome)
        )

    def begin_remove_subnet_allocation(
        self, vnet_id: str | VirtualNetworkId, subnet_name: str
    ) -> LROPoller[SubnetResult]:
        """Convert one subnet's pool allocation into static ``addressPrefixes`` holding the same prefixes
        (nothing is renumbered); the VNet's other subnets are left alone.

        Without an allocation nothing is written (``result().action == "no_allocation"``); a subnet the VNet
        does not have raises [`NotFoundError`][crossipam.errors.NotFoundError].

        Args:
            vnet_id: The virtual network in the managed tenant: a resource id or a parsed `VirtualNetworkId`.
            subnet_name: The subnet's name.

        ```python
        result = client.begin_remove_subnet_allocation(vnet_id, "app").result()
        result.address_prefixes, result.allocations     # same prefixes, []
        ```
        """
        vnet = VirtualNetworkId.parse(vnet_id)
        name = _subnets.check_subnet_name(subnet_name)
        with self._vnet_operation(vnet):
            outcome = drive(
                _subnet_flows.remove_subnet_flow(self._flow_context(), vnet, name), self, time.sleep
            )
        return (
            done_poller(outcome)
            if isinstance(outcome, SubnetResult)
            else cast(LROPoller[SubnetResult], outcome)
        )
