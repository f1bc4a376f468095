"""ARM's cloud metadata document, ``GET /metadata/endpoints`` (no authentication).

What clients read from it: the Azure CLI's ``az cloud register --endpoint-resource-manager <arm>`` asks for
``?api-version=2022-09-01`` and takes ``authentication.loginEndpoint`` (the authority),
``authentication.audiences[0]`` (the resource it asks ARM tokens for), ``microsoftGraphResourceId`` (both the
resource of Graph tokens and the URL it calls Graph at) and ``graphAudience``; Terraform's ``metadata_host`` and
older tools ask for older versions. Three shapes, by api-version:

- from 2022-09-01 (and without an api-version): one cloud, as an object;
- from 2018-01-01 to before 2022-09-01: a list of clouds (this one);
- before 2018-01-01 (``2015-01-01``, what older Azure CLIs and Azure Stack Hub read): the short document,
  ``galleryEndpoint``, ``graphEndpoint``, ``portalEndpoint`` and ``authentication``. The 2018-01-01 boundary is
  not documented: it is a choice.

``authentication.audiences`` lists what Azure lists — ``https://management.core.windows.net/`` first, then
``https://management.azure.com/`` — and then the offline Azure's own ARM URL; with the knob
``Settings.public_audiences`` off, only the offline Azure's own URL. ``microsoftGraphResourceId`` is the offline
Azure's Graph URL, because clients call Graph there.

```python
doc = requests.get(f"{server.arm_endpoint}metadata/endpoints?api-version=2022-09-01", verify=ca).json()
doc["authentication"]["audiences"][0]  # "https://management.core.windows.net/"
```
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from ._context import ServiceContext
from ._core import PUBLIC_ARM_AUDIENCES
from ._http import Request, Response
from ._validate import api_version_date

if TYPE_CHECKING:
    from ._core import Router

__all__ = ["audiences", "register"]

_ONE_CLOUD = _dt.date(2022, 9, 1)
_LIST_OF_CLOUDS = _dt.date(2018, 1, 1)


def register(router: Router, ctx: ServiceContext) -> None:
    """Register ``GET /metadata/endpoints`` on ARM.

    Args:
        router: the emulator's router.
        ctx: the services' context the handler is bound to.

    ```python
    metadata.register(emulator.router, emulator.services)  # what AzureEmulator does
    ```
    """
    router.register("arm", ctx, [("GET", r"/metadata/endpoints", _metadata_endpoints)])


def audiences(ctx: ServiceContext) -> list[str]:
    """``authentication.audiences``: Azure's two ARM resource ids (in Azure's order), then the offline Azure's
    own ARM URL; only the latter with ``Settings.public_audiences`` off.

    Args:
        ctx: the services' context (its knobs and endpoints).

    ```python
    audiences(emulator.services)
    # ["https://management.core.windows.net/", "https://management.azure.com/", "https://management.crossipam.test/"]
    ```
    """
    public = list(PUBLIC_ARM_AUDIENCES) if ctx.settings.public_audiences else []
    return [*public, ctx.endpoints.arm]


def _metadata_endpoints(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    ep = ctx.endpoints
    arm = ep.arm
    graph = ep.graph.rstrip("/") + "/"
    login = ep.authority.rstrip("/") + "/"
    asked = api_version_date(req.api_version or "") or _ONE_CLOUD
    if asked < _LIST_OF_CLOUDS:
        return Response.json_body(
            200,
            {
                "galleryEndpoint": "https://gallery.crossipam.test/",
                "graphEndpoint": graph,
                "portalEndpoint": "https://portal.crossipam.test/",
                "authentication": {"loginEndpoint": login, "audiences": audiences(ctx)},
            },
        )
    doc: dict[str, Any] = {
        "name": "CrossipamOfflineAzure",
        "portal": "https://portal.crossipam.test",
        "gallery": "https://gallery.crossipam.test/",
        "graph": graph,
        "graphAudience": graph,
        "microsoftGraphResourceId": graph,
        "resourceManager": arm,
        "authentication": {
            "loginEndpoint": login,
            "audiences": audiences(ctx),
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": "https://rest.media.crossipam.test",
        "batch": "https://batch.crossipam.test/",
        "sqlManagement": "https://management.core.crossipam.test:8443/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/"
        "quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.crossipam.test/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrdbmsResourceId": "https://ossrdbms-aad.database.windows.net",
        "suffixes": {
            "acrLoginServer": "azurecr.crossipam.test",
            "keyVaultDns": "vault.crossipam.test",
            "mhsmDns": "managedhsm.crossipam.test",
            "sqlServerHostname": "database.crossipam.test",
            "storage": "core.crossipam.test",
            "storageSyncEndpointSuffix": "afs.crossipam.test",
        },
    }
    if asked >= _ONE_CLOUD:
        return Response.json_body(200, doc)
    return Response.json_body(200, [doc])
