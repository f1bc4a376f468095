"""Logic shared by the sync client and its async twin (``crossipam.aio``): no I/O here.

Everything a client decides — how the environment configures it, which VNet read errors mean "absent", which
headers a PUT carries, how a failed operation maps to a typed error — lives in pure functions, so the two
clients differ only in ``await``.

```python
from crossipam._shared import environment_config

config = environment_config(os.environ, {})
config.managed_tenant_id, config.cloud.resource_manager
```
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from azure.core import AzureClouds
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from ._resource_ids import VirtualNetworkId
from ._wire_errors import error_code, service_error_from_http
from .credentials import validate_tenant_id
from .errors import AzureServiceError, ConfigurationError, NotFoundError
from .models import CloudEndpoints

__all__ = [
    "API_VERSION",
    "DEFAULT_CONFLICT_RETRIES",
    "READ_ACTION_RETRY_METHODS",
    "SDK_ERRORS",
    "EnvironmentConfig",
    "absent_or_error",
    "client_id_of",
    "cloud_from_env",
    "conflict_delay",
    "environment_config",
    "map_service_error",
    "put_headers",
    "vnet_absent",
    "vnet_not_found",
    "wire",
]

_LOGGER = logging.getLogger("crossipam.client")

API_VERSION = "2026-03-01"
"""The api-version crossipam uses for VNets and IPAM pools (azure-mgmt-network 33's default)."""


SDK_ERRORS = (HttpResponseError, ServiceRequestError, ServiceResponseError)
"""Errors of an SDK call that crossipam maps to its typed errors: an HTTP error answer, or no answer at all
(connection refused/dropped, read timeout) once azure-core's retries ran out."""
READ_ACTION_RETRY_METHODS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST"})
"""azure-core retries only idempotent methods on connection errors and 429; getPoolUsage and
listAssociatedResources are read-only POST actions, so crossipam lets azure-core retry them too."""
DEFAULT_CONFLICT_RETRIES = 4
"""Default number of times a deploy/removal re-reads the VNet and plans again after 409
AnotherOperationInProgress or 412 PreconditionFailed (a concurrent writer, or a retried PUT whose first
attempt had already been applied)."""


def conflict_delay(err: AzureServiceError, attempt: int, polling_interval: float) -> float:
    """Seconds to wait before re-reading after a conflict: none for a stale ETag (412: read again now); for
    409 AnotherOperationInProgress (or a busy VNet's 429) the polling interval, at least 0.1 s doubling per
    attempt."""
    if err.status == 412 or error_code(err.code).retry == "stale":
        return 0.0
    return float(max(polling_interval, 0.1 * 2**attempt))


@dataclass(frozen=True)
class EnvironmentConfig:
    """What ``from_environment`` read: the app, both tenants, the cloud and one credential source.

    ```python
    config = environment_config({"AZURE_CLIENT_ID": app_id, "AZURE_CLIENT_SECRET": s,
                                 "AZURE_TENANT_ID": b, "CROSSIPAM_MANAGEMENT_TENANT_ID": a}, {})
    config.client_secret is not None    # True
    ```
    """

    client_id: str
    managed_tenant_id: str
    management_tenant_id: str
    cloud: CloudEndpoints
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: str | None = None
    certificate_password: str | None = field(default=None, repr=False)
    federated_token_file: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict, repr=False)
    """The azure-core keyword arguments, with ``cloud`` removed and ``connection_verify`` defaulted from
    ``REQUESTS_CA_BUNDLE``."""


def cloud_from_env(env: Mapping[str, str], base: AzureClouds | CloudEndpoints | str) -> CloudEndpoints:
    """``base``'s endpoints with ``AZURE_AUTHORITY_HOST``, ``CROSSIPAM_ARM_ENDPOINT`` and
    ``CROSSIPAM_GRAPH_ENDPOINT`` applied (the ARM endpoint also sets the token scope).

    ```python
    cloud_from_env({"CROSSIPAM_ARM_ENDPOINT": "https://127.0.0.1:8443"}, AzureClouds.AZURE_PUBLIC_CLOUD)
    ```
    """
    endpoints = CloudEndpoints.for_cloud(base)
    arm = env.get("CROSSIPAM_ARM_ENDPOINT")
    return CloudEndpoints(
        authority_host=env.get("AZURE_AUTHORITY_HOST") or endpoints.authority_host,
        resource_manager=(arm.rstrip("/") + "/") if arm else endpoints.resource_manager,
        graph=env.get("CROSSIPAM_GRAPH_ENDPOINT") or endpoints.graph,
        resource_manager_scope=(arm.rstrip("/") + "/.default") if arm else endpoints.resource_manager_scope,
    )


