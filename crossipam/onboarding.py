"""Onboarding: let a managed tenant's automation app take address space from the management tenant's pool.

Before an app registered in a managed tenant (B) can deploy VNets that draw from an IPAM pool in the
management tenant (A), three things must be true:

1. the app registration is **multitenant** (``signInAudience`` ``AzureADMultipleOrgs``), changed in tenant B
   through Microsoft Graph;
2. the app has a **stub service principal** in tenant A (Microsoft Graph, tenant A);
3. that service principal holds **IPAM Pool User** on the pool (Azure RBAC, tenant A).

[`onboard_service_principal`][crossipam.onboarding.onboard_service_principal] makes them true, idempotently,
and reports every step; [`offboard_service_principal`][crossipam.onboarding.offboard_service_principal] undoes
the RBAC part (and optionally deletes the stub principal).

```python
from azure.identity import ClientSecretCredential
from crossipam.onboarding import onboard_service_principal

result = onboard_service_principal(
    "c0ffee00-0000-4000-8000-00000000a11c",
    "/subscriptions/…/resourceGroups/rg-ipam/providers/Microsoft.Network/networkManagers/nm/ipamPools/p",
    managed_tenant_id=tenant_b,
    management_tenant_id=tenant_a,
    managed_tenant_credential=ClientSecretCredential(tenant_b, admin_b_id, admin_b_secret),
    management_tenant_credential=ClientSecretCredential(tenant_a, admin_a_id, admin_a_secret),
)
for step in result.steps:
    print(step.name, step.status, step.detail)
```

Microsoft Graph is called through an azure-core ``PipelineClient`` (bearer token for the cloud's Graph scope,
retry, logging), role assignments through azure-mgmt-authorization, connection checks through
azure-mgmt-network. Directory replication (a fresh service principal is not visible everywhere at once) is
waited out with a bounded backoff, as the Azure CLI does.

The steps themselves live in ``crossipam._onboarding_core`` and its ``_onboarding_*`` siblings, written once
for this module and its asyncio twin [`crossipam.aio.onboarding`][] (same arguments, steps, results and errors,
awaited).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from azure.core.credentials import TokenCredential

from ._drive import run_job
from ._onboarding_core import prepare_offboarding, prepare_onboarding
from ._onboarding_rbac import role_assignment_name
from ._onboarding_results import (
    IPAM_POOL_USER_ROLE,
    IPAM_POOL_USER_ROLE_ID,
    STEP_ASSIGN_POOL_ROLE,
    STEP_CHECK_CONNECTION,
    STEP_CREATE_SERVICE_PRINCIPAL,
    STEP_DELETE_SERVICE_PRINCIPAL,
    STEP_MAKE_MULTITENANT,
    STEP_REMOVE_ROLE_ASSIGNMENT,
    OffboardingResult,
    OnboardingResult,
    OnboardingStep,
    StepStatus,
)

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11)
    from typing_extensions import Unpack

    from .options import OffboardingOptions, OnboardingOptions

__all__ = [
    "IPAM_POOL_USER_ROLE",
    "IPAM_POOL_USER_ROLE_ID",
    "STEP_ASSIGN_POOL_ROLE",
    "STEP_CHECK_CONNECTION",
    "STEP_CREATE_SERVICE_PRINCIPAL",
    "STEP_DELETE_SERVICE_PRINCIPAL",
    "STEP_MAKE_MULTITENANT",
    "STEP_REMOVE_ROLE_ASSIGNMENT",
    "OffboardingResult",
    "OnboardingResult",
    "OnboardingStep",
    "StepStatus",
    "offboard_service_principal",
    "onboard_service_principal",
    "role_assignment_name",
]

# The steps, decisions, errors and replication retry are in crossipam._onboarding_core (shared with
# crossipam.aio.onboarding); crossipam._drive runs them on the sync SDK clients.


# ------------------------------------------------------------------------------------------------
# public entry points


def onboard_service_principal(
    app_id: str,
    pool_id: str,
    *,
    managed_tenant_credential: TokenCredential,
    management_tenant_credential: TokenCredential,
    sleep: Callable[[float], None] = time.sleep,
    **options: Unpack[OnboardingOptions],
) -> OnboardingResult:
    """Onboard the managed tenant's app ``app_id`` onto the management tenant's IPAM pool ``pool_id``.

    Steps, in order (each reported as an [`OnboardingStep`][crossipam.onboarding.OnboardingStep]):

    1. ``make_app_multitenant`` (tenant B, Graph): GET the app registration; PATCH ``signInAudience`` to
       ``AzureADMultipleOrgs`` unless it already is multitenant.
    2. ``create_service_principal`` (tenant A, Graph): GET the app's service principal; POST it if absent
       (409 = someone else created it: read it back), then wait until the directory shows it.
    3. ``assign_pool_role`` (tenant A, ARM): look up ``role_name`` at the pool scope; keep an existing
       assignment of that role to the principal at (or above) the pool; otherwise PUT one with
       ``principalType=ServicePrincipal`` and the deterministic name
       [`role_assignment_name`][crossipam.onboarding.role_assignment_name] (409 ``RoleAssignmentExists`` =
       already done). ``PrincipalNotFound`` is retried.
    4. ``check_connection`` (only with ``check_connection=True``): the network manager's scope connection to
       tenant B (and, with ``managed_subscription_id``, the subscription's network-manager connection) is
       ``Connected``.

    Args:
        app_id: Application (client) id of the automation app, registered in the managed tenant.
        pool_id: Resource id of the IPAM pool in the management tenant.
        managed_tenant_credential: Any ``TokenCredential`` that can get Graph tokens in tenant B and may update
            the app registration (Application.ReadWrite.All, or Application.ReadWrite.OwnedBy as its owner).
        management_tenant_credential: Any ``TokenCredential`` for tenant A that may create service principals
            (Graph Application.ReadWrite.All) and write role assignments on the pool (Owner, User Access
            Administrator or Role Based Access Control Administrator).
        sleep: Called to wait between retries (inject a fake in tests).
        **options: The keywords of [`OnboardingOptions`][crossipam.options.OnboardingOptions], each described
            there: ``managed_tenant_id`` (tenant B, the app's home tenant) and ``management_tenant_id``
            (tenant A, owner of the pool), both required; ``cloud``, ``dry_run``, ``check_connection``,
            ``managed_subscription_id``, ``role_name``; the replication wait (``max_replication_wait``,
            ``replication_poll_interval``, ``max_replication_attempts``); and azure-core's keywords
            (``transport``, ``connection_verify``, ``retry_total``, ``logging_enable``, …), passed to every
            azure-core pipeline and SDK client.

    Returns:
        The steps and the ids of the service principal and role assignment.

    Raises:
        InsufficientPrivilegesError: An admin credential lacks a permission (names tenant and permission).
        ReplicationPendingError: Replication did not catch up within ``max_replication_wait``; re-run later.
        ApplicationNotFoundError: No app registration ``app_id`` in the managed tenant.
        AdminCredentialError: An admin credential could not get a token for its tenant.
        CrossTenantConnectionError: ``check_connection`` found no Connected connection.
        OnboardingError: Any other failure (its ``completed_steps`` say what was already done). Every one of
            these keeps the failed answer's ``code``, ``status``, ``request_id``, ``correlation_id`` and
            ``timestamp`` (Graph ``innerError``, ARM headers, Entra ID's ``AADSTS`` code and trace id).

    Example:
        ```python
        result = onboard_service_principal(
            app_id, pool_id,
            managed_tenant_id=tenant_b, management_tenant_id=tenant_a,
            managed_tenant_credential=admin_b, management_tenant_credential=admin_a,
        )
        print([(s.name, s.status) for s in result.steps])
        print(result.service_principal_object_id, result.role_assignment_id)
        ```
    """
    job, azure_core_kwargs = prepare_onboarding(
        app_id, pool_id, managed_tenant_credential, management_tenant_credential, options
    )
    return run_job(job, sleep, azure_core_kwargs)


def offboard_service_principal(
    app_id: str,
    pool_id: str,
    *,
    management_tenant_credential: TokenCredential,
    managed_tenant_credential: TokenCredential | None = None,
    **options: Unpack[OffboardingOptions],
) -> OffboardingResult:
    """Take the pool away from the app: remove its role assignment on ``pool_id`` (idempotently).

    Steps:

    1. ``remove_role_assignment`` (tenant A, ARM): delete every assignment of ``role_name`` to the app's
       service principal made exactly at the pool scope. Assignments at a broader scope (resource group,
       network manager …) are left alone and named in the step's detail, since they cover more than this pool.
    2. ``delete_service_principal`` (only with ``delete_service_principal=True``; tenant A, Graph): delete the
       stub service principal, which ends the app's access to *everything* in tenant A.

    The app registration itself is never changed (it may serve other management tenants), so
    ``managed_tenant_id`` / ``managed_tenant_credential`` are accepted only for symmetry with
    [`onboard_service_principal`][crossipam.onboarding.onboard_service_principal] and are not used.

    Args:
        app_id: Application (client) id of the automation app.
        pool_id: Resource id of the IPAM pool in the management tenant.
        management_tenant_credential: Any ``TokenCredential`` for tenant A that may delete role assignments on
            the pool (and, with ``delete_service_principal``, service principals: Graph
            Application.ReadWrite.All).
        managed_tenant_credential: Unused (symmetry with onboarding).
        **options: The keywords of [`OffboardingOptions`][crossipam.options.OffboardingOptions]:
            ``management_tenant_id`` (tenant A, required), ``cloud``, ``dry_run``,
            ``delete_service_principal``, ``role_name``, ``managed_tenant_id`` (unused, symmetry with
            onboarding), and azure-core's keywords, passed to every azure-core pipeline and SDK client.

    Returns:
        The steps and the removed role assignments.

    Example:
        ```python
        result = offboard_service_principal(
            app_id, pool_id,
            management_tenant_id=tenant_a, management_tenant_credential=admin_a,
            delete_service_principal=True,
        )
        print([(s.name, s.status) for s in result.steps])
        ```
    """
    del managed_tenant_credential  # accepted for symmetry only
    job, azure_core_kwargs = prepare_offboarding(app_id, pool_id, management_tenant_credential, options)
    return run_job(job, time.sleep, azure_core_kwargs)
