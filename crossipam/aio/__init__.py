"""asyncio twins: [`CrossTenantIpamClient`][crossipam.aio.CrossTenantIpamClient] over azure.identity.aio /
azure.mgmt.network.aio, and the onboarding functions
[`onboard_service_principal`][crossipam.aio.onboarding.onboard_service_principal] /
[`offboard_service_principal`][crossipam.aio.onboarding.offboard_service_principal]
([`crossipam.aio.onboarding`][]).

Same names, arguments, results and typed errors as the sync API; ``begin_*`` are coroutines that return an
``azure.core.polling.AsyncLROPoller``. The default async transport needs ``aiohttp``.

```python
from crossipam.aio import CrossTenantIpamClient

async with CrossTenantIpamClient.from_client_secret(app_id, secret, managed_tenant_id=b,
                                                    management_tenant_id=a) as client:
    deployment = await (await client.begin_deploy_virtual_network(
        vnet_id, location="eastus", pool_id=pool_id, number_of_ip_addresses=100)).result()
```
"""

from ._credentials import AsyncCrossTenantAuxiliaryPolicy, AsyncTenantBoundCredential
from .client import CrossTenantIpamClient
from .onboarding import offboard_service_principal, onboard_service_principal

__all__ = [
    "AsyncCrossTenantAuxiliaryPolicy",
    "AsyncTenantBoundCredential",
    "CrossTenantIpamClient",
    "offboard_service_principal",
    "onboard_service_principal",
]
