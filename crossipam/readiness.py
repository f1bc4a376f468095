"""Readiness: can this app deploy a VNet in tenant B from this pool in tenant A — and if not, why not?

:func:`check_readiness` reads (never writes) what a cross-tenant deployment depends on and reports each
prerequisite as a :class:`ReadinessCheck` with a status (``pass``, ``fail`` or ``skip``), what it saw
(``observed``) and how to fix it (``remedy``):

- ``token_managed_tenant``: a token for tenant B (the app's home) can be obtained;
- ``token_management_tenant``: a token for tenant A can be obtained (AADSTS700016: not onboarded);
- ``app_multitenant``: Graph ``signInAudience`` if the app may read itself, else inferred from the tenant-A token;
- ``service_principal_in_management_tenant``: inferred from the tenant-A token (Entra ID issues app tokens only
  to apps with a service principal in the tenant);
- ``ipam_pool_user_on_pool``: effective permissions on the pool (``…/permissions``, inherited assignments
  included) allow ``associateResourcesToPool/action``;
- ``network_contributor_on_vnet``: effective permissions on the VNet's resource group (tenant B) allow
  ``virtualNetworks/read`` and ``/write``;
- ``cross_tenant_connection``: the scope connection (tenant A) / network-manager connection (tenant B) is
  ``Connected`` — skipped when neither side is readable;
- ``pool_capacity``: ``getPoolUsage`` shows enough free addresses, and the power-of-two blocks of the request
  fit the free space;
- ``region_supports_ipam``: pool and VNet regions offer IPAM and are the same region.

```python
report = client.check_readiness(pool_id, vnet_id=vnet_id, number_of_ip_addresses=256)
for check in report.checks:
    print(check.name, check.status, check.observed, check.remedy)
assert report.ok
```
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    ContentDecodePolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    ProxyPolicy,
    RedirectPolicy,
    RequestIdPolicy,
    RetryPolicy,
    SensitiveHeaderCleanupPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest, HttpResponse

from ._resource_ids import IpamPoolId, VirtualNetworkId
from .credentials import credential_pipeline_kwargs
from .errors import ASSOCIATE_ACTION, IPAM_POOL_USER_ROLE_ID, AppNotOnboardedError, CrossIpamError
from .models import CloudEndpoints, IPNetwork, parse_networks
from .policies import RedactingNetworkTraceLoggingPolicy

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

#: The api-version of the permissions API (Microsoft.Authorization).
PERMISSIONS_API_VERSION = "2022-04-01"
_NETWORK_API_VERSION = "2026-03-01"

CheckStatus = Literal["pass", "fail", "skip"]

#: Regions where Azure Virtual Network Manager IPAM is not offered (Microsoft Learn), normalized.
IPAM_UNSUPPORTED_REGIONS = frozenset(
    {"chilecentral", "jioindiawest", "malaysiawest", "qatarcentral", "southafricawest", "westindia"}
)

#: Every check, in the order reported.
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
    #: What the check saw (never a token or secret).
    observed: str
    #: How to fix a failure (or, for a skip, how to let the check decide); empty when it passed.
    remedy: str = ""
    #: The tenant the check looked at.
    tenant_id: str | None = None

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
    """The result of :func:`check_readiness`: ``ok`` when no check failed (skips do not fail the report).

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


# ---- I/O ----------------------------------------------------------------------------------------------


