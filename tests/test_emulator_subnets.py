"""The offline Azure's subnets (issue 11, item 3) and the sizes Azure allows a subnet (item 5), driven by
azure-mgmt-network's ``subnets`` and ``virtual_networks`` operations over the real pipeline — each test over both
fronts (the in-process transport and HTTPS on loopback)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.network import operations as network_operations
from pytest_mock import MockerFixture

from crossipam.testing import AzureEmulator, ScenarioInfo

if TYPE_CHECKING:
    from tests.fixtures.network_sdk import NetworkClient


def _alloc(pool_id: str, count: int) -> dict[str, Any]:
    return {"numberOfIpAddresses": str(count), "pool": {"id": pool_id}}


def _vnet(
    info: ScenarioInfo, count: int = 1024, subnets: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    props: dict[str, Any] = {"addressSpace": {"ipamPoolPrefixAllocations": [_alloc(info.pool_id, count)]}}
    if subnets is not None:
        props["subnets"] = subnets
    return {"location": info.location, "properties": props}


def _ipam_subnet(info: ScenarioInfo, count: int) -> dict[str, Any]:
    return {"properties": {"ipamPoolPrefixAllocations": [_alloc(info.pool_id, count)]}}


def _create_vnet(net: Any, info: ScenarioInfo, name: str, body: dict[str, Any]) -> Any:
    return net.virtual_networks.begin_create_or_update(info.resource_group, name, body).result()


def _put_subnet(net: Any, info: ScenarioInfo, vnet: str, name: str, body: Any) -> Any:
    return net.subnets.begin_create_or_update(info.resource_group, vnet, name, body).result()


def _error(call: Any) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as exc:
        call()
    return exc.value


def _code(err: HttpResponseError) -> str | None:
    return err.error.code if err.error is not None else None


def _raw(net: Any, method: str, url: str, body: Any = None, api: str = "2026-03-01") -> Any:
    return net.send_request(HttpRequest(method, url, params={"api-version": api}, json=body))


def test_subnet_crud_with_an_ipam_allocation_through_the_sdk(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient, mocker: MockerFixture
) -> None:
    net = network_client(emu)
    vnet = _create_vnet(net, info, "vnet-s", _vnet(info))
    vnet_space = [ipaddress.ip_network(p) for p in vnet.address_space.address_prefixes]
    spy = mocker.spy(network_operations.SubnetsOperations, "begin_create_or_update")

    app = _put_subnet(net, info, "vnet-s", "app", _ipam_subnet(info, 64))
    assert spy.call_count == 1
    assert app.id == info.vnet_id("vnet-s") + "/subnets/app"
    assert app.provisioning_state == "Succeeded"
    (block,) = [ipaddress.ip_network(p) for p in app.address_prefixes]
    assert block.num_addresses == 64 and any(block.subnet_of(s) for s in vnet_space)  # type: ignore[arg-type]
    assert app.ipam_pool_prefix_allocations[0].allocated_address_prefixes == app.address_prefixes
    # a subnet takes nothing more from the pool: its space is the VNet's
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "1024"

    got = net.subnets.get(info.resource_group, "vnet-s", "app")
    assert got.address_prefixes == app.address_prefixes and got.etag == app.etag
    last29 = str(list(vnet_space[0].subnets(new_prefix=29))[-1])
    data = _put_subnet(net, info, "vnet-s", "data", {"properties": {"addressPrefix": last29}})
    assert data.address_prefix == last29
    assert sorted(str(s.name) for s in net.subnets.list(info.resource_group, "vnet-s")) == ["app", "data"]
    in_vnet = net.virtual_networks.get(info.resource_group, "vnet-s")
    assert sorted(str(s.name) for s in in_vnet.subnets) == ["app", "data"]
    assert in_vnet.address_space.address_prefixes == vnet.address_space.address_prefixes

    net.subnets.begin_delete(info.resource_group, "vnet-s", "app").result()
    assert [s.name for s in net.virtual_networks.get(info.resource_group, "vnet-s").subnets] == ["data"]
    with pytest.raises(ResourceNotFoundError) as exc:
        net.subnets.get(info.resource_group, "vnet-s", "app")
    assert _code(exc.value) == "NotFound"
    # deleting it again is a no-op (204); a subnet of a VNet that does not exist is ARM's ResourceNotFound
    net.subnets.begin_delete(info.resource_group, "vnet-s", "app").result()
    with pytest.raises(ResourceNotFoundError) as exc:
        net.subnets.get(info.resource_group, "vnet-none", "app")
    assert _code(exc.value) == "ResourceNotFound"
    assert "Microsoft.Network/virtualNetworks/vnet-none" in str(exc.value.message)


def test_a_subnet_put_changes_only_that_subnet(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    net = network_client(emu)
    two = [{"name": "a", **_ipam_subnet(info, 128)}, {"name": "b", **_ipam_subnet(info, 64)}]
    before = _create_vnet(net, info, "vnet-two", _vnet(info, 1024, two))
    a_before = next(s for s in before.subnets if s.name == "a")
    grown = _put_subnet(net, info, "vnet-two", "b", _ipam_subnet(info, 128))
    assert sum(ipaddress.ip_network(p).num_addresses for p in grown.address_prefixes) == 128
    after = net.virtual_networks.get(info.resource_group, "vnet-two")
    a_after = next(s for s in after.subnets if s.name == "a")
    assert a_after.address_prefixes == a_before.address_prefixes
    assert a_after.ipam_pool_prefix_allocations[0].number_of_ip_addresses == "128"
    assert a_after.provisioning_state == "Succeeded"
    assert after.address_space.address_prefixes == before.address_space.address_prefixes
    assert [s.name for s in after.subnets] == ["a", "b"]  # replaced in place, not moved
    # a client PUTs back what it read (the CLI's `subnet update`): accepted, nothing moves
    again = _put_subnet(net, info, "vnet-two", "a", net.subnets.get(info.resource_group, "vnet-two", "a"))
    assert again.address_prefixes == a_before.address_prefixes
    # the same IPAM rules as a VNet body: overlap with a sibling, a pool the VNet does not use, a decrease
    overlap = {"properties": {"addressPrefix": a_after.address_prefixes[0]}}
    assert (
        _code(_error(lambda: _put_subnet(net, info, "vnet-two", "c", overlap))) == "NetcfgSubnetRangesOverlap"
    )
    v6 = {"properties": {"ipamPoolPrefixAllocations": [_alloc(info.ipv6_pool_id, 2**64)]}}
    err = _error(lambda: _put_subnet(net, info, "vnet-two", "c", v6))
    assert _code(err) == "SubnetPoolsMustBeSubsetOfVnetPools"
    err = _error(lambda: _put_subnet(net, info, "vnet-two", "b", _ipam_subnet(info, 64)))
    assert _code(err) == "IpamAllocationCannotBeDecreased"
    assert [s.name for s in net.subnets.list(info.resource_group, "vnet-two")] == ["a", "b"]


def test_subnet_sizes_are_azures_in_subnet_and_vnet_bodies(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    net = network_client(emu)
    static_space = {"addressSpace": {"addressPrefixes": ["10.9.0.0/16", "fd00:9::/48"]}}
    _create_vnet(net, info, "vnet-static", {"location": info.location, "properties": static_space})
    ok = _put_subnet(net, info, "vnet-static", "s29", {"properties": {"addressPrefix": "10.9.0.0/29"}})
    assert ok.address_prefix == "10.9.0.0/29"
    dual = {"properties": {"addressPrefixes": ["10.9.1.0/24", "fd00:9::/64"]}}
    assert (
        _put_subnet(net, info, "vnet-static", "dual", dual).address_prefixes
        == dual["properties"]["addressPrefixes"]
    )
    for bad in (["10.9.2.0/30"], ["10.9.2.0/32"], ["10.9.3.0/24", "fd00:9:0:1::/80"], ["fd00:9:0:2::/63"]):
        err = _error(
            lambda b=bad: _put_subnet(net, info, "vnet-static", "bad", {"properties": {"addressPrefixes": b}})
        )
        assert err.status_code == 400 and _code(err) == "NetcfgInvalidSubnet", bad
    # allocated: 100 = 64 + 32 + 4 would hold a /30 block; an IPv6 subnet takes exactly one /64
    _create_vnet(net, info, "vnet-ipam", _vnet(info))
    err = _error(lambda: _put_subnet(net, info, "vnet-ipam", "bad", _ipam_subnet(info, 100)))
    assert _code(err) == "NetcfgInvalidSubnet"
    assert (
        _put_subnet(net, info, "vnet-ipam", "s8", _ipam_subnet(info, 8)).address_prefixes[0].endswith("/29")
    )
    # the same rule in a VNet body
    err = _error(
        lambda: _create_vnet(
            net, info, "vnet-small", _vnet(info, 256, [{"name": "x", **_ipam_subnet(info, 4)}])
        )
    )
    assert _code(err) == "NetcfgInvalidSubnet"
    assert "vnet-small" not in {v.name for v in net.virtual_networks.list(info.resource_group)}
    dual_space = [_alloc(info.pool_id, 256), _alloc(info.ipv6_pool_id, 2**65)]
    body = {
        "location": info.location,
        "properties": {"addressSpace": {"ipamPoolPrefixAllocations": dual_space}},
    }
    _create_vnet(net, info, "vnet-v6", body)
    v6 = {"properties": {"ipamPoolPrefixAllocations": [_alloc(info.ipv6_pool_id, 2**65)]}}
    assert _code(_error(lambda: _put_subnet(net, info, "vnet-v6", "v6", v6))) == "NetcfgInvalidSubnet"
    v6["properties"]["ipamPoolPrefixAllocations"] = [_alloc(info.ipv6_pool_id, 2**64)]
    assert _put_subnet(net, info, "vnet-v6", "v6", v6).address_prefixes[0].endswith("/64")


def test_subnet_cross_tenant_checks_are_the_vnets(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    net = network_client(emu)
    _create_vnet(net, info, "vnet-x", _vnet(info))
    no_aux = network_client(emu, aux=False)
    err = _error(lambda: _put_subnet(no_aux, info, "vnet-x", "app", _ipam_subnet(info, 64)))
    assert err.status_code == 403 and _code(err) == "LinkedAuthorizationFailed"
    assert "Microsoft.Network/virtualNetworks/subnets/write" in str(err.message)
    assert f"linked subscription '{info.management_subscription_id}'" in str(err.message)
    # a static subnet references no pool: no linked check
    static = {"properties": {"addressPrefix": "10.0.0.0/29"}}
    assert _put_subnet(no_aux, info, "vnet-x", "static", static).provisioning_state == "Succeeded"
    # an aux token whose principal lacks associateResourcesToPool on the pool
    other = emu.add_ipam_pool(info.network_manager_id, "pool-other", ["10.7.0.0/16"], location=info.location)
    body = {"properties": {"ipamPoolPrefixAllocations": [_alloc(other, 64)]}}
    err = _error(lambda: _put_subnet(net, info, "vnet-x", "app", body))
    assert err.status_code == 403 and _code(err) == "LinkedAuthorizationFailed"
    assert "associateResourcesToPool/action" in str(err.message) and other in str(err.message)
    assert [s.name for s in net.subnets.list(info.resource_group, "vnet-x")] == ["static"]


def test_subnet_writes_are_operations_on_the_vnet(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    net = network_client(emu)
    _create_vnet(net, info, "vnet-op", _vnet(info))
    emu.settings.lro_polls = 2
    url = info.vnet_id("vnet-op") + "/subnets/app"
    first = _raw(net, "PUT", url, _ipam_subnet(info, 64))
    assert first.status_code == 201
    assert "/operations/" in first.headers["Azure-AsyncOperation"]
    assert first.json()["properties"]["provisioningState"] == "Updating"
    # another writer meanwhile: a second subnet, the VNet itself
    second = _raw(net, "PUT", info.vnet_id("vnet-op") + "/subnets/db", _ipam_subnet(info, 32))
    assert second.status_code == 409 and second.json()["error"]["code"] == "AnotherOperationInProgress"
    emu.settings.subnet_write_during_operation = "retryable"
    db_url = info.vnet_id("vnet-op") + "/subnets/db"
    db = HttpRequest("PUT", db_url, params={"api-version": "2026-03-01"}, json=_ipam_subnet(info, 32))
    second = net.send_request(db, retry_total=0)  # azure-core would retry a 429 after Retry-After
    assert (
        second.status_code == 429 and second.json()["error"]["code"] == "RetryableErrorDueToAnotherOperation"
    )
    assert int(second.headers["Retry-After"]) >= 1
    vnet_put = _raw(net, "PUT", info.vnet_id("vnet-op"), _vnet(info))
    assert vnet_put.status_code == 409
    # the VNet reads Updating while it runs; reads count as polls, so the operation ends
    assert net.virtual_networks.get(info.resource_group, "vnet-op").provisioning_state == "Updating"
    assert net.subnets.get(info.resource_group, "vnet-op", "app").provisioning_state in (
        "Updating",
        "Succeeded",
    )
    assert net.subnets.get(info.resource_group, "vnet-op", "app").provisioning_state == "Succeeded"
    # If-None-Match: * on an existing subnet, as on a VNet
    hdrs = {"If-None-Match": "*"}
    again = HttpRequest(
        "PUT", url, params={"api-version": "2026-03-01"}, json=_ipam_subnet(info, 64), headers=hdrs
    )
    assert net.send_request(again).status_code == 412
    gone = _raw(net, "DELETE", url)
    assert gone.status_code == 202 and "operationResults" in gone.headers["Location"]
    assert "Azure-AsyncOperation" in gone.headers
    monitor = gone.headers["Azure-AsyncOperation"]
    statuses = [net.send_request(HttpRequest("GET", monitor)).json()["status"] for _ in range(3)]
    assert statuses == ["InProgress", "InProgress", "Succeeded"]
    assert list(net.subnets.list(info.resource_group, "vnet-op")) == []
    assert _raw(net, "DELETE", url).status_code == 204


def test_a_failed_subnet_operation_rolls_back_or_is_left_failed(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    net = network_client(emu)
    _create_vnet(net, info, "vnet-f", _vnet(info, 1024, [{"name": "keep", **_ipam_subnet(info, 64)}]))
    emu.network.fail_next_operation("InternalServerError", "boom", resource_type="virtualNetworks")
    err = _error(lambda: _put_subnet(net, info, "vnet-f", "app", _ipam_subnet(info, 64)))
    assert _code(err) == "InternalServerError"
    assert [s.name for s in net.subnets.list(info.resource_group, "vnet-f")] == ["keep"]
    emu.settings.failed_write = "failed"
    emu.network.fail_next_operation("InternalServerError", "boom", resource_type="virtualNetworks")
    _error(lambda: _put_subnet(net, info, "vnet-f", "app", _ipam_subnet(info, 64)))
    states = {s.name: s.provisioning_state for s in net.subnets.list(info.resource_group, "vnet-f")}
    assert states == {"keep": "Succeeded", "app": "Failed"}
    assert _put_subnet(net, info, "vnet-f", "app", _ipam_subnet(info, 64)).provisioning_state == "Succeeded"


def test_subnet_routes_check_the_api_version(
    emu: AzureEmulator, info: ScenarioInfo, network_client: NetworkClient
) -> None:
    net = network_client(emu)
    _create_vnet(net, info, "vnet-api", _vnet(info))
    url = info.vnet_id("vnet-api") + "/subnets"
    for bad in ("2024-13-45", "2099-01-01", "latest"):
        answer = _raw(net, "GET", url, api=bad)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidApiVersionParameter", (
            bad
        )
    assert _raw(net, "GET", url, api="2022-07-01").status_code == 200  # the tutorial's version
