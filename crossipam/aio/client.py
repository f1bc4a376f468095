"""The asyncio ``CrossTenantIpamClient``: the sync client's twin over azure.identity.aio and
azure.mgmt.network.aio.

Same names, arguments, results, errors and request sequence as [`crossipam.CrossTenantIpamClient`][]; the
request bodies, plans, parsing and error mapping are the same functions (``crossipam.deployment``,
``crossipam.removal``, ``crossipam._shared``). ``begin_*`` are coroutines returning an
``azure.core.polling.AsyncLROPoller``.

```python
from crossipam.aio import CrossTenantIpamClient

async with CrossTenantIpamClient.from_client_secret(app_id, secret, managed_tenant_id=b,
                                                    management_tenant_id=a) as client:
    poller = await client.begin_deploy_virtual_network(vnet_id, location="eastus", pool_id=pool_id,
                                                       number_of_ip_addresses=100)
    deployment = await poller.result()
```
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.polling import AsyncLROPoller
from azure.mgmt.network.aio import NetworkManagementClient

from .. import _plan_flows as _plans
from .. import _pool_flows as _pools
from .. import _subnet_flows
from .. import _vnet_flows as _flows
from .. import bulk as _bulk
from .. import deployment as _deployment
from .. import readiness as _readiness
from .. import removal as _removal
from .. import subnets as _subnets
from .._client_base import ClientBase
from .._pacing import AsyncRateBudgetPolicy
from .._resource_ids import IpamPoolId, VirtualNetworkId
from ..models import BulkItemResult, DeploymentSpec, PoolAllocation, PoolUsage, VirtualNetworkDeployment
from ..plans import Plan, VnetPlan, with_replans
from ..pools import IpamPool, StaticCidr, static_cidr_request
from ..subnets import SubnetResult
from . import readiness as _aio_readiness
from ._credentials import (
    AsyncCrossTenantAuxiliaryPolicy,
    AsyncTenantBoundCredential,
    async_certificate_credential,
    async_secret_credential,
    async_workload_identity_credential,
)
from ._drive import done_poller, drive

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11)
    from typing_extensions import Unpack

    from ..models import SubnetSpec
    from ..options import AsyncBulkOptions, DeployOptions, ReadinessOptions
    from ..pools import StaticCidrOptions
    from ..subnets import SubnetPools

__all__ = ["CrossTenantIpamClient"]

_LOGGER = logging.getLogger("crossipam.client")


def _custom_tls(kwargs: Mapping[str, Any]) -> bool:
    """Whether the TLS settings make azure-core's aiohttp transport build its own SSL context (a CA bundle path
    in ``connection_verify`` or a client certificate in ``connection_cert``)."""
    return not isinstance(kwargs.get("connection_verify", True), bool) or bool(kwargs.get("connection_cert"))


_ONE_CONTEXT_TRANSPORT: type[Any] | None = None


def _one_ssl_context_transport(**kwargs: Any) -> Any:
    """An ``AioHttpTransport`` that builds its SSL context once.

    azure-core's ``AioHttpTransport`` creates a new ``ssl.SSLContext`` for *every request* when
    ``connection_verify`` is a CA bundle path, and aiohttp pools connections per context, so no connection is ever
    reused: one TLS handshake per request (measured in docs/performance.md). This subclass keeps the context of
    each (cert, verify) pair; everything else is azure-core's transport.
    """
    global _ONE_CONTEXT_TRANSPORT
    if _ONE_CONTEXT_TRANSPORT is None:
        from azure.core.pipeline.transport import AioHttpTransport  # needs aiohttp: crossipam[aio]

        class _OneSslContextAioHttpTransport(AioHttpTransport):  # type: ignore[misc]  # lazily exported
            def __init__(self, **kw: Any) -> None:
                super().__init__(**kw)
                self._ssl_contexts: dict[str, Any] = {}

            def _build_ssl_config(self, cert: Any, verify: Any) -> Any:
                key = repr((cert, verify))
                if key not in self._ssl_contexts:
                    self._ssl_contexts[key] = super()._build_ssl_config(cert, verify)
                return self._ssl_contexts[key]

        _ONE_CONTEXT_TRANSPORT = _OneSslContextAioHttpTransport
    return _ONE_CONTEXT_TRANSPORT(**kwargs)


class CrossTenantIpamClient(ClientBase[AsyncTokenCredential, AsyncTenantBoundCredential]):
    """The asyncio twin of [CrossTenantIpamClient][crossipam.CrossTenantIpamClient]: the same arguments, results,
    errors and requests (the same flows run on an awaiting driver), over ``azure.identity.aio`` and
    ``azure.mgmt.network.aio``; ``credential`` is an ``AsyncTokenCredential``. ``begin_*`` are coroutines that
    return an ``AsyncLROPoller``.

    ```python
    async with CrossTenantIpamClient(credential, managed_tenant_id=b, management_tenant_id=a) as client:
        usage = await client.get_pool_usage(pool_id)
    ```
    """

    _REPR_NAME = "aio.CrossTenantIpamClient"
    _bind = AsyncTenantBoundCredential
    _secret_credential = staticmethod(async_secret_credential)
    _certificate_credential = staticmethod(async_certificate_credential)
    _workload_identity_credential = staticmethod(async_workload_identity_credential)

    # ---- SDK clients -----------------------------------------------------------------------------------------
    _aux_policy = AsyncCrossTenantAuxiliaryPolicy
    _budget_policy = AsyncRateBudgetPolicy

    def _network(self, which: str, subscription_id: str) -> NetworkManagementClient:
        key = self._client_key(which, subscription_id)
        if key not in self._clients:
            credential, options = self._network_options(which)
            if "transport" not in options and _custom_tls(options):
                options["transport"] = _one_ssl_context_transport(**self._kwargs)
            self._clients[key] = NetworkManagementClient(credential, subscription_id, **options)
        return cast(NetworkManagementClient, self._clients[key])

    @contextlib.asynccontextmanager
    async def _vnet_operation(self, vnet: VirtualNetworkId) -> AsyncIterator[None]:
        """Serialize read-plan-PUT per VNet within this client. The lock ends once ARM accepted the PUT (the
        operation is then in flight at ARM, and every later read waits for it to end before deciding), so a
        poller that is never awaited does not hold the VNet."""
        lock = self._vnet_locks.setdefault(str(vnet).lower(), asyncio.Lock())
        async with lock:
            yield

    # ---- operations -----------------------------------------------------------------------------------------
    async def begin_deploy_virtual_network(
        self,
        vnet_id: str | VirtualNetworkId,
        **options: Unpack[DeployOptions],
    ) -> AsyncLROPoller[VirtualNetworkDeployment]:
        """Create or grow a VNet from the management tenant's pool (see the sync client for the rules).

        Args:
            vnet_id: The virtual network's resource id (or a parsed `VirtualNetworkId`).
            **options: What to deploy: see [`DeployOptions`][crossipam.options.DeployOptions] (``location``, ``pool_id``, ``number_of_ip_addresses``, ``subnets``, …).

        ```python
        poller = await client.begin_deploy_virtual_network(vnet_id, location="eastus", pool_id=pool_id,
                                                           number_of_ip_addresses=100)
        deployment = await poller.result()
        ```
        """
        request = _deployment.deployment_request(vnet_id, **options)
        return await self._deploy(request, self._conflict_retries)

    async def _deploy(
        self,
        request: _deployment.DeploymentRequest,
        conflict_retries: int,
        plan: Plan | None = None,
        listed: _flows.Listed | None = None,
    ) -> AsyncLROPoller[VirtualNetworkDeployment]:
        async with self._vnet_operation(request.vnet_id):
            context = self._flow_context(conflict_retries=conflict_retries)
            flow = _plans.deploy_or_apply_flow(context, request, plan, listed)
            outcome = await drive(flow, self, asyncio.sleep)
        return self._poller(outcome)

    @staticmethod
    def _poller(outcome: Any) -> AsyncLROPoller[VirtualNetworkDeployment]:
        """The flow's poller, or a finished one when it wrote nothing."""
        if isinstance(outcome, VirtualNetworkDeployment):
            return done_poller(outcome)
        return cast(AsyncLROPoller[VirtualNetworkDeployment], outcome)

    async def get_virtual_network_allocation(
        self, vnet_id: str | VirtualNetworkId
    ) -> VirtualNetworkDeployment:
        """The VNet's prefixes and pool allocations (raises [`NotFoundError`][crossipam.errors.NotFoundError]
        if absent).

        Args:
            vnet_id: The virtual network's resource id (or a parsed `VirtualNetworkId`).

        ```python
        (await client.get_virtual_network_allocation(vnet_id)).allocations
        ```
        """
        vnet = VirtualNetworkId.parse(vnet_id)
        outcome = await drive(_flows.read_flow(self._flow_context(), vnet), self, asyncio.sleep)
        return cast(VirtualNetworkDeployment, outcome)

    async def begin_remove_allocation(
        self,
        vnet_id: str | VirtualNetworkId,
        *,
        address_prefixes: Iterable[str] | None = None,
    ) -> AsyncLROPoller[VirtualNetworkDeployment]:
        """Convert the VNet's (and its subnets') pool allocations into static prefixes, freeing the pool.

        Args:
            vnet_id: The virtual network's resource id (or a parsed `VirtualNetworkId`).
            address_prefixes: Static prefixes to use instead of the allocated ones.

        ```python
        removed = await (await client.begin_remove_allocation(vnet_id)).result()
        ```
        """
        vnet = VirtualNetworkId.parse(vnet_id)
        prefixes = _removal.validate_replacement_prefixes(address_prefixes)
        return await self._remove(vnet, prefixes, self._conflict_retries)

    async def _remove(
        self,
        vnet: VirtualNetworkId,
        prefixes: Any,
        conflict_retries: int,
        listed: _flows.Listed | None = None,
    ) -> AsyncLROPoller[VirtualNetworkDeployment]:
        async with self._vnet_operation(vnet):
            context = self._flow_context(conflict_retries=conflict_retries)
            flow = _flows.remove_flow(context, vnet, prefixes, listed)
            outcome = await drive(flow, self, asyncio.sleep)
        return self._poller(outcome)

    async def check_readiness(
        self, pool_id: str | IpamPoolId, **options: Unpack[ReadinessOptions]
    ) -> _readiness.ReadinessReport:
        """Check, read-only, everything a cross-tenant deployment from ``pool_id`` needs — the same checks,
        verdicts and report as the sync client (see [`crossipam.readiness`][]).

        Args:
            pool_id: The IPAM pool's resource id (or a parsed `IpamPoolId`).
            **options: See [`ReadinessOptions`][crossipam.options.ReadinessOptions] (``vnet_id``, ``number_of_ip_addresses``, ``location``, …).

        ```python
        report = await client.check_readiness(pool_id, vnet_id=vnet_id, number_of_ip_addresses=256)
        print(report.ok, [(c.name, c.remedy) for c in report.failed])
        ```
        """
        arguments = self._readiness_arguments(pool_id, options)
        return await _aio_readiness.check_readiness(self._for_managed, self._for_management, **arguments)

    async def get_pool_usage(self, pool_id: str | IpamPoolId) -> PoolUsage:
        """The pool's usage, read in the management tenant.

        Args:
            pool_id: The IPAM pool's resource id (or a parsed `IpamPoolId`).

        ```python
        usage = await client.get_pool_usage(pool_id)
        ```
        """
        pool = IpamPoolId.parse(pool_id)
        return cast(
            PoolUsage, await drive(_flows.pool_usage_flow(self._flow_context(), pool), self, asyncio.sleep)
        )

    async def list_pool_allocations(self, pool_id: str | IpamPoolId) -> list[PoolAllocation]:
        """Everything that holds space in the pool (VNets of any tenant, static CIDRs), all pages.

        Args:
            pool_id: The IPAM pool's resource id (or a parsed `IpamPoolId`).

        ```python
        [a.resource_id.name for a in await client.list_pool_allocations(pool_id)]
        ```
        """
        pool = IpamPoolId.parse(pool_id)
        flow = _flows.pool_allocations_flow(self._flow_context(), pool)
        return cast(list[PoolAllocation], await drive(flow, self, asyncio.sleep))

    # ---- plans, pools and static CIDRs: the sync client's flows, awaited --------------------------------------
    async def _run(self, flow: Any) -> Any:
        return await drive(flow, self, asyncio.sleep)

    async def plan_deployment(self, spec: DeploymentSpec) -> VnetPlan:
        """What deploying ``spec`` would do, read and decided as the sync client does it; no write.

        Args:
            spec: The VNet to plan.

        ```python
        plan = await client.plan_deployment(spec)
        ```
        """
        outcome = await self._run(_plans.plan_flow(self._flow_context(), spec))
        return cast(VnetPlan, outcome)

    async def plan_many(self, specs: Iterable[DeploymentSpec]) -> Plan:
        """The plan of every spec, in input order; no write.

        Args:
            specs: The VNets to plan.

        ```python
        plan = await client.plan_many(specs)
        results = await client.deploy_many(specs, plan=plan)
        ```
        """
        outcome = await self._run(_plans.plan_many_flow(self._flow_context(), specs))
        return cast(Plan, outcome)

    async def plan_removal(self, vnet_id: str | VirtualNetworkId) -> VnetPlan:
        """What ``begin_remove_allocation`` would do; no write.

        Args:
            vnet_id: The VNet to plan the removal of.

        ```python
        (await client.plan_removal(vnet_id)).action    # 'remove'
        ```
        """
        flow = _plans.removal_plan_flow(self._flow_context(), VirtualNetworkId.parse(vnet_id))
        return cast(VnetPlan, await self._run(flow))

    async def get_pool(self, pool_id: str | IpamPoolId) -> IpamPool:
        """The pool with its prefixes, family, parent and child pools and usage.

        Args:
            pool_id: The pool to read.

        ```python
        pool = await client.get_pool(pool_id)
        ```
        """
        outcome = await self._run(_pools.get_pool_flow(self._flow_context(), pool_id))
        return cast(IpamPool, outcome)

    async def list_pools(self, network_manager_id: str) -> list[IpamPool]:
        """The pools of a network manager that the app may read, with their usage.

        Args:
            network_manager_id: The network manager to list.

        ```python
        pools = await client.list_pools(nm_id)
        ```
        """
        tenant = self.management_tenant_id
        outcome = await self._run(_pools.list_pools_flow(self._flow_context(), network_manager_id, tenant))
        return cast(list[IpamPool], outcome)

    async def create_static_cidr(
        self, pool_id: str | IpamPoolId, name: str, **options: Unpack[StaticCidrOptions]
    ) -> StaticCidr:
        """Reserve space in the pool (by ``number_of_ip_addresses`` or ``address_prefixes``).

        Args:
            pool_id: The pool to reserve in.
            name: The name of the reservation.
            **options: ``number_of_ip_addresses`` or ``address_prefixes``, and ``description``.

        ```python
        cidr = await client.create_static_cidr(pool_id, "hq", number_of_ip_addresses=256)
        ```
        """
        flow = _pools.create_static_cidr_flow(
            self._flow_context(), static_cidr_request(pool_id, name, options)
        )
        return cast(StaticCidr, await self._run(flow))

    async def get_static_cidr(self, pool_id: str | IpamPoolId, name: str) -> StaticCidr:
        """One static CIDR of the pool.

        Args:
            pool_id: The pool it is in.
            name: The name of the reservation.

        ```python
        cidr = await client.get_static_cidr(pool_id, "hq")
        ```
        """
        outcome = await self._run(_pools.get_static_cidr_flow(self._flow_context(), pool_id, name))
        return cast(StaticCidr, outcome)

    async def list_static_cidrs(self, pool_id: str | IpamPoolId) -> list[StaticCidr]:
        """The static CIDRs of the pool.

        Args:
            pool_id: The pool to list.

        ```python
        cidrs = await client.list_static_cidrs(pool_id)
        ```
        """
        outcome = await self._run(_pools.list_static_cidrs_flow(self._flow_context(), pool_id))
        return cast(list[StaticCidr], outcome)

    async def delete_static_cidr(self, pool_id: str | IpamPoolId, name: str) -> None:
        """Release a static CIDR and wait for the delete to end.

        Args:
            pool_id: The pool it is in.
            name: The name of the reservation.

        ```python
        await client.delete_static_cidr(pool_id, "hq")
        ```
        """
        poller = await self._run(_pools.delete_static_cidr_flow(self._flow_context(), pool_id, name))
        await poller.result()

    # ---- bulk ------------------------------------------------------------------------------------------------
    async def deploy_many(
        self,
        specs: Iterable[DeploymentSpec],
        *,
        plan: Plan | None = None,
        **options: Unpack[AsyncBulkOptions],
    ) -> list[BulkItemResult]:
        """Deploy many VNets as asyncio tasks (at most ``max_concurrency`` at once); results in input order.

        Same guarantees as the sync [`crossipam.CrossTenantIpamClient.deploy_many`][], ``plan=`` included
        (an item whose decision changed since the plan is not written: its result's ``replanned``).

        Args:
            specs: One [`DeploymentSpec`][crossipam.models.DeploymentSpec] per VNet (any iterable).
            plan: A plan from ``plan_many``; an item whose decision changed is not written.
            **options: [`AsyncBulkOptions`][crossipam.options.AsyncBulkOptions]: ``max_concurrency``, ``max_attempts``, ``progress``, …

        ```python
        results = await client.deploy_many([DeploymentSpec(vnet_id, "eastus", pool_id, 64) for vnet_id in ids])
        ```
        """
        items, run = _bulk.prepare_bulk(specs, "deploy_many", options)
        if not items:
            return []
        await self._prime_tokens()
        listing = await drive(self._listing(items), self, asyncio.sleep)

        async def attempt(item: _bulk.BulkItem) -> VirtualNetworkDeployment:
            spec = _bulk.spec_of(item)
            request = _deployment.deployment_request(spec.vnet_id, **spec.deploy_kwargs())
            # one budget per operation: the bulk scheduler retries this item's conflicts
            poller = await self._deploy(request, 0, plan, listing.take(request.vnet_id))
            return await poller.result()

        outcomes = await _bulk.run_async(items, attempt, pacer=self._budgets, **run)
        return outcomes if plan is None else list(with_replans(outcomes))

    async def remove_many(
        self,
        vnet_ids_or_specs: Iterable[str | VirtualNetworkId | DeploymentSpec],
        **options: Unpack[AsyncBulkOptions],
    ) -> list[BulkItemResult]:
        """Remove the pool allocations of many VNets, like
        [`deploy_many`][crossipam.aio.CrossTenantIpamClient.deploy_many].

        Args:
            vnet_ids_or_specs: The VNets, as resource ids, parsed ids or specs.
            **options: [`AsyncBulkOptions`][crossipam.options.AsyncBulkOptions], as for ``deploy_many``.

        ```python
        results = await client.remove_many(vnet_ids)
        ```
        """
        items, run = _bulk.prepare_bulk(vnet_ids_or_specs, "remove_many", options)
        if not items:
            return []
        await self._prime_tokens()
        listing = await drive(self._removal_listing(items), self, asyncio.sleep)

        async def attempt(item: _bulk.BulkItem) -> VirtualNetworkDeployment:
            vnet = VirtualNetworkId.parse(item.target)
            return await (await self._remove(vnet, None, 0, listing.take(vnet))).result()

        return await _bulk.run_async(items, attempt, pacer=self._budgets, **run)

    async def _prime_tokens(self) -> None:
        """One token per tenant before tasks fan out (concurrent first requests then hit the cache)."""
        for bound in (self._for_managed, self._for_management):
            try:
                await bound.get_token(self._cloud.resource_manager_scope)
            except Exception as err:
                _LOGGER.debug("token prefetch for tenant %s failed: %s", bound.tenant_id, err)

    # ---- lifetime --------------------------------------------------------------------------------------------
    async def close(self) -> None:
        """Close the SDK clients (and the credential, if this client created it).

        ```python
        await client.close()
        ```
        """
        for c in self._take_clients():
            await c.close()
        if self._owns_credential:
            closer = getattr(self._credential, "close", None)
            if callable(closer):
                await closer()

    async def __aenter__(self) -> CrossTenantIpamClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- one subnet at a time (crossipam._subnet_flows) -----------------------------------------------------
    async def begin_deploy_subnet(
        self,
        vnet_id: str | VirtualNetworkId,
        subnet: SubnetSpec,
        **pools: Unpack[SubnetPools],
    ) -> AsyncLROPoller[SubnetResult]:
        """Create or grow one subnet of an existing VNet through the Subnets API (see the sync client for the
        rules: the VNet's own pools, refused shrink, other subnets untouched).

        Args:
            vnet_id: The virtual network's resource id (or a parsed `VirtualNetworkId`).
            subnet: The subnet's [`SubnetSpec`][crossipam.models.SubnetSpec].
            **pools: ``pool_id`` / ``ipv6_pool_id`` ([`SubnetPools`][crossipam.subnets.SubnetPools]).

        ```python
        poller = await client.begin_deploy_subnet(vnet_id, SubnetSpec("app", 64))
        result = await poller.result()
        ```
        """
        request = _subnets.subnet_request(vnet_id, subnet, **pools)
        async with self._vnet_operation(request.vnet_id):
            flow = _subnet_flows.deploy_subnet_flow(self._flow_context(), request)
            outcome = await drive(flow, self, asyncio.sleep)
        if isinstance(outcome, SubnetResult):
            return done_poller(outcome)
        return cast(AsyncLROPoller[SubnetResult], outcome)

    async def begin_remove_subnet_allocation(
        self, vnet_id: str | VirtualNetworkId, subnet_name: str
    ) -> AsyncLROPoller[SubnetResult]:
        """Convert one subnet's pool allocation into static prefixes, keeping them (see the sync client).

        Args:
            vnet_id: The virtual network's resource id (or a parsed `VirtualNetworkId`).
            subnet_name: The subnet's name.

        ```python
        result = await (await client.begin_remove_subnet_allocation(vnet_id, "app")).result()
        ```
        """
        vnet = VirtualNetworkId.parse(vnet_id)
        name = _subnets.check_subnet_name(subnet_name)
        async with self._vnet_operation(vnet):
            flow = _subnet_flows.remove_subnet_flow(self._flow_context(), vnet, name)
            outcome = await drive(flow, self, asyncio.sleep)
        if isinstance(outcome, SubnetResult):
            return done_poller(outcome)
        return cast(AsyncLROPoller[SubnetResult], outcome)
