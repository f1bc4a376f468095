"""The Azure RBAC steps of onboarding, in the management tenant: find the role definition, keep or create the
pool's role assignment (under its deterministic name), and, when offboarding, remove it.

Every call is an azure-mgmt-authorization `ArmCall` of the management-tenant admin in the pool's subscription.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment, RoleAssignmentCreateParameters

from ._engine import ArmCall, Steps
from ._onboarding_progress import Pending, Progress, ReplicationRetry, arm_failure
from ._onboarding_results import IPAM_POOL_USER_ROLE, STEP_ASSIGN_POOL_ROLE, STEP_REMOVE_ROLE_ASSIGNMENT
from ._resource_ids import IpamPoolId
from ._wire_errors import arm_error_code, arm_error_message, error_code
from .errors import RoleDefinitionNotFoundError

_LOGGER = logging.getLogger("crossipam.onboarding")

_ASSIGNMENT_NAMESPACE = uuid.UUID("5f0c2a8e-3c1d-5b7e-9d2a-6e4f8b1c0a93")
"""Namespace of the deterministic role-assignment names (uuid5)."""

_RBAC_WRITERS = "Owner, User Access Administrator or Role Based Access Control Administrator"


def role_assignment_name(scope: str, principal_id: str, role_definition_id: str) -> str:
    """The deterministic name (a uuid5) onboarding gives its role assignment.

    The same scope, principal and role always give the same name, so a retried or repeated PUT cannot
    create a second assignment. Case and a trailing slash of ``scope`` do not matter; ``role_definition_id``
    may be the role's GUID or its full resource id.

    Args:
        scope: The scope of the assignment (onboarding: the pool's resource id).
        principal_id: Object id of the service principal the role is assigned to.
        role_definition_id: The role's GUID or the full resource id of its role definition.

    Example:
        ```python
        >>> role_assignment_name("/subscriptions/s/rg/p", "0b5c…", "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037")
        '…'   # always the same GUID for these three
        ```
    """
    role_guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    key = f"{scope.rstrip('/').lower()}|{principal_id.lower()}|{role_guid}"
    return str(uuid.uuid5(_ASSIGNMENT_NAMESPACE, key))


def _rbac(pool: IpamPoolId, operation: str, *args: Any, paged: bool = False, **kwargs: Any) -> ArmCall:
    """An azure-mgmt-authorization call of the management-tenant admin in the pool's subscription."""
    return ArmCall("authorization", "management", pool.subscription_id, operation, args, kwargs, paged)


def _assignment_id(scope: str, name: str) -> str:
    return f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}"


def _last_segment(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1].lower()


def same_scope(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def _scope_contains(outer: str, inner: str) -> bool:
    o = outer.rstrip("/").lower()
    i = inner.rstrip("/").lower()
    return o in ("", "/") or i == o or i.startswith(o + "/")


def _is_principal_not_found(err: HttpResponseError) -> bool:
    pending = error_code(arm_error_code(err)).retry == "replication"
    return pending or "does not exist in the directory" in arm_error_message(err)


def step_role_assignment(
    progress: Progress,
    pool: IpamPoolId,
    sp_id: str | None,
    role_name: str,
    tenant_id: str,
    dry_run: bool,
    retry: ReplicationRetry,
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
        best = next((a for a in existing if same_scope(a.scope or "", pool_id)), existing[0])
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
                raise Pending(arm_error_message(err)) from err
            raise arm_failure(
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


def _find_role_definition(progress: Progress, pool: IpamPoolId, role_name: str, tenant_id: str) -> Steps[str]:
    pool_id = str(pool)
    try:
        listed = yield _rbac(
            pool, "role_definitions.list", pool_id, filter=f"roleName eq '{role_name}'", paged=True
        )
    except HttpResponseError as err:
        raise arm_failure(
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
    pool: IpamPoolId, sp_id: str, role_guid: str, tenant_id: str, progress: Progress
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
        raise arm_failure(
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
    matching.sort(key=lambda a: not same_scope(a.scope or "", pool_id))
    return matching


def remove_assignments(
    progress: Progress,
    pool: IpamPoolId,
    sp_id: str,
    role_name: str,
    tenant_id: str,
    dry_run: bool,
) -> Steps[list[str]]:
    pool_id = str(pool)
    role_guid = _last_segment((yield from _find_role_definition(progress, pool, role_name, tenant_id)))
    existing = yield from _existing_assignments(pool, sp_id, role_guid, tenant_id, progress)
    at_pool = [a for a in existing if same_scope(a.scope or "", pool_id)]
    inherited = [a for a in existing if not same_scope(a.scope or "", pool_id)]
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
            raise arm_failure(
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
