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
from .models import SubnetSpec

if TYPE_CHECKING:  # annotations only (typing.Required needs Python 3.11)
    from typing_extensions import Required

__all__ = ["AsyncBulkOptions", "BulkOptions", "DeployOptions", "ReadinessOptions"]


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
