"""Typed exceptions: one hierarchy rooted in [`CrossIpamError`][crossipam.errors.CrossIpamError].

```text
CrossIpamError                              every error crossipam raises (message, tenant_id, hint)
├── InvalidInputError (ValueError)          bad input, raised before any request
│   ├── InvalidResourceIdError              not a virtualNetworks / ipamPools resource id
│   └── ConfigurationError                  missing environment variables, non-https endpoints, > 3 tenants
├── CredentialError                      ◆  no token could be obtained for a tenant
│   ├── ManagedIdentityNotSupportedError    managed identities cannot supply cross-tenant (auxiliary) tokens
│   ├── TenantNotAllowedError               the credential may not get tokens for that tenant
│   ├── TokenTenantMismatchError            the credential answered with a token of another tenant
│   └── AppNotOnboardedError                AADSTS700016: the app has no service principal in that tenant
├── DeploymentRefusedError                  refused by crossipam after reading the VNet, before any write
│   ├── AllocationDecreaseError             an IPAM allocation cannot shrink
│   └── AddressSpaceConflictError           static prefixes vs. pools, other pool, subnets outside new space
├── AzureServiceError                    ◆  ARM answered with an error
│   ├── AuthorizationError                  401/403: AuthorizationFailed, InvalidAuthenticationToken…
│   │   ├── AuthenticationError             401: a token was rejected (expired, wrong tenant, invalid)
│   │   └── LinkedAuthorizationError        403 LinkedAuthorizationFailed: aux token or pool role missing
│   ├── NotFoundError                       404: ResourceNotFound, ResourceGroupNotFound
│   ├── PoolExhaustedError                  the pool cannot provide the requested addresses
│   ├── InvalidAllocationError              400 validation codes (CannotMixAddressPrefixAndPoolInPayload, …)
│   ├── ConflictError                       409 AnotherOperationInProgress, 412 PreconditionFailed (stale ETag)
│   ├── ThrottledError                      429
│   ├── TransportError                      no HTTP answer after azure-core's retries (dropped, timed out)
│   ├── OperationFailedError                an operation ended Failed, or its resource vanished meanwhile
│   └── OperationTimeoutError               a resource was still Updating/Deleting/… when the wait ran out
└── OnboardingError                      ◆  crossipam.onboarding (completed_steps)
    ├── AdminCredentialError                an admin credential could not get a token / was rejected
    ├── ApplicationNotFoundError            no app registration in the managed tenant
    ├── CrossTenantConnectionError          the network-manager connection is not Connected
    ├── InsufficientPrivilegesError         an admin lacks a Graph permission or RBAC role (permission)
    ├── ReplicationPendingError             directory replication did not finish in time
    └── RoleDefinitionNotFoundError         the role to assign is not visible

◆ also an ErrorDiagnostics (mixin, with every subclass): code, status, request_id, correlation_id, timestamp
```

Errors that come from a service's answer ([`ErrorDiagnostics`][crossipam.errors.ErrorDiagnostics]) keep what
support needs: the service's error ``code``, HTTP ``status``, ``request_id``, ``correlation_id`` and
``timestamp`` — from ARM's ``x-ms-request-id`` / ``x-ms-correlation-request-id`` headers, Microsoft Graph's
``error.innerError`` (``request-id``, ``client-request-id``, ``date``) or Entra ID's error (``AADSTS…`` code,
``trace_id``, ``correlation_id``) — besides the ``tenant_id`` whose token or role is at stake and a
remediation ``hint``. Tokens, secrets and client assertions never appear in them. This module holds the types
only: which class, hint and retryability a service's error code gets is decided by one table,
``crossipam._wire_errors``, with the parsers of the answers (``arm_error_details``, ``graph_error_details``,
``entra_error_details``, ``service_error_from_http`` are importable from here too).

```python
from crossipam.errors import CrossIpamError, LinkedAuthorizationError

try:
    client.begin_deploy_virtual_network(vnet_id, location="eastus", pool_id=pool_id,
                                        number_of_ip_addresses=100).result()
except LinkedAuthorizationError as err:
    print(err.code, err.tenant_id, err.hint, err.correlation_id)
except CrossIpamError as err:
    print(err)
```
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11; no runtime dependency)
    from typing_extensions import Unpack

    from ._wire_errors import (
        arm_error_details,
        entra_error_details,
        graph_error_details,
        service_error_from_http,
    )

__all__ = [
    "AddressSpaceConflictError",
    "AdminCredentialError",
    "AllocationDecreaseError",
    "AppNotOnboardedError",
    "ApplicationNotFoundError",
    "AuthenticationError",
    "AuthorizationError",
    "AzureServiceError",
    "ConfigurationError",
    "ConflictError",
    "CredentialError",
    "CrossIpamError",
    "CrossTenantConnectionError",
    "DeploymentRefusedError",
    "Diagnostics",
    "ErrorDiagnostics",
    "InsufficientPrivilegesError",
    "InvalidAllocationError",
    "InvalidInputError",
    "InvalidResourceIdError",
    "LinkedAuthorizationError",
    "ManagedIdentityNotSupportedError",
    "NotFoundError",
    "OnboardingError",
    "OperationFailedError",
    "OperationTimeoutError",
    "PoolExhaustedError",
    "Remedy",
    "ReplicationPendingError",
    "RoleDefinitionNotFoundError",
    "TenantNotAllowedError",
    "ThrottledError",
    "TokenTenantMismatchError",
    "TransportError",
    "arm_error_details",
    "entra_error_details",
    "graph_error_details",
    "service_error_from_http",
]

_FROM_WIRE = frozenset(
    {"arm_error_details", "entra_error_details", "graph_error_details", "service_error_from_http"}
)
"""The parsers and the mapping live with the code table in ``crossipam._wire_errors`` (which imports this
module); they stay importable from here, loaded on first use."""


def __getattr__(name: str) -> Any:
    if name in _FROM_WIRE:
        from . import _wire_errors

        return getattr(_wire_errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Remedy:
    """A hint that names the crossipam operation which fixes the problem, as data — so that each front end says
    it its own way: the library as a call (``get_pool_usage(pool_id)``), the CLI as the command that does the
    same (``crossipam pool usage POOL_ID``), with no rewriting of prose.

    ``text`` holds ``{action}`` where the operation goes; ``operation`` is the library call (module-qualified
    for module functions: ``crossipam.onboarding.onboard_service_principal``); ``arguments`` its arguments by
    name, each with its value when known (``None``: a placeholder); ``call_syntax`` whether the library form
    shows the argument list (``get_pool_usage(pool_id)``) or the bare name (``begin_remove_allocation``).

    ```python
    fix = Remedy("check {action} and ask for fewer addresses", "get_pool_usage", (("pool_id", None),))
    fix.for_library()    # 'check get_pool_usage(pool_id) and ask for fewer addresses'
    ```
    """

    text: str
    operation: str
    arguments: tuple[tuple[str, str | None], ...] = ()
    call_syntax: bool = True

    def for_library(self) -> str:
        """The hint as the library says it (what `CrossIpamError.hint` holds).

        ```python
        Remedy("use {action} to convert", "begin_remove_allocation", call_syntax=False).for_library()
        ```
        """
        action = self.operation
        if self.call_syntax:
            shown = (name if value is None else f"{name}={value!r}" for name, value in self.arguments)
            action += "(" + ", ".join(shown) + ")"
        return self.text.format(action=action)


class CrossIpamError(Exception):
    """Root of every error crossipam raises.

    ``str(err)`` is the message followed by the remediation hint, if any. ``hint`` is always text; when the
    hint names a crossipam operation, ``remedy`` holds it as data ([`Remedy`][crossipam.errors.Remedy]), which
    the CLI renders as a command.

    ```python
    try:
        client.get_pool_usage(pool_id)
    except CrossIpamError as err:
        print(err.tenant_id, err.hint)
    ```
    """

    def __init__(
        self, message: str, *, tenant_id: str | None = None, hint: str | Remedy | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.tenant_id = tenant_id
        self.remedy: Remedy | None = hint if isinstance(hint, Remedy) else None
        self.hint: str | None = hint.for_library() if isinstance(hint, Remedy) else hint

    def __str__(self) -> str:
        return f"{self.message} Hint: {self.hint}" if self.hint else self.message


class ErrorDiagnostics:
    """Mixin of the errors that come from a service's answer (``CredentialError``, ``AzureServiceError``,
    ``OnboardingError`` and their subclasses): what support needs to find the failed request. Each field is
    ``None`` when the answer did not carry it (or there was no answer).

    - ``code``: ARM's or Microsoft Graph's ``error.code`` (``AuthorizationFailed``,
      ``Authorization_RequestDenied``), or Entra ID's ``AADSTS…`` code (``AADSTS700016``);
    - ``status``: the HTTP status;
    - ``request_id``: ARM's ``x-ms-request-id``, Graph's ``innerError["request-id"]`` (``request-id`` header),
      Entra ID's ``trace_id``;
    - ``correlation_id``: ARM's ``x-ms-correlation-request-id``, Graph's ``innerError["client-request-id"]``,
      Entra ID's ``correlation_id``;
    - ``timestamp``: Graph's ``innerError["date"]``, Entra ID's ``timestamp``, else the ``Date`` header.

    ```python
    except CrossIpamError as err:
        if isinstance(err, ErrorDiagnostics):
            log.error("%s %s", err, err.diagnostics())   # {'code': ..., 'request_id': ..., 'tenant_id': ...}
    ```
    """

    code: str | None = None
    status: int | None = None
    request_id: str | None = None
    correlation_id: str | None = None
    timestamp: str | None = None

    def _set_diagnostics(self, **diagnostics: Unpack[Diagnostics]) -> None:
        self.code = diagnostics.get("code")
        self.status = diagnostics.get("status")
        self.request_id = diagnostics.get("request_id")
        self.correlation_id = diagnostics.get("correlation_id")
        self.timestamp = diagnostics.get("timestamp")

    def diagnostics(self) -> dict[str, str | int]:
        """The fields that are known, with the ``tenant_id``: what to log or quote to support.

        ```python
        err.diagnostics()   # {'code': 'AuthorizationFailed', 'status': 403, 'request_id': '…', 'tenant_id': '…'}
        ```
        """
        values: dict[str, str | int | None] = {
            "code": self.code,
            "status": self.status,
            "request_id": self.request_id,
            "correlation_id": self.correlation_id,
            "timestamp": self.timestamp,
            "tenant_id": getattr(self, "tenant_id", None),
        }
        return {name: value for name, value in values.items() if value is not None}


class Diagnostics(TypedDict, total=False):
    """The keyword arguments of [`ErrorDiagnostics`][crossipam.errors.ErrorDiagnostics], as read from an
    answer by ``arm_error_details``, ``graph_error_details`` or ``entra_error_details``.

    ```python
    raise OnboardingError("…", tenant_id=a, **graph_error_details(response))
    ```
    """

    code: str | None
    status: int | None
    request_id: str | None
    correlation_id: str | None
    timestamp: str | None


# ---- input ------------------------------------------------------------------------------------------


class InvalidInputError(CrossIpamError, ValueError):
    """Bad input, detected before any request is sent.

    ```python
    with pytest.raises(InvalidInputError):
        SubnetSpec("app", 0)
    ```
    """


class InvalidResourceIdError(InvalidInputError):
    """A resource id that is not what the argument needs (e.g. a subnet id where a VNet id is expected).

    ```python
    VirtualNetworkId.parse("/subscriptions/x")   # raises InvalidResourceIdError
    ```
    """


class ConfigurationError(InvalidInputError):
    """Incomplete or invalid configuration (environment variables, endpoints, tenants).

    ```python
    CrossTenantIpamClient.from_environment()   # raises ConfigurationError naming the missing variables
    ```
    """


# ---- credentials ------------------------------------------------------------------------------------


class CredentialError(CrossIpamError, ErrorDiagnostics):
    """A token could not be obtained for ``tenant_id``.

    When Entra ID answered, ``code`` is its ``AADSTS…`` code (``AADSTS7000215``: wrong secret), ``request_id``
    its ``trace_id`` (also [`trace_id`][crossipam.errors.CredentialError.trace_id]), ``correlation_id`` and
    ``timestamp`` its own; ``status`` is the HTTP status when azure-identity kept the response.

    ```python
    except CredentialError as err:
        print("no token for tenant", err.tenant_id, err.code, err.trace_id, err.correlation_id)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        **diagnostics: Unpack[Diagnostics],
    ) -> None:
        super().__init__(message, tenant_id=tenant_id, hint=hint)
        self._set_diagnostics(**diagnostics)

    @property
    def trace_id(self) -> str | None:
        """Entra ID's trace id of the failed token request (the same as ``request_id``).

        ```python
        except CredentialError as err:
            print(err.code, err.trace_id, err.correlation_id)   # AADSTS7000215 <trace id> <correlation id>
        ```
        """
        return self.request_id


class ManagedIdentityNotSupportedError(CredentialError):
    """Managed identities cannot obtain tokens in another tenant, so they cannot supply auxiliary tokens.

    ```python
    CrossTenantIpamClient(ManagedIdentityCredential(), managed_tenant_id=b, management_tenant_id=a)  # raises
    ```
    """


class TenantNotAllowedError(CredentialError):
    """The credential refuses to get tokens for ``tenant_id`` (not in ``additionally_allowed_tenants``).

    ```python
    ClientSecretCredential(b, app, secret, additionally_allowed_tenants=[a])  # the fix
    ```
    """


class TokenTenantMismatchError(CredentialError):
    """The credential answered with a token whose ``tid`` claim (``token_tenant_id``) is not the tenant it was
    asked for (``tenant_id``) — typically a managed identity inside ``DefaultAzureCredential`` or
    ``ChainedTokenCredential``, which ignores ``tenant_id``. ``credential_name`` names the credential that
    answered (``"ManagedIdentityCredential (in DefaultAzureCredential)"``). Raised before the token is used, so
    no request reached Azure with it.

    ```python
    except TokenTenantMismatchError as err:
        print(err.credential_name, err.token_tenant_id, "instead of", err.tenant_id)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        token_tenant_id: str | None = None,
        credential_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.token_tenant_id = token_tenant_id
        self.credential_name = credential_name


