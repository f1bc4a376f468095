"""The VNet operations as step flows (`crossipam._engine`), written once for both clients.

Each flow yields the requests it needs — ARM calls through the client's SDK clients, waits, a long-running
PUT — and decides everything itself: read the VNet until no operation runs on it, plan (pure functions of
`crossipam.deployment` and `crossipam.removal`), write, and after a conflict read and plan again.
[`crossipam.CrossTenantIpamClient`][] runs them with `crossipam._drive.drive`, the asyncio client with
`crossipam.aio._drive.drive`; a client only adds the per-VNet lock and wraps the outcome in a poller.

```python
outcome = drive(deploy_flow(ctx, request), client, time.sleep)     # a poller, or the VNet when nothing changed
```
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from azure.core.exceptions import AzureError, ResourceNotFoundError

from . import deployment as _deployment
from . import removal as _removal
from ._engine import ArmCall, BeginLro, Sleep
from ._inflight import SettleWait, is_terminal, lro_failure, provisioning_state
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._retry_after import parse_retry_after
from ._shared import (
    API_VERSION,
    READ_ACTION_RETRY_METHODS,
    SDK_ERRORS,
    absent_or_error,
    conflict_delay,
    put_headers,
    vnet_not_found,
    wire,
)
from ._wire_errors import error_code
from .errors import AzureServiceError, ConflictError, CrossIpamError
from .models import DeploymentAction, PoolAllocation, PoolUsage, VirtualNetworkDeployment

__all__ = [
    "FlowContext",
    "Listed",
    "VnetListing",
    "deploy_flow",
    "listing_flow",
    "pool_allocations_flow",
    "pool_usage_flow",
    "read_flow",
    "read_settled",
    "remove_flow",
]

_LOGGER = logging.getLogger("crossipam.client")

Flow = Generator[Any, Any, Any]
"""What a flow yields and what it is answered with."""


@dataclass(frozen=True)
class FlowContext:
    """What the flows need of a client: its tenants, the ARM endpoint, the waits and retry budget, and its
    error mapping (``service_error(err, tenant, action)``, ``pool_error(err, action, pool)``)."""

    managed_tenant_id: str
    endpoint: str
    polling_interval: float
    operation_timeout: float
    conflict_retries: int
    service_error: Callable[[AzureError, str, str], AzureServiceError]
    pool_error: Callable[[AzureError, str, IpamPoolId], AzureServiceError]

    def vnet_error(self, err: AzureError, action: str) -> AzureServiceError:
        """An SDK error of a VNet request as crossipam's typed error (tenant B)."""
        return self.service_error(err, self.managed_tenant_id, action)

    def settle_wait(self, vnet: VirtualNetworkId) -> SettleWait:
        """A wait for the operation in flight on ``vnet``."""
        return SettleWait(
            str(vnet),
            timeout=self.operation_timeout,
            polling_interval=self.polling_interval,
            tenant_id=self.managed_tenant_id,
        )


# ---- reading a VNet ---------------------------------------------------------------------------------------


def _body_and_retry_after(
    pipeline_response: Any, _deserialized: Any, _headers: Any
) -> tuple[Any, float | None]:
    http = pipeline_response.http_response
    return http.json(), parse_retry_after(http.headers.get("Retry-After"))


def _read_once(ctx: FlowContext, vnet: VirtualNetworkId) -> Flow:
    """One GET of the VNet: ``(its JSON or None when absent, the answer's Retry-After)``."""
    call = ArmCall(
        "network",
        "managed",
        vnet.subscription_id,
        "virtual_networks.get",
        (vnet.resource_group, vnet.name),
        {"api_version": API_VERSION, "cls": _body_and_retry_after},
    )
    try:
        body, retry_after = yield call
    except ResourceNotFoundError as err:
        mapped = absent_or_error(ctx.vnet_error(err, f"read {vnet}"))
        if mapped is None:
            return None, None
        raise mapped from err
    except SDK_ERRORS as err:
        raise ctx.vnet_error(err, f"read {vnet}") from err
    return cast(dict[str, Any], body), retry_after


