"""The errors of a service's answer: Azure Resource Manager's ([`AzureServiceError`][crossipam.errors.AzureServiceError]
and its subclasses, with the states an operation ended in) and onboarding's
([`OnboardingError`][crossipam.errors.OnboardingError]). ``crossipam.errors`` shows them all (with the
hierarchy); import them from there.

```python
from crossipam.errors import AzureServiceError, OnboardingError
```
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._error_base import CrossIpamError, Diagnostics, ErrorDiagnostics, Remedy

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11; no runtime dependency)
    from typing_extensions import Unpack

__all__ = [
    "AdminCredentialError",
    "ApplicationNotFoundError",
    "AuthenticationError",
    "AuthorizationError",
    "AzureServiceError",
    "ConflictError",
    "CrossTenantConnectionError",
    "InsufficientPrivilegesError",
    "InvalidAllocationError",
    "LinkedAuthorizationError",
    "NotFoundError",
    "OnboardingError",
    "OperationFailedError",
    "OperationTimeoutError",
    "PoolExhaustedError",
    "ReplicationPendingError",
    "RoleDefinitionNotFoundError",
    "ThrottledError",
    "TransportError",
]


# ---- service errors ---------------------------------------------------------------------------------


class AzureServiceError(CrossIpamError, ErrorDiagnostics):
    """Azure Resource Manager answered with an error.

    Attributes: ``code`` (ARM error code), ``status`` (HTTP status), ``request_id``, ``correlation_id``,
    ``timestamp`` (the ``Date`` header), ``tenant_id``, ``hint``, ``target``.

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        tenant_id: The tenant whose token the refused request carried.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.
        target: ARM's ``error.target`` (the property at fault), when it gave one.
        **diagnostics: What the service's answer tells support (see [`Diagnostics`][crossipam.errors.Diagnostics]).

    ```python
    except AzureServiceError as err:
        print(err.code, err.status, err.request_id, err.correlation_id)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        target: str | None = None,
        **diagnostics: Unpack[Diagnostics],
    ) -> None:
        super().__init__(message, tenant_id=tenant_id, hint=hint)
        self._set_diagnostics(**diagnostics)
        self.target = target


class AuthorizationError(AzureServiceError):
    """401/403 from ARM: the principal lacks a role, or the token was rejected.

    ```python
    except AuthorizationError as err:
        print(err.code, err.tenant_id)
    ```
    """


class AuthenticationError(AuthorizationError):
    """401 from ARM: a primary or auxiliary token was rejected (``ExpiredAuthenticationToken``,
    ``InvalidAuthenticationToken``, ``InvalidAuthenticationTokenTenant``, …); ``tenant_id`` names its tenant.

    ```python
    except AuthenticationError as err:
        print(err.code, err.tenant_id, err.hint)
    ```
    """


class LinkedAuthorizationError(AuthorizationError):
    """403 ``LinkedAuthorizationFailed``: no usable auxiliary token for the pool's tenant, or the app lacks
    *IPAM Pool User* on the pool (``linked_scope``).

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        linked_scope: The linked scope ARM named (the pool), if it named one.
        **kwargs: [`AzureServiceError`][crossipam.errors.AzureServiceError]'s arguments.

    ```python
    except LinkedAuthorizationError as err:
        print(err.tenant_id, err.linked_scope, err.hint)
    ```
    """

    def __init__(self, message: str, *, linked_scope: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.linked_scope = linked_scope


class NotFoundError(AzureServiceError):
    """404: the resource or its resource group does not exist.

    ```python
    except NotFoundError:
        print("no such VNet")
    ```
    """


class PoolExhaustedError(AzureServiceError):
    """The IPAM pool (or the VNet's space, for a subnet) cannot provide the requested addresses.

    ```python
    except PoolExhaustedError:
        print(client.get_pool_usage(pool_id).number_of_available_ip_addresses)
    ```
    """


class InvalidAllocationError(AzureServiceError):
    """ARM refused the allocation request (``CannotMixAddressPrefixAndPoolInPayload``,
    ``CannotHaveDuplicatePoolIds``, ``SubnetPoolsMustBeSubsetOfVnetPools``, …).

    ```python
    except InvalidAllocationError as err:
        print(err.code)
    ```
    """


class ConflictError(AzureServiceError):
    """409 ``AnotherOperationInProgress`` or 412 ``PreconditionFailed``: someone else changed the VNet.

    ```python
    except ConflictError:
        poller = client.begin_deploy_virtual_network(...)   # read again and retry
    ```
    """


class ThrottledError(AzureServiceError):
    """429 from ARM after azure-core's retries ran out.

    ```python
    except ThrottledError as err:
        print(err.request_id)
    ```
    """


class TransportError(AzureServiceError):
    """No HTTP answer from Azure after azure-core's retries: the connection was refused or dropped, or the
    read timed out (``read_timeout``). ``code`` and ``status`` are ``None``. A write may or may not have
    happened: run the operation again (crossipam reads before it writes, so a re-run converges).

    ```python
    except TransportError as err:
        print(err)   # the transport's message, without request headers
    ```
    """


class _ResourceStateError(AzureServiceError):
    """An error about the state a resource ended in (or was still in): ``resource_id``, ``provisioning_state``."""

    def __init__(
        self,
        message: str,
        *,
        resource_id: str | None = None,
        provisioning_state: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.resource_id = resource_id
        self.provisioning_state = provisioning_state


class OperationFailedError(_ResourceStateError):
    """An Azure operation on the resource ended ``Failed`` — the long-running operation crossipam started, or
    one that was in flight when crossipam read the resource and waited for it — or the resource disappeared
    while crossipam waited (a failed create may be rolled back). ``code`` is the operation's error code when
    Azure gave one; ``provisioning_state`` is what the resource ended with (``None``: it is gone);
    ``resource_id`` names it. Nothing is reported as done: read the resource, then run the call again.

    ```python
    except OperationFailedError as err:
        print(err.resource_id, err.provisioning_state, err.code)
    ```
    """


class OperationTimeoutError(_ResourceStateError):
    """The resource was still in a non-terminal ``provisioningState`` (``Updating``, ``Deleting``, …) when
    ``operation_timeout`` ran out: an operation on it is still running, so crossipam reports nothing as done.
    ``provisioning_state`` is the state last read.

    ```python
    except OperationTimeoutError as err:
        print(err.resource_id, err.provisioning_state)   # run the call again later
    ```
    """


# ---- onboarding -------------------------------------------------------------------------------------


class OnboardingError(CrossIpamError, ErrorDiagnostics):
    """Onboarding (``crossipam.onboarding``) failed; ``completed_steps`` lists what was done before.

    A failure answered by Microsoft Graph, ARM or Entra ID keeps its ``code``, ``status``, ``request_id``,
    ``correlation_id`` and ``timestamp`` (see [`ErrorDiagnostics`][crossipam.errors.ErrorDiagnostics]).

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        tenant_id: The tenant the failed step worked in.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.
        completed_steps: What was done before the failure (``OnboardingStep.describe()`` lines).
        **diagnostics: What the service's answer tells support (see [`Diagnostics`][crossipam.errors.Diagnostics]).

    ```python
    except OnboardingError as err:
        print(err.completed_steps, err.code, err.request_id)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        completed_steps: Sequence[str] = (),
        **diagnostics: Unpack[Diagnostics],
    ) -> None:
        super().__init__(message, tenant_id=tenant_id, hint=hint)
        self.completed_steps: tuple[str, ...] = tuple(completed_steps)
        self._set_diagnostics(**diagnostics)


