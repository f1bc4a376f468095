"""Readiness's verdicts: each check decided on what the reads saw (`_Seen`), with no I/O — and the pure helpers
they use (effective permissions, regions, power-of-two blocks), which [`crossipam.readiness`][] makes public.

A verdict is a function of `_Seen` alone, so one verdict serves the sync and the asyncio check, and a test can
decide a check on a `_Seen` it built by hand.

```python
from crossipam.readiness import fits_free_space, power_of_two_split

power_of_two_split(100)   # [64, 32, 4]
```
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ._readiness_model import (
    CheckStatus,
    ReadinessCheck,
    _describe,
    _existing_allocation,
    _Seen,
    _Unreadable,
)
from ._wire_errors import ASSOCIATE_ACTION, IPAM_POOL_USER_ROLE_ID
from .errors import AppNotOnboardedError, CrossIpamError, Remedy
from .models import IPNetwork, PoolUsage

__all__ = [
    "IPAM_UNSUPPORTED_REGIONS",
    "actions_allow",
    "fits_free_space",
    "normalize_region",
    "power_of_two_split",
]

IPAM_UNSUPPORTED_REGIONS = frozenset(
    {"chilecentral", "jioindiawest", "malaysiawest", "qatarcentral", "southafricawest", "westindia"}
)
"""Regions where Azure Virtual Network Manager IPAM is not offered (Microsoft Learn), normalized."""


_GET_POOL_USAGE_ACTION = "Microsoft.Network/networkManagers/ipamPools/getPoolUsage/action"
_VNET_ACTIONS = ("Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/write")
_MULTITENANT_AUDIENCES = frozenset({"azureadmultipleorgs", "azureadandpersonalmicrosoftaccount"})


# ---- pure helpers -----------------------------------------------------------------------------------


def _action_matches(pattern: str, action: str) -> bool:
    rx = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(rx, action, re.IGNORECASE) is not None


def actions_allow(permissions: Iterable[Mapping[str, Any]], action: str) -> bool:
    """Whether ARM permission entries (``actions``/``notActions``, one entry per role) allow ``action``.

    An entry allows an action that one of its ``actions`` matches and none of its ``notActions`` does
    (``*`` is a wildcard, case-insensitive); the effective permission is the union over entries.

    Args:
        permissions: The entries of ARM's ``…/permissions`` answer (``actions``, ``notActions``), one per role
            that applies at the scope.
        action: The action to allow, e.g. ``Microsoft.Network/virtualNetworks/write``.

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

    Args:
        location: A region as ARM or a person writes it (``"South Africa West"``, ``"southafricawest"``).

    ```python
    normalize_region("South Africa West")   # 'southafricawest'
    ```
    """
    return location.replace(" ", "").lower()


def power_of_two_split(count: int) -> list[int]:
    """The power-of-two block sizes Azure splits an allocation of ``count`` addresses into, largest first.

    Args:
        count: The number of addresses asked for (positive).

    ```python
    power_of_two_split(100)   # [64, 32, 4]
    ```
    """
    return [1 << bit for bit in range(count.bit_length() - 1, -1, -1) if count >> bit & 1]


def fits_free_space(available: Sequence[IPNetwork], count: int) -> bool:
    """Whether the power-of-two blocks of ``count`` fit the free prefixes (first fit, largest first, each
    block aligned to its size).

    Args:
        available: The pool's free prefixes (``PoolUsage.available_address_prefixes``).
        count: The number of addresses to place.

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


def _token_failure(err: Exception, tenant: str) -> str:
    """Why ``tenant`` issued no token: Entra ID's ``AADSTS…`` sentence when there is one (azure-identity's sync
    and async credentials wrap it in different words), else the error's first sentence."""
    aadsts = re.search(r"AADSTS\d+:.*", err.message if isinstance(err, CrossIpamError) else str(err))
    if aadsts is None:
        return _describe(err)
    head, sep, _ = aadsts.group(0).partition(". ")
    return f"could not get a token for tenant {tenant}: {head}{'.' if sep else ''}"


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
