"""Errors as they come over the wire: the ARM, Microsoft Graph and Entra ID envelope parsers, the one table of
service error codes (`ERROR_CODES`) and the mappings built on them.

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

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Literal

from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError

from ._redact import excerpt, redact
from .errors import (
    AppNotOnboardedError,
    AuthenticationError,
    AuthorizationError,
    AzureServiceError,
    ConflictError,
    CredentialError,
    CrossIpamError,
    Diagnostics,
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
Means = Literal["absent", "exists", "wrong_tenant"]
"""What a code tells about the resource at stake: ``absent`` (the resource itself does not exist — unlike
``ResourceGroupNotFound``), ``exists`` (what was to be created exists already), ``wrong_tenant`` (the token's
tenant does not own the resource's subscription)."""


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
            InvalidAllocationError, "a subnet lies outside the VNet's address space"
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
        "RetryableErrorDueToAnotherOperation": ErrorCode(retry="throttle"),
        # ---- ARM: authorization and tokens
        "AuthorizationFailed": ErrorCode(
            AuthorizationError,
            "the principal lacks a role on the scope: Network Contributor on the VNet's resource group in the "
            "managed tenant, or IPAM Pool User on the pool in the management tenant (static CIDRs need more: "
            "Microsoft.Network/networkManagers/ipamPools/staticCidrs/write and /delete, e.g. Network Contributor)",
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
            "tenant {tenant_id} does not exist in this cloud (check the tenant id and authority host)",
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


# ---- reading answers --------------------------------------------------------------------------------


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


# ---- ARM --------------------------------------------------------------------------------------------


def _arm_error_object(err: Any) -> tuple[object, object]:
    """ARM's ``error.code`` and ``error.message``: as azure-core parsed them, else from the body."""
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
    return code, message


def arm_error_code(err: Any) -> str | None:
    """ARM's ``error.code`` of an azure-core ``HttpResponseError`` (``None`` when the answer has none).

    ```python
    except HttpResponseError as err:
        if error_code(arm_error_code(err)).means == "exists": ...
    ```
    """
    code, _ = _arm_error_object(err)
    return str(code) if code else None


def arm_error_message(err: Any) -> str:
    """ARM's ``error.message`` of an azure-core ``HttpResponseError``, redacted (it may quote a request); without
    an error object, the first line of whatever came back, redacted and capped.

    ```python
    arm_error_message(err)   # "Principal 5f… does not exist in the directory …"
    ```
    """
    _, message = _arm_error_object(err)
    if message:
        return redact(str(message))
    return excerpt(str(getattr(err, "message", None) or err))


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
    return Diagnostics(
        code=arm_error_code(err),
        status=status if isinstance(status, int) else _status(response),
        request_id=_header(response, "x-ms-request-id"),
        correlation_id=_header(response, "x-ms-correlation-request-id"),
        timestamp=_header(response, "Date"),
    )


# ---- Microsoft Graph --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphError:
    """Microsoft Graph's error envelope (``{"error": {"code", "message", "innerError": {…}}}``) as read from an
    answer by `graph_error`.

    ``message`` is ``error.message``, redacted (``None`` when the body has no error object); ``quoted`` is then
    what came back instead (its first line, redacted and capped). ``request_id``, ``correlation_id`` and
    ``timestamp`` come from ``error.innerError`` (``request-id``, ``client-request-id``, ``date``).

    ```python
    graph_error(response).line()   # 'Authorization_RequestDenied: Insufficient privileges …'
    ```
    """

    status: int | None
    code: str | None
    message: str | None
    quoted: str = ""
    request_id: str | None = None
    correlation_id: str | None = None
    timestamp: str | None = None

    def code_and_message(self) -> tuple[str, str]:
        """``(code, message)`` for a sentence: ``""`` for a missing code, what came back for a missing error
        object.

        ```python
        code, message = graph_error(response).code_and_message()
        ```
        """
        return self.code or "", self.message if self.message is not None else self.quoted

    def line(self) -> str:
        """``code: message``, or the code alone; ``HTTP <status>`` when Graph gave no code.

        ```python
        graph_error(response).line()   # 'Request_ResourceNotFound: Resource … does not exist.'
        ```
        """
        code = self.code or f"HTTP {self.status}"
        text = (self.message or "").strip()
        return f"{code}: {text}" if text else code


def graph_error(response: Any) -> GraphError:
    """Read Microsoft Graph's error envelope from an answer — the one Graph error parser (onboarding, readiness
    and [`graph_error_details`][crossipam.errors.graph_error_details] use it).

    ```python
    error = graph_error(response)
    error.code, error.message, error.request_id   # 'Authorization_RequestDenied', '…', '…'
    ```
    """
    body = _json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if body is not None:
            quoted = excerpt(str(body))
        else:
            try:
                quoted = excerpt(str(response.text()))
            except Exception:
                quoted = ""
        return GraphError(_status(response), None, None, quoted)
    inner = error.get("innerError") or error.get("innererror")
    inner = inner if isinstance(inner, dict) else {}
    message = error.get("message")
    return GraphError(
        status=_status(response),
        code=_text(error.get("code")),
        message=redact(str(message)) if message is not None else "",
        request_id=_text(inner.get("request-id")),
        correlation_id=_text(inner.get("client-request-id")),
        timestamp=_text(inner.get("date")),
    )


def graph_error_details(response: Any) -> Diagnostics:
    """What a Microsoft Graph error answer tells support: ``error.code``, the HTTP status and
    ``error.innerError``'s ``request-id``, ``client-request-id`` and ``date`` (else the ``request-id``,
    ``client-request-id`` and ``Date`` headers).

    ```python
    graph_error_details(response)["request_id"]   # Graph's request-id
    ```
    """
    error = graph_error(response)
    return Diagnostics(
        code=error.code,
        status=error.status,
        request_id=error.request_id
        or _header(response, "request-id")
        or _header(response, "x-ms-request-id"),
        correlation_id=error.correlation_id
        or _header(response, "client-request-id")
        or _header(response, "x-ms-correlation-request-id"),
        timestamp=error.timestamp or _header(response, "Date"),
    )


# ---- Entra ID ---------------------------------------------------------------------------------------

_AADSTS_CODE_RX = re.compile(r"\b(AADSTS\d+)")
_AADSTS_NUMBER_RX = re.compile(r"AADSTS(\d+)")
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


def credential_error(
    err: ClientAuthenticationError, *, tenant_id: str, client_id: str | None
) -> CredentialError:
    """Map an azure-identity ``ClientAuthenticationError`` for ``tenant_id`` to a typed error (by its
    ``AADSTS…`` code, through `ERROR_CODES`).

    The error keeps Entra ID's ``AADSTS…`` ``code``, ``trace_id`` (``request_id``), ``correlation_id`` and
    ``timestamp`` — from the response's JSON body when azure-identity kept it (``err.response``), else from the
    message — and the HTTP ``status`` when known. Only the message's first line is kept (never a token, secret
    or client assertion).

    ```python
    except ClientAuthenticationError as err:
        raise credential_error(err, tenant_id=a, client_id=app_id) from err
    ```
    """
    text = str(getattr(err, "message", None) or err)
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    details = entra_error_details(text, getattr(err, "response", None))
    found = _AADSTS_NUMBER_RX.search(text) or _AADSTS_NUMBER_RX.search(details.get("code") or "")
    code = f"AADSTS{found.group(1)}" if found else None
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