def environment_config(env: Mapping[str, str], kwargs: Mapping[str, Any]) -> EnvironmentConfig:
    """Read azure-identity's and crossipam's environment variables (see ``from_environment``).

    Raises [`ConfigurationError`][crossipam.errors.ConfigurationError] naming every missing variable.

    ```python
    environment_config(os.environ, {"transport": transport}).cloud
    ```
    """
    kw = dict(kwargs)
    missing = [
        name
        for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "CROSSIPAM_MANAGEMENT_TENANT_ID")
        if not env.get(name)
    ]
    secret = env.get("AZURE_CLIENT_SECRET")
    cert = env.get("AZURE_CLIENT_CERTIFICATE_PATH")
    token_file = env.get("AZURE_FEDERATED_TOKEN_FILE")
    if not (secret or cert or token_file):
        missing.append("AZURE_CLIENT_SECRET | AZURE_CLIENT_CERTIFICATE_PATH | AZURE_FEDERATED_TOKEN_FILE")
    if missing:
        raise ConfigurationError(
            "from_environment needs these environment variables: " + ", ".join(missing),
            hint="see the docstring of CrossTenantIpamClient.from_environment",
        )
    cloud = cloud_from_env(env, kw.pop("cloud", AzureClouds.AZURE_PUBLIC_CLOUD))
    ca_bundle = env.get("REQUESTS_CA_BUNDLE")
    if ca_bundle and "transport" not in kw:
        kw.setdefault("connection_verify", ca_bundle)
    return EnvironmentConfig(
        client_id=env["AZURE_CLIENT_ID"],
        managed_tenant_id=validate_tenant_id(env["AZURE_TENANT_ID"], "AZURE_TENANT_ID"),
        management_tenant_id=validate_tenant_id(
            env["CROSSIPAM_MANAGEMENT_TENANT_ID"], "CROSSIPAM_MANAGEMENT_TENANT_ID"
        ),
        cloud=cloud,
        client_secret=secret or None,
        certificate_path=None if secret else (cert or None),
        certificate_password=env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None,
        federated_token_file=None if (secret or cert) else token_file,
        kwargs=kw,
    )


def client_id_of(credential: object) -> str | None:
    """The app (client) id an azure-identity credential (sync or async) was created with, if it can tell.

    ```python
    client_id_of(ClientSecretCredential(b, app_id, secret))   # app_id
    ```
    """
    for holder in (
        credential,
        getattr(credential, "_client", None),
        getattr(credential, "_credential", None),
    ):
        value = getattr(holder, "_client_id", None) if holder is not None else None
        if isinstance(value, str) and value:
            return value
    return None


def wire(item: Any) -> Mapping[str, Any]:
    """The REST (camelCase) form of an azure-mgmt-network model.

    ```python
    PoolAllocation.from_wire(wire(sdk_item))
    ```
    """
    as_dict = getattr(item, "as_dict", None)
    if callable(as_dict):
        return cast(Mapping[str, Any], as_dict())
    return cast(Mapping[str, Any], dict(item))


def map_service_error(
    err: Any, *, tenant: str, action: str, management_tenant_id: str, client_id: str | None
) -> AzureServiceError:
    """An azure-core ``HttpResponseError`` as crossipam's typed error (both clients call this).

    ```python
    raise map_service_error(err, tenant=b, action=f"read {vnet}", management_tenant_id=a, client_id=app) from err
    ```
    """
    return service_error_from_http(
        err,
        tenant_id=tenant,
        action=action,
        management_tenant_id=management_tenant_id,
        client_id=client_id,
    )


def absent_or_error(mapped: AzureServiceError) -> AzureServiceError | None:
    """``None`` when a 404 on a VNet read means "the VNet does not exist" (as opposed to a missing resource
    group, which stays an error).

    ```python
    if absent_or_error(mapped) is None: return None     # create it
    ```
    """
    return None if vnet_absent(mapped.code) else mapped


def vnet_absent(code: str | None) -> bool:
    """Whether a 404 with this ARM error ``code`` on a VNet read means the VNet does not exist (a missing
    resource group answers ``ResourceGroupNotFound``, which does not).

    ```python
    vnet_absent("ResourceNotFound"), vnet_absent("ResourceGroupNotFound")    # (True, False)
    ```
    """
    return code is None or error_code(code).means == "absent"


def vnet_not_found(vnet: VirtualNetworkId, tenant_id: str) -> NotFoundError:
    """The error for an operation that needs an existing VNet.

    ```python
    raise vnet_not_found(vnet, b)
    ```
    """
    return NotFoundError(
        f"virtual network {vnet} was not found",
        code="ResourceNotFound",
        status=404,
        tenant_id=tenant_id,
        hint="check the subscription, resource group and name",
    )


def put_headers(if_match: str | None) -> dict[str, str]:
    """Conditional headers of a VNet PUT: ``If-Match`` for an update, ``If-None-Match: *`` for a create.

    ```python
    put_headers(None)          # {'If-None-Match': '*'}
    ```
    """
    return {"If-Match": if_match} if if_match else {"If-None-Match": "*"}