class AppNotOnboardedError(CredentialError):
    """Entra ID answered AADSTS700016: the app has no service principal in ``tenant_id``.

    ```python
    except AppNotOnboardedError as err:
        onboard_service_principal(app_id, pool_id, ...)   # see crossipam.onboarding
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        client_id: str = "",
        **diagnostics: Unpack[Diagnostics],
    ) -> None:
        if not diagnostics.get("code"):
            diagnostics["code"] = "AADSTS700016"
        super().__init__(message, tenant_id=tenant_id, hint=hint, **diagnostics)
        self.client_id = client_id


# ---- refusals before writing ------------------------------------------------------------------------


class DeploymentRefusedError(CrossIpamError):
    """crossipam read the virtual network and refused the change before writing anything.

    ```python
    except DeploymentRefusedError as err:
        print(err.resource_id, err)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        resource_id: str | None = None,
    ) -> None:
        super().__init__(message, tenant_id=tenant_id, hint=hint)
        self.resource_id = resource_id


class AllocationDecreaseError(DeploymentRefusedError):
    """An IPAM allocation cannot be decreased (``current`` → ``requested`` addresses).

    ```python
    except AllocationDecreaseError as err:
        print(err.current, err.requested)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        current: int,
        requested: int,
        pool_id: str,
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        resource_id: str | None = None,
    ) -> None:
        super().__init__(message, tenant_id=tenant_id, hint=hint, resource_id=resource_id)
        self.current = current
        self.requested = requested
        self.pool_id = pool_id


class AddressSpaceConflictError(DeploymentRefusedError):
    """The requested address space conflicts with the VNet's (static prefixes, another pool, subnets outside).

    ```python
    client.begin_remove_allocation(vnet_id, address_prefixes=["192.168.0.0/24"])  # subnets outside: raises
    ```
    """


# ---- service errors ---------------------------------------------------------------------------------


class AzureServiceError(CrossIpamError, ErrorDiagnostics):
    """Azure Resource Manager answered with an error.

    Attributes: ``code`` (ARM error code), ``status`` (HTTP status), ``request_id``, ``correlation_id``,
    ``timestamp`` (the ``Date`` header), ``tenant_id``, ``hint``, ``target``.

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
