"""Readiness's reads, sans I/O: one generator (`_reads`) yields the Graph requests and azure-mgmt calls the
verdicts need and records the answers in `_Seen`; `_flow` then decides every check
(``crossipam._readiness_verdicts``) and builds the report. `_start` is what both entries
([`crossipam.readiness.check_readiness`][] and [`crossipam.aio.readiness.check_readiness`][]) begin with: the
arguments checked and parsed, and the `Job` (credentials per tenant) their driver runs the flow on.

```python
seen, endpoints, azure_core, job = _start(for_b, for_a, {"managed_tenant_id": b, "management_tenant_id": a,
                                                        "pool_id": pool_id})
report = run_job(job, time.sleep, azure_core, steps=_flow(seen))
```
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, Literal, TypeVar

from azure.core.exceptions import AzureError, ResourceNotFoundError

from ._engine import ArmCall, GraphCall, Job, Sleep
from ._inflight import DEFAULT_OPERATION_TIMEOUT, SettleWait, is_terminal, provisioning_state
from ._readiness_model import ReadinessReport, _describe, _existing_allocation, _Seen, _Unreadable
from ._readiness_verdicts import _verdicts
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._shared import API_VERSION, READ_ACTION_RETRY_METHODS, vnet_absent, wire
from ._validation import check_count
from ._wire_errors import arm_error_code, graph_error
from .credentials import credential_pipeline_kwargs
from .errors import CrossIpamError, OperationTimeoutError
from .models import CloudEndpoints, PoolUsage
from .options import ReadinessArguments

_LOGGER = logging.getLogger("crossipam.readiness")


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except Exception:
        return {}
    return body if isinstance(body, dict) else {}


def _permission_entries(items: Iterable[Any]) -> list[Mapping[str, Any]]:
    """azure-mgmt-authorization ``Permission`` models as the REST entries `actions_allow` takes."""
    return [{"actions": list(p.actions or []), "notActions": list(p.not_actions or [])} for p in items]


def _wires(items: Iterable[Any]) -> list[Mapping[str, Any]]:
    return [wire(item) for item in items]


def _audience_of(response: Any) -> str | _Unreadable:
    if response.status_code == 200:
        return str(_json(response).get("signInAudience") or "")
    return _Unreadable(graph_error(response).line())


# ---- the reads (sans I/O) -------------------------------------------------------------------------------

_READ_ERRORS = (AzureError, CrossIpamError)
"""What a read may fail with: an ARM/Graph answer or transport error, or a typed credential error."""
_V = TypeVar("_V")
_Steps = Generator["GraphCall | ArmCall | Sleep", Any, _V]
"""A part of the readiness flow: yields the Graph requests and azure-mgmt calls it needs (the sync or async
driver executes them, see crossipam._engine) and receives their answers."""


def _attempt(call: GraphCall | ArmCall, convert: Callable[[Any], _V]) -> _Steps[_V | _Unreadable]:
    try:
        answer = yield call
    except _READ_ERRORS as err:
        return _Unreadable(_describe(err))
    return convert(answer)


def _read_vnet(read: ArmCall) -> _Steps[Mapping[str, Any] | _Unreadable | None]:
    try:
        answer = yield read
    except ResourceNotFoundError as err:
        # 404 ResourceNotFound: the VNet does not exist (yet); a missing resource group stays an error
        code = arm_error_code(err)
        return None if vnet_absent(code) else _Unreadable(_describe(err))
    except _READ_ERRORS as err:
        return _Unreadable(_describe(err))
    return wire(answer)


def _settled_vnet(seen: _Seen, read: ArmCall) -> _Steps[Mapping[str, Any] | _Unreadable | None]:
    """The VNet once no operation runs on it: a state that is not terminal (``Updating``: its allocation may
    still be rolled back) is read again after ``polling_interval`` until it is, for at most
    ``operation_timeout`` seconds — then the read counts as unreadable, saying so."""
    body = yield from _read_vnet(read)
    wait: SettleWait | None = None
    while isinstance(body, Mapping) and not is_terminal(state := provisioning_state(body)):
        if wait is None:
            wait = SettleWait(
                str(seen.vnet),
                timeout=seen.operation_timeout,
                polling_interval=seen.polling_interval,
                tenant_id=seen.managed_tenant_id,
            )
        try:
            delay = wait.delay(state, None)
        except OperationTimeoutError as err:
            return _Unreadable(err.message)
        yield Sleep(delay)
        body = yield from _read_vnet(read)
    return body


def _reads(seen: _Seen) -> _Steps[None]:
    """Read, in order, what the verdicts need into ``seen`` (the tokens are already there); read nothing of a
    tenant without a token."""
    pool, vnet = seen.pool, seen.vnet
    tenant_a, tenant_b = seen.token_a is None, seen.token_b is None

    def network(
        admin: Literal["managed", "management"], sub: str, operation: str, *args: str, **kw: Any
    ) -> ArmCall:
        paged = operation.endswith(".list")
        return ArmCall("network", admin, sub, operation, args, {"api_version": API_VERSION, **kw}, paged)

    if seen.client_id is not None and tenant_b:
        path = f"/v1.0/applications(appId='{seen.client_id}')?$select=signInAudience"
        seen.audience = yield from _attempt(GraphCall("managed", "GET", path), _audience_of)
    if tenant_a:
        seen.pool_body = yield from _attempt(
            network("management", pool.subscription_id, "ipam_pools.get", *_pool_args(pool)), wire
        )
    if vnet is not None and tenant_b:
        read = network(
            "managed", vnet.subscription_id, "virtual_networks.get", vnet.resource_group, vnet.name
        )
        seen.vnet_body = yield from _settled_vnet(seen, read)
    if tenant_a:
        seen.pool_permissions = yield from _attempt(
            ArmCall(
                "authorization",
                "management",
                pool.subscription_id,
                "permissions.list_for_resource",
                (
                    pool.resource_group,
                    "Microsoft.Network",
                    f"networkManagers/{pool.network_manager}",
                    "ipamPools",
                    pool.name,
                ),
                paged=True,
            ),
            _permission_entries,
        )
    if vnet is not None and tenant_b:
        seen.vnet_permissions = yield from _attempt(
            ArmCall(
                "authorization",
                "managed",
                vnet.subscription_id,
                "permissions.list_for_resource_group",
                (vnet.resource_group,),
                paged=True,
            ),
            _permission_entries,
        )
    if seen.managed_tenant_id != seen.management_tenant_id:
        if tenant_a:
            seen.scope_connections = yield from _attempt(
                network(
                    "management",
                    pool.subscription_id,
                    "scope_connections.list",
                    pool.resource_group,
                    pool.network_manager,
                ),
                _wires,
            )
        if vnet is not None and tenant_b:
            seen.network_manager_connections = yield from _attempt(
                network("managed", vnet.subscription_id, "subscription_network_manager_connections.list"),
                _wires,
            )
    if seen.count is not None and tenant_a and _existing_allocation(seen) <= seen.count:
        seen.usage = yield from _attempt(
            network(
                "management",
                pool.subscription_id,
                "ipam_pools.get_pool_usage",
                *_pool_args(pool),
                retry_on_methods=READ_ACTION_RETRY_METHODS,
            ),
            lambda usage: PoolUsage.from_wire(wire(usage)),
        )


def _pool_args(pool: IpamPoolId) -> tuple[str, str, str]:
    return pool.resource_group, pool.network_manager, pool.name


def _flow(seen: _Seen) -> _Steps[ReadinessReport]:
    yield from _reads(seen)
    report = ReadinessReport(
        pool_id=str(seen.pool),
        managed_tenant_id=seen.managed_tenant_id,
        management_tenant_id=seen.management_tenant_id,
        checks=_verdicts(seen),
        vnet_id=str(seen.vnet) if seen.vnet else None,
        number_of_ip_addresses=seen.count,
        client_id=seen.client_id,
    )
    for c in report.checks:
        _LOGGER.info("readiness %s: %s (%s)", c.name, c.status, c.observed)
    return report


# ---- where both entries start ----------------------------------------------------------------------------

_REQUIRED = ("managed_tenant_id", "management_tenant_id", "pool_id")


def _start(
    managed_credential: Any, management_credential: Any, options: ReadinessArguments
) -> tuple[_Seen, CloudEndpoints, dict[str, Any], Job[ReadinessReport]]:
    """What both entries start from: the parsed request, the endpoints, the azure-core options of the readers and
    the job (credentials per tenant) their clients are built for. The arguments are checked here, before any
    request, as deploy checks them ([`InvalidInputError`][crossipam.errors.InvalidInputError]); a required one
    missing is a ``TypeError``, as for a keyword-only parameter."""
    missing = [name for name in _REQUIRED if name not in options]
    if missing:
        raise TypeError(f"check_readiness() missing required keyword argument(s): {', '.join(missing)}")
    pool = IpamPoolId.parse(options["pool_id"])
    vnet_id = options.get("vnet_id")
    vnet = VirtualNetworkId.parse(vnet_id) if vnet_id is not None else None
    count = options.get("number_of_ip_addresses")
    if count is not None:  # the pool's IP family is not known yet: the IPv6 bound applies
        count = check_count(count, "number_of_ip_addresses", 2**128)
    seen = _Seen(
        managed_tenant_id=options["managed_tenant_id"].lower(),
        management_tenant_id=options["management_tenant_id"].lower(),
        client_id=options.get("client_id"),
        pool=pool,
        vnet=vnet,
        location=options.get("location"),
        count=count,
        operation_timeout=float(options.get("operation_timeout", DEFAULT_OPERATION_TIMEOUT)),
        polling_interval=float(options.get("polling_interval", 30) or 0),
    )
    azure_core = credential_pipeline_kwargs(options)
    if options.get("logging_enable"):
        azure_core["logging_enable"] = True
    endpoints = options.get("cloud") or CloudEndpoints()
    job: Job[ReadinessReport] = Job(
        endpoints,
        {
            "managed": (seen.managed_tenant_id, managed_credential),
            "management": (seen.management_tenant_id, management_credential),
        },
    )
    return seen, endpoints, azure_core, job
