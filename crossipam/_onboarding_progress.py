"""What every onboarding step shares: the progress it reports to, how an ARM refusal becomes a typed error, and
the directory-replication retry (what is retried, how often, for how long).

``Progress`` collects the steps and, around a flow, attaches them to any error (``failing``);
``ReplicationRetry`` repeats an operation that raised ``Pending`` and waits with a `Sleep` request, so the
sync and async drivers wait alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError, ServiceResponseError

from ._engine import Sleep, Steps
from ._onboarding_results import OnboardingStep, StepStatus
from ._wire_errors import arm_error_code, arm_error_details, arm_error_message, error_code
from .errors import (
    AdminCredentialError,
    AuthorizationError,
    CredentialError,
    InsufficientPrivilegesError,
    InvalidInputError,
    OnboardingError,
    ReplicationPendingError,
)

_LOGGER = logging.getLogger("crossipam.onboarding")

RERUN_HINT = (
    "onboarding is safe to re-run (steps already done are skipped); if the failure persists, quote the error's "
    "request_id, correlation_id and timestamp to Microsoft support"
)
ADMIN_TOKEN_HINT = (
    "check the admin credential's tenant and cloud; a token refused as expired although it was just issued "
    "means this machine's clock is behind (check NTP); onboarding is safe to re-run"
)

_T = TypeVar("_T")


class Progress:
    """The steps of one run so far, logged as they are added; ``failing`` attaches them to an error."""

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
                else RERUN_HINT,
                **(arm_error_details(err) if answered else {}),
            ) from err


class Pending(Exception):
    """The operation hit replication delay and may be retried (``ReplicationRetry`` catches it)."""


class ReplicationRetry:
    """Directory replication: what is retried (an operation that raised `Pending`), how often and for
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
        progress: Progress,
    ) -> Steps[_T]:
        """Repeat ``fn`` until it returns something other than ``None``."""

        def attempt() -> Steps[_T]:
            value = yield from fn()
            if value is None:
                raise Pending(pending_message())
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
        progress: Progress,
    ) -> Steps[_T]:
        """Repeat ``fn`` while it raises `Pending`, within the attempt and time limits."""
        waited = 0.0
        attempts = 0
        while True:
            attempts += 1
            try:
                return (yield from fn())
            except Pending:
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


def arm_failure(
    err: HttpResponseError, *, tenant_id: str, permission: str, action: str, progress: Progress
) -> OnboardingError:
    """The typed error for ARM's refusal ``err`` to ``action``: 403 names ``permission``, 401 the token."""
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
            hint=ADMIN_TOKEN_HINT,
            **details,
        )
    return OnboardingError(
        f"Azure Resource Manager refused to {action} in tenant {tenant_id}: HTTP {err.status_code} {code}: "
        f"{message}",
        tenant_id=tenant_id,
        completed_steps=progress.described(),
        hint=RERUN_HINT,
        **details,
    )
