"""Multitenant credentials: one app identity, tokens for the managed tenant (B) and the management tenant (A).

An app registered in tenant B and onboarded into tenant A gets tokens for both with a single azure-identity
credential created with ``additionally_allowed_tenants=[A]``: ``get_token(scope)`` answers for B and
``get_token(scope, tenant_id=A)`` for A, both cached by MSAL (one token request per tenant per lifetime).
azure-core policies call ``get_token(*scopes)`` without ``tenant_id``, so each tenant gets a
[`TenantBoundCredential`][crossipam.credentials.TenantBoundCredential] that forwards it.

```python
from azure.identity import ClientSecretCredential
from crossipam.credentials import TenantBoundCredential, validate_multitenant_credential

credential = ClientSecretCredential(tenant_b, app_id, secret, additionally_allowed_tenants=[tenant_a])
validate_multitenant_credential(credential, managed_tenant_id=tenant_b, management_tenant_id=tenant_a)
for_a = TenantBoundCredential(credential, tenant_a)
for_a.get_token("https://management.azure.com/.default")     # a tenant-A token
```

Every token a [`TenantBoundCredential`][crossipam.credentials.TenantBoundCredential] hands to a pipeline (the
bearer token and each auxiliary token) is checked before it is used, so nothing reaches Azure with a wrong
token:

* the ``tid`` claim of the JWT (its payload is decoded, the signature is not verified: Azure checks it) must
  be the bound tenant, else [`TokenTenantMismatchError`][crossipam.errors.TokenTenantMismatchError] naming the
  credential that answered (``ManagedIdentityCredential (in DefaultAzureCredential)``: a managed identity
  ignores ``tenant_id``) and both tenants. A token that is not a JWT, or has no ``tid``, is not checked
  (logged at DEBUG): Entra ID access tokens for ARM are JWTs, so only exotic credentials skip the check;
* a credential that raises anything (not only azure-identity's ``ClientAuthenticationError``), or returns
  ``None`` or something without a ``token`` string and numeric ``expires_on``, becomes a
  [`CredentialError`][crossipam.errors.CredentialError] naming the credential and the tenant.

The factories ([`certificate_credential`][crossipam.credentials.certificate_credential],
[`workload_identity_credential`][crossipam.credentials.workload_identity_credential] and their ``build_…`` /
async twins) refuse a missing or unreadable certificate or federated-token file at construction with
[`ConfigurationError`][crossipam.errors.ConfigurationError] naming the file.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from types import ModuleType
from typing import Any, cast

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential, TokenRequestOptions

from ._redact import describe
from ._token_checks import (
    BoundCredentialBase,
    bound_token_kwargs,
    bound_token_options,
    check_access_token,
    credential_name,
    token_failure,
    token_tenant_id,
    unexpected_credential_error,
)
from ._wire_errors import credential_error
from .errors import (
    ConfigurationError,
    ManagedIdentityNotSupportedError,
    TenantNotAllowedError,
)
from .models import CloudEndpoints

__all__ = [
    "CREDENTIAL_PIPELINE_KWARGS",
    "BoundCredentialBase",
    "TenantBoundCredential",
    "authority_kwargs",
    "bound_token_kwargs",
    "bound_token_options",
    "certificate_credential",
    "check_access_token",
    "credential_error",
    "credential_name",
    "credential_pipeline_kwargs",
    "is_managed_identity",
    "secret_credential",
    "token_failure",
    "token_tenant_id",
    "unexpected_credential_error",
    "validate_multitenant_credential",
    "validate_tenant_id",
    "workload_identity_credential",
]

_LOGGER = logging.getLogger("crossipam.credentials")

CREDENTIAL_PIPELINE_KWARGS = frozenset(
    {
        "transport",
        "connection_verify",
        "connection_cert",
        "connection_timeout",
        "read_timeout",
        "retry_total",
        "retry_connect",
        "retry_read",
        "retry_status",
        "retry_backoff_factor",
        "retry_backoff_max",
        "retry_mode",
        "proxies",
        "user_agent",
    }
)
"""azure-core keyword arguments crossipam forwards to the credentials it builds. ``logging_enable`` is
deliberately absent: azure-core's network trace would log the token request body (client secret or
client assertion) in clear text."""


def credential_pipeline_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of azure-core kwargs that crossipam forwards to credentials it builds.

    Args:
        kwargs: The azure-core keyword arguments a client was given.

    ```python
    credential_pipeline_kwargs({"transport": t, "polling_interval": 1})   # {'transport': t}
    ```
    """
    return {k: v for k, v in kwargs.items() if k in CREDENTIAL_PIPELINE_KWARGS}


