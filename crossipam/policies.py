"""Pipeline policies: the cross-tenant auxiliary-token policy and a network trace that redacts tokens.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import NetworkTraceLoggingPolicy
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy

from .credentials import TenantBoundCredential, validate_tenant_id
from .errors import ConfigurationError

__all__ = [
    "AUXILIARY_HEADER",
    "MAX_AUXILIARY_TENANTS",
    "CrossTenantAuxiliaryPolicy",
    "RedactingNetworkTraceLoggingPolicy",
    "bind_auxiliary_credentials",
]

#: ARM accepts at most this many auxiliary tokens.
MAX_AUXILIARY_TENANTS = 3
AUXILIARY_HEADER = "x-ms-authorization-auxiliary"
_SENSITIVE = ("authorization", AUXILIARY_HEADER)


def bind_auxiliary_credentials(
    credential: TokenCredential, tenant_ids: Sequence[str], *, client_id: str | None = None
) -> list[TenantBoundCredential]:
    """Validate 1 to 3 distinct tenant ids and bind ``credential`` to each.

    ```python
    bind_auxiliary_credentials(credential, [tenant_a])   # [TenantBoundCredential(tenant_id='…')]
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
    return [TenantBoundCredential(credential, t, client_id=client_id) for t in tenants]


class CrossTenantAuxiliaryPolicy(AuxiliaryAuthenticationPolicy):
    """``AuxiliaryAuthenticationPolicy`` with one credential bound per tenant (≤ 3 tenants).

    Tokens come from the credential's cache and are renewed when any is within 5 minutes of expiry.

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
        """The auxiliary tenants, in header order."""
        return tuple(b.tenant_id for b in self._bound)

    def __repr__(self) -> str:
        return f"CrossTenantAuxiliaryPolicy(tenant_ids={self.tenant_ids!r}, scopes={self._scopes!r})"


class RedactingNetworkTraceLoggingPolicy(NetworkTraceLoggingPolicy):
    """azure-core's network trace (``logging_enable=True``) with ``Authorization`` and
    ``x-ms-authorization-auxiliary`` replaced by ``REDACTED`` in the log (the request itself is untouched).

    ```python
    NetworkManagementClient(cred, sub, logging_policy=RedactingNetworkTraceLoggingPolicy(logging_enable=True))
    ```
    """

    def on_request(self, request: PipelineRequest[Any]) -> None:
        headers = request.http_request.headers
        saved = {k: v for k, v in headers.items() if k.lower() in _SENSITIVE}
        if not saved:
            super().on_request(request)
            return
        for k in saved:
            headers[k] = "REDACTED"
        try:
            super().on_request(request)
        finally:
            for k, v in saved.items():
                headers[k] = v
