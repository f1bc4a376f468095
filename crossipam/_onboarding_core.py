"""Onboarding written once: the steps as a sans-IO core that the sync and the async drivers run.

[`crossipam.onboarding`][] and [`crossipam.aio.onboarding`][] share everything here — the results, the
validation, every read-before-write decision, the request bodies, how answers and errors map to steps and
typed errors, and the directory-replication retry (what is retryable, how long, how often). A flow
(`OnboardingJob.steps`, `OffboardingJob.steps`) is a generator that yields what it needs done and
receives the answer:

- `GraphCall` — a Microsoft Graph request; answered with the azure-core response (body read);
- `ArmCall` — an azure-mgmt SDK call (azure-mgmt-authorization or azure-mgmt-network, sync or
  ``.aio``); answered with its result (a paged result as a list), or its exception is thrown in;
- `Sleep` — a wait between replication retries; answered by the driver's ``sleep`` hook.

A driver builds its clients with `RunClients` (the sync or async SDK classes in an `SdkClasses`)
and loops over an `Exchange`:

```python
with Exchange(job.steps()) as exchange:
    while exchange.request is not None:
        with exchange.answering() as answer:
            answer.value = execute(exchange.request)      # or: await execute(...)
result = exchange.result
```
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment, RoleAssignmentCreateParameters

from ._engine import (
    Admin,
    ArmCall,
    GraphCall,
    Job,
    Sleep,
    Steps,
)
from ._resource_ids import IpamPoolId
from ._wire_errors import (
    arm_error_code,
    arm_error_details,
    arm_error_message,
    error_code,
    graph_error,
    graph_error_details,
)
from .credentials import validate_tenant_id
from .errors import (
    AdminCredentialError,
    ApplicationNotFoundError,
    AuthorizationError,
    CredentialError,
    CrossTenantConnectionError,
    InsufficientPrivilegesError,
    InvalidInputError,
    OnboardingError,
    ReplicationPendingError,
    RoleDefinitionNotFoundError,
)
from .models import CloudEndpoints

# Private module: crossipam.onboarding and crossipam.aio.onboarding re-export the public names.

_LOGGER = logging.getLogger("crossipam.onboarding")

IPAM_POOL_USER_ROLE = "IPAM Pool User"
"""The built-in role that lets a principal associate resources with an IPAM pool."""
IPAM_POOL_USER_ROLE_ID = "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037"
"""Its GUID (the same in every Azure cloud)."""

STEP_MAKE_MULTITENANT = "make_app_multitenant"
STEP_CREATE_SERVICE_PRINCIPAL = "create_service_principal"
STEP_ASSIGN_POOL_ROLE = "assign_pool_role"
STEP_CHECK_CONNECTION = "check_connection"
STEP_REMOVE_ROLE_ASSIGNMENT = "remove_role_assignment"
STEP_DELETE_SERVICE_PRINCIPAL = "delete_service_principal"

StepStatus = Literal["done", "already_done", "planned"]

_ASSIGNMENT_NAMESPACE = uuid.UUID("5f0c2a8e-3c1d-5b7e-9d2a-6e4f8b1c0a93")
"""Namespace of the deterministic role-assignment names (uuid5)."""

_GRAPH_WRITE_APP = "Application.ReadWrite.All (or Application.ReadWrite.OwnedBy as an owner of the app)"
_GRAPH_READ_APP = "Application.Read.All (or Application.ReadWrite.All)"
_GRAPH_WRITE_SP = "Application.ReadWrite.All (or Directory.ReadWrite.All)"
_GRAPH_READ_SP = "Application.Read.All (or Application.ReadWrite.All)"
_RBAC_WRITERS = "Owner, User Access Administrator or Role Based Access Control Administrator"
_RERUN_HINT = (
    "onboarding is safe to re-run (steps already done are skipped); if the failure persists, quote the error's "
    "request_id, correlation_id and timestamp to Microsoft support"
)
_CONNECTION_HINT = (
    "create the scope connection (management tenant) and the network manager connection (managed "
    "subscription); crossipam does not create them"
)
_ADMIN_TOKEN_HINT = (
    "check the admin credential's tenant and cloud; a token refused as expired although it was just issued "
    "means this machine's clock is behind (check NTP); onboarding is safe to re-run"
)

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
    tenant_id: str = ""
    """The tenant the step acts in."""

    def describe(self) -> str:
        """One line for logs and error messages.

        Example:
            ```python
            >>> OnboardingStep("make_app_multitenant", "done", "signInAudience set").describe()
            'make_app_multitenant: done (signInAudience set)'
            ```
        """
        return f"{self.name}: {self.status} ({self.detail})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: ``name``, ``status``, ``detail``, ``tenant_id``.

        Example:
            ```python
            >>> OnboardingStep("assign_pool_role", "planned", "IPAM Pool User on p1", "a…").to_dict()["status"]
            'planned'
            ```
        """
        return {"name": self.name, "status": self.status, "detail": self.detail, "tenant_id": self.tenant_id}