def validate_tenant_id(value: object, what: str) -> str:
    """A tenant id must be a GUID (lower-cased on return); raises
    [`ConfigurationError`][crossipam.errors.ConfigurationError].

    Args:
        value: The tenant id to check.
        what: The argument's name, for the error message.

    ```python
    validate_tenant_id("AAAAAAAA-0000-4000-8000-000000000001", "management_tenant_id")
    ```
    """
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{what} is required (a tenant id GUID)")
    try:
        return str(uuid.UUID(value.strip())).lower()
    except ValueError:
        raise ConfigurationError(f"{what} must be a tenant id GUID, got {value!r}") from None


def is_managed_identity(credential: object) -> bool:
    """Whether ``credential`` is a managed identity (which cannot get tokens in another tenant).

    Args:
        credential: Any credential; its class and base classes decide (a chain is not looked into).

    ```python
    is_managed_identity(ManagedIdentityCredential())   # True
    ```
    """
    names = {cls.__name__ for cls in type(credential).__mro__}
    return any("ManagedIdentity" in n for n in names) or bool(
        names & {"ImdsCredential", "AppServiceCredential", "AzureArcCredential", "CloudShellCredential"}
    )


def _home_tenant_and_allowed(credential: object) -> tuple[str | None, list[str] | None]:
    """Best effort: the credential's configured tenant and ``additionally_allowed_tenants`` (private
    attributes of azure-identity; ``None`` when unknown)."""
    for holder in (
        credential,
        getattr(credential, "_client", None),
        getattr(credential, "_credential", None),
    ):
        if holder is None:
            continue
        allowed = getattr(holder, "_additionally_allowed_tenants", None)
        tenant = getattr(holder, "_tenant_id", None)
        if isinstance(allowed, list):
            inner = getattr(holder, "_client", None)
            if tenant is None and inner is not None:
                tenant = getattr(inner, "_tenant_id", None)
            return (str(tenant).lower() if isinstance(tenant, str) else None), [str(t) for t in allowed]
    return None, None


def validate_multitenant_credential(
    credential: object, *, managed_tenant_id: str, management_tenant_id: str
) -> None:
    """Check, without any request, that ``credential`` can supply tokens for the management tenant.

    Raises [`ManagedIdentityNotSupportedError`][crossipam.errors.ManagedIdentityNotSupportedError] for managed
    identities and [`TenantNotAllowedError`][crossipam.errors.TenantNotAllowedError] when an azure-identity
    credential of another tenant does not list the management tenant (or ``"*"``) in
    ``additionally_allowed_tenants``. Credentials it cannot inspect pass; a token failure later is mapped by
    [`TenantBoundCredential`][crossipam.credentials.TenantBoundCredential].

    Args:
        credential: The app's credential.
        managed_tenant_id: Tenant B, the credential's home.
        management_tenant_id: Tenant A, which the credential must be allowed to get tokens for.

    ```python
    validate_multitenant_credential(cred, managed_tenant_id=b, management_tenant_id=a)
    ```
    """
    if not hasattr(credential, "get_token") and not hasattr(credential, "get_token_info"):
        raise ConfigurationError(
            f"credential must be an azure-core TokenCredential, got {type(credential).__name__}"
        )
    if is_managed_identity(credential):
        raise ManagedIdentityNotSupportedError(
            f"{type(credential).__name__} is a managed identity: managed identities cannot obtain tokens in "
            f"another tenant, so they cannot authorize the pool in management tenant {management_tenant_id}",
            tenant_id=management_tenant_id,
            hint=(
                "use an app registration of the managed tenant made multitenant and onboarded into the "
                "management tenant (client secret, certificate or workload identity federation)"
            ),
        )
    home, allowed = _home_tenant_and_allowed(credential)
    if home is None or allowed is None or home in ("organizations", "common"):
        return
    if os.environ.get("AZURE_IDENTITY_DISABLE_MULTITENANTAUTH"):
        raise TenantNotAllowedError(
            "AZURE_IDENTITY_DISABLE_MULTITENANTAUTH is set: azure-identity would return tenant "
            f"{home} tokens where tenant {management_tenant_id} tokens are needed",
            tenant_id=management_tenant_id,
            hint="unset AZURE_IDENTITY_DISABLE_MULTITENANTAUTH",
        )
    for tenant in (managed_tenant_id, management_tenant_id):
        if tenant != home and "*" not in allowed and tenant not in {a.lower() for a in allowed}:
            raise TenantNotAllowedError(
                f"{type(credential).__name__} is configured for tenant {home} and may not get tokens for "
                f"tenant {tenant}",
                tenant_id=tenant,
                hint=f"create the credential with additionally_allowed_tenants=['{tenant}']",
            )


