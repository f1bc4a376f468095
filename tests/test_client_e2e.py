"""End-to-end: CrossTenantIpamClient through the official SDK against the offline Azure (both fronts,
secret and certificate credentials), with exact request and token counts."""

from __future__ import annotations

import ipaddress
import json
import logging
from ipaddress import ip_network as net
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.polling import LROPoller
from azure.mgmt.network.operations import VirtualNetworksOperations

from crossipam import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    ConfigurationError,
    CrossTenantIpamClient,
    InvalidInputError,
    SubnetSpec,
    VirtualNetworkDeployment,
)
from crossipam.testing import AzureEmulator, ScenarioInfo

if TYPE_CHECKING:
    from .fixtures.clients import ArmShape, ConfigureAsOthers, InfoOf, MakeClient, SpyVnetPuts

# ---- deploy --------------------------------------------------------------------------------------------


def test_deploy_new_vnet_costs_get_put_polls_final_get(
    emu: AzureEmulator, client: CrossTenantIpamClient, info: ScenarioInfo, arm_shape: ArmShape
) -> None:
    emu.settings.lro_polls = 2
    emu.journal.clear()
    vnet_id = info.vnet_id("vnet-new")

    poller = client.begin_deploy_virtual_network(
        vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=100
    )
    deployment = poller.result()

    assert isinstance(deployment, VirtualNetworkDeployment)
    assert poller.done() and poller.status().lower() == "succeeded"
    assert deployment.action == "created" and deployment.changed
    assert deployment.address_prefixes == [net("10.0.0.0/26"), net("10.0.0.64/27"), net("10.0.0.96/30")]
    assert sum(n.num_addresses for n in deployment.address_prefixes) == 100
    [alloc] = deployment.allocations
    assert str(alloc.pool_id) == info.pool_id and alloc.number_of_ip_addresses == 100
    assert alloc.allocated_prefixes == deployment.address_prefixes
    assert deployment.provisioning_state == "Succeeded"

    requests = emu.journal.entries(service="arm")
    assert arm_shape(emu) == [
        ("GET", "vnet", 404),
        ("PUT", "vnet", 201),
        ("GET", "operation", 200),
        ("GET", "operation", 200),
        ("GET", "operation", 200),
        ("GET", "vnet", 200),
    ]
    # every request: tenant-B bearer + tenant-A auxiliary token, modern api-version
    assert {e.tenant_id for e in requests} == {info.managed_tenant_id}
    assert {e.aux_tenant_ids for e in requests} == {(info.management_tenant_id,)}
    assert {e.api_version for e in requests} == {"2026-03-01"}
    assert len(emu.journal.token_requests(info.managed_tenant_id)) == 1
    assert len(emu.journal.token_requests(info.management_tenant_id)) == 1

    stored = emu.virtual_network(vnet_id)
    assert stored is not None
    assert (
        stored["properties"]["addressSpace"]["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] == "100"
    )
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "100"


def test_deploy_dual_stack_with_subnets(
    emu: AzureEmulator, client: CrossTenantIpamClient, info: ScenarioInfo
) -> None:
    vnet_id = info.vnet_id("vnet-dual")
    deployment = client.begin_deploy_virtual_network(
        vnet_id,
        location=info.location,
        pool_id=info.pool_id,
        number_of_ip_addresses=256,
        ipv6_pool_id=info.ipv6_pool_id,
        ipv6_number_of_ip_addresses=2**66,
        subnets=[SubnetSpec("app", 128, ipv6_number_of_ip_addresses=2**64), SubnetSpec("data", 64)],
        tags={"env": "test"},
    ).result()

    assert {a.ip_version for a in deployment.allocations} == {4, 6}
    v4 = [n for n in deployment.address_prefixes if n.version == 4]
    v6 = [n for n in deployment.address_prefixes if n.version == 6]
    assert sum(n.num_addresses for n in v4) == 256 and sum(n.num_addresses for n in v6) == 2**66
    assert all(n.subnet_of(ipaddress.ip_network(info.ipv6_pool_prefixes[0])) for n in v6)  # type: ignore[arg-type]
    app, data = deployment.subnet("app"), deployment.subnet("data")
    assert sorted(a.number_of_ip_addresses for a in app.allocations) == [128, 2**64]
    assert [a.number_of_ip_addresses for a in data.allocations] == [64]
    for s in (app, data):  # subnets are carved from the VNet's space
        for n in s.address_prefixes:
            assert any(n.version == o.version and n.subnet_of(o) for o in deployment.address_prefixes)  # type: ignore[arg-type]
    assert deployment.tags == {"env": "test"}

    usage = client.get_pool_usage(info.pool_id)
    assert usage.number_of_allocated_ip_addresses == 256
    usage6 = client.get_pool_usage(info.ipv6_pool_id)
    assert usage6.number_of_allocated_ip_addresses == 2**66
    [held] = client.list_pool_allocations(info.pool_id)
    assert str(held.resource_id).lower() == vnet_id.lower() and held.total_number_of_ip_addresses == 256
    assert held.created_at is not None and held.address_prefixes == v4


def test_redeploy_is_idempotent_and_writes_nothing(
    emu: AzureEmulator, client: CrossTenantIpamClient, info: ScenarioInfo, arm_shape: ArmShape
) -> None:
    vnet_id = info.vnet_id("vnet-idem")
    args: dict[str, Any] = {
        "location": info.location,
        "pool_id": info.pool_id,
        "number_of_ip_addresses": 100,
        "subnets": [SubnetSpec("app", 32)],
    }
    first = client.begin_deploy_virtual_network(vnet_id, **args).result()
    emu.journal.clear()

    poller = client.begin_deploy_virtual_network(vnet_id, **args)
    assert poller.done() and poller.status() == "succeeded"
    poller.wait()
    second = poller.result()

    assert second.action == "unchanged" and not second.changed
    assert second.address_prefixes == first.address_prefixes
    assert second.subnets == first.subnets
    assert arm_shape(emu) == [("GET", "vnet", 200)]
    assert emu.journal.token_requests() == []


def test_grow_keeps_prefixes_subnets_and_properties(
    emu: AzureEmulator, client: CrossTenantIpamClient, info: ScenarioInfo, arm_shape: ArmShape
) -> None:
    vnet_id = info.vnet_id("vnet-grow")
    first = client.begin_deploy_virtual_network(
        vnet_id,
        location=info.location,
        pool_id=info.pool_id,
        number_of_ip_addresses=96,  # the grow lands apart: summarising (field report) keeps these
        subnets=[SubnetSpec("legacy", 16)],
        tags={"owner": "team"},
    ).result()
    # someone else configured DNS on the VNet
    with emu.lock:
        emu.network.vnets[vnet_id.lower()].body["properties"]["dhcpOptions"] = {"dnsServers": ["10.9.9.9"]}
    emu.journal.clear()

    grown = client.begin_deploy_virtual_network(
        vnet_id,
        location=info.location,
        pool_id=info.pool_id,
        number_of_ip_addresses=224,
        subnets=[SubnetSpec("app", 64)],
    ).result()

    assert grown.action == "updated"
    assert grown.allocations[0].number_of_ip_addresses == 224
    assert sum(n.num_addresses for n in grown.address_prefixes) == 224
    assert set(first.address_prefixes) <= set(grown.address_prefixes)  # nothing renumbered
    assert grown.subnet("legacy").address_prefixes == first.subnet("legacy").address_prefixes
    assert grown.subnet("app").allocations[0].number_of_ip_addresses == 64
    assert grown.tags == {"owner": "team"}
    stored = emu.virtual_network(vnet_id)
    assert stored is not None and stored["properties"]["dhcpOptions"] == {"dnsServers": ["10.9.9.9"]}
    assert arm_shape(emu) == [
        ("GET", "vnet", 200),
        ("PUT", "vnet", 200),
        ("GET", "operation", 200),
        ("GET", "vnet", 200),
    ]


def test_shrink_is_refused_before_any_write(
    emu: AzureEmulator, client: CrossTenantIpamClient, info: ScenarioInfo, arm_shape: ArmShape
) -> None:
    vnet_id = info.vnet_id("vnet-shrink")
    client.begin_deploy_virtual_network(
        vnet_id,
        location=info.location,
        pool_id=info.pool_id,
        number_of_ip_addresses=100,
        subnets=[SubnetSpec("app", 32)],
    ).result()
    emu.journal.clear()

    with pytest.raises(AllocationDecreaseError) as caught:
        client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64
        )
    assert (caught.value.current, caught.value.requested) == (100, 64)
    assert "begin_remove_allocation" in str(caught.value)
    with pytest.raises(AllocationDecreaseError, match="subnet app"):
        client.begin_deploy_virtual_network(
            vnet_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=100,
            subnets=[SubnetSpec("app", 16)],
        )
    assert emu.journal.writes() == []
    assert arm_shape(emu) == [("GET", "vnet", 200), ("GET", "vnet", 200)]


