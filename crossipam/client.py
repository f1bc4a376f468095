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

from . import _vnet_flows as _flows
from . import bulk as _bulk
from . import deployment as _deployment
from . import readiness as _readiness
from . import removal as _removal
from ._client_base import ClientBase
from ._drive import done_poller, drive
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._shared import API_VERSION
from .credentials import (
    TenantBoundCredential,
    certificate_credential,
    secret_credential,
    workload_identity_credential,
)
from .models import BulkItemResult, DeploymentSpec, PoolAllocation, PoolUsage, VirtualNetworkDeployment
from .policies import CrossTenantAuxiliaryPolicy

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11)
    from typing_extensions import Unpack

    from .options import BulkOptions, DeployOptions, ReadinessOptions

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
        listed: _flows.Listed | None = None,
    ) -> LROPoller[VirtualNetworkDeployment]:
        with self._vnet_operation(request.vnet_id):
            context = self._flow_context(conflict_retries=conflict_retries)
            flow = _flows.deploy_flow(context, request, listed)
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

        ```python
        deployment = client.begin_remove_allocation(vnet_id).result()
        deployment.address_prefixes, deployment.has_allocation     # same prefixes, False
        ```
        """
        vnet = VirtualNetworkId.parse(vnet_id)
        prefixes = _removal.validate_replacement_prefixes(address_prefixes)
        return self._remove(vnet, prefixes, self._conflict_retries)

    def _remove(
        self, vnet: VirtualNetworkId, prefixes: Any, conflict_retries: int
    ) -> LROPoller[VirtualNetworkDeployment]:
        with self._vnet_operation(vnet):
            flow = _flows.remove_flow(self._flow_context(conflict_retries=conflict_retries), vnet, prefixes)
            outcome = drive(flow, self, time.sleep)
        return self._poller(outcome)

    def check_readiness(
        self, pool_id: str | IpamPoolId, **options: Unpack[ReadinessOptions]
    ) -> _readiness.ReadinessReport:
        """Check, read-only, everything a cross-tenant deployment from ``pool_id`` needs (tokens in both
        tenants, onboarding, roles, the connection, pool capacity, region); see [`crossipam.readiness`][].

        ```python
        report = client.check_readiness(pool_id, vnet_id=vnet_id, number_of_ip_addresses=256)
        print(report.ok, [(c.name, c.remedy) for c in report.failed])
        ```
        """
        arguments = self._readiness_arguments(pool_id, options)
        return _readiness.check_readiness(self._for_managed, self._for_management, **arguments)

    def get_pool_usage(self, pool_id: str | IpamPoolId) -> PoolUsage:
        """The pool's usage, read in the management tenant.

        ```python
        usage = client.get_pool_usage(pool_id)
        print(usage.number_of_allocated_ip_addresses, usage.available_address_prefixes)
        ```
        """
        pool = IpamPoolId.parse(pool_id)
        return cast(PoolUsage, drive(_flows.pool_usage_flow(self._flow_context(), pool), self, time.sleep))

    def list_pool_allocations(self, pool_id: str | IpamPoolId) -> list[PoolAllocation]:
        """Everything that holds space in the pool (VNets of any tenant, static CIDRs), all pages.

        ```python
        [a.resource_id.name for a in client.list_pool_allocations(pool_id)]
        ```
        """
        pool = IpamPoolId.parse(pool_id)
        flow = _flows.pool_allocations_flow(self._flow_context(), pool)
        return cast(list[PoolAllocation], drive(flow, self, time.sleep))

    # ---- bulk ------------------------------------------------------------------------------------------------
    def deploy_many(
        self,
        specs: Iterable[DeploymentSpec],
        **options: Unpack[BulkOptions],
    ) -> list[BulkItemResult]:
        """Deploy many VNets on up to ``max_concurrency`` threads; one result per spec, in input order.

        One failure never aborts the others: each item ends with its deployment or its typed error. Throttling
        (429) and conflicts (409 ``AnotherOperationInProgress``) pause and slow down the affected subscription
        and retry the item (at most ``max_attempts`` runs); see ``docs/bulk-and-async.md``. ``sleep`` and
        ``clock`` replace ``time.sleep`` / ``time.monotonic`` (tests).

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
            return self._deploy(request, 0, listing.take(request.vnet_id)).result()

        return _bulk.run_sync(items, attempt, pacer=self._budgets, **run)

    def remove_many(
        self,
        vnet_ids_or_specs: Iterable[str | VirtualNetworkId | DeploymentSpec],
        **options: Unpack[BulkOptions],
    ) -> list[BulkItemResult]:
        """Remove the pool allocations of many VNets (keeping their prefixes), like
        [`deploy_many`][crossipam.CrossTenantIpamClient.deploy_many].

        ```python
        results = client.remove_many(vnet_ids)
        [r.deployment.action for r in results if r.ok]     # 'removed' | 'no_allocation'
        ```
        """
        items, run = _bulk.prepare_bulk(vnet_ids_or_specs, "remove_many", options)
        if not items:
            return []
        self._prime_tokens()

        def attempt(item: _bulk.BulkItem) -> VirtualNetworkDeployment:
            return self._remove(VirtualNetworkId.parse(item.target), None, 0).result()

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