class _Arm:
    """A tiny ARM/Graph reader over an azure-core pipeline bound to one tenant's credential and one scope."""

    def __init__(
        self, credential: TokenCredential, base_url: str, scope: str, kwargs: Mapping[str, Any]
    ) -> None:
        from . import __version__  # at call time: crossipam/__init__ imports the client, which imports us

        kw = dict(kwargs)
        self._owns_transport = "transport" not in kw
        self._base = base_url.rstrip("/")
        policies = [
            RequestIdPolicy(**kw),
            HeadersPolicy(**kw),
            UserAgentPolicy(sdk_moniker=f"crossipam/{__version__}", **kw),
            ProxyPolicy(**kw),
            ContentDecodePolicy(**kw),
            RedirectPolicy(**kw),
            RetryPolicy(**kw),
            BearerTokenCredentialPolicy(credential, scope, **kw),
            RedactingNetworkTraceLoggingPolicy(**kw),
            SensitiveHeaderCleanupPolicy(**kw),
            HttpLoggingPolicy(**kw),
        ]
        self._client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            base_url=self._base, policies=policies, **kw
        )

    def send(self, method: str, path: str, params: Mapping[str, str] | None = None) -> HttpResponse:
        url = path if path.startswith("https://") else self._base + path
        if method == "POST":
            request = HttpRequest(method, url, params=dict(params or {}), json={})
        else:
            request = HttpRequest(method, url, params=dict(params or {}))
        request.headers["Accept"] = "application/json"
        return self._client.send_request(request)

    def list(self, path: str, params: Mapping[str, str]) -> list[Mapping[str, Any]]:
        items: list[Mapping[str, Any]] = []
        response = self.send("GET", path, params)
        while True:
            if response.status_code != 200:
                raise _HttpFailure(response)
            body = _json(response)
            items.extend(x for x in body.get("value") or [] if isinstance(x, Mapping))
            link = body.get("nextLink")
            if not link:
                return items
            response = self.send("GET", str(link))

    def close(self) -> None:
        if self._owns_transport:
            self._client.close()


