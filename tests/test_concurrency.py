"""Concurrency (issue 7): two clients deploying the same VNet at once never create a duplicate allocation.

The offline Azure serialises writes per VNet and answers 409 AnotherOperationInProgress while an operation
runs (``lro_polls > 0``); a create racing a create meets ``If-None-Match: *`` (412). crossipam reads the VNet
again and plans again (``conflict_retries``), so each caller converges — or raises ConflictError — and the VNet
ends with exactly one allocation of the requested size.

The interleavings are forced, not hoped for: :class:`HoldVnetReads` holds every reader's GET until all of them
have read, and the ``*_between_read_and_write`` tests run a whole second deployment inside the first one's GET.

Whether real ARM honours ``If-Match`` on virtual networks is not documented, so every test that uses the
``if_match_honoured`` fixture runs twice: the offline Azure honouring it (its default) and ignoring it
(``vnet_honor_if_match=False``). Assertions that hold only with ``If-Match`` honoured sit under
``if if_match_honoured:``; docs/reliability.md lists what holds in each case.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from crossipam import (
    AllocationDecreaseError,
    ConflictError,
    CrossTenantIpamClient,
    InvalidAllocationError,
    NotFoundError,
    SubnetSpec,
    VirtualNetworkDeployment,
)
from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing._http import Request, Response

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, MakeClient
    from .fixtures.fault_world import PoolConsistent, VnetCount


VNET_PUT = r"/virtualNetworks/[^/]+$"


@pytest.fixture(params=[True, False], ids=["if-match-honoured", "if-match-ignored"])
def if_match_honoured(request: pytest.FixtureRequest, azure_emulator: AzureEmulator) -> bool:
    """Runs the test with the offline Azure honouring ``If-Match`` on VNet PUTs, and again ignoring it."""
    honoured = bool(request.param)
    azure_emulator.settings.vnet_honor_if_match = honoured
    return honoured


class HoldVnetReads:
    """Holds the offline Azure's answer to each GET of one VNet until ``parties`` GETs of it were answered — so
    every caller has read the VNet before any of them can write — or until a held read waited ``patience``
    seconds (then the hold opens for good).

    With crossipam's per-VNet lock the first reader holds that lock while its read is held, so no other read can
    arrive: the hold times out once and never holds more than one read (``most_held == 1``). Without the lock
    every thread reads the absent VNet and all of them write, every time.
    """

    def __init__(self, emu: AzureEmulator, vnet_name: str, parties: int, patience: float = 1.0) -> None:
        self._emu = emu
        self._suffix = f"/virtualnetworks/{vnet_name.lower()}"
        self._parties = parties
        self._patience = patience
        self._cond = threading.Condition()
        self._open = False
        self._held = 0
        self.reads = 0
        self.most_held = 0
        self.timed_out = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> HoldVnetReads:
        original = self._emu.handle

        def handle(req: Request) -> Response:
            resp = original(req)
            if req.method == "GET" and req.path.lower().endswith(self._suffix):
                self._hold()
            return resp

        monkeypatch.setattr(self._emu, "handle", handle)
        return self

    def _hold(self) -> None:
        with self._cond:
            self.reads += 1
            if self._open:
                return
            self._held += 1
            self.most_held = max(self.most_held, self._held)
            if self.reads >= self._parties:
                self._open = True
                self._cond.notify_all()
            elif not self._cond.wait_for(lambda: self._open, timeout=self._patience):
                self.timed_out = True
                self._open = True
                self._cond.notify_all()
            self._held -= 1


def _warm(client: CrossTenantIpamClient, info: ScenarioInfo, name: str) -> None:
    """Cache both tokens (and the SDK clients) before the race, so only the VNet's requests compete."""
    client.get_pool_usage(info.pool_id)
    with pytest.raises(NotFoundError):
        client.get_virtual_network_allocation(info.vnet_id(name))


def _deploy_all(info: ScenarioInfo, clients: list[CrossTenantIpamClient], name: str, count: int) -> list[Any]:
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


AssertOneAllocation = Callable[[AzureEmulator, ScenarioInfo, str, int], dict[str, Any]]


