"""Async credentials: the tenant binding for ``AsyncTokenCredential`` and azure.identity.aio factories.

```python
from azure.identity.aio import ClientSecretCredential
from crossipam.aio._credentials import AsyncTenantBoundCredential

credential = ClientSecretCredential(tenant_b, app_id, secret, additionally_allowed_tenants=[tenant_a])
token = await AsyncTenantBoundCredential(credential, tenant_a).get_token("https://management.azure.com/.default")
```
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, cast

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.credentials_async import AsyncTokenCredential
from azure.mgmt.core.policies import AsyncAuxiliaryAuthenticationPolicy

from ..credentials import (
    BoundCredentialBase,
    bound_token_options,
    build_certificate_credential,
    build_secret_credential,
    build_workload_identity_credential,
    credential_name,
)
from ..errors import ConfigurationError, CredentialError
from ..policies import auxiliary_tenant_ids

__all__ = [
    "AsyncCrossTenantAuxiliaryPolicy",
    "AsyncTenantBoundCredential",
    "async_certificate_credential",
    "async_secret_credential",
    "async_workload_identity_credential",
]


class AsyncTenantBoundCredential(BoundCredentialBase[AsyncTokenCredential]):
    """An ``AsyncTokenCredential`` that always asks ``credential`` for tokens of ``tenant_id`` and checks them
    — the async twin of [`crossipam.credentials.TenantBoundCredential`][] (same tenant forcing, same token
    checks, same error mapping). A sync credential is refused with a
    [`CredentialError`][crossipam.errors.CredentialError] saying so.

    ```python
    token = await AsyncTenantBoundCredential(credential, tenant_a).get_token(scope)
    ```
    """

    async def _answer(self, call: Any) -> Any:
        """Await what the credential's method returned (refusing a sync credential's plain answer)."""
        if not inspect.isawaitable(call):
            raise CredentialError(
                f"{credential_name(self._credential)} is not an async credential: its get_token returned "
                f"{type(call).__name__} for tenant {self.tenant_id}, not an awaitable",
                tenant_id=self.tenant_id,
                hint="crossipam.aio needs an AsyncTokenCredential (azure.identity.aio); use crossipam's sync "
                "client with a sync credential",
            )
        return await call

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A checked token for ``self.tenant_id`` (a different ``tenant_id`` argument is ignored).

        ```python
        await bound.get_token("https://management.azure.com/.default")
        ```
        """
        with self._typed_failures():
            token = await self._answer(self._credential.get_token(*scopes, **self._token_kwargs(kwargs)))
        return cast(AccessToken, self._checked(token))

    async def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        """``get_token_info`` with ``tenant_id`` forced, checked (falls back to ``get_token`` on older
        credentials).

        ```python
        await bound.get_token_info("https://management.azure.com/.default")
        ```
        """
        opts, legacy = bound_token_options(self.tenant_id, self._forward_tenant, options)
        inner = getattr(self._credential, "get_token_info", None)
        with self._typed_failures():
            call = inner(*scopes, options=opts) if inner else self._credential.get_token(*scopes, **legacy)
            answer = await self._answer(call)
        return self._token_info(self._checked(answer), native=inner is not None)

    async def close(self) -> None:
        """No-op: the wrapped credential belongs to whoever created it.

        ```python
        await bound.close()     # the wrapped credential stays open
        ```
        """

    async def __aenter__(self) -> AsyncTenantBoundCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return (
            f"AsyncTenantBoundCredential(tenant_id={self.tenant_id!r}, "
            f"credential={type(self._credential).__name__})"
        )


class AsyncCrossTenantAuxiliaryPolicy(AsyncAuxiliaryAuthenticationPolicy):
    """azure-mgmt-core's ``AsyncAuxiliaryAuthenticationPolicy`` with one credential bound per tenant (≤ 3).

    ```python
    policy = AsyncCrossTenantAuxiliaryPolicy(credential, [tenant_a], "https://management.azure.com/.default")
    ```
    """

    def __init__(
        self,
        credential: AsyncTokenCredential,
        tenant_ids: Sequence[str],
        *scopes: str,
        client_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not scopes:
            raise ConfigurationError("AsyncCrossTenantAuxiliaryPolicy needs the ARM token scope")
        bound = [
            AsyncTenantBoundCredential(credential, t, client_id=client_id)
            for t in auxiliary_tenant_ids(tenant_ids)
        ]
        super().__init__(bound, *scopes, **kwargs)
        self._bound = bound

    @property
    def tenant_ids(self) -> tuple[str, ...]:
        """The auxiliary tenants, in header order.

        ```python
        policy.tenant_ids     # ('<tenant A>',)
        ```
        """
        return tuple(b.tenant_id for b in self._bound)


def async_secret_credential(client_id: str, client_secret: str, **kwargs: Any) -> AsyncTokenCredential:
    """An azure.identity.aio ``ClientSecretCredential`` of the managed tenant allowed in the management tenant
    (keywords as [`crossipam.credentials.build_secret_credential`][]).

    ```python
    async_secret_credential(app_id, secret, managed_tenant_id=b, management_tenant_id=a, cloud=CloudEndpoints())
    ```
    """
    import azure.identity.aio

    return cast(
        AsyncTokenCredential, build_secret_credential(azure.identity.aio, client_id, client_secret, **kwargs)
    )


def async_certificate_credential(
    client_id: str, certificate_path: str | None = None, **kwargs: Any
) -> AsyncTokenCredential:
    """An azure.identity.aio ``CertificateCredential`` allowed in both tenants.

    ```python
    async_certificate_credential(app_id, "app.pem", managed_tenant_id=b, management_tenant_id=a,
                                 cloud=CloudEndpoints())
    ```
    """
    import azure.identity.aio

    return cast(
        AsyncTokenCredential,
        build_certificate_credential(azure.identity.aio, client_id, certificate_path, **kwargs),
    )


def async_workload_identity_credential(
    client_id: str, token_file_path: str, **kwargs: Any
) -> AsyncTokenCredential:
    """An azure.identity.aio ``WorkloadIdentityCredential`` allowed in both tenants.

    ```python
    async_workload_identity_credential(app_id, "/var/run/token", managed_tenant_id=b, management_tenant_id=a,
                                       cloud=CloudEndpoints())
    ```
    """
    import azure.identity.aio

    return cast(
        AsyncTokenCredential,
        build_workload_identity_credential(azure.identity.aio, client_id, token_file_path, **kwargs),
    )
