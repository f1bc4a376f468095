"""In-flight operations (issue 16): a state that is not terminal is never a result — sync and asyncio.

The offline Azure runs every VNet write as an operation that takes time (``lro_polls``); while it runs, a read
of the VNet shows the goal state with ``provisioningState: Updating``, and the operation may still fail (rolled
back, or left ``Failed``: ``Settings.failed_write``). tests/test_fault_matrix.py runs the sync client through
every fault in these modes; this file runs the asyncio client through the cells where an operation is in flight
when crossipam reads (a lost answer, another client's operation), and covers what the matrix does not: the
``operation_timeout``, a poller that is never awaited, a VNet left ``Failed``, readiness and bulk.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from pytest_mock import MockerFixture

from crossipam import (
    DeploymentSpec,
    OperationFailedError,
    OperationTimeoutError,
    SubnetSpec,
    VirtualNetworkDeployment,
)
from crossipam.aio import CrossTenantIpamClient as AsyncCrossTenantIpamClient
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, MakeAsyncClient, MakeClient
    from .fixtures.fault_world import FaultWorld, PoolConsistent, VnetCount, World
    from .fixtures.faults import Matrix


RETRIES: dict[str, Any] = {"retry_total": 3, "retry_backoff_factor": 0, "retry_backoff_max": 0}


def _state(vnet: dict[str, Any] | None) -> str | None:
    return None if vnet is None else vnet["properties"].get("provisioningState")


async def _begin_async(op: str, client: AsyncCrossTenantIpamClient, w: World) -> Any:
    info = w.info
    if op == "deploy":
        return await client.begin_deploy_virtual_network(
            w.new_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=100,
            subnets=[SubnetSpec("app", 32)],
            tags={"env": "test"},
        )
    if op == "grow":
        return await client.begin_deploy_virtual_network(
            w.rich_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=128,
            subnets=[SubnetSpec("app", 16), SubnetSpec("data", 8)],
        )
    return await client.begin_remove_allocation(w.rich_id)


# ---- the asyncio client through the in-flight cells of the matrix ---------------------------------------------


@pytest.mark.parametrize("fault", ["lost-response", "concurrent-deploy"])
@pytest.mark.parametrize("op", ["deploy", "grow", "remove"])
async def test_async_client_tells_what_azure_ended_with(
    op: str,
    fault: str,
    slow_lro_mode: str,
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    make_async_client: MakeAsyncClient,
    fault_world: FaultWorld,
    fault_matrix: Matrix,
) -> None:
    """A lost answer and another client's operation meet crossipam's read while the operation is in flight: the
    asyncio client waits for it to end, then answers what the offline Azure holds — or raises
    OperationFailedError when the operation failed (rolled back or left Failed). Same checks as the matrix."""
    emu = azure_emulator
    mode = slow_lro_mode
    w = fault_world(emu, op, fault, mode)
    if fault == "lost-response":
        name = fault_matrix.new if op == "deploy" else fault_matrix.rich
        emu.faults.add("PUT", rf"/virtualNetworks/{name}$", drop_connection=True, when="after")
    else:
        w.arm_fault(monkeypatch)
    outcome: Any
    async with make_async_client(emu, **RETRIES) as client:
        try:
            outcome = await (await _begin_async(op, client, w)).result()
        except OperationFailedError as err:
            outcome = err
    expected = w.expected
    if expected == "converges":
        assert isinstance(outcome, VirtualNetworkDeployment), outcome
    else:
        assert type(outcome) is expected, outcome
    w.assert_end_state(outcome)
    # crossipam read the VNet while the operation ran, and read it again until it had ended
    name = fault_matrix.new if op == "deploy" else fault_matrix.rich
    gets = emu.journal.entries(service="arm", method="GET", path=f"/virtualNetworks/{name}")
    assert len(gets) >= 2


# ---- operation_timeout -----------------------------------------------------------------------------------------


def _start_other_grow(w: World, make_client: MakeClient, count: int = 128) -> Any:
    """Another client grows the seeded VNet and walks away: its poller polls once, then sleeps for an hour."""
    info = w.info
    other = make_client(w.emu, polling_interval=3600)
    return other.begin_deploy_virtual_network(
        w.rich_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=count
    )


def test_a_vnet_still_updating_after_operation_timeout_is_an_error_and_nothing_is_written(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    make_client: MakeClient,
    fault_world: FaultWorld,
) -> None:
    emu = azure_emulator
    w = fault_world(emu, "grow", "none", "slow")
    emu.settings.lro_polls = 1000
    _start_other_grow(w, make_client)
    info = info_of(emu)
    emu.journal.clear()
    with make_client(emu, operation_timeout=0) as client, pytest.raises(OperationTimeoutError) as caught:
        client.begin_deploy_virtual_network(
            w.rich_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=256
        )
    err = caught.value
    assert err.provisioning_state == "Updating" and err.resource_id == w.rich_id
    assert "operation_timeout" in str(err) and err.hint
    assert not emu.journal.writes()


async def test_async_operation_timeout_bounds_the_wait(
    azure_emulator: AzureEmulator,
    make_client: MakeClient,
    make_async_client: MakeAsyncClient,
    fault_world: FaultWorld,
    fault_matrix: Matrix,
) -> None:
    emu = azure_emulator
    w = fault_world(emu, "grow", "none", "slow")
    emu.settings.lro_polls = 1000
    _start_other_grow(w, make_client)
    emu.journal.clear()
    # operation_timeout=0: the first read that is not terminal ends the wait (no wall-clock, no busy loop)
    async with make_async_client(emu, operation_timeout=0) as client:
        with pytest.raises(OperationTimeoutError) as caught:
            await client.begin_remove_allocation(w.rich_id)
    assert caught.value.provisioning_state == "Updating" and caught.value.resource_id == w.rich_id
    reads = emu.journal.entries(service="arm", method="GET", path=f"/virtualNetworks/{fault_matrix.rich}")
    assert len(reads) == 1 and not emu.journal.writes()


@pytest.mark.parametrize("value", [-1, True, "10", float("nan")])
def test_operation_timeout_is_checked_before_any_request(
    azure_emulator: AzureEmulator, value: Any, make_client: MakeClient
) -> None:
    from crossipam import InvalidInputError

    azure_emulator.journal.clear()
    with pytest.raises(InvalidInputError, match="operation_timeout"):
        make_client(azure_emulator, operation_timeout=value)
    assert not list(azure_emulator.journal)


# ---- a poller that is never awaited -----------------------------------------------------------------------------


async def test_an_unawaited_async_poller_does_not_lock_the_vnet(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient, vnet_count: VnetCount
) -> None:
    """The per-VNet lock ends once ARM accepted the PUT; the next operation on the VNet waits for the one in
    flight at ARM instead (before, it waited for a lock the unawaited poller never released)."""
    emu = azure_emulator
    emu.settings.lro_polls = 2
    info = info_of(emu)
    vnet_id = info.vnet_id("vnet-unawaited")
    async with make_async_client(emu) as client:
        forgotten = await client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64
        )
        again = await asyncio.wait_for(
            client.begin_deploy_virtual_network(
                vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64
            ),
            timeout=10,
        )
        result = await asyncio.wait_for(again.result(), timeout=10)
        assert forgotten is not again
    assert result.action == "unchanged" and result.provisioning_state == "Succeeded"
    vnet = emu.virtual_network(vnet_id)
    assert _state(vnet) == "Succeeded" and vnet is not None and vnet_count(vnet, info.pool_id) == 64
    puts = emu.journal.entries(service="arm", method="PUT", path="/virtualNetworks/vnet-unawaited")
    assert [e.status for e in puts] == [
        201
    ]  # the second call waited for the first operation, then wrote nothing


def test_an_unpolled_sync_poller_does_not_lock_the_vnet(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient, vnet_count: VnetCount
) -> None:
    emu = azure_emulator
    emu.settings.lro_polls = 2
    info = info_of(emu)
    vnet_id = info.vnet_id("vnet-unpolled")
    with make_client(emu) as client:
        client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64
        )
        result = client.begin_deploy_virtual_network(
            vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=128
        ).result(timeout=10)
    assert result.action == "updated" and result.provisioning_state == "Succeeded"
    vnet = emu.virtual_network(vnet_id)
    assert vnet is not None and vnet_count(vnet, info.pool_id) == 128


# ---- a VNet that an operation left Failed ------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["deploy", "remove"])
def test_a_vnet_left_failed_is_written_back_not_reported_unchanged(
    azure_emulator: AzureEmulator,
    op: str,
    make_client: MakeClient,
    fault_world: FaultWorld,
    assert_pool_consistent: PoolConsistent,
) -> None:
    """With ``failed_write="failed"`` a failed write leaves the VNet as written, Failed. Running the same call again
    must not answer "unchanged"/"no_allocation" for it: it writes the VNet back (Azure's way to re-apply it)."""
    emu = azure_emulator
    emu.settings.lro_polls = 2
    emu.settings.failed_write = "failed"
    w = fault_world(emu, op, "none", "slow")
    info = w.info
    vnet_id = w.new_id if op == "deploy" else w.rich_id

    def run(client: Any) -> VirtualNetworkDeployment:
        if op == "deploy":
            poller = client.begin_deploy_virtual_network(
                vnet_id, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=100
            )
        else:
            poller = client.begin_remove_allocation(vnet_id)
        result = poller.result()
        assert isinstance(result, VirtualNetworkDeployment)
        return result

    emu.network.fail_next_operation("InternalServerError", "boom", resource_type="virtualNetworks")
    with make_client(emu) as client:
        with pytest.raises(OperationFailedError) as caught:
            run(client)
        assert caught.value.code == "InternalServerError" and caught.value.provisioning_state == "Failed"
        assert _state(emu.virtual_network(vnet_id)) == "Failed"
        emu.journal.clear()
        again = run(client)
    assert again.action == ("updated" if op == "deploy" else "removed")
    assert again.provisioning_state == "Succeeded" == _state(emu.virtual_network(vnet_id))
    assert [e.status for e in emu.journal.entries(service="arm", method="PUT")] == [200]
    assert_pool_consistent(emu, info.pool_id)


# ---- readiness ----------------------------------------------------------------------------------------------------


def _capacity(report: Any) -> Any:
    return next(c for c in report.checks if c.name == "pool_capacity")


async def test_readiness_judges_the_vnet_once_its_operation_ended(
    azure_emulator: AzureEmulator,
    driver: str,
    info_of: InfoOf,
    make_client: MakeClient,
    make_async_client: MakeAsyncClient,
    fault_world: FaultWorld,
    fault_matrix: Matrix,
) -> None:
    """Another client's grow (64 -> 128) is in flight and will fail (rolled back to 64). Judged on the in-flight
    read, 100 addresses would look like a shrink of the VNet's 128; readiness waits, and judges the 64 that stay."""
    emu = azure_emulator
    w = fault_world(emu, "grow", "none", "slow")
    emu.settings.lro_polls = 3
    emu.network.fail_next_operation("InternalServerError", "boom", resource_type="virtualNetworks")
    _start_other_grow(w, make_client, 128)
    assert _state(emu.virtual_network(w.rich_id)) == "Updating"
    info = info_of(emu)
    kwargs: dict[str, Any] = {"vnet_id": w.rich_id, "number_of_ip_addresses": 100}
    if driver == "sync":
        with make_client(emu) as client:
            report = client.check_readiness(info.pool_id, **kwargs)
    else:
        async with make_async_client(emu) as aclient:
            report = await aclient.check_readiness(info.pool_id, **kwargs)
    check = _capacity(report)
    assert check.status == "pass", check
    assert check.observed.startswith("36 more addresses")  # 100 asked, 64 held once the grow rolled back
    assert _state(emu.virtual_network(w.rich_id)) == "Succeeded"
    gets = emu.journal.entries(service="arm", method="GET", path=f"/virtualNetworks/{fault_matrix.rich}")
    assert len(gets) >= 2


# ---- bulk -------------------------------------------------------------------------------------------------------------


async def test_bulk_items_wait_for_operations_in_flight(
    azure_emulator: AzureEmulator,
    driver: str,
    slow_lro_mode: str,
    info_of: InfoOf,
    make_client: MakeClient,
    make_async_client: MakeAsyncClient,
    fault_world: FaultWorld,
    vnet_count: VnetCount,
    assert_pool_consistent: PoolConsistent,
    mocker: MockerFixture,
) -> None:
    """Every item meets a lost answer while its operation takes time: one result per input, each converged to a
    Succeeded VNet — or, when every operation fails, each an OperationFailedError, with no VNet that holds what
    was asked in Succeeded state."""
    emu = azure_emulator
    mode = slow_lro_mode
    w = fault_world(emu, "deploy", "lost-response", mode)
    info = info_of(emu)
    names = [f"vnet-bulk-{i}" for i in range(4)]
    emu.faults.add(
        "PUT", r"/virtualNetworks/vnet-bulk-", drop_connection=True, when="after", times=len(names)
    )
    specs = [DeploymentSpec(info.vnet_id(n), info.location, info.pool_id, 16) for n in names]
    if driver == "sync":
        with make_client(emu, **RETRIES) as client:
            results = client.deploy_many(specs, sleep=mocker.Mock(return_value=None))
    else:
        async with make_async_client(emu, **RETRIES) as aclient:
            results = await aclient.deploy_many(specs, sleep=mocker.AsyncMock(return_value=None))
    assert [str(r.vnet_id) for r in results] == [info.vnet_id(n) for n in names]
    failing = w.failing
    for name, result in zip(names, results, strict=True):
        vnet = emu.virtual_network(info.vnet_id(name))
        if failing:
            assert not result.ok and isinstance(result.error, OperationFailedError), result
            assert vnet is None or _state(vnet) == "Failed"
        else:
            assert result.ok and result.deployment is not None, result
            assert result.deployment.provisioning_state == "Succeeded" == _state(vnet)
            assert vnet is not None and vnet_count(vnet, info.pool_id) == 16
    assert_pool_consistent(emu, info.pool_id)
