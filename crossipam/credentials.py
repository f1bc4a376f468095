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
bearer token and each auxiliary token) is checked before it is used, so no wrong token reaches Azure:

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
[`ConfigurationError`][crossipam.errors.ConfigurationError] naming the file."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import uuid
from collections.abc import Mapping
from types import ModuleType
from typing import Any, cast

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential, TokenRequestOptions
from azure.core.exceptions import ClientAuthenticationError

from ._redact import describe
from ._wire_errors import credential_error
from .errors import (
    ConfigurationError,
    CredentialError,
    CrossIpamError,
    ManagedIdentityNotSupportedError,
    TenantNotAllowedError,
    TokenTenantMismatchError,
)
from .models import CloudEndpoints

__all__ = [
    "CREDENTIAL_PIPELINE_KWARGS",
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

    ```python
    credential_pipeline_kwargs({"transport": t, "polling_interval": 1})   # {'transport': t}
    ```
    """
    return {k: v for k, v in kwargs.items() if k in CREDENTIAL_PIPELINE_KWARGS}


def validate_tenant_id(value: object, what: str) -> str:
    """A GUID tenant id, lower-cased, else [`ConfigurationError`][crossipam.errors.ConfigurationError].

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


def bound_token_kwargs(
    tenant_id: str, forward_tenant: bool, claims: str | None, enable_cae: bool, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """``get_token`` keyword arguments with the bound tenant forced (shared by the sync and async wrappers).

    ```python
    bound_token_kwargs(tenant_a, True, None, False, {})     # {'tenant_id': tenant_a}
    ```
    """
    out = dict(kwargs)
    if forward_tenant:
        out["tenant_id"] = tenant_id
    if claims is not None:
        out["claims"] = claims
    if enable_cae:
        out["enable_cae"] = True
    return out


def bound_token_options(
    tenant_id: str, forward_tenant: bool, options: TokenRequestOptions | None
) -> tuple[TokenRequestOptions, dict[str, Any]]:
    """``get_token_info`` options with the bound tenant forced, and the legacy ``get_token`` kwargs for
    credentials without ``get_token_info``.

    ```python
    opts, legacy = bound_token_options(tenant_a, True, None)
    ```
    """
    opts = cast(TokenRequestOptions, dict(options or {}))
    if forward_tenant:
        opts["tenant_id"] = tenant_id
    else:
        opts.pop("tenant_id", None)
    legacy: dict[str, Any] = {k: v for k, v in opts.items() if k in ("claims", "tenant_id", "enable_cae")}
    return opts, legacy


# ---- what a credential returned: checked before a pipeline uses it (sync and async wrappers) -----------------

_B64URL_RX = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def token_tenant_id(token: str) -> str | None:
    """The ``tid`` claim of a JWT access token, lower-cased — the payload decoded, the signature not verified — or
    ``None`` when the token is not a three-part JWT with a JSON payload carrying a ``tid`` string (opaque).

    ```python
    token_tenant_id(credential.get_token(scope).token)   # 'aaaaaaaa-…'
    token_tenant_id("opaque-token")                       # None
    ```
    """
    parts = token.split(".")
    if len(parts) != 3 or not _B64URL_RX.fullmatch(parts[1]):
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (ValueError, binascii.Error, RecursionError):
        return None
    tid = claims.get("tid") if isinstance(claims, dict) else None
    return tid.strip().lower() if isinstance(tid, str) and tid.strip() else None


def credential_name(credential: object) -> str:
    """The class name of ``credential``, and — for ``ChainedTokenCredential`` / ``DefaultAzureCredential`` — of
    the credential in the chain that answered (never anything secret).

    ```python
    credential_name(DefaultAzureCredential())   # 'DefaultAzureCredential', after a token:
                                                # 'ManagedIdentityCredential (in DefaultAzureCredential)'
    ```
    """
    chain = [type(credential).__name__]
    inner = credential
    for _ in range(4):  # chains of chains are rare; stop somewhere
        inner = getattr(inner, "_successful_credential", None)
        if inner is None:
            break
        chain.append(type(inner).__name__)
    if len(chain) == 1:
        return chain[0]
    return f"{chain[-1]} (in {' in '.join(reversed(chain[:-1]))})"


def _guid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value.strip())).lower()
    except (ValueError, AttributeError):
        return None