@dataclass(frozen=True)
class OnboardingResult:
    """What `onboard_service_principal` did (or, in a dry run, would do).

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
    service_principal_object_id: str | None
    """Object id of the app's service principal in the management tenant (``None`` if it does not exist
    yet, i.e. in a dry run before it was created)."""
    role_assignment_id: str | None
    """Resource id of the role assignment on the pool (``None`` in a dry run before it was created)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what ``crossipam onboard --output json`` prints): the ids, ``dry_run``, ``changed``,
        the service principal, the ``steps``, then ``managed_tenant_id`` and ``role_assignment_id``.

        Example:
            ```python
            onboard_service_principal(app_id, pool_id, ...).to_dict()["role_assignment_id"]
            ```
        """
        return {
            **_result_dict(self),
            "managed_tenant_id": self.managed_tenant_id,
            "role_assignment_id": self.role_assignment_id,
        }

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
    """What `offboard_service_principal` did (or, in a dry run, would do).

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
    removed_role_assignment_ids: tuple[str, ...]
    """Role assignments removed (or, in a dry run, that would be removed)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (what ``crossipam offboard --output json`` prints): as
        [`OnboardingResult.to_dict`][crossipam.onboarding.OnboardingResult.to_dict], with
        ``removed_role_assignment_ids`` (a list) in place of the managed tenant and the role assignment.

        Example:
            ```python
            offboard_service_principal(app_id, pool_id, ...).to_dict()["removed_role_assignment_ids"]
            ```
        """
        return {**_result_dict(self), "removed_role_assignment_ids": list(self.removed_role_assignment_ids)}

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


def _result_dict(result: OnboardingResult | OffboardingResult) -> dict[str, Any]:
    """The keys both results share, in the order ``to_dict`` gives them."""
    return {
        "app_id": result.app_id,
        "pool_id": result.pool_id,
        "management_tenant_id": result.management_tenant_id,
        "dry_run": result.dry_run,
        "changed": result.changed,
        "service_principal_object_id": result.service_principal_object_id,
        "steps": [step.to_dict() for step in result.steps],
    }


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
# the flows


@dataclass(frozen=True)
class OnboardingJob(Job[OnboardingResult]):
    """A validated onboarding run; `steps` is the flow (see ``onboard_service_principal``)."""

    app_id: str
    pool: IpamPoolId
    managed_tenant_id: str
    management_tenant_id: str
    dry_run: bool
    check_connection: bool
    managed_subscription_id: str | None
    role_name: str
    retry: _ReplicationRetry

    def steps(self) -> Steps[OnboardingResult]:
        app_id, pool_id, dry_run = self.app_id, str(self.pool), self.dry_run
        progress = _Progress(
            "onboarding",
            {self.managed_tenant_id: "managed-tenant", self.management_tenant_id: "management-tenant"},
        )
        _LOGGER.info(
            "onboarding app %s onto pool %s (managed tenant %s, management tenant %s)%s",
            app_id,
            pool_id,
            self.managed_tenant_id,
            self.management_tenant_id,
            " [dry run]" if dry_run else "",
        )
        with progress.failing():
            yield from _step_multitenant(progress, app_id, self.managed_tenant_id, dry_run)
            sp_id = yield from _step_service_principal(
                progress, app_id, self.management_tenant_id, dry_run, self.retry
            )
            assignment_id = yield from _step_role_assignment(
                progress, self.pool, sp_id, self.role_name, self.management_tenant_id, dry_run, self.retry
            )
            if self.check_connection:
                yield from _step_connection(
                    progress,
                    self.pool,
                    self.managed_tenant_id,
                    self.management_tenant_id,
                    self.managed_subscription_id,
                )
        result = OnboardingResult(
            app_id=app_id,
            pool_id=pool_id,
            managed_tenant_id=self.managed_tenant_id,
            management_tenant_id=self.management_tenant_id,
            dry_run=dry_run,
            steps=progress.steps,
            service_principal_object_id=sp_id,
            role_assignment_id=assignment_id,
        )
        _LOGGER.info(
            "onboarding of app %s %s", app_id, "changed something" if result.changed else "found all done"
        )
        return result


