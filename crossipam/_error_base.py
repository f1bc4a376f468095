"""The error types' ground: the root ([`CrossIpamError`][crossipam.errors.CrossIpamError]), what a hint and
the diagnostics are ([`Remedy`][crossipam.errors.Remedy], [`ErrorDiagnostics`][crossipam.errors.ErrorDiagnostics]),
and the errors crossipam raises itself — bad input, no credential, a refused deployment — before or without a
service's error answer. ``crossipam.errors`` shows them all (with the hierarchy); import them from there.

```python
from crossipam.errors import CrossIpamError, InvalidInputError
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11; no runtime dependency)
    from typing_extensions import Unpack

__all__ = [
    "AddressSpaceConflictError",
    "AllocationDecreaseError",
    "AppNotOnboardedError",
    "ConfigurationError",
    "CredentialError",
    "CrossIpamError",
    "DeploymentRefusedError",
    "Diagnostics",
    "ErrorDiagnostics",
    "InvalidInputError",
    "InvalidResourceIdError",
    "ManagedIdentityNotSupportedError",
    "Remedy",
    "TenantNotAllowedError",
    "TokenTenantMismatchError",
]


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
        """The hint as the library says it (what `CrossIpamError.hint` holds).

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

    ``str(err)`` is the message followed by the remediation hint, if any. ``hint`` is always text; when the
    hint names a crossipam operation, ``remedy`` holds it as data ([`Remedy`][crossipam.errors.Remedy]), which
    the CLI renders as a command.

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        tenant_id: The tenant whose token, role or resource is at stake.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.

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
    """Mixin of the errors that come from a service's answer (``CredentialError``, ``AzureServiceError``,
    ``OnboardingError`` and their subclasses): what support needs to find the failed request. Each field is
    ``None`` when the answer did not carry it (or there was no answer).

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
    """The keyword arguments of [`ErrorDiagnostics`][crossipam.errors.ErrorDiagnostics], as read from an
    answer by ``arm_error_details``, ``graph_error_details`` or ``entra_error_details``.

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
    its ``trace_id`` (also [`trace_id`][crossipam.errors.CredentialError.trace_id]), ``correlation_id`` and
    ``timestamp`` its own; ``status`` is the HTTP status when azure-identity kept the response.

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        tenant_id: The tenant no token could be obtained for.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.
        **diagnostics: What the service's answer tells support (see [`Diagnostics`][crossipam.errors.Diagnostics]).

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

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        token_tenant_id: The ``tid`` claim of the token the credential returned.
        credential_name: The credential that answered (inside a chain: which one).
        **kwargs: [`CredentialError`][crossipam.errors.CredentialError]'s arguments (``tenant_id`` is the tenant asked for).

    ```python
    except TokenTenantMismatchError as err:
        print(err.credential_name, err.token_tenant_id, "instead of", err.tenant_id)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        token_tenant_id: str | None = None,
        credential_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.token_tenant_id = token_tenant_id
        self.credential_name = credential_name


class AppNotOnboardedError(CredentialError):
    """Entra ID answered AADSTS700016: the app has no service principal in ``tenant_id``.

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        tenant_id: The tenant where the app has no service principal.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.
        client_id: The app (client) id.
        **diagnostics: Entra ID's error fields; ``code`` defaults to ``AADSTS700016``.

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

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        tenant_id: The tenant whose token, role or resource is at stake.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.
        resource_id: The virtual network's resource id.

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

    Args:
        message: What went wrong, in a sentence (``str(err)`` adds the hint).
        current: The addresses the VNet has from the pool now.
        requested: The addresses asked for (fewer than ``current``).
        pool_id: The pool's resource id.
        tenant_id: The tenant whose token, role or resource is at stake.
        hint: How to fix it: text, or a [`Remedy`][crossipam.errors.Remedy] naming the crossipam operation.
        resource_id: The virtual network's resource id.

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