def read_settled(ctx: FlowContext, vnet: VirtualNetworkId, *, fail_after_wait: bool = True) -> Flow:
    """The VNet once no operation runs on it: a ``provisioningState`` that is not terminal is read again after
    ``Retry-After`` or ``polling_interval`` until it is, or ``operation_timeout`` raises
    [`OperationTimeoutError`][crossipam.errors.OperationTimeoutError]. With ``fail_after_wait``, a VNet that
    ended ``Failed`` or vanished while the flow waited raises
    [`OperationFailedError`][crossipam.errors.OperationFailedError].

    ```python
    body = drive(read_settled(ctx, vnet), client, time.sleep)     # dict, or None when absent
    ```
    """
    body, retry_after = yield from _read_once(ctx, vnet)
    wait: SettleWait | None = None
    while not is_terminal(state := provisioning_state(body)):
        if wait is None:
            wait = ctx.settle_wait(vnet)
            _LOGGER.info("%s is %s: waiting for the operation in flight to end", vnet, state)
        yield Sleep(wait.delay(state, retry_after))
        body, retry_after = yield from _read_once(ctx, vnet)
    if wait is not None:
        _LOGGER.info("%s is %s after %d reads", vnet, state or "gone", wait.reads)
        if fail_after_wait:
            wait.check_outcome(body)
    return body


def read_flow(ctx: FlowContext, vnet: VirtualNetworkId) -> Flow:
    """``get_virtual_network_allocation``: the VNet once settled (a ``Failed`` VNet is reported as it is).

    ```python
    deployment = drive(read_flow(ctx, vnet), client, time.sleep)
    ```
    """
    body = yield from read_settled(ctx, vnet, fail_after_wait=False)
    if body is None:
        raise vnet_not_found(vnet, ctx.managed_tenant_id)
    return _deployment.deployment_from_wire(body, "read", vnet_id=vnet)


# ---- writing a VNet ---------------------------------------------------------------------------------------


def _begin_put(
    ctx: FlowContext,
    vnet: VirtualNetworkId,
    body: Mapping[str, Any],
    *,
    if_match: str | None,
    action: DeploymentAction,
    verb: str,
) -> BeginLro:
    def map_error(err: Exception) -> Exception:
        mapped = ctx.vnet_error(cast(AzureError, err), f"{verb} {vnet}")
        return lro_failure(mapped, err, str(vnet))

    def result(pipeline_response: Any, _deserialized: Any, _headers: Any) -> VirtualNetworkDeployment:
        return _deployment.deployment_from_wire(pipeline_response.http_response.json(), action, vnet_id=vnet)

    def settle(deployment: VirtualNetworkDeployment) -> Flow:
        """The final read shows a state that is not terminal (another operation began meanwhile): read again."""
        if is_terminal(deployment.provisioning_state):
            return deployment
        settled = yield from read_settled(ctx, vnet)
        if settled is None:
            raise vnet_not_found(vnet, ctx.managed_tenant_id)
        return _deployment.deployment_from_wire(settled, action, vnet_id=vnet)

    call = ArmCall(
        "network",
        "managed",
        vnet.subscription_id,
        "virtual_networks.begin_create_or_update",
        (vnet.resource_group, vnet.name, json.dumps(body).encode("utf-8")),
        {
            "content_type": "application/json",
            "api_version": API_VERSION,
            "headers": put_headers(if_match),
            "cls": result,
        },
    )
    return BeginLro(call, ctx.polling_interval, ctx.endpoint, map_error, settle)


def _after_conflict(
    ctx: FlowContext, mapped: AzureServiceError, err: Exception, attempt: int, vnet: VirtualNetworkId
) -> Flow:
    """A write met 409 AnotherOperationInProgress / 412 PreconditionFailed, or a 429 that says the VNet is busy
    (``RetryableErrorDueToAnotherOperation``: a 409 by another name, which azure-core has retried already): raise
    when the retries are spent (or the error is none of these), else wait (not after a 412) and return the next
    attempt number (the flow reads again)."""
    busy = not isinstance(mapped, ConflictError) and error_code(mapped.code).means == "busy"
    if not (isinstance(mapped, ConflictError) or busy) or attempt >= ctx.conflict_retries:
        raise mapped from err
    delay = conflict_delay(mapped, attempt, ctx.polling_interval)
    _LOGGER.info(
        "%s: %s (attempt %d of %d); reading it again%s",
        vnet,
        mapped.code or mapped.status,
        attempt + 1,
        ctx.conflict_retries + 1,
        f" in {delay:g} s" if delay else "",
    )
    if delay:
        yield Sleep(delay)
    return attempt + 1


