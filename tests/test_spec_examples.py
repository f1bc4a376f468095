"""Conformance with the REST API specs' examples (Azure/azure-rest-api-specs): each test sends an example's
request to a seeded offline Azure, over either front, and compares the answer's status, headers, field names,
nesting and value types with the example's response.

The expected shapes below are transcribed from the example files (cited by path next to each). A member the
example omits but the spec's model declares (read from the installed SDK's models: azure-mgmt-network 33.x,
azure-mgmt-authorization 4.x, api-version 2022-04-01) may be present; any other member fails the test. Values
are compared where the seeded world is the example's own (pool usage, the VNet's blocks).

Where an example contradicts its own model, the test follows the model and says so: ``StaticCidrs_Create.json``
sends its properties without the ``properties`` wrapper and answers with ``name`` ``OnPremResources`` and type
``…/ipamPools/TestStaticCidr``; the request here is the ``StaticCidr`` model's and name/type are those of
``StaticCidrs_Get.json``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.rest import HttpResponse
from azure.mgmt.authorization.v2022_04_01 import models as authz_models
from azure.mgmt.network import models as net_models
from azure.mgmt.network._utils.model_base import _RestField

from crossipam.testing import AzureEmulator, ScenarioInfo

if TYPE_CHECKING:
    from .fixtures.arm import Arm, ArmAs

NET = "specification/network/resource-manager/Microsoft.Network/stable"
AUTHZ = "specification/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/examples"
GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class Opt:
    """A member the example omits but the spec's model declares: it may be absent."""

    def __init__(self, shape: Any) -> None:
        self.shape = shape


ANY = object()


