"""End-to-end: crossipam.aio.CrossTenantIpamClient through azure.identity.aio / azure.mgmt.network.aio against the
offline Azure — in-process (AsyncioRequestsTransport) and over HTTPS (aiohttp) — with exact request and token
counts, mirroring tests/test_client_e2e.py."""

from __future__ import annotations

import ipaddress
import json
from ipaddress import ip_network as net
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.polling import AsyncLROPoller
from azure.mgmt.network.aio.operations import VirtualNetworksOperations as AsyncVirtualNetworksOperations

from crossipam import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    AppNotOnboardedError,
    InvalidInputError,
    LinkedAuthorizationError,
    SubnetSpec,
    VirtualNetworkDeployment,
)
from crossipam.aio import CrossTenantIpamClient
from crossipam.testing import AzureEmulator, ScenarioInfo

if TYPE_CHECKING:
    from .fixtures.clients import ArmShape, ConfigureAsOthers, InfoOf, MakeAsyncClient, SpyVnetPuts


async def test_deploy_new_vnet_costs_get_put_polls_final_get(
    emu: AzureEmulator, async_client: CrossTenantIpamClient, info: ScenarioInfo, arm_shape: ArmShape
) -> None:
    emu.settings.lro_polls = 2
    emu.journal.clear()

    poller = await async_client.begin_deploy_virtual_network(
        info.vnet_id("vnet-new"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=100
    )
    assert isinstance(poller, AsyncLROPoller)
    deployment = await poller.result()

    assert isinstance(deployment, VirtualNetworkDeployment)
    assert poller.done() and poller.status().lower() == "succeeded"
    assert deployment.action == "created"
    assert deployment.address_prefixes == [net("10.0.0.0/26"), net("10.0.0.64/27"), net("10.0.0.96/30")]
    requests = emu.journal.entries(service="arm")
    assert arm_shape(emu) == [
        ("GET", "vnet", 404),
        ("PUT", "vnet", 201),
        ("GET", "operation", 200),
        ("GET", "operation", 200),
        ("GET", "operation", 200),
        ("GET", "vnet", 200),
    ]
    assert {e.tenant_id for e in requests} == {info.managed_tenant_id}
    assert {e.aux_tenant_ids for e in requests} == {(info.management_tenant_id,)}
    assert {e.api_version for e in requests} == {"2026-03-01"}
    assert len(emu.journal.token_requests(info.managed_tenant_id)) == 1
    assert len(emu.journal.token_requests(info.management_tenant_id)) == 1
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "100"


async def test_deploy_dual_stack_with_subnets(
    emu: AzureEmulator, async_client: CrossTenantIpamClient, info: ScenarioInfo
) -> None:
    vnet_id = info.vnet_id("vnet-dual")
    deployment = await (
        await async_client.begin_deploy_virtual_network(
            vnet_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=256,
            ipv6_pool_id=info.ipv6_pool_id,
            ipv6_number_of_ip_addresses=2**66,
            subnets=[SubnetSpec("app", 128, ipv6_number_of_ip_addresses=2**64), SubnetSpec("data", 64)],
            tags={"env": "test"},
        )
    ).result()

    assert {a.ip_version for a in deployment.allocations} == {4, 6}
    v4 = [n for n in deployment.address_prefixes if n.version == 4]
    v6 = [n for n in deployment.address_prefixes if n.version == 6]
    assert sum(n.num_addresses for n in v4) == 256 and sum(n.num_addresses for n in v6) == 2**66
    assert all(n.subnet_of(ipaddress.ip_network(info.ipv6_pool_prefixes[0])) for n in v6)  # type: ignore[arg-type]
    app, data = deployment.subnet("app"), deployment.subnet("data")
    assert sorted(a.number_of_ip_addresses for a in app.allocations) == [128, 2**64]
    assert [a.number_of_ip_addresses for a in data.allocations] == [64]
    assert deployment.tags == {"env": "test"}
    assert (await async_client.get_pool_usage(info.pool_id)).number_of_allocated_ip_addresses == 256
    assert (await async_client.get_pool_usage(info.ipv6_pool_id)).number_of_allocated_ip_addresses == 2**66
    [held] = await async_client.list_pool_allocations(info.pool_id)
    assert str(held.resource_id).lower() == vnet_id.lower() and held.total_number_of_ip_addresses == 256
    assert (
        await async_client.get_virtual_network_allocation(vnet_id)
    ).address_prefixes == deployment.address_prefixes


async def test_redeploy_is_idempotent_and_writes_nothing(
    emu: AzureEmulator, async_client: CrossTenantIpamClient, info: ScenarioInfo, arm_shape: ArmShape
) -> None:
    vnet_id = info.vnet_id("vnet-idem")
    args: dict[str, Any] = {
        "location": info.location,
        "pool_id": info.pool_id,
        "number_of_ip_addresses": 100,
        "subnets": [SubnetSpec("app", 32)],
    }
    first = await (await async_client.begin_deploy_virtual_network(vnet_id, **args)).result()
    emu.journal.clear()

    poller = await async_client.begin_deploy_virtual_network(vnet_id, **args)
    assert poller.status() == "succeeded"
    second = await poller.result()

    assert second.action == "unchanged" and not second.changed
    assert second.address_prefixes == first.address_prefixes and second.subnets == first.subnets
    assert arm_shape(emu) == [("GET", "vnet", 200)]
    assert emu.journal.token_requests() == []


async def test_grow_keeps_prefixes_subnets_and_properties(
    emu: AzureEmulator, async_client: CrossTenantIpamClient, info: ScenarioInfo, arm_shape: ArmShape
) -> None:
    vnet_id = info.vnet_id("vnet-grow")
    first = await (
        await async_client.begin_deploy_virtual_network(
            vnet_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=96,  # the grow lands apart: summarising (field report) keeps these
            subnets=[SubnetSpec("legacy", 16)],
            tags={"owner": "team"},
        )
    ).result()
    with emu.lock:
        emu.network.vnets[vnet_id.lower()].body["properties"]["dhcpOptions"] = {"dnsServers": ["10.9.9.9"]}
    emu.journal.clear()

    grown = await (
        await async_client.begin_deploy_virtual_network(
            vnet_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=224,
            subnets=[SubnetSpec("app", 64)],
        )
    ).result()

    assert grown.action == "updated" and grown.allocations[0].number_of_ip_addresses == 224
    assert set(first.address_prefixes) <= set(grown.address_prefixes)
    assert grown.subnet("legacy").address_prefixes == first.subnet("legacy").address_prefixes
    assert grown.tags == {"owner": "team"}
    stored = emu.virtual_network(vnet_id)
    assert stored is not None and stored["properties"]["dhcpOptions"] == {"dnsServers": ["10.9.9.9"]}
    assert arm_shape(emu) == [
        ("GET", "vnet", 200),
        ("PUT", "vnet", 200),
        ("GET", "operation", 200),
        ("GET", "vnet", 200),
    ]


async def test_shrink_is_refused_before_any_write(
    emu: AzureEmulator, async_client: CrossTenantIpamClient, info: ScenarioInfo, arm_shape: ArmShape
) -> None:
    vnet_id = info.vnet_id("vnet-shrink")
    await (
        await async_client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=100
        )
    ).result()
    emu.journal.clear()

    with pytest.raises(AllocationDecreaseError) as caught:
        await async_client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64
        )
    assert (caught.value.current, caught.value.requested) == (100, 64)
    assert emu.journal.writes() == []
    assert arm_shape(emu) == [("GET", "vnet", 200)]
    # the refusal released the VNet: the next operation on it proceeds
    again = await (
        await async_client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=100
        )
    ).result()
    assert again.action == "unchanged"


