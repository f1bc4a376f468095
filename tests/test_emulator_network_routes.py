"""The offline Azure's other Microsoft.Network routes of issue 11 (item 3) and Azure's rules (item 5): VNet
UpdateTags and ListUsage, network managers by subscription, the provider document, management-group
network-manager connections, a manager's delete with pools, static CIDR counts and summarised grows — through
azure-mgmt-network's operations (plain requests through its pipeline where the SDK has no operation), over both
fronts."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.network import operations as network_operations
from pytest_mock import MockerFixture

from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing._validate import ApiVersionRange

if TYPE_CHECKING:
    from tests.fixtures.network_sdk import NetworkClient

NM = "nm-platform"
RG_A = "rg-ipam"


def _vnet(info: ScenarioInfo, count: int = 256, **extra: Any) -> dict[str, Any]:
    alloc = {"numberOfIpAddresses": str(count), "pool": {"id": info.pool_id}}
    props: dict[str, Any] = {"addressSpace": {"ipamPoolPrefixAllocations": [alloc]}}
    return {"location": info.location, "properties": props, **extra}


def _put(net: Any, info: ScenarioInfo, name: str, body: dict[str, Any]) -> Any:
    return net.virtual_networks.begin_create_or_update(info.resource_group, name, body).result()


def _code(err: HttpResponseError) -> str | None:
    return err.error.code if err.error is not None else None


def _get(net: Any, url: str, api: str = "2026-03-01") -> Any:
    return net.send_request(HttpRequest("GET", url, params={"api-version": api}))


def test_update_tags_replaces_the_tags_only(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient, mocker: MockerFixture
) -> None:
    net: Any = network_client(emu)
    body = _vnet(info, tags={"env": "dev", "team": "net"})
    alloc = {"numberOfIpAddresses": "64", "pool": {"id": info.pool_id}}
    body["properties"]["subnets"] = [{"name": "app", "properties": {"ipamPoolPrefixAllocations": [alloc]}}]
    before = _put(net, info, "vnet-t", body)
    spy = mocker.spy(network_operations.VirtualNetworksOperations, "update_tags")
    after = net.virtual_networks.update_tags(info.resource_group, "vnet-t", {"tags": {"env": "prod"}})
    assert spy.call_count == 1
    assert after.tags == {"env": "prod"}
    assert after.etag != before.etag and after.subnets[0].etag == after.etag
    assert after.address_space.address_prefixes == before.address_space.address_prefixes
    assert after.subnets[0].address_prefixes == before.subnets[0].address_prefixes
    assert net.virtual_networks.get(info.resource_group, "vnet-t").tags == {"env": "prod"}
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "256"
    with pytest.raises(HttpResponseError) as exc:
        net.virtual_networks.update_tags(info.resource_group, "vnet-none", {"tags": {}})
    assert exc.value.status_code == 404 and _code(exc.value) == "ResourceNotFound"
    # a write in flight: the PATCH waits its turn
    emu.settings.lro_polls = 3
    put = HttpRequest(
        "PUT", info.vnet_id("vnet-t"), params={"api-version": "2026-03-01"}, json=_vnet(info, 512)
    )
    assert net.send_request(put).status_code == 200  # its operation runs: nobody polls it
    with pytest.raises(HttpResponseError) as exc:
        net.virtual_networks.update_tags(info.resource_group, "vnet-t", {"tags": {}})
    assert exc.value.status_code == 409 and _code(exc.value) == "AnotherOperationInProgress"


def test_list_usage_gives_each_subnets_size(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient, mocker: MockerFixture
) -> None:
    net: Any = network_client(emu)
    vnet = _put(net, info, "vnet-u", _vnet(info, 256))
    space = ipaddress.ip_network(vnet.address_space.address_prefixes[0])
    alloc = {"numberOfIpAddresses": "64", "pool": {"id": info.pool_id}}
    net.subnets.begin_create_or_update(
        info.resource_group, "vnet-u", "app", {"properties": {"ipamPoolPrefixAllocations": [alloc]}}
    ).result()
    last29 = str(list(space.subnets(new_prefix=29))[-1])
    net.subnets.begin_create_or_update(
        info.resource_group, "vnet-u", "edge", {"properties": {"addressPrefix": last29}}
    ).result()
    spy = mocker.spy(network_operations.VirtualNetworksOperations, "list_usage")
    usage = {
        u.id.rsplit("/", 1)[-1]: u for u in net.virtual_networks.list_usage(info.resource_group, "vnet-u")
    }
    assert spy.call_count == 1
    assert {k: (u.limit, u.current_value, u.unit) for k, u in usage.items()} == {
        "app": (59.0, 0.0, "Count"),
        "edge": (3.0, 0.0, "Count"),
    }
    assert usage["app"].name.value == "Subnet size and usage"
    assert usage["app"].id == info.vnet_id("vnet-u") + "/subnets/app"


def test_network_managers_by_subscription_and_resource_group(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient, mocker: MockerFixture
) -> None:
    rg2 = emu.add_resource_group(info.management_subscription_id, "rg-other", info.location)
    emu.add_network_manager(rg2.id, "nm-other", location=info.location)
    net: Any = network_client(emu, who="admin-a")
    spy = mocker.spy(network_operations.NetworkManagersOperations, "list_by_subscription")
    everywhere = sorted(str(m.name) for m in net.network_managers.list_by_subscription())
    assert spy.call_count == 1
    assert everywhere == ["nm-other", NM]
    assert [m.name for m in net.network_managers.list(RG_A)] == [NM]
    assert [m.name for m in net.network_managers.list("rg-other")] == ["nm-other"]
    # the subscription of another tenant is not the caller's
    url = f"/subscriptions/{info.managed_subscription_id}/providers/Microsoft.Network/networkManagers"
    other = _get(net, url)
    assert other.status_code == 401
    assert other.json()["error"]["code"] == "InvalidAuthenticationTokenTenant"


def test_a_network_manager_with_pools_cannot_be_deleted(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    net: Any = network_client(emu, who="admin-a")
    with pytest.raises(HttpResponseError) as exc:
        net.network_managers.begin_delete(RG_A, NM).result()
    assert exc.value.status_code == 409 and _code(exc.value) == "CannotDeleteResource"
    assert f"Microsoft.Network/networkManagers/{NM}/ipamPools/pool-eastus" in str(exc.value.message)
    assert net.network_managers.get(RG_A, NM).name == NM
    lone = emu.add_network_manager(
        f"/subscriptions/{info.management_subscription_id}/resourceGroups/{RG_A}", "nm-2"
    )
    emu.add_ipam_pool(lone, "p", ["10.50.0.0/16"])
    with pytest.raises(HttpResponseError):
        net.network_managers.begin_delete(RG_A, "nm-2").result()
    net.ipam_pools.begin_delete(RG_A, "nm-2", "p").result()
    net.network_managers.begin_delete(RG_A, "nm-2").result()
    assert [m.name for m in net.network_managers.list(RG_A)] == [NM]


def test_the_provider_document_lists_what_the_offline_azure_accepts(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    net: Any = network_client(emu)
    url = f"/subscriptions/{info.managed_subscription_id}/providers/Microsoft.Network"
    answer = _get(net, url, api="2022-09-01")
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["namespace"] == "Microsoft.Network" and doc["registrationState"] == "Registered"
    types = {t["resourceType"]: t for t in doc["resourceTypes"]}
    assert {
        "virtualNetworks",
        "virtualNetworks/subnets",
        "networkManagers/ipamPools",
        "networkManagerConnections",
    } <= set(types)
    vnets = types["virtualNetworks"]["apiVersions"]
    assert vnets[0] == "2026-03-01" and "2022-07-01" in vnets and vnets == sorted(vnets, reverse=True)
    assert min(types["networkManagers/ipamPools"]["apiVersions"]) == "2024-01-01"
    assert "East US" in types["virtualNetworks"]["locations"]
    # every listed version is accepted by the route it names
    vnet_list = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}/providers/Microsoft.Network/virtualNetworks"
    assert all(_get(net, vnet_list, api=v).status_code == 200 for v in vnets[:3])
    # a range widened on the running emulator shows at once
    emu.api_versions["microsoft.network"] = ApiVersionRange("2015-06-15", "2027-01-01")
    widened = {t["resourceType"]: t for t in _get(net, url).json()["resourceTypes"]}
    assert widened["virtualNetworks"]["apiVersions"][0] == "2027-01-01"
    assert _get(net, url, api="bad").json()["error"]["code"] == "InvalidApiVersionParameter"
    other = _get(net, f"/subscriptions/{info.management_subscription_id}/providers/Microsoft.Network")
    assert other.status_code == 401


def test_management_group_network_manager_connections(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    mg = "/providers/Microsoft.Management/managementGroups/mg-spokes"
    net: Any = network_client(emu)
    ops = net.management_group_network_manager_connections
    body = {"properties": {"networkManagerId": info.network_manager_id, "description": "spokes"}}
    with pytest.raises(HttpResponseError) as exc:
        ops.create_or_update("mg-spokes", "to-platform", body)
    assert exc.value.status_code == 403 and _code(exc.value) == "AuthorizationFailed"
    app_b = emu.service_principal(info.app.client_id, info.managed_tenant_id)
    assert app_b is not None
    emu.assign_role(app_b.object_id, "Network Contributor", mg)
    created = ops.create_or_update("mg-spokes", "to-platform", body)
    assert created.id == f"{mg}/providers/Microsoft.Network/networkManagerConnections/to-platform"
    assert created.properties.network_manager_id == info.network_manager_id
    assert created.properties.connection_state == "Pending"
    # the same body as every connection: systemData naming the writer, an etag (and the ETag header on a GET)
    assert created.system_data is not None and created.system_data.created_by == info.app.client_id
    got = _get(
        net, f"{mg}/providers/Microsoft.Network/networkManagerConnections/to-platform", api="2024-05-01"
    )
    assert got.status_code == 200 and got.headers["ETag"] == got.json()["etag"] == created.etag
    # the manager's side: a scope connection naming the management group
    admin_a: Any = network_client(emu, who="admin-a")
    scope = {"properties": {"tenantId": info.managed_tenant_id, "resourceId": mg}}
    assert (
        admin_a.scope_connections.create_or_update(RG_A, NM, "spokes", scope).properties.connection_state
        == "Connected"
    )
    assert ops.get("mg-spokes", "to-platform").properties.connection_state == "Connected"
    assert [c.name for c in ops.list("mg-spokes")] == ["to-platform"]
    with pytest.raises(HttpResponseError) as exc:
        list(ops.list("mg-other"))  # the role is the group's, not every group's
    assert exc.value.status_code == 403
    ops.delete("mg-spokes", "to-platform")
    with pytest.raises(HttpResponseError) as exc:
        ops.get("mg-spokes", "to-platform")
    assert exc.value.status_code == 404
    ops.delete("mg-spokes", "to-platform")  # absent: 204
    assert admin_a.scope_connections.get(RG_A, NM, "spokes").properties.connection_state == "Pending"
    # the subscription's own connections are not the group's
    admin_b: Any = network_client(emu, who="admin-b")
    assert all(c.name != "to-platform" for c in admin_b.subscription_network_manager_connections.list())
    answer = _get(net, f"{mg}/providers/Microsoft.Network/networkManagerConnections", api="2020-06-01")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidApiVersionParameter"


@pytest.mark.parametrize(
    ("rule", "count", "expected"),
    [
        ("power_of_two", "30", None),
        ("round_up", "30", ["/27"]),
        ("split", "30", ["/28", "/29", "/30", "/31"]),
    ],
)
def test_static_cidr_counts(
    emu: AzureEmulator, network_client: NetworkClient, rule: str, count: str, expected: list[str] | None
) -> None:
    emu.settings.static_cidr_count = rule  # type: ignore[assignment]
    net: Any = network_client(emu, who="admin-a")
    body = {"properties": {"numberOfIPAddressesToAllocate": count}}
    if expected is None:
        with pytest.raises(HttpResponseError) as exc:
            net.static_cidrs.create(RG_A, NM, "pool-eastus", "sc", body)
        assert exc.value.status_code == 400 and _code(exc.value) == "InvalidStaticCidrNumberOfIPAddresses"
        assert (
            net.static_cidrs.create(
                RG_A, NM, "pool-eastus", "sc", {"properties": {"numberOfIPAddressesToAllocate": "32"}}
            )
            .properties.address_prefixes[0]
            .endswith("/27")
        )
        return
    sc = net.static_cidrs.create(RG_A, NM, "pool-eastus", "sc", body)
    assert sorted(p[p.index("/") :] for p in sc.properties.address_prefixes) == expected


@pytest.mark.parametrize("summarize", [True, False])
def test_a_contiguous_grow_is_reported_summarised(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient, summarize: bool
) -> None:
    emu.settings.summarize_grown_prefixes = summarize
    net: Any = network_client(emu)
    first = _put(net, info, "vnet-grow", _vnet(info, 2048))
    assert first.address_space.address_prefixes == ["10.0.0.0/21"]
    grown = _put(net, info, "vnet-grow", _vnet(info, 4096))
    want = ["10.0.0.0/20"] if summarize else ["10.0.0.0/21", "10.0.8.0/21"]
    assert grown.address_space.address_prefixes == want
    assert grown.address_space.ipam_pool_prefix_allocations[0].allocated_address_prefixes == want
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "4096"
