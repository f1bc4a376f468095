"""Onboarding: let a managed tenant's automation app take address space from the management tenant's pool.

Before an app registered in a managed tenant (B) can deploy VNets that draw from an IPAM pool in the
management tenant (A), three things must be true:

1. the app registration is **multitenant** (``signInAudience`` ``AzureADMultipleOrgs``), changed in tenant B
   through Microsoft Graph;
2. the app has a **stub service principal** in tenant A (Microsoft Graph, tenant A);
3. that service principal holds **IPAM Pool User** on the pool (Azure RBAC, tenant A).

:func:`onboard_service_principal` makes them true, idempotently, and reports every step;
:func:`offboard_service_principal` undoes the RBAC part (and optionally deletes the stub principal).

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
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from azure.core import AzureClouds, PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    ContentDecodePolicy,
    CustomHookPolicy,
    DistributedTracingPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    ProxyPolicy,
    RedirectPolicy,
    RequestIdPolicy,
    RetryPolicy,
    SensitiveHeaderCleanupPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.authorization.v2022_04_01 import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment, RoleAssignmentCreateParameters
from azure.mgmt.network import NetworkManagementClient

from . import __version__
from ._resource_ids import IpamPoolId
from .credentials import TenantBoundCredential, is_managed_identity, validate_tenant_id
from .errors import (
    AdminCredentialError,
    ApplicationNotFoundError,
    CredentialError,
    CrossTenantConnectionError,
    InsufficientPrivilegesError,
    InvalidInputError,
    OnboardingError,
    ReplicationPendingError,
    RoleDefinitionNotFoundError,
)
from .models import CloudEndpoints
from .policies import RedactingNetworkTraceLoggingPolicy

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

_LOGGER = logging.getLogger("crossipam.onboarding")

#: The built-in role that lets a principal associate resources with an IPAM pool.
IPAM_POOL_USER_ROLE = "IPAM Pool User"
#: Its GUID (the same in every Azure cloud).
IPAM_POOL_USER_ROLE_ID = "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037"

STEP_MAKE_MULTITENANT = "make_app_multitenant"
STEP_CREATE_SERVICE_PRINCIPAL = "create_service_principal"
STEP_ASSIGN_POOL_ROLE = "assign_pool_role"
STEP_CHECK_CONNECTION = "check_connection"
STEP_REMOVE_ROLE_ASSIGNMENT = "remove_role_assignment"
STEP_DELETE_SERVICE_PRINCIPAL = "delete_service_principal"

StepStatus = Literal["done", "already_done", "planned"]

#: Namespace of the deterministic role-assignment names (uuid5).
_ASSIGNMENT_NAMESPACE = uuid.UUID("5f0c2a8e-3c1d-5b7e-9d2a-6e4f8b1c0a93")

_GRAPH_WRITE_APP = "Application.ReadWrite.All (or Application.ReadWrite.OwnedBy as an owner of the app)"
_GRAPH_READ_APP = "Application.Read.All (or Application.ReadWrite.All)"
_GRAPH_WRITE_SP = "Application.ReadWrite.All (or Directory.ReadWrite.All)"
_GRAPH_READ_SP = "Application.Read.All (or Application.ReadWrite.All)"
_RBAC_WRITERS = "Owner, User Access Administrator or Role Based Access Control Administrator"

_T = TypeVar("_T")


# ------------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class OnboardingStep:
    """One step of onboarding or offboarding.

    ``status`` is ``"done"`` (this run changed something), ``"already_done"`` (nothing to change) or
    ``"planned"`` (a dry run: this is what a real run would do).

    Example:
        ```python
        step = result.steps[0]
        print(f"{step.name}: {step.status} ({step.detail})")
        ```
    """

    name: str
    status: StepStatus
    detail: str
    #: The tenant the step acts in.
    tenant_id: str = ""

    def describe(self) -> str:
        """One line for logs and error messages.

        Example:
            ```python
            >>> OnboardingStep("make_app_multitenant", "done", "signInAudience set").describe()
            'make_app_multitenant: done (signInAudience set)'
            ```
        """
        return f"{self.name}: {self.status} ({self.detail})"


@dataclass(frozen=True)
class OnboardingResult:
    """What :func:`onboard_service_principal` did (or, in a dry run, would do).

    Example:
        ```python
        result = onboard_service_principal(app_id, pool_id, ...)
        assert not result.changed or result.service_principal_object_id
        print(result.role_assignment_id)
        ```
    """

    app_id: str
    pool_id: str
    managed_tenant_id: str
    management_tenant_id: str
    dry_run: bool
    steps: tuple[OnboardingStep, ...]
    #: Object id of the app's service principal in the management tenant (``None`` if it does not exist
    #: yet, i.e. in a dry run before it was created).
    service_principal_object_id: str | None
    #: Resource id of the role assignment on the pool (``None`` in a dry run before it was created).
    role_assignment_id: str | None

    @property
    def changed(self) -> bool:
        """Whether this run changed anything (some step is ``"done"``).

        Example:
            ```python
            if not onboard_service_principal(app_id, pool_id, ...).changed:
                print("already onboarded")
            ```
        """
        return any(step.status == "done" for step in self.steps)

    def step(self, name: str) -> OnboardingStep:
        """The step called ``name`` (``KeyError`` if absent).

        Example:
            ```python
            result.step("create_service_principal").status   # "done" | "already_done" | "planned"
            ```
        """
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


@dataclass(frozen=True)
class OffboardingResult:
    """What :func:`offboard_service_principal` did (or, in a dry run, would do).

    Example:
        ```python
        result = offboard_service_principal(app_id, pool_id, ...)
        print(result.removed_role_assignment_ids)
        ```
    """

    app_id: str
    pool_id: str
    management_tenant_id: str
    dry_run: bool
    steps: tuple[OnboardingStep, ...]
    service_principal_object_id: str | None
    #: Role assignments removed (or, in a dry run, that would be removed).
    removed_role_assignment_ids: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether this run changed anything.

        Example:
            ```python
            assert not offboard_service_principal(app_id, pool_id, ...).changed   # second run
            ```
        """
        return any(step.status == "done" for step in self.steps)

    def step(self, name: str) -> OnboardingStep:
        """The step called ``name`` (``KeyError`` if absent).

        Example:
            ```python
            result.step("remove_role_assignment").status
            ```
        """
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


