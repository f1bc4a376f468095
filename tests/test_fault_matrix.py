"""Fault matrix (issues 7 and 16): every operation x every fault either converges to the right end state or
raises a typed error — and the offline Azure's state shows nothing lost, no duplicate allocation, and agrees
with what the call returned (a converged VNet call returns a VNet that is ``Succeeded`` in the offline Azure).

Every cell runs in four LRO modes (``LRO_MODES``): operations that end at once (``instant``), operations that
take time (``slow``: ``lro_polls=2``, so a lost answer meets the operation still in flight), and operations that
take time and fail — with the offline Azure rolling a failed write back (``failing-rollback``) or leaving the
VNet ``Failed`` (``failing-left-failed``), since which one Azure does is not documented.

Operations: onboard, deploy (new VNet), grow (existing VNet), redeploy (the same request again: nothing to
change, so nothing is written), remove, pool usage, pool allocations (and bulk ``deploy_many``). Faults: 429 with Retry-After, 500, 503, a dropped connection, a
lost response (the service acted, the connection dropped), a read timeout (the service acted, the answer came
after ``read_timeout``), an LRO ending ``Failed``, 409 AnotherOperationInProgress, 429 with an unparsable
``Retry-After``, a concurrent writer between crossipam's GET and PUT (412 on a stale ETag), another client
starting the same operation between crossipam's GET and PUT, PrincipalNotFound for a while, a Graph 404 after
create, token
expiry mid-run (time passes for everyone), clock skew (ARM says the token expired, the client's clock does
not), an expired auxiliary token.

The expected outcome of each cell is in ``EXPECTED`` (operations that succeed, in every mode but the failing
ones) and ``EXPECTED_FAILING`` (an error cell names the exact class raised), in tests/fixtures/faults.py (shared
with tests/test_inflight.py; tests/fixtures/fault_world.py seeds, arms, runs and checks a cell);
docs/reliability.md shows both tables, and ``test_docs_table_matches_expected`` keeps them in step
(``python -m tests.fixtures.faults`` prints them).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import pytest
from pytest_mock import MockerFixture

from crossipam import AzureServiceError, CrossIpamError, CrossTenantIpamClient
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.fault_world import FaultWorld, PoolConsistent, VnetCount
    from .fixtures.faults import Matrix
    from .fixtures.onboarding import FakeSleep, Onboard

#: An upper bound on the ARM requests of one cell: retries and waits are bounded, never a loop.
MAX_ARM_REQUESTS = 40


# ---- the matrix --------------------------------------------------------------------------------------------


def test_fault_matrix(
    matrix_cell: tuple[str, str, str],
    fault_world: FaultWorld,
    fault_matrix: Matrix,
    onboard: Onboard,
    fake_sleep: FakeSleep,
    monkeypatch: pytest.MonkeyPatch,
    azure_emulator: AzureEmulator,
    azure_emulator_fresh: AzureEmulator,
) -> None:
    op, fault, mode = matrix_cell
    expected = fault_matrix.expected_outcome(op, fault, mode)
    emu = azure_emulator_fresh if op == "onboard" else azure_emulator
    w = fault_world(emu, op, fault, mode)
    outcome: Any
    try:
        if op == "onboard":
            outcome = w.run_onboard(monkeypatch, onboard, fake_sleep(emu))
        else:
            outcome = w.run_client_op(monkeypatch)
    except CrossIpamError as err:
        outcome = err
    if expected == fault_matrix.converges:
        assert not isinstance(outcome, BaseException), f"{op}/{fault} raised {outcome!r}"
    else:
        assert isinstance(expected, type)
        # the exact class (the table in docs/reliability.md names it), not only a base class
        assert type(outcome) is expected, f"{op}/{fault}: expected {expected.__name__}, got {outcome!r}"
        assert str(outcome) and outcome.hint
    w.assert_end_state(outcome)
    assert len(emu.journal.entries(service="arm")) <= MAX_ARM_REQUESTS


def test_matrix_covers_every_operation_and_fault(fault_matrix: Matrix) -> None:
    ops = {op for op, _ in fault_matrix.expected}
    assert ops == set(fault_matrix.operations)
    assert {fault for _, fault in fault_matrix.expected} == set(fault_matrix.fault_labels)
    assert len(fault_matrix.expected) >= 60


# ---- the table in docs/reliability.md ----------------------------------------------------------------------


def _docs_table(matrix: Matrix, first: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one fault-matrix table in docs/reliability.md (cells stripped)."""
    lines = matrix.docs.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    header, separator, *rows = table
    assert set("".join(separator)) <= set("-:"), separator
    return header, rows


def _cell_outcome(matrix: Matrix, cell: str) -> str | None:
    """``converges`` (with or without a note), the error class a cell names, or None for ``—``."""
    if cell == "—":
        return None
    if cell.startswith(matrix.converges):
        return matrix.converges
    m = re.fullmatch(r"`(\w+)`(?: \(.+\))?", cell)
    assert m, f"unreadable cell {cell!r}: write converges, `ErrorClass` (note) or —"
    return m.group(1)


