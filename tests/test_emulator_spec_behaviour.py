"""What the offline Azure does as the REST API specs declare it, driven through the official SDK and raw requests
over either front: list paging (``$top``/``$skipToken`` on network managers and connections, ``top``/``skip``/
``skipToken`` on IPAM pools and static CIDRs, ``nextLink``), ``systemData`` on network-manager resources, an
IPAM pool PATCH limited to the ``IpamPoolUpdate`` model, and IPAM pool operations polled at their
``ipamPoolOperationResults`` monitor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.polling import LROPoller
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import IpamPool, IpamPoolProperties, IpamPoolUpdate, IpamPoolUpdateProperties

from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing.network.state import SEEDED_BY

if TYPE_CHECKING:
    from .fixtures.arm import ArmAs
    from .fixtures.clients import NetKwargs
    from .fixtures.onboarding import SecretCredential

RG = "rg-ipam"
NM = "TestNetworkManager"


@pytest.fixture
def nm_id(emu: AzureEmulator, info: ScenarioInfo) -> str:
    """A network manager of the management tenant with five pools, ``p0`` … ``p4``."""
    nm = emu.add_network_manager(info.network_manager_id.split("/providers/")[0], NM)
    for i in range(5):
        emu.add_ipam_pool(nm, f"p{i}", [f"10.{i}.0.0/16"])
    return nm


@pytest.fixture
def network_a(
    emu: AzureEmulator, info: ScenarioInfo, secret_credential: SecretCredential, net_kwargs: NetKwargs
) -> NetworkManagementClient:
    """azure-mgmt-network for the management subscription, as the management tenant's admin."""
    admin = info.admins["management"]
    return NetworkManagementClient(
        secret_credential(emu, admin.tenant_id, admin.client_id, admin.client_secret),
        info.management_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        polling_interval=0,
        **net_kwargs(emu),
    )


def _begin_create(client: NetworkManagementClient, name: str, prefix: str) -> LROPoller[IpamPool]:
    """The SDK's ``ipam_pools.begin_create`` of a root pool ``name`` in `NM` holding ``prefix``."""
    pool = IpamPool(location="eastus", properties=IpamPoolProperties(address_prefixes=[prefix]))
    return client.ipam_pools.begin_create(RG, NM, name, pool)


# ---- paging -----------------------------------------------------------------------------------------------


def test_pool_list_pages_by_top_and_skip_and_follows_next_link(
    emu: AzureEmulator, arm_as: ArmAs, nm_id: str
) -> None:
    arm = arm_as(emu, "management")
    first = arm.send("GET", f"{nm_id}/ipamPools", "2025-03-01", params={"top": "2", "skip": "1"})
    assert first.status_code == 200, first.text()
    assert [p["name"] for p in first.json()["value"]] == ["p1", "p2"]
    next_link = first.json()["nextLink"]
    assert next_link.startswith(f"{arm.endpoint}{nm_id}/ipamPools?api-version=2025-03-01")
    assert "top=2" in next_link and next_link.endswith("$skipToken=3")
    second = arm.get_url(next_link)
    assert [p["name"] for p in second.json()["value"]] == ["p3", "p4"]
    assert "nextLink" not in second.json()


def test_the_sdk_walks_every_page_of_a_pool_list(
    network_a: NetworkManagementClient, emu: AzureEmulator, nm_id: str
) -> None:
    names = [p.name for p in network_a.ipam_pools.list(RG, NM, top=2)]
    assert names == [f"p{i}" for i in range(5)]
    pages = emu.journal.entries(
        service="arm", method="GET", path=r"/networkManagers/TestNetworkManager/ipamPools$"
    )
    assert len(pages) == 3


def test_static_cidr_list_pages_by_top(emu: AzureEmulator, arm_as: ArmAs, nm_id: str) -> None:
    pool_id = f"{nm_id}/ipamPools/p0"
    for i in range(3):
        emu.add_static_cidr(pool_id, f"sc{i}", [f"10.0.{i}.0/24"])
    arm = arm_as(emu, "management")
    first = arm.send("GET", f"{pool_id}/staticCidrs", "2025-03-01", params={"top": "2"})
    assert [s["name"] for s in first.json()["value"]] == ["sc0", "sc1"]
    assert [s["name"] for s in arm.get_url(first.json()["nextLink"]).json()["value"]] == ["sc2"]


def test_connection_lists_page_by_dollar_top(
    emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs, nm_id: str
) -> None:
    arm = arm_as(emu, "management")
    for i in range(3):
        body = {"properties": {"tenantId": info.managed_tenant_id, "resourceId": f"/subscriptions/s{i}"}}
        assert arm.send("PUT", f"{nm_id}/scopeConnections/c{i}", "2025-03-01", body).status_code == 201
    first = arm.send("GET", f"{nm_id}/scopeConnections", "2025-03-01", params={"$top": "2"})
    assert [c["name"] for c in first.json()["value"]] == ["c0", "c1"]
    assert "$top=2" in first.json()["nextLink"]
    assert [c["name"] for c in arm.get_url(first.json()["nextLink"]).json()["value"]] == ["c2"]
    managers = arm.send(
        "GET", f"{info.network_manager_id.split('/providers/')[0]}/providers/Microsoft.Network/networkManagers",
        "2025-03-01", params={"$top": "1"},
    )  # fmt: skip
    assert len(managers.json()["value"]) == 1 and "nextLink" in managers.json()


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_page_size_that_is_not_a_positive_integer_is_refused(
    emu: AzureEmulator, arm_as: ArmAs, nm_id: str, value: str
) -> None:
    arm = arm_as(emu, "management")
    for name, path in (("top", f"{nm_id}/ipamPools"), ("$top", f"{nm_id}/scopeConnections")):
        refused = arm.send("GET", path, "2025-03-01", params={name: value})
        assert refused.status_code == 400, refused.text()
        assert refused.json()["error"]["code"] == "InvalidQueryParameterValue"