def deploy_flow(
    ctx: FlowContext, request: _deployment.DeploymentRequest, listed: Listed | None = None
) -> Flow:
    """Create or grow the VNet: read it settled, plan, PUT (``If-None-Match: *`` / ``If-Match``); after a conflict
    read and plan again. Returns the poller of the PUT, or the VNet itself when nothing needs writing.

    ``listed`` is what a list of its resource group showed (bulk): the first plan starts from it instead of a
    GET — a list read is a read, and the PUT's condition (``If-None-Match: *`` for a VNet the list did not show,
    the listed ETag otherwise) refuses it if the VNet changed since; a listed VNet with an operation in flight is
    read until it settles, as always.

    ```python
    outcome = drive(deploy_flow(ctx, request), client, time.sleep)
    ```
    """
    vnet = request.vnet_id
    attempt = 0
    while True:
        existing = yield from _first_read(ctx, vnet, listed, absent_is_read=True)
        listed = None
        plan = _deployment.plan_deployment(request, existing)
        if plan.body is None:
            assert existing is not None
            _LOGGER.info("%s already has the requested allocations: nothing to do", vnet)
            return _deployment.deployment_from_wire(existing, "unchanged", vnet_id=vnet)
        _LOGGER.info("deploying %s (%s): %s", vnet, plan.action, "; ".join(plan.changes))
        put = _begin_put(ctx, vnet, plan.body, if_match=plan.if_match, action=plan.action, verb="deploy")
        try:
            return (yield put)
        except SDK_ERRORS as err:
            attempt = yield from _after_conflict(
                ctx, ctx.vnet_error(err, f"deploy {vnet}"), err, attempt, vnet
            )


def _first_read(
    ctx: FlowContext, vnet: VirtualNetworkId, listed: Listed | None, *, absent_is_read: bool
) -> Flow:
    """The VNet as a list showed it when it showed it settled (no GET), otherwise read settled. A VNet the list
    did not show counts as read (``None``) only if ``absent_is_read`` (a deploy: its PUT carries
    ``If-None-Match: *``); otherwise it is read (a removal reports a missing VNet from a GET of its own)."""
    if (
        listed is not None
        and (listed.body is not None or absent_is_read)
        and is_terminal(provisioning_state(listed.body))
    ):
        return listed.body
    return (yield from read_settled(ctx, vnet))


def remove_flow(
    ctx: FlowContext, vnet: VirtualNetworkId, prefixes: Any, listed: Listed | None = None
) -> Flow:
    """Convert the VNet's pool allocations into static prefixes (see ``begin_remove_allocation``). Returns the
    poller of the PUT, or the VNet itself when it has no allocation.

    ``listed`` is what bulk's list of the resource group showed: a VNet listed settled is planned from it (no
    GET) and its PUT carries the listed ETag (``If-Match``), so a VNet changed since is never written over; a
    VNet the list did not show, or showed with an operation in flight, is read as always.

    ```python
    outcome = drive(remove_flow(ctx, vnet, None), client, time.sleep)
    ```
    """
    attempt = 0
    verb = "remove the allocation of"
    while True:
        existing = yield from _first_read(ctx, vnet, listed, absent_is_read=False)
        listed = None
        if existing is None:
            raise vnet_not_found(vnet, ctx.managed_tenant_id)
        plan = _removal.plan_removal(existing, prefixes)
        if plan.body is None:
            _LOGGER.info("%s has no IPAM pool allocation: nothing to remove", vnet)
            return _deployment.deployment_from_wire(existing, "no_allocation", vnet_id=vnet)
        _LOGGER.info(
            "removing %d allocation(s) of %s (static prefixes: %s)",
            len(plan.freed),
            vnet,
            ", ".join(str(p) for p in plan.body["properties"]["addressSpace"]["addressPrefixes"]),
        )
        put = _begin_put(ctx, vnet, plan.body, if_match=plan.if_match, action="removed", verb=verb)
        try:
            return (yield put)
        except SDK_ERRORS as err:
            attempt = yield from _after_conflict(
                ctx, ctx.vnet_error(err, f"{verb} {vnet}"), err, attempt, vnet
            )


# ---- listing the VNets of resource groups (bulk) ------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """What a list of the VNet's resource group showed: its body, or ``None`` when it was not there."""

    body: dict[str, Any] | None