async def test_a_deploy_is_the_sdks_operation_with_crossipams_body_and_headers(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    make_async_client: MakeAsyncClient,
    spy_vnet_puts: SpyVnetPuts,
) -> None:
    """Spied, not replaced: the create and the grow are azure.mgmt.network.aio's
    ``VirtualNetworksOperations.begin_create_or_update`` with crossipam's body and conditional headers —
    ``If-None-Match: *`` on the create, ``If-Match`` with the ETag it read on the grow — and exactly that reaches
    the offline Azure (tests/test_client_e2e.py asserts the same of the sync client)."""
    emu = azure_emulator
    info = info_of(emu)
    sdk, wire = spy_vnet_puts(emu, aio=True)
    vnet_id = info.vnet_id("vnet-spy")
    async with make_async_client(emu) as client:
        created = await (
            await client.begin_deploy_virtual_network(
                vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=100
            )
        ).result()
        stored = emu.virtual_network(vnet_id)
        assert stored is not None
        etag = stored["etag"]
        grown = await (
            await client.begin_deploy_virtual_network(
                vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=200
            )
        ).result()
    assert (created.action, grown.action) == ("created", "updated")

    create, grow = sdk.call_args_list
    for call, count in ((create, 100), (grow, 200)):
        operations, resource_group, name, body = call.args
        assert isinstance(operations, AsyncVirtualNetworksOperations)
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
    assert sdk.await_count == 2 and isinstance(sdk.spy_return, AsyncLROPoller)  # awaited, the SDK's poller

    puts = [c.args[0] for c in wire.call_args_list if c.args[0].method == "PUT"]
    assert [p.body for p in puts] == [create.args[3], grow.args[3]]  # byte for byte what the SDK was given
    assert [(p.header("If-None-Match"), p.header("If-Match")) for p in puts] == [("*", None), (None, etag)]
    assert {p.query_param("api-version") for p in puts} == {"2026-03-01"}


