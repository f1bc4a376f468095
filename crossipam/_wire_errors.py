"""Errors as they come over the wire: the one table of service error codes (`ERROR_CODES`), the mappings built
on it, and (re-exported from ``crossipam._wire_envelopes``, which reads what an answer *says*) the ARM,
Microsoft Graph and Entra ID envelope parsers — import all of them from here.

``crossipam.errors`` says what an error *is* (the types); this module says what an answer *means*: which class
a service error code becomes, its hint, whether and how it may be retried, and what it tells about the
resource. Every decision on a code — the clients' error mapping and conflict handling, onboarding, readiness,
bulk's retries, the credential errors — looks the code up here (``tests/test_architecture.py`` checks that no
other module compares codes or lists them).

```python
from crossipam._wire_errors import error_code, service_error_from_http

error_code("AnotherOperationInProgress").retry    # 'conflict'
error_code("PreconditionFailed").retry            # 'stale': read again at once
error_code("ResourceNotFound").means              # 'absent'
raise service_error_from_http(err, tenant_id=b, action="read the VNet") from err
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Literal

from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError

from ._wire_envelopes import (
    GraphError,
    arm_error_code,
    arm_error_details,
    arm_error_message,
    entra_error_details,
    graph_error,
    graph_error_details,
)
from .errors import (
    AppNotOnboardedError,
    AuthenticationError,
    AuthorizationError,
    AzureServiceError,
    ConflictError,
    CredentialError,
    CrossIpamError,
    InvalidAllocationError,
    LinkedAuthorizationError,
    NotFoundError,
    PoolExhaustedError,
    Remedy,
    TenantNotAllowedError,
    ThrottledError,
    TransportError,
)

__all__ = [
    "ASSOCIATE_ACTION",
    "ERROR_CODES",
    "IPAM_POOL_USER_ROLE_ID",
    "ErrorCode",
    "GraphError",
    "Means",
    "Retry",
    "arm_error_code",
    "arm_error_details",
    "arm_error_message",
    "credential_error",
    "entra_error_details",
    "error_code",
    "graph_error",
    "graph_error_details",
    "hint_for",
    "service_error_from_http",
]

IPAM_POOL_USER_ROLE_ID = "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037"
"""The built-in *IPAM Pool User* role (its permission `ASSOCIATE_ACTION` lets a VNet use a pool's space)."""
ASSOCIATE_ACTION = "Microsoft.Network/networkManagers/ipamPools/associateResourcesToPool/action"

Retry = Literal["throttle", "conflict", "stale", "replication"]
"""How an operation that failed with a code may be retried: ``throttle`` (slow down, wait ``Retry-After``),
``conflict`` (another writer: wait, read again, plan again), ``stale`` (the ETag was stale: read again at
once), ``replication`` (the directory has not replicated a new principal yet: wait and repeat). A failure is
transient by its status (5xx) or for want of an answer, not by its code (``crossipam.bulk.classify``)."""
Means = Literal["absent", "exists", "wrong_tenant", "busy"]
"""What a code tells about the resource at stake: ``absent`` (the resource itself does not exist — unlike
``ResourceGroupNotFound``), ``exists`` (what was to be created exists already), ``wrong_tenant`` (the token's
tenant does not own the resource's subscription), ``busy`` (another operation runs on it or its VNet: wait for
it to end, then read again — whether the answer is a 409 or a 429)."""


@dataclass(frozen=True)
class ErrorCode:
    """What crossipam makes of one service error code: one row of `ERROR_CODES`.

    ``error`` is the class the code becomes (``None``: the HTTP status decides); ``hint`` the remediation (text,
    or a [`Remedy`][crossipam.errors.Remedy] when it names a crossipam operation; Entra ID's hints may hold
    ``{tenant_id}`` and ``{who}``, see `hint_for`); ``retry`` how a failure with it may be retried
    (`Retry`, ``None``: it is final); ``means`` what it tells about the resource (`Means`).

    ```python
    ErrorCode(ConflictError, "run the operation again", retry="conflict")
    ```
    """

    error: type[CrossIpamError] | None = None
    hint: str | Remedy | None = None
    retry: Retry | None = None
    means: Means | None = None


_UNKNOWN = ErrorCode()

_CHECK_USAGE = Remedy(
    "the pool has fewer free addresses than requested; check {action} and ask for fewer addresses or a larger pool",
    "get_pool_usage",
    (("pool_id", None),),
)
_THROTTLED_HINT = "ARM throttled the subscription's writes; retry after Retry-After seconds"
_NOT_FOUND_HINT = "check the resource id (subscription, resource group, name)"
_REMOVE_ALLOCATION = "begin_remove_allocation"

ERROR_CODES: Mapping[str, ErrorCode] = MappingProxyType(
    {
        # ---- ARM: the pool cannot provide the addresses
        "IpamPoolInsufficientAddressSpace": ErrorCode(PoolExhaustedError, _CHECK_USAGE),
        "IpamPoolExhausted": ErrorCode(PoolExhaustedError, _CHECK_USAGE),
        "InsufficientAddressSpace": ErrorCode(PoolExhaustedError, _CHECK_USAGE),
        # ---- ARM: the request is invalid
        "CannotMixAddressPrefixAndPoolInPayload": ErrorCode(
            InvalidAllocationError,
            Remedy(
                "an address space (VNet or subnet) takes either static addressPrefixes or "
                "ipamPoolPrefixAllocations, not both; use {action} to convert a pool allocation into static prefixes",
                _REMOVE_ALLOCATION,
                call_syntax=False,
            ),
        ),
        "CannotHaveDuplicatePoolIds": ErrorCode(
            InvalidAllocationError, "reference each IPAM pool once per address space"
        ),
        "SubnetPoolsMustBeSubsetOfVnetPools": ErrorCode(
            InvalidAllocationError,
            "a subnet can only allocate from a pool the VNet itself allocates from; pass that pool as pool_id "
            "(or ipv6_pool_id)",
        ),
        "OnlyOneIpamPoolPerIpTypeAllowed": ErrorCode(
            InvalidAllocationError, "a VNet takes space from at most one IPv4 and one IPv6 pool"
        ),
        "IpamAllocationCannotBeDecreased": ErrorCode(
            InvalidAllocationError,
            Remedy(
                "an allocation can only grow; remove it ({action}) and deploy again to shrink",
                _REMOVE_ALLOCATION,
                call_syntax=False,
            ),
        ),
        "InvalidIpamPoolAllocationNumberOfIpAddresses": ErrorCode(
            InvalidAllocationError, "number_of_ip_addresses must be a positive integer"
        ),
        "InvalidResourceReference": ErrorCode(
            InvalidAllocationError,
            "check that the pool id is right and that the pool and the VNet are in the same region",
        ),
        "LinkedInvalidPropertyId": ErrorCode(InvalidAllocationError),
        "NetcfgInvalidSubnet": ErrorCode(
            InvalidAllocationError,
            "a subnet lies outside the VNet's address space, or is smaller than Azure allows "
            "(IPv4: a /29, 8 addresses; IPv6: exactly a /64)",
        ),
        "InvalidStaticCidrNumberOfIPAddresses": ErrorCode(
            InvalidAllocationError, "ask for a power of two (16, 128, 256, …) or give the prefixes"
        ),
        "NetcfgSubnetRangesOverlap": ErrorCode(
            InvalidAllocationError, "two subnets overlap; choose other prefixes or sizes"
        ),
        "InvalidAddressPrefixFormat": ErrorCode(InvalidAllocationError),
        "InvalidRequestFormat": ErrorCode(InvalidAllocationError),
        "InvalidResourceLocation": ErrorCode(InvalidAllocationError),
        "LocationRequired": ErrorCode(InvalidAllocationError),
        # ---- ARM: another writer; throttling
        "AnotherOperationInProgress": ErrorCode(
            ConflictError,
            "another operation on this VNet is running; wait for it to finish, then retry (crossipam reads the "
            "VNet again)",
            retry="conflict",
            means="busy",
        ),
        "Conflict": ErrorCode(ConflictError, retry="conflict"),
        "PreconditionFailed": ErrorCode(
            ConflictError,
            "the VNet changed since crossipam read it (ETag mismatch); run the operation again",
            retry="stale",
        ),
        "PreconditionFailedEtagMismatch": ErrorCode(ConflictError, retry="stale"),
        "ReferencedResourceNotProvisioned": ErrorCode(retry="conflict"),
        "SubscriptionRequestsThrottled": ErrorCode(hint=_THROTTLED_HINT, retry="throttle"),
        "TooManyRequests": ErrorCode(retry="throttle"),
        "RetryableErrorDueToAnotherOperation": ErrorCode(retry="throttle", means="busy"),
        # ---- ARM: authorization and tokens
        "AuthorizationFailed": ErrorCode(
            AuthorizationError,
            "a role is missing (Network Contributor on the VNet's resource group, IPAM Pool User on the pool; "
            "static CIDRs need Microsoft.Network/networkManagers/ipamPools/staticCidrs/write and /delete, e.g. "
            "Network Contributor), or the id is wrong: ARM answers 403, not 404, for a scope you cannot read — "
            "check the id as well",
        ),
        "LinkedAuthorizationFailed": ErrorCode(LinkedAuthorizationError),  # hint: _linked_authorization_error
        "InvalidAuthenticationTokenTenant": ErrorCode(
            hint="the token comes from the wrong tenant: managed_tenant_id must own the VNet's subscription and "
            "management_tenant_id the pool's",
            means="wrong_tenant",
        ),
        "ExpiredAuthenticationToken": ErrorCode(
            hint="ARM says a token expired although azure-core renews tokens 5 minutes before the expiry Entra ID "
            "announced: the machine's clock is probably behind (check NTP), then run the operation again"
        ),
        "InvalidAuthenticationToken": ErrorCode(
            hint="ARM rejected a token (wrong audience or cloud?); check cloud= endpoints"
        ),
        # ---- ARM: what exists
        "ResourceGroupNotFound": ErrorCode(
            hint="create the resource group first (crossipam does not create resource groups)"
        ),
        "ResourceNotFound": ErrorCode(hint=_NOT_FOUND_HINT, means="absent"),
        "NotFound": ErrorCode(means="absent"),
        "NetworkManagerConnectionNotConnected": ErrorCode(
            hint="create the scope connection (management tenant) and the network manager connection (managed "
            "subscription)"
        ),
        # ---- ARM (Microsoft.Authorization), as onboarding meets them
        "PrincipalNotFound": ErrorCode(retry="replication"),
        "RoleAssignmentExists": ErrorCode(means="exists"),
        # ---- Entra ID (azure-identity's ClientAuthenticationError)
        "AADSTS700016": ErrorCode(
            AppNotOnboardedError,
            Remedy(
                "{who} is not onboarded in tenant {tenant_id} (AADSTS700016: no service principal there). Make "
                "the app registration multitenant in its home tenant and create its service principal in tenant "
                "{tenant_id} ({action})",
                "crossipam.onboarding.onboard_service_principal",
                call_syntax=False,
            ),
        ),
        "AADSTS7000215": ErrorCode(CredentialError, "the client secret is wrong or expired"),
        "AADSTS700027": ErrorCode(
            CredentialError, "the certificate is not registered on the app, or the assertion is invalid"
        ),
        "AADSTS90002": ErrorCode(
            CredentialError,
            "tenant {tenant_id} does not exist in this cloud: check the tenant id and the authority host",
        ),
        "AADSTS7000222": ErrorCode(CredentialError, "the client secret expired; create a new one"),
        "AADSTS70021": ErrorCode(
            CredentialError,
            "no federated credential on the app matches the assertion (issuer/subject/audience)",
        ),
        "AADSTS700021": ErrorCode(
            CredentialError, "the client assertion's iss and sub must both be the app's client id"
        ),
        "AADSTS700023": ErrorCode(
            CredentialError,
            "the client assertion's audience is not this tenant's token endpoint: check the authority host (cloud) "
            "the credential uses",
        ),
        "AADSTS700024": ErrorCode(
            CredentialError,
            "the client assertion expired or is not yet valid: check this machine's clock, or renew the federated "
            "token file",
        ),
        "AADSTS700212": ErrorCode(
            CredentialError,
            "no federated credential on the app accepts the assertion's audience (usually "
            "api://AzureADTokenExchange)",
        ),
        "AADSTS700213": ErrorCode(
            CredentialError, "no federated credential on the app matches the assertion's issuer and subject"
        ),
    }
)
"""The one table: service error code → `ErrorCode` (class, hint, retryability, meaning). ARM codes as
``error.code``, Entra ID's as ``AADSTS`` + the number. A code that is not here is mapped by its HTTP status
([`service_error_from_http`][crossipam.errors.service_error_from_http])."""


def error_code(code: str | None) -> ErrorCode:
    """The row of `ERROR_CODES` for ``code``; an empty row (every field ``None``) for an unknown code or
    ``None``.

    ```python
    error_code("PreconditionFailed").retry   # 'stale'
    error_code("SomethingNew").error         # None: the HTTP status decides
    ```
    """
    return ERROR_CODES.get(code or "", _UNKNOWN)


def hint_for(code: str | None, **context: str) -> str | Remedy | None:
    """The hint of ``code`` with ``context`` filled in (``tenant_id``, ``who`` in Entra ID's hints); a
    [`Remedy`][crossipam.errors.Remedy] keeps its ``{action}`` for the front end to fill.

    ```python
    hint_for("AADSTS90002", tenant_id=a, who="app x")   # 'tenant … does not exist in this cloud (…)'
    ```
    """
    hint = error_code(code).hint
    if hint is None or not context:
        return hint
    if isinstance(hint, Remedy):
        return replace(hint, text=hint.text.format(action="{action}", **context))
    return hint.format(**context)


# ---- mapping Entra ID errors ------------------------------------------------------------------------

_AADSTS_NUMBER_RX = re.compile(r"AADSTS(\d+)")


def credential_error(
    err: ClientAuthenticationError, *, tenant_id: str, client_id: str | None
) -> CredentialError:
    """Map an azure-identity ``ClientAuthenticationError`` for ``tenant_id`` to a typed error (by its
    ``AADSTS…`` code, through `ERROR_CODES`).

    The error keeps Entra ID's ``AADSTS…`` ``code``, ``trace_id`` (``request_id``), ``correlation_id`` and
    ``timestamp`` — from the response's JSON body when azure-identity kept it (``err.response``), else from the
    message — and the HTTP ``status`` when known. Only the message's first line is kept (never a token, secret
    or client assertion).

    Args:
        err: The error azure-identity raised.
        tenant_id: The tenant a token was asked for.
        client_id: The app (client) id, when known (named in the hint).

    ```python
    except ClientAuthenticationError as err:
        raise credential_error(err, tenant_id=a, client_id=app_id) from err
    ```
    """
    text = str(getattr(err, "message", None) or err)
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    details = entra_error_details(text, getattr(err, "response", None))
    found = _AADSTS_NUMBER_RX.search(text) or _AADSTS_NUMBER_RX.search(details.get("code") or "")
    unknown_tenant = "Unable to get authority configuration" in text  # MSAL, when Entra ID says AADSTS90002
    code = f"AADSTS{found.group(1)}" if found else "AADSTS90002" if unknown_tenant else None
    who = f"app {client_id}" if client_id else "the app"
    message = f"could not get a token for tenant {tenant_id}: {first}"
    hint = hint_for(code, tenant_id=tenant_id, who=who)
    if error_code(code).error is AppNotOnboardedError:
        return AppNotOnboardedError(
            message, tenant_id=tenant_id, client_id=client_id or "", hint=hint, **details
        )
    if "additionally_allowed_tenants" in text or "AZURE_IDENTITY_DISABLE_MULTITENANTAUTH" in text:
        return TenantNotAllowedError(
            message,
            tenant_id=tenant_id,
            hint=f"create the credential with additionally_allowed_tenants=['{tenant_id}']",
            **details,
        )
    return CredentialError(message, tenant_id=tenant_id, hint=hint, **details)


# ---- mapping ARM errors -----------------------------------------------------------------------------

_LINKED_SUB_RX = re.compile(r"linked subscription '([^']+)'", re.IGNORECASE)
_LINKED_SCOPE_RX = re.compile(r"linked scope\(s\) '([^']+)'", re.IGNORECASE)

_NO_ANSWER_HINT = (
    "the connection failed or timed out after azure-core's retries (retry_total, read_timeout); check "
    "connectivity and run the operation again (it reads before it writes)"
)
_SERVER_ERROR_HINT = (
    "Azure could not complete the request (a failed or rolled-back operation, or a server error after "
    "azure-core's retries); run the operation again: crossipam reads before it writes, so a re-run converges"
)


def _linked_authorization_error(
    text: str,
    message: str,
    *,
    tenant_id: str | None,
    management_tenant_id: str | None,
    who: str,
    common: dict[str, Any],
) -> LinkedAuthorizationError:
    """403 ``LinkedAuthorizationFailed``: no usable auxiliary token (the message names the linked subscription),
    or no *IPAM Pool User* on the pool (it names the linked scope)."""
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
            "pool ({action} does it); roles apply within 10 minutes — or the pool id is wrong: check it",
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


def service_error_from_http(
    err: Any,
    *,
    tenant_id: str | None,
    action: str,
    management_tenant_id: str | None = None,
    client_id: str | None = None,
) -> AzureServiceError:
    """Map an azure-core ``HttpResponseError`` to the typed error (keeping code, status and ids): the class
    and hint of its code in `ERROR_CODES`, else of its HTTP status.

    ``tenant_id`` is the tenant whose token the request carried; ``management_tenant_id`` names the pool's
    tenant for ``LinkedAuthorizationFailed``.

    Args:
        err: The azure-core error (an ``HttpResponseError``, or a transport error with no answer).
        tenant_id: The tenant whose token the request carried.
        action: What was being done, for the message (``read the VNet``).
        management_tenant_id: The pool's tenant, named for ``LinkedAuthorizationFailed``.
        client_id: The app (client) id, when known (named in hints).

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
            hint=_NO_ANSWER_HINT,
        )
    code, message = arm_error_code(err), arm_error_message(err)
    text = f"Azure Resource Manager refused to {action}: {code or 'HTTP ' + str(status)}: {message}"
    common: dict[str, Any] = dict(arm_error_details(err))
    common["status"] = status
    who = f"app {client_id}" if client_id else "the app"
    entry = error_code(code)
    if entry.error is LinkedAuthorizationError:
        return _linked_authorization_error(
            text,
            message,
            tenant_id=tenant_id,
            management_tenant_id=management_tenant_id,
            who=who,
            common=common,
        )
    hint = entry.hint
    cls: type[AzureServiceError]
    if entry.error is not None and issubclass(entry.error, AzureServiceError):
        cls = entry.error
    elif status in (409, 412):
        cls = ConflictError
    elif status == 429:
        cls = ThrottledError
        hint = hint or _THROTTLED_HINT
    elif status == 401:
        cls = AuthenticationError
        if management_tenant_id and "x-ms-authorization-auxiliary" in message.lower():
            tenant_id = management_tenant_id  # the auxiliary (management-tenant) token was refused
    elif status == 403:
        cls = AuthorizationError
    elif status == 404:
        cls = NotFoundError
        hint = hint or _NOT_FOUND_HINT
    else:
        cls = AzureServiceError
        hint = hint or _SERVER_ERROR_HINT
    return cls(text, tenant_id=tenant_id, hint=hint, **common)
