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

The reads are one generator (``crossipam._readiness_reads``) that yields the Graph requests and azure-mgmt calls
it needs, as the onboarding steps do (``crossipam._onboarding_core``);
[`check_readiness`][crossipam.readiness.check_readiness] executes them on the sync clients,
[`crossipam.aio.readiness.check_readiness`][] on the ``aio`` ones, and the verdicts are pure functions of what
was read (``crossipam._readiness_verdicts``). The results and the record of what was read are
``crossipam._readiness_model``; this module re-exports what is public."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from azure.core.credentials import TokenCredential

from ._drive import run_job
from ._readiness_model import CHECK_NAMES, CheckStatus, ReadinessCheck, ReadinessReport
from ._readiness_reads import _READ_ERRORS, _flow, _start
from ._readiness_verdicts import (
    IPAM_UNSUPPORTED_REGIONS,
    actions_allow,
    fits_free_space,
    normalize_region,
    power_of_two_split,
)

if TYPE_CHECKING:  # annotations only (typing.Unpack needs Python 3.11)
    from typing_extensions import Unpack

    from .options import ReadinessArguments

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

PERMISSIONS_API_VERSION = "2022-04-01"
"""The api-version of the permissions API (Microsoft.Authorization) that the reads use
(azure-mgmt-authorization's v2022_04_01 clients)."""


def check_readiness(
    managed_credential: TokenCredential,
    management_credential: TokenCredential,
    **options: Unpack[ReadinessArguments],
) -> ReadinessReport:
    """Read every prerequisite of a cross-tenant deployment and report each (nothing is written).

    Most callers use [`CrossTenantIpamClient.check_readiness`][crossipam.CrossTenantIpamClient.check_readiness],
    which passes its own pieces; [`crossipam.aio.readiness.check_readiness`][] is the asyncio twin.

    Args:
        managed_credential: A ``TokenCredential`` bound to tenant B, the app's home (the client passes its
            [`TenantBoundCredential`][crossipam.credentials.TenantBoundCredential]).
        management_credential: A ``TokenCredential`` bound to tenant A, the pool's tenant.
        **options: The tenants, the pool and what else the check may be told (``vnet_id``,
            ``number_of_ip_addresses``, ``location``, ``client_id``, ``cloud``, ``operation_timeout``) and the
            azure-core options of the reads (``transport``, ``connection_verify``, ``retry_total`` …): every
            key of [`ReadinessArguments`][crossipam.options.ReadinessArguments].

    ```python
    report = check_readiness(for_b, for_a, managed_tenant_id=b, management_tenant_id=a, pool_id=pool_id,
                             vnet_id=vnet_id, number_of_ip_addresses=256, client_id=app_id)
    print(report.ok, [c.name for c in report.failed])
    ```
    """
    seen, endpoints, azure_core, job = _start(managed_credential, management_credential, options)
    seen.token_b = _token(managed_credential, endpoints.resource_manager_scope)
    seen.token_a = _token(management_credential, endpoints.resource_manager_scope)
    return run_job(job, time.sleep, azure_core, steps=_flow(seen))


def _token(credential: TokenCredential, scope: str) -> Exception | None:
    try:
        credential.get_token(scope)
    except _READ_ERRORS as err:
        return err
    return None