async def _deploy_with_extras(
    emu: AzureEmulator,
    info: ScenarioInfo,
    async_client: CrossTenantIpamClient,
    name: str,
    configure_as_others: ConfigureAsOthers,
) -> VirtualNetworkDeployment:
    vnet_id = info.vnet_id(name)
    deployed = await (
        await async_client.begin_deploy_virtual_network(
            vnet_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=100,
            subnets=[SubnetSpec("app", 32), SubnetSpec("data", 16)],
            tags={"owner": "team"},
        )
    ).result()
    configure_as_others(emu, vnet_id)  # DNS and a peering configured by someone else
    return deployed


async def test_removal_keeps_subnets_and_prefixes(
    emu: AzureEmulator,
    async_client: CrossTenantIpamClient,
    info: ScenarioInfo,
    arm_shape: ArmShape,
    configure_as_others: ConfigureAsOthers,
) -> None:
    deployed = await _deploy_with_extras(emu, info, async_client, "vnet-remove", configure_as_others)
    vnet_id = str(deployed.vnet_id)
    emu.journal.clear()

    removed = await (await async_client.begin_remove_allocation(vnet_id)).result()

    assert removed.action == "removed" and not removed.has_allocation
    assert removed.address_prefixes == deployed.address_prefixes
    assert [(s.name, s.address_prefixes, s.allocations) for s in removed.subnets] == [
        (s.name, s.address_prefixes, []) for s in deployed.subnets
    ]
    assert removed.tags == {"owner": "team"}
    stored = emu.virtual_network(vnet_id)
    assert stored is not None and stored["properties"]["dhcpOptions"] == {"dnsServers": ["10.9.9.9"]}
    assert stored["properties"]["virtualNetworkPeerings"][0]["name"] == "to-hub"
    assert "ipamPoolPrefixAllocations" not in stored["properties"]["addressSpace"]
    usage = await async_client.get_pool_usage(info.pool_id)
    assert usage.number_of_allocated_ip_addresses == 0
    assert await async_client.list_pool_allocations(info.pool_id) == []
    assert arm_shape(emu)[:4] == [
        ("GET", "vnet", 200),
        ("PUT", "vnet", 200),
        ("GET", "operation", 200),
        ("GET", "vnet", 200),
    ]
    emu.journal.clear()
    again = await (await async_client.begin_remove_allocation(vnet_id)).result()
    assert again.action == "no_allocation" and arm_shape(emu) == [("GET", "vnet", 200)]


