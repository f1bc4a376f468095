"""Pipeline policies: the cross-tenant auxiliary-token policy, a network trace that redacts tokens, and the
tolerant ``Retry-After`` reading shared by the pipelines and the bulk layer.

``CrossTenantAuxiliaryPolicy`` builds on azure-mgmt-core's ``AuxiliaryAuthenticationPolicy``: it binds one
credential to each auxiliary tenant (at most 3, as ARM allows) and adds
``x-ms-authorization-auxiliary: Bearer <token A>[, …]`` to every request of the client — LRO polls and the
final GET included. Install it with ``per_retry_policies`` (never as ``authentication_policy``, which would
drop the ``Authorization`` header).

```python
from azure.mgmt.network import NetworkManagementClient
from crossipam.policies import CrossTenantAuxiliaryPolicy

aux = CrossTenantAuxiliaryPolicy(credential, [tenant_a], "https://management.azure.com/.default")
client = NetworkManagementClient(credential, sub_b, per_retry_policies=[aux])
```

``Retry-After`` (and ``retry-after-ms`` / ``x-ms-retry-after-ms``) is read in one place,
[`parse_retry_after`][crossipam.policies.parse_retry_after]: a non-negative number of seconds (milliseconds
for the ``-ms`` headers) or an HTTP date; anything else (``soon``, ``0.5x``, ``-3``, ``inf``, empty) counts as
absent, so the normal backoff applies. azure-core's own parser raises ``ValueError`` on such a value (from
inside ``RetryPolicy`` or the LRO poller), so every ARM pipeline crossipam builds carries
[`RetryAfterPolicy`][crossipam.policies.RetryAfterPolicy], which drops an unreadable value from the response
before azure-core reads it.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Sequence
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import NetworkTraceLoggingPolicy, SansIOHTTPPolicy
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy

from ._redact import redact
from ._retry_after import RETRY_AFTER_HEADERS, parse_retry_after, retry_after_from_headers
from .credentials import TenantBoundCredential, validate_tenant_id
from .errors import ConfigurationError

__all__ = [
    "AUXILIARY_HEADER",
    "MAX_AUXILIARY_TENANTS",
    "RETRY_AFTER_HEADERS",
    "CrossTenantAuxiliaryPolicy",
    "RedactingNetworkTraceLoggingPolicy",
    "RetryAfterPolicy",
    "auxiliary_tenant_ids",
    "bind_auxiliary_credentials",
    "parse_retry_after",
    "redact",
    "retry_after_from_headers",
]

MAX_AUXILIARY_TENANTS = 3
"""ARM accepts at most this many auxiliary tokens."""
AUXILIARY_HEADER = "x-ms-authorization-auxiliary"
_SENSITIVE = ("authorization", AUXILIARY_HEADER)
_TRACE_LOGGER = logging.getLogger("azure.core.pipeline.policies._universal")
"""azure-core's network-trace logger (the one NetworkTraceLoggingPolicy writes to)."""
_LOGGER = logging.getLogger("crossipam.policies")


class RetryAfterPolicy(SansIOHTTPPolicy[Any, Any]):
    """Drops an unreadable ``Retry-After`` / ``retry-after-ms`` / ``x-ms-retry-after-ms`` value from a
    response before azure-core reads it, so that ``RetryPolicy`` and the LRO poller fall back to their normal
    backoff or polling interval instead of raising ``ValueError`` (azure-core 1.41 parses ``"soon"`` as an
    HTTP date and fails). Readable values (see [`parse_retry_after`][crossipam.policies.parse_retry_after])
    are left as they are. Install it among ``per_retry_policies`` (it must sit after ``RetryPolicy``); it
    works in sync and async pipelines.

    ```python
    client = NetworkManagementClient(credential, sub_b, per_retry_policies=[RetryAfterPolicy()])
    ```
    """

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        """Remove the unreadable wait headers of ``response`` (called by the pipeline).

        Args:
            request: The request the response answers (not used).
            response: The response whose headers are read, and changed when a wait header is unreadable.

        ```python
        RetryAfterPolicy().on_response(request, response)   # 'Retry-After: soon' is gone afterwards
        ```
        """
        headers = response.http_response.headers
        for name, unit in RETRY_AFTER_HEADERS:
            raw = headers.get(name)
            if raw is None or parse_retry_after(raw, unit=unit) is not None:
                continue
            try:
                del headers[name]
            except (KeyError, TypeError) as err:  # pragma: no cover - an immutable header mapping
                _LOGGER.debug("could not drop unreadable %s header: %s", name, type(err).__name__)
                continue
            _LOGGER.debug("ignored an unreadable %s header (%r): treated as absent", name, str(raw)[:40])

    def __repr__(self) -> str:
        return "RetryAfterPolicy()"


