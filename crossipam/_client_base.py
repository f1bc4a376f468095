"""What [`crossipam.CrossTenantIpamClient`][] and its asyncio twin share: no I/O here.

Argument validation, the alternative constructors, ``from_environment``, the tenant properties and the repr are
written once; a twin supplies only its credential types (sync azure-identity or ``azure.identity.aio``) through
four hooks, and keeps the code that awaits or does not.

```python
class CrossTenantIpamClient(ClientBase[TokenCredential, TenantBoundCredential]):
    _secret_credential = staticmethod(secret_credential)
    ...
```
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from azure.core import AzureClouds
from azure.core.exceptions import AzureError

from ._bulk_items import spec_of
from ._cloud import CloudArgument
from ._inflight import DEFAULT_OPERATION_TIMEOUT
from ._pacing import RateBudgets
from ._resource_ids import IpamPoolId
from ._shared import DEFAULT_CONFLICT_RETRIES, client_id_of, environment_config, map_service_error
from ._vnet_flows import Flow, FlowContext, listing_flow
from ._wire_errors import error_code
from .credentials import validate_multitenant_credential, validate_tenant_id
from .deployment import deployment_request
from .errors import AzureServiceError, ConfigurationError, CrossIpamError, InvalidInputError
from .models import CloudEndpoints
from .policies import RedactingNetworkTraceLoggingPolicy, RetryAfterPolicy

__all__ = ["ClientBase"]

_LOGGER = logging.getLogger("crossipam.client")


class _Bound(Protocol):
    """A credential bound to one tenant (sync or async), whose app id the client may fill in later."""

    client_id: str | None


def _policy_list(value: Any) -> list[Any]:
    """``per_retry_policies`` as azure-core accepts it (one policy, a sequence, or nothing) as a list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


CredT = TypeVar("CredT")
BoundT = TypeVar("BoundT", bound=_Bound)
_C = TypeVar("_C", bound="ClientBase[Any, Any]")


