"""Readiness for asyncio: [`check_readiness`][crossipam.aio.readiness.check_readiness], the twin of
[`crossipam.readiness.check_readiness`][].

The reads are the same flow (``crossipam._readiness_reads``), the verdicts the same pure functions; only the driver
differs (`crossipam.aio._drive`).

```python
from crossipam.aio.readiness import check_readiness

report = await check_readiness(for_b, for_a, managed_tenant_id=b, management_tenant_id=a, pool_id=pool_id)
```
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from azure.core.credentials_async import AsyncTokenCredential

from .._readiness_model import ReadinessReport
from .._readiness_reads import _READ_ERRORS, _flow, _start
from ._drive import run_job

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11)
    from typing_extensions import Unpack

    from ..options import ReadinessArguments

__all__ = ["check_readiness"]


async def check_readiness(
    managed_credential: AsyncTokenCredential,
    management_credential: AsyncTokenCredential,
    **options: Unpack[ReadinessArguments],
) -> ReadinessReport:
    """The asyncio twin of [`crossipam.readiness.check_readiness`][] (same reads, verdicts and report) over
    ``AsyncTokenCredential``s bound to tenant B and tenant A, azure-core's ``AsyncPipelineClient`` (Microsoft
    Graph) and the ``azure.mgmt.*.aio`` clients. Most callers use
    [`crossipam.aio.CrossTenantIpamClient.check_readiness`][].

    Args:
        managed_credential: An ``AsyncTokenCredential`` bound to tenant B (the app's home).
        management_credential: An ``AsyncTokenCredential`` bound to tenant A (the pool's tenant).
        **options: What the sync check takes, the same keys
            ([`ReadinessArguments`][crossipam.options.ReadinessArguments]): the tenants, the pool, ``vnet_id``,
            ``number_of_ip_addresses``, ``location``, ``client_id``, ``cloud``, ``operation_timeout`` and the
            azure-core options of the async pipelines (``transport``, ``connection_verify``, ``polling_interval`` …).

    ```python
    report = await check_readiness(for_b, for_a, managed_tenant_id=b, management_tenant_id=a,
                                   pool_id=pool_id, number_of_ip_addresses=256, client_id=app_id)
    ```
    """
    seen, endpoints, azure_core, job = _start(managed_credential, management_credential, options)
    seen.token_b = await _token_async(managed_credential, endpoints.resource_manager_scope)
    seen.token_a = await _token_async(management_credential, endpoints.resource_manager_scope)
    return await run_job(job, asyncio.sleep, azure_core, steps=_flow(seen))


async def _token_async(credential: AsyncTokenCredential, scope: str) -> Exception | None:
    try:
        await credential.get_token(scope)
    except _READ_ERRORS as err:
        return err
    return None