def auxiliary_tenant_ids(tenant_ids: Sequence[str]) -> list[str]:
    """Validate 1 to 3 distinct auxiliary tenant ids (lower-cased, duplicates dropped; sync and async policies).

    Args:
        tenant_ids: The tenants, each a GUID (a single string is refused).

    ```python
    auxiliary_tenant_ids([tenant_a, tenant_a.upper()])   # [tenant_a]
    ```
    """
    if isinstance(tenant_ids, str):
        raise ConfigurationError("tenant_ids must be a sequence of tenant ids, not a string")
    tenants: list[str] = []
    for i, t in enumerate(tenant_ids):
        tid = validate_tenant_id(t, f"auxiliary tenant #{i + 1}")
        if tid not in tenants:
            tenants.append(tid)
    if not tenants:
        raise ConfigurationError("at least one auxiliary tenant is required")
    if len(tenants) > MAX_AUXILIARY_TENANTS:
        raise ConfigurationError(
            f"ARM accepts at most {MAX_AUXILIARY_TENANTS} auxiliary tokens; got {len(tenants)} tenants"
        )
    return tenants


def bind_auxiliary_credentials(
    credential: TokenCredential, tenant_ids: Sequence[str], *, client_id: str | None = None
) -> list[TenantBoundCredential]:
    """Validate 1 to 3 distinct tenant ids and bind ``credential`` to each.

    Args:
        credential: The app's credential, allowed to get tokens in each of ``tenant_ids``.
        tenant_ids: The auxiliary tenants, checked by
            [`auxiliary_tenant_ids`][crossipam.policies.auxiliary_tenant_ids].
        client_id: The app's client id, named in credential errors.

    ```python
    bind_auxiliary_credentials(credential, [tenant_a])   # [TenantBoundCredential(tenant_id='…')]
    ```
    """
    return [
        TenantBoundCredential(credential, t, client_id=client_id) for t in auxiliary_tenant_ids(tenant_ids)
    ]