class _HttpFailure(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.status = response.status_code
        body = _json(response)
        err = body.get("error") if isinstance(body.get("error"), Mapping) else {}
        assert isinstance(err, Mapping)
        self.code = str(err.get("code") or f"HTTP {response.status_code}")
        self.text = str(err.get("message") or "").strip()
        super().__init__(f"{self.code}: {self.text}" if self.text else self.code)


def _json(response: HttpResponse) -> dict[str, Any]:
    try:
        body = response.json()
    except Exception:
        return {}
    return body if isinstance(body, dict) else {}


def _describe(err: BaseException) -> str:
    """The first sentence of an error (Entra ID and ARM messages go on with boilerplate and trace ids)."""
    text = err.message if isinstance(err, CrossIpamError) else str(getattr(err, "message", None) or err)
    text = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text


@dataclass
class _Context:
    managed_tenant_id: str
    management_tenant_id: str
    client_id: str | None
    pool: IpamPoolId
    vnet: VirtualNetworkId | None
    location: str | None
    count: int | None
    arm_a: _Arm
    arm_b: _Arm
    graph_b: _Arm
    token_a: CrossIpamError | Exception | None = None
    token_b: CrossIpamError | Exception | None = None
    pool_body: dict[str, Any] | None = None
    pool_error: str | None = None
    vnet_body: dict[str, Any] | None = None
    vnet_error: str | None = None
    checks: list[ReadinessCheck] = field(default_factory=list)

    def add(
        self, name: str, status: CheckStatus, observed: str, remedy: str = "", tenant: str | None = None
    ) -> None:
        self.checks.append(ReadinessCheck(name, status, observed, remedy if status != "pass" else "", tenant))


def _onboarding_remedy(ctx: _Context) -> str:
    app = ctx.client_id or "<app id>"
    return (
        f"make the app registration multitenant in tenant {ctx.managed_tenant_id} and create its service "
        f"principal in tenant {ctx.management_tenant_id} with the IPAM Pool User role on the pool: "
        f"`crossipam onboard --app-id {app} --pool-id {ctx.pool}` (or crossipam.onboarding."
        "onboard_service_principal); directory replication can take a few minutes"
    )


def _token(credential: TokenCredential, scope: str) -> Exception | None:
    try:
        credential.get_token(scope)
    except (CrossIpamError, AzureError) as err:
        return err
    return None


def _check_tokens(ctx: _Context, cred_b: TokenCredential, cred_a: TokenCredential, scope: str) -> None:
    ctx.token_b = _token(cred_b, scope)
    if ctx.token_b is None:
        ctx.add(
            "token_managed_tenant",
            "pass",
            f"got an ARM token for tenant {ctx.managed_tenant_id}",
            tenant=ctx.managed_tenant_id,
        )
    else:
        hint = getattr(ctx.token_b, "hint", None)
        ctx.add(
            "token_managed_tenant",
            "fail",
            _describe(ctx.token_b),
            hint or "check the app id, its secret or certificate, the tenant id and the authority host",
            ctx.managed_tenant_id,
        )
    ctx.token_a = _token(cred_a, scope)
    if ctx.token_a is None:
        ctx.add(
            "token_management_tenant",
            "pass",
            f"got an ARM token for tenant {ctx.management_tenant_id}",
            tenant=ctx.management_tenant_id,
        )
    elif isinstance(ctx.token_a, AppNotOnboardedError):
        ctx.add(
            "token_management_tenant",
            "fail",
            _describe(ctx.token_a),
            _onboarding_remedy(ctx),
            ctx.management_tenant_id,
        )
    else:
        hint = getattr(ctx.token_a, "hint", None)
        ctx.add(
            "token_management_tenant",
            "fail",
            _describe(ctx.token_a),
            hint
            or f"the credential must be allowed to get tokens for tenant {ctx.management_tenant_id} "
            "(additionally_allowed_tenants)",
            ctx.management_tenant_id,
        )


def _check_multitenant(ctx: _Context) -> None:
    name = "app_multitenant"
    tenant = ctx.managed_tenant_id
    if ctx.client_id is None:
        ctx.add(
            name,
            "skip",
            "the credential's app (client) id is unknown (a user or a custom credential): nothing to check",
            "",
            tenant,
        )
        return
    graph_note = ""
    if ctx.token_b is None:
        try:
            response = ctx.graph_b.send(
                "GET", f"/v1.0/applications(appId='{ctx.client_id}')", {"$select": "signInAudience"}
            )
        except (CrossIpamError, AzureError) as err:
            graph_note = f"Graph read failed ({_describe(err)})"
        else:
            if response.status_code == 200:
                audience = str(_json(response).get("signInAudience") or "")
                if audience.lower() in _MULTITENANT_AUDIENCES:
                    ctx.add(name, "pass", f"Graph: signInAudience is {audience}", tenant=tenant)
                else:
                    ctx.add(
                        name,
                        "fail",
                        f"Graph: signInAudience is {audience or 'unset'} (single tenant)",
                        _onboarding_remedy(ctx),
                        tenant,
                    )
                return
            graph_note = (
                f"the app may not read itself in Microsoft Graph ({_describe(_HttpFailure(response))})"
            )
    else:
        graph_note = "no tenant-B token for Microsoft Graph"
    if ctx.token_a is None:
        ctx.add(
            name,
            "pass",
            f"{graph_note}; inferred from the tenant-A token: Entra ID issues app tokens in another tenant "
            "only to a multitenant app with a service principal there",
            tenant=tenant,
        )
    elif isinstance(ctx.token_a, AppNotOnboardedError):
        ctx.add(
            name,
            "fail",
            f"{graph_note}; tenant {ctx.management_tenant_id} does not know the app (AADSTS700016)",
            _onboarding_remedy(ctx),
            tenant,
        )
    else:
        ctx.add(
            name,
            "skip",
            f"{graph_note}, and no tenant-A token to infer it from",
            "grant the app Application.Read.All in Microsoft Graph to let the check read signInAudience",
            tenant,
        )


def _check_service_principal(ctx: _Context) -> None:
    name = "service_principal_in_management_tenant"
    tenant = ctx.management_tenant_id
    if ctx.token_a is None:
        ctx.add(
            name,
            "pass",
            f"tenant {tenant} issued the app a token, so its service principal exists there",
            tenant=tenant,
        )
    elif isinstance(ctx.token_a, AppNotOnboardedError):
        ctx.add(
            name,
            "fail",
            f"AADSTS700016: the app has no service principal in tenant {tenant}",
            _onboarding_remedy(ctx),
            tenant,
        )
    else:
        ctx.add(
            name,
            "skip",
            f"no tenant-A token: {_describe(ctx.token_a)}",
            "fix token_management_tenant first",
            tenant,
        )


def _permissions(arm: _Arm, scope: str) -> list[Mapping[str, Any]]:
    return arm.list(
        f"{scope}/providers/Microsoft.Authorization/permissions", {"api-version": PERMISSIONS_API_VERSION}
    )


def _check_pool_role(ctx: _Context) -> None:
    name = "ipam_pool_user_on_pool"
    tenant = ctx.management_tenant_id
    remedy = (
        f"assign the 'IPAM Pool User' role ({IPAM_POOL_USER_ROLE_ID}) on the pool (or above) to the app's service "
        f"principal in tenant {tenant}: `crossipam onboard` does it; role changes take up to 10 minutes to apply"
    )
    if ctx.token_a is not None:
        ctx.add(name, "skip", "no tenant-A token", "fix token_management_tenant first", tenant)
        return
    try:
        perms = _permissions(ctx.arm_a, str(ctx.pool))
    except (_HttpFailure, CrossIpamError, AzureError) as err:
        ctx.add(name, "fail", f"could not read the permissions on the pool: {_describe(err)}", remedy, tenant)
        return
    if actions_allow(perms, ASSOCIATE_ACTION):
        ctx.add(name, "pass", f"effective permissions on the pool allow {ASSOCIATE_ACTION}", tenant=tenant)
    else:
        ctx.add(
            name,
            "fail",
            f"effective permissions on the pool ({len(perms)} role assignment(s) apply) do not allow "
            f"{ASSOCIATE_ACTION}",
            remedy,
            tenant,
        )


def _check_vnet_role(ctx: _Context) -> None:
    name = "network_contributor_on_vnet"
    tenant = ctx.managed_tenant_id
    if ctx.vnet is None:
        ctx.add(
            name,
            "skip",
            "no VNet id given",
            "pass vnet_id (--vnet-id) to check the VNet's resource group",
            tenant,
        )
        return
    if ctx.token_b is not None:
        ctx.add(name, "skip", "no tenant-B token", "fix token_managed_tenant first", tenant)
        return
    rg = f"/subscriptions/{ctx.vnet.subscription_id}/resourceGroups/{ctx.vnet.resource_group}"
    remedy = (
        f"assign 'Network Contributor' (or a role with Microsoft.Network/virtualNetworks/write) on {rg} to the "
        f"app in tenant {tenant}"
    )
    try:
        perms = _permissions(ctx.arm_b, rg)
    except (_HttpFailure, CrossIpamError, AzureError) as err:
        ctx.add(name, "fail", f"could not read the permissions on {rg}: {_describe(err)}", remedy, tenant)
        return
    missing = [a for a in _VNET_ACTIONS if not actions_allow(perms, a)]
    if missing:
        ctx.add(
            name, "fail", f"effective permissions on {rg} do not allow {', '.join(missing)}", remedy, tenant
        )
    else:
        ctx.add(
            name,
            "pass",
            f"effective permissions on {rg} allow virtualNetworks/read and /write",
            tenant=tenant,
        )


def _state(items: list[Mapping[str, Any]], match: Callable[[Mapping[str, Any]], bool]) -> str:
    states = [
        str((c.get("properties") or {}).get("connectionState") or "Unknown")
        for c in items
        if match(c.get("properties") or {})
    ]
    if not states:
        return "missing"
    return "Connected" if "Connected" in states else states[0]


def _check_connection(ctx: _Context) -> None:
    name = "cross_tenant_connection"
    nm_id = ctx.pool.network_manager_id
    sub = ctx.vnet.subscription_id if ctx.vnet else None
    sides: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    if ctx.managed_tenant_id == ctx.management_tenant_id:
        ctx.add(name, "skip", "pool and VNet are in the same tenant: no cross-tenant connection needed")
        return
    if ctx.token_a is None:
        try:
            items = ctx.arm_a.list(f"{nm_id}/scopeConnections", {"api-version": _NETWORK_API_VERSION})
        except (_HttpFailure, CrossIpamError, AzureError) as err:
            unreadable["scope connection (tenant A)"] = _describe(err)
        else:
            wanted = f"/subscriptions/{sub}".lower() if sub else None

            def scope_match(p: Mapping[str, Any]) -> bool:
                return str(p.get("tenantId") or "").lower() == ctx.managed_tenant_id and (
                    wanted is None or str(p.get("resourceId") or "").rstrip("/").lower() == wanted
                )

            sides["scope connection (tenant A)"] = _state(items, scope_match)
    else:
        unreadable["scope connection (tenant A)"] = "no tenant-A token"
    if sub and ctx.token_b is None:
        try:
            items = ctx.arm_b.list(
                f"/subscriptions/{sub}/providers/Microsoft.Network/networkManagerConnections",
                {"api-version": _NETWORK_API_VERSION},
            )
        except (_HttpFailure, CrossIpamError, AzureError) as err:
            unreadable["network manager connection (tenant B)"] = _describe(err)
        else:
            sides["network manager connection (tenant B)"] = _state(
                items, lambda p: str(p.get("networkManagerId") or "").lower() == nm_id.lower()
            )
    observed = "; ".join(
        [f"{k}: {v}" for k, v in sides.items()] + [f"{k}: not readable ({v})" for k, v in unreadable.items()]
    )
    remedy = (
        f"create the scope connection on {nm_id} in tenant {ctx.management_tenant_id} (properties.tenantId "
        f"{ctx.managed_tenant_id}, resourceId /subscriptions/{sub or '<managed subscription>'}) and the network "
        f"manager connection on the managed subscription in tenant {ctx.managed_tenant_id} (networkManagerId "
        f"{nm_id}); it is Connected once both sides exist"
    )
    if any(v != "Connected" for v in sides.values()):
        ctx.add(name, "fail", observed, remedy)
    elif sides:
        ctx.add(name, "pass", observed)
    else:
        ctx.add(
            name,
            "skip",
            observed or "nothing to read",
            "to let the check see the connection, grant the app Reader (scopeConnections/read) on the network "
            "manager in tenant A or networkManagerConnections/read on the managed subscription in tenant B",
        )


def _read_pool_and_vnet(ctx: _Context) -> None:
    if ctx.token_a is None:
        try:
            response = ctx.arm_a.send("GET", str(ctx.pool), {"api-version": _NETWORK_API_VERSION})
            if response.status_code != 200:
                raise _HttpFailure(response)
            ctx.pool_body = _json(response)
        except (_HttpFailure, CrossIpamError, AzureError) as err:
            ctx.pool_error = _describe(err)
    else:
        ctx.pool_error = "no tenant-A token"
    if ctx.vnet is not None and ctx.token_b is None:
        try:
            response = ctx.arm_b.send("GET", str(ctx.vnet), {"api-version": _NETWORK_API_VERSION})
            if response.status_code == 404 and _HttpFailure(response).code in (
                "ResourceNotFound",
                "NotFound",
            ):
                ctx.vnet_body = None
            elif response.status_code != 200:
                raise _HttpFailure(response)
            else:
                ctx.vnet_body = _json(response)
        except (_HttpFailure, CrossIpamError, AzureError) as err:
            ctx.vnet_error = _describe(err)


def _existing_allocation(ctx: _Context) -> int:
    if ctx.vnet_body is None:
        return 0
    space = (ctx.vnet_body.get("properties") or {}).get("addressSpace") or {}
    total = 0
    for a in space.get("ipamPoolPrefixAllocations") or []:
        pool = str((a.get("pool") or {}).get("id") or "")
        if pool.lower() == str(ctx.pool).lower():
            try:
                total += int(a.get("numberOfIpAddresses") or 0)
            except (TypeError, ValueError):
                continue
    return total


def _check_capacity(ctx: _Context) -> None:
    name = "pool_capacity"
    tenant = ctx.management_tenant_id
    if ctx.count is None:
        ctx.add(name, "skip", "no address count given", "pass number_of_ip_addresses (--addresses)", tenant)
        return
    if ctx.token_a is not None:
        ctx.add(name, "skip", "no tenant-A token", "fix token_management_tenant first", tenant)
        return
    held = _existing_allocation(ctx)
    if held > ctx.count:
        ctx.add(
            name,
            "fail",
            f"the VNet already holds {held} addresses from the pool; an allocation cannot shrink to {ctx.count}",
            "ask for at least the current count, or remove the allocation (crossipam remove) and deploy again",
            tenant,
        )
        return
    need = ctx.count - held
    try:
        response = ctx.arm_a.send(
            "POST",
            f"{ctx.pool}/getPoolUsage",
            {"api-version": _NETWORK_API_VERSION},
        )
        if response.status_code != 200:
            raise _HttpFailure(response)
    except (_HttpFailure, CrossIpamError, AzureError) as err:
        ctx.add(
            name,
            "fail",
            f"could not read the pool's usage: {_describe(err)}",
            "see ipam_pool_user_on_pool",
            tenant,
        )
        return
    usage = _json(response)
    available = int(str(usage.get("numberOfAvailableIPAddresses") or 0))
    free = parse_networks(usage.get("availableAddressPrefixes"))
    largest = max(free, key=lambda n: n.num_addresses, default=None)
    blocks = " + ".join(f"/{_prefix_for(n, free)}" for n in power_of_two_split(need))
    seen = (
        f"{available:,} addresses free, largest free aligned block "
        f"{largest if largest is not None else '(none)'} ({largest.num_addresses if largest else 0:,})"
    )
    if need == 0:
        ctx.add(name, "pass", f"the VNet already holds {held} addresses from the pool; {seen}", tenant=tenant)
        return
    what = f"{need:,} more addresses (blocks {blocks})" if held else f"{need:,} addresses (blocks {blocks})"
    if need <= available and fits_free_space(free, need):
        ctx.add(name, "pass", f"{what} fit: {seen}", tenant=tenant)
    else:
        ctx.add(
            name,
            "fail",
            f"{what} do not fit: {seen}",
            "ask for fewer addresses, free space in the pool (remove allocations or static CIDRs), or add "
            "address prefixes to the pool",
            tenant,
        )


def _prefix_for(size: int, free: Sequence[IPNetwork]) -> int:
    max_len = free[0].max_prefixlen if free else 32
    return max_len - (size.bit_length() - 1)


def _check_region(ctx: _Context) -> None:
    name = "region_supports_ipam"
    pool_loc = str(ctx.pool_body.get("location") or "") if ctx.pool_body else ""
    vnet_loc = str(ctx.vnet_body.get("location") or "") if ctx.vnet_body else (ctx.location or "")
    if not pool_loc and not vnet_loc:
        why = ctx.pool_error or "no location"
        ctx.add(
            name,
            "skip",
            f"the pool could not be read ({why}) and no VNet location is known",
            "pass --location",
        )
        return
    seen = f"pool region {pool_loc or 'unknown'}" + (f", VNet region {vnet_loc}" if vnet_loc else "")
    bad = [loc for loc in (pool_loc, vnet_loc) if loc and normalize_region(loc) in IPAM_UNSUPPORTED_REGIONS]
    if bad:
        ctx.add(
            name,
            "fail",
            f"{seen}: IPAM is not offered in {', '.join(sorted(set(bad)))}",
            "use a region that offers Azure Virtual Network Manager IPAM (not Chile Central, Jio India West, "
            "Malaysia West, Qatar Central, South Africa West or West India)",
        )
    elif pool_loc and vnet_loc and normalize_region(pool_loc) != normalize_region(vnet_loc):
        ctx.add(
            name,
            "fail",
            f"{seen}: the VNet and the pool must be in the same region",
            f"deploy the VNet in {pool_loc}, or use a pool in {vnet_loc} (cross-region pools are in preview)",
        )
    else:
        ctx.add(name, "pass", f"{seen}: IPAM is offered")


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
    **kwargs: Any,
) -> ReadinessReport:
    """Read every prerequisite of a cross-tenant deployment and report each (nothing is written).

    ``managed_credential`` and ``management_credential`` must be bound to tenant B and tenant A (the client
    passes its :class:`~crossipam.credentials.TenantBoundCredential` pair); ``kwargs`` are azure-core options
    (``transport``, ``connection_verify``, ``retry_total`` …). Most callers use
    :meth:`CrossTenantIpamClient.check_readiness <crossipam.CrossTenantIpamClient.check_readiness>`.

    Args:
        pool_id: The IPAM pool in tenant A.
        vnet_id: The VNet in tenant B (existing or to be created); enables the VNet-side checks.
        number_of_ip_addresses: The count to deploy; enables ``pool_capacity`` (an existing VNet's allocation
            from the pool is subtracted).
        location: The region of a VNet that does not exist yet (an existing VNet's own region wins).

    ```python
    report = check_readiness(for_b, for_a, managed_tenant_id=b, management_tenant_id=a, pool_id=pool_id,
                             vnet_id=vnet_id, number_of_ip_addresses=256, client_id=app_id)
    print(report.ok, [c.name for c in report.failed])
    ```
    """
    endpoints = cloud or CloudEndpoints()
    pool = IpamPoolId.parse(pool_id)
    vnet = VirtualNetworkId.parse(vnet_id) if vnet_id is not None else None
    kw = credential_pipeline_kwargs(kwargs)
    if kwargs.get("logging_enable"):
        kw["logging_enable"] = True
    scope = endpoints.resource_manager_scope
    arm_a = _Arm(management_credential, endpoints.resource_manager, scope, kw)
    arm_b = _Arm(managed_credential, endpoints.resource_manager, scope, kw)
    graph_b = _Arm(managed_credential, endpoints.graph, endpoints.graph_scope, kw)
    ctx = _Context(
        managed_tenant_id=managed_tenant_id.lower(),
        management_tenant_id=management_tenant_id.lower(),
        client_id=client_id,
        pool=pool,
        vnet=vnet,
        location=location,
        count=number_of_ip_addresses,
        arm_a=arm_a,
        arm_b=arm_b,
        graph_b=graph_b,
    )
    try:
        _check_tokens(ctx, managed_credential, management_credential, scope)
        _check_multitenant(ctx)
        _check_service_principal(ctx)
        _read_pool_and_vnet(ctx)
        _check_pool_role(ctx)
        _check_vnet_role(ctx)
        _check_connection(ctx)
        _check_capacity(ctx)
        _check_region(ctx)
    finally:
        for reader in (arm_a, arm_b, graph_b):
            reader.close()
    report = ReadinessReport(
        pool_id=str(pool),
        managed_tenant_id=ctx.managed_tenant_id,
        management_tenant_id=ctx.management_tenant_id,
        checks=tuple(ctx.checks),
        vnet_id=str(vnet) if vnet else None,
        number_of_ip_addresses=number_of_ip_addresses,
        client_id=client_id,
    )
    for c in report.checks:
        _LOGGER.info("readiness %s: %s (%s)", c.name, c.status, c.observed)
    return report
