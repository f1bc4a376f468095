"""``GET /subscriptions/{s}/providers/Microsoft.Network``: the resource provider as ARM describes it.

``registrationState: Registered`` and one entry per resource type the offline Azure serves, each with
``locations`` and ``apiVersions`` (newest first): the published Microsoft.Network api-versions
(`PUBLISHED_API_VERSIONS`) that the type's accepted range (``AzureEmulator.api_versions``) admits, plus the
range's ends — so a client that picks the newest listed version (as the Azure CLI does) picks one the offline
Azure accepts, and widening a range on a running emulator shows here at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._core import Router
from .._http import Request, Response
from .._ids import SUBSCRIPTION_ID
from .._validate import DEFAULT_API_VERSIONS, ApiVersionRange, _range_for, api_version_date
from .common import NetworkContext, Params, authenticated, require_subscription_tenant

__all__ = ["LOCATIONS", "PUBLISHED_API_VERSIONS", "RESOURCE_TYPES", "ProviderContext", "register"]

PUBLISHED_API_VERSIONS = [
    "2015-06-15",
    "2016-03-30",
    "2016-06-01",
    "2016-09-01",
    "2016-12-01",
    "2017-03-01",
    "2017-06-01",
    "2017-08-01",
    "2017-09-01",
    "2017-10-01",
    "2017-11-01",
    "2018-01-01",
    "2018-02-01",
    "2018-04-01",
    "2018-06-01",
    "2018-07-01",
    "2018-08-01",
    "2018-10-01",
    "2018-11-01",
    "2018-12-01",
    "2019-02-01",
    "2019-04-01",
    "2019-06-01",
    "2019-07-01",
    "2019-08-01",
    "2019-09-01",
    "2019-11-01",
    "2019-12-01",
    "2020-03-01",
    "2020-04-01",
    "2020-05-01",
    "2020-06-01",
    "2020-07-01",
    "2020-08-01",
    "2020-11-01",
    "2021-02-01",
    "2021-03-01",
    "2021-05-01",
    "2021-08-01",
    "2022-01-01",
    "2022-05-01",
    "2022-07-01",
    "2022-09-01",
    "2022-11-01",
    "2023-02-01",
    "2023-04-01",
    "2023-05-01",
    "2023-06-01",
    "2023-09-01",
    "2023-11-01",
    "2024-01-01",
    "2024-03-01",
    "2024-05-01",
    "2024-07-01",
    "2024-10-01",
    "2025-01-01",
    "2025-03-01",
    "2025-05-01",
    "2026-03-01",
]
"""Stable Microsoft.Network api-versions (the REST API specs' folders); each type lists those in its range."""

RESOURCE_TYPES = (
    "virtualNetworks",
    "virtualNetworks/subnets",
    "networkManagers",
    "networkManagers/ipamPools",
    "networkManagers/ipamPools/staticCidrs",
    "networkManagers/scopeConnections",
    "networkManagerConnections",
    "locations",
    "locations/operations",
    "locations/operationResults",
)
"""The resource types the offline Azure serves."""

LOCATIONS = (
    "East US",
    "East US 2",
    "West US",
    "West US 2",
    "West US 3",
    "Central US",
    "North Europe",
    "West Europe",
    "UK South",
    "Southeast Asia",
    "Australia East",
    "Japan East",
)
"""The locations listed for each resource type (display names, as ARM lists them)."""


@dataclass(frozen=True, eq=False)
class ProviderContext:
    """What the provider handler is given: the network's context and the accepted api-version ranges.

    ```python
    ProviderContext(network_context, emulator.api_versions)
    ```
    """

    network: NetworkContext
    api_versions: Mapping[str, ApiVersionRange]


def register(
    router: Router, ctx: NetworkContext, api_versions: Mapping[str, ApiVersionRange] = DEFAULT_API_VERSIONS
) -> None:
    """Register the provider route.

    Args:
        router: The emulator's router.
        ctx: The network's context.
        api_versions: The ranges ARM accepts by resource type (the emulator's own mapping, read per request).

    ```python
    provider.register(router, ctx, emulator.api_versions)
    ```
    """
    route = SUBSCRIPTION_ID.child("/providers/Microsoft.Network").route
    router.register("arm", ProviderContext(ctx, api_versions), [("GET", route, _get_provider)])


def _versions(allowed: ApiVersionRange | None) -> list[str]:
    if allowed is None:
        return []
    found = {v for v in PUBLISHED_API_VERSIONS if allowed.accepts(v)} | {allowed.oldest, allowed.newest}
    return sorted(found, key=lambda v: (api_version_date(v), v), reverse=True)


def _get_provider(pctx: ProviderContext, req: Request, p: Params) -> Response:
    ctx = pctx.network
    caller, _ = authenticated(ctx, req)
    require_subscription_tenant(ctx, caller, p["sub"])
    types: list[dict[str, Any]] = [
        {
            "resourceType": rtype,
            "locations": list(LOCATIONS),
            "apiVersions": _versions(_range_for(pctx.api_versions, f"microsoft.network/{rtype.lower()}")),
            "capabilities": "None",
        }
        for rtype in RESOURCE_TYPES
    ]
    body = {
        "id": f"{SUBSCRIPTION_ID.build(p)}/providers/Microsoft.Network",
        "namespace": "Microsoft.Network",
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": types,
    }
    return Response.json_body(200, body)