def prepare_onboarding(
    app_id: str,
    pool_id: str,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    managed_tenant_credential: Any,
    management_tenant_credential: Any,
    cloud: Any,
    dry_run: bool,
    check_connection: bool,
    managed_subscription_id: str | None,
    role_name: str,
    max_replication_wait: float,
    replication_poll_interval: float,
    max_replication_attempts: int | None,
) -> OnboardingJob:
    """Validate the arguments of ``onboard_service_principal`` (sync or async) before any request."""
    app_id = _validate_guid(app_id, "app_id")
    managed_tenant_id = validate_tenant_id(managed_tenant_id, "managed_tenant_id")
    management_tenant_id = validate_tenant_id(management_tenant_id, "management_tenant_id")
    pool = IpamPoolId.parse(pool_id)
    _validate_role_name(role_name)
    if managed_subscription_id is not None:
        managed_subscription_id = _validate_guid(managed_subscription_id, "managed_subscription_id")
    retry = _ReplicationRetry(max_replication_wait, replication_poll_interval, max_replication_attempts)
    return OnboardingJob(
        cloud=CloudEndpoints.for_cloud(cloud),
        credentials={
            "managed": (managed_tenant_id, managed_tenant_credential),
            "management": (management_tenant_id, management_tenant_credential),
        },
        app_id=app_id,
        pool=pool,
        managed_tenant_id=managed_tenant_id,
        management_tenant_id=management_tenant_id,
        dry_run=dry_run,
        check_connection=check_connection,
        managed_subscription_id=managed_subscription_id,
        role_name=role_name,
        retry=retry,
    )


@dataclass(frozen=True)
class OffboardingJob(Job[OffboardingResult]):
    """A validated offboarding run; `steps` is the flow (see ``offboard_service_principal``)."""

    app_id: str
    pool: IpamPoolId
    management_tenant_id: str
    dry_run: bool
    delete_service_principal: bool
    role_name: str

    def steps(self) -> Steps[OffboardingResult]:
        app_id, pool_id, tenant_id, dry_run = (
            self.app_id,
            str(self.pool),
            self.management_tenant_id,
            self.dry_run,
        )
        progress = _Progress("offboarding", {tenant_id: "management-tenant"})
        _LOGGER.info(
            "offboarding app %s from pool %s (management tenant %s)%s",
            app_id,
            pool_id,
            tenant_id,
            " [dry run]" if dry_run else "",
        )
        removed: list[str] = []
        graph = _Graph("management", tenant_id)
        what = f"service principal of app {app_id}"
        with progress.failing():
            sp = yield from graph.get(_sp_path(app_id), permission=_GRAPH_READ_SP, what=what)
            sp_id = _object_id(sp, what, tenant_id) if sp else None
            if sp_id is None:
                progress.add(
                    STEP_REMOVE_ROLE_ASSIGNMENT,
                    "already_done",
                    f"app {app_id} has no service principal in tenant {tenant_id}, so no role on the pool",
                    tenant_id,
                )
            else:
                removed = yield from _remove_assignments(
                    progress, self.pool, sp_id, self.role_name, tenant_id, dry_run
                )
            if self.delete_service_principal:
                yield from _step_delete_service_principal(progress, graph, app_id, sp_id, dry_run)
        return OffboardingResult(
            app_id=app_id,
            pool_id=pool_id,
            management_tenant_id=tenant_id,
            dry_run=dry_run,
            steps=progress.steps,
            service_principal_object_id=sp_id,
            removed_role_assignment_ids=tuple(removed),
        )


