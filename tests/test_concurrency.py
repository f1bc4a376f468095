"""Concurrency (issue 7): two clients deploying the same VNet at once never create a duplicate allocation.

The offline Azure serialises writes per VNet and answers 409 AnotherOperationInProgress while an operation
runs (``lro_polls > 0``); a create racing a create meets ``If-None-Match: *`` (412). crossipam reads the VNet
again and plans again (``conflict_retries``), so each caller converges — or raises ConflictError — and the VNet
ends with exactly one allocation of the requested size.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from crossipam import ConflictError, CrossTenantIpamClient, VirtualNetworkDeployment
from crossipam.testing import AzureEmulator

from .test_client_e2e import info_of, make_client
from .test_fault_matrix import _vnet_count, assert_pool_consistent


def _deploy_all(emu: AzureEmulator, clients: list[CrossTenantIpamClient], name: str, count: int) -> list[Any]:
    info = info_of(emu)
    barrier = threading.Barrier(len(clients))

    def run(client: CrossTenantIpamClient) -> Any:
        barrier.wait()
        try:
            return client.begin_deploy_virtual_network(
                info.vnet_id(name), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=count
            ).result()
        except ConflictError as err:
            return err

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(run, clients))


@pytest.mark.parametrize("lro_polls", [0, 3])
@pytest.mark.parametrize("round_", range(3))
def test_two_clients_same_vnet_never_duplicate(
    azure_emulator: AzureEmulator, lro_polls: int, round_: int
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = lro_polls
    clients = [make_client(emu), make_client(emu)]
    try:
        outcomes = _deploy_all(emu, clients, "vnet-race", 100)
    finally:
        for c in clients:
            c.close()
    assert any(isinstance(o, VirtualNetworkDeployment) for o in outcomes), outcomes
    for o in outcomes:
        assert isinstance(o, (VirtualNetworkDeployment, ConflictError))
    vnet = emu.virtual_network(info.vnet_id("vnet-race"))
    assert vnet is not None
    [alloc] = vnet["properties"]["addressSpace"]["ipamPoolPrefixAllocations"]
    assert int(alloc["numberOfIpAddresses"]) == 100 and _vnet_count(vnet, info.pool_id) == 100
    assert_pool_consistent(emu, info.pool_id)
    assert len(emu.network.associated_resources(info.pool_id)) == 1
    assert int(emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"]) == 100


def test_one_client_many_threads_is_serialised_in_process(azure_emulator: AzureEmulator) -> None:
    """Within one client, operations on one VNet are serialised: no 409/412 ever reaches ARM."""
    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = 2
    with make_client(emu) as client:
        outcomes = _deploy_all(emu, [client] * 4, "vnet-serial", 64)
    assert all(isinstance(o, VirtualNetworkDeployment) for o in outcomes), outcomes
    assert sorted(o.action for o in outcomes) == ["created", "unchanged", "unchanged", "unchanged"]
    assert not [e for e in emu.journal.entries(service="arm") if e.status in (409, 412)]
    assert_pool_consistent(emu, info.pool_id)


def test_racing_growth_converges_to_the_larger_request(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = 2
    with make_client(emu) as c:
        c.begin_deploy_virtual_network(
            info.vnet_id("vnet-grow"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64
        ).result()
    a, b = make_client(emu), make_client(emu)
    try:
        barrier = threading.Barrier(2)

        def grow(client: CrossTenantIpamClient, n: int) -> Any:
            barrier.wait()
            try:
                return client.begin_deploy_virtual_network(
                    info.vnet_id("vnet-grow"),
                    location=info.location,
                    pool_id=info.pool_id,
                    number_of_ip_addresses=n,
                ).result()
            except Exception as err:  # a decrease refused after the other grew, or a conflict
                return err

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(grow, [a, b], [128, 256]))
    finally:
        a.close()
        b.close()
    vnet = emu.virtual_network(info.vnet_id("vnet-grow"))
    assert vnet is not None and _vnet_count(vnet, info.pool_id) in (128, 256)
    assert any(isinstance(o, VirtualNetworkDeployment) for o in outcomes)
    assert_pool_consistent(emu, info.pool_id)