def test_a_deploy_is_the_sdks_operation_with_crossipams_body_and_headers(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient, spy_vnet_puts: SpyVnetPuts
) -> None:
    """Spied, not replaced: the create and the grow are azure-mgmt-network's
    ``VirtualNetworksOperations.begin_create_or_update`` with crossipam's body and conditional headers —
    ``If-None-Match: *`` on the create, ``If-Match`` with the ETag it read on the grow — and exactly that reaches
    the offline Azure (tests/test_aio_client.py asserts the same of the asyncio client)."""
    emu = azure_emulator
    info = info_of(emu)
    sdk, wire = spy_vnet_puts(emu)
    vnet_id = info.vnet_id("vnet-spy")
    with make_client(emu) as client:
        created = client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=100
        ).result()
        stored = emu.virtual_network(vnet_id)
        assert stored is not None
        etag = stored["etag"]
        grown = client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=200
        ).result()
    assert (created.action, grown.action) == ("created", "updated")

    create, grow = sdk.call_args_list
    for call, count in ((create, 100), (grow, 200)):
        operations, resource_group, name, body = call.args
        assert isinstance(operations, VirtualNetworksOperations)
        assert (resource_group, name) == (info.resource_group, "vnet-spy")
        assert (call.kwargs["api_version"], call.kwargs["content_type"]) == ("2026-03-01", "application/json")
        sent = json.loads(body)
        assert sent["location"] == info.location
        [alloc] = sent["properties"]["addressSpace"]["ipamPoolPrefixAllocations"]
        assert (
            alloc["numberOfIpAddresses"] == str(count) and alloc["pool"]["id"].lower() == info.pool_id.lower()
        )
    assert create.kwargs["headers"] == {"If-None-Match": "*"}
    assert grow.kwargs["headers"] == {"If-Match": etag}
    assert isinstance(sdk.spy_return, LROPoller)  # the SDK's poller, which crossipam's poller waited on

    puts = [c.args[0] for c in wire.call_args_list if c.args[0].method == "PUT"]
    assert [p.body for p in puts] == [create.args[3], grow.args[3]]  # byte for byte what the SDK was given
    assert [(p.header("If-None-Match"), p.header("If-Match")) for p in puts] == [("*", None), (None, etag)]
    assert {p.query_param("api-version") for p in puts} == {"2026-03-01"}