class CrossTenantAuxiliaryPolicy(AuxiliaryAuthenticationPolicy):
    """``AuxiliaryAuthenticationPolicy`` with one credential bound per tenant (≤ 3 tenants).

    Tokens come from the credential's cache and are renewed when any is within 5 minutes of expiry.

    Args:
        credential: The app's credential, allowed to get tokens in each of ``tenant_ids``.
        tenant_ids: 1 to 3 auxiliary tenants (GUIDs), in header order.
        *scopes: The ARM token scope (required), e.g. ``"https://management.azure.com/.default"``.
        client_id: The app's client id, named in credential errors.
        **kwargs: Passed on to azure-core's ``AuxiliaryAuthenticationPolicy``.

    ```python
    policy = CrossTenantAuxiliaryPolicy(credential, [tenant_a], "https://management.azure.com/.default")
    policy.tenant_ids   # ('aaaaaaaa-…',)
    ```
    """

    def __init__(
        self,
        credential: TokenCredential,
        tenant_ids: Sequence[str],
        *scopes: str,
        client_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not scopes:
            raise ConfigurationError("CrossTenantAuxiliaryPolicy needs the ARM token scope")
        bound = bind_auxiliary_credentials(credential, tenant_ids, client_id=client_id)
        super().__init__(bound, *scopes, **kwargs)
        self._bound = bound

    @property
    def tenant_ids(self) -> tuple[str, ...]:
        """The auxiliary tenants, in header order.

        ```python
        CrossTenantAuxiliaryPolicy(credential, [tenant_a], scope).tenant_ids    # (tenant_a,)
        ```
        """
        return tuple(b.tenant_id for b in self._bound)

    def __repr__(self) -> str:
        return f"CrossTenantAuxiliaryPolicy(tenant_ids={self.tenant_ids!r}, scopes={self._scopes!r})"


class RedactingNetworkTraceLoggingPolicy(NetworkTraceLoggingPolicy):
    """azure-core's network trace (``logging_enable=True``) with secrets redacted in the log (the request itself
    is untouched): the ``Authorization`` and ``x-ms-authorization-auxiliary`` headers, token-endpoint form
    fields (``client_secret``, ``client_assertion``, …), token-response fields (``access_token``, …) and
    anything that looks like a JWT (``eyJ…``) become ``REDACTED``.

    ```python
    NetworkManagementClient(cred, sub, logging_policy=RedactingNetworkTraceLoggingPolicy(logging_enable=True))
    ```
    """

    def on_request(self, request: PipelineRequest[Any]) -> None:
        """Log the outgoing request (URL, method, headers, body) with secrets redacted; called by the pipeline.

        Args:
            request: The request; its ``logging_enable`` option (else the policy's) turns the trace on.

        ```python
        pipeline = Pipeline(transport, policies=[RedactingNetworkTraceLoggingPolicy(logging_enable=True)])
        ```
        """
        http_request = request.http_request
        options = request.context.options
        logging_enable = options.pop("logging_enable", self.enable_http_logger)
        request.context["logging_enable"] = logging_enable
        if not logging_enable or not _TRACE_LOGGER.isEnabledFor(logging.DEBUG):
            return
        try:
            lines = [
                f"Request URL: '{redact(str(http_request.url))}'",
                f"Request method: '{http_request.method}'",
            ]
            lines.append("Request headers:")
            for header, value in http_request.headers.items():
                shown = "REDACTED" if header.lower() in _SENSITIVE else redact(str(value))
                lines.append(f"    '{header}': '{shown}'")
            body = http_request.body
            if isinstance(body, (types.GeneratorType, types.AsyncGeneratorType)):
                lines.append("Request body:\nFile upload")
            elif body:
                text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
                lines.append("Request body:\n" + redact(text))
            else:
                lines.append("Request body:\nThis request has no body")
            _TRACE_LOGGER.debug("\n".join(lines))
        except Exception as err:  # pragma: no cover - never let logging break a request
            _TRACE_LOGGER.debug("Failed to log request: %s", type(err).__name__)

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        """Log the response (status, headers, body) with secrets redacted; called by the pipeline.

        Args:
            request: The request it answers (its context says whether the trace is on).
            response: The response to log.

        ```python
        client.get_pool_usage(pool_id)    # with logging_enable=True: "Response content: {...}" at DEBUG
        ```
        """
        http_response = response.http_response
        if not response.context.get("logging_enable") or not _TRACE_LOGGER.isEnabledFor(logging.DEBUG):
            return
        try:
            lines = [f"Response status: '{http_response.status_code}'", "Response headers:"]
            for header, value in http_response.headers.items():
                lines.append(f"    '{header}': '{redact(str(value))}'")
            content_type = str(http_response.headers.get("content-type", ""))
            if content_type.endswith("octet-stream") or content_type.startswith("image"):
                lines.append("Response content:\nBody contains binary data.")
            else:
                try:
                    lines.append("Response content:\n" + redact(http_response.text()))
                except Exception:  # streamed
                    lines.append("Response content:\nBody is streamable.")
            _TRACE_LOGGER.debug("\n".join(lines))
        except Exception as err:  # pragma: no cover
            _TRACE_LOGGER.debug("Failed to log response: %s", type(err).__name__)
