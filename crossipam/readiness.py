"""Readiness: can this app deploy a VNet in tenant B from this pool in tenant A — and if not, why not?

[`check_readiness`][crossipam.readiness.check_readiness] reads (never writes) what a cross-tenant deployment
depends on and reports each prerequisite as a [`ReadinessCheck`][crossipam.readiness.ReadinessCheck] with a
status (``pass``, ``fail`` or ``skip``), what it saw (``observed``) and how to fix it (``remedy``):

- ``token_managed_tenant``: a token for tenant B (the app's home) can be obtained;
- ``token_management_tenant``: a token for tenant A can be obtained (AADSTS700016: not onboarded);
- ``app_multitenant``: Graph ``signInAudience`` if the app may read its registration, else inferred from a
  tenant-A token — and skipped on AADSTS700016, which a single-tenant app and a multitenant app without a
  service principal in tenant A both get;
- ``service_principal_in_management_tenant``: inferred from the tenant-A token (Entra ID issues app tokens only
  to apps with a service principal in the tenant); AADSTS700016 fails it;
- ``ipam_pool_user_on_pool``: effective permissions on the pool (``…/permissions``, inherited assignments
  included) allow ``associateResourcesToPool/action``;
- ``network_contributor_on_vnet``: effective permissions on the VNet's resource group (tenant B) allow
  ``virtualNetworks/read`` and ``/write``;
- ``cross_tenant_connection``: the scope connection (tenant A) / network-manager connection (tenant B) is
  ``Connected`` — skipped when neither side is readable;
- ``pool_capacity``: ``getPoolUsage`` shows enough free addresses, and the power-of-two blocks of the request
  fit the free space — skipped when the usage cannot be read;
- ``region_supports_ipam``: pool and VNet regions offer IPAM and are the same region.

```python
report = client.check_readiness(pool_id, vnet_id=vnet_id, number_of_ip_addresses=256)
for check in report.checks:
    print(check.name, check.status, check.observed, check.remedy)
assert report.ok
```

The reads are one generator (``_reads``) that yields the Graph requests and azure-mgmt calls it needs, as the
onboarding steps do (``crossipam._onboarding_core``); [`check_readiness`][crossipam.readiness.check_readiness]
executes them on the sync clients, [`crossipam.aio.readiness.check_readiness`][] on the ``aio`` ones, and the
verdicts are pure functions of what was read."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError

from ._drive import run_job
from ._engine import ArmCall, GraphCall, Job, Sleep
from ._inflight import DEFAULT_OPERATION_TIMEOUT, SettleWait, is_terminal, provisioning_state
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._shared import API_VERSION, READ_ACTION_RETRY_METHODS, vnet_absent, wire
from ._validation import check_count
from ._wire_errors import ASSOCIATE_ACTION, IPAM_POOL_USER_ROLE_ID, arm_error_code, graph_error
from .credentials import credential_pipeline_kwargs
from .errors import (
    AppNotOnboardedError,
    CrossIpamError,
    OperationTimeoutError,
    Remedy,
)
from .models import CloudEndpoints, IPNetwork, PoolUsage

__all__ = [
    "CHECK_NAMES",
    "IPAM_UNSUPPORTED_REGIONS",
    "CheckStatus",
    "ReadinessCheck",
    "ReadinessReport",
    "actions_allow",
    "check_readiness",
    "fits_free_space",
    "normalize_region",
    "power_of_two_split",
]

_LOGGER = logging.getLogger("crossipam.readiness")

PERMISSIONS_API_VERSION = "2022-04-01"
"""The api-version of the permissions API (Microsoft.Authorization) that the reads use
(azure-mgmt-authorization's v2022_04_01 clients)."""

CheckStatus = Literal["pass", "fail", "skip"]

IPAM_UNSUPPORTED_REGIONS = frozenset(
    {"chilecentral", "jioindiawest", "malaysiawest", "qatarcentral", "southafricawest", "westindia"}
)
"""Regions where Azure Virtual Network Manager IPAM is not offered (Microsoft Learn), normalized."""

CHECK_NAMES = (
    "token_managed_tenant",
    "token_management_tenant",
    "app_multitenant",
    "service_principal_in_management_tenant",
    "ipam_pool_user_on_pool",
    "network_contributor_on_vnet",
    "cross_tenant_connection",
    "pool_capacity",
    "region_supports_ipam",
)
"""Every check, in the order reported."""

_GET_POOL_USAGE_ACTION = "Microsoft.Network/networkManagers/ipamPools/getPoolUsage/action"
_VNET_ACTIONS = ("Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/write")
_MULTITENANT_AUDIENCES = frozenset({"azureadmultipleorgs", "azureadandpersonalmicrosoftaccount"})


# ---- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadinessCheck:
    """One prerequisite: ``status`` is ``"pass"``, ``"fail"`` or ``"skip"`` (could not be decided, and why).

    ```python
    check = report.check("ipam_pool_user_on_pool")
    print(check.status, check.observed, check.remedy)
    ```
    """

    name: str
    status: CheckStatus
    observed: str
    """What the check saw (never a token or secret)."""
    remedy: str = ""
    """How to fix a failure (or, for a skip, how to let the check decide); empty when it passed."""
    tenant_id: str | None = None
    """The tenant the check looked at."""
    fix: Remedy | None = None
    """``remedy`` as data when it names a crossipam operation (the CLI shows the command instead)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with stable keys.

        ```python
        ReadinessCheck("pool_capacity", "pass", "65536 free").to_dict()["status"]   # 'pass'
        ```
        """
        return {
            "name": self.name,
            "status": self.status,
            "observed": self.observed,
            "remedy": self.remedy,
            "tenant_id": self.tenant_id,
        }


@dataclass(frozen=True)
class ReadinessReport:
    """The result of [`check_readiness`][crossipam.readiness.check_readiness]: ``ok`` when no check failed
    (skips do not fail the report).

    ```python
    report = client.check_readiness(pool_id, vnet_id=vnet_id, number_of_ip_addresses=100)
    if not report.ok:
        for check in report.failed:
            print(f"{check.name}: {check.observed} -> {check.remedy}")
    ```
    """

    pool_id: str
    managed_tenant_id: str
    management_tenant_id: str
    checks: tuple[ReadinessCheck, ...]
    vnet_id: str | None = None
    number_of_ip_addresses: int | None = None
    client_id: str | None = field(default=None)

    @property
    def ok(self) -> bool:
        """Whether no check failed.

        ```python
        assert client.check_readiness(pool_id).ok
        ```
        """
        return all(c.status != "fail" for c in self.checks)

    @property
    def failed(self) -> tuple[ReadinessCheck, ...]:
        """The failed checks, in order.

        ```python
        [c.name for c in report.failed]
        ```
        """
        return tuple(c for c in self.checks if c.status == "fail")

    def check(self, name: str) -> ReadinessCheck:
        """The check called ``name`` (``KeyError`` if absent).

        ```python
        report.check("pool_capacity").observed
        ```
        """
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with stable keys (what ``crossipam check --output json`` prints).

        ```python
        json.dumps(report.to_dict())
        ```
        """
        return {
            "ok": self.ok,
            "pool_id": self.pool_id,
            "vnet_id": self.vnet_id,
            "number_of_ip_addresses": self.number_of_ip_addresses,
            "client_id": self.client_id,
            "managed_tenant_id": self.managed_tenant_id,
            "management_tenant_id": self.management_tenant_id,
            "checks": [c.to_dict() for c in self.checks],
        }


# ---- pure helpers -----------------------------------------------------------------------------------


def _action_matches(pattern: str, action: str) -> bool:
    rx = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(rx, action, re.IGNORECASE) is not None


def actions_allow(permissions: Iterable[Mapping[str, Any]], action: str) -> bool:
    """Whether ARM permission entries (``actions``/``notActions``, one entry per role) allow ``action``.

    An entry allows an action that one of its ``actions`` matches and none of its ``notActions`` does
    (``*`` is a wildcard, case-insensitive); the effective permission is the union over entries.

    ```python
    actions_allow([{"actions": ["Microsoft.Network/*"], "notActions": []}],
                  "Microsoft.Network/virtualNetworks/write")   # True
    ```
    """
    for entry in permissions:
        granted = [str(a) for a in entry.get("actions") or []]
        denied = [str(a) for a in entry.get("notActions") or []]
        if any(_action_matches(p, action) for p in granted) and not any(
            _action_matches(p, action) for p in denied
        ):
            return True
    return False


def normalize_region(location: str) -> str:
    """ARM's region name: lower case without spaces.

    ```python
    normalize_region("South Africa West")   # 'southafricawest'
    ```
    """
    return location.replace(" ", "").lower()


def power_of_two_split(count: int) -> list[int]:
    """The power-of-two block sizes Azure splits an allocation of ``count`` addresses into, largest first.

    ```python
    power_of_two_split(100)   # [64, 32, 4]
    ```
    """
    return [1 << bit for bit in range(count.bit_length() - 1, -1, -1) if count >> bit & 1]


def fits_free_space(available: Sequence[IPNetwork], count: int) -> bool:
    """Whether the power-of-two blocks of ``count`` fit the free prefixes (first fit, largest first, each
    block aligned to its size).

    ```python
    fits_free_space([ipaddress.ip_network("10.0.0.0/25")], 100)   # True (64 + 32 + 4)
    ```
    """
    free = sorted(available, key=lambda n: (n.num_addresses, int(n.network_address)))
    for size in power_of_two_split(count):
        for i, block in enumerate(free):
            if block.num_addresses < size:
                continue
            prefix = block.max_prefixlen - (size.bit_length() - 1)
            taken = next(block.subnets(new_prefix=prefix))
            rest: list[IPNetwork] = list(block.address_exclude(taken)) if taken != block else []  # type: ignore[arg-type]
            free = sorted(
                [*free[:i], *free[i + 1 :], *rest], key=lambda n: (n.num_addresses, int(n.network_address))
            )
            break
        else:
            return False
    return True


# ---- what was read ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unreadable:
    """A read that was made and failed: why (the first sentence of the error)."""

    reason: str


@dataclass
class _Seen:
    """Everything the verdicts look at: the request, the two token answers and what the reads returned.

    A read's field is ``None`` when the read was not made (no token for its tenant, no VNet id, no count), an
    `_Unreadable` when Azure refused or failed it, else what it returned. `_reads` fills it."""

    managed_tenant_id: str
    management_tenant_id: str
    client_id: str | None
    pool: IpamPoolId
    vnet: VirtualNetworkId | None
    location: str | None
    count: int | None
    token_b: Exception | None = None
    token_a: Exception | None = None
    audience: str | _Unreadable | None = None
    """The app registration's ``signInAudience`` (Microsoft Graph, tenant B)."""
    pool_body: Mapping[str, Any] | _Unreadable | None = None
    vnet_body: Mapping[str, Any] | _Unreadable | None = None
    """The VNet; ``None`` also when it does not exist (yet)."""
    pool_permissions: list[Mapping[str, Any]] | _Unreadable | None = None
    vnet_permissions: list[Mapping[str, Any]] | _Unreadable | None = None
    scope_connections: list[Mapping[str, Any]] | _Unreadable | None = None
    network_manager_connections: list[Mapping[str, Any]] | _Unreadable | None = None
    usage: PoolUsage | _Unreadable | None = None
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT
    """How long the VNet read waits for an operation in flight to end, and how often it reads meanwhile."""
    polling_interval: float = 30.0

    @property
    def vnet_resource_group(self) -> str | None:
        if self.vnet is None:
            return None
        return f"/subscriptions/{self.vnet.subscription_id}/resourceGroups/{self.vnet.resource_group}"


def _describe(err: BaseException) -> str:
    """The first sentence of an error (Entra ID and ARM messages go on with boilerplate and trace ids)."""
    odata = getattr(err, "error", None)  # an ARM error answer: code and message, as ARM sent them
    if isinstance(err, HttpResponseError) and odata is not None and odata.code and odata.message:
        text = f"{odata.code}: {odata.message}"
    elif isinstance(err, CrossIpamError):
        text = err.message
    else:
        text = str(getattr(err, "message", None) or err)
    text = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text


def _token_failure(err: Exception, tenant: str) -> str:
    """Why ``tenant`` issued no token: Entra ID's ``AADSTS…`` sentence when there is one (azure-identity's sync
    and async credentials wrap it in different words), else the error's first sentence."""
    aadsts = re.search(r"AADSTS\d+:.*", err.message if isinstance(err, CrossIpamError) else str(err))
    if aadsts is None:
        return _describe(err)
    head, sep, _ = aadsts.group(0).partition(". ")
    return f"could not get a token for tenant {tenant}: {head}{'.' if sep else ''}"


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


def _existing_allocation(seen: _Seen) -> int:
    """The addresses the VNet already holds from the pool (0 when it does not exist or was not read)."""
    if not isinstance(seen.vnet_body, Mapping):
        return 0
    space = (seen.vnet_body.get("properties") or {}).get("addressSpace") or {}
    total = 0
    for a in space.get("ipamPoolPrefixAllocations") or []:
        pool = str((a.get("pool") or {}).get("id") or "")
        if pool.lower() == str(seen.pool).lower():
            try:
                total += int(a.get("numberOfIpAddresses") or 0)
            except (TypeError, ValueError):
                continue
    return total


# ---- the reads (sans I/O) -------------------------------------------------------------------------------

_READ_ERRORS = (AzureError, CrossIpamError)
"""What a read may fail with: an ARM/Graph answer or transport error, or a typed credential error."""
_V = TypeVar("_V")
_Steps = Generator["GraphCall | ArmCall | Sleep", Any, _V]
"""A part of the readiness flow: yields the Graph requests and azure-mgmt calls it needs (the sync or async
driver executes them, see crossipam._onboarding_core) and receives their answers."""


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


# ---- the verdicts (pure) ------------------------------------------------------------------------------


def _verdicts(seen: _Seen) -> tuple[ReadinessCheck, ...]:
    """Every check, in `CHECK_NAMES` order, decided on what was read (no I/O)."""
    return (
        _verdict_token_b(seen),
        _verdict_token_a(seen),
        _verdict_multitenant(seen),
        _verdict_service_principal(seen),
        _verdict_pool_role(seen),
        _verdict_vnet_role(seen),
        _verdict_connection(seen),
        _verdict_capacity(seen),
        _verdict_region(seen),
    )


def _check(
    name: str,
    status: CheckStatus,
    observed: str,
    remedy: str = "",
    tenant: str | None = None,
    fix: Remedy | None = None,
) -> ReadinessCheck:
    if status == "pass":
        return ReadinessCheck(name, status, observed, "", tenant)
    return ReadinessCheck(name, status, observed, remedy, tenant, fix)


def _onboarding_remedy(seen: _Seen) -> str:
    app = seen.client_id or "<app id>"
    return (
        f"make the app registration multitenant in tenant {seen.managed_tenant_id} and create its service "
        f"principal in tenant {seen.management_tenant_id} with the IPAM Pool User role on the pool: "
        f"`crossipam onboard --app-id {app} --pool-id {seen.pool}` (or crossipam.onboarding."
        "onboard_service_principal); directory replication can take a few minutes"
    )


def _onboarding_fix(seen: _Seen) -> Remedy:
    """`_onboarding_remedy` as data, for the command line (which shows the command alone)."""
    return Remedy(
        f"make the app registration multitenant in tenant {seen.managed_tenant_id} and create its service "
        f"principal in tenant {seen.management_tenant_id} with the IPAM Pool User role on the pool: {{action}}; "
        "directory replication can take a few minutes",
        "crossipam.onboarding.onboard_service_principal",
        (("app_id", seen.client_id or "<app id>"), ("pool_id", str(seen.pool))),
    )


def _is_multitenant(audience: str) -> bool:
    return audience.lower() in _MULTITENANT_AUDIENCES


def _verdict_token_b(seen: _Seen) -> ReadinessCheck:
    name, tenant = "token_managed_tenant", seen.managed_tenant_id
    if seen.token_b is None:
        return _check(name, "pass", f"got an ARM token for tenant {tenant}", tenant=tenant)
    hint = getattr(seen.token_b, "hint", None)
    return _check(
        name,
        "fail",
        _token_failure(seen.token_b, tenant),
        hint or "check the app id, its secret or certificate, the tenant id and the authority host",
        tenant,
    )


def _verdict_token_a(seen: _Seen) -> ReadinessCheck:
    name, tenant = "token_management_tenant", seen.management_tenant_id
    if seen.token_a is None:
        return _check(name, "pass", f"got an ARM token for tenant {tenant}", tenant=tenant)
    if isinstance(seen.token_a, AppNotOnboardedError):
        return _check(
            name,
            "fail",
            _token_failure(seen.token_a, tenant),
            _onboarding_remedy(seen),
            tenant,
            _onboarding_fix(seen),
        )
    hint = getattr(seen.token_a, "hint", None)
    return _check(
        name,
        "fail",
        _token_failure(seen.token_a, tenant),
        hint
        or f"the credential must be allowed to get tokens for tenant {tenant} (additionally_allowed_tenants)",
        tenant,
    )


def _verdict_multitenant(seen: _Seen) -> ReadinessCheck:
    name, tenant = "app_multitenant", seen.managed_tenant_id
    if seen.client_id is None:
        return _check(
            name,
            "skip",
            "the credential's app (client) id is unknown (a user or a custom credential): nothing to check",
            "",
            tenant,
        )
    if isinstance(seen.audience, str):
        if _is_multitenant(seen.audience):
            return _check(name, "pass", f"Graph: signInAudience is {seen.audience}", tenant=tenant)
        return _check(
            name,
            "fail",
            f"Graph: signInAudience is {seen.audience or 'unset'} (single tenant)",
            _onboarding_remedy(seen),
            tenant,
            _onboarding_fix(seen),
        )
    graph_note = (
        f"the app may not read its registration in Microsoft Graph ({seen.audience.reason})"
        if isinstance(seen.audience, _Unreadable)
        else "no tenant-B token for Microsoft Graph"
    )
    let_decide = (
        f"grant the app the Microsoft Graph application permission Application.Read.All in tenant {tenant} "
        "(admin consent) to let the check read signInAudience"
    )
    if seen.token_a is None:
        return _check(
            name,
            "pass",
            f"{graph_note}; inferred from the tenant-A token: Entra ID issues app tokens in another tenant "
            "only to a multitenant app with a service principal there",
            tenant=tenant,
        )
    if isinstance(seen.token_a, AppNotOnboardedError):
        return _check(
            name,
            "skip",
            f"{graph_note}; tenant {seen.management_tenant_id} does not know the app (AADSTS700016), which "
            "Entra ID answers both to a single-tenant app and to a multitenant app without a service principal "
            "there: cannot tell which",
            f"{let_decide}; `crossipam onboard` makes the app multitenant if it is not",
            tenant,
        )
    return _check(name, "skip", f"{graph_note}, and no tenant-A token to infer it from", let_decide, tenant)


def _verdict_service_principal(seen: _Seen) -> ReadinessCheck:
    name, tenant = "service_principal_in_management_tenant", seen.management_tenant_id
    if seen.token_a is None:
        return _check(
            name,
            "pass",
            f"tenant {tenant} issued the app a token, so its service principal exists there",
            tenant=tenant,
        )
    if not isinstance(seen.token_a, AppNotOnboardedError):
        return _check(
            name,
            "skip",
            f"no tenant-A token: {_token_failure(seen.token_a, tenant)}",
            "fix token_management_tenant first",
            tenant,
        )
    audience = seen.audience if isinstance(seen.audience, str) else None
    if audience is not None and not _is_multitenant(audience):
        return _check(
            name,
            "skip",
            f"the app is single-tenant (Graph: signInAudience {audience or 'unset'}): tenant {tenant} issues it no "
            "token whether or not its service principal exists there",
            "fix app_multitenant first (`crossipam onboard` does both)",
            tenant,
        )
    why = (
        f"the app is multitenant (Graph: signInAudience {audience}), so it has no service principal there"
        if audience is not None
        else "the app has no service principal there (or is single-tenant: see app_multitenant)"
    )
    return _check(
        name,
        "fail",
        f"tenant {tenant} does not know the app (AADSTS700016): {why}",
        _onboarding_remedy(seen),
        tenant,
        _onboarding_fix(seen),
    )


def _verdict_pool_role(seen: _Seen) -> ReadinessCheck:
    name, tenant = "ipam_pool_user_on_pool", seen.management_tenant_id
    remedy = (
        f"assign the 'IPAM Pool User' role ({IPAM_POOL_USER_ROLE_ID}) on the pool (or above) to the app's service "
        f"principal in tenant {tenant}: `crossipam onboard` does it; role changes take up to 10 minutes to apply"
    )
    perms = seen.pool_permissions
    if seen.token_a is not None or perms is None:
        return _check(name, "skip", "no tenant-A token", "fix token_management_tenant first", tenant)
    if isinstance(perms, _Unreadable):
        return _check(
            name, "fail", f"could not read the permissions on the pool: {perms.reason}", remedy, tenant
        )
    if actions_allow(perms, ASSOCIATE_ACTION):
        return _check(
            name, "pass", f"effective permissions on the pool allow {ASSOCIATE_ACTION}", tenant=tenant
        )
    return _check(
        name,
        "fail",
        f"effective permissions on the pool ({len(perms)} role assignment(s) apply) do not allow "
        f"{ASSOCIATE_ACTION}",
        remedy,
        tenant,
    )


def _verdict_vnet_role(seen: _Seen) -> ReadinessCheck:
    name, tenant, rg = "network_contributor_on_vnet", seen.managed_tenant_id, seen.vnet_resource_group
    if rg is None:
        return _check(
            name,
            "skip",
            "no VNet id given",
            "pass vnet_id (--vnet-id) to check the VNet's resource group",
            tenant,
        )
    perms = seen.vnet_permissions
    if seen.token_b is not None or perms is None:
        return _check(name, "skip", "no tenant-B token", "fix token_managed_tenant first", tenant)
    remedy = (
        f"assign 'Network Contributor' (or a role with Microsoft.Network/virtualNetworks/write) on {rg} to the "
        f"app in tenant {tenant}"
    )
    if isinstance(perms, _Unreadable):
        return _check(name, "fail", f"could not read the permissions on {rg}: {perms.reason}", remedy, tenant)
    missing = [a for a in _VNET_ACTIONS if not actions_allow(perms, a)]
    if missing:
        return _check(
            name, "fail", f"effective permissions on {rg} do not allow {', '.join(missing)}", remedy, tenant
        )
    return _check(
        name, "pass", f"effective permissions on {rg} allow virtualNetworks/read and /write", tenant=tenant
    )


def _state(items: Sequence[Mapping[str, Any]], match: Callable[[Mapping[str, Any]], bool]) -> str:
    states = [
        str((c.get("properties") or {}).get("connectionState") or "Unknown")
        for c in items
        if match(c.get("properties") or {})
    ]
    if not states:
        return "missing"
    return "Connected" if "Connected" in states else states[0]


def _verdict_connection(seen: _Seen) -> ReadinessCheck:
    name = "cross_tenant_connection"
    if seen.managed_tenant_id == seen.management_tenant_id:
        return _check(name, "skip", "pool and VNet are in the same tenant: no cross-tenant connection needed")
    nm_id = seen.pool.network_manager_id
    sub = seen.vnet.subscription_id if seen.vnet else None
    sides: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    scope_side, nm_side = "scope connection (tenant A)", "network manager connection (tenant B)"
    if isinstance(seen.scope_connections, list):
        wanted = f"/subscriptions/{sub}".lower() if sub else None

        def scope_match(p: Mapping[str, Any]) -> bool:
            return str(p.get("tenantId") or "").lower() == seen.managed_tenant_id and (
                wanted is None or str(p.get("resourceId") or "").rstrip("/").lower() == wanted
            )

        sides[scope_side] = _state(seen.scope_connections, scope_match)
    elif isinstance(seen.scope_connections, _Unreadable):
        unreadable[scope_side] = seen.scope_connections.reason
    else:
        unreadable[scope_side] = "no tenant-A token"
    if isinstance(seen.network_manager_connections, list):
        sides[nm_side] = _state(
            seen.network_manager_connections,
            lambda p: str(p.get("networkManagerId") or "").lower() == nm_id.lower(),
        )
    elif isinstance(seen.network_manager_connections, _Unreadable):
        unreadable[nm_side] = seen.network_manager_connections.reason
    elif sub is not None and seen.token_b is not None:
        unreadable[nm_side] = "no tenant-B token"
    observed = "; ".join(
        [f"{k}: {v}" for k, v in sides.items()] + [f"{k}: not readable ({v})" for k, v in unreadable.items()]
    )
    if any(v != "Connected" for v in sides.values()):
        return _check(
            name,
            "fail",
            observed,
            f"create the scope connection on {nm_id} in tenant {seen.management_tenant_id} (properties.tenantId "
            f"{seen.managed_tenant_id}, resourceId /subscriptions/{sub or '<managed subscription>'}) and the "
            f"network manager connection on the managed subscription in tenant {seen.managed_tenant_id} "
            f"(networkManagerId {nm_id}); it is Connected once both sides exist",
        )
    if sides:
        return _check(name, "pass", observed)
    return _check(
        name,
        "skip",
        observed or "nothing to read",
        "to let the check see the connection, grant the app Reader (scopeConnections/read) on the network "
        "manager in tenant A or networkManagerConnections/read on the managed subscription in tenant B",
    )


def _verdict_capacity(seen: _Seen) -> ReadinessCheck:
    name, tenant, count = "pool_capacity", seen.management_tenant_id, seen.count
    if count is None:
        return _check(
            name, "skip", "no address count given", "pass number_of_ip_addresses (--addresses)", tenant
        )
    if seen.token_a is not None:
        return _check(name, "skip", "no tenant-A token", "fix token_management_tenant first", tenant)
    held = _existing_allocation(seen)
    if held > count:
        return _check(
            name,
            "fail",
            f"the VNet already holds {held} addresses from the pool; an allocation cannot shrink to {count}",
            "ask for at least the current count, or remove the allocation (crossipam remove) and deploy again",
            tenant,
        )
    need = count - held
    usage = seen.usage
    if need == 0:
        seen_usage = f"; {_free_space(usage)}" if isinstance(usage, PoolUsage) else ""
        return _check(
            name, "pass", f"the VNet already holds {held} addresses from the pool{seen_usage}", tenant=tenant
        )
    if not isinstance(usage, PoolUsage):
        why = usage.reason if isinstance(usage, _Unreadable) else "not read"
        return _check(
            name,
            "skip",
            f"could not read the pool's usage ({why}), so whether {need:,} addresses fit is unknown",
            f"grant the app, in tenant {tenant}, a role on the pool that allows "
            f"{_GET_POOL_USAGE_ACTION} (IPAM Pool User does: see ipam_pool_user_on_pool) to let the check read "
            "the free space",
            tenant,
        )
    blocks = " + ".join(
        f"/{_prefix_for(n, usage.available_address_prefixes)}" for n in power_of_two_split(need)
    )
    what = f"{need:,} more addresses (blocks {blocks})" if held else f"{need:,} addresses (blocks {blocks})"
    if need <= usage.number_of_available_ip_addresses and fits_free_space(
        usage.available_address_prefixes, need
    ):
        return _check(name, "pass", f"{what} fit: {_free_space(usage)}", tenant=tenant)
    return _check(
        name,
        "fail",
        f"{what} do not fit: {_free_space(usage)}",
        "ask for fewer addresses, free space in the pool (remove allocations or static CIDRs), or add "
        "address prefixes to the pool",
        tenant,
    )


def _free_space(usage: PoolUsage) -> str:
    largest = max(usage.available_address_prefixes, key=lambda n: n.num_addresses, default=None)
    return (
        f"{usage.number_of_available_ip_addresses:,} addresses free, largest free aligned block "
        f"{largest if largest is not None else '(none)'} ({largest.num_addresses if largest else 0:,})"
    )


def _prefix_for(size: int, free: Sequence[IPNetwork]) -> int:
    max_len = free[0].max_prefixlen if free else 32
    return max_len - (size.bit_length() - 1)


def _verdict_region(seen: _Seen) -> ReadinessCheck:
    name = "region_supports_ipam"
    pool_loc = str(seen.pool_body.get("location") or "") if isinstance(seen.pool_body, Mapping) else ""
    vnet_loc = (
        str(seen.vnet_body.get("location") or "")
        if isinstance(seen.vnet_body, Mapping)
        else (seen.location or "")
    )
    if not pool_loc and not vnet_loc:
        if isinstance(seen.pool_body, _Unreadable):
            why = seen.pool_body.reason
        else:
            why = "no tenant-A token" if seen.token_a is not None else "no location"
        return _check(
            name,
            "skip",
            f"the pool could not be read ({why}) and no VNet location is known",
            "pass --location",
        )
    seen_regions = f"pool region {pool_loc or 'unknown'}" + (f", VNet region {vnet_loc}" if vnet_loc else "")
    bad = [loc for loc in (pool_loc, vnet_loc) if loc and normalize_region(loc) in IPAM_UNSUPPORTED_REGIONS]
    if bad:
        return _check(
            name,
            "fail",
            f"{seen_regions}: IPAM is not offered in {', '.join(sorted(set(bad)))}",
            "use a region that offers Azure Virtual Network Manager IPAM (not Chile Central, Jio India West, "
            "Malaysia West, Qatar Central, South Africa West or West India)",
        )
    if pool_loc and vnet_loc and normalize_region(pool_loc) != normalize_region(vnet_loc):
        return _check(
            name,
            "fail",
            f"{seen_regions}: the VNet and the pool must be in the same region",
            f"deploy the VNet in {pool_loc}, or use a pool in {vnet_loc} (cross-region pools are in preview)",
        )
    return _check(name, "pass", f"{seen_regions}: IPAM is offered")


# ---- the drivers: the only sync/async twins -------------------------------------------------------------


def _start(
    managed_credential: Any,
    management_credential: Any,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    pool_id: str | IpamPoolId,
    vnet_id: str | VirtualNetworkId | None,
    number_of_ip_addresses: int | None,
    location: str | None,
    client_id: str | None,
    cloud: CloudEndpoints | None,
    operation_timeout: float,
    kwargs: Mapping[str, Any],
) -> tuple[_Seen, CloudEndpoints, dict[str, Any], Job[ReadinessReport]]:
    """What both drivers start from: the parsed request, the endpoints, the azure-core options of the readers and
    the job (credentials per tenant) their clients are built for. The arguments are checked here, before any
    request, as deploy checks them ([`InvalidInputError`][crossipam.errors.InvalidInputError])."""
    pool = IpamPoolId.parse(pool_id)
    vnet = VirtualNetworkId.parse(vnet_id) if vnet_id is not None else None
    count = None
    if number_of_ip_addresses is not None:  # the pool's IP family is not known yet: the IPv6 bound applies
        count = check_count(number_of_ip_addresses, "number_of_ip_addresses", 2**128)
    seen = _Seen(
        managed_tenant_id=managed_tenant_id.lower(),
        management_tenant_id=management_tenant_id.lower(),
        client_id=client_id,
        pool=pool,
        vnet=vnet,
        location=location,
        count=count,
        operation_timeout=float(operation_timeout),
        polling_interval=float(kwargs.get("polling_interval", 30) or 0),
    )
    options = credential_pipeline_kwargs(kwargs)
    if kwargs.get("logging_enable"):
        options["logging_enable"] = True
    endpoints = cloud or CloudEndpoints()
    job: Job[ReadinessReport] = Job(
        endpoints,
        {
            "managed": (seen.managed_tenant_id, managed_credential),
            "management": (seen.management_tenant_id, management_credential),
        },
    )
    return seen, endpoints, options, job


def check_readiness(
    managed_credential: TokenCredential,
    management_credential: TokenCredential,
    *,
    managed_tenant_id: str,
    management_tenant_id: str,
    pool_id: str | IpamPoolId,
    vnet_id: str | VirtualNetworkId | None = None,
    number_of_ip_addresses: int | None = None,
    location: str | None = None,
    client_id: str | None = None,
    cloud: CloudEndpoints | None = None,
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT,
    **kwargs: Any,
) -> ReadinessReport:
    """Read every prerequisite of a cross-tenant deployment and report each (nothing is written).

    ``managed_credential`` and ``management_credential`` must be bound to tenant B and tenant A (the client
    passes its [`TenantBoundCredential`][crossipam.credentials.TenantBoundCredential] pair); ``kwargs`` are
    azure-core options (``transport``, ``connection_verify``, ``retry_total`` …). Most callers use
    [`CrossTenantIpamClient.check_readiness`][crossipam.CrossTenantIpamClient.check_readiness];
    [`crossipam.aio.readiness.check_readiness`][] is the asyncio twin.

    Args:
        pool_id: The IPAM pool in tenant A.
        vnet_id: The VNet in tenant B (existing or to be created); enables the VNet-side checks.
        number_of_ip_addresses: The count to deploy; enables ``pool_capacity`` (an existing VNet's allocation
            from the pool is subtracted).
        location: The region of a VNet that does not exist yet (an existing VNet's own region wins).
        operation_timeout: Seconds to wait when the VNet is being updated (``provisioningState`` not
            terminal: its allocation may still change), reading it every ``polling_interval`` seconds; past
            that the VNet counts as unreadable.

    ```python
    report = check_readiness(for_b, for_a, managed_tenant_id=b, management_tenant_id=a, pool_id=pool_id,
                             vnet_id=vnet_id, number_of_ip_addresses=256, client_id=app_id)
    print(report.ok, [c.name for c in report.failed])
    ```
    """

    seen, endpoints, options, job = _start(
        managed_credential,
        management_credential,
        managed_tenant_id=managed_tenant_id,
        management_tenant_id=management_tenant_id,
        pool_id=pool_id,
        vnet_id=vnet_id,
        number_of_ip_addresses=number_of_ip_addresses,
        location=location,
        client_id=client_id,
        cloud=cloud,
        operation_timeout=operation_timeout,
        kwargs=kwargs,
    )
    seen.token_b = _token(managed_credential, endpoints.resource_manager_scope)
    seen.token_a = _token(management_credential, endpoints.resource_manager_scope)
    return run_job(job, time.sleep, options, steps=_flow(seen))


def _token(credential: TokenCredential, scope: str) -> Exception | None:
    try:
        credential.get_token(scope)
    except _READ_ERRORS as err:
        return err
    return None