class ClientBase(Generic[CredT, BoundT]):
    """Shared state and constructors of the sync and async ``CrossTenantIpamClient`` (their arguments are
    documented on [crossipam.CrossTenantIpamClient][]).

    Every ARM pipeline carries ``RetryAfterPolicy`` after the caller's ``per_retry_policies``. Every token the
    credential returns is checked before it is sent (its ``tid`` must be the tenant asked for; see
    ``crossipam.credentials.TenantBoundCredential``), so a managed identity hidden in
    ``DefaultAzureCredential`` raises ``TokenTenantMismatchError`` before any request.

    ```python
    client = CrossTenantIpamClient(credential, managed_tenant_id=b, management_tenant_id=a)
    ```
    """

    _REPR_NAME: ClassVar[str] = "CrossTenantIpamClient"
    """Shown by ``repr``: ``CrossTenantIpamClient`` or ``aio.CrossTenantIpamClient``."""

    # ---- the twin's credential hooks ----------------------------------------------------------------------------
    _bind: ClassVar[Callable[..., Any]]
    _secret_credential: ClassVar[Callable[..., Any]]
    _certificate_credential: ClassVar[Callable[..., Any]]
    _workload_identity_credential: ClassVar[Callable[..., Any]]

    def __init__(
        self,
        credential: CredT,
        *,
        managed_tenant_id: str,
        management_tenant_id: str,
        cloud: CloudArgument = AzureClouds.AZURE_PUBLIC_CLOUD,
        **kwargs: Any,
    ) -> None:
        self._managed_tenant_id = validate_tenant_id(managed_tenant_id, "managed_tenant_id")
        self._management_tenant_id = validate_tenant_id(management_tenant_id, "management_tenant_id")
        if self._managed_tenant_id == self._management_tenant_id:
            _LOGGER.info("managed and management tenant are the same: no auxiliary token is needed")
        self._cloud = CloudEndpoints.for_cloud(cloud)
        validate_multitenant_credential(
            credential,
            managed_tenant_id=self._managed_tenant_id,
            management_tenant_id=self._management_tenant_id,
        )
        self._credential: CredT = credential
        self._owns_credential = False
        self._client_id: str | None = client_id_of(credential)
        # managed identities were refused above, so both bindings forward their tenant to the credential
        self._for_managed: BoundT = type(self)._bind(
            credential, self._managed_tenant_id, client_id=self._client_id
        )
        self._for_management: BoundT = type(self)._bind(
            credential, self._management_tenant_id, client_id=self._client_id
        )
        self._polling_interval = kwargs.get("polling_interval", 30)
        self._conflict_retries = int(kwargs.pop("conflict_retries", DEFAULT_CONFLICT_RETRIES))
        self._operation_timeout = _operation_timeout(
            kwargs.pop("operation_timeout", DEFAULT_OPERATION_TIMEOUT)
        )
        self._kwargs = dict(kwargs)
        # the pipelines crossipam builds append RetryAfterPolicy to these (one policy or a sequence is accepted)
        self._kwargs["per_retry_policies"] = _policy_list(kwargs.get("per_retry_policies"))
        self._closed = False
        self._clients: dict[tuple[str, str], Any] = {}
        """The SDK clients, one per (tenant side, subscription); the per-VNet locks; the lock that guards both
        (the asyncio client runs on one thread and needs none of it but the dictionaries)."""
        self._vnet_locks: dict[str, Any] = {}
        self._budgets = RateBudgets()
        """ARM's remaining budget per subscription, as the managed tenant's VNet clients' answers report it: their
        requests wait for its tokens, bulk starts its items by it."""
        self._lock = threading.Lock()

    # ---- alternative constructors ------------------------------------------------------------------------------
    @classmethod
    def from_client_secret(
        cls: type[_C],
        client_id: str,
        client_secret: str,
        *,
        managed_tenant_id: str,
        management_tenant_id: str,
        cloud: CloudArgument = AzureClouds.AZURE_PUBLIC_CLOUD,
        **kwargs: Any,
    ) -> _C:
        """A client over a ``ClientSecretCredential`` allowed in both tenants (``azure.identity.aio``'s for
        ``crossipam.aio``); the client owns and closes it.

        Args:
            client_id: The automation app's application (client) id.
            client_secret: Its client secret (never logged).
            managed_tenant_id: Tenant B, which owns the VNets (the app's home).
            management_tenant_id: Tenant A, which owns the IPAM pool.
            cloud: An ``azure.core.AzureClouds`` value, its name, ``CloudEndpoints``, or any ``CloudLike``.
            **kwargs: azure-core options for the credential and every pipeline (see the client).

        ```python
        client = CrossTenantIpamClient.from_client_secret(app_id, secret, managed_tenant_id=b,
                                                          management_tenant_id=a)
        ```
        """
        b = validate_tenant_id(managed_tenant_id, "managed_tenant_id")
        a = validate_tenant_id(management_tenant_id, "management_tenant_id")
        endpoints = CloudEndpoints.for_cloud(cloud)
        credential = cls._secret_credential(
            client_id, client_secret, managed_tenant_id=b, management_tenant_id=a, cloud=endpoints, **kwargs
        )
        return cls._owning(credential, b, a, endpoints, client_id, kwargs)

    @classmethod
    def from_client_certificate(
        cls: type[_C],
        client_id: str,
        certificate_path: str | None = None,
        *,
        managed_tenant_id: str,
        management_tenant_id: str,
        cloud: CloudArgument = AzureClouds.AZURE_PUBLIC_CLOUD,
        certificate_data: bytes | None = None,
        password: str | bytes | None = None,
        send_certificate_chain: bool = False,
        **kwargs: Any,
    ) -> _C:
        """A client over a ``CertificateCredential`` (PEM/PKCS12 file or ``certificate_data``); the client owns
        and closes it.

        Args:
            client_id: The automation app's application (client) id.
            certificate_path: A PEM (private key + certificate) or PKCS12 file; checked at construction.
            managed_tenant_id: Tenant B, which owns the VNets (the app's home).
            management_tenant_id: Tenant A, which owns the IPAM pool.
            cloud: An ``azure.core.AzureClouds`` value, its name, ``CloudEndpoints``, or any ``CloudLike``.
            certificate_data: The certificate's bytes instead of ``certificate_path``.
            password: The certificate's password, if it has one (never logged).
            send_certificate_chain: Send the x5c header (subject name / issuer authentication).
            **kwargs: azure-core options for the credential and every pipeline (see the client).

        ```python
        client = CrossTenantIpamClient.from_client_certificate(app_id, "app.pem", managed_tenant_id=b,
                                                               management_tenant_id=a)
        ```
        """
        b = validate_tenant_id(managed_tenant_id, "managed_tenant_id")
        a = validate_tenant_id(management_tenant_id, "management_tenant_id")
        endpoints = CloudEndpoints.for_cloud(cloud)
        credential = cls._certificate_credential(
            client_id,
            certificate_path,
            managed_tenant_id=b,
            management_tenant_id=a,
            cloud=endpoints,
            certificate_data=certificate_data,
            password=password,
            send_certificate_chain=send_certificate_chain,
            **kwargs,
        )
        return cls._owning(credential, b, a, endpoints, client_id, kwargs)

    @classmethod
    def from_environment(cls: type[_C], *, environ: Mapping[str, str] | None = None, **kwargs: Any) -> _C:
        """A client configured from environment variables.

        azure-identity's ``AZURE_CLIENT_ID``, ``AZURE_TENANT_ID`` (the managed tenant) and one of
        ``AZURE_CLIENT_SECRET``, ``AZURE_CLIENT_CERTIFICATE_PATH`` (+ ``AZURE_CLIENT_CERTIFICATE_PASSWORD``) or
        ``AZURE_FEDERATED_TOKEN_FILE``; optional ``AZURE_AUTHORITY_HOST``. crossipam's
        ``CROSSIPAM_MANAGEMENT_TENANT_ID`` (required), ``CROSSIPAM_ARM_ENDPOINT``, ``CROSSIPAM_GRAPH_ENDPOINT``.
        ``REQUESTS_CA_BUNDLE`` becomes ``connection_verify`` unless a transport or ``connection_verify`` is given.
        ``environ`` reads these from another mapping than ``os.environ``.

        Args:
            environ: The variables to read (default ``os.environ``).
            **kwargs: azure-core options for the credential and every pipeline (see the client).

        ```python
        os.environ.update(AZURE_CLIENT_ID=app_id, AZURE_CLIENT_SECRET=secret, AZURE_TENANT_ID=b,
                          CROSSIPAM_MANAGEMENT_TENANT_ID=a)
        client = CrossTenantIpamClient.from_environment()
        ```
        """
        config = environment_config(os.environ if environ is None else environ, kwargs)
        b, a, cloud, kw = config.managed_tenant_id, config.management_tenant_id, config.cloud, config.kwargs
        if config.client_secret:
            return cls.from_client_secret(
                config.client_id,
                config.client_secret,
                managed_tenant_id=b,
                management_tenant_id=a,
                cloud=cloud,
                **kw,
            )
        if config.certificate_path:
            return cls.from_client_certificate(
                config.client_id,
                config.certificate_path,
                managed_tenant_id=b,
                management_tenant_id=a,
                cloud=cloud,
                password=config.certificate_password,
                **kw,
            )
        assert config.federated_token_file is not None
        credential = cls._workload_identity_credential(
            config.client_id,
            config.federated_token_file,
            managed_tenant_id=b,
            management_tenant_id=a,
            cloud=cloud,
            **kw,
        )
        return cls._owning(credential, b, a, cloud, config.client_id, kw)

    @classmethod
    def _owning(
        cls: type[_C],
        credential: Any,
        managed_tenant_id: str,
        management_tenant_id: str,
        cloud: CloudEndpoints,
        client_id: str,
        kwargs: Mapping[str, Any],
    ) -> _C:
        client = cls(
            credential,
            managed_tenant_id=managed_tenant_id,
            management_tenant_id=management_tenant_id,
            cloud=cloud,
            **kwargs,
        )
        client._owns_credential = True
        client._client_id = client._for_managed.client_id = client._for_management.client_id = client_id
        return client

    # ---- properties --------------------------------------------------------------------------------------------
    @property
    def managed_tenant_id(self) -> str:
        """Tenant B (owns the VNets).

        ```python
        client.managed_tenant_id    # "bbbbbbbb-…"
        ```
        """
        return self._managed_tenant_id

    @property
    def management_tenant_id(self) -> str:
        """Tenant A (owns the IPAM pool).

        ```python
        client.management_tenant_id    # "aaaaaaaa-…"
        ```
        """
        return self._management_tenant_id

    @property
    def cloud(self) -> CloudEndpoints:
        """The endpoints in use.

        ```python
        client.cloud.resource_manager    # "https://management.azure.com"
        ```
        """
        return self._cloud

    # ---- error mapping (no I/O: both clients raise the same errors) ---------------------------------------------
    graph_url = ""
    """The flows' clients are this client's SDK clients (crossipam._engine.Clients); no Graph here."""

    _aux_policy: ClassVar[Callable[..., Any]]
    """The auxiliary-token policy class of the twin (sync or asyncio)."""
    _budget_policy: ClassVar[Callable[..., Any]]
    """The pacing policy class of the twin (`RateBudgetPolicy` or `AsyncRateBudgetPolicy`)."""

    def _network(self, which: str, subscription_id: str) -> Any:  # pragma: no cover - each twin has one
        raise NotImplementedError

    def _client_key(self, which: str, subscription_id: str) -> tuple[str, str]:
        """The cache key of an SDK client (refused once the client is closed)."""
        if self._closed:
            raise ConfigurationError("the client is closed")
        return which, subscription_id.lower()

    def _network_options(self, which: str) -> tuple[Any, dict[str, Any]]:
        """The credential and keyword arguments of the ``NetworkManagementClient`` for the managed (``"managed"``:
        tenant B, with the auxiliary-token policy for tenant A) or the management tenant: the caller's azure-core
        options, ``RetryAfterPolicy`` and the redacting network trace."""
        kwargs = dict(self._kwargs)
        per_retry = [*(kwargs.pop("per_retry_policies", None) or []), RetryAfterPolicy()]
        credential = self._for_managed if which == "managed" else self._for_management
        if which == "managed" and self._management_tenant_id != self._managed_tenant_id:
            scope = self._cloud.resource_manager_scope
            aux = type(self)._aux_policy(
                self._credential, [self._management_tenant_id], scope, client_id=self._client_id
            )
            per_retry.append(aux)
        if which == "managed":
            per_retry.append(type(self)._budget_policy(self._budgets))
        kwargs.setdefault("logging_policy", RedactingNetworkTraceLoggingPolicy(**self._kwargs))
        kwargs["base_url"] = self._cloud.resource_manager
        kwargs["credential_scopes"] = [self._cloud.resource_manager_scope]
        kwargs["per_retry_policies"] = per_retry
        return credential, kwargs

    def _take_clients(self) -> list[Any]:
        """Mark the client closed and hand over the SDK clients to close."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
            self._closed = True
        return clients

    def _readiness_arguments(self, pool_id: Any, options: Mapping[str, Any]) -> dict[str, Any]:
        """What ``check_readiness`` of both twins passes to the readiness flow besides the two credentials."""
        return {
            "managed_tenant_id": self._managed_tenant_id,
            "management_tenant_id": self._management_tenant_id,
            "pool_id": pool_id,
            **options,
            "client_id": self._client_id,
            "cloud": self._cloud,
            "operation_timeout": self._operation_timeout,
            **self._kwargs,
        }

    def client_for(self, call: Any) -> Any:
        """The SDK client that executes a flow's ARM call (the step engine's ``Clients``): the managed tenant's
        (with the auxiliary-token policy) or the management tenant's ``NetworkManagementClient``.

        Args:
            call: The flow's ``ArmCall`` (its ``admin`` side and ``subscription_id`` pick the client).

        ```python
        client.client_for(ArmCall("network", "managed", sub_b, "virtual_networks.get"))
        ```
        """
        return self._network(call.admin, call.subscription_id)

    def _flow_context(self, *, conflict_retries: int | None = None) -> FlowContext:
        """What the VNet and pool flows need of this client (crossipam._vnet_flows). One retry budget per
        operation: a single call retries conflicts ``conflict_retries`` times; a bulk item passes 0, so that its
        conflicts reach the bulk scheduler, whose ``max_attempts`` is then the item's only budget."""
        return FlowContext(
            managed_tenant_id=self._managed_tenant_id,
            endpoint=self._cloud.resource_manager.rstrip("/"),
            polling_interval=float(self._polling_interval or 0),
            operation_timeout=self._operation_timeout,
            conflict_retries=self._conflict_retries if conflict_retries is None else conflict_retries,
            service_error=lambda err, tenant, action: self._service_error(err, tenant=tenant, action=action),
            pool_error=self._pool_read_error,
        )

    def _listing(self, items: Sequence[Any]) -> Flow:
        """The flow that lists, once, the resource groups of a ``deploy_many``'s VNets (bulk items): the first
        attempt of each item plans from the list instead of a GET of its own. An item whose spec is refused
        before any request (a bad id, tag or pool) is no reason to list its group."""
        vnets = []
        for item in items:
            try:
                spec = spec_of(item)
                vnets.append(deployment_request(spec.vnet_id, **spec.deploy_kwargs()).vnet_id)
            except CrossIpamError:  # the item fails alone when it runs
                continue
        return listing_flow(self._flow_context(), vnets)

    def _removal_listing(self, items: Sequence[Any]) -> Flow:
        """The flow that lists, once, the resource groups of a ``remove_many``'s VNets (bulk items, targets are
        VNet ids): the first attempt of each item plans from the list instead of a GET of its own, and its PUT
        carries the listed ETag. An id that does not parse is no reason to list anything."""
        return listing_flow(self._flow_context(), [item.target for item in items])

    def _service_error(self, err: AzureError, *, tenant: str, action: str) -> AzureServiceError:
        return map_service_error(
            err,
            tenant=tenant,
            action=action,
            management_tenant_id=self._management_tenant_id,
            client_id=self._client_id,
        )

    def _pool_read_error(self, err: AzureError, action: str, pool: IpamPoolId) -> AzureServiceError:
        mapped = self._service_error(err, tenant=self._management_tenant_id, action=action)
        if error_code(mapped.code).means == "wrong_tenant":
            # The pool's subscription belongs to another tenant than management_tenant_id: say so plainly.
            mapped.message = (
                f"pool {pool} is not in the management tenant {self._management_tenant_id}: ARM refused the "
                f"tenant's token for subscription {pool.subscription_id} ({mapped.code})"
            )
            mapped.hint = (
                "pass the tenant that owns the pool's subscription as management_tenant_id, or a pool of the "
                "management tenant"
            )
        return mapped

    def __repr__(self) -> str:
        return (
            f"{self._REPR_NAME}(managed_tenant_id={self._managed_tenant_id!r}, "
            f"management_tenant_id={self._management_tenant_id!r}, "
            f"resource_manager={self._cloud.resource_manager!r}, credential={type(self._credential).__name__})"
        )


def _operation_timeout(value: object) -> float:
    """``operation_timeout=``: seconds (a non-negative number) to wait for an operation in flight to end."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        raise InvalidInputError(f"operation_timeout must be a non-negative number of seconds, got {value!r}")
    return float(value)