# ---- removal -------------------------------------------------------------------------------------------


def _deploy_with_extras(
    emu: AzureEmulator,
    info: ScenarioInfo,
    client: CrossTenantIpamClient,
    name: str,
    configure_as_others: ConfigureAsOthers,
) -> VirtualNetworkDeployment:
    vnet_id = info.vnet_id(name)
    deployed = client.begin_deploy_virtual_network(
        vnet_id,
        location=info.location,
        pool_id=info.pool_id,
        number_of_ip_addresses=100,
        subnets=[SubnetSpec("app", 32), SubnetSpec("data", 16)],
        tags={"owner": "team"},
    ).result()
    configure_as_others(emu, vnet_id)  # DNS and a peering configured by someone else
    return deployed


def test_removal_keeps_subnets_and_prefixes(
    emu: AzureEmulator,
    client: CrossTenantIpamClient,
    info: ScenarioInfo,
    arm_shape: ArmShape,
    configure_as_others: ConfigureAsOthers,
) -> None:
    deployed = _deploy_with_extras(emu, info, client, "vnet-remove", configure_as_others)
    vnet_id = str(deployed.vnet_id)
    emu.journal.clear()

    poller = client.begin_remove_allocation(vnet_id)
    removed = poller.result()

    assert removed.action == "removed" and not removed.has_allocation
    assert removed.address_prefixes == deployed.address_prefixes
    assert [(s.name, s.address_prefixes, s.allocations) for s in removed.subnets] == [
        (s.name, s.address_prefixes, []) for s in deployed.subnets
    ]
    assert removed.tags == {"owner": "team"}
    stored = emu.virtual_network(vnet_id)
    assert stored is not None
    assert stored["properties"]["dhcpOptions"] == {"dnsServers": ["10.9.9.9"]}
    assert stored["properties"]["virtualNetworkPeerings"][0]["name"] == "to-hub"
    assert "ipamPoolPrefixAllocations" not in stored["properties"]["addressSpace"]

    usage = client.get_pool_usage(info.pool_id)
    assert usage.number_of_allocated_ip_addresses == 0 and usage.allocated_address_prefixes == []
    assert client.list_pool_allocations(info.pool_id) == []
    assert arm_shape(emu)[:4] == [
        ("GET", "vnet", 200),
        ("PUT", "vnet", 200),
        ("GET", "operation", 200),
        ("GET", "vnet", 200),
    ]

    emu.journal.clear()
    again = client.begin_remove_allocation(vnet_id).result()
    assert again.action == "no_allocation" and not again.changed
    assert arm_shape(emu) == [("GET", "vnet", 200)]