def role_assignment_name(scope: str, principal_id: str, role_definition_id: str) -> str:
    """The deterministic name (a uuid5) onboarding gives its role assignment.

    The same scope, principal and role always give the same name, so a retried or repeated PUT cannot
    create a second assignment. Case and a trailing slash of ``scope`` do not matter; ``role_definition_id``
    may be the role's GUID or its full resource id.

    Example:
        ```python
        >>> role_assignment_name("/subscriptions/s/rg/p", "0b5c…", "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037")
        '…'   # always the same GUID for these three
        ```
    """
    role_guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    key = f"{scope.rstrip('/').lower()}|{principal_id.lower()}|{role_guid}"
    return str(uuid.uuid5(_ASSIGNMENT_NAMESPACE, key))


# ------------------------------------------------------------------------------------------------
# public entry points


def onboard_service_principal(
    app_id: str,
    pool_id: str,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    managed_tenant_credential: TokenCredential,
    management_tenant_credential: TokenCredential,
    cloud: CloudEndpoints | AzureClouds | str | None = None,
    dry_run: bool = False,
    check_connection: bool = False,
    managed_subscription_id: str | None = None,
    role_name: str = IPAM_POOL_USER_ROLE,
    max_replication_wait: float = 180.0,
    replication_poll_interval: float = 5.0,
    max_replication_attempts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    **azure_core_kwargs: Any,
) -> OnboardingResult:
    """Onboard the managed tenant's app ``app_id`` onto the management tenant's IPAM pool ``pool_id``.

    Steps, in order (each reported as an :class:`OnboardingStep`):

    1. ``make_app_multitenant`` (tenant B, Graph): GET the app registration; PATCH ``signInAudience`` to
       ``AzureADMultipleOrgs`` unless it already is multitenant.
    2. ``create_service_principal`` (tenant A, Graph): GET the app's service principal; POST it if absent
       (409 = someone else created it: read it back), then wait until the directory shows it.
    3. ``assign_pool_role`` (tenant A, ARM): look up ``role_name`` at the pool scope; keep an existing
       assignment of that role to the principal at (or above) the pool; otherwise PUT one with
       ``principalType=ServicePrincipal`` and the deterministic name :func:`role_assignment_name`
       (409 ``RoleAssignmentExists`` = already done). ``PrincipalNotFound`` is retried.
    4. ``check_connection`` (only with ``check_connection=True``): the network manager's scope connection to
       tenant B (and, with ``managed_subscription_id``, the subscription's network-manager connection) is
       ``Connected``.

    Args:
        app_id: Application (client) id of the automation app, registered in the managed tenant.
        pool_id: Resource id of the IPAM pool in the management tenant.
        managed_tenant_id: Tenant B, the app's home tenant.
        management_tenant_id: Tenant A, owner of the pool.
        managed_tenant_credential: Any ``TokenCredential`` that can get Graph tokens in tenant B and may update
            the app registration (Application.ReadWrite.All, or Application.ReadWrite.OwnedBy as its owner).
        management_tenant_credential: Any ``TokenCredential`` for tenant A that may create service principals
            (Graph Application.ReadWrite.All) and write role assignments on the pool (Owner, User Access
            Administrator or Role Based Access Control Administrator).
        cloud: The Azure cloud: ``CloudEndpoints`` (custom clouds) or an ``azure.core.AzureClouds`` value /
            name; the public cloud when omitted.
        dry_run: Only read (GET) and report what would be done (steps ``"planned"``).
        check_connection: Also verify the cross-tenant network-manager connection.
        managed_subscription_id: With ``check_connection``: also check the managed subscription's side.
        role_name: Role to assign on the pool.
        max_replication_wait: Seconds to keep retrying while directory replication catches up (default 180,
            like the Azure CLI's 36 x 5 s); 0 disables waiting.
        replication_poll_interval: Seconds between those retries.
        max_replication_attempts: Alternatively (or additionally) a cap on the number of attempts of one
            operation while replication is pending (the Azure CLI makes 36).
        sleep: Called to wait between retries (inject a fake in tests).
        **azure_core_kwargs: Passed to every azure-core pipeline and SDK client: ``transport``,
            ``connection_verify``, ``retry_total``, ``logging_enable``, ``polling_interval``, …

    Returns:
        The steps and the ids of the service principal and role assignment.

    Raises:
        InsufficientPrivilegesError: An admin credential lacks a permission (names tenant and permission).
        ReplicationPendingError: Replication did not catch up within ``max_replication_wait``; re-run later.
        ApplicationNotFoundError: No app registration ``app_id`` in the managed tenant.
        AdminCredentialError: An admin credential could not get a token for its tenant.
        CrossTenantConnectionError: ``check_connection`` found no Connected connection.
        OnboardingError: Any other failure (its ``completed_steps`` say what was already done).

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
    app_id = _validate_guid(app_id, "app_id")
    managed_tenant_id = validate_tenant_id(managed_tenant_id, "managed_tenant_id")
    management_tenant_id = validate_tenant_id(management_tenant_id, "management_tenant_id")
    pool = IpamPoolId.parse(pool_id)
    pool_id = str(pool)
    _validate_role_name(role_name)
    if managed_subscription_id is not None:
        managed_subscription_id = _validate_guid(managed_subscription_id, "managed_subscription_id")
    retry = _ReplicationRetry(
        max_replication_wait, replication_poll_interval, sleep, max_replication_attempts
    )
    endpoints = CloudEndpoints.for_cloud(cloud)
    progress = _Progress(
        "onboarding", {managed_tenant_id: "managed-tenant", management_tenant_id: "management-tenant"}
    )
    _LOGGER.info(
        "onboarding app %s onto pool %s (managed tenant %s, management tenant %s)%s",
        app_id,
        pool_id,
        managed_tenant_id,
        management_tenant_id,
        " [dry run]" if dry_run else "",
    )
    with (
        _Clients(
            endpoints,
            azure_core_kwargs,
            managed=(managed_tenant_id, managed_tenant_credential),
            management=(management_tenant_id, management_tenant_credential),
            pool_subscription=pool.subscription_id,
        ) as clients,
        progress.failing(),
    ):
        _step_multitenant(clients, progress, app_id, managed_tenant_id, dry_run)
        sp_id = _step_service_principal(clients, progress, app_id, management_tenant_id, dry_run, retry)
        assignment_id = _step_role_assignment(
            clients, progress, pool_id, sp_id, role_name, management_tenant_id, dry_run, retry
        )
        if check_connection:
            _step_connection(
                clients, progress, pool, managed_tenant_id, management_tenant_id, managed_subscription_id
            )
    result = OnboardingResult(
        app_id=app_id,
        pool_id=pool_id,
        managed_tenant_id=managed_tenant_id,
        management_tenant_id=management_tenant_id,
        dry_run=dry_run,
        steps=progress.steps,
        service_principal_object_id=sp_id,
        role_assignment_id=assignment_id,
    )
    _LOGGER.info(
        "onboarding of app %s %s", app_id, "changed something" if result.changed else "found all done"
    )
    return result


def offboard_service_principal(
    app_id: str,
    pool_id: str,
    *,
    management_tenant_id: str,
    management_tenant_credential: TokenCredential,
    managed_tenant_id: str | None = None,
    managed_tenant_credential: TokenCredential | None = None,
    cloud: CloudEndpoints | AzureClouds | str | None = None,
    dry_run: bool = False,
    delete_service_principal: bool = False,
    role_name: str = IPAM_POOL_USER_ROLE,
    **azure_core_kwargs: Any,
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
    :func:`onboard_service_principal` and are not used.

    Args:
        app_id: Application (client) id of the automation app.
        pool_id: Resource id of the IPAM pool in the management tenant.
        management_tenant_id: Tenant A.
        management_tenant_credential: Any ``TokenCredential`` for tenant A that may delete role assignments on
            the pool (and, with ``delete_service_principal``, service principals: Graph
            Application.ReadWrite.All).
        managed_tenant_id: Unused (symmetry with onboarding).
        managed_tenant_credential: Unused (symmetry with onboarding).
        cloud: The Azure cloud: ``CloudEndpoints`` (custom clouds) or an ``azure.core.AzureClouds`` value /
            name; the public cloud when omitted.
        dry_run: Only read and report what would be removed.
        delete_service_principal: Also delete the stub service principal in tenant A.
        role_name: The role onboarding assigned.
        **azure_core_kwargs: Passed to every azure-core pipeline and SDK client.

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
    del managed_tenant_id, managed_tenant_credential  # accepted for symmetry only
    app_id = _validate_guid(app_id, "app_id")
    management_tenant_id = validate_tenant_id(management_tenant_id, "management_tenant_id")
    pool = IpamPoolId.parse(pool_id)
    pool_id = str(pool)
    _validate_role_name(role_name)
    endpoints = CloudEndpoints.for_cloud(cloud)
    progress = _Progress("offboarding", {management_tenant_id: "management-tenant"})
    _LOGGER.info(
        "offboarding app %s from pool %s (management tenant %s)%s",
        app_id,
        pool_id,
        management_tenant_id,
        " [dry run]" if dry_run else "",
    )
    removed: list[str] = []
    with (
        _Clients(
            endpoints,
            azure_core_kwargs,
            managed=None,
            management=(management_tenant_id, management_tenant_credential),
            pool_subscription=pool.subscription_id,
        ) as clients,
        progress.failing(),
    ):
        graph = clients.graph_management
        sp = graph.get(_sp_path(app_id), permission=_GRAPH_READ_SP, what=f"service principal of app {app_id}")
        sp_id = _object_id(sp, f"service principal of app {app_id}", management_tenant_id) if sp else None
        if sp_id is None:
            progress.add(
                STEP_REMOVE_ROLE_ASSIGNMENT,
                "already_done",
                f"app {app_id} has no service principal in tenant {management_tenant_id}, so no role on the pool",
                management_tenant_id,
            )
        else:
            removed = _remove_assignments(
                clients, progress, pool_id, sp_id, role_name, management_tenant_id, dry_run
            )
        if delete_service_principal:
            if sp_id is None:
                progress.add(
                    STEP_DELETE_SERVICE_PRINCIPAL,
                    "already_done",
                    f"app {app_id} has no service principal in tenant {management_tenant_id}",
                    management_tenant_id,
                )
            elif dry_run:
                progress.add(
                    STEP_DELETE_SERVICE_PRINCIPAL,
                    "planned",
                    f"would delete service principal {sp_id} of app {app_id} from tenant {management_tenant_id}",
                    management_tenant_id,
                )
            else:
                deleted = graph.delete(
                    _sp_path(app_id), permission=_GRAPH_WRITE_SP, what=f"service principal of app {app_id}"
                )
                progress.add(
                    STEP_DELETE_SERVICE_PRINCIPAL,
                    "done" if deleted else "already_done",
                    f"{'deleted' if deleted else 'already gone:'} service principal {sp_id} of app {app_id} "
                    f"in tenant {management_tenant_id}",
                    management_tenant_id,
                )
    return OffboardingResult(
        app_id=app_id,
        pool_id=pool_id,
        management_tenant_id=management_tenant_id,
        dry_run=dry_run,
        steps=progress.steps,
        service_principal_object_id=sp_id,
        removed_role_assignment_ids=tuple(removed),
    )


# ------------------------------------------------------------------------------------------------
# steps


def _step_multitenant(
    clients: _Clients, progress: _Progress, app_id: str, tenant_id: str, dry_run: bool
) -> None:
    graph = clients.graph_managed
    path = f"/v1.0/applications(appId='{app_id}')"
    app = graph.get(path, permission=_GRAPH_READ_APP, what=f"app registration {app_id}")
    if app is None:
        raise ApplicationNotFoundError(
            f"app {app_id} has no app registration in tenant {tenant_id} that the managed-tenant admin can see "
            "(the managed tenant must be the app's home tenant; an admin with only "
            "Application.ReadWrite.OwnedBy must be an owner of the app)",
            tenant_id=tenant_id,
            completed_steps=progress.described(),
        )
    audience = str(app.get("signInAudience") or "")
    if audience in ("AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount"):
        progress.add(STEP_MAKE_MULTITENANT, "already_done", f"signInAudience is {audience}", tenant_id)
        return
    if dry_run:
        progress.add(
            STEP_MAKE_MULTITENANT,
            "planned",
            f"would change signInAudience from {audience or 'unset'} to AzureADMultipleOrgs",
            tenant_id,
        )
        return
    graph.patch(
        path,
        {"signInAudience": "AzureADMultipleOrgs"},
        permission=_GRAPH_WRITE_APP,
        what=f"app registration {app_id}",
    )
    progress.add(
        STEP_MAKE_MULTITENANT,
        "done",
        f"changed signInAudience from {audience or 'unset'} to AzureADMultipleOrgs",
        tenant_id,
    )


def _step_service_principal(
    clients: _Clients,
    progress: _Progress,
    app_id: str,
    tenant_id: str,
    dry_run: bool,
    retry: _ReplicationRetry,
) -> str | None:
    graph = clients.graph_management
    path = _sp_path(app_id)
    what = f"service principal of app {app_id}"
    sp = graph.get(path, permission=_GRAPH_READ_SP, what=what)
    if sp is not None:
        sp_id = _object_id(sp, what, tenant_id)
        progress.add(
            STEP_CREATE_SERVICE_PRINCIPAL, "already_done", f"service principal {sp_id} exists", tenant_id
        )
        return sp_id
    if dry_run:
        progress.add(
            STEP_CREATE_SERVICE_PRINCIPAL,
            "planned",
            f"would create the service principal of app {app_id} in tenant {tenant_id}",
            tenant_id,
        )
        return None
    status, body = graph.post_service_principal(app_id, permission=_GRAPH_WRITE_SP, what=what)
    if status == 409:
        _LOGGER.info(
            "service principal of app %s already exists in tenant %s; reading it back", app_id, tenant_id
        )
        sp = _wait_until_readable(graph, path, what, tenant_id, progress, retry)
        sp_id = _object_id(sp, what, tenant_id)
        progress.add(
            STEP_CREATE_SERVICE_PRINCIPAL,
            "already_done",
            f"service principal {sp_id} exists (created concurrently)",
            tenant_id,
        )
        return sp_id
    sp_id = _object_id(body, what, tenant_id)
    # Directory writes are eventually consistent: wait until a read shows the principal, so that the next
    # steps (and the app's first token request in this tenant) see it.
    progress.add(STEP_CREATE_SERVICE_PRINCIPAL, "done", f"created service principal {sp_id}", tenant_id)
    _wait_until_readable(graph, path, what, tenant_id, progress, retry)
    return sp_id


def _wait_until_readable(
    graph: _GraphClient,
    path: str,
    what: str,
    tenant_id: str,
    progress: _Progress,
    retry: _ReplicationRetry,
) -> dict[str, Any]:
    def read() -> dict[str, Any] | None:
        return graph.get(path, permission=_GRAPH_READ_SP, what=what)

    def pending_message() -> str:
        return f"the {what} is not yet readable in tenant {tenant_id} (Microsoft Graph answers 404)"

    return retry.run(
        read,
        done=lambda value: value is not None,
        pending_message=pending_message,
        tenant_id=tenant_id,
        progress=progress,
    )


def _step_role_assignment(
    clients: _Clients,
    progress: _Progress,
    pool_id: str,
    sp_id: str | None,
    role_name: str,
    tenant_id: str,
    dry_run: bool,
    retry: _ReplicationRetry,
) -> str | None:
    role_id = _find_role_definition(clients, progress, pool_id, role_name, tenant_id)
    role_guid = _last_segment(role_id)
    if sp_id is None:  # dry run before the principal exists
        progress.add(
            STEP_ASSIGN_POOL_ROLE,
            "planned",
            f"would assign '{role_name}' ({role_guid}) on {pool_id} to the new service principal",
            tenant_id,
        )
        return None
    existing = _existing_assignments(clients, pool_id, sp_id, role_guid, tenant_id, progress)
    if existing:
        best = next((a for a in existing if _same_scope(a.scope or "", pool_id)), existing[0])
        progress.add(
            STEP_ASSIGN_POOL_ROLE,
            "already_done",
            f"'{role_name}' already assigned to {sp_id} at {best.scope}",
            tenant_id,
        )
        return best.id
    name = role_assignment_name(pool_id, sp_id, role_guid)
    if dry_run:
        progress.add(
            STEP_ASSIGN_POOL_ROLE,
            "planned",
            f"would assign '{role_name}' ({role_guid}) on {pool_id} to {sp_id} (assignment {name})",
            tenant_id,
        )
        return None
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_id,
        principal_id=sp_id,
        principal_type="ServicePrincipal",
        description="IPAM pool access for a managed tenant's automation app (crossipam onboarding)",
    )
    auth = clients.authorization

    def create() -> tuple[str, str]:
        try:
            assignment = auth.role_assignments.create(pool_id, name, parameters)
        except HttpResponseError as err:
            code = _arm_code(err)
            if code == "RoleAssignmentExists" or (err.status_code == 409 and code is None):
                return "already_done", _assignment_id(pool_id, name)
            if _is_principal_not_found(err):
                raise _Pending(_arm_message(err)) from err
            raise _arm_failure(
                err,
                tenant_id=tenant_id,
                permission=f"Microsoft.Authorization/roleAssignments/write on {pool_id} ({_RBAC_WRITERS})",
                action=f"assign '{role_name}' on the pool",
                progress=progress,
            ) from err
        return "done", str(assignment.id or _assignment_id(pool_id, name))

    status, assignment_id = retry.run_pending(
        create,
        pending_message=lambda: (
            f"the service principal {sp_id} is not yet known to Azure RBAC in tenant "
            f"{tenant_id} (PrincipalNotFound)"
        ),
        tenant_id=tenant_id,
        progress=progress,
    )
    if status == "already_done":
        found = _existing_assignments(clients, pool_id, sp_id, role_guid, tenant_id, progress)
        if found:
            assignment_id = str(found[0].id)
    progress.add(
        STEP_ASSIGN_POOL_ROLE,
        "done" if status == "done" else "already_done",
        f"{'assigned' if status == 'done' else 'already assigned:'} '{role_name}' on {pool_id} to {sp_id}",
        tenant_id,
    )
    return assignment_id


def _find_role_definition(
    clients: _Clients, progress: _Progress, pool_id: str, role_name: str, tenant_id: str
) -> str:
    try:
        found = [
            rd
            for rd in clients.authorization.role_definitions.list(
                pool_id, filter=f"roleName eq '{role_name}'"
            )
            if (rd.role_name or "").lower() == role_name.lower()
        ]
    except HttpResponseError as err:
        raise _arm_failure(
            err,
            tenant_id=tenant_id,
            permission=f"Microsoft.Authorization/roleDefinitions/read on {pool_id} (e.g. Reader)",
            action=f"look up the role '{role_name}'",
            progress=progress,
        ) from err
    if not found or not found[0].id:
        raise RoleDefinitionNotFoundError(
            f"no role definition named '{role_name}' is visible at {pool_id} in tenant {tenant_id}",
            tenant_id=tenant_id,
            completed_steps=progress.described(),
        )
    _LOGGER.debug("role '%s' is %s", role_name, found[0].id)
    return str(found[0].id)


def _existing_assignments(
    clients: _Clients, pool_id: str, sp_id: str, role_guid: str, tenant_id: str, progress: _Progress
) -> list[RoleAssignment]:
    """Assignments of the role to the principal that apply at the pool (exact scope first)."""
    try:
        listed = list(
            clients.authorization.role_assignments.list_for_scope(pool_id, filter=f"principalId eq '{sp_id}'")
        )
    except HttpResponseError as err:
        if _is_principal_not_found(err):  # a principal RBAC does not know yet has no assignments either
            return []
        raise _arm_failure(
            err,
            tenant_id=tenant_id,
            permission=f"Microsoft.Authorization/roleAssignments/read on {pool_id} (e.g. Reader)",
            action="list the role assignments on the pool",
            progress=progress,
        ) from err
    matching = [
        a
        for a in listed
        if (a.principal_id or "").lower() == sp_id.lower()
        and _last_segment(a.role_definition_id or "") == role_guid.lower()
        and _scope_contains(a.scope or "", pool_id)
    ]
    matching.sort(key=lambda a: not _same_scope(a.scope or "", pool_id))
    return matching


def _remove_assignments(
    clients: _Clients,
    progress: _Progress,
    pool_id: str,
    sp_id: str,
    role_name: str,
    tenant_id: str,
    dry_run: bool,
) -> list[str]:
    role_guid = _last_segment(_find_role_definition(clients, progress, pool_id, role_name, tenant_id))
    existing = _existing_assignments(clients, pool_id, sp_id, role_guid, tenant_id, progress)
    at_pool = [a for a in existing if _same_scope(a.scope or "", pool_id)]
    inherited = [a for a in existing if not _same_scope(a.scope or "", pool_id)]
    note = ""
    if inherited:
        scopes = ", ".join(sorted({a.scope or "" for a in inherited}))
        note = f"; left alone: '{role_name}' inherited from {scopes} (covers more than this pool)"
    if not at_pool:
        progress.add(
            STEP_REMOVE_ROLE_ASSIGNMENT,
            "already_done",
            f"no '{role_name}' assignment to {sp_id} on {pool_id}{note}",
            tenant_id,
        )
        return []
    ids = [str(a.id) for a in at_pool]
    if dry_run:
        progress.add(
            STEP_REMOVE_ROLE_ASSIGNMENT,
            "planned",
            f"would remove '{role_name}' from {sp_id} on {pool_id} ({', '.join(ids)}){note}",
            tenant_id,
        )
        return ids
    removed: list[str] = []
    for assignment in at_pool:
        try:
            clients.authorization.role_assignments.delete(pool_id, str(assignment.name))
        except HttpResponseError as err:
            if err.status_code == 404:
                continue
            raise _arm_failure(
                err,
                tenant_id=tenant_id,
                permission=f"Microsoft.Authorization/roleAssignments/delete on {pool_id} ({_RBAC_WRITERS})",
                action=f"remove '{role_name}' from the pool",
                progress=progress,
            ) from err
        removed.append(str(assignment.id))
    progress.add(
        STEP_REMOVE_ROLE_ASSIGNMENT,
        "done" if removed else "already_done",
        f"removed '{role_name}' from {sp_id} on {pool_id}{note}" if removed else f"already removed{note}",
        tenant_id,
    )
    return removed


def _step_connection(
    clients: _Clients,
    progress: _Progress,
    pool: IpamPoolId,
    managed_tenant_id: str,
    management_tenant_id: str,
    managed_subscription_id: str | None,
) -> None:
    network = clients.network_management
    try:
        connections = list(network.scope_connections.list(pool.resource_group, pool.network_manager))
    except HttpResponseError as err:
        raise _arm_failure(
            err,
            tenant_id=management_tenant_id,
            permission="Microsoft.Network/networkManagers/scopeConnections/read on network manager "
            f"{pool.network_manager_id} (e.g. Reader or Network Contributor)",
            action="list the network manager's scope connections",
            progress=progress,
        ) from err
    wanted_scope = f"/subscriptions/{managed_subscription_id}" if managed_subscription_id else None
    candidates = [
        c
        for c in connections
        if c.properties is not None
        and (c.properties.tenant_id or "").lower() == managed_tenant_id
        and (wanted_scope is None or _same_scope(c.properties.resource_id or "", wanted_scope))
    ]
    connected = [
        c for c in candidates if c.properties is not None and c.properties.connection_state == "Connected"
    ]
    if not connected:
        states = ", ".join(
            f"{c.name}: {c.properties.connection_state if c.properties else 'unknown'}" for c in candidates
        )
        raise CrossTenantConnectionError(
            f"network manager {pool.network_manager_id} in tenant {management_tenant_id} has no Connected scope "
            f"connection to tenant {managed_tenant_id}"
            + (f" ({wanted_scope})" if wanted_scope else "")
            + (f"; found {states}" if states else "")
            + ". Create the scope connection in tenant A and the network manager connection in tenant B "
            "(crossipam does not create them).",
            tenant_id=management_tenant_id,
            completed_steps=progress.described(),
        )
    detail = f"scope connection {connected[0].name} to tenant {managed_tenant_id} is Connected"
    if managed_subscription_id:
        managed_network = clients.network_managed(managed_subscription_id)
        try:
            nm_connections = list(managed_network.subscription_network_manager_connections.list())
        except HttpResponseError as err:
            raise _arm_failure(
                err,
                tenant_id=managed_tenant_id,
                permission="Microsoft.Network/networkManagerConnections/read on "
                f"/subscriptions/{managed_subscription_id} (e.g. Reader)",
                action="list the subscription's network manager connections",
                progress=progress,
            ) from err
        ours = [
            c
            for c in nm_connections
            if c.properties is not None
            and (c.properties.network_manager_id or "").lower() == pool.network_manager_id.lower()
        ]
        if not any(c.properties is not None and c.properties.connection_state == "Connected" for c in ours):
            state = ours[0].properties.connection_state if ours and ours[0].properties else "missing"
            raise CrossTenantConnectionError(
                f"subscription {managed_subscription_id} in tenant {managed_tenant_id} has no Connected network "
                f"manager connection to {pool.network_manager_id} (state: {state})",
                tenant_id=managed_tenant_id,
                completed_steps=progress.described(),
            )
        detail += f"; subscription {managed_subscription_id} is connected to the network manager"
    progress.add(STEP_CHECK_CONNECTION, "already_done", detail, management_tenant_id)


# ------------------------------------------------------------------------------------------------
# progress, replication retry


class _Progress:
    def __init__(self, operation: str, admins: Mapping[str, str]) -> None:
        self._operation = operation
        #: tenant id -> which admin credential acts there ("managed-tenant", "management-tenant")
        self._admins = dict(admins)
        self._steps: list[OnboardingStep] = []

    @property
    def steps(self) -> tuple[OnboardingStep, ...]:
        return tuple(self._steps)

    def add(self, name: str, status: StepStatus, detail: str, tenant_id: str) -> None:
        step = OnboardingStep(name, status, detail, tenant_id)
        self._steps.append(step)
        _LOGGER.info("%s step %s", self._operation, step.describe())

    def described(self) -> tuple[str, ...]:
        return tuple(step.describe() for step in self._steps)

    @contextmanager
    def failing(self) -> Iterator[None]:
        """Attach the completed steps to any error that does not carry them yet."""
        try:
            yield
        except OnboardingError as err:
            if not err.completed_steps:
                err.completed_steps = self.described()
            _LOGGER.warning("%s failed after %d step(s): %s", self._operation, len(self._steps), err)
            raise
        except CredentialError as err:  # raised by TenantBoundCredential inside a pipeline
            tenant = err.tenant_id or ""
            label = self._admins.get(tenant, "admin")
            _LOGGER.warning("%s failed after %d step(s): %s", self._operation, len(self._steps), err)
            raise AdminCredentialError(
                f"the {label} admin credential could not get a token for tenant {tenant}: {err.message}",
                tenant_id=err.tenant_id,
                hint=err.hint
                or "check the credential's client id and secret/certificate; a credential homed in another "
                f"tenant needs additionally_allowed_tenants=['{tenant}']",
                completed_steps=self.described(),
            ) from err
        except AzureError as err:  # transport failures after azure-core's retries, unexpected answers
            _LOGGER.warning("%s failed after %d step(s): %s", self._operation, len(self._steps), err)
            raise OnboardingError(
                f"{self._operation} failed: {err}", completed_steps=self.described()
            ) from err


class _Pending(Exception):
    """Internal: the operation hit replication delay and may be retried."""


class _ReplicationRetry:
    def __init__(
        self,
        max_wait: float,
        interval: float,
        sleep: Callable[[float], None],
        max_attempts: int | None = None,
    ) -> None:
        if max_wait < 0 or interval <= 0 or (max_attempts is not None and max_attempts < 1):
            raise InvalidInputError(
                "max_replication_wait must be >= 0, replication_poll_interval > 0 and max_replication_attempts >= 1"
            )
        self.max_wait = float(max_wait)
        self.interval = float(interval)
        self.sleep = sleep
        self.max_attempts = max_attempts

    def run(
        self,
        fn: Callable[[], _T | None],
        *,
        done: Callable[[_T | None], bool],
        pending_message: Callable[[], str],
        tenant_id: str,
        progress: _Progress,
    ) -> _T:
        def attempt() -> _T:
            value = fn()
            if not done(value) or value is None:
                raise _Pending(pending_message())
            return value

        return self.run_pending(
            attempt, pending_message=pending_message, tenant_id=tenant_id, progress=progress
        )

    def run_pending(
        self,
        fn: Callable[[], _T],
        *,
        pending_message: Callable[[], str],
        tenant_id: str,
        progress: _Progress,
    ) -> _T:
        waited = 0.0
        attempts = 0
        while True:
            attempts += 1
            try:
                return fn()
            except _Pending:
                out_of_time = waited + self.interval > self.max_wait + 1e-9
                if out_of_time or (self.max_attempts is not None and attempts >= self.max_attempts):
                    raise ReplicationPendingError(
                        f"{pending_message()}; still pending after {attempts} attempt(s) over {waited:g} s. "
                        "Directory replication can take minutes: run onboarding again later (it is safe to "
                        "re-run) or raise max_replication_wait.",
                        tenant_id=tenant_id,
                        waited_seconds=waited,
                        attempts=attempts,
                        completed_steps=progress.described(),
                    ) from None
                _LOGGER.info(
                    "waiting for directory replication in tenant %s (attempt %d, %g s so far)",
                    tenant_id,
                    attempts,
                    waited,
                )
                self.sleep(self.interval)
                waited += self.interval


# ------------------------------------------------------------------------------------------------
# clients


_GRAPH_RETRY_METHODS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST", "PATCH"})


class _GraphClient:
    """Microsoft Graph v1.0 over an azure-core pipeline, bound to one tenant."""

    def __init__(
        self,
        credential: TenantBoundCredential,
        tenant_id: str,
        cloud: CloudEndpoints,
        kwargs: Mapping[str, Any],
    ) -> None:
        self.tenant_id = tenant_id
        scope = cloud.graph_scope
        kw = dict(kwargs)
        policies = [
            RequestIdPolicy(**kw),
            HeadersPolicy(**kw),
            UserAgentPolicy(sdk_moniker=f"crossipam/{__version__}", **kw),
            ProxyPolicy(**kw),
            ContentDecodePolicy(**kw),
            RedirectPolicy(**kw),
            RetryPolicy(**kw),
            BearerTokenCredentialPolicy(credential, scope, **kw),
            CustomHookPolicy(**kw),
            RedactingNetworkTraceLoggingPolicy(**kw),
            DistributedTracingPolicy(**kw),
            SensitiveHeaderCleanupPolicy(**kw),
            HttpLoggingPolicy(**kw),
        ]
        self._base_url = cloud.graph.rstrip("/")
        self._client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            base_url=self._base_url, policies=policies, **kw
        )

    def close(self) -> None:
        self._client.close()

    def _send(self, method: str, path: str, body: Any = None) -> HttpResponse:
        url = self._base_url + path
        request = HttpRequest(method, url, json=body) if body is not None else HttpRequest(method, url)
        request.headers["Accept"] = "application/json"
        # Every Graph call onboarding makes is safe to repeat (PATCH sets a fixed value, a repeated POST of the
        # service principal answers 409 and is read back), so azure-core may retry them like a GET after a
        # dropped connection, a read timeout or a 429 (by default it retries neither POST nor PATCH).
        return self._client.send_request(request, retry_on_methods=_GRAPH_RETRY_METHODS)

    def get(self, path: str, *, permission: str, what: str) -> dict[str, Any] | None:
        response = self._send("GET", path)
        if response.status_code == 404:
            return None
        self._check(response, permission=permission, action=f"read the {what}")
        body = response.json()
        return body if isinstance(body, dict) else {}

    def patch(self, path: str, body: Mapping[str, Any], *, permission: str, what: str) -> None:
        response = self._send("PATCH", path, dict(body))
        self._check(response, permission=permission, action=f"update the {what}")

    def post_service_principal(
        self, app_id: str, *, permission: str, what: str
    ) -> tuple[int, dict[str, Any]]:
        response = self._send("POST", "/v1.0/servicePrincipals", {"appId": app_id})
        if response.status_code == 409:
            return 409, {}
        self._check(response, permission=permission, action=f"create the {what}")
        body = response.json()
        return response.status_code, body if isinstance(body, dict) else {}

    def delete(self, path: str, *, permission: str, what: str) -> bool:
        response = self._send("DELETE", path)
        if response.status_code == 404:
            return False
        self._check(response, permission=permission, action=f"delete the {what}")
        return True

    def _check(self, response: HttpResponse, *, permission: str, action: str) -> None:
        if 200 <= response.status_code < 300:
            return
        code, message = _graph_error(response)
        if response.status_code == 403:
            raise InsufficientPrivilegesError(
                f"the admin credential for tenant {self.tenant_id} lacks Microsoft Graph permission "
                f"{permission}: cannot {action} ({code}: {message})",
                tenant_id=self.tenant_id,
                permission=f"Microsoft Graph {permission}",
                hint=f"grant the admin app the Microsoft Graph application permission {permission.split(' ')[0]} "
                f"and give admin consent in tenant {self.tenant_id}; a new grant shows up in new tokens only",
            )
        if response.status_code == 401:
            raise AdminCredentialError(
                f"Microsoft Graph rejected the admin token for tenant {self.tenant_id} while trying to {action} "
                f"({code}: {message})",
                tenant_id=self.tenant_id,
                hint="check the admin credential's tenant and cloud; a token refused as expired although it was "
                "just issued means this machine's clock is behind (check NTP); onboarding is safe to re-run",
            )
        raise OnboardingError(
            f"Microsoft Graph in tenant {self.tenant_id} refused to {action}: HTTP {response.status_code} "
            f"{code}: {message}",
            tenant_id=self.tenant_id,
        )


class _Clients:
    """The clients one run needs, created lazily and closed at the end (unless the caller owns the transport)."""

    def __init__(
        self,
        cloud: CloudEndpoints,
        kwargs: Mapping[str, Any],
        *,
        managed: tuple[str, TokenCredential] | None,
        management: tuple[str, TokenCredential],
        pool_subscription: str,
    ) -> None:
        self._cloud = cloud
        self._kwargs = dict(kwargs)
        self._managed = managed
        self._management = management
        self._pool_subscription = pool_subscription
        self._stack = ExitStack()
        self._owns_transport = "transport" not in kwargs
        self._graph_managed: _GraphClient | None = None
        self._graph_management: _GraphClient | None = None
        self._authorization: AuthorizationManagementClient | None = None
        self._network_management: NetworkManagementClient | None = None
        self._network_managed: dict[str, NetworkManagementClient] = {}

    def __enter__(self) -> _Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owns_transport:
            self._stack.close()

    def _credential(self, which: Literal["managed", "management"]) -> tuple[str, TenantBoundCredential]:
        pair = self._managed if which == "managed" else self._management
        if pair is None:
            raise ValueError(f"a {which}-tenant credential is required")
        tenant_id, credential = pair
        # Every token request names the tenant, so a multitenant credential cannot act in the wrong tenant
        # (managed identities take no tenant_id: they only ever act in their own tenant).
        bound = TenantBoundCredential(
            credential, tenant_id, forward_tenant=not is_managed_identity(credential)
        )
        return tenant_id, bound

    @property
    def graph_managed(self) -> _GraphClient:
        if self._graph_managed is None:
            tenant_id, credential = self._credential("managed")
            self._graph_managed = _GraphClient(credential, tenant_id, self._cloud, self._kwargs)
            self._stack.callback(self._graph_managed.close)
        return self._graph_managed

    @property
    def graph_management(self) -> _GraphClient:
        if self._graph_management is None:
            tenant_id, credential = self._credential("management")
            self._graph_management = _GraphClient(credential, tenant_id, self._cloud, self._kwargs)
            self._stack.callback(self._graph_management.close)
        return self._graph_management

    @property
    def authorization(self) -> AuthorizationManagementClient:
        if self._authorization is None:
            _, credential = self._credential("management")
            self._authorization = AuthorizationManagementClient(
                credential,
                self._pool_subscription,
                base_url=self._cloud.resource_manager.rstrip("/"),
                credential_scopes=[self._cloud.resource_manager_scope],
                **self._traced_kwargs(),
            )
            self._stack.callback(self._authorization.close)
        return self._authorization

    @property
    def network_management(self) -> NetworkManagementClient:
        if self._network_management is None:
            _, credential = self._credential("management")
            self._network_management = self._network(credential, self._pool_subscription)
        return self._network_management

    def network_managed(self, subscription_id: str) -> NetworkManagementClient:
        if subscription_id not in self._network_managed:
            _, credential = self._credential("managed")
            self._network_managed[subscription_id] = self._network(credential, subscription_id)
        return self._network_managed[subscription_id]

    def _network(self, credential: TokenCredential, subscription_id: str) -> NetworkManagementClient:
        client = NetworkManagementClient(
            credential,
            subscription_id,
            base_url=self._cloud.resource_manager.rstrip("/"),
            credential_scopes=[self._cloud.resource_manager_scope],
            **self._traced_kwargs(),
        )
        self._stack.callback(client.close)
        return client

    def _traced_kwargs(self) -> dict[str, Any]:
        """The SDK clients' kwargs with a network trace that redacts tokens (``logging_enable=True``)."""
        kwargs = dict(self._kwargs)
        kwargs.setdefault("logging_policy", RedactingNetworkTraceLoggingPolicy(**self._kwargs))
        return kwargs


