"""crossipam — typed Python SDK for cross-tenant IP address management on Azure.

```python
from crossipam import CrossTenantIpamClient, SubnetSpec

with CrossTenantIpamClient.from_client_secret(app_id, secret, managed_tenant_id=b, management_tenant_id=a) as c:
    deployment = c.begin_deploy_virtual_network(vnet_id, location="eastus", pool_id=pool_id,
                                                number_of_ip_addresses=100,
                                                subnets=[SubnetSpec("app", 64)]).result()
```
"""

from ._resource_ids import IpamPoolId, ResourceId, VirtualNetworkId
from ._version import __version__
from .client import CrossTenantIpamClient
from .errors import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    AppNotOnboardedError,
    AuthenticationError,
    AuthorizationError,
    AzureServiceError,
    ConfigurationError,
    ConflictError,
    CredentialError,
    CrossIpamError,
    DeploymentRefusedError,
    InvalidAllocationError,
    InvalidInputError,
    InvalidResourceIdError,
    LinkedAuthorizationError,
    ManagedIdentityNotSupportedError,
    NotFoundError,
    OperationFailedError,
    OperationTimeoutError,
    PoolExhaustedError,
    TenantNotAllowedError,
    ThrottledError,
    TokenTenantMismatchError,
    TransportError,
)
from .models import (
    BulkItemResult,
    ChildPool,
    CloudEndpoints,
    DeploymentSpec,
    IpamAllocation,
    PoolAllocation,
    PoolUsage,
    SubnetDeployment,
    SubnetSpec,
    VirtualNetworkDeployment,
)
from .subnets import SubnetResult

__all__ = [
    "AddressSpaceConflictError",
    "AllocationDecreaseError",
    "AppNotOnboardedError",
    "AuthenticationError",
    "AuthorizationError",
    "AzureServiceError",
    "BulkItemResult",
    "ChildPool",
    "CloudEndpoints",
    "ConfigurationError",
    "ConflictError",
    "CredentialError",
    "CrossIpamError",
    "CrossTenantIpamClient",
    "DeploymentRefusedError",
    "DeploymentSpec",
    "InvalidAllocationError",
    "InvalidInputError",
    "InvalidResourceIdError",
    "IpamAllocation",
    "IpamPoolId",
    "LinkedAuthorizationError",
    "ManagedIdentityNotSupportedError",
    "NotFoundError",
    "OperationFailedError",
    "OperationTimeoutError",
    "PoolAllocation",
    "PoolExhaustedError",
    "PoolUsage",
    "ResourceId",
    "SubnetDeployment",
    "SubnetResult",
    "SubnetSpec",
    "TenantNotAllowedError",
    "ThrottledError",
    "TokenTenantMismatchError",
    "TransportError",
    "VirtualNetworkDeployment",
    "VirtualNetworkId",
    "__version__",
]
