"""Typed exceptions: one hierarchy rooted in :class:`CrossIpamError`.

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

Errors that come from a service's answer (:class:`ErrorDiagnostics`) keep what support needs: the service's
error ``code``, HTTP ``status``, ``request_id``, ``correlation_id`` and ``timestamp`` — from ARM's
``x-ms-request-id`` / ``x-ms-correlation-request-id`` headers, Microsoft Graph's ``error.innerError``
(``request-id``, ``client-request-id``, ``date``) or Entra ID's error (``AADSTS…`` code, ``trace_id``,
``correlation_id``) — besides the ``tenant_id`` whose token or role is at stake and a remediation ``hint``.
Tokens, secrets and client assertions never appear in them.

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

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from azure.core.exceptions import ServiceRequestError, ServiceResponseError

from ._redact import excerpt, redact

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11; no runtime dependency)
    from typing_extensions import Unpack

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

IPAM_POOL_USER_ROLE_ID = "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037"
ASSOCIATE_ACTION = "Microsoft.Network/networkManagers/ipamPools/associateResourcesToPool/action"


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
        """The hint as the library says it (what :attr:`CrossIpamError.hint` holds).

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

    ``str(err)`` is the message followed by the remediation hint, if any. ``hint`` is always text; when the hint
    names a crossipam operation, ``remedy`` holds it as data (:class:`Remedy`), which the CLI renders as a command.

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
    """Mixin of the errors that come from a service's answer (:class:`CredentialError`,
    :class:`AzureServiceError`, :class:`OnboardingError` and their subclasses): what support needs to find the
    failed request. Each field is ``None`` when the answer did not carry it (or there was no answer).

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
    """The keyword arguments of :class:`ErrorDiagnostics`, as read from an answer by
    :func:`arm_error_details`, :func:`graph_error_details` or :func:`entra_error_details`.

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
    its ``trace_id`` (also :attr:`trace_id`), ``correlation_id`` and ``timestamp`` its own; ``status`` is the
    HTTP status when azure-identity kept the response.

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
        tenant_id: str | None = None,
        hint: str | Remedy | None = None,
        token_tenant_id: str | None = None,
        credential_name: str | None = None,
        **diagnostics: Unpack[Diagnostics],
    ) -> None:
        super().__init__(message, tenant_id=tenant_id, hint=hint, **diagnostics)
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
    ``InvalidAuthenticationToken``, ``InvalidAuthenticationTokenTenant``, …). ``tenant_id`` names the tenant
    whose token is at stake.

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


class OperationFailedError(AzureServiceError):
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


class OperationTimeoutError(AzureServiceError):
    """The resource was still in a non-terminal ``provisioningState`` (``Updating``, ``Deleting``, …) when
    ``operation_timeout`` ran out: an operation on it is still running, so crossipam reports nothing as done.
    ``provisioning_state`` is the state last read.

    ```python
    except OperationTimeoutError as err:
        print(err.resource_id, err.provisioning_state)   # run the call again later
    ```
    """

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


# ---- onboarding -------------------------------------------------------------------------------------