def test_removal_with_new_prefixes(
    emu: AzureEmulator,
    client: CrossTenantIpamClient,
    info: ScenarioInfo,
    configure_as_others: ConfigureAsOthers,
) -> None:
    deployed = _deploy_with_extras(emu, info, client, "vnet-renumber", configure_as_others)
    vnet_id = str(deployed.vnet_id)
    emu.journal.clear()

    with pytest.raises(AddressSpaceConflictError, match="do not contain subnet"):
        client.begin_remove_allocation(vnet_id, address_prefixes=["192.168.0.0/24"])
    assert emu.journal.writes() == []

    removed = client.begin_remove_allocation(vnet_id, address_prefixes=["10.0.0.0/24"]).result()
    assert removed.address_prefixes == [net("10.0.0.0/24")]
    assert [s.address_prefixes for s in removed.subnets] == [s.address_prefixes for s in deployed.subnets]
    assert info.pool_id and emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"


def test_bad_input_is_refused_before_any_request(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    info = info_of(azure_emulator)
    with make_client(azure_emulator) as client:
        azure_emulator.journal.clear()
        vnet_id = info.vnet_id("v1")
        with pytest.raises(InvalidInputError):
            client.begin_deploy_virtual_network(
                info.pool_id, location="eastus", pool_id=info.pool_id, number_of_ip_addresses=1
            )
        with pytest.raises(InvalidInputError):
            client.begin_deploy_virtual_network(
                vnet_id, location="eastus", pool_id=vnet_id, number_of_ip_addresses=1
            )
        with pytest.raises(InvalidInputError):
            client.begin_deploy_virtual_network(
                vnet_id, location="eastus", pool_id=info.pool_id, number_of_ip_addresses=0
            )
        with pytest.raises(InvalidInputError):
            client.begin_remove_allocation(vnet_id, address_prefixes=["10.0.0.1/24"])
        with pytest.raises(InvalidInputError):
            client.get_pool_usage(vnet_id)
        assert len(azure_emulator.journal) == 0


# ---- cost ----------------------------------------------------------------------------------------------


def test_one_token_per_tenant_for_many_operations(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    with make_client(emu) as client:
        for i in range(3):
            vnet_id = info.vnet_id(f"vnet-{i}")
            client.begin_deploy_virtual_network(
                vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64
            ).result()
            client.begin_deploy_virtual_network(
                vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=128
            ).result()
            client.get_virtual_network_allocation(vnet_id)
            client.get_pool_usage(info.pool_id)
            client.list_pool_allocations(info.pool_id)
            client.begin_remove_allocation(vnet_id).result()
    assert len(emu.journal.token_requests(info.managed_tenant_id)) == 1
    assert len(emu.journal.token_requests(info.management_tenant_id)) == 1
    assert len(emu.journal.token_requests()) == 2
    pool_reads = [e for e in emu.journal.entries(service="arm") if "/ipamPools/" in e.path]
    assert pool_reads and {e.tenant_id for e in pool_reads} == {info.management_tenant_id}
    assert {e.aux_tenant_ids for e in pool_reads} == {()}
    assert all(e.api_version == "2026-03-01" for e in emu.journal.entries(service="arm"))


# ---- construction --------------------------------------------------------------------------------------


def test_from_environment_in_process(
    azure_emulator: AzureEmulator, monkeypatch: pytest.MonkeyPatch, info_of: InfoOf
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    for name in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_CLIENT_ID", info.app.client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", info.app.client_secret)
    monkeypatch.setenv("AZURE_TENANT_ID", info.managed_tenant_id)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", info.authority)
    monkeypatch.setenv("CROSSIPAM_MANAGEMENT_TENANT_ID", info.management_tenant_id)
    monkeypatch.setenv("CROSSIPAM_ARM_ENDPOINT", info.arm_endpoint)
    monkeypatch.setenv("CROSSIPAM_GRAPH_ENDPOINT", info.graph_endpoint)
    with CrossTenantIpamClient.from_environment(transport=emu.transport(), polling_interval=0) as client:
        assert client.cloud.resource_manager_scope == info.arm_scope
        d = client.begin_deploy_virtual_network(
            info.vnet_id("v-env"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
        ).result()
        assert d.address_prefixes == [net("10.0.0.0/28")]


def test_from_environment_reads_a_given_mapping(
    azure_emulator: AzureEmulator, monkeypatch: pytest.MonkeyPatch, info_of: InfoOf
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_TENANT_ID",
        "CROSSIPAM_MANAGEMENT_TENANT_ID",
    ):
        monkeypatch.delenv(name, raising=False)  # nothing in os.environ: the mapping is all there is
    environ = {
        "AZURE_CLIENT_ID": info.app.client_id,
        "AZURE_CLIENT_SECRET": info.app.client_secret,
        "AZURE_TENANT_ID": info.managed_tenant_id,
        "AZURE_AUTHORITY_HOST": info.authority,
        "CROSSIPAM_MANAGEMENT_TENANT_ID": info.management_tenant_id,
        "CROSSIPAM_ARM_ENDPOINT": info.arm_endpoint,
    }
    with CrossTenantIpamClient.from_environment(environ=environ, transport=emu.transport()) as client:
        assert client.managed_tenant_id == info.managed_tenant_id
        assert client.get_pool_usage(info.pool_id).total_number_of_ip_addresses == 65536
    with pytest.raises(ConfigurationError, match="AZURE_CLIENT_ID"):
        CrossTenantIpamClient.from_environment()


def test_from_environment_https_trusts_requests_ca_bundle(
    azure_emulator_https: AzureEmulator, monkeypatch: pytest.MonkeyPatch, info_of: InfoOf
) -> None:
    emu = azure_emulator_https
    info = info_of(emu)
    assert info.ca_bundle
    monkeypatch.delenv("AZURE_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("AZURE_FEDERATED_TOKEN_FILE", raising=False)
    monkeypatch.setenv("AZURE_CLIENT_ID", info.app.client_id)
    monkeypatch.setenv("AZURE_TENANT_ID", info.managed_tenant_id)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", info.authority)
    monkeypatch.setenv("CROSSIPAM_MANAGEMENT_TENANT_ID", info.management_tenant_id)
    monkeypatch.setenv("CROSSIPAM_ARM_ENDPOINT", info.arm_endpoint)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", info.ca_bundle)
    pem = Path(info.ca_bundle).parent / "app-cert.pem"
    pem.write_bytes(emu.add_certificate(info.app.client_id).pem)
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(pem))
    with CrossTenantIpamClient.from_environment(polling_interval=0) as client:
        usage = client.get_pool_usage(info.pool_id)
    assert usage.total_number_of_ip_addresses == 65536


def test_secrets_never_logged_or_shown(
    azure_emulator: AzureEmulator,
    caplog: pytest.LogCaptureFixture,
    info_of: InfoOf,
    make_client: MakeClient,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    caplog.set_level(logging.DEBUG)
    with make_client(emu, logging_enable=True) as client:
        client.begin_deploy_virtual_network(
            info.vnet_id("v-log"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
        ).result()
        text = caplog.text + repr(client)
    assert "x-ms-authorization-auxiliary" in text.lower()  # the trace ran …
    assert emu.issued_secrets
    for secret in emu.issued_secrets:  # … and shows neither the tokens nor the client secret
        assert secret not in text


# Concurrent deploys of one VNet through one client: tests/test_concurrency.py
# (test_one_client_many_threads_is_serialised_in_process) forces the race deterministically.


def test_from_environment_with_workload_identity(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    info_of: InfoOf,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    issuer, subject = "https://oidc.example/ci", "repo:contoso/spoke:ref:refs/heads/main"
    emu.add_federated_credential(info.app.client_id, issuer=issuer, subject=subject)
    token_file = tmp_path / "token"
    token_file.write_text(emu.issue_federated_assertion(issuer=issuer, subject=subject))
    for name in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_CLIENT_ID", info.app.client_id)
    monkeypatch.setenv("AZURE_TENANT_ID", info.managed_tenant_id)
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", info.authority)
    monkeypatch.setenv("CROSSIPAM_MANAGEMENT_TENANT_ID", info.management_tenant_id)
    monkeypatch.setenv("CROSSIPAM_ARM_ENDPOINT", info.arm_endpoint)
    with CrossTenantIpamClient.from_environment(transport=emu.transport(), polling_interval=0) as client:
        d = client.begin_deploy_virtual_network(
            info.vnet_id("v-wi"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=32
        ).result()
    assert d.action == "created"
    assert len(emu.journal.token_requests(info.managed_tenant_id)) == 1
    assert len(emu.journal.token_requests(info.management_tenant_id)) == 1


def test_from_environment_names_missing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from crossipam import ConfigurationError

    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
        "CROSSIPAM_MANAGEMENT_TENANT_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError) as caught:
        CrossTenantIpamClient.from_environment()
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "CROSSIPAM_MANAGEMENT_TENANT_ID",
        "AZURE_CLIENT_SECRET",
    ):
        assert name in str(caught.value)
