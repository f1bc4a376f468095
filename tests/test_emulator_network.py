"""The offline Azure's Microsoft.Network, driven by the unmodified azure-mgmt-network client.

Tests that take the ``emu`` fixture run over both fronts (in-process transport and HTTPS on loopback)."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy
from azure.mgmt.network import NetworkManagementClient

from crossipam.testing import AzureEmulator, ScenarioInfo

RG_A = "rg-ipam"
NM = "nm-platform"
POOL = "pool-eastus"


def _info(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


def _transport_kw(emu: AzureEmulator) -> dict[str, Any]:
    info = _info(emu)
    if info.ca_bundle:
        return {"connection_verify": info.ca_bundle}
    return {"transport": emu.transport()}


def _cred(emu: AzureEmulator, tenant_id: str) -> ClientSecretCredential:
    info = _info(emu)
    return ClientSecretCredential(
        tenant_id,
        info.app.client_id,
        info.app.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        additionally_allowed_tenants=[info.management_tenant_id, info.managed_tenant_id],
        **_transport_kw(emu),
    )


class _StaticCredential:
    """Always hands out the same token (to send an aux token that expired on the emulator clock)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


def _client(
    emu: AzureEmulator, *, aux: bool = True, aux_credential: Any = None, subscription: str | None = None
) -> Any:
    """A client for the managed subscription (Tenant B), with a Tenant-A aux token by default."""
    info = _info(emu)
    policies = []
    if aux or aux_credential is not None:
        policies.append(
            AuxiliaryAuthenticationPolicy(
                [aux_credential or _cred(emu, info.management_tenant_id)], info.arm_scope
            )
        )
    return NetworkManagementClient(
        _cred(emu, info.managed_tenant_id),
        subscription or info.managed_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        polling_interval=0,
        per_call_policies=policies,
        **_transport_kw(emu),
    )


def _client_a(emu: AzureEmulator) -> Any:
    """A client for the management subscription (Tenant A), as the app's stub principal there."""
    info = _info(emu)
    return NetworkManagementClient(
        _cred(emu, info.management_tenant_id),
        info.management_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        polling_interval=0,
        **_transport_kw(emu),
    )


def _ipam_body(
    emu: AzureEmulator, count: str = "100", pool_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    info = _info(emu)
    props: dict[str, Any] = {
        "addressSpace": {
            "ipamPoolPrefixAllocations": [
                {"numberOfIpAddresses": count, "pool": {"id": pool_id or info.pool_id}}
            ]
        }
    }
    props.update(extra)
    return {"location": info.location, "properties": props}


def _put(client: Any, emu: AzureEmulator, name: str, body: dict[str, Any]) -> Any:
    return client.virtual_networks.begin_create_or_update(_info(emu).resource_group, name, body).result()


def _error(client: Any, emu: AzureEmulator, name: str, body: dict[str, Any]) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as exc:
        _put(client, emu, name, body)
    return exc.value


def _raw_put(client: Any, emu: AzureEmulator, name: str, body: Any, api: str, **hdrs: str) -> Any:
    req = HttpRequest(
        "PUT",
        _info(emu).vnet_id(name),
        params={"api-version": api},
        json=body,
        headers=hdrs,
    )
    return client.send_request(req)


@pytest.fixture(params=["in-process", "https"])
def emu(request: pytest.FixtureRequest) -> AzureEmulator:
    """The onboarded offline Azure over each front: the in-process transport and HTTPS on loopback."""
    name = "azure_emulator" if request.param == "in-process" else "azure_emulator_https"
    value = request.getfixturevalue(name)
    assert isinstance(value, AzureEmulator)
    return value


# ---- allocation ----------------------------------------------------------------------------------------


def test_create_vnet_with_cross_tenant_allocation(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    vnet = _put(_client(emu), emu, "vnet-spoke", _ipam_body(emu))
    alloc = vnet.address_space.ipam_pool_prefix_allocations[0]
    assert alloc.allocated_address_prefixes == ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]
    assert vnet.address_space.address_prefixes == ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]
    assert alloc.number_of_ip_addresses == "100"
    assert vnet.provisioning_state == "Succeeded"
    assert vnet.etag.startswith('W/"')
    usage = emu.pool_usage(info.pool_id)
    assert usage["numberOfAllocatedIPAddresses"] == "100"
    assert usage["numberOfAvailableIPAddresses"] == str(65536 - 100)
    put = emu.journal.entries(method="PUT", path="virtualNetworks")[0]
    assert put.status == 201
    assert put.aux_tenant_ids == (info.management_tenant_id,)
    # same request twice: same prefixes, no new space taken
    again = _put(_client(emu), emu, "vnet-spoke", _ipam_body(emu))
    assert again.address_space.address_prefixes == vnet.address_space.address_prefixes
    assert again.etag != vnet.etag
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "100"


