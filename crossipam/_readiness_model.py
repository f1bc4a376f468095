"""What readiness reports and what its reads saw: the public results
([`ReadinessCheck`][crossipam.readiness.ReadinessCheck], [`ReadinessReport`][crossipam.readiness.ReadinessReport],
re-exported by [`crossipam.readiness`][]) and `_Seen`, the one record the reads fill and the verdicts judge.

Both sides below it import this module and nothing else of readiness: the reads (``crossipam._readiness_reads``)
write into `_Seen`, the verdicts (``crossipam._readiness_verdicts``) only read it.

```python
from crossipam.readiness import ReadinessCheck

ReadinessCheck("pool_capacity", "pass", "65536 free").to_dict()["status"]   # 'pass'
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from azure.core.exceptions import HttpResponseError

from ._inflight import DEFAULT_OPERATION_TIMEOUT
from ._resource_ids import IpamPoolId, VirtualNetworkId
from ._wire_errors import arm_error_code, arm_error_message
from .errors import CrossIpamError, Remedy
from .models import PoolUsage

__all__ = ["CHECK_NAMES", "CheckStatus", "ReadinessCheck", "ReadinessReport"]

CheckStatus = Literal["pass", "fail", "skip"]

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

        Args:
            name: One of [`CHECK_NAMES`][crossipam.readiness.CHECK_NAMES], e.g. ``"pool_capacity"``.

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
    """The first sentence of an error (Entra ID and ARM messages go on with boilerplate and trace ids); an ARM
    answer as ``code: message``, read by the one ARM error parser (``crossipam._wire_errors``)."""
    code = arm_error_code(err) if isinstance(err, HttpResponseError) else None
    if code:
        text = f"{code}: {arm_error_message(err)}"
    elif isinstance(err, CrossIpamError):
        text = err.message
    else:
        text = str(getattr(err, "message", None) or err)
    text = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    head, sep, _ = text.partition(". ")
    return head + "." if sep else text


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