def test_docs_table_matches_expected(docs_table: str, fault_matrix: Matrix) -> None:
    """docs/reliability.md's fault-matrix tables say exactly what ``EXPECTED``/``EXPECTED_FAILING`` (and the
    bulk test) check."""
    first, m = docs_table, fault_matrix
    header, rows = _docs_table(m, first)
    assert header[1:] == [m.operation_labels[op] for op in m.operations]
    which = m.tables[first]
    matrix = rows[:-1] if which == "succeed" else rows
    assert [row[0] for row in matrix] == list(m.fault_labels.values())
    documented: dict[tuple[str, str], str] = {}
    for row, fault in zip(matrix, m.fault_labels, strict=True):
        assert len(row) == len(header), row
        for op, cell in zip(m.operations, row[1:], strict=True):
            outcome = _cell_outcome(m, cell)
            if outcome is not None:
                documented[(op, fault)] = outcome
    expected = m.expected if which == "succeed" else m.expected_failing
    tested = {key: v if isinstance(v, str) else v.__name__ for key, v in expected.items()}
    missing = {k: v for k, v in tested.items() if documented.get(k) != v}
    extra = {k: v for k, v in documented.items() if k not in tested}
    assert not missing and not extra, f"tested but not documented so: {missing}; documented only: {extra}"
    if which == "succeed":
        bulk = rows[-1]
        assert bulk[0] == m.bulk_label
        assert [_cell_outcome(m, c) for c in bulk[1:]] == [
            m.converges if op == "deploy" else None for op in m.operations
        ]
    assert (
        m.render_tables().count(first.strip("| ").strip()) == 1
    )  # what python -m tests.fixtures.faults prints


# ---- persistent faults: typed errors, nothing changed ------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error_code"),
    [
        ("throttled-429", "TooManyRequests"),
        ("server-500", "InternalServerError"),
        ("dropped-connection", None),
    ],
)
@pytest.mark.parametrize("op", ["deploy", "grow", "remove", "usage", "allocations"])
def test_persistent_faults_raise_typed_errors_and_change_nothing(
    op: str,
    fault: str,
    error_code: str | None,
    azure_emulator: AzureEmulator,
    fault_world: FaultWorld,
    fault_matrix: Matrix,
    assert_pool_consistent: PoolConsistent,
) -> None:
    from crossipam import ThrottledError, TransportError

    emu = azure_emulator
    w = fault_world(emu, op, fault)
    method, path = fault_matrix.target(op)
    if fault == "dropped-connection":
        emu.faults.add(method, path, drop_connection=True, times=100)
    else:
        status = 429 if fault == "throttled-429" else 500
        emu.faults.add(method, path, status=status, code=str(error_code), retry_after=0, times=100)
    before = copy.deepcopy(emu.virtual_network(w.info.vnet_id(fault_matrix.rich)))
    with w.client() as client, pytest.raises(AzureServiceError) as caught:
        if op == "deploy":
            client.begin_deploy_virtual_network(
                w.info.vnet_id(fault_matrix.new),
                location=w.info.location,
                pool_id=w.info.pool_id,
                number_of_ip_addresses=8,
            ).result()
        elif op == "grow":
            client.begin_deploy_virtual_network(
                w.info.vnet_id(fault_matrix.rich),
                location=w.info.location,
                pool_id=w.info.pool_id,
                number_of_ip_addresses=128,
            ).result()
        elif op == "remove":
            client.begin_remove_allocation(w.info.vnet_id(fault_matrix.rich)).result()
        elif op == "usage":
            client.get_pool_usage(w.info.pool_id)
        else:
            client.list_pool_allocations(w.info.pool_id)
    err = caught.value
    if fault == "dropped-connection":
        assert isinstance(err, TransportError) and err.code is None
    else:
        assert err.code == error_code
        assert isinstance(err, ThrottledError) == (fault == "throttled-429")
    assert emu.virtual_network(w.info.vnet_id(fault_matrix.new)) is None
    assert emu.virtual_network(w.info.vnet_id(fault_matrix.rich)) == before
    assert_pool_consistent(emu, w.info.pool_id)


# ---- bulk (when the client offers it) ---------------------------------------------------------------------


def test_bulk_deploy_many_converges(
    bulk_fault: str,
    azure_emulator: AzureEmulator,
    fault_world: FaultWorld,
    vnet_count: VnetCount,
    assert_pool_consistent: PoolConsistent,
    mocker: MockerFixture,
) -> None:
    fault = bulk_fault
    if not hasattr(CrossTenantIpamClient, "deploy_many"):
        pytest.skip("CrossTenantIpamClient.deploy_many is not there yet")
    from crossipam.models import DeploymentSpec

    emu = azure_emulator
    w = fault_world(emu, "deploy", fault)
    info = w.info
    names = [f"vnet-bulk-{i}" for i in range(4)]
    method = "PUT"
    if fault == "server-500":
        emu.faults.add(method, r"/virtualNetworks/vnet-bulk-", status=500, times=2)
    elif fault == "dropped-connection":
        emu.faults.add(method, r"/virtualNetworks/vnet-bulk-", drop_connection=True, times=2)
    elif fault == "conflict-409":
        emu.faults.add(
            method, r"/virtualNetworks/vnet-bulk-", status=409, code="AnotherOperationInProgress", times=2
        )
    else:
        emu.faults.add(method, r"/virtualNetworks/vnet-bulk-", drop_connection=True, when="after", times=2)
    specs = [
        DeploymentSpec(
            info.vnet_id(n), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
        )
        for n in names
    ]
    with w.client() as client:
        results = client.deploy_many(specs, sleep=mocker.Mock(return_value=None))
    assert len(results) == len(names)
    for n in names:
        vnet = emu.virtual_network(info.vnet_id(n))
        assert vnet is not None and vnet_count(vnet, info.pool_id) == 16
    assert_pool_consistent(emu, info.pool_id)