def _mismatch_hint(name: str, tenant_id: str) -> str:
    if "ManagedIdentity" in name:
        return (
            "a managed identity ignores tenant_id and answers for its own tenant only, so it cannot supply tokens "
            f"for tenant {tenant_id}: put an app credential of the managed tenant first in the chain (or exclude "
            "the managed identity: DefaultAzureCredential(exclude_managed_identity_credential=True)), or use "
            "CrossTenantIpamClient.from_client_secret / from_client_certificate / from_environment"
        )
    return (
        f"the credential ignored the tenant it was asked for: use one that honours tenant_id and may get tokens "
        f"for tenant {tenant_id} (azure-identity: additionally_allowed_tenants=['{tenant_id}']), or pass the "
        "tenant that owns the subscription (managed_tenant_id) or the pool (management_tenant_id)"
    )


def check_access_token(
    token: object,
    *,
    credential: object,
    tenant_id: str,
    client_id: str | None = None,
    verify_tenant: bool = True,
) -> None:
    """Refuse what ``credential`` returned for ``tenant_id`` unless it is a usable token of that tenant.

    Raises [`CredentialError`][crossipam.errors.CredentialError] for ``None`` or an object without a ``token``
    string and numeric ``expires_on``, [`TokenTenantMismatchError`][crossipam.errors.TokenTenantMismatchError]
    for a JWT whose ``tid`` claim is another tenant. An opaque (non-JWT) token, a JWT without ``tid``, a bound
    tenant that is not a GUID or ``verify_tenant=False`` skip the tenant check (logged at DEBUG). Messages
    name the credential's class and the tenants, never the token.

    ```python
    check_access_token(credential.get_token(scope), credential=credential, tenant_id=tenant_a)
    ```
    """
    name = credential_name(credential)
    value = getattr(token, "token", None)
    expires_on = getattr(token, "expires_on", None)
    if (
        not isinstance(value, str)
        or not value
        or isinstance(expires_on, bool)
        or not isinstance(expires_on, (int, float))
    ):
        what = "None" if token is None else f"a {type(token).__name__} without a token string and expires_on"
        raise CredentialError(
            f"{name} returned {what} instead of an access token for tenant {tenant_id}",
            tenant_id=tenant_id,
            hint=(
                "get_token must return an azure.core.credentials.AccessToken(token, expires_on) "
                "(get_token_info an AccessTokenInfo); check the credential"
            ),
        )
    if not verify_tenant:
        return
    expected = _guid(tenant_id)
    actual = token_tenant_id(value)
    if expected is None or actual is None:
        _LOGGER.debug(
            "tenant check skipped for the token %s returned for tenant %s (%s)",
            name,
            tenant_id,
            "the bound tenant is not a GUID" if expected is None else "not a JWT with a tid claim",
        )
        return
    if actual != expected:
        who = f" for app {client_id}" if client_id else ""
        raise TokenTenantMismatchError(
            f"{name} returned a token of tenant {actual}{who} where tenant {expected} was asked for; "
            "refused before any request was sent with it",
            tenant_id=expected,
            token_tenant_id=actual,
            credential_name=name,
            hint=_mismatch_hint(name, expected),
        )


def unexpected_credential_error(
    err: BaseException, *, credential: object, tenant_id: str, client_id: str | None = None
) -> CredentialError:
    """A [`CredentialError`][crossipam.errors.CredentialError] for a credential that raised something else
    than azure-identity's ``ClientAuthenticationError`` (a ``RuntimeError``, a ``FileNotFoundError`` of a
    token file …); its message names the credential and the tenant and quotes the first line of the original
    (redacted), which the caller chains as ``__cause__``.

    ```python
    except Exception as err:
        raise unexpected_credential_error(err, credential=cred, tenant_id=a) from err
    ```
    """
    who = f" (app {client_id})" if client_id else ""
    return CredentialError(
        f"{credential_name(credential)}{who} failed to get a token for tenant {tenant_id}: {describe(err)}",
        tenant_id=tenant_id,
        hint="the credential raised instead of returning a token: check its configuration (files, environment, "
        "network); the original exception is this error's __cause__",
    )


