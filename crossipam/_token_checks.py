"""What a credential returned, checked before a pipeline uses it, and how its failures become typed errors —
shared by the sync and asyncio tenant-bound credentials ([`crossipam.credentials`][] re-exports the public
names).

```python
check_access_token(token, credential=credential, tenant_id=tenant_a, client_id=app_id)
```
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

from azure.core.credentials import AccessTokenInfo, TokenRequestOptions
from azure.core.exceptions import ClientAuthenticationError

from ._redact import describe
from ._wire_errors import credential_error
from .errors import (
    CredentialError,
    CrossIpamError,
    TokenTenantMismatchError,
)

__all__ = [
    "BoundCredentialBase",
    "bound_token_kwargs",
    "bound_token_options",
    "check_access_token",
    "credential_name",
    "token_failure",
    "token_tenant_id",
    "unexpected_credential_error",
]

_LOGGER = logging.getLogger("crossipam.credentials")


def bound_token_kwargs(
    tenant_id: str, forward_tenant: bool, claims: str | None, enable_cae: bool, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """``get_token`` keyword arguments with the bound tenant forced (shared by the sync and async wrappers).

    Args:
        tenant_id: The bound tenant.
        forward_tenant: Whether to pass ``tenant_id`` (a managed identity takes none).
        claims: Claims a challenge asked for (``None``: none).
        enable_cae: Whether to ask for a CAE token.
        kwargs: The caller's other keyword arguments, passed on.

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

    Args:
        tenant_id: The bound tenant.
        forward_tenant: Whether to pass ``tenant_id`` (a managed identity takes none).
        options: The caller's ``TokenRequestOptions`` (its ``tenant_id`` is replaced).

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

    Args:
        token: The access token's string.

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

    Args:
        credential: Any credential object (only class names are read).

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
    """Refuse what ``credential`` returned for ``tenant_id`` unless it is a usable access token of that tenant
    (shared by the sync and async wrappers).

    Raises [`CredentialError`][crossipam.errors.CredentialError] for ``None`` or an object without a ``token``
    string and a numeric ``expires_on``, and
    [`TokenTenantMismatchError`][crossipam.errors.TokenTenantMismatchError] when the JWT's ``tid`` claim is
    another tenant. An opaque (non-JWT) token, a JWT without ``tid``, a bound tenant that is not a GUID or
    ``verify_tenant=False`` skip the tenant check (logged at DEBUG). Messages name the credential's class and
    the tenants, never the token.

    Args:
        token: What ``get_token`` / ``get_token_info`` returned.
        credential: The credential that returned it (named in the messages).
        tenant_id: The tenant the token was asked for.
        client_id: The app's client id, named in the messages.
        verify_tenant: ``False`` skips the tenant check.

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

    Args:
        err: What the credential raised.
        credential: The credential (named in the message).
        tenant_id: The tenant the token was asked for.
        client_id: The app's client id, named in the message.

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
    wrappers): [`credential_error`][crossipam.credentials.credential_error] for azure-identity's
    ``ClientAuthenticationError``, else
    [`unexpected_credential_error`][crossipam.credentials.unexpected_credential_error].

    Args:
        err: What the credential raised.
        credential: The credential (named in the message).
        tenant_id: The tenant the token was asked for.
        client_id: The app's client id, named in the message.

    ```python
    except Exception as err:
        raise token_failure(err, credential=cred, tenant_id=a, client_id=app_id) from err
    ```
    """
    if isinstance(err, ClientAuthenticationError):
        return credential_error(err, tenant_id=tenant_id, client_id=client_id)
    return unexpected_credential_error(err, credential=credential, tenant_id=tenant_id, client_id=client_id)


_CredT = TypeVar("_CredT")
_AnswerT = TypeVar("_AnswerT")


class BoundCredentialBase(Generic[_CredT]):
    """What the sync and asyncio tenant-bound credentials share: the binding, and how an answer or a failure of
    the wrapped credential becomes a checked token or a typed error (only the call itself blocks or awaits).

    Args:
        credential: The credential to ask for tokens (not owned: closing the wrapper does not close it).
        tenant_id: The tenant every token is asked for, and checked against.
        client_id: The app's client id, named in errors.
        forward_tenant: Whether to pass ``tenant_id`` to the credential (``False`` for a managed identity,
            which takes none).
        verify_tenant: ``False`` skips the check of the token's ``tid`` claim.

    ```python
    TenantBoundCredential(credential, tenant_a).tenant_id    # tenant_a
    ```
    """

    def __init__(
        self,
        credential: _CredT,
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
    def credential(self) -> _CredT:
        """The wrapped credential.

        ```python
        TenantBoundCredential(credential, tenant_a).credential is credential   # True
        ```
        """
        return self._credential

    @contextmanager
    def _typed_failures(self) -> Iterator[None]:
        """Any exception of the wrapped credential (but crossipam's own) as a typed ``CredentialError``."""
        try:
            yield
        except CrossIpamError:
            raise
        except Exception as err:
            raise token_failure(
                err, credential=self._credential, tenant_id=self.tenant_id, client_id=self.client_id
            ) from err

    def _checked(self, token: _AnswerT) -> _AnswerT:
        """The credential's answer, once checked
        ([`check_access_token`][crossipam.credentials.check_access_token])."""
        check_access_token(
            token,
            credential=self._credential,
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            verify_tenant=self._verify_tenant,
        )
        return token

    def _token_kwargs(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """``get_token``'s keyword arguments (``claims``, ``enable_cae`` …) with the bound tenant forced (a
        ``tenant_id`` the caller passes is ignored)."""
        rest = {k: v for k, v in kwargs.items() if k not in ("claims", "tenant_id", "enable_cae")}
        return bound_token_kwargs(
            self.tenant_id, self._forward_tenant, kwargs.get("claims"), bool(kwargs.get("enable_cae")), rest
        )

    @staticmethod
    def _token_info(answer: Any, *, native: bool) -> AccessTokenInfo:
        """``get_token_info``'s answer, or an ``AccessToken`` of an older credential made one."""
        return cast(AccessTokenInfo, answer) if native else AccessTokenInfo(answer.token, answer.expires_on)