@pytest.fixture
def assert_one_allocation(
    vnet_count: VnetCount, assert_pool_consistent: PoolConsistent
) -> AssertOneAllocation:
    """``assert_one_allocation(emu, info, name, count)``: VNet ``name`` holds exactly one allocation of ``count``
    addresses, and the pool agrees (returns the VNet's body)."""

    def check(emu: AzureEmulator, info: ScenarioInfo, name: str, count: int) -> dict[str, Any]:
        vnet = emu.virtual_network(info.vnet_id(name))
        assert vnet is not None
        [alloc] = vnet["properties"]["addressSpace"]["ipamPoolPrefixAllocations"]
        assert int(alloc["numberOfIpAddresses"]) == count and vnet_count(vnet, info.pool_id) == count
        assert_pool_consistent(emu, info.pool_id)
        assert len(emu.network.associated_resources(info.pool_id)) == 1
        assert int(emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"]) == count
        return vnet

    return check


# ---- creates racing creates ------------------------------------------------------------------------------


@pytest.mark.parametrize("lro_polls", [0, 3])
def test_two_clients_same_vnet_never_duplicate(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    if_match_honoured: bool,
    lro_polls: int,
    make_client: MakeClient,
    info_of: InfoOf,
    assert_one_allocation: AssertOneAllocation,
) -> None:
    """Both clients read "absent" (their reads are held until both have read), so both send a create: one
    wins, the other meets 412 (``If-None-Match: *``) or 409 and re-reads. Holds with or without ``If-Match``."""
    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = lro_polls
    clients = [make_client(emu), make_client(emu)]
    try:
        for c in clients:
            _warm(c, info, "vnet-race")
        hold = HoldVnetReads(emu, "vnet-race", parties=2).install(monkeypatch)
        emu.journal.clear()
        outcomes = _deploy_all(info, clients, "vnet-race", 100)
    finally:
        for c in clients:
            c.close()
    assert hold.most_held == 2 and not hold.timed_out  # the race happened: both read before either wrote
    assert any(isinstance(o, VirtualNetworkDeployment) for o in outcomes), outcomes
    for o in outcomes:
        assert isinstance(o, (VirtualNetworkDeployment, ConflictError))
    actions = sorted(o.action for o in outcomes if isinstance(o, VirtualNetworkDeployment))
    assert actions in (["created"], ["created", "unchanged"]), actions
    puts = emu.journal.entries(service="arm", method="PUT", path=VNET_PUT)
    # one create reached the VNet, the other was refused (If-None-Match: * or the running operation)
    assert [e.status for e in puts if e.status < 400] == [201]
    assert {e.status for e in puts if e.status >= 400} in ({412}, {409}, {409, 412})
    assert_one_allocation(emu, info, "vnet-race", 100)


@pytest.mark.parametrize("lro_polls", [0, 3])
def test_one_client_many_threads_is_serialised_in_process(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    if_match_honoured: bool,
    lro_polls: int,
    make_client: MakeClient,
    info_of: InfoOf,
    assert_one_allocation: AssertOneAllocation,
) -> None:
    """Within one client, operations on one VNet are serialised (a per-VNet lock from the GET to the end of the
    LRO): no 409/412 ever reaches ARM. Each read is held until all four threads have read (or 1 s passed): with
    the lock, no second read arrives while the first is held; without it, all four create, every time."""
    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = lro_polls
    with make_client(emu) as client:
        _warm(client, info, "vnet-serial")
        hold = HoldVnetReads(emu, "vnet-serial", parties=4).install(monkeypatch)
        emu.journal.clear()
        outcomes = _deploy_all(info, [client] * 4, "vnet-serial", 64)
    assert all(isinstance(o, VirtualNetworkDeployment) for o in outcomes), outcomes
    assert sorted(o.action for o in outcomes) == ["created", "unchanged", "unchanged", "unchanged"]
    assert hold.most_held == 1 and hold.timed_out  # no read while another thread was between GET and PUT
    assert [e.status for e in emu.journal.entries(service="arm", method="PUT", path=VNET_PUT)] == [201]
    assert not [e for e in emu.journal.entries(service="arm") if e.status in (409, 412)]
    assert_one_allocation(emu, info, "vnet-serial", 64)


# ---- another deployment between crossipam's GET and PUT ---------------------------------------------------


def _grown(emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient, count: int) -> str:
    """A VNet with ``count`` pool addresses, no subnets, no tags."""
    with make_client(emu) as c:
        c.begin_deploy_virtual_network(
            info.vnet_id("vnet-grow"),
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=count,
        ).result()
    emu.journal.clear()
    return info.vnet_id("vnet-grow")


def _between_read_and_write(
    emu: AzureEmulator, monkeypatch: pytest.MonkeyPatch, other: Any
) -> dict[str, Any]:
    """Run ``other()`` (another client's deployment) inside the first GET of vnet-grow, after the offline Azure
    has answered it: the caller then writes on a stale read. Returns what ``other()`` returned."""
    original = emu.handle
    seen: dict[str, Any] = {}

    def handle(req: Request) -> Response:
        resp = original(req)
        if (
            "other" not in seen
            and req.method == "GET"
            and req.path.lower().endswith("/virtualnetworks/vnet-grow")
        ):
            seen["other"] = None  # the other deployment's own GET passes
            seen["other"] = other()
        return resp

    monkeypatch.setattr(emu, "handle", handle)
    return seen


@pytest.mark.parametrize("lro_polls", [0, 2])
def test_grow_between_read_and_write(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    if_match_honoured: bool,
    lro_polls: int,
    info_of: InfoOf,
    make_client: MakeClient,
    assert_one_allocation: AssertOneAllocation,
) -> None:
    """B reads the VNet (64); A grows it to 128 with a subnet and a tag and finishes; B's PUT (256) carries the
    ETag of its stale read. With ``If-Match`` honoured B's PUT is refused (412), B reads again and grows A's
    result: both changes survive. Without it the stale PUT lands: the allocation is still right, but A's subnet
    and tag are gone — the lost update docs/reliability.md warns about."""
    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = lro_polls
    vid = _grown(emu, info, make_client, 64)
    with make_client(emu) as a, make_client(emu) as b:
        seen = _between_read_and_write(
            emu,
            monkeypatch,
            lambda: a.begin_deploy_virtual_network(
                vid,
                location=info.location,
                pool_id=info.pool_id,
                number_of_ip_addresses=128,
                subnets=[SubnetSpec("app", 32)],
                tags={"by": "a"},
            ).result(),
        )
        result = b.begin_deploy_virtual_network(
            vid, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=256, tags={"by-b": "b"}
        ).result()
    assert seen["other"].action == "updated" and result.action == "updated"
    vnet = assert_one_allocation(
        emu, info, "vnet-grow", 256
    )  # either way: one allocation, the larger request
    b_puts = [e.status for e in emu.journal.entries(service="arm", method="PUT", path=VNET_PUT)][1:]
    subnets = [s["name"] for s in vnet["properties"].get("subnets") or []]
    if if_match_honoured:
        assert b_puts == [412, 200]
        assert subnets == ["app"] and vnet["tags"] == {"by": "a", "by-b": "b"}  # nothing lost
    else:
        assert b_puts == [200]
        assert subnets == [] and vnet["tags"] == {"by-b": "b"}  # A's subnet and tag overwritten


@pytest.mark.parametrize("lro_polls", [0, 2])
def test_shrink_between_read_and_write_is_refused(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    if_match_honoured: bool,
    lro_polls: int,
    info_of: InfoOf,
    make_client: MakeClient,
    assert_one_allocation: AssertOneAllocation,
) -> None:
    """B reads 64 and plans 128; A grows to 256 in between. B's request became a decrease: crossipam refuses it
    after the 412 (``AllocationDecreaseError``, nothing written) — or, without ``If-Match``, ARM refuses the stale
    PUT (400 ``IpamAllocationCannotBeDecreased``). Either way the VNet keeps 256."""
    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = lro_polls
    vid = _grown(emu, info, make_client, 64)
    with make_client(emu) as a, make_client(emu) as b:
        _between_read_and_write(
            emu,
            monkeypatch,
            lambda: a.begin_deploy_virtual_network(
                vid, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=256
            ).result(),
        )
        with pytest.raises((AllocationDecreaseError, InvalidAllocationError)) as caught:
            b.begin_deploy_virtual_network(
                vid, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=128
            ).result()
    if if_match_honoured:
        assert isinstance(caught.value, AllocationDecreaseError)
    else:
        assert isinstance(caught.value, InvalidAllocationError)
        assert caught.value.code == "IpamAllocationCannotBeDecreased"
    assert_one_allocation(emu, info, "vnet-grow", 256)


def test_overlapping_writes_are_serialised_by_409(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    if_match_honoured: bool,
    info_of: InfoOf,
    make_client: MakeClient,
    assert_one_allocation: AssertOneAllocation,
) -> None:
    """B reads; A's PUT is accepted and its operation is still running when B's PUT arrives: ARM answers 409
    AnotherOperationInProgress whatever the ETag, B waits, reads A's result and grows it. Nothing is lost with or
    without ``If-Match`` — as long as the writes overlap."""
    emu = azure_emulator
    info = info_of(emu)
    emu.settings.lro_polls = 2
    vid = _grown(emu, info, make_client, 64)
    original = emu.handle
    phase = {"name": "armed"}
    b_wrote = threading.Event()
    other: dict[str, Any] = {}

    def handle(req: Request) -> Response:
        if (
            req.method == "GET"
            and "/operations/" in req.path
            and phase["name"] in ("a-starting", "a-running")
        ):
            b_wrote.wait(timeout=10)  # A's operation does not progress until B's PUT was answered
        resp = original(req)
        is_vnet = req.path.lower().endswith("/virtualnetworks/vnet-grow")
        if phase["name"] == "armed" and req.method == "GET" and is_vnet:
            phase["name"] = "a-starting"
            other["poller"] = a.begin_deploy_virtual_network(
                vid,
                location=info.location,
                pool_id=info.pool_id,
                number_of_ip_addresses=128,
                subnets=[SubnetSpec("app", 32)],
                tags={"by": "a"},
            )
            phase["name"] = "a-running"
        elif phase["name"] == "a-running" and req.method == "PUT" and is_vnet:
            phase["name"] = "done"
            b_wrote.set()
            other["result"] = other["poller"].result()  # A finishes before B hears of its 409
        return resp

    with make_client(emu) as a, make_client(emu) as b:
        monkeypatch.setattr(emu, "handle", handle)
        result = b.begin_deploy_virtual_network(
            vid, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=256, tags={"by-b": "b"}
        ).result()
    assert other["result"].action == "updated" and result.action == "updated"
    puts = emu.journal.entries(service="arm", method="PUT", path=VNET_PUT)
    assert [(e.status, e.error_code) for e in puts] == [
        (200, None),
        (409, "AnotherOperationInProgress"),
        (200, None),
    ]
    vnet = assert_one_allocation(emu, info, "vnet-grow", 256)
    assert [s["name"] for s in vnet["properties"]["subnets"]] == ["app"]
    assert vnet["tags"] == {"by": "a", "by-b": "b"}


def test_create_race_when_arm_honours_no_conditional_header(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    info_of: InfoOf,
    make_client: MakeClient,
    assert_one_allocation: AssertOneAllocation,
) -> None:
    """The worst case, simulated: ARM ignores ``If-None-Match`` as well (the offline Azure's knob covers
    ``If-Match`` only, so the headers are stripped here). B reads "absent", A creates the VNet (with a tag), B's
    create lands on A's VNet. Still exactly one allocation — the pool reuses the VNet's blocks — but both callers
    report ``created`` and A's tag is lost."""
    emu = azure_emulator
    info = info_of(emu)
    vid = info.vnet_id("vnet-grow")
    original = emu.handle

    def unconditional(req: Request) -> Response:
        req.headers = {k: v for k, v in req.headers.items() if k.lower() not in ("if-match", "if-none-match")}
        return original(req)

    monkeypatch.setattr(emu, "handle", unconditional)
    with make_client(emu) as a, make_client(emu) as b:
        seen = _between_read_and_write(
            emu,
            monkeypatch,
            lambda: a.begin_deploy_virtual_network(
                vid, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64, tags={"by": "a"}
            ).result(),
        )
        result = b.begin_deploy_virtual_network(
            vid, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64
        ).result()
    assert seen["other"].action == "created" and result.action == "created"
    assert [e.status for e in emu.journal.entries(service="arm", method="PUT", path=VNET_PUT)] == [201, 200]
    vnet = assert_one_allocation(emu, info, "vnet-grow", 64)
    assert not vnet.get("tags")


def test_racing_growth_converges_to_the_larger_request(
    azure_emulator: AzureEmulator,
    if_match_honoured: bool,
    info_of: InfoOf,
    make_client: MakeClient,
    vnet_count: VnetCount,
    assert_pool_consistent: PoolConsistent,
) -> None:
    """Free-running threads (no forced interleaving): whatever the timing, one allocation of a requested size."""
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
    assert vnet is not None and vnet_count(vnet, info.pool_id) in (128, 256)
    assert any(isinstance(o, VirtualNetworkDeployment) for o in outcomes)
    assert_pool_consistent(emu, info.pool_id)