def prepare_offboarding(
    app_id: str,
    pool_id: str,
    *,
    management_tenant_id: str,
    management_tenant_credential: Any,
    cloud: Any,
    dry_run: bool,
    delete_service_principal: bool,
    role_name: str,
) -> OffboardingJob:
    """Validate the arguments of ``offboard_service_principal`` (sync or async) before any request."""
    app_id = _validate_guid(app_id, "app_id")
    management_tenant_id = validate_tenant_id(management_tenant_id, "management_tenant_id")
    pool = IpamPoolId.parse(pool_id)
    _validate_role_name(role_name)
    return OffboardingJob(
        cloud=CloudEndpoints.for_cloud(cloud),
        credentials={"management": (management_tenant_id, management_tenant_credential)},
        app_id=app_id,
        pool=pool,
        management_tenant_id=management_tenant_id,
        dry_run=dry_run,
        delete_service_principal=delete_service_principal,
        role_name=role_name,
    )


# ------------------------------------------------------------------------------------------------
# Microsoft Graph and ARM requests


class _GraphResponse(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    def json(self) -> Any: ...

    def text(self) -> str: ...


class _Graph:
    """Microsoft Graph v1.0 requests of one admin (in one tenant), with the answers checked."""

    def __init__(self, admin: Admin, tenant_id: str) -> None:
        self.admin = admin
        self.tenant_id = tenant_id

    def _send(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Steps[_GraphResponse]:
        response: _GraphResponse = yield GraphCall(self.admin, method, path, body)
        return response

    def get(self, path: str, *, permission: str, what: str) -> Steps[dict[str, Any] | None]:
        response = yield from self._send("GET", path)
        if response.status_code == 404:
            return None
        self._check(response, permission=permission, action=f"read the {what}")
        body = response.json()
        return body if isinstance(body, dict) else {}

    def patch(self, path: str, body: Mapping[str, Any], *, permission: str, what: str) -> Steps[None]:
        response = yield from self._send("PATCH", path, dict(body))
        self._check(response, permission=permission, action=f"update the {what}")

    def post_service_principal(
        self, app_id: str, *, permission: str, what: str
    ) -> Steps[tuple[int, dict[str, Any]]]:
        response = yield from self._send("POST", "/v1.0/servicePrincipals", {"appId": app_id})
        if response.status_code == 409:
            return 409, {}
        self._check(response, permission=permission, action=f"create the {what}")
        body = response.json()
        return response.status_code, body if isinstance(body, dict) else {}

    def delete(self, path: str, *, permission: str, what: str) -> Steps[bool]:
        response = yield from self._send("DELETE", path)
        if response.status_code == 404:
            return False
        self._check(response, permission=permission, action=f"delete the {what}")
        return True

    def _check(self, response: _GraphResponse, *, permission: str, action: str) -> None:
        if 200 <= response.status_code < 300:
            return
        code, message = graph_error(response).code_and_message()
        details = graph_error_details(response)
        if response.status_code == 403:
            raise InsufficientPrivilegesError(
                f"the admin credential for tenant {self.tenant_id} lacks Microsoft Graph permission "
                f"{permission}: cannot {action} ({code}: {message})",
                tenant_id=self.tenant_id,
                permission=f"Microsoft Graph {permission}",
                hint=f"grant the admin app the Microsoft Graph application permission {permission.split(' ')[0]} "
                f"and give admin consent in tenant {self.tenant_id}; a new grant shows up in new tokens only",
                **details,
            )
        if response.status_code == 401:
            raise AdminCredentialError(
                f"Microsoft Graph rejected the admin token for tenant {self.tenant_id} while trying to {action} "
                f"({code}: {message})",
                tenant_id=self.tenant_id,
                hint=_ADMIN_TOKEN_HINT,
                **details,
            )
        raise OnboardingError(
            f"Microsoft Graph in tenant {self.tenant_id} refused to {action}: HTTP {response.status_code} "
            f"{code}: {message}",
            tenant_id=self.tenant_id,
            hint=_RERUN_HINT,
            **details,
        )


def _rbac(pool: IpamPoolId, operation: str, *args: Any, paged: bool = False, **kwargs: Any) -> ArmCall:
    """An azure-mgmt-authorization call of the management-tenant admin in the pool's subscription."""
    return ArmCall("authorization", "management", pool.subscription_id, operation, args, kwargs, paged)


# ------------------------------------------------------------------------------------------------
# steps


def _step_multitenant(progress: _Progress, app_id: str, tenant_id: str, dry_run: bool) -> Steps[None]:
    graph = _Graph("managed", tenant_id)
    path = f"/v1.0/applications(appId='{app_id}')"
    app = yield from graph.get(path, permission=_GRAPH_READ_APP, what=f"app registration {app_id}")
    if app is None:
        raise ApplicationNotFoundError(
            f"app {app_id} has no app registration in tenant {tenant_id} that the managed-tenant admin can see "
            "(the managed tenant must be the app's home tenant; an admin with only "
            "Application.ReadWrite.OwnedBy must be an owner of the app)",
            tenant_id=tenant_id,
            completed_steps=progress.described(),
            hint="check the app id and managed_tenant_id (the tenant where the app is registered)",
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
    yield from graph.patch(
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
    progress: _Progress, app_id: str, tenant_id: str, dry_run: bool, retry: _ReplicationRetry
) -> Steps[str | None]:
    graph = _Graph("management", tenant_id)
    path = _sp_path(app_id)
    what = f"service principal of app {app_id}"
    sp = yield from graph.get(path, permission=_GRAPH_READ_SP, what=what)
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
    status, body = yield from graph.post_service_principal(app_id, permission=_GRAPH_WRITE_SP, what=what)
    if status == 409:
        _LOGGER.info(
            "service principal of app %s already exists in tenant %s; reading it back", app_id, tenant_id
        )
        sp = yield from _wait_until_readable(graph, path, what, progress, retry)
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
    yield from _wait_until_readable(graph, path, what, progress, retry)
    return sp_id


def _wait_until_readable(
    graph: _Graph, path: str, what: str, progress: _Progress, retry: _ReplicationRetry
) -> Steps[dict[str, Any]]:
    def read() -> Steps[dict[str, Any] | None]:
        return graph.get(path, permission=_GRAPH_READ_SP, what=what)

    def pending_message() -> str:
        return f"the {what} is not yet readable in tenant {graph.tenant_id} (Microsoft Graph answers 404)"

    return (
        yield from retry.run(
            read, pending_message=pending_message, tenant_id=graph.tenant_id, progress=progress
        )
    )


def _step_role_assignment(
    progress: _Progress,
    pool: IpamPoolId,
    sp_id: str | None,
    role_name: str,
    tenant_id: str,
    dry_run: bool,
    retry: _ReplicationRetry,
) -> Steps[str | None]:
    pool_id = str(pool)
    role_id = yield from _find_role_definition(progress, pool, role_name, tenant_id)
    role_guid = _last_segment(role_id)
    if sp_id is None:  # dry run before the principal exists
        progress.add(
            STEP_ASSIGN_POOL_ROLE,
            "planned",
            f"would assign '{role_name}' ({role_guid}) on {pool_id} to the new service principal",
            tenant_id,
        )
        return None
    existing = yield from _existing_assignments(pool, sp_id, role_guid, tenant_id, progress)
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

    def create() -> Steps[tuple[str, str]]:
        try:
            assignment = yield _rbac(pool, "role_assignments.create", pool_id, name, parameters)
        except HttpResponseError as err:
            code = arm_error_code(err)
            if error_code(code).means == "exists" or (err.status_code == 409 and code is None):
                return "already_done", _assignment_id(pool_id, name)
            if _is_principal_not_found(err):
                raise _Pending(arm_error_message(err)) from err
            raise _arm_failure(
                err,
                tenant_id=tenant_id,
                permission=f"Microsoft.Authorization/roleAssignments/write on {pool_id} ({_RBAC_WRITERS})",
                action=f"assign '{role_name}' on the pool",
                progress=progress,
            ) from err
        return "done", str(assignment.id or _assignment_id(pool_id, name))

    status, assignment_id = yield from retry.run_pending(
        create,
        pending_message=lambda: (
            f"the service principal {sp_id} is not yet known to Azure RBAC in tenant "
            f"{tenant_id} (PrincipalNotFound)"
        ),
        tenant_id=tenant_id,
        progress=progress,
    )
    if status == "already_done":
        found = yield from _existing_assignments(pool, sp_id, role_guid, tenant_id, progress)
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
    progress: _Progress, pool: IpamPoolId, role_name: str, tenant_id: str
) -> Steps[str]:
    pool_id = str(pool)
    try:
        listed = yield _rbac(
            pool, "role_definitions.list", pool_id, filter=f"roleName eq '{role_name}'", paged=True
        )
    except HttpResponseError as err:
        raise _arm_failure(
            err,
            tenant_id=tenant_id,
            permission=f"Microsoft.Authorization/roleDefinitions/read on {pool_id} (e.g. Reader)",
            action=f"look up the role '{role_name}'",
            progress=progress,
        ) from err
    found = [rd for rd in listed if (rd.role_name or "").lower() == role_name.lower()]
    if not found or not found[0].id:
        raise RoleDefinitionNotFoundError(
            f"no role definition named '{role_name}' is visible at {pool_id} in tenant {tenant_id}",
            tenant_id=tenant_id,
            completed_steps=progress.described(),
            hint=f"check the role name (default '{IPAM_POOL_USER_ROLE}') and the pool id",
        )
    _LOGGER.debug("role '%s' is %s", role_name, found[0].id)
    return str(found[0].id)


def _existing_assignments(
    pool: IpamPoolId, sp_id: str, role_guid: str, tenant_id: str, progress: _Progress
) -> Steps[list[RoleAssignment]]:
    """Assignments of the role to the principal that apply at the pool (exact scope first)."""
    pool_id = str(pool)
    try:
        listed: list[RoleAssignment] = yield _rbac(
            pool, "role_assignments.list_for_scope", pool_id, filter=f"principalId eq '{sp_id}'", paged=True
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
    progress: _Progress,
    pool: IpamPoolId,
    sp_id: str,
    role_name: str,
    tenant_id: str,
    dry_run: bool,
) -> Steps[list[str]]:
    pool_id = str(pool)
    role_guid = _last_segment((yield from _find_role_definition(progress, pool, role_name, tenant_id)))
    existing = yield from _existing_assignments(pool, sp_id, role_guid, tenant_id, progress)
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
            yield _rbac(pool, "role_assignments.delete", pool_id, str(assignment.name))
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


def _step_delete_service_principal(
    progress: _Progress, graph: _Graph, app_id: str, sp_id: str | None, dry_run: bool
) -> Steps[None]:
    tenant_id = graph.tenant_id
    if sp_id is None:
        progress.add(
            STEP_DELETE_SERVICE_PRINCIPAL,
            "already_done",
            f"app {app_id} has no service principal in tenant {tenant_id}",
            tenant_id,
        )
    elif dry_run:
        progress.add(
            STEP_DELETE_SERVICE_PRINCIPAL,
            "planned",
            f"would delete service principal {sp_id} of app {app_id} from tenant {tenant_id}",
            tenant_id,
        )
    else:
        deleted = yield from graph.delete(
            _sp_path(app_id), permission=_GRAPH_WRITE_SP, what=f"service principal of app {app_id}"
        )
        progress.add(
            STEP_DELETE_SERVICE_PRINCIPAL,
            "done" if deleted else "already_done",
            f"{'deleted' if deleted else 'already gone:'} service principal {sp_id} of app {app_id} "
            f"in tenant {tenant_id}",
            tenant_id,
        )


def _step_connection(
    progress: _Progress,
    pool: IpamPoolId,
    managed_tenant_id: str,
    management_tenant_id: str,
    managed_subscription_id: str | None,
) -> Steps[None]:
    try:
        connections = yield ArmCall(
            "network",
            "management",
            pool.subscription_id,
            "scope_connections.list",
            (pool.resource_group, pool.network_manager),
            paged=True,
        )
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
            hint=_CONNECTION_HINT,
        )
    detail = f"scope connection {connected[0].name} to tenant {managed_tenant_id} is Connected"
    if managed_subscription_id:
        try:
            nm_connections = yield ArmCall(
                "network",
                "managed",
                managed_subscription_id,
                "subscription_network_manager_connections.list",
                paged=True,
            )
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
                hint=_CONNECTION_HINT,
            )
        detail += f"; subscription {managed_subscription_id} is connected to the network manager"
    progress.add(STEP_CHECK_CONNECTION, "already_done", detail, management_tenant_id)