def assert_shape(actual: Any, shape: Any, where: str = "body") -> None:
    """``actual`` has ``shape``: a dict shape names every member (``Opt`` ones may be absent, no other may be
    present); a one-item list shape is a list of that item's shape; a type is the JSON value's type; ``None`` is
    JSON null; ``ANY`` matches anything."""
    if shape is ANY:
        return
    if isinstance(shape, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        required = {k for k, v in shape.items() if not isinstance(v, Opt)}
        assert required <= set(actual), f"{where}: missing {sorted(required - set(actual))}"
        assert set(actual) <= set(shape), (
            f"{where}: not in the example nor the model: {sorted(set(actual) - set(shape))}"
        )
        for key, value in actual.items():
            sub = shape[key]
            assert_shape(value, sub.shape if isinstance(sub, Opt) else sub, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(actual, list), f"{where}: {actual!r} is not an array"
        for i, item in enumerate(actual):
            assert_shape(item, shape[0] if shape else ANY, f"{where}[{i}]")
    elif shape is None:
        assert actual is None, f"{where}: {actual!r} is not null"
    else:
        assert isinstance(actual, shape), f"{where}: {actual!r} is not a {shape.__name__}"


def members(model: type, under: str = "") -> set[str]:
    """The wire names a generated SDK model declares (``under``: inside a flattened ``properties``)."""
    attribute_map = getattr(model, "_attribute_map", None)
    if attribute_map is not None:  # msrest models (azure-mgmt-authorization)
        keys = [str(v["key"]) for v in attribute_map.values()]
        if under:
            keys = [k[len(under) + 1 :] for k in keys if k.startswith(under + ".")]
        return {k.split(".", 1)[0] for k in keys}
    model()  # a typespec model names its fields' wire names when first built
    return {
        value._rest_name
        for klass in model.__mro__
        for value in vars(klass).values()
        if isinstance(value, _RestField)
    }


def spec(example: dict[str, Any], model: type, props: type | None = None, under: str = "") -> dict[str, Any]:
    """The example's shape, with the model's other members optional (and those of ``properties``)."""
    shape: dict[str, Any] = dict(example)
    for name in members(model) - set(shape):
        shape[name] = Opt(ANY)
    if "properties" in shape and (props is not None or under):
        inner = dict(shape["properties"])
        for name in (members(model, "properties") if under else members(props or model)) - set(inner):
            inner[name] = Opt(ANY)
        shape["properties"] = inner
    return shape


def expect(response: HttpResponse, status: int, shape: Any) -> None:
    """The example's status code and a body of the example's shape."""
    assert response.status_code == status, response.text()
    assert_shape(response.json(), shape)


def listing(item: dict[str, Any]) -> dict[str, Any]:
    """A list answer: ``value`` and, on all but the last page, ``nextLink`` (every list example shows one)."""
    return {"value": [item], "nextLink": Opt(str)}


# ---- the examples' shapes --------------------------------------------------------------------------------

# every network-manager example (e.g. IpamPools_Create.json, NetworkManagerScopeConnectionPut.json)
SYSTEM_DATA = {
    "createdBy": str,
    "createdByType": str,
    "createdAt": str,
    "lastModifiedBy": str,
    "lastModifiedByType": str,
    "lastModifiedAt": str,
}
# {NET}/2025-03-01/examples/NetworkManagerPut.json (200 and 201)
NETWORK_MANAGER = spec(
    {
        "name": str,
        "type": str,
        "etag": str,
        "id": str,
        "properties": {
            "description": str,
            "networkManagerScopeAccesses": [str],
            "networkManagerScopes": {"managementGroups": [str], "subscriptions": [str]},
            "provisioningState": str,
            "resourceGuid": str,
        },
        "systemData": SYSTEM_DATA,
    },
    net_models.NetworkManager,
    net_models.NetworkManagerProperties,
)
# {NET}/2025-03-01/examples/IpamPools_Create.json, IpamPools_List.json, IpamPools_Update.json
IPAM_POOL = spec(
    {
        "name": str,
        "type": str,
        "etag": str,
        "id": str,
        "location": str,
        "properties": {
            "description": str,
            "addressPrefixes": [str],
            "ipAddressType": [str],
            "parentPoolName": str,
            "provisioningState": str,
        },
        "systemData": SYSTEM_DATA,
        "tags": dict,
    },
    net_models.IpamPool,
    net_models.IpamPoolProperties,
)
# {NET}/2024-05-01/examples/StaticCidrs_Get.json, {NET}/2024-10-01/examples/StaticCidrs_List.json
STATIC_CIDR = spec(
    {
        "name": str,
        "type": str,
        "properties": {
            "description": str,
            "numberOfIPAddressesToAllocate": str,
            "addressPrefixes": [str],
            "totalNumberOfIPAddresses": str,
            "provisioningState": str,
        },
        "id": str,
        "systemData": SYSTEM_DATA,
    },
    net_models.StaticCidr,
    net_models.StaticCidrProperties,
)
# {NET}/2024-10-01/examples/IpamPools_GetPoolUsage.json
POOL_USAGE = {
    "addressPrefixes": [str],
    "childPools": [{"resourceId": str, "addressPrefixes": [str]}],
    "allocatedAddressPrefixes": [str],
    "reservedAddressPrefixes": [str],
    "availableAddressPrefixes": [str],
    "totalNumberOfIPAddresses": str,
    "numberOfAllocatedIPAddresses": str,
    "numberOfReservedIPAddresses": str,
    "numberOfAvailableIPAddresses": str,
}
# {NET}/2024-10-01/examples/IpamPools_ListAssociatedResources.json
POOL_ASSOCIATION = {
    "resourceId": str,
    "poolId": str,
    "description": str,
    "addressPrefixes": [str],
    "reservedPrefixes": [str],
    "totalNumberOfIPAddresses": str,
    "numberOfReservedIPAddresses": str,
    "createdAt": str,
    "reservationExpiresAt": None,
}
# {NET}/2025-03-01/examples/NetworkManagerConnectionSubscriptionPut.json, …Get.json, …List.json
NM_CONNECTION = spec(
    {
        "id": str,
        "type": str,
        "name": str,
        "systemData": SYSTEM_DATA,
        "properties": {"networkManagerId": str, "connectionState": str, "description": str},
    },
    net_models.NetworkManagerConnection,
    net_models.NetworkManagerConnectionProperties,
)
# {NET}/2024-05-01/examples/NetworkManagerScopeConnectionPut.json, …Get.json; 2025-03-01 …List.json
SCOPE_CONNECTION = spec(
    {
        "id": str,
        "type": str,
        "name": str,
        "systemData": SYSTEM_DATA,
        "properties": {"tenantId": str, "connectionState": str, "resourceId": str, "description": str},
    },
    net_models.ScopeConnection,
    net_models.ScopeConnectionProperties,
)
# {NET}/2024-05-01/examples/VirtualNetworkCreateWithIpamPool.json (200 and 201)
ALLOCATION = spec(
    {"numberOfIpAddresses": str, "pool": {"id": str}, "allocatedAddressPrefixes": [str]},
    net_models.IpamPoolPrefixAllocation,
)
SUBNET = spec(
    {
        "name": str,
        "id": str,
        "properties": {
            "provisioningState": str,
            "addressPrefixes": [str],
            "ipamPoolPrefixAllocations": [ALLOCATION],
        },
    },
    net_models.Subnet,
    net_models.SubnetPropertiesFormat,
)
VIRTUAL_NETWORK = spec(
    {
        "name": str,
        "id": str,
        "type": str,
        "location": str,
        "properties": {
            "provisioningState": str,
            "addressSpace": spec(
                {"addressPrefixes": [str], "ipamPoolPrefixAllocations": [ALLOCATION]}, net_models.AddressSpace
            ),
            "subnets": [SUBNET],
        },
    },
    net_models.VirtualNetwork,
    net_models.VirtualNetworkPropertiesFormat,
)
# {AUTHZ}/RoleAssignments_CreateForResource.json, RoleAssignments_Get.json, RoleAssignments_ListForScope.json
ROLE_ASSIGNMENT = spec(
    {
        "properties": {"roleDefinitionId": str, "principalId": str, "principalType": str, "scope": str},
        "id": str,
        "type": str,
        "name": str,
    },
    authz_models.RoleAssignment,
    under="properties",
)


# ---- the world each example runs in -----------------------------------------------------------------------


@pytest.fixture
def nm_id(emu: AzureEmulator, info: ScenarioInfo) -> str:
    """The examples' ``TestNetworkManager``, in the management tenant's resource group."""
    return emu.add_network_manager(info.network_manager_id.split("/providers/")[0], "TestNetworkManager")


def _settle(arm: Arm, response: HttpResponse) -> dict[str, Any]:
    """Poll an answer's ``Azure-AsyncOperation`` monitor until the operation ends; its last status body."""
    url = response.headers["Azure-AsyncOperation"]
    for _ in range(10):
        status = arm.get_url(url)
        assert status.status_code in (200, 202), status.text()
        body: dict[str, Any] = status.json()
        if body["status"] != "InProgress":
            return body
    raise AssertionError("the operation did not end")


def _monitor_url(info: ScenarioInfo, api_version: str) -> str:
    """The ``ipamPoolOperationResults`` form of IpamPools_Create.json / IpamPools_Delete.json."""
    base = re.escape(
        f"{info.arm_endpoint.rstrip('/')}/subscriptions/{info.management_subscription_id}/resourceGroups/rg-ipam"
        "/providers/Microsoft.Network/locations/eastus/ipamPoolOperationResults/"
    )
    return f"{base}{GUID}{re.escape('?api-version=' + api_version)}"


# ---- network managers -------------------------------------------------------------------------------------


def test_network_manager_put_and_get(emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs) -> None:
    """{NET}/2025-03-01/examples/NetworkManagerPut.json and {NET}/2024-05-01/examples/NetworkManagerGet.json"""
    arm = arm_as(emu, "management")
    path = info.network_manager_id.replace("nm-platform", "TestNetworkManager")
    body = {
        "properties": {
            "description": "My Test Network Manager",
            "networkManagerScopeAccesses": ["Connectivity"],
            "networkManagerScopes": {
                "managementGroups": [],
                "subscriptions": [f"/subscriptions/{info.management_subscription_id}"],
            },
        },
        "location": "eastus",
    }
    created = arm.send("PUT", path, "2025-03-01", body)
    expect(created, 201, NETWORK_MANAGER)
    assert created.json()["systemData"]["createdBy"] == info.admins["management"].client_id
    assert created.json()["systemData"]["createdByType"] == "Application"
    again = arm.send("PUT", path, "2025-03-01", body)
    expect(again, 200, NETWORK_MANAGER)
    got = arm.send("GET", path, "2024-05-01")
    expect(got, 200, NETWORK_MANAGER)


# ---- IPAM pools -------------------------------------------------------------------------------------------


def test_ipam_pools_create(emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs, nm_id: str) -> None:
    """{NET}/2025-03-01/examples/IpamPools_Create.json: 201 with an ``ipamPoolOperationResults`` monitor."""
    arm = arm_as(emu, "management")
    body = {
        "location": "eastus",
        "properties": {
            "description": "Test description.",
            "addressPrefixes": ["10.0.0.0/24"],
            "parentPoolName": "",
        },
    }
    created = arm.send("PUT", f"{nm_id}/ipamPools/TestPool", "2025-03-01", body)
    assert created.status_code == 201, created.text()
    assert re.fullmatch(_monitor_url(info, "2025-03-01"), created.headers["Azure-AsyncOperation"])
    assert_shape(created.json(), IPAM_POOL)
    assert created.json()["properties"]["ipAddressType"] == ["IPv4"]
    assert _settle(arm, created)["status"] == "Succeeded"
    again = arm.send("PUT", f"{nm_id}/ipamPools/TestPool", "2025-03-01", body)
    expect(again, 200, IPAM_POOL)


def test_ipam_pools_get_and_list(emu: AzureEmulator, arm_as: ArmAs, nm_id: str) -> None:
    """{NET}/2024-05-01/examples/IpamPools_Get.json and {NET}/2025-03-01/examples/IpamPools_List.json"""
    pool_id = emu.add_ipam_pool(nm_id, "TestPool", ["10.0.0.0/24"])
    arm = arm_as(emu, "management")
    got = arm.send("GET", pool_id, "2024-05-01")
    expect(got, 200, IPAM_POOL)
    listed = arm.send("GET", f"{nm_id}/ipamPools", "2025-03-01")
    expect(listed, 200, listing(IPAM_POOL))
    assert [p["name"] for p in listed.json()["value"]] == ["TestPool"]


def test_ipam_pools_update(emu: AzureEmulator, arm_as: ArmAs, nm_id: str) -> None:
    """{NET}/2025-03-01/examples/IpamPools_Update.json: PATCH with the IpamPoolUpdate model's members."""
    pool_id = emu.add_ipam_pool(nm_id, "TestPool", ["10.0.0.0/24"])
    arm = arm_as(emu, "management")
    body = {"properties": {"description": "Test description.", "displayName": "TestPool"}}
    updated = arm.send("PATCH", pool_id, "2025-03-01", body)
    expect(updated, 200, IPAM_POOL)
    assert updated.json()["properties"]["description"] == "Test description."
    assert updated.json()["properties"]["displayName"] == "TestPool"


def test_ipam_pools_delete(emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs, nm_id: str) -> None:
    """{NET}/2024-05-01/examples/IpamPools_Delete.json (202 with ``Azure-AsyncOperation``) and the 2025-03-01
    one (202 with ``Location``), both in the ``ipamPoolOperationResults`` form; 204 when there is none."""
    pool_id = emu.add_ipam_pool(nm_id, "TestPool", ["10.0.0.0/24"])
    arm = arm_as(emu, "management")
    deleted = arm.send("DELETE", pool_id, "2025-03-01")
    assert deleted.status_code == 202, deleted.text()
    assert re.fullmatch(_monitor_url(info, "2025-03-01"), deleted.headers["Azure-AsyncOperation"])
    assert re.fullmatch(_monitor_url(info, "2025-03-01"), deleted.headers["Location"])
    assert _settle(arm, deleted)["status"] == "Succeeded"
    assert arm.send("DELETE", pool_id, "2025-03-01").status_code == 204


def test_ipam_pools_get_pool_usage(emu: AzureEmulator, arm_as: ArmAs, nm_id: str) -> None:
    """{NET}/2024-10-01/examples/IpamPools_GetPoolUsage.json, in the example's own world: the same values."""
    pool_id = emu.add_ipam_pool(nm_id, "TestPool", ["10.0.0.0/8", "192.0.0.0/8"])
    emu.add_ipam_pool(nm_id, "TestPool1", ["10.0.2.0/26"], parent_pool_name="TestPool")
    emu.add_ipam_pool(nm_id, "TestPool2", ["10.0.3.0/26"], parent_pool_name="TestPool")
    emu.add_static_cidr(pool_id, "TestStaticCidr", ["10.0.0.0/24"])
    usage = arm_as(emu, "management").send("POST", f"{pool_id}/getPoolUsage", "2024-10-01")
    assert usage.status_code == 200, usage.text()
    body = usage.json()
    assert_shape(body, POOL_USAGE)
    assert [c["resourceId"] for c in body["childPools"]] == [
        f"{nm_id}/ipamPools/TestPool1",
        f"{nm_id}/ipamPools/TestPool2",
    ]
    del body["childPools"]
    assert body == {
        "addressPrefixes": ["10.0.0.0/8", "192.0.0.0/8"],
        "allocatedAddressPrefixes": ["10.0.2.0/26", "10.0.3.0/26"],
        "reservedAddressPrefixes": ["10.0.0.0/24"],
        "availableAddressPrefixes": [
            "10.0.1.0/24", "10.0.2.64/26", "10.0.2.128/25", "10.0.3.64/26", "10.0.3.128/25", "10.0.4.0/22",
            "10.0.8.0/21", "10.0.16.0/20", "10.0.32.0/19", "10.0.64.0/18", "10.0.128.0/17", "10.1.0.0/16",
            "10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12", "10.32.0.0/11", "10.64.0.0/10",
            "10.128.0.0/9", "192.0.0.0/8",
        ],
        "totalNumberOfIPAddresses": "33554432",
        "numberOfAllocatedIPAddresses": "128",
        "numberOfReservedIPAddresses": "256",
        "numberOfAvailableIPAddresses": "33554048",
    }  # fmt: skip


def test_ipam_pools_list_associated_resources(emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs) -> None:
    """{NET}/2024-10-01/examples/IpamPools_ListAssociatedResources.json: a VNet holding 10.0.0.0/24."""
    app = arm_as(emu, "app")
    vnet = {
        "location": info.location,
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "256", "pool": {"id": info.pool_id}}]
            }
        },
    }
    created = app.send("PUT", info.vnet_id("testVnet"), "2024-05-01", vnet)
    assert created.status_code == 201, created.text()
    assert _settle(app, created)["status"] == "Succeeded"
    listed = arm_as(emu, "management").send("POST", f"{info.pool_id}/listAssociatedResources", "2024-10-01")
    expect(listed, 200, listing(POOL_ASSOCIATION))
    row = next(r for r in listed.json()["value"] if r["resourceId"] == info.vnet_id("testVnet"))
    assert {k: row[k] for k in ("addressPrefixes", "reservedPrefixes", "totalNumberOfIPAddresses")} == {
        "addressPrefixes": ["10.0.0.0/24"],
        "reservedPrefixes": [],
        "totalNumberOfIPAddresses": "256",
    }
    assert row["numberOfReservedIPAddresses"] == "0" and row["reservationExpiresAt"] is None


