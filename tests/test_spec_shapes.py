"""Shape checks: the offline Azure's bodies carry the fields of the official REST API example files.

Only field names and structure are taken from the examples (azure-rest-api-specs, Microsoft.Network:
``VirtualNetworkCreateWithIpamPool.json``, ``IpamPools_Get.json``, ``IpamPools_GetPoolUsage.json``,
``IpamPools_ListAssociatedResources.json``; Microsoft.Authorization 2022-04-01:
``authorization-RoleAssignmentsCalls.json`` definitions ``RoleAssignment``, ``RoleAssignmentProperties``,
``RoleAssignmentCreateParameters``, ``RoleAssignmentListResult`` and ``RoleAssignments_CreateForResourceGroup.json``);
values come from the emulator.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core import PipelineClient
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.rest import HttpRequest, HttpResponse
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import (
    RoleAssignment,
    RoleAssignmentCreateParameters,
    RoleAssignmentListResult,
)
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy
from azure.mgmt.network import NetworkManagementClient

from crossipam.testing import AzureEmulator

VNET_TOP = {"name", "id", "type", "location", "properties"}
VNET_PROPS = {"provisioningState", "addressSpace", "subnets"}
VNET_ALLOCATION = {"numberOfIpAddresses", "pool", "allocatedAddressPrefixes"}
SUBNET_TOP = {"name", "id", "properties"}
SUBNET_PROPS = {"provisioningState", "addressPrefixes", "ipamPoolPrefixAllocations"}
POOL_TOP = {"id", "name", "type", "location", "properties"}
POOL_PROPS = {
    "description",
    "displayName",
    "ipAddressType",
    "parentPoolName",
    "addressPrefixes",
    "provisioningState",
}
POOL_USAGE = {
    "addressPrefixes",
    "childPools",
    "allocatedAddressPrefixes",
    "reservedAddressPrefixes",
    "availableAddressPrefixes",
    "totalNumberOfIPAddresses",
    "numberOfAllocatedIPAddresses",
    "numberOfReservedIPAddresses",
    "numberOfAvailableIPAddresses",
}
CHILD_POOL = {"resourceId", "addressPrefixes"}
ASSOCIATED = {
    "resourceId",
    "poolId",
    "description",
    "addressPrefixes",
    "reservedPrefixes",
    "totalNumberOfIPAddresses",
    "numberOfReservedIPAddresses",
    "createdAt",
    "reservationExpiresAt",
}

# Microsoft.Authorization 2022-04-01 (authorization-RoleAssignmentsCalls.json)
ROLE_ASSIGNMENT_TOP = {"id", "name", "type", "properties"}
ROLE_ASSIGNMENT_PROPS = {
    "scope",
    "roleDefinitionId",
    "principalId",
    "principalType",
    "description",
    "condition",
    "conditionVersion",
    "createdOn",
    "updatedOn",
    "createdBy",
    "updatedBy",
    "delegatedManagedIdentityResourceId",
}
ROLE_ASSIGNMENT_READ_ONLY = {"scope", "createdOn", "updatedOn", "createdBy", "updatedBy"}
ROLE_ASSIGNMENT_REQUIRED = {"roleDefinitionId", "principalId"}
PRINCIPAL_TYPES = {"User", "Group", "ServicePrincipal", "ForeignGroup"}
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


@pytest.fixture
def client(azure_emulator: AzureEmulator) -> Any:
    info = azure_emulator.scenario
    assert info is not None
    common: dict[str, Any] = {
        "authority": info.authority,
        "disable_instance_discovery": True,
        "transport": azure_emulator.transport(),
    }
    cred_b = ClientSecretCredential(
        info.managed_tenant_id, info.app.client_id, info.app.client_secret, **common
    )
    cred_a = ClientSecretCredential(
        info.management_tenant_id, info.app.client_id, info.app.client_secret, **common
    )
    return NetworkManagementClient(
        cred_b,
        info.managed_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        polling_interval=0,
        per_call_policies=[AuxiliaryAuthenticationPolicy([cred_a], info.arm_scope)],
        transport=azure_emulator.transport(),
    )


@pytest.fixture
def client_a(azure_emulator: AzureEmulator) -> Any:
    """A client for the management subscription, as the app's principal in the management tenant."""
    info = azure_emulator.scenario
    assert info is not None
    cred_a = ClientSecretCredential(
        info.management_tenant_id,
        info.app.client_id,
        info.app.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=azure_emulator.transport(),
    )
    return NetworkManagementClient(
        cred_a,
        info.management_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        transport=azure_emulator.transport(),
    )