# ------------------------------------------------------------------------------------------------
# progress, replication retry


class _Progress:
    def __init__(self, operation: str, admins: Mapping[str, str]) -> None:
        self._operation = operation
        self._admins = dict(admins)
        """tenant id -> which admin credential acts there ("managed-tenant", "management-tenant")"""
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
                code=err.code,
                status=err.status,
                request_id=err.request_id,
                correlation_id=err.correlation_id,
                timestamp=err.timestamp,
            ) from err
        except AzureError as err:  # transport failures after azure-core's retries, unexpected answers
            _LOGGER.warning("%s failed after %d step(s): %s", self._operation, len(self._steps), err)
            answered = isinstance(err, HttpResponseError) and err.response is not None
            raise OnboardingError(
                f"{self._operation} failed: {err}",
                completed_steps=self.described(),
                hint="no answer from Azure after azure-core's retries (connection refused or dropped, read "
                "timeout): check connectivity, then run again (steps already done are skipped)"
                if isinstance(err, (ServiceRequestError, ServiceResponseError)) and not answered
                else _RERUN_HINT,
                **(arm_error_details(err) if answered else {}),
            ) from err


class _Pending(Exception):
    """Internal: the operation hit replication delay and may be retried."""


class _ReplicationRetry:
    """Directory replication: what is retried (an operation that raised `_Pending`), how often and for
    how long. The wait itself is a `Sleep` request, so the sync and async drivers wait alike."""

    def __init__(self, max_wait: float, interval: float, max_attempts: int | None = None) -> None:
        if max_wait < 0 or interval <= 0 or (max_attempts is not None and max_attempts < 1):
            raise InvalidInputError(
                "max_replication_wait must be >= 0, replication_poll_interval > 0 and max_replication_attempts >= 1"
            )
        self.max_wait = float(max_wait)
        self.interval = float(interval)
        self.max_attempts = max_attempts

    def run(
        self,
        fn: Callable[[], Steps[_T | None]],
        *,
        pending_message: Callable[[], str],
        tenant_id: str,
        progress: _Progress,
    ) -> Steps[_T]:
        """Repeat ``fn`` until it returns something other than ``None``."""

        def attempt() -> Steps[_T]:
            value = yield from fn()
            if value is None:
                raise _Pending(pending_message())
            return value

        return (
            yield from self.run_pending(
                attempt, pending_message=pending_message, tenant_id=tenant_id, progress=progress
            )
        )

    def run_pending(
        self,
        fn: Callable[[], Steps[_T]],
        *,
        pending_message: Callable[[], str],
        tenant_id: str,
        progress: _Progress,
    ) -> Steps[_T]:
        """Repeat ``fn`` while it raises `_Pending`, within the attempt and time limits."""
        waited = 0.0
        attempts = 0
        while True:
            attempts += 1
            try:
                return (yield from fn())
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
                        hint="run onboarding again in a few minutes (it is safe to re-run), or raise "
                        "max_replication_wait",
                    ) from None
                _LOGGER.info(
                    "waiting for directory replication in tenant %s (attempt %d, %g s so far)",
                    tenant_id,
                    attempts,
                    waited,
                )
                yield Sleep(self.interval)
                waited += self.interval


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
            hint=_RERUN_HINT,
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


