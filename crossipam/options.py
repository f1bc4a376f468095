"""The options of the client operations, as typed dictionaries (PEP 692): both clients take them as
``**options``, so each list of options is written — and documented — once.

```python
from crossipam.options import DeployOptions

options: DeployOptions = {"location": "eastus", "pool_id": pool_id, "number_of_ip_addresses": 256}
client.begin_deploy_virtual_network(vnet_id, **options).result()
```
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from ._bulk_items import ProgressCallback
from ._resource_ids import IpamPoolId, VirtualNetworkId
from .models import CloudEndpoints, SubnetSpec

if TYPE_CHECKING:  # annotations only (typing.Required needs Python 3.11)
    from typing_extensions import Required

__all__ = ["AsyncBulkOptions", "BulkOptions", "DeployOptions", "ReadinessArguments", "ReadinessOptions"]


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


class _ReadPipelineOptions(TypedDict, total=False):
    """The azure-core options readiness's reads use (``CREDENTIAL_PIPELINE_KWARGS``, ``logging_enable``,
    ``polling_interval``): any other is ignored."""

    transport: Any
    connection_verify: bool | str
    connection_cert: Any
    connection_timeout: float
    read_timeout: float
    retry_total: int
    retry_connect: int
    retry_read: int
    retry_status: int
    retry_backoff_factor: float
    retry_backoff_max: float
    retry_mode: Any
    proxies: Mapping[str, str]
    user_agent: str
    logging_enable: bool
    polling_interval: float


class ReadinessArguments(ReadinessOptions, _ReadPipelineOptions, total=False):
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