# ---- static CIDRs -----------------------------------------------------------------------------------------


def test_static_cidrs_create_get_list_delete(emu: AzureEmulator, arm_as: ArmAs, nm_id: str) -> None:
    """{NET}/2025-03-01/examples/StaticCidrs_Create.json, {NET}/2024-05-01/examples/StaticCidrs_Get.json,
    {NET}/2024-10-01/examples/StaticCidrs_List.json and {NET}/2024-05-01/examples/StaticCidrs_Delete.json"""
    pool_id = emu.add_ipam_pool(nm_id, "TestPool", ["10.0.0.0/16"])
    arm = arm_as(emu, "management")
    path = f"{pool_id}/staticCidrs/TestStaticCidr"
    body = {"properties": {"description": "test description", "addressPrefixes": ["10.0.0.0/24"]}}
    created = arm.send("PUT", path, "2025-03-01", body)
    expect(created, 201, STATIC_CIDR)
    assert created.json()["properties"]["numberOfIPAddressesToAllocate"] == ""
    again = arm.send("PUT", path, "2025-03-01", body)
    assert again.status_code == 200, again.text()
    got = arm.send("GET", path, "2024-05-01")
    expect(got, 200, STATIC_CIDR)
    assert got.json()["name"] == "TestStaticCidr"
    assert got.json()["type"] == "Microsoft.Network/networkManagers/ipamPools/staticCidrs"
    assert got.json()["properties"]["totalNumberOfIPAddresses"] == "256"
    by_count = arm.send(
        "PUT",
        f"{pool_id}/staticCidrs/ByCount",
        "2025-03-01",
        {"properties": {"numberOfIPAddressesToAllocate": "64"}},
    )
    assert by_count.status_code == 201, by_count.text()
    assert by_count.json()["properties"]["numberOfIPAddressesToAllocate"] == "64"
    listed = arm.send("GET", f"{pool_id}/staticCidrs", "2024-10-01")
    expect(listed, 200, listing(STATIC_CIDR))
    deleted = arm.send("DELETE", path, "2024-05-01")
    assert deleted.status_code == 202, deleted.text()
    location = deleted.headers["Location"]
    assert re.fullmatch(
        re.escape(f"{arm.endpoint}{pool_id}/operationResults/") + GUID + re.escape("?api-version=2024-05-01"),
        location,
    )
    assert arm.get_url(location).status_code == 204
    assert arm.send("DELETE", path, "2024-05-01").status_code == 204


