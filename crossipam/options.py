"""The options of the client operations, as typed dictionaries (PEP 692): both clients take them as
``**options``, so each list of options is written — and documented — once.

```python
from crossipam.options import DeployOptions

options: DeployOptions = {"location": "eastus", "pool_id": pool_id, "number_of_ip_addresses": 256}
client.begin_deploy_virtual_network(vnet_id, **options).result()
```
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING, Any, TypedDict

from ._bulk_items import ProgressCallback
from ._cloud import CloudArgument
from ._resource_ids import IpamPoolId, VirtualNetworkId
from .models import CloudEndpoints, SubnetSpec

if TYPE_CHECKING:  # annotations only (typing.Required needs Python 3.11)
    from azure.core.pipeline import PipelineRequest, PipelineResponse
    from azure.core.pipeline.policies import RetryMode
    from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
    from typing_extensions import Required

__all__ = [
    "AsyncBulkOptions",
    "AsyncOffboardingOptions",
    "AsyncOnboardingOptions",
    "AsyncPipelineOptions",
    "BulkOptions",
    "DeployOptions",
    "OffboardingOptions",
    "OnboardingOptions",
    "PipelineOptions",
    "ReadinessArguments",
    "ReadinessOptions",
]


class DeployOptions(TypedDict, total=False):
    """The options of ``begin_deploy_virtual_network`` (the sync client and its asyncio twin take them as
    ``**options``), checked by `deployment_request` before any request.

    Attributes:
        location: The VNet's region (required), e.g. ``"eastus"``; an existing VNet must be there already.
        pool_id: The IPv4 IPAM pool of the management tenant (required).
        number_of_ip_addresses: How many IPv4 addresses the VNet takes from the pool (required; grows only).
        subnets: Subnets that take their addresses from the VNet's allocation; others are kept as they are.
        ipv6_pool_id: The IPv6 pool, with ``ipv6_number_of_ip_addresses`` (both or neither).
        ipv6_number_of_ip_addresses: How many IPv6 addresses the VNet takes from ``ipv6_pool_id``.
        tags: Tags merged into the VNet's own (case-insensitively; at most 50 in all).

    ```python
    options: DeployOptions = {"location": "eastus", "pool_id": pool_id, "number_of_ip_addresses": 256}
    client.begin_deploy_virtual_network(vnet_id, **options).result()
    ```
    """

    location: Required[str]
    pool_id: Required[str | IpamPoolId]
    number_of_ip_addresses: Required[int]
    subnets: Iterable[SubnetSpec]
    ipv6_pool_id: str | IpamPoolId | None
    ipv6_number_of_ip_addresses: int | None
    tags: Mapping[str, str] | None


class _BulkLimits(TypedDict, total=False):
    max_concurrency: int
    on_progress: ProgressCallback | None
    max_attempts: int
    clock: Callable[[], float] | None


class BulkOptions(_BulkLimits, total=False):
    """The options of ``deploy_many`` / ``remove_many`` (the sync client takes them as ``**options``).

    Attributes:
        max_concurrency: How many items run at once (default 8; lowered per subscription under throttling).
        on_progress: ``on_progress(done, total, result)``, called once per finished item.
        max_attempts: Runs per item, retries included (default 6): the item's only retry budget.
        sleep: Replaces ``time.sleep`` (tests); pass ``clock`` with it.
        clock: Replaces ``time.monotonic`` (tests).

    ```python
    client.deploy_many(specs, max_concurrency=4, on_progress=lambda done, total, r: print(done, total))
    ```
    """

    sleep: Callable[[float], Any] | None


class AsyncBulkOptions(_BulkLimits, total=False):
    """The options of the asyncio client's ``deploy_many`` / ``remove_many``: those of
    [`BulkOptions`][crossipam.options.BulkOptions], with an awaitable ``sleep`` (replaces ``asyncio.sleep``).

    ```python
    await client.deploy_many(specs, max_concurrency=16)
    ```
    """

    sleep: Callable[[float], Awaitable[Any]] | None


class ReadinessOptions(TypedDict, total=False):
    """What ``check_readiness`` of both clients may be told besides the pool (its ``**options``).

    Attributes:
        vnet_id: The VNet in tenant B (existing or to be created); enables the VNet-side checks.
        number_of_ip_addresses: The count to deploy; enables ``pool_capacity`` (an existing VNet's allocation
            from the pool is subtracted).
        location: The region of a VNet that does not exist yet (an existing VNet's own region wins).

    ```python
    client.check_readiness(pool_id, vnet_id=vnet_id, number_of_ip_addresses=256)
    ```
    """

    vnet_id: str | VirtualNetworkId | None
    number_of_ip_addresses: int | None
    location: str | None


class _PipelineKeywords(TypedDict, total=False):
    connection_verify: bool | str
    connection_cert: str | tuple[str, str]
    connection_timeout: float
    read_timeout: float
    connection_data_block_size: int
    proxies: Mapping[str, str]
    cookies: Mapping[str, str] | CookieJar
    headers: Mapping[str, str]
    request_id: str
    user_agent: str
    logging_enable: bool
    logger: logging.Logger
    response_encoding: str
    raw_request_hook: Callable[[PipelineRequest[Any]], None]
    raw_response_hook: Callable[[PipelineResponse[Any, Any]], None]
    network_span_namer: Callable[..., str]
    tracing_attributes: Mapping[str, Any]
    permit_redirects: bool
    redirect_max: int
    retry_total: int
    retry_connect: int
    retry_read: int
    retry_status: int
    retry_backoff_factor: float
    retry_backoff_max: float
    retry_mode: RetryMode
    timeout: float
    per_call_policies: Any
    per_retry_policies: Any
    polling_interval: float


class PipelineOptions(_PipelineKeywords, total=False):
    """azure-core's keyword arguments, which onboarding and offboarding pass to every azure-core pipeline and
    SDK client they build (azure-core's "Configurations" table, plus the policies, ``polling_interval`` and
    the ``transport``).

    Attributes:
        transport: The sync HTTP transport (it stays open: you own it), e.g. the offline Azure's.
        connection_verify: ``False``, or a CA bundle to verify TLS with (verified by default).
        connection_cert: A client certificate: one file, or the certificate's and the key's paths.
        connection_timeout: Seconds to wait for a connection.
        read_timeout: Seconds to wait for an answer.
        connection_data_block_size: The block size of data sent over the connection.
        proxies: Proxy URL by protocol (or protocol and host).
        cookies: Cookies sent with each request.
        headers: Headers added to each request.
        request_id: The request id header's value.
        user_agent: Put in front of the user agent.
        logging_enable: Log the requests and answers (redacted) at DEBUG.
        logger: The logger for them.
        response_encoding: The answers' encoding, if known.
        raw_request_hook: Called with each request.
        raw_response_hook: Called with each answer.
        network_span_namer: Names the tracing span of a request.
        tracing_attributes: Attributes set on every tracing span.
        permit_redirects: Whether redirects are followed (default ``True``).
        redirect_max: The most redirects followed.
        retry_total: Retries of a request in all (azure-core's default: 10).
        retry_connect: Retries of connection errors.
        retry_read: Retries of read errors.
        retry_status: Retries of retryable status codes.
        retry_backoff_factor: The backoff factor between retries.
        retry_backoff_max: The longest backoff, in seconds.
        retry_mode: Fixed or exponential backoff.
        timeout: Seconds one operation may take, retries included.
        per_call_policies: A policy, or a list of them, run once per call.
        per_retry_policies: A policy, or a list of them, run on every try.
        polling_interval: The SDK clients' default polling interval.

    ```python
    pipeline: PipelineOptions = {"retry_total": 3, "logging_enable": True}
    onboard_service_principal(app_id, pool_id, **tenants_and_admins, **pipeline)
    ```
    """

    transport: HttpTransport[Any, Any]


class AsyncPipelineOptions(_PipelineKeywords, total=False):
    """The azure-core keyword arguments of the asyncio onboarding functions: those of
    [`PipelineOptions`][crossipam.options.PipelineOptions], with an async ``transport``.

    ```python
    await onboard_service_principal(app_id, pool_id, **tenants_and_admins, transport=emulator.async_transport())
    ```
    """

    transport: AsyncHttpTransport[Any, Any]


class _RunKeywords(TypedDict, total=False):
    management_tenant_id: Required[str]
    cloud: CloudArgument | None
    dry_run: bool
    role_name: str


class _OnboardingKeywords(_RunKeywords, total=False):
    managed_tenant_id: Required[str]
    check_connection: bool
    managed_subscription_id: str | None
    max_replication_wait: float
    replication_poll_interval: float
    max_replication_attempts: int | None


class OnboardingOptions(_OnboardingKeywords, PipelineOptions, total=False):
    """The keyword options of [`onboard_service_principal`][crossipam.onboarding.onboard_service_principal]
    (its ``**options``) besides the two admin credentials and ``sleep``: the tenants, what to do, how long to
    wait for directory replication, and azure-core's [`PipelineOptions`][crossipam.options.PipelineOptions].

    Attributes:
        managed_tenant_id: Tenant B, the app's home tenant (required).
        management_tenant_id: Tenant A, owner of the pool (required).
        cloud: The Azure cloud: ``CloudEndpoints`` (custom clouds) or an ``azure.core.AzureClouds`` value /
            name; the public cloud when omitted.
        dry_run: Only read (GET) and report what would be done (steps ``"planned"``); default ``False``.
        check_connection: Also verify the cross-tenant network-manager connection; default ``False``.
        managed_subscription_id: With ``check_connection``: also check the managed subscription's side.
        role_name: Role to assign on the pool (default ``"IPAM Pool User"``).
        max_replication_wait: Seconds to keep retrying while directory replication catches up (default 180,
            like the Azure CLI's 36 x 5 s); 0 disables waiting.
        replication_poll_interval: Seconds between those retries (default 5).
        max_replication_attempts: Alternatively (or additionally) a cap on the number of attempts of one
            operation while replication is pending (the Azure CLI makes 36); no cap by default.

    ```python
    options: OnboardingOptions = {"managed_tenant_id": tenant_b, "management_tenant_id": tenant_a,
                                  "dry_run": True, "retry_total": 3}
    onboard_service_principal(app_id, pool_id, managed_tenant_credential=admin_b,
                              management_tenant_credential=admin_a, **options)
    ```
    """


class AsyncOnboardingOptions(_OnboardingKeywords, AsyncPipelineOptions, total=False):
    """The keyword options of the asyncio ``onboard_service_principal``: those of
    [`OnboardingOptions`][crossipam.options.OnboardingOptions], with azure-core's
    [`AsyncPipelineOptions`][crossipam.options.AsyncPipelineOptions] (an async ``transport``).

    ```python
    options: AsyncOnboardingOptions = {"managed_tenant_id": tenant_b, "management_tenant_id": tenant_a}
    await onboard_service_principal(app_id, pool_id, managed_tenant_credential=admin_b,
                                    management_tenant_credential=admin_a, **options)
    ```
    """


class _OffboardingKeywords(_RunKeywords, total=False):
    managed_tenant_id: str | None
    delete_service_principal: bool


class OffboardingOptions(_OffboardingKeywords, PipelineOptions, total=False):
    """The keyword options of [`offboard_service_principal`][crossipam.onboarding.offboard_service_principal]
    (its ``**options``) besides the admin credentials, and azure-core's
    [`PipelineOptions`][crossipam.options.PipelineOptions].

    Attributes:
        management_tenant_id: Tenant A (required).
        managed_tenant_id: Unused (symmetry with onboarding).
        cloud: The Azure cloud: ``CloudEndpoints`` (custom clouds) or an ``azure.core.AzureClouds`` value /
            name; the public cloud when omitted.
        dry_run: Only read and report what would be removed; default ``False``.
        delete_service_principal: Also delete the stub service principal in tenant A; default ``False``.
        role_name: The role onboarding assigned (default ``"IPAM Pool User"``).

    ```python
    offboard_service_principal(app_id, pool_id, management_tenant_credential=admin_a,
                               management_tenant_id=tenant_a, delete_service_principal=True)
    ```
    """


class AsyncOffboardingOptions(_OffboardingKeywords, AsyncPipelineOptions, total=False):
    """The keyword options of the asyncio ``offboard_service_principal``: those of
    [`OffboardingOptions`][crossipam.options.OffboardingOptions], with an async ``transport``.

    ```python
    await offboard_service_principal(app_id, pool_id, management_tenant_credential=admin_a,
                                     management_tenant_id=tenant_a)
    ```
    """


class ReadinessArguments(ReadinessOptions, _PipelineKeywords, total=False):
    """What [`crossipam.readiness.check_readiness`][] and its asyncio twin take besides the two credentials (their
    ``**options``): the pool and the tenants (required), [`ReadinessOptions`][crossipam.options.ReadinessOptions],
    the app, the cloud, how long to wait for an operation in flight, and the azure-core options of the reads.

    Attributes:
        managed_tenant_id: Tenant B, the app's home, which owns the VNet (required).
        management_tenant_id: Tenant A, which owns the IPAM pool (required).
        pool_id: The IPAM pool in tenant A (required).
        client_id: The app's (client) id: Microsoft Graph reads its registration (without it ``app_multitenant``
            is skipped), and the remedies name it.
        cloud: The cloud's endpoints; the public cloud when omitted.
        operation_timeout: Seconds to wait when the VNet is being updated (``provisioningState`` not terminal:
            its allocation may still change), reading it every ``polling_interval`` seconds (default 30); past
            that the VNet counts as unreadable.

    The azure-core options (``transport``, ``connection_verify``, ``retry_total`` …, ``logging_enable``) go to
    the pipelines of the reads; ``logging_enable`` never reaches a credential.

    ```python
    arguments: ReadinessArguments = {"managed_tenant_id": b, "management_tenant_id": a, "pool_id": pool_id}
    report = check_readiness(for_b, for_a, vnet_id=vnet_id, **arguments)
    ```
    """

    managed_tenant_id: Required[str]
    management_tenant_id: Required[str]
    pool_id: Required[str | IpamPoolId]
    client_id: str | None
    cloud: CloudEndpoints | None
    operation_timeout: float
    transport: Any