# ---- systemData and the IPAM pool PATCH -------------------------------------------------------------------


def test_system_data_names_the_writer_and_keeps_the_creation(
    emu: AzureEmulator, info: ScenarioInfo, network_a: NetworkManagementClient, nm_id: str
) -> None:
    seeded = network_a.ipam_pools.get(RG, NM, "p0")
    assert seeded.system_data is not None and seeded.system_data.created_by == SEEDED_BY
    created = _begin_create(network_a, "fresh", "10.9.0.0/16").result()
    stamp = created.system_data
    assert stamp is not None
    assert (stamp.created_by, stamp.created_by_type) == (info.admins["management"].client_id, "Application")
    assert stamp.last_modified_at == stamp.created_at
    emu.clock.advance(60)
    updated = network_a.ipam_pools.update(RG, NM, "fresh", IpamPoolUpdate(tags={"env": "test"}))
    assert updated.system_data is not None
    assert updated.system_data.created_at == stamp.created_at
    assert updated.system_data.last_modified_at is not None and stamp.last_modified_at is not None
    assert (updated.system_data.last_modified_at - stamp.last_modified_at).total_seconds() >= 60


def test_pool_patch_changes_only_what_ipam_pool_update_holds(
    emu: AzureEmulator, network_a: NetworkManagementClient, arm_as: ArmAs, nm_id: str
) -> None:
    emu.add_ipam_pool(nm_id, "child", ["10.0.1.0/24"], parent_pool_name="p0")
    before = network_a.ipam_pools.get(RG, NM, "child")
    updated = network_a.ipam_pools.update(
        RG,
        NM,
        "child",
        IpamPoolUpdate(
            tags={"a": "b"}, properties=IpamPoolUpdateProperties(description="d", display_name="n")
        ),
    )
    assert updated.properties is not None and updated.tags == {"a": "b"}
    assert (updated.properties.description, updated.properties.display_name) == ("d", "n")
    assert updated.etag != before.etag
    # members outside the IpamPoolUpdate model are not applied
    body: dict[str, Any] = {
        "properties": {"addressPrefixes": ["10.0.0.0/16"], "parentPoolName": "", "description": "e"}
    }
    patched = arm_as(emu, "management").send("PATCH", f"{nm_id}/ipamPools/child", "2025-03-01", body)
    assert patched.status_code == 200, patched.text()
    props = patched.json()["properties"]
    assert (props["addressPrefixes"], props["parentPoolName"], props["description"]) == (
        ["10.0.1.0/24"],
        "p0",
        "e",
    )


def test_connection_answers_carry_their_etag(emu: AzureEmulator, info: ScenarioInfo, arm_as: ArmAs) -> None:
    arm = arm_as(emu, "managed")
    path = (
        f"/subscriptions/{info.managed_subscription_id}/providers/Microsoft.Network/networkManagerConnections"
    )
    listed = arm.send("GET", path, "2025-03-01").json()["value"]
    assert listed and listed[0]["systemData"]["createdBy"] == SEEDED_BY
    got = arm.send("GET", f"{path}/{listed[0]['name']}", "2025-03-01")
    assert got.headers["ETag"] == got.json()["etag"]


# ---- ipamPoolOperationResults -----------------------------------------------------------------------------


def test_pool_operations_are_polled_at_their_ipam_pool_monitor(
    emu: AzureEmulator, arm_as: ArmAs, network_a: NetworkManagementClient, nm_id: str
) -> None:
    emu.settings.lro_polls = 2
    arm = arm_as(emu, "management")
    body = {"location": "eastus", "properties": {"addressPrefixes": ["10.8.0.0/16"]}}
    created = arm.send("PUT", f"{nm_id}/ipamPools/slow", "2025-03-01", body)
    monitor = created.headers["Azure-AsyncOperation"]
    assert "/ipamPoolOperationResults/" in monitor
    running = arm.get_url(monitor)
    assert running.status_code == 202 and running.json()["status"] == "InProgress"
    assert running.headers["Retry-After"] == "0"
    arm.get_url(monitor)
    done = arm.get_url(monitor)
    assert done.status_code == 200 and done.json()["status"] == "Succeeded"
    # the SDK's pollers follow it to the end, for a create and a delete
    pool = _begin_create(network_a, "sdk", "10.7.0.0/16").result()
    assert pool.properties is not None and pool.properties.provisioning_state == "Succeeded"
    network_a.ipam_pools.begin_delete(RG, NM, "sdk").result()
    polls = emu.journal.entries(service="arm", method="GET", path="/ipamPoolOperationResults/")
    assert len(polls) >= 3 + 2 + 2
    assert "sdk" not in [p.name for p in network_a.ipam_pools.list(RG, NM)]


def test_a_failed_pool_operation_fails_the_sdk_poller(
    emu: AzureEmulator, network_a: NetworkManagementClient, nm_id: str
) -> None:
    emu.network.fail_next_operation("InternalServerError", "Injected failure.", resource_type="ipamPools")
    poller = _begin_create(network_a, "doomed", "10.6.0.0/16")
    with pytest.raises(HttpResponseError) as caught:
        poller.result()
    assert caught.value.error is not None and caught.value.error.code == "InternalServerError"
    assert f"{nm_id}/ipamPools/doomed".lower() not in emu.network.pools