class AdminCredentialError(OnboardingError):
    """An admin credential could not get a token, or its token was rejected.

    ```python
    except AdminCredentialError as err:
        print(err.tenant_id)
    ```
    """


class ApplicationNotFoundError(OnboardingError):
    """The app has no registration in the managed tenant.

    ```python
    except ApplicationNotFoundError as err:
        print(err.tenant_id)
    ```
    """


class CrossTenantConnectionError(OnboardingError):
    """The network manager and the managed subscription are not connected on both sides.

    ```python
    except CrossTenantConnectionError as err:
        print(err)
    ```
    """


class InsufficientPrivilegesError(OnboardingError):
    """An admin lacks a Microsoft Graph permission or an RBAC role (``permission`` names it).

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        tenant_id: The tenant the failed step worked in.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.
        completed_steps: What was done before the failure.
        permission: The Graph permission or RBAC role the admin lacks.
        **diagnostics: What the service's answer tells support (see [`Diagnostics`][crossipam.errors.Diagnostics]).

    ```python
    except InsufficientPrivilegesError as err:
        print(err.permission)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        completed_steps: Sequence[str] = (),
        permission: str = "",
        **diagnostics: Unpack[Diagnostics],
    ) -> None:
        super().__init__(
            message, tenant_id=tenant_id, hint=hint, completed_steps=completed_steps, **diagnostics
        )
        self.permission = permission


class ReplicationPendingError(OnboardingError):
    """Directory replication did not finish within the wait budget.

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        tenant_id: The tenant whose directory has not replicated yet.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.
        completed_steps: What was done before the failure.
        waited_seconds: How long crossipam waited.
        attempts: How many times it tried.
        **diagnostics: What the service's answer tells support (see [`Diagnostics`][crossipam.errors.Diagnostics]).

    ```python
    except ReplicationPendingError as err:
        print(err.attempts, err.waited_seconds)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        completed_steps: Sequence[str] = (),
        waited_seconds: float = 0.0,
        attempts: int = 0,
        **diagnostics: Unpack[Diagnostics],
    ) -> None:
        super().__init__(
            message, tenant_id=tenant_id, hint=hint, completed_steps=completed_steps, **diagnostics
        )
        self.waited_seconds = waited_seconds
        self.attempts = attempts


class RoleDefinitionNotFoundError(OnboardingError):
    """The role definition to assign is not visible at the scope.

    ```python
    except RoleDefinitionNotFoundError as err:
        print(err)
    ```
    """
