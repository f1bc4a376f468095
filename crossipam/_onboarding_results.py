"""What onboarding reports: the steps' names, `OnboardingStep`, `OnboardingResult`, `OffboardingResult`.

Plain frozen dataclasses, shared by [`crossipam.onboarding`][] and [`crossipam.aio.onboarding`][] (which
re-export them); the flows that fill them are in ``crossipam._onboarding_core``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# Private module: crossipam.onboarding and crossipam.aio.onboarding re-export the public names.

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

        Args:
            name: One of onboarding's step names, e.g. ``"create_service_principal"`` (``STEP_*``).

        Example:
            ```python
            result.step("create_service_principal").status   # "done" | "already_done" | "planned"
            ```
        """
        return _step_named(self.steps, name)


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
        """The offboarding step called ``name``; ``KeyError`` when this run had no such step.

        Args:
            name: ``"remove_role_assignment"`` or ``"delete_service_principal"``.

        Example:
            ```python
            result.step("remove_role_assignment").status
            ```
        """
        return _step_named(self.steps, name)


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


def _step_named(steps: tuple[OnboardingStep, ...], name: str) -> OnboardingStep:
    for step in steps:
        if step.name == name:
            return step
    raise KeyError(name)