def _post(client: Any, path: str) -> Any:
    resp = client.send_request(HttpRequest("POST", path, params={"api-version": "2024-05-01"}))
    assert resp.status_code == 200, resp.text()
    return resp.json()


def _get(client: Any, path: str) -> Any:
    resp = client.send_request(HttpRequest("GET", path, params={"api-version": "2024-05-01"}))
    assert resp.status_code == 200, resp.text()
    return resp.json()


def test_vnet_with_ipam_pool_shape(azure_emulator: AzureEmulator, client: Any) -> None:
    info = azure_emulator.scenario
    assert info is not None
    pool = {"id": info.pool_id}
    request = {
        "location": info.location,
        "properties": {
            "addressSpace": {"ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "1024", "pool": pool}]},
            "subnets": [
                {
                    "name": "test-1",
                    "properties": {
                        "ipamPoolPrefixAllocations": [{"pool": pool, "numberOfIpAddresses": "80"}]
                    },
                }
            ],
        },
    }
    client.virtual_networks.begin_create_or_update(info.resource_group, "test-vnet", request).result()
    body = _get(client, info.vnet_id("test-vnet"))
    assert set(body) >= VNET_TOP
    assert body["type"] == "Microsoft.Network/virtualNetworks"
    assert set(body["properties"]) >= VNET_PROPS
    space = body["properties"]["addressSpace"]
    assert set(space) == {"addressPrefixes", "ipamPoolPrefixAllocations"}
    assert set(space["ipamPoolPrefixAllocations"][0]) == VNET_ALLOCATION
    assert space["addressPrefixes"] == ["10.0.0.0/22"]
    subnet = body["properties"]["subnets"][0]
    assert set(subnet) >= SUBNET_TOP
    assert set(subnet["properties"]) >= SUBNET_PROPS
    assert "addressPrefix" not in subnet["properties"]
    assert subnet["properties"]["addressPrefixes"] == ["10.0.0.0/26", "10.0.0.64/28"]
    assert set(subnet["properties"]["ipamPoolPrefixAllocations"][0]) == VNET_ALLOCATION


def test_ipam_pool_shapes(azure_emulator: AzureEmulator, client: Any, client_a: Any) -> None:
    info = azure_emulator.scenario
    assert info is not None
    client.virtual_networks.begin_create_or_update(
        info.resource_group,
        "vnet-shape",
        {
            "location": info.location,
            "properties": {
                "addressSpace": {
                    "ipamPoolPrefixAllocations": [
                        {"numberOfIpAddresses": "256", "pool": {"id": info.pool_id}}
                    ]
                }
            },
        },
    ).result()
    azure_emulator.add_ipam_pool(
        info.network_manager_id, "child", ["10.0.2.0/26"], parent_pool_name="pool-eastus"
    )
    azure_emulator.add_static_cidr(info.pool_id, "reserved", ["10.0.1.0/24"])
    pool = _get(client_a, info.pool_id)
    assert set(pool) >= POOL_TOP
    assert set(pool["properties"]) >= POOL_PROPS
    assert pool["properties"]["parentPoolName"] == ""
    usage = _post(client_a, info.pool_id + "/getPoolUsage")
    assert set(usage) == POOL_USAGE
    assert all(isinstance(usage[k], str) for k in POOL_USAGE if k.startswith(("total", "number")))
    assert set(usage["childPools"][0]) == CHILD_POOL
    listing = _post(client_a, info.pool_id + "/listAssociatedResources")
    assert set(listing) <= {"value", "nextLink"}
    vnet_row = next(r for r in listing["value"] if r["resourceId"] == info.vnet_id("vnet-shape"))
    assert set(vnet_row) == ASSOCIATED
    assert vnet_row["totalNumberOfIPAddresses"] == "256"
    assert vnet_row["reservationExpiresAt"] is None


def _sdk_keys(model: Any) -> set[str]:
    """The wire keys of an azure-mgmt-authorization model (``properties.x`` for flattened properties)."""
    return {str(v["key"]) for v in model._attribute_map.values()}


def test_role_assignment_spec_constants_match_the_sdk_models() -> None:
    """The field sets above are the spec's; the generated SDK models must agree with them."""
    flattened = {f"properties.{k}" for k in ROLE_ASSIGNMENT_PROPS}
    assert _sdk_keys(RoleAssignment) == (ROLE_ASSIGNMENT_TOP - {"properties"}) | flattened
    assert _sdk_keys(RoleAssignmentCreateParameters) == flattened
    assert _sdk_keys(RoleAssignmentListResult) == {"value", "nextLink"}


def test_role_assignment_shapes(azure_emulator: AzureEmulator) -> None:
    """PUT the spec example's body (RoleAssignmentCreateParameters) and check the PUT, GET and list answers
    against RoleAssignment / RoleAssignmentListResult."""
    info = azure_emulator.scenario
    assert info is not None
    admin = info.admins["management"]
    cred = ClientSecretCredential(
        admin.tenant_id,
        admin.client_id,
        admin.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=azure_emulator.transport(),
    )
    authz = AuthorizationManagementClient(
        cred,
        info.management_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        transport=azure_emulator.transport(),
    )
    sp_a = azure_emulator.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp_a is not None
    scope = info.pool_id
    name = "05c5a614-a7d6-4502-b150-c2fb455033ff"
    url = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    role_definition_id = (
        f"/subscriptions/{info.management_subscription_id}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{READER}"
    )
    body = {
        "properties": {
            "roleDefinitionId": role_definition_id,
            "principalId": sp_a.object_id,
            "principalType": "ServicePrincipal",
        }
    }
    # the body is what the SDK itself would send for these parameters, and it fits the spec
    sdk_body = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id, principal_id=sp_a.object_id, principal_type="ServicePrincipal"
    ).serialize()
    assert sdk_body == body
    assert set(body) == {"properties"}
    assert (
        ROLE_ASSIGNMENT_REQUIRED
        <= set(body["properties"])
        <= ROLE_ASSIGNMENT_PROPS - ROLE_ASSIGNMENT_READ_ONLY
    )

    raw: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
        base_url=info.arm_endpoint,
        policies=[BearerTokenCredentialPolicy(cred, info.arm_scope)],
        transport=azure_emulator.transport(),
    )

    def send(method: str, path: str, payload: Any = None) -> HttpResponse:
        full = info.arm_endpoint.rstrip("/") + path
        return raw.send_request(HttpRequest(method, full, params={"api-version": "2022-04-01"}, json=payload))

    created = send("PUT", url, body)
    assert created.status_code == 201, created.text()
    again = send("PUT", url, body)
    assert again.status_code == 200, again.text()
    fetched = send("GET", url)
    assert fetched.status_code == 200, fetched.text()
    for answer in (created.json(), again.json(), fetched.json()):
        assert set(answer) == ROLE_ASSIGNMENT_TOP
        assert set(answer["properties"]) <= ROLE_ASSIGNMENT_PROPS
        assert ROLE_ASSIGNMENT_REQUIRED | {"scope", "principalType"} <= set(answer["properties"])
        assert answer["type"] == "Microsoft.Authorization/roleAssignments"
        assert answer["name"] == name
        assert answer["id"].lower() == url.lower()
        props = answer["properties"]
        assert props["scope"].lower() == scope.lower()
        assert props["principalId"] == sp_a.object_id
        assert props["principalType"] in PRINCIPAL_TYPES
        assert (
            props["roleDefinitionId"]
            .lower()
            .endswith(f"/providers/microsoft.authorization/roledefinitions/{READER}")
        )
    listing = send("GET", f"{scope}/providers/Microsoft.Authorization/roleAssignments")
    assert listing.status_code == 200, listing.text()
    assert set(listing.json()) <= {"value", "nextLink"}
    row = next(r for r in listing.json()["value"] if r["name"] == name)
    assert set(row) == ROLE_ASSIGNMENT_TOP and set(row["properties"]) <= ROLE_ASSIGNMENT_PROPS
    # and the SDK reads the answer back into its model
    model = authz.role_assignments.get(scope, name)
    assert model.principal_type == "ServicePrincipal" and model.scope is not None