class VnetListing:
    """The VNets listed per resource group, each handed out once (`take`): a retry reads the VNet again.

    ```python
    listing = drive(listing_flow(ctx, vnet_ids), client, time.sleep)
    deploy_flow(ctx, request, listing.take(request.vnet_id))
    ```
    """

    def __init__(self, groups: Mapping[tuple[str, str], Mapping[str, dict[str, Any]]]) -> None:
        self._groups = groups
        self._taken: set[str] = set()
        self._lock = threading.Lock()

    def take(self, vnet: VirtualNetworkId) -> Listed | None:
        """What the list showed of ``vnet`` the first time it is asked; ``None`` (read it) when its group was
        not listed or it was taken before."""
        group = self._groups.get((vnet.subscription_id.lower(), vnet.resource_group.lower()))
        key = str(vnet).lower()
        with self._lock:
            if group is None or key in self._taken:
                return None
            self._taken.add(key)
        return Listed(group.get(vnet.name.lower()))


def listing_flow(ctx: FlowContext, vnets: Iterable[str | VirtualNetworkId], *, min_vnets: int = 2) -> Flow:
    """List the VNets of each resource group that holds at least ``min_vnets`` of ``vnets`` (every page): one
    read per page instead of a GET per VNet. A group whose list fails, like an id that does not parse, is left
    out: its VNets are read one by one, and fail there if they must (a bulk call never fails as a whole).

    ```python
    listing = drive(listing_flow(ctx, [spec.vnet_id for spec in specs]), client, time.sleep)
    ```
    """
    counts: dict[tuple[str, str], int] = {}
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for value in vnets:
        try:
            vnet = VirtualNetworkId.parse(value)
        except CrossIpamError:  # the item fails alone when it runs
            _LOGGER.debug("%r is no VNet id: not listed", value)
            continue
        key = (vnet.subscription_id.lower(), vnet.resource_group.lower())
        counts[key] = counts.get(key, 0) + 1
        names.setdefault(key, (vnet.subscription_id, vnet.resource_group))
    groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for key, count in counts.items():
        if count < min_vnets:
            continue
        subscription, resource_group = names[key]
        call = ArmCall(
            "network",
            "managed",
            subscription,
            "virtual_networks.list",
            (resource_group,),
            {"api_version": API_VERSION},
            paged=True,
        )
        try:
            items = yield call
        except Exception as err:  # e.g. no token: each item meets (and reports) it on its own
            _LOGGER.info("listing the VNets of %s/%s failed (%s): reading them one by one", *names[key], err)
            continue
        bodies = [dict(wire(item)) for item in items]
        groups[key] = {str(body.get("name", "")).lower(): body for body in bodies}
    return VnetListing(groups)


# ---- reading a pool ----------------------------------------------------------------------------------------


def _json_body(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
    return pipeline_response.http_response.json()


def _pool_read(ctx: FlowContext, pool: IpamPoolId, operation: str, action: str, *, paged: bool) -> Flow:
    """One read of the pool in the management tenant (``getPoolUsage`` or ``listAssociatedResources``)."""
    kwargs: dict[str, Any] = {"api_version": API_VERSION, "retry_on_methods": READ_ACTION_RETRY_METHODS}
    if not paged:
        kwargs["cls"] = _json_body
    args = (pool.resource_group, pool.network_manager, pool.name)
    call = ArmCall("network", "management", pool.subscription_id, operation, args, kwargs, paged=paged)
    try:
        return (yield call)
    except SDK_ERRORS as err:
        raise ctx.pool_error(err, f"{action} {pool}", pool) from err


def pool_usage_flow(ctx: FlowContext, pool: IpamPoolId) -> Flow:
    """``getPoolUsage`` in the management tenant.

    ```python
    usage = drive(pool_usage_flow(ctx, pool), client, time.sleep)
    ```
    """
    body = yield from _pool_read(ctx, pool, "ipam_pools.get_pool_usage", "read the usage of", paged=False)
    return PoolUsage.from_wire(cast(Mapping[str, Any], body))


def pool_allocations_flow(ctx: FlowContext, pool: IpamPoolId) -> Flow:
    """``listAssociatedResources`` in the management tenant, every page.

    ```python
    allocations = drive(pool_allocations_flow(ctx, pool), client, time.sleep)
    ```
    """
    operation = "ipam_pools.list_associated_resources"
    items = yield from _pool_read(ctx, pool, operation, "list the allocations of", paged=True)
    return [PoolAllocation.from_wire(wire(item)) for item in items]
