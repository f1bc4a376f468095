"""asyncio onboarding: [`onboard_service_principal`][crossipam.aio.onboarding.onboard_service_principal] and
[`offboard_service_principal`][crossipam.aio.onboarding.offboard_service_principal], awaited.

The async twins of [`crossipam.onboarding`][]: the same arguments, steps (names, statuses, details), results,
typed errors, dry runs and directory-replication retries — the steps are the same code
(``crossipam._onboarding_core``); only the I/O differs. Credentials are ``AsyncTokenCredential`` (for example
from ``azure.identity.aio``); Microsoft Graph goes through an azure-core ``AsyncPipelineClient``, role
assignments through ``azure.mgmt.authorization.aio`` and connection checks through ``azure.mgmt.network.aio``.
The default async transport needs ``aiohttp``.

```python
from azure.identity.aio import ClientSecretCredential
from crossipam.aio import onboard_service_principal

async with ClientSecretCredential(tenant_b, admin_b_id, admin_b_secret) as admin_b:
    async with ClientSecretCredential(tenant_a, admin_a_id, admin_a_secret) as admin_a:
        result = await onboard_service_principal(
            app_id, pool_id,
            managed_tenant_id=tenant_b, management_tenant_id=tenant_a,
            managed_tenant_credential=admin_b, management_tenant_credential=admin_a,
        )
print([(step.name, step.status) for step in result.steps])
```
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from azure.core.credentials_async import AsyncTokenCredential

from .._onboarding_core import prepare_offboarding, prepare_onboarding
from .._onboarding_results import OffboardingResult, OnboardingResult, OnboardingStep
from ._drive import run_job

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11)
    from typing_extensions import Unpack

    from ..options import AsyncOffboardingOptions, AsyncOnboardingOptions

__all__ = [
    "OffboardingResult",
    "OnboardingResult",
    "OnboardingStep",
    "offboard_service_principal",
    "onboard_service_principal",
]


async def onboard_service_principal(
    app_id: str,
    pool_id: str,
    *,
    managed_tenant_credential: AsyncTokenCredential,
    management_tenant_credential: AsyncTokenCredential,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    **options: Unpack[AsyncOnboardingOptions],
) -> OnboardingResult:
    """Onboard the managed tenant's app ``app_id`` onto the management tenant's IPAM pool ``pool_id``.

    Awaitable twin of [`crossipam.onboarding.onboard_service_principal`][] — see it for the steps and every
    argument. The differences: both admin credentials are ``AsyncTokenCredential`` (you close them), ``sleep``
    is awaited between replication retries (default ``asyncio.sleep``; inject a fake in tests), and azure-core's
    keywords go to async pipelines (``transport`` is an async transport).

    Args:
        app_id: The automation app's application (client) id; the app is registered in the managed tenant.
        pool_id: The management tenant's IPAM pool, by resource id.
        managed_tenant_credential: An ``AsyncTokenCredential`` that can get Graph tokens in tenant B and may
            update the app registration.
        management_tenant_credential: An ``AsyncTokenCredential`` for tenant A that may create service
            principals and write role assignments on the pool.
        sleep: Awaited to wait between retries (inject a fake in tests).
        **options: As the sync function's, typed by
            [`AsyncOnboardingOptions`][crossipam.options.AsyncOnboardingOptions]: the two tenant ids (required),
            what to do and how long to wait for replication, and azure-core's keywords for every async
            pipeline and SDK client (``transport``, …).

    Returns:
        The same [`OnboardingResult`][crossipam.onboarding.OnboardingResult] as the sync function.

    Raises:
        OnboardingError: The sync function's typed errors, for the same causes —
            ``InsufficientPrivilegesError``, ``ReplicationPendingError``, ``ApplicationNotFoundError``,
            ``AdminCredentialError``, ``RoleDefinitionNotFoundError``, ``CrossTenantConnectionError`` — with
            the same ``code``, ``status``, ``request_id``, ``correlation_id`` and ``timestamp``.

    Example:
        ```python
        result = await onboard_service_principal(
            app_id, pool_id,
            managed_tenant_id=tenant_b, management_tenant_id=tenant_a,
            managed_tenant_credential=admin_b, management_tenant_credential=admin_a,
            dry_run=True,
        )
        print([step.describe() for step in result.steps])   # what a real run would do
        ```
    """
    job, azure_core_kwargs = prepare_onboarding(
        app_id, pool_id, managed_tenant_credential, management_tenant_credential, options
    )
    return await run_job(job, sleep, azure_core_kwargs)


async def offboard_service_principal(
    app_id: str,
    pool_id: str,
    *,
    management_tenant_credential: AsyncTokenCredential,
    managed_tenant_credential: AsyncTokenCredential | None = None,
    **options: Unpack[AsyncOffboardingOptions],
) -> OffboardingResult:
    """Take the pool away from the app: remove its role assignment on ``pool_id`` (idempotently).

    Awaitable twin of [`crossipam.onboarding.offboard_service_principal`][] (same steps and arguments);
    ``management_tenant_credential`` is an ``AsyncTokenCredential``.

    Args:
        app_id: The automation app's application (client) id.
        pool_id: The management tenant's IPAM pool, by resource id.
        management_tenant_credential: An ``AsyncTokenCredential`` for tenant A that may delete role
            assignments on the pool (and, with ``delete_service_principal``, service principals).
        managed_tenant_credential: Unused (symmetry with onboarding).
        **options: As the sync function's, typed by
            [`AsyncOffboardingOptions`][crossipam.options.AsyncOffboardingOptions]: ``management_tenant_id``
            (required), ``cloud``, ``dry_run``, ``delete_service_principal``, ``role_name``, and azure-core's
            keywords for every async pipeline and SDK client.

    Returns:
        The steps and the removed role assignments.

    Example:
        ```python
        result = await offboard_service_principal(
            app_id, pool_id, management_tenant_id=tenant_a, management_tenant_credential=admin_a,
        )
        print(result.removed_role_assignment_ids)
        ```
    """
    del managed_tenant_credential  # accepted for symmetry only
    job, azure_core_kwargs = prepare_offboarding(app_id, pool_id, management_tenant_credential, options)
    return await run_job(job, asyncio.sleep, azure_core_kwargs)