# ------------------------------------------------------------------------------------------------
# helpers


def _validate_guid(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInputError(f"{name} must be a GUID, got {value!r}") from None


def _validate_role_name(role_name: str) -> None:
    if not role_name.strip() or "'" in role_name:
        raise InvalidInputError(f"role_name must be a role's display name without quotes, got {role_name!r}")


def _object_id(body: Mapping[str, Any], what: str, tenant_id: str) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value:
        raise OnboardingError(
            f"Microsoft Graph in tenant {tenant_id} answered without an object id for the {what}",
            tenant_id=tenant_id,
        )
    return value


def _sp_path(app_id: str) -> str:
    return f"/v1.0/servicePrincipals(appId='{app_id}')"


def _assignment_id(scope: str, name: str) -> str:
    return f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}"


def _last_segment(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _same_scope(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def _scope_contains(outer: str, inner: str) -> bool:
    o = outer.rstrip("/").lower()
    i = inner.rstrip("/").lower()
    return o in ("", "/") or i == o or i.startswith(o + "/")


def _graph_error(response: HttpResponse) -> tuple[str, str]:
    try:
        body = response.json()
    except Exception:
        return "", response.text()[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code", "")), str(error.get("message", ""))
    return "", str(body)[:200]


def _arm_code(err: HttpResponseError) -> str | None:
    error = err.error
    code = getattr(error, "code", None) if error is not None else None
    return str(code) if code else None


def _arm_message(err: HttpResponseError) -> str:
    error = err.error
    message = getattr(error, "message", None) if error is not None else None
    return str(message or err.message)


def _is_principal_not_found(err: HttpResponseError) -> bool:
    return _arm_code(err) == "PrincipalNotFound" or "does not exist in the directory" in _arm_message(err)


def _arm_failure(
    err: HttpResponseError, *, tenant_id: str, permission: str, action: str, progress: _Progress
) -> OnboardingError:
    code = _arm_code(err)
    message = _arm_message(err)
    if err.status_code == 403 or code == "AuthorizationFailed":
        return InsufficientPrivilegesError(
            f"the admin credential for tenant {tenant_id} cannot {action}: it needs {permission} "
            f"({code}: {message})",
            tenant_id=tenant_id,
            permission=permission,
            completed_steps=progress.described(),
            hint=f"assign the admin a role that grants it in tenant {tenant_id}, then run again (already done "
            "steps are skipped)",
        )
    if err.status_code == 401:
        return AdminCredentialError(
            f"Azure Resource Manager rejected the admin token for tenant {tenant_id} while trying to {action} "
            f"({code}: {message})",
            tenant_id=tenant_id,
            completed_steps=progress.described(),
        )
    return OnboardingError(
        f"Azure Resource Manager refused to {action} in tenant {tenant_id}: HTTP {err.status_code} {code}: "
        f"{message}",
        tenant_id=tenant_id,
        completed_steps=progress.described(),
    )