def test_linked_authorization_failed_without_aux_token(emu: AzureEmulator) -> None:
    info = _info(emu)
    err = _error(_client(emu, aux=False), emu, "vnet-x", _ipam_body(emu))
    assert err.status_code == 403
    assert err.error is not None and err.error.code == "LinkedAuthorizationFailed"
    assert (
        f"however the current tenant '{info.managed_tenant_id}' is not authorized to access linked subscription "
        f"'{info.management_subscription_id}'" in err.message
    )
    assert emu.virtual_network(info.vnet_id("vnet-x")) is None


def test_linked_authorization_failed_when_aux_principal_lacks_role(emu: AzureEmulator) -> None:
    info = _info(emu)
    locked = emu.add_ipam_pool(info.network_manager_id, "pool-locked", ["172.16.0.0/16"])
    err = _error(_client(emu), emu, "vnet-x", _ipam_body(emu, pool_id=locked))
    assert err.status_code == 403
    assert err.error is not None and err.error.code == "LinkedAuthorizationFailed"
    assert "ipamPools/associateResourcesToPool/action' on the linked scope(s)" in err.message
    assert locked in err.message


def test_expired_aux_token_is_401(emu: AzureEmulator) -> None:
    info = _info(emu)
    old = _cred(emu, info.management_tenant_id).get_token(info.arm_scope).token
    emu.clock.advance(emu.settings.token_lifetime + 60)
    err = _error(
        _client(emu, aux=False, aux_credential=_StaticCredential(old)), emu, "vnet-x", _ipam_body(emu)
    )
    assert err.status_code == 401
    assert err.error is not None and err.error.code == "ExpiredAuthenticationToken"
    assert info.management_tenant_id in err.message and info.app.client_id in err.message