class OnboardingError(CrossIpamError, ErrorDiagnostics):
    """Onboarding (``crossipam.onboarding``) failed; ``completed_steps`` lists what was done before.

    A failure answered by Microsoft Graph, ARM or Entra ID keeps its ``code``, ``status``, ``request_id``,
    ``correlation_id`` and ``timestamp`` (see :class:`ErrorDiagnostics`).

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


# ---- mapping ARM errors -----------------------------------------------------------------------------

_VALIDATION_CODES = frozenset(
    {
        "CannotMixAddressPrefixAndPoolInPayload",
        "CannotHaveDuplicatePoolIds",
        "SubnetPoolsMustBeSubsetOfVnetPools",
        "OnlyOneIpamPoolPerIpTypeAllowed",
        "IpamAllocationCannotBeDecreased",
        "InvalidIpamPoolAllocationNumberOfIpAddresses",
        "InvalidResourceReference",
        "LinkedInvalidPropertyId",
        "NetcfgInvalidSubnet",
        "NetcfgSubnetRangesOverlap",
        "InvalidAddressPrefixFormat",
        "InvalidRequestFormat",
        "InvalidResourceLocation",
        "LocationRequired",
    }
)
_EXHAUSTED_CODES = frozenset(
    {"IpamPoolInsufficientAddressSpace", "IpamPoolExhausted", "InsufficientAddressSpace"}
)
_CONFLICT_CODES = frozenset(
    {"AnotherOperationInProgress", "PreconditionFailed", "PreconditionFailedEtagMismatch", "Conflict"}
)

_HINTS: dict[str, str | Remedy] = {
    "CannotMixAddressPrefixAndPoolInPayload": Remedy(
        "an address space (VNet or subnet) takes either static addressPrefixes or ipamPoolPrefixAllocations, "
        "not both; use {action} to convert a pool allocation into static prefixes",
        "begin_remove_allocation",
        call_syntax=False,
    ),
    "CannotHaveDuplicatePoolIds": "reference each IPAM pool once per address space",
    "SubnetPoolsMustBeSubsetOfVnetPools": (
        "a subnet can only allocate from a pool the VNet itself allocates from; pass that pool as pool_id "
        "(or ipv6_pool_id)"
    ),
    "OnlyOneIpamPoolPerIpTypeAllowed": "a VNet takes space from at most one IPv4 and one IPv6 pool",
    "IpamAllocationCannotBeDecreased": Remedy(
        "an allocation can only grow; remove it ({action}) and deploy again to shrink",
        "begin_remove_allocation",
        call_syntax=False,
    ),
    "InvalidIpamPoolAllocationNumberOfIpAddresses": "number_of_ip_addresses must be a positive integer",
    "InvalidResourceReference": (
        "check that the pool id is right and that the pool and the VNet are in the same region"
    ),
    "NetcfgSubnetRangesOverlap": "two subnets overlap; choose other prefixes or sizes",
    "NetcfgInvalidSubnet": "a subnet lies outside the VNet's address space",
    "AnotherOperationInProgress": (
        "another operation on this VNet is running; wait for it to finish, then retry (crossipam reads the "
        "VNet again)"
    ),
    "PreconditionFailed": "the VNet changed since crossipam read it (ETag mismatch); run the operation again",
    "AuthorizationFailed": (
        "the principal lacks a role on the scope: Network Contributor on the VNet's resource group in the "
        "managed tenant, or IPAM Pool User on the pool in the management tenant"
    ),
    "InvalidAuthenticationTokenTenant": (
        "the token comes from the wrong tenant: managed_tenant_id must own the VNet's subscription and "
        "management_tenant_id the pool's"
    ),
    "ExpiredAuthenticationToken": (
        "ARM says a token expired although azure-core renews tokens 5 minutes before the expiry Entra ID "
        "announced: the machine's clock is probably behind (check NTP), then run the operation again"
    ),
    "InvalidAuthenticationToken": "ARM rejected a token (wrong audience or cloud?); check cloud= endpoints",
    "ResourceGroupNotFound": "create the resource group first (crossipam does not create resource groups)",
    "ResourceNotFound": "check the resource id (subscription, resource group, name)",
    "SubscriptionRequestsThrottled": "ARM throttled the subscription's writes; retry after Retry-After seconds",
    "NetworkManagerConnectionNotConnected": (
        "create the scope connection (management tenant) and the network manager connection (managed "
        "subscription)"
    ),
}

_LINKED_SUB_RX = re.compile(r"linked subscription '([^']+)'", re.IGNORECASE)
_LINKED_SCOPE_RX = re.compile(r"linked scope\(s\) '([^']+)'", re.IGNORECASE)


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except Exception:  # pragma: no cover - exotic header containers
        return None
    return str(value) if value else None


def _json_body(response: Any) -> Any:
    """The JSON body of an azure-core response (``rest`` or legacy transport), ``None`` if there is none."""
    if response is None:
        return None
    try:
        return response.json()
    except Exception:  # a legacy transport response has no .json(), or the body is not JSON
        text = None
    try:
        text = response.text()
        return json.loads(text) if text else None
    except Exception:
        return None


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _status(response: Any) -> int | None:
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def arm_error_details(err: Any) -> Diagnostics:
    """What an azure-core ``HttpResponseError`` from Azure Resource Manager tells support: ``error.code``,
    the HTTP status, ``x-ms-request-id``, ``x-ms-correlation-request-id`` and the ``Date`` header.

    ```python
    except HttpResponseError as err:
        raise OnboardingError("…", **arm_error_details(err)) from err
    ```
    """
    response = getattr(err, "response", None)
    status = getattr(err, "status_code", None)
    code, _ = _error_code_and_message(err)
    return Diagnostics(
        code=code,
        status=status if isinstance(status, int) else _status(response),
        request_id=_header(response, "x-ms-request-id"),
        correlation_id=_header(response, "x-ms-correlation-request-id"),
        timestamp=_header(response, "Date"),
    )


def graph_error_details(response: Any) -> Diagnostics:
    """What a Microsoft Graph error answer tells support: ``error.code``, the HTTP status and
    ``error.innerError``'s ``request-id``, ``client-request-id`` and ``date`` (else the ``request-id``,
    ``client-request-id`` and ``Date`` headers).

    ```python
    graph_error_details(response)["request_id"]   # Graph's request-id
    ```
    """
    body = _json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    inner = error.get("innerError") or error.get("innererror")
    inner = inner if isinstance(inner, dict) else {}
    return Diagnostics(
        code=_text(error.get("code")),
        status=_status(response),
        request_id=_text(inner.get("request-id"))
        or _header(response, "request-id")
        or _header(response, "x-ms-request-id"),
        correlation_id=_text(inner.get("client-request-id"))
        or _header(response, "client-request-id")
        or _header(response, "x-ms-correlation-request-id"),
        timestamp=_text(inner.get("date")) or _header(response, "Date"),
    )


_AADSTS_CODE_RX = re.compile(r"\b(AADSTS\d+)")
_TRACE_ID_RX = re.compile(r"Trace ID: ([0-9A-Fa-f-]{8,})")
_CORRELATION_ID_RX = re.compile(r"Correlation ID: ([0-9A-Fa-f-]{8,})")
_TIMESTAMP_RX = re.compile(r"Timestamp: (\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?Z?)")


def entra_error_details(text: str, response: Any = None) -> Diagnostics:
    """What Entra ID's token error tells support: the ``AADSTS…`` code, ``trace_id`` (as ``request_id``),
    ``correlation_id``, ``timestamp`` and, with the ``response`` azure-identity kept, the HTTP status. The JSON
    body (``error_codes``, ``trace_id``, ``correlation_id``, ``timestamp``) wins; without it they are read from
    the message (``AADSTS7000215: … Trace ID: … Correlation ID: … Timestamp: …``).

    ```python
    except ClientAuthenticationError as err:
        entra_error_details(str(err), err.response)["code"]   # 'AADSTS7000215'
    ```
    """
    body = _json_body(response)
    body = body if isinstance(body, dict) else {}
    described = f"{body.get('error_description') or ''}\n{text}"

    def from_text(rx: re.Pattern[str]) -> str | None:
        found = rx.search(described)
        return found.group(1) if found else None

    codes = body.get("error_codes")
    return Diagnostics(
        code=f"AADSTS{codes[0]}" if isinstance(codes, list) and codes else from_text(_AADSTS_CODE_RX),
        status=_status(response),
        request_id=_text(body.get("trace_id")) or from_text(_TRACE_ID_RX),
        correlation_id=_text(body.get("correlation_id")) or from_text(_CORRELATION_ID_RX),
        timestamp=_text(body.get("timestamp")) or from_text(_TIMESTAMP_RX),
    )


def _error_code_and_message(err: Any) -> tuple[str | None, str]:
    """The ARM ``error.code`` and ``error.message`` of an azure-core ``HttpResponseError``."""
    odata = getattr(err, "error", None)
    code = getattr(odata, "code", None)
    message = getattr(odata, "message", None)
    if code is None:
        response = getattr(err, "response", None)
        try:
            body = response.json() if response is not None else None
        except Exception:
            body = None
        if isinstance(body, dict):
            inner = body.get("error") if isinstance(body.get("error"), dict) else body
            code = inner.get("code") if isinstance(inner, dict) else None
            message = inner.get("message") if isinstance(inner, dict) else None
    if message:  # the service's own sentence (redacted all the same: it may quote a request)
        return (str(code) if code else None), redact(str(message))
    # no error object: quote only the first line of whatever came back, redacted and capped
    return (str(code) if code else None), excerpt(str(getattr(err, "message", None) or err))


def service_error_from_http(
    err: Any,
    *,
    tenant_id: str | None,
    action: str,
    management_tenant_id: str | None = None,
    client_id: str | None = None,
) -> AzureServiceError:
    """Map an azure-core ``HttpResponseError`` to the typed error (keeping code, status and ids).

    ``tenant_id`` is the tenant whose token the request carried; ``management_tenant_id`` names the pool's
    tenant for ``LinkedAuthorizationFailed``.

    ```python
    try:
        sdk_client.virtual_networks.get(rg, name)
    except HttpResponseError as err:
        raise service_error_from_http(err, tenant_id=b, action="read the VNet") from err
    ```
    """
    response = getattr(err, "response", None)
    status = getattr(err, "status_code", None) or getattr(response, "status_code", None)
    if isinstance(err, (ServiceRequestError, ServiceResponseError)) and status is None:
        first = (str(getattr(err, "message", None) or err).strip().splitlines() or [type(err).__name__])[0]
        return TransportError(
            f"no answer from Azure Resource Manager while trying to {action}: {first}",
            tenant_id=tenant_id,
            hint=(
                "the connection failed or timed out after azure-core's retries (retry_total, read_timeout); "
                "check connectivity and run the operation again (it reads before it writes)"
            ),
        )
    code, message = _error_code_and_message(err)
    text = f"Azure Resource Manager refused to {action}: {code or 'HTTP ' + str(status)}: {message}"
    common: dict[str, Any] = dict(arm_error_details(err))
    common["status"] = status
    who = f"app {client_id}" if client_id else "the app"
    if code == "LinkedAuthorizationFailed":
        linked_hint: str | Remedy
        scope_match = _LINKED_SCOPE_RX.search(message)
        sub_match = _LINKED_SUB_RX.search(message)
        if sub_match and not scope_match:
            linked_hint = (
                f"the request carried no usable token for the tenant of linked subscription {sub_match.group(1)}: "
                f"management_tenant_id (now {management_tenant_id}) must be the tenant that owns the pool, and "
                f"{who} must be able to get tokens there (x-ms-authorization-auxiliary)"
            )
        else:
            scope = scope_match.group(1) if scope_match else "the pool"
            linked_hint = Remedy(
                f"{who} has no permission '{ASSOCIATE_ACTION}' on {scope} in the management tenant "
                f"{management_tenant_id}: assign it the 'IPAM Pool User' role ({IPAM_POOL_USER_ROLE_ID}) on the "
                "pool ({action} does it); role changes take up to 10 minutes to apply",
                "crossipam.onboarding.onboard_service_principal",
                call_syntax=False,
            )
        return LinkedAuthorizationError(
            text,
            tenant_id=management_tenant_id or tenant_id,
            hint=linked_hint,
            linked_scope=scope_match.group(1) if scope_match else None,
            **common,
        )
    hint = _HINTS.get(code or "")
    cls: type[AzureServiceError]
    if code in _EXHAUSTED_CODES:
        cls = PoolExhaustedError
        hint = hint or Remedy(
            "the pool has fewer free addresses than requested; check {action} and ask for fewer addresses or a "
            "larger pool",
            "get_pool_usage",
            (("pool_id", None),),
        )
    elif code in _VALIDATION_CODES:
        cls = InvalidAllocationError
    elif code in _CONFLICT_CODES or status in (409, 412):
        cls = ConflictError
    elif status == 429:
        cls = ThrottledError
        hint = hint or _HINTS["SubscriptionRequestsThrottled"]
    elif status == 401:
        cls = AuthenticationError
        if management_tenant_id and "x-ms-authorization-auxiliary" in message.lower():
            tenant_id = management_tenant_id  # the auxiliary (management-tenant) token was refused
    elif status == 403:
        cls = AuthorizationError
    elif status == 404:
        cls = NotFoundError
        hint = hint or _HINTS["ResourceNotFound"]
    else:
        cls = AzureServiceError
        hint = hint or (
            "Azure could not complete the request (a failed or rolled-back operation, or a server error after "
            "azure-core's retries); run the operation again: crossipam reads before it writes, so a re-run "
            "converges"
        )
    return cls(text, tenant_id=tenant_id, hint=hint, **common)
