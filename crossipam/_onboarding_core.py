"""Onboarding written once: the flows that the sync and the async drivers run, and their validation.

[`crossipam.onboarding`][] and [`crossipam.aio.onboarding`][] share everything of onboarding, in these
private modules — the results (``_onboarding_results``), the Microsoft Graph steps (``_onboarding_graph``),
the RBAC steps (``_onboarding_rbac``), the connection check (``_onboarding_connection``), and the progress,
typed failures and directory-replication retry they all use (``_onboarding_progress``). This module holds
the validation of the arguments and the two flows (`OnboardingJob.steps`, `OffboardingJob.steps`) that run
the steps in order. A flow is a generator that yields what it needs done and receives the answer:

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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._engine import Job, Steps
from ._onboarding_connection import step_connection
from ._onboarding_graph import (
    GRAPH_READ_SP,
    Graph,
    object_id,
    sp_path,
    step_delete_service_principal,
    step_multitenant,
    step_service_principal,
)
from ._onboarding_progress import Progress, ReplicationRetry
from ._onboarding_rbac import remove_assignments, step_role_assignment
from ._onboarding_results import (
    IPAM_POOL_USER_ROLE,
    STEP_REMOVE_ROLE_ASSIGNMENT,
    OffboardingResult,
    OnboardingResult,
)
from ._resource_ids import IpamPoolId
from .credentials import validate_tenant_id
from .errors import InvalidInputError
from .models import CloudEndpoints

# Private module: crossipam.onboarding and crossipam.aio.onboarding re-export the public names.

_LOGGER = logging.getLogger("crossipam.onboarding")


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
    retry: ReplicationRetry

    def steps(self) -> Steps[OnboardingResult]:
        app_id, pool_id, dry_run = self.app_id, str(self.pool), self.dry_run
        progress = Progress(
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
            yield from step_multitenant(progress, app_id, self.managed_tenant_id, dry_run)
            sp_id = yield from step_service_principal(
                progress, app_id, self.management_tenant_id, dry_run, self.retry
            )
            assignment_id = yield from step_role_assignment(
                progress, self.pool, sp_id, self.role_name, self.management_tenant_id, dry_run, self.retry
            )
            if self.check_connection:
                yield from step_connection(
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
    managed_tenant_credential: Any,
    management_tenant_credential: Any,
    options: Mapping[str, Any],
) -> tuple[OnboardingJob, dict[str, Any]]:
    """Validate the arguments of ``onboard_service_principal`` (sync or async) before any request.

    ``options`` are its ``**options`` (``crossipam.options.OnboardingOptions``), their defaults written here
    once. Returns the job and the keywords that are not onboarding's own: azure-core's, for every pipeline
    and SDK client.
    """
    rest = dict(options)
    managed_tenant_id = _required(rest, "managed_tenant_id", "onboard_service_principal")
    management_tenant_id, cloud, dry_run, role_name = _run_options(rest, "onboard_service_principal")
    check_connection: bool = rest.pop("check_connection", False)
    managed_subscription_id: str | None = rest.pop("managed_subscription_id", None)
    max_replication_wait: float = rest.pop("max_replication_wait", 180.0)
    replication_poll_interval: float = rest.pop("replication_poll_interval", 5.0)
    max_replication_attempts: int | None = rest.pop("max_replication_attempts", None)
    app_id = _validate_guid(app_id, "app_id")
    managed_tenant_id = validate_tenant_id(managed_tenant_id, "managed_tenant_id")
    management_tenant_id = validate_tenant_id(management_tenant_id, "management_tenant_id")
    pool = IpamPoolId.parse(pool_id)
    _validate_role_name(role_name)
    if managed_subscription_id is not None:
        managed_subscription_id = _validate_guid(managed_subscription_id, "managed_subscription_id")
    retry = ReplicationRetry(max_replication_wait, replication_poll_interval, max_replication_attempts)
    job = OnboardingJob(
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
    return job, rest


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
        progress = Progress("offboarding", {tenant_id: "management-tenant"})
        _LOGGER.info(
            "offboarding app %s from pool %s (management tenant %s)%s",
            app_id,
            pool_id,
            tenant_id,
            " [dry run]" if dry_run else "",
        )
        removed: list[str] = []
        graph = Graph("management", tenant_id)
        what = f"service principal of app {app_id}"
        with progress.failing():
            sp = yield from graph.get(sp_path(app_id), permission=GRAPH_READ_SP, what=what)
            sp_id = object_id(sp, what, tenant_id) if sp else None
            if sp_id is None:
                progress.add(
                    STEP_REMOVE_ROLE_ASSIGNMENT,
                    "already_done",
                    f"app {app_id} has no service principal in tenant {tenant_id}, so no role on the pool",
                    tenant_id,
                )
            else:
                removed = yield from remove_assignments(
                    progress, self.pool, sp_id, self.role_name, tenant_id, dry_run
                )
            if self.delete_service_principal:
                yield from step_delete_service_principal(progress, graph, app_id, sp_id, dry_run)
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
    app_id: str, pool_id: str, management_tenant_credential: Any, options: Mapping[str, Any]
) -> tuple[OffboardingJob, dict[str, Any]]:
    """Validate the arguments of ``offboard_service_principal`` (sync or async) before any request.

    As `prepare_onboarding`, for ``crossipam.options.OffboardingOptions``; ``managed_tenant_id`` is accepted
    for symmetry with onboarding and not used.
    """
    rest = dict(options)
    management_tenant_id, cloud, dry_run, role_name = _run_options(rest, "offboard_service_principal")
    delete_service_principal: bool = rest.pop("delete_service_principal", False)
    rest.pop("managed_tenant_id", None)  # accepted for symmetry only
    app_id = _validate_guid(app_id, "app_id")
    management_tenant_id = validate_tenant_id(management_tenant_id, "management_tenant_id")
    pool = IpamPoolId.parse(pool_id)
    _validate_role_name(role_name)
    job = OffboardingJob(
        cloud=CloudEndpoints.for_cloud(cloud),
        credentials={"management": (management_tenant_id, management_tenant_credential)},
        app_id=app_id,
        pool=pool,
        management_tenant_id=management_tenant_id,
        dry_run=dry_run,
        delete_service_principal=delete_service_principal,
        role_name=role_name,
    )
    return job, rest


def _run_options(rest: dict[str, Any], function: str) -> tuple[str, Any, bool, str]:
    """Take the options both operations have out of ``rest``: the management tenant (required), ``cloud``,
    ``dry_run`` and ``role_name``, with their defaults."""
    management_tenant_id = _required(rest, "management_tenant_id", function)
    dry_run: bool = rest.pop("dry_run", False)
    return management_tenant_id, rest.pop("cloud", None), dry_run, rest.pop("role_name", IPAM_POOL_USER_ROLE)


def _required(rest: dict[str, Any], name: str, function: str) -> Any:
    """Take the required keyword ``name`` out of ``rest``; missing, the ``TypeError`` Python raises for a missing
    keyword-only argument."""
    if name not in rest:
        raise TypeError(f"{function}() missing 1 required keyword-only argument: {name!r}")
    return rest.pop(name)


def _validate_guid(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInputError(f"{name} must be a GUID, got {value!r}") from None


def _validate_role_name(role_name: str) -> None:
    if not role_name.strip() or "'" in role_name:
        raise InvalidInputError(f"role_name must be a role's display name without quotes, got {role_name!r}")