def token_failure(
    err: Exception, *, credential: object, tenant_id: str, client_id: str | None = None
) -> CredentialError:
    """What a tenant-bound credential raises when ``credential`` raised ``err`` (shared by the sync and async
    wrappers): ``credential_error`` for azure-identity's ``ClientAuthenticationError``, else
    [`unexpected_credential_error`][crossipam.credentials.unexpected_credential_error].

    ```python
    except Exception as err:
        raise token_failure(err, credential=cred, tenant_id=a, client_id=app_id) from err
    ```
    """
    if isinstance(err, ClientAuthenticationError):
        return credential_error(err, tenant_id=tenant_id, client_id=client_id)
    return unexpected_credential_error(err, credential=credential, tenant_id=tenant_id, client_id=client_id)


class TenantBoundCredential:
    """A ``TokenCredential`` that always asks ``credential`` for tokens of ``tenant_id``, and checks them.

    azure-core policies (bearer, auxiliary) call ``get_token(*scopes)`` without a tenant; this wrapper adds
    it. What the credential answers is checked before a pipeline can send it (``check_access_token``): a token
    of another tenant (JWT ``tid`` claim; ``verify_tenant=False`` turns this off) raises
    [`TokenTenantMismatchError`][crossipam.errors.TokenTenantMismatchError], ``None`` or a malformed answer a
    [`CredentialError`][crossipam.errors.CredentialError]. Failures are typed errors naming the credential and
    the tenant: ``ClientAuthenticationError`` by its ``AADSTS`` code (``credential_error``), any other
    exception as a ``CredentialError`` (``unexpected_credential_error``). It does not own ``credential``.

    ```python
    TenantBoundCredential(credential, tenant_a).get_token("https://management.azure.com/.default")
    ```
    """

    def __init__(
        self,
        credential: TokenCredential,
        tenant_id: str,
        *,
        client_id: str | None = None,
        forward_tenant: bool = True,
        verify_tenant: bool = True,
    ) -> None:
        self._credential = credential
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._forward_tenant = forward_tenant
        """Managed identities do not take ``tenant_id``; the primary (home-tenant) binding then omits it."""
        self._verify_tenant = verify_tenant

    @property
    def credential(self) -> TokenCredential:
        """The wrapped credential.

        ```python
        TenantBoundCredential(credential, tenant_a).credential is credential   # True
        ```
        """
        return self._credential

    def _failure(self, err: Exception) -> CredentialError:
        return token_failure(
            err, credential=self._credential, tenant_id=self.tenant_id, client_id=self.client_id
        )

    def _checked(self, token: Any) -> None:
        check_access_token(
            token,
            credential=self._credential,
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            verify_tenant=self._verify_tenant,
        )

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """A checked token for ``self.tenant_id`` (a different ``tenant_id`` argument is ignored).

        ```python
        TenantBoundCredential(credential, tenant_a).get_token("https://management.azure.com/.default")
        ```
        """
        kwargs = bound_token_kwargs(self.tenant_id, self._forward_tenant, claims, enable_cae, kwargs)
        try:
            token = self._credential.get_token(*scopes, **kwargs)
        except CrossIpamError:
            raise
        except Exception as err:
            raise self._failure(err) from err
        self._checked(token)
        return token

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        """``get_token_info`` with ``tenant_id`` forced, checked (or ``get_token``, on older credentials).

        ```python
        TenantBoundCredential(credential, tenant_a).get_token_info("https://management.azure.com/.default")
        ```
        """
        opts, legacy = bound_token_options(self.tenant_id, self._forward_tenant, options)
        inner = getattr(self._credential, "get_token_info", None)
        try:
            answer: Any = (
                inner(*scopes, options=opts) if inner else self._credential.get_token(*scopes, **legacy)
            )
        except CrossIpamError:
            raise
        except Exception as err:
            raise self._failure(err) from err
        self._checked(answer)
        return cast(AccessTokenInfo, answer) if inner else AccessTokenInfo(answer.token, answer.expires_on)

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