class TenantBoundCredential(BoundCredentialBase[TokenCredential]):
    """A ``TokenCredential`` that always asks ``credential`` for tokens of ``tenant_id``, and checks them.

    azure-core policies (bearer, auxiliary) call ``get_token(*scopes)`` without a tenant; this wrapper adds
    it. What the credential answers is checked before a pipeline can send it
    ([`check_access_token`][crossipam.credentials.check_access_token]): a token of another tenant (its JWT
    ``tid`` claim; ``verify_tenant=False`` turns this off) raises
    [`TokenTenantMismatchError`][crossipam.errors.TokenTenantMismatchError], ``None`` or a malformed answer a
    [`CredentialError`][crossipam.errors.CredentialError]. Failures are typed errors naming the credential and
    the tenant: azure-identity's ``ClientAuthenticationError`` by its ``AADSTS`` code
    ([`credential_error`][crossipam.credentials.credential_error]), any other exception as a
    ``CredentialError`` ([`unexpected_credential_error`][crossipam.credentials.unexpected_credential_error]).
    It does not own ``credential``.

    ```python
    TenantBoundCredential(credential, tenant_a).get_token("https://management.azure.com/.default")
    ```
    """

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A checked token for ``self.tenant_id`` (a different ``tenant_id`` argument is ignored).

        Args:
            *scopes: The token's scopes.
            **kwargs: ``get_token`` options (``claims``, ``enable_cae`` …); ``tenant_id`` is replaced by the
                bound one.

        ```python
        TenantBoundCredential(credential, tenant_a).get_token("https://management.azure.com/.default")
        ```
        """
        with self._typed_failures():
            token = self._credential.get_token(*scopes, **self._token_kwargs(kwargs))
        return self._checked(token)

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        """``get_token_info`` with ``tenant_id`` forced, checked (falls back to ``get_token`` on older
        credentials).

        Args:
            *scopes: The token's scopes.
            options: ``TokenRequestOptions``; its ``tenant_id`` is replaced by the bound one.

        ```python
        TenantBoundCredential(credential, tenant_a).get_token_info("https://management.azure.com/.default")
        ```
        """
        opts, legacy = bound_token_options(self.tenant_id, self._forward_tenant, options)
        inner = getattr(self._credential, "get_token_info", None)
        with self._typed_failures():
            answer: Any = (
                inner(*scopes, options=opts) if inner else self._credential.get_token(*scopes, **legacy)
            )
        return self._token_info(self._checked(answer), native=inner is not None)

    def close(self) -> None:
        """No-op: the wrapped credential belongs to whoever created it.

        ```python
        with TenantBoundCredential(credential, tenant_a) as bound:   # closing it leaves credential open
            bound.get_token("https://management.azure.com/.default")
        ```
        """

    def __enter__(self) -> TenantBoundCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TenantBoundCredential(tenant_id={self.tenant_id!r}, credential={type(self._credential).__name__})"


def authority_kwargs(cloud: CloudEndpoints) -> dict[str, Any]:
    """azure-identity keyword arguments for the cloud's authority (sync and async credentials).

    Args:
        cloud: The cloud whose authority host the credential uses.

    ```python
    authority_kwargs(CloudEndpoints())   # {'authority': 'https://login.microsoftonline.com'}
    ```
    """
    kwargs: dict[str, Any] = {"authority": cloud.authority_host}
    if not cloud.is_known_authority:
        kwargs["disable_instance_discovery"] = True
    return kwargs


# ---- the app's credentials, built once for azure.identity and azure.identity.aio ----------------------------


def _require_readable_file(path: object, what: str) -> None:
    """Refuse, at construction, a ``what`` (certificate, federated token) file that is missing or unreadable."""
    try:
        name = os.fspath(path)  # type: ignore[call-overload]
    except TypeError:
        raise ConfigurationError(f"the {what} must be a path, got {type(path).__name__}") from None
    shown = os.fsdecode(name)
    if not os.path.exists(name):
        raise ConfigurationError(
            f"the {what} {shown!r} does not exist",
            hint=f"check the path of the {what} (and the working directory)",
        )
    if os.path.isdir(name):
        raise ConfigurationError(f"the {what} {shown!r} is a directory, not a file")
    try:
        with open(name, "rb"):
            pass
    except OSError as err:
        raise ConfigurationError(
            f"the {what} {shown!r} cannot be read: {err.strerror or type(err).__name__}",
            hint="check the file's permissions for the user running crossipam",
        ) from None


def build_secret_credential(
    identity: ModuleType,
    client_id: str,
    client_secret: str,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    cloud: CloudEndpoints,
    **kwargs: Any,
) -> Any:
    """``identity.ClientSecretCredential`` (``identity``: ``azure.identity`` or ``azure.identity.aio``) of the
    managed tenant, allowed to get management-tenant tokens.

    Args:
        identity: ``azure.identity`` or ``azure.identity.aio``.
        client_id: The app's client id.
        client_secret: The app's secret.
        managed_tenant_id: Tenant B, the app's home.
        management_tenant_id: Tenant A, added to ``additionally_allowed_tenants``.
        cloud: The cloud's endpoints (authority).
        **kwargs: azure-core options; those of ``CREDENTIAL_PIPELINE_KWARGS`` are passed on.

    ```python
    build_secret_credential(azure.identity.aio, app_id, secret, managed_tenant_id=b, management_tenant_id=a,
                            cloud=CloudEndpoints())
    ```
    """
    if not client_id or not client_secret:
        raise ConfigurationError("client_id and client_secret are required")
    return identity.ClientSecretCredential(
        managed_tenant_id,
        client_id,
        client_secret,
        additionally_allowed_tenants=[management_tenant_id],
        **authority_kwargs(cloud),
        **credential_pipeline_kwargs(kwargs),
    )


def build_certificate_credential(
    identity: ModuleType,
    client_id: str,
    certificate_path: str | None = None,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    cloud: CloudEndpoints,
    certificate_data: bytes | None = None,
    password: str | bytes | None = None,
    send_certificate_chain: bool = False,
    **kwargs: Any,
) -> Any:
    """``identity.CertificateCredential`` (PEM or PKCS12 file, or ``certificate_data``) allowed in both tenants.

    Args:
        identity: ``azure.identity`` or ``azure.identity.aio``.
        client_id: The app's client id.
        certificate_path: A PEM (private key and certificate) or PKCS12 file, checked readable at once.
        managed_tenant_id: Tenant B, the app's home.
        management_tenant_id: Tenant A, added to ``additionally_allowed_tenants``.
        cloud: The cloud's endpoints (authority).
        certificate_data: The certificate's bytes, instead of a file.
        password: The certificate's password, if it has one.
        send_certificate_chain: Send the x5c header (subject name/issuer authentication).
        **kwargs: azure-core options; those of ``CREDENTIAL_PIPELINE_KWARGS`` are passed on.

    ```python
    build_certificate_credential(azure.identity, app_id, "app.pem", managed_tenant_id=b, management_tenant_id=a,
                                 cloud=CloudEndpoints())
    ```
    """
    if not client_id or not (certificate_path or certificate_data):
        raise ConfigurationError("client_id and a certificate (path or data) are required")
    if certificate_data is None:
        assert certificate_path is not None
        _require_readable_file(certificate_path, "certificate file")
    extra: dict[str, Any] = {}
    if certificate_data is not None:
        extra["certificate_data"] = certificate_data
    if password is not None:
        extra["password"] = password
    if send_certificate_chain:
        extra["send_certificate_chain"] = True
    try:
        return identity.CertificateCredential(
            managed_tenant_id,
            client_id,
            certificate_path,
            additionally_allowed_tenants=[management_tenant_id],
            **extra,
            **authority_kwargs(cloud),
            **credential_pipeline_kwargs(kwargs),
        )
    except (OSError, ValueError, TypeError) as err:  # unreadable, not PEM/PKCS12, wrong password
        where = (
            "certificate_data"
            if certificate_data is not None
            else f"the certificate file {certificate_path!r}"
        )
        raise ConfigurationError(
            f"{where} could not be loaded: {describe(err)}",
            hint="pass a PEM (private key + certificate) or PKCS12 file, and its password if it has one",
        ) from err


def build_workload_identity_credential(
    identity: ModuleType,
    client_id: str,
    token_file_path: str,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    cloud: CloudEndpoints,
    **kwargs: Any,
) -> Any:
    """``identity.WorkloadIdentityCredential`` (federated token file) allowed in both tenants.

    Args:
        identity: ``azure.identity`` or ``azure.identity.aio``.
        client_id: The app's client id.
        token_file_path: The federated token file, checked readable at once.
        managed_tenant_id: Tenant B, the app's home.
        management_tenant_id: Tenant A, added to ``additionally_allowed_tenants``.
        cloud: The cloud's endpoints (authority).
        **kwargs: azure-core options; those of ``CREDENTIAL_PIPELINE_KWARGS`` are passed on.

    ```python
    build_workload_identity_credential(azure.identity, app_id, "/var/run/token", managed_tenant_id=b,
                                       management_tenant_id=a, cloud=CloudEndpoints())
    ```
    """
    if not client_id or not token_file_path:
        raise ConfigurationError("client_id and token_file_path are required")
    _require_readable_file(token_file_path, "federated token file")
    return identity.WorkloadIdentityCredential(
        tenant_id=managed_tenant_id,
        client_id=client_id,
        token_file_path=token_file_path,
        additionally_allowed_tenants=[management_tenant_id],
        **authority_kwargs(cloud),
        **credential_pipeline_kwargs(kwargs),
    )


def secret_credential(client_id: str, client_secret: str, **kwargs: Any) -> TokenCredential:
    """A ``ClientSecretCredential`` of the managed tenant allowed to get management-tenant tokens (keywords:
    ``managed_tenant_id``, ``management_tenant_id``, ``cloud``, azure-core options).

    Args:
        client_id: The app's client id.
        client_secret: The app's secret.
        **kwargs: ``managed_tenant_id``, ``management_tenant_id``, ``cloud`` and azure-core options.

    ```python
    secret_credential(app_id, secret, managed_tenant_id=b, management_tenant_id=a, cloud=CloudEndpoints())
    ```
    """
    import azure.identity

    return cast(TokenCredential, build_secret_credential(azure.identity, client_id, client_secret, **kwargs))


def certificate_credential(
    client_id: str, certificate_path: str | None = None, **kwargs: Any
) -> TokenCredential:
    """A ``CertificateCredential`` allowed in both tenants (keywords: see
    [`build_certificate_credential`][crossipam.credentials.build_certificate_credential]).

    Args:
        client_id: The app's client id.
        certificate_path: A PEM or PKCS12 file (or pass ``certificate_data``).
        **kwargs: ``managed_tenant_id``, ``management_tenant_id``, ``cloud``, the certificate's options and
            azure-core options.

    ```python
    certificate_credential(app_id, "app.pem", managed_tenant_id=b, management_tenant_id=a, cloud=CloudEndpoints())
    ```
    """
    import azure.identity

    return cast(
        TokenCredential, build_certificate_credential(azure.identity, client_id, certificate_path, **kwargs)
    )


def workload_identity_credential(client_id: str, token_file_path: str, **kwargs: Any) -> TokenCredential:
    """A ``WorkloadIdentityCredential`` (federated token file) allowed in both tenants.

    Args:
        client_id: The app's client id.
        token_file_path: The federated token file.
        **kwargs: ``managed_tenant_id``, ``management_tenant_id``, ``cloud`` and azure-core options.

    ```python
    workload_identity_credential(app_id, "/var/run/token", managed_tenant_id=b, management_tenant_id=a,
                                 cloud=CloudEndpoints())
    ```
    """
    import azure.identity

    return cast(
        TokenCredential,
        build_workload_identity_credential(azure.identity, client_id, token_file_path, **kwargs),
    )