def _is_principal_not_found(err: HttpResponseError) -> bool:
    pending = error_code(arm_error_code(err)).retry == "replication"
    return pending or "does not exist in the directory" in arm_error_message(err)


def _arm_failure(
    err: HttpResponseError, *, tenant_id: str, permission: str, action: str, progress: _Progress
) -> OnboardingError:
    code = arm_error_code(err)
    message = arm_error_message(err)
    details = arm_error_details(err)
    if err.status_code == 403 or error_code(code).error is AuthorizationError:
        return InsufficientPrivilegesError(
            f"the admin credential for tenant {tenant_id} cannot {action}: it needs {permission} "
            f"({code}: {message})",
            tenant_id=tenant_id,
            permission=permission,
            completed_steps=progress.described(),
            hint=f"assign the admin a role that grants it in tenant {tenant_id}, then run again (already done "
            "steps are skipped)",
            **details,
        )
    if err.status_code == 401:
        return AdminCredentialError(
            f"Azure Resource Manager rejected the admin token for tenant {tenant_id} while trying to {action} "
            f"({code}: {message})",
            tenant_id=tenant_id,
            completed_steps=progress.described(),
            hint=_ADMIN_TOKEN_HINT,
            **details,
        )
    return OnboardingError(
        f"Azure Resource Manager refused to {action} in tenant {tenant_id}: HTTP {err.status_code} {code}: "
        f"{message}",
        tenant_id=tenant_id,
        completed_steps=progress.described(),
        hint=_RERUN_HINT,
        **details,
    )
