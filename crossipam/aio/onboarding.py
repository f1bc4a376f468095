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
from typing import Any, TypeVar

from azure.core import AzureClouds
from azure.core.credentials_async import AsyncTokenCredential

from .._onboarding_core import prepare_offboarding, prepare_onboarding
from .._onboarding_results import IPAM_POOL_USER_ROLE, OffboardingResult, OnboardingResult, OnboardingStep
from ..models import CloudEndpoints
from ._drive import run_job

__all__ = [
    "OffboardingResult",
    "OnboardingResult",
    "OnboardingStep",
    "offboard_service_principal",
    "onboard_service_principal",
]

_T = TypeVar("_T")


async def onboard_service_principal(
    app_id: str,
    pool_id: str,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    managed_tenant_credential: AsyncTokenCredential,
    management_tenant_credential: AsyncTokenCredential,
    cloud: CloudEndpoints | AzureClouds | str | None = None,
    dry_run: bool = False,
    check_connection: bool = False,
    managed_subscription_id: str | None = None,
    role_name: str = IPAM_POOL_USER_ROLE,
    max_replication_wait: float = 180.0,
    replication_poll_interval: float = 5.0,
    max_replication_attempts: int | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    **azure_core_kwargs: Any,
) -> OnboardingResult:
    """Onboard the managed tenant's app ``app_id`` onto the management tenant's IPAM pool ``pool_id``.

    Awaitable twin of [`crossipam.onboarding.onboard_service_principal`][] — see it for the steps and every
    argument. The differences: both admin credentials are ``AsyncTokenCredential`` (you close them), ``sleep``
    is awaited between replication retries (default ``asyncio.sleep``; inject a fake in tests), and
    ``azure_core_kwargs`` go to async pipelines (``transport`` is an async transport).

    Args:
        app_id: Application (client) id of the automation app, registered in the managed tenant.
        pool_id: Resource id of the IPAM pool in the management tenant.
        managed_tenant_id: Tenant B, the app's home tenant.
        management_tenant_id: Tenant A, owner of the pool.
        managed_tenant_credential: An ``AsyncTokenCredential`` that can get Graph tokens in tenant B and may
            update the app registration.
        management_tenant_credential: An ``AsyncTokenCredential`` for tenant A that may create service
            principals and write role assignments on the pool.
        cloud: ``CloudEndpoints`` or an ``azure.core.AzureClouds`` value / name; the public cloud if omitted.
        dry_run: Only read and report what would be done (steps ``"planned"``).
        check_connection: Also verify the cross-tenant network-manager connection.
        managed_subscription_id: With ``check_connection``: also check the managed subscription's side.
        role_name: Role to assign on the pool.
        max_replication_wait: Seconds to keep retrying while directory replication catches up; 0 disables it.
        replication_poll_interval: Seconds between those retries.
        max_replication_attempts: A cap on the attempts of one operation while replication is pending.
        sleep: Awaited to wait between retries (inject a fake in tests).
        **azure_core_kwargs: Passed to every async azure-core pipeline and SDK client (``transport``, …).

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
        )
        print(result.service_principal_object_id, result.role_assignment_id)
        ```
    """
    job = prepare_onboarding(
        app_id,
        pool_id,
        managed_tenant_id=managed_tenant_id,
        management_tenant_id=management_tenant_id,
        managed_tenant_credential=managed_tenant_credential,
        management_tenant_credential=management_tenant_credential,
        cloud=cloud,
        dry_run=dry_run,
        check_connection=check_connection,
        managed_subscription_id=managed_subscription_id,
        role_name=role_name,
        max_replication_wait=max_replication_wait,
        replication_poll_interval=replication_poll_interval,
        max_replication_attempts=max_replication_attempts,
    )
    return await run_job(job, sleep, azure_core_kwargs)


async def offboard_service_principal(
    app_id: str,
    pool_id: str,
    *,
    management_tenant_id: str,
    management_tenant_credential: AsyncTokenCredential,
    managed_tenant_id: str | None = None,
    managed_tenant_credential: AsyncTokenCredential | None = None,
    cloud: CloudEndpoints | AzureClouds | str | None = None,
    dry_run: bool = False,
    delete_service_principal: bool = False,
    role_name: str = IPAM_POOL_USER_ROLE,
    **azure_core_kwargs: Any,
) -> OffboardingResult:
    """Take the pool away from the app: remove its role assignment on ``pool_id`` (idempotently).

    Awaitable twin of [`crossipam.onboarding.offboard_service_principal`][] (same steps and arguments);
    ``management_tenant_credential`` is an ``AsyncTokenCredential``.

    Args:
        app_id: Application (client) id of the automation app.
        pool_id: Resource id of the IPAM pool in the management tenant.
        management_tenant_id: Tenant A.
        management_tenant_credential: An ``AsyncTokenCredential`` for tenant A that may delete role
            assignments on the pool (and, with ``delete_service_principal``, service principals).
        managed_tenant_id: Unused (symmetry with onboarding).
        managed_tenant_credential: Unused (symmetry with onboarding).
        cloud: ``CloudEndpoints`` or an ``azure.core.AzureClouds`` value / name; the public cloud if omitted.
        dry_run: Only read and report what would be removed.
        delete_service_principal: Also delete the stub service principal in tenant A.
        role_name: The role onboarding assigned.
        **azure_core_kwargs: Passed to every async azure-core pipeline and SDK client.

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
    del managed_tenant_id, managed_tenant_credential  # accepted for symmetry only
    job = prepare_offboarding(
        app_id,
        pool_id,
        management_tenant_id=management_tenant_id,
        management_tenant_credential=management_tenant_credential,
        cloud=cloud,
        dry_run=dry_run,
        delete_service_principal=delete_service_principal,
        role_name=role_name,
    )
    return await run_job(job, asyncio.sleep, azure_core_kwargs)