# ---- virtual networks -------------------------------------------------------------------------------------


def test_virtual_network_create_with_ipam_pool(emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs) -> None:
    """{NET}/2024-05-01/examples/VirtualNetworkCreateWithIpamPool.json, as the cross-tenant app sends it."""
    app = arm_as(emu, "app")
    pool = {"id": info.pool_id}
    body = {
        "properties": {
            "addressSpace": {"ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "65536", "pool": pool}]},
            "subnets": [
                {
                    "name": "test-1",
                    "properties": {
                        "ipamPoolPrefixAllocations": [{"pool": pool, "numberOfIpAddresses": "80"}]
                    },
                }
            ],
        },
        "location": "eastus",
    }
    created = app.send("PUT", info.vnet_id("test-vnet"), "2024-05-01", body)
    expect(created, 201, VIRTUAL_NETWORK)
    assert _settle(app, created)["status"] == "Succeeded"
    got = app.send("GET", info.vnet_id("test-vnet"), "2024-05-01")
    expect(got, 200, VIRTUAL_NETWORK)
    props = got.json()["properties"]
    assert props["addressSpace"]["addressPrefixes"] == ["10.0.0.0/16"]
    assert props["subnets"][0]["properties"]["addressPrefixes"] == ["10.0.0.0/26", "10.0.0.64/28"]


# ---- connections ------------------------------------------------------------------------------------------


def _connection_crud(arm: Arm, path: str, body: Any, put_get: tuple[str, str], shape: Any) -> None:
    """PUT (201, then 200), GET, list (the parent path, 2025-03-01) and DELETE (200, then 204) a connection;
    PUT and GET answer with an ``ETag`` header, the ``connectionState`` is the examples' ``Pending``."""
    put_api, get_api = put_get
    created = arm.send("PUT", path, put_api, body)
    assert created.status_code == 201, created.text()
    assert created.headers["ETag"]
    assert_shape(created.json(), shape)
    assert created.json()["properties"]["connectionState"] == "Pending"
    again = arm.send("PUT", path, put_api, body)
    assert again.status_code == 200 and again.headers["ETag"], again.text()
    got = arm.send("GET", path, get_api)
    assert got.status_code == 200 and got.headers["ETag"] == again.headers["ETag"], got.text()
    assert_shape(got.json(), shape)
    listed = arm.send("GET", path.rsplit("/", 1)[0], "2025-03-01")
    expect(listed, 200, listing(shape))
    assert arm.send("DELETE", path, "2025-03-01").status_code == 200
    assert arm.send("DELETE", path, "2025-03-01").status_code == 204


def test_network_manager_connections(
    emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs, nm_id: str
) -> None:
    """{NET}/2025-03-01/examples/NetworkManagerConnectionSubscriptionPut.json, …Get.json, …List.json and
    …Delete.json."""
    path = (
        f"/subscriptions/{info.managed_subscription_id}/providers/Microsoft.Network/networkManagerConnections"
        "/TestNMConnection"
    )
    body = {"properties": {"networkManagerId": nm_id}}
    _connection_crud(arm_as(emu, "managed"), path, body, ("2025-03-01", "2025-03-01"), NM_CONNECTION)


def test_scope_connections(emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs, nm_id: str) -> None:
    """{NET}/2024-05-01/examples/NetworkManagerScopeConnectionPut.json and …Get.json, {NET}/2025-03-01/
    examples/NetworkManagerScopeConnectionList.json and …Delete.json (the example's ``resourceId`` has no
    leading slash)."""
    body = {
        "properties": {
            "tenantId": info.managed_tenant_id,
            "resourceId": f"subscriptions/{info.managed_subscription_id}",
            "description": "This is a scope connection to a cross tenant subscription.",
        }
    }
    path = f"{nm_id}/scopeConnections/TestScopeConnection"
    _connection_crud(arm_as(emu, "management"), path, body, ("2024-05-01", "2024-05-01"), SCOPE_CONNECTION)


# ---- role assignments -------------------------------------------------------------------------------------


def test_role_assignments_create_get_list(emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs) -> None:
    """{AUTHZ}/RoleAssignments_CreateForResource.json (201, then 200), RoleAssignments_Get.json and
    RoleAssignments_ListForScope.json, at a pool's scope."""
    sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp is not None
    arm = arm_as(emu, "management")
    path = f"{info.pool_id}/providers/Microsoft.Authorization/roleAssignments/05c5a614-a7d6-4502-b150-c2fb455033ff"
    body = {
        "properties": {
            "roleDefinitionId": f"/subscriptions/{info.management_subscription_id}/providers/Microsoft.Authorization"
            "/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
            "principalId": sp.object_id,
            "principalType": "ServicePrincipal",
        }
    }
    created = arm.send("PUT", path, "2022-04-01", body)
    expect(created, 201, ROLE_ASSIGNMENT)
    again = arm.send("PUT", path, "2022-04-01", body)
    expect(again, 200, ROLE_ASSIGNMENT)
    got = arm.send("GET", path, "2022-04-01")
    expect(got, 200, ROLE_ASSIGNMENT)
    listed = arm.send("GET", path.rsplit("/", 1)[0], "2022-04-01")
    expect(listed, 200, listing(ROLE_ASSIGNMENT))
    assert "05c5a614-a7d6-4502-b150-c2fb455033ff" in [r["name"] for r in listed.json()["value"]]
