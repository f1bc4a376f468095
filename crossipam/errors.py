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
(defined in ``_error_base`` and ``_service_errors``, shown and imported here) only: which class, hint and retryability a service's error code gets is decided by one table,
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

from typing import TYPE_CHECKING, Any

from ._error_base import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    AppNotOnboardedError,
    ConfigurationError,
    CredentialError,
    CrossIpamError,
    DeploymentRefusedError,
    Diagnostics,
    ErrorDiagnostics,
    InvalidInputError,
    InvalidResourceIdError,
    ManagedIdentityNotSupportedError,
    Remedy,
    TenantNotAllowedError,
    TokenTenantMismatchError,
)
from ._service_errors import (
    AdminCredentialError,
    ApplicationNotFoundError,
    AuthenticationError,
    AuthorizationError,
    AzureServiceError,
    ConflictError,
    CrossTenantConnectionError,
    InsufficientPrivilegesError,
    InvalidAllocationError,
    LinkedAuthorizationError,
    NotFoundError,
    OnboardingError,
    OperationFailedError,
    OperationTimeoutError,
    PoolExhaustedError,
    ReplicationPendingError,
    RoleDefinitionNotFoundError,
    ThrottledError,
    TransportError,
)

if TYPE_CHECKING:
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

for _name in __all__:  # tracebacks and reprs name the public module: crossipam.errors.NotFoundError
    _type = globals().get(_name)
    if isinstance(_type, type):
        _type.__module__ = __name__
del _name, _type

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
