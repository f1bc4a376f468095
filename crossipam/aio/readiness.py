"""Readiness for asyncio: [`check_readiness`][crossipam.aio.readiness.check_readiness], the twin of
[`crossipam.readiness.check_readiness`][].

The reads are the same flow ([`crossipam.readiness`][]), the verdicts the same pure functions; only the driver
differs (`crossipam.aio._drive`).

```python
from crossipam.aio.readiness import check_readiness

report = await check_readiness(for_b, for_a, managed_tenant_id=b, management_tenant_id=a, pool_id=pool_id)
```
"""

from __future__ import annotations

import asyncio
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential

from .._inflight import DEFAULT_OPERATION_TIMEOUT
from .._resource_ids import IpamPoolId, VirtualNetworkId
from ..models import CloudEndpoints
from ..readiness import _READ_ERRORS, ReadinessReport, _flow, _start
from ._drive import run_job

__all__ = ["check_readiness"]


async def check_readiness(
    managed_credential: AsyncTokenCredential,
    management_credential: AsyncTokenCredential,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    pool_id: str | IpamPoolId,
    vnet_id: str | VirtualNetworkId | None = None,
    number_of_ip_addresses: int | None = None,
    location: str | None = None,
    client_id: str | None = None,
    cloud: CloudEndpoints | None = None,
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT,
    **kwargs: Any,
) -> ReadinessReport:
    """The asyncio twin of [`crossipam.readiness.check_readiness`][] (same reads, verdicts and report) over
    ``AsyncTokenCredential``s bound to tenant B and tenant A, azure-core's ``AsyncPipelineClient`` (Microsoft
    Graph) and the ``azure.mgmt.*.aio`` clients. Most callers use
    [`crossipam.aio.CrossTenantIpamClient.check_readiness`][].

    Args:
        managed_credential: An ``AsyncTokenCredential`` bound to tenant B (the app's home).
        management_credential: An ``AsyncTokenCredential`` bound to tenant A (the pool's tenant).
        managed_tenant_id: Tenant B, which owns the VNet.
        management_tenant_id: Tenant A, which owns the IPAM pool.
        pool_id: The IPAM pool in tenant A.
        vnet_id: The VNet in tenant B (existing or to be created); enables the VNet-side checks.
        number_of_ip_addresses: The count to deploy; enables ``pool_capacity`` (an existing VNet's allocation
            from the pool is subtracted).
        location: The region of a VNet that does not exist yet (an existing VNet's own region wins).
        client_id: The app's (client) id: Graph reads its registration (without it ``app_multitenant`` is
            skipped), and the remedies name it.
        cloud: The cloud's endpoints; the public cloud when omitted.
        operation_timeout: Seconds to wait when the VNet is being updated (``provisioningState`` not
            terminal), reading it every ``polling_interval`` seconds; past that the VNet counts as unreadable.
        **kwargs: azure-core options for the async pipelines (``transport``, ``connection_verify``,
            ``retry_total``, ``polling_interval`` …).

    ```python
    report = await check_readiness(for_b, for_a, managed_tenant_id=b, management_tenant_id=a,
                                         pool_id=pool_id, number_of_ip_addresses=256, client_id=app_id)
    ```
    """

    seen, endpoints, options, job = _start(
        managed_credential,
        management_credential,
        managed_tenant_id=managed_tenant_id,
        management_tenant_id=management_tenant_id,
        pool_id=pool_id,
        vnet_id=vnet_id,
        number_of_ip_addresses=number_of_ip_addresses,
        location=location,
        client_id=client_id,
        cloud=cloud,
        operation_timeout=operation_timeout,
        kwargs=kwargs,
    )
    seen.token_b = await _token_async(managed_credential, endpoints.resource_manager_scope)
    seen.token_a = await _token_async(management_credential, endpoints.resource_manager_scope)
    return await run_job(job, asyncio.sleep, options, steps=_flow(seen))


async def _token_async(credential: AsyncTokenCredential, scope: str) -> Exception | None:
    try:
        await credential.get_token(scope)
    except _READ_ERRORS as err:
        return err
    return None