async def test_removal_with_new_prefixes(
    emu: AzureEmulator,
    async_client: CrossTenantIpamClient,
    info: ScenarioInfo,
    configure_as_others: ConfigureAsOthers,
) -> None:
    deployed = await _deploy_with_extras(emu, info, async_client, "vnet-renumber", configure_as_others)
    vnet_id = str(deployed.vnet_id)
    emu.journal.clear()

    with pytest.raises(AddressSpaceConflictError, match="do not contain subnet"):
        await async_client.begin_remove_allocation(vnet_id, address_prefixes=["192.168.0.0/24"])
    assert emu.journal.writes() == []

    removed = await (
        await async_client.begin_remove_allocation(vnet_id, address_prefixes=["10.0.0.0/24"])
    ).result()
    assert removed.address_prefixes == [net("10.0.0.0/24")]
    assert [s.address_prefixes for s in removed.subnets] == [s.address_prefixes for s in deployed.subnets]
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"


# ---- errors --------------------------------------------------------------------------------------------


async def test_missing_pool_role_is_linked_authorization_failed(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    sp_a = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp_a is not None
    with emu.lock:
        for name, ra in list(emu.state.role_assignments.items()):
            if ra.principal_id == sp_a.object_id:
                del emu.state.role_assignments[name]
    async with make_async_client(emu) as client:
        with pytest.raises(LinkedAuthorizationError) as caught:
            poller = await client.begin_deploy_virtual_network(
                info.vnet_id("v1"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
            )
            await poller.result()
    err = caught.value
    assert err.code == "LinkedAuthorizationFailed" and err.status == 403
    assert err.tenant_id == info.management_tenant_id and "IPAM Pool User" in str(err)
    assert err.request_id and err.correlation_id


async def test_app_not_onboarded_is_aadsts700016(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    async with make_async_client(emu) as client:
        with pytest.raises(AppNotOnboardedError) as caught:
            poller = await client.begin_deploy_virtual_network(
                info.vnet_id("v1"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
            )
            await poller.result()
    err = caught.value
    assert err.tenant_id == info.management_tenant_id and err.client_id == info.app.client_id
    assert "AADSTS700016" in str(err)
    assert emu.journal.entries(service="arm") == []
    assert info.app.client_secret not in str(err)


async def test_bad_input_is_refused_before_any_request(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    info = info_of(azure_emulator)
    async with make_async_client(azure_emulator) as client:
        azure_emulator.journal.clear()
        with pytest.raises(InvalidInputError):
            await client.begin_deploy_virtual_network(
                info.pool_id, location="eastus", pool_id=info.pool_id, number_of_ip_addresses=1
            )
        with pytest.raises(InvalidInputError):
            await client.begin_remove_allocation(info.vnet_id("v1"), address_prefixes=["10.0.0.1/24"])
        with pytest.raises(InvalidInputError):
            await client.get_pool_usage(info.vnet_id("v1"))
        assert len(azure_emulator.journal) == 0


# ---- cost ----------------------------------------------------------------------------------------------


async def test_one_token_per_tenant_for_many_operations(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    async with make_async_client(emu) as client:
        for i in range(3):
            vnet_id = info.vnet_id(f"vnet-{i}")
            for count in (64, 128):
                await (
                    await client.begin_deploy_virtual_network(
                        vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=count
                    )
                ).result()
            await client.get_virtual_network_allocation(vnet_id)
            await client.get_pool_usage(info.pool_id)
            await client.list_pool_allocations(info.pool_id)
            await (await client.begin_remove_allocation(vnet_id)).result()
    assert len(emu.journal.token_requests(info.managed_tenant_id)) == 1
    assert len(emu.journal.token_requests(info.management_tenant_id)) == 1
    assert len(emu.journal.token_requests()) == 2
    pool_reads = [e for e in emu.journal.entries(service="arm") if "/ipamPools/" in e.path]
    assert pool_reads and {e.tenant_id for e in pool_reads} == {info.management_tenant_id}
    assert {e.aux_tenant_ids for e in pool_reads} == {()}


async def test_concurrent_deploys_of_one_vnet_are_serialized(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    import asyncio

    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = 3
    vnet_id = info.vnet_id("vnet-race")
    async with make_async_client(emu) as client:

        async def deploy() -> str:
            poller = await client.begin_deploy_virtual_network(
                vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=100
            )
            return (await poller.result()).action

        results = await asyncio.gather(deploy(), deploy(), deploy())
    assert sorted(results) == ["created", "unchanged", "unchanged"]
    assert [e.status for e in emu.journal.entries(service="arm", method="PUT")] == [201]


async def test_deploy_many_with_the_same_vnet_twice(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    """Two items for one VNet in one async batch: serialised by the client (no 409/412 reaches ARM), both
    reported in input order, exactly one allocation; in a grow batch the larger count wins, once."""
    from crossipam import DeploymentSpec

    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = 2
    twice = DeploymentSpec(
        info.vnet_id("vnet-twice"), info.location, info.pool_id, 64, (SubnetSpec("app", 32),)
    )
    other = DeploymentSpec(info.vnet_id("vnet-other"), info.location, info.pool_id, 16)
    emu.journal.clear()
    async with make_async_client(emu) as client:
        results = await client.deploy_many([twice, other, twice])
        assert [r.vnet_id for r in results] == [str(twice.vnet_id), str(other.vnet_id), str(twice.vnet_id)]
        assert all(r.ok and r.attempts == 1 for r in results), results
        actions = sorted(r.deployment.action for r in (results[0], results[2]) if r.deployment)
        assert actions == ["created", "unchanged"]
        puts = emu.journal.entries(service="arm", method="PUT", path=r"/virtualNetworks/vnet-twice$")
        assert [e.status for e in puts] == [201]
        grow = [
            DeploymentSpec(twice.vnet_id, info.location, info.pool_id, n, twice.subnets)
            for n in (128, 256, 128)
        ]
        grown = await client.deploy_many(grow)
        listed = await client.list_pool_allocations(info.pool_id)
    assert grown[1].deployment is not None and grown[1].deployment.action == "updated"
    for r in (grown[0], grown[2]):
        assert r.attempts == 1
        assert (r.deployment is not None and r.deployment.action in ("updated", "unchanged")) or isinstance(
            r.error, AllocationDecreaseError
        ), r
    assert not [e for e in emu.journal.entries(service="arm") if e.status in (409, 412)]
    stored = emu.virtual_network(str(twice.vnet_id))
    assert stored is not None
    [alloc] = stored["properties"]["addressSpace"]["ipamPoolPrefixAllocations"]
    assert alloc["numberOfIpAddresses"] == "256"
    assert [s["name"] for s in stored["properties"]["subnets"]] == ["app"]
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == str(256 + 16)
    assert sorted(a.resource_id.name for a in listed) == ["vnet-other", "vnet-twice"]


async def test_from_environment_in_process(
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
    async with CrossTenantIpamClient.from_environment(
        transport=emu.async_transport(), polling_interval=0
    ) as client:
        assert client.cloud.resource_manager_scope == info.arm_scope
        d = await (
            await client.begin_deploy_virtual_network(
                info.vnet_id("v-env"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
            )
        ).result()
    assert d.address_prefixes == [net("10.0.0.0/28")]


async def test_https_with_a_ca_bundle_reuses_connections(
    azure_emulator_https: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    info_of: InfoOf,
    make_async_client: MakeAsyncClient,
) -> None:
    """azure-core's aiohttp transport would build an SSL context per request for a CA bundle path (and aiohttp
    reuses no connection across contexts): crossipam's transport keeps one, so ARM sees few TLS connections."""
    from crossipam.testing import server as emulator_server

    connections: list[str] = []
    setup = emulator_server._Handler.setup

    def counting_setup(handler: Any) -> None:  # one handler per accepted connection
        connections.append(handler.server.service)
        setup(handler)

    monkeypatch.setattr(emulator_server._Handler, "setup", counting_setup)
    emu = azure_emulator_https
    info = info_of(emu)
    async with make_async_client(emu) as client:
        for _ in range(12):
            await client.get_pool_usage(info.pool_id)
            await client.list_pool_allocations(info.pool_id)
    arm_requests = emu.journal.entries(service="arm")
    assert len(arm_requests) >= 24
    assert connections.count("arm") <= 2, connections  # without the fix: one per request