@pytest.mark.parametrize("count", [3, 4])
def test_at_most_three_auxiliary_tokens(emu: AzureEmulator, count: int) -> None:
    """ARM takes up to three tokens in ``x-ms-authorization-auxiliary``; a fourth makes the request a 401
    before anything is written (azure-mgmt-core's policy does not check the count, so the SDK sends four)."""
    info = _info(emu)
    cred_a = _cred(emu, info.management_tenant_id)
    client: Any = NetworkManagementClient(
        _cred(emu, info.managed_tenant_id),
        info.managed_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        polling_interval=0,
        per_call_policies=[AuxiliaryAuthenticationPolicy([cred_a] * count, info.arm_scope)],
        **_transport_kw(emu),
    )
    if count == 3:
        vnet = _put(client, emu, "vnet-aux", _ipam_body(emu))
        assert vnet.provisioning_state == "Succeeded"
        put = emu.journal.entries(method="PUT", path="virtualNetworks")[0]
        assert put.aux_tenant_ids == (info.management_tenant_id,) * 3
        return
    err = _error(client, emu, "vnet-aux", _ipam_body(emu))
    assert err.status_code == 401
    assert err.error is not None and err.error.code == "InvalidAuthenticationToken"
    assert "at most 3" in err.message
    [put] = emu.journal.entries(method="PUT", path="virtualNetworks")
    assert put.status == 401
    assert emu.virtual_network(info.vnet_id("vnet-aux")) is None
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("mix", "CannotMixAddressPrefixAndPoolInPayload"),
        ("duplicate", "CannotHaveDuplicatePoolIds"),
        ("subnet-pool", "SubnetPoolsMustBeSubsetOfVnetPools"),
        ("two-v4", "OnlyOneIpamPoolPerIpTypeAllowed"),
        ("zero", "InvalidIpamPoolAllocationNumberOfIpAddresses"),
        ("not-a-number", "InvalidIpamPoolAllocationNumberOfIpAddresses"),
        ("exhausted", "IpamPoolInsufficientAddressSpace"),
        ("missing-pool", "InvalidResourceReference"),
        ("subnet-overlap", "NetcfgSubnetRangesOverlap"),
        ("subnet-outside", "NetcfgInvalidSubnet"),
    ],
)
def test_validation_codes(emu: AzureEmulator, case: str, code: str) -> None:
    info = _info(emu)
    sp_a = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp_a is not None
    pool = {"numberOfIpAddresses": "64", "pool": {"id": info.pool_id}}
    body = _ipam_body(emu)
    space = body["properties"]["addressSpace"]
    if case == "mix":
        space["addressPrefixes"] = ["10.0.0.0/24"]
    elif case == "duplicate":
        space["ipamPoolPrefixAllocations"].append(pool)
    elif case == "subnet-pool":
        body["properties"] = {
            "addressSpace": {"addressPrefixes": ["192.168.0.0/24"]},
            "subnets": [{"name": "s1", "properties": {"ipamPoolPrefixAllocations": [pool]}}],
        }
    elif case == "two-v4":
        other = emu.add_ipam_pool(info.network_manager_id, "pool-two", ["10.1.0.0/16"])
        emu.assign_role(sp_a.object_id, "IPAM Pool User", other)
        space["ipamPoolPrefixAllocations"].append({"numberOfIpAddresses": "16", "pool": {"id": other}})
    elif case == "zero":
        space["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] = "0"
    elif case == "not-a-number":
        space["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] = "lots"
    elif case == "exhausted":
        space["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] = "70000"
    elif case == "missing-pool":
        emu.assign_role(sp_a.object_id, "IPAM Pool User", info.network_manager_id)
        space["ipamPoolPrefixAllocations"][0]["pool"]["id"] = info.network_manager_id + "/ipamPools/nope"
    elif case == "subnet-overlap":
        body["properties"] = {
            "addressSpace": {"addressPrefixes": ["192.168.0.0/24"]},
            "subnets": [
                {"name": "a", "properties": {"addressPrefix": "192.168.0.0/26"}},
                {"name": "b", "properties": {"addressPrefixes": ["192.168.0.32/27"]}},
            ],
        }
    elif case == "subnet-outside":
        body["properties"]["subnets"] = [{"name": "a", "properties": {"addressPrefix": "10.0.1.0/28"}}]
    err = _error(_client(emu), emu, "vnet-v", body)
    assert err.status_code == 400, err.message
    assert err.error is not None and err.error.code == code, err.message
    assert emu.virtual_network(info.vnet_id("vnet-v")) is None
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"


def test_put_back_what_get_returned_is_accepted(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    client = _client(emu)
    created = _put(client, emu, "vnet-rt", _ipam_body(emu))
    body = client.virtual_networks.get(_info(emu).resource_group, "vnet-rt").as_dict()
    body["tags"] = {"env": "test"}
    again = client.virtual_networks.begin_create_or_update(
        _info(emu).resource_group, "vnet-rt", body
    ).result()
    assert again.address_space.address_prefixes == created.address_space.address_prefixes
    assert again.tags == {"env": "test"}


def test_subnet_allocation_is_carved_from_vnet_blocks(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    alloc = {"numberOfIpAddresses": "80", "pool": {"id": info.pool_id}}
    body = _ipam_body(
        emu, "1024", subnets=[{"name": "test-1", "properties": {"ipamPoolPrefixAllocations": [alloc]}}]
    )
    vnet = _put(_client(emu), emu, "vnet-sub", body)
    assert vnet.address_space.address_prefixes == ["10.0.0.0/22"]
    subnet = vnet.subnets[0]
    assert subnet.address_prefixes == ["10.0.0.0/26", "10.0.0.64/28"]
    assert subnet.ipam_pool_prefix_allocations[0].allocated_address_prefixes == [
        "10.0.0.0/26",
        "10.0.0.64/28",
    ]
    assert subnet.id == info.vnet_id("vnet-sub") + "/subnets/test-1"
    # the subnet takes nothing more from the pool
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "1024"


def test_grow_keeps_blocks_and_decrease_is_refused(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    emu.settings.summarize_grown_prefixes = False  # blocks as placed (the default summarises: field report)
    info = _info(emu)
    client = _client(emu)
    first = _put(client, emu, "vnet-g", _ipam_body(emu, "100")).address_space.address_prefixes
    grown = _put(client, emu, "vnet-g", _ipam_body(emu, "200")).address_space.address_prefixes
    assert grown[:3] == first
    assert sum(ipaddress.ip_network(p).num_addresses for p in grown) == 200
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "200"
    err = _error(client, emu, "vnet-g", _ipam_body(emu, "100"))
    assert err.status_code == 400
    assert err.error is not None and err.error.code == "IpamAllocationCannotBeDecreased"
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "200"


def test_release_on_delete_and_on_conversion_to_static(emu: AzureEmulator) -> None:
    info = _info(emu)
    client = _client(emu)
    _put(client, emu, "vnet-d", _ipam_body(emu))
    client.virtual_networks.begin_delete(info.resource_group, "vnet-d").result()
    assert emu.virtual_network(info.vnet_id("vnet-d")) is None
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"
    delete = emu.journal.entries(method="DELETE")[0]
    assert delete.status == 202

    held = _put(client, emu, "vnet-s", _ipam_body(emu)).address_space.address_prefixes
    static = {"location": info.location, "properties": {"addressSpace": {"addressPrefixes": held}}}
    vnet = _put(client, emu, "vnet-s", static)
    assert vnet.address_space.address_prefixes == held
    assert not vnet.address_space.ipam_pool_prefix_allocations
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"
    # the released space is handed out again
    again = _put(client, emu, "vnet-t", _ipam_body(emu)).address_space.address_prefixes
    assert again == held


def test_subnets_kept_or_pruned_by_api_version(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    client = _client(emu)
    body = {
        "location": info.location,
        "properties": {
            "addressSpace": {"addressPrefixes": ["192.168.0.0/24"]},
            "subnets": [{"name": "s1", "properties": {"addressPrefix": "192.168.0.0/26"}}],
        },
    }
    _put(client, emu, "vnet-k", body)
    no_subnets = {
        "location": info.location,
        "properties": {"addressSpace": {"addressPrefixes": ["192.168.0.0/24"]}},
    }
    kept = _put(client, emu, "vnet-k", no_subnets)
    assert [s.name for s in kept.subnets] == ["s1"]
    resp = _raw_put(client, emu, "vnet-k", no_subnets, "2022-07-01")
    assert resp.status_code == 200
    stored = emu.virtual_network(info.vnet_id("vnet-k"))
    assert stored is not None and stored["properties"]["subnets"] == []
    _put(client, emu, "vnet-k", body)
    explicit: dict[str, Any] = {
        "location": info.location,
        "properties": {"addressSpace": {"addressPrefixes": ["192.168.0.0/24"]}, "subnets": []},
    }
    assert _put(client, emu, "vnet-k", explicit).subnets == []


def test_lro_polls_and_failure(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    emu.settings.lro_polls = 2
    emu.journal.clear()
    vnet = _put(_client(emu), emu, "vnet-lro", _ipam_body(emu))
    assert vnet.provisioning_state == "Succeeded"
    polls = emu.journal.entries(method="GET", path="/operations/")
    assert [e.status for e in polls] == [200, 200, 200]
    put = emu.journal.entries(method="PUT")[0]
    assert "Azure-AsyncOperation" not in put.url  # the header carried it; the URL is the resource's
    # an operation that fails rolls the VNet back
    emu.settings.lro_polls = 0
    emu.network.fail_next_operation("InternalServerError", "Injected failure.")
    err = _error(_client(emu), emu, "vnet-fail", _ipam_body(emu, "64"))
    assert err.error is not None and err.error.code == "InternalServerError"
    assert emu.virtual_network(info.vnet_id("vnet-fail")) is None
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "100"


def test_concurrent_put_gets_another_operation_in_progress(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    emu.settings.lro_polls = 3
    client = _client(emu)
    poller = client.virtual_networks.begin_create_or_update(
        _info(emu).resource_group, "vnet-c", _ipam_body(emu), polling=False
    )
    poller.result()
    err = _error(client, emu, "vnet-c", _ipam_body(emu, "128"))
    assert err.status_code == 409
    assert err.error is not None and err.error.code == "AnotherOperationInProgress"
    assert "/operations/" in err.message


def test_if_match_precondition(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    client = _client(emu)
    vnet = _put(client, emu, "vnet-e", _ipam_body(emu))
    stale = _raw_put(client, emu, "vnet-e", _ipam_body(emu), "2024-05-01", **{"If-Match": 'W/"stale"'})
    assert stale.status_code == 412
    ok = _raw_put(client, emu, "vnet-e", _ipam_body(emu), "2024-05-01", **{"If-Match": vnet.etag})
    assert ok.status_code == 200
    exists = _raw_put(client, emu, "vnet-e", _ipam_body(emu), "2024-05-01", **{"If-None-Match": "*"})
    assert exists.status_code == 412


def test_dual_stack(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    body = _ipam_body(emu)
    body["properties"]["addressSpace"]["ipamPoolPrefixAllocations"].append(
        {"numberOfIpAddresses": str(2**64), "pool": {"id": info.ipv6_pool_id}}
    )
    vnet = _put(_client(emu), emu, "vnet-ds", body)
    assert vnet.address_space.address_prefixes[-1] == "fd00:db8:cafe::/64"
    assert emu.pool_usage(info.ipv6_pool_id)["numberOfAllocatedIPAddresses"] == str(2**64)


# ---- pools ---------------------------------------------------------------------------------------------


def test_get_pool_usage_arithmetic(emu: AzureEmulator) -> None:
    info = _info(emu)
    child = emu.add_ipam_pool(info.network_manager_id, "child", ["10.0.128.0/17"], parent_pool_name=POOL)
    emu.add_static_cidr(info.pool_id, "reserved", ["10.0.64.0/24"])
    _put(_client(emu), emu, "vnet-u", _ipam_body(emu))
    usage = _client_a(emu).ipam_pools.get_pool_usage(RG_A, NM, POOL)
    assert usage.total_number_of_ip_addresses == "65536"
    assert usage.number_of_allocated_ip_addresses == str(100 + 32768)
    assert usage.number_of_reserved_ip_addresses == "256"
    assert usage.number_of_available_ip_addresses == str(65536 - 32868 - 256)
    assert usage.reserved_address_prefixes == ["10.0.64.0/24"]
    assert usage.child_pools[0].resource_id == child
    assert usage.child_pools[0].address_prefixes == ["10.0.128.0/17"]
    avail = [ipaddress.ip_network(p) for p in usage.available_address_prefixes]
    assert list(ipaddress.collapse_addresses(avail)) == avail  # type: ignore[type-var]  # minimal cover
    assert sum(n.num_addresses for n in avail) == 65536 - 32868 - 256
    pool = _client_a(emu).ipam_pools.get(RG_A, NM, POOL)
    assert pool.properties.address_prefixes == ["10.0.0.0/16"]
    assert pool.properties.ip_address_type == ["IPv4"]


def test_list_associated_resources_pages(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    emu.settings.page_size = 2
    client = _client(emu)
    for i in range(5):
        _put(client, emu, f"vnet-{i}", _ipam_body(emu, "16"))
    emu.journal.clear()
    rows = list(_client_a(emu).ipam_pools.list_associated_resources(RG_A, NM, POOL))
    assert [r.resource_id for r in rows] == [info.vnet_id(f"vnet-{i}") for i in range(5)]
    assert all(r.total_number_of_ip_addresses == "16" and r.pool_id == info.pool_id for r in rows)
    assert rows[0].address_prefixes == ["10.0.0.0/28"]
    calls = emu.journal.entries(path="listAssociatedResources")
    assert [(e.method, e.status) for e in calls] == [("POST", 200), ("GET", 200), ("GET", 200)]


def test_pool_create_child_pool_and_static_cidr_over_rest(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    admin = info.admins["management"]
    cred = ClientSecretCredential(
        admin.tenant_id,
        admin.client_id,
        admin.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=emu.transport(),
    )
    client: Any = NetworkManagementClient(
        cred,
        info.management_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        polling_interval=0,
        transport=emu.transport(),
    )
    pool = client.ipam_pools.begin_create(
        RG_A,
        NM,
        "child-a",
        {"location": "eastus", "properties": {"addressPrefixes": ["10.0.16.0/20"], "parentPoolName": POOL}},
    ).result()
    assert pool.properties.parent_pool_name == POOL
    with pytest.raises(HttpResponseError) as exc:
        client.ipam_pools.begin_create(
            RG_A,
            NM,
            "child-b",
            {
                "location": "eastus",
                "properties": {"addressPrefixes": ["10.1.0.0/24"], "parentPoolName": POOL},
            },
        ).result()
    assert exc.value.error is not None and exc.value.error.code == "IpamPoolPrefixesNotInParentPool"
    sc = client.static_cidrs.create(
        RG_A, NM, POOL, "sc1", {"properties": {"numberOfIPAddressesToAllocate": "256", "description": "gw"}}
    )
    assert sc.properties.address_prefixes == ["10.0.0.0/24"]
    assert sc.properties.total_number_of_ip_addresses == "256"
    names = [p.name for p in client.ipam_pools.list(RG_A, NM)]
    assert {"child-a", POOL, "pool-eastus-v6"} <= set(names)
    client.static_cidrs.begin_delete(RG_A, NM, POOL, "sc1").result()
    client.ipam_pools.begin_delete(RG_A, NM, "child-a").result()
    assert emu.pool_usage(info.pool_id)["numberOfAvailableIPAddresses"] == "65536"


def test_connections_state(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    admin = info.admins["managed"]
    cred = ClientSecretCredential(
        admin.tenant_id,
        admin.client_id,
        admin.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=emu.transport(),
    )
    admin_client: Any = NetworkManagementClient(
        cred,
        info.managed_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        transport=emu.transport(),
    )
    client = _client(emu)
    conns = list(admin_client.subscription_network_manager_connections.list())
    assert len(conns) == 1
    assert conns[0].properties.network_manager_id == info.network_manager_id
    assert conns[0].properties.connection_state == "Connected"
    # remove the management side: the subscription side becomes Pending
    sc_id = next(c.id for c in emu.network.connections.values() if c.kind == "scope")
    del emu.network.connections[sc_id.lower()]
    assert (
        admin_client.subscription_network_manager_connections.get(conns[0].name).properties.connection_state
        == "Pending"
    )
    emu.settings.require_connection = True
    err = _error(client, emu, "vnet-nc", _ipam_body(emu))
    assert err.status_code == 403
    assert err.error is not None and err.error.code == "NetworkManagerConnectionNotConnected"


def test_resource_group_and_vnet_not_found(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    client = _client(emu)
    with pytest.raises(HttpResponseError) as exc:
        client.virtual_networks.get(_info(emu).resource_group, "missing")
    assert exc.value.status_code == 404
    resp = client.send_request(
        HttpRequest(
            "GET",
            f"/subscriptions/{_info(emu).managed_subscription_id}/resourcegroups/rg-spoke-network",
            params={"api-version": "2021-04-01"},
        )
    )
    assert resp.status_code == 200 and resp.json()["name"] == "rg-spoke-network"


def test_over_https(azure_emulator_https: AzureEmulator) -> None:
    emu = azure_emulator_https
    info = _info(emu)
    assert info.ca_bundle
    vnet = _put(_client(emu), emu, "vnet-tls", _ipam_body(emu, "256"))
    assert vnet.address_space.address_prefixes == ["10.0.0.0/24"]
    assert [v.name for v in _client(emu).virtual_networks.list(info.resource_group)] == ["vnet-tls"]
