"""The Microsoft Graph steps of onboarding: make the app multitenant (managed tenant), create — or, when
offboarding, delete — its service principal (management tenant), and the Graph requests they make.

``Graph`` sends Graph v1.0 requests of one admin as `GraphCall` requests and turns a refusal into a typed error
that names the tenant and the Graph permission the admin lacks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from ._engine import Admin, GraphCall, Steps
from ._onboarding_progress import ADMIN_TOKEN_HINT, RERUN_HINT, Progress, ReplicationRetry
from ._onboarding_results import (
    STEP_CREATE_SERVICE_PRINCIPAL,
    STEP_DELETE_SERVICE_PRINCIPAL,
    STEP_MAKE_MULTITENANT,
)
from ._wire_errors import graph_error, graph_error_details
from .errors import (
    AdminCredentialError,
    ApplicationNotFoundError,
    InsufficientPrivilegesError,
    OnboardingError,
)

_LOGGER = logging.getLogger("crossipam.onboarding")

_GRAPH_WRITE_APP = "Application.ReadWrite.All (or Application.ReadWrite.OwnedBy as an owner of the app)"
_GRAPH_READ_APP = "Application.Read.All (or Application.ReadWrite.All)"
_GRAPH_WRITE_SP = "Application.ReadWrite.All (or Directory.ReadWrite.All)"
GRAPH_READ_SP = "Application.Read.All (or Application.ReadWrite.All)"


class _GraphResponse(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    def json(self) -> Any: ...

    def text(self) -> str: ...


class Graph:
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
                hint=ADMIN_TOKEN_HINT,
                **details,
            )
        raise OnboardingError(
            f"Microsoft Graph in tenant {self.tenant_id} refused to {action}: HTTP {response.status_code} "
            f"{code}: {message}",
            tenant_id=self.tenant_id,
            hint=RERUN_HINT,
            **details,
        )


def object_id(body: Mapping[str, Any], what: str, tenant_id: str) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value:
        raise OnboardingError(
            f"Microsoft Graph in tenant {tenant_id} answered without an object id for the {what}",
            tenant_id=tenant_id,
            hint=RERUN_HINT,
        )
    return value


def sp_path(app_id: str) -> str:
    return f"/v1.0/servicePrincipals(appId='{app_id}')"


def step_multitenant(progress: Progress, app_id: str, tenant_id: str, dry_run: bool) -> Steps[None]:
    graph = Graph("managed", tenant_id)
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


def step_service_principal(
    progress: Progress, app_id: str, tenant_id: str, dry_run: bool, retry: ReplicationRetry
) -> Steps[str | None]:
    graph = Graph("management", tenant_id)
    path = sp_path(app_id)
    what = f"service principal of app {app_id}"
    sp = yield from graph.get(path, permission=GRAPH_READ_SP, what=what)
    if sp is not None:
        sp_id = object_id(sp, what, tenant_id)
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
        sp_id = object_id(sp, what, tenant_id)
        progress.add(
            STEP_CREATE_SERVICE_PRINCIPAL,
            "already_done",
            f"service principal {sp_id} exists (created concurrently)",
            tenant_id,
        )
        return sp_id
    sp_id = object_id(body, what, tenant_id)
    # Directory writes are eventually consistent: wait until a read shows the principal, so that the next
    # steps (and the app's first token request in this tenant) see it.
    progress.add(STEP_CREATE_SERVICE_PRINCIPAL, "done", f"created service principal {sp_id}", tenant_id)
    yield from _wait_until_readable(graph, path, what, progress, retry)
    return sp_id


def _wait_until_readable(
    graph: Graph, path: str, what: str, progress: Progress, retry: ReplicationRetry
) -> Steps[dict[str, Any]]:
    def read() -> Steps[dict[str, Any] | None]:
        return graph.get(path, permission=GRAPH_READ_SP, what=what)

    def pending_message() -> str:
        return f"the {what} is not yet readable in tenant {graph.tenant_id} (Microsoft Graph answers 404)"

    return (
        yield from retry.run(
            read, pending_message=pending_message, tenant_id=graph.tenant_id, progress=progress
        )
    )


def step_delete_service_principal(
    progress: Progress, graph: Graph, app_id: str, sp_id: str | None, dry_run: bool
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
            sp_path(app_id), permission=_GRAPH_WRITE_SP, what=f"service principal of app {app_id}"
        )
        progress.add(
            STEP_DELETE_SERVICE_PRINCIPAL,
            "done" if deleted else "already_done",
            f"{'deleted' if deleted else 'already gone:'} service principal {sp_id} of app {app_id} "
            f"in tenant {tenant_id}",
            tenant_id,
        )
