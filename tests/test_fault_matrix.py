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
ones) and ``EXPECTED_FAILING`` (an error cell names the exact class raised); docs/reliability.md shows both
tables, and ``test_docs_table_matches_expected`` keeps them in step (``python -m tests.test_fault_matrix``
prints them).
"""

from __future__ import annotations

import copy
import ipaddress
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.core.pipeline.transport import RequestsTransport

from crossipam import (
    AuthenticationError,
    AzureServiceError,
    CrossIpamError,
    CrossTenantIpamClient,
    OperationFailedError,
    PoolAllocation,
    PoolUsage,
    SubnetSpec,
    VirtualNetworkDeployment,
)
from crossipam.errors import AdminCredentialError
from crossipam.onboarding import OnboardingResult
from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing._http import Request, Response
from crossipam.testing.transport import emulator_session

from .test_client_e2e import cloud_of, info_of
from .test_onboarding import FakeSleep, _onboard

CONVERGES = "converges"

#: "redeploy" repeats the seeded VNet's own request (same count, same subnets): one GET, no write.
OPERATIONS = ("onboard", "deploy", "grow", "redeploy", "remove", "usage", "allocations")

#: (operation, fault) -> CONVERGES or the exact typed error raised. Cells that do not apply are absent.
EXPECTED: dict[tuple[str, str], str | type[CrossIpamError]] = {}
_VNET_OPS = ("deploy", "grow", "remove")
_READ_OPS = ("usage", "allocations")
for _op in OPERATIONS:
    for _fault in ("throttled-429", "server-500", "unavailable-503", "dropped-connection", "read-timeout"):
        EXPECTED[(_op, _fault)] = CONVERGES
    EXPECTED[(_op, "token-expiry")] = CONVERGES
    EXPECTED[(_op, "clock-skew")] = AdminCredentialError if _op == "onboard" else AuthenticationError
for _op in ("onboard", *_VNET_OPS, "redeploy"):
    EXPECTED[(_op, "lost-response")] = CONVERGES
for _op in OPERATIONS:
    EXPECTED[(_op, "throttled-429-bad-retry-after")] = CONVERGES
for _op in _VNET_OPS:
    EXPECTED[(_op, "lro-failed")] = OperationFailedError
    EXPECTED[(_op, "conflict-409")] = CONVERGES
    EXPECTED[(_op, "concurrent-deploy")] = CONVERGES
for _op in (*_VNET_OPS, "redeploy"):
    EXPECTED[(_op, "etag-412")] = CONVERGES
    EXPECTED[(_op, "aux-token-expired")] = AuthenticationError
EXPECTED[("onboard", "principal-not-found")] = CONVERGES
EXPECTED[("onboard", "graph-404-after-create")] = CONVERGES

#: The same cells when every VNet operation fails: a write that Azure did not apply is never a result — each
#: deploy/grow/remove raises OperationFailedError (what Azure ended with), except where a token is refused before
#: any write. Reads and onboarding start no VNet operation.
EXPECTED_FAILING: dict[tuple[str, str], str | type[CrossIpamError]] = {
    key: (
        OperationFailedError if key[0] in _VNET_OPS and value in (CONVERGES, OperationFailedError) else value
    )
    for key, value in EXPECTED.items()
}

#: mode -> (lro_polls, what a failed write leaves — None: operations do not fail)
LRO_MODES: dict[str, tuple[int, str | None]] = {
    "instant": (0, None),
    "slow": (2, None),
    "failing-rollback": (2, "rollback"),
    "failing-left-failed": (2, "failed"),
}


def expected_outcome(op: str, fault: str, mode: str) -> str | type[CrossIpamError]:
    """The expected outcome of one cell in one LRO mode."""
    table = EXPECTED_FAILING if LRO_MODES[mode][1] is not None else EXPECTED
    return table[(op, fault)]


#: faults of the bulk row (``test_bulk_deploy_many_converges``), as the table names them
BULK_FAULTS = {
    "server-500": "500",
    "dropped-connection": "dropped connection",
    "conflict-409": "409",
    "lost-response": "lost response",
}

RICH = "vnet-rich"
NEW = "vnet-new"
LIFETIME = 3600


# ---- the world ------------------------------------------------------------------------------------------


@dataclass
class World:
    emu: AzureEmulator
    info: ScenarioInfo
    op: str
    fault: str
    mode: str = "instant"
    rich_before: dict[str, Any] | None = None
    #: extra seconds added to time.time() for everyone (token expiry "time passes")
    offset: float = 0.0


def _rg_id(info: ScenarioInfo) -> str:
    return f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"


def _seed_rich_vnet(emu: AzureEmulator, info: ScenarioInfo) -> dict[str, Any]:
    """A VNet with 64 pool addresses, two pool subnets, tags, DNS servers and other properties."""
    pool = info.pool_id
    vid = emu.network.add_virtual_network(
        _rg_id(info),
        RICH,
        location=info.location,
        ipam_allocations=[(pool, 64)],
        subnets=[
            {
                "name": "app",
                "properties": {
                    "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "16", "pool": {"id": pool}}]
                },
            },
            {
                "name": "data",
                "properties": {
                    "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "8", "pool": {"id": pool}}]
                },
            },
        ],
        api_version="2024-05-01",
    )
    with emu.lock:
        body = emu.network.vnets[vid.lower()].body
        body["tags"] = {"owner": "platform", "cost-center": "42"}
        props = body["properties"]
        props["dhcpOptions"] = {"dnsServers": ["10.200.0.4", "10.200.0.5"]}
        props["enableDdosProtection"] = False
        props["flowTimeoutInMinutes"] = 10
    rich = emu.virtual_network(vid)
    assert rich is not None
    return rich


def _world(emu: AzureEmulator, op: str, fault: str, mode: str = "instant") -> World:
    info = info_of(emu)
    w = World(emu, info, op, fault, mode)
    if op != "onboard":
        w.rich_before = _seed_rich_vnet(emu, info)
    polls, failed_write = LRO_MODES[mode]
    emu.settings.lro_polls = polls
    if failed_write is not None:
        emu.settings.failed_write = failed_write  # type: ignore[assignment]
        emu.network.fail_next_operation(
            "InternalServerError",
            "The operation failed (injected).",
            resource_type="virtualNetworks",
            times=1000,
        )
    emu.journal.clear()
    return w


def _client(w: World, **overrides: Any) -> CrossTenantIpamClient:
    kwargs: dict[str, Any] = {
        "managed_tenant_id": w.info.managed_tenant_id,
        "management_tenant_id": w.info.management_tenant_id,
        "cloud": cloud_of(w.info),
        "transport": w.emu.transport(),
        "polling_interval": 0,
        "retry_total": 3,
        "retry_backoff_factor": 0,
        "retry_backoff_max": 0,
        **overrides,
    }
    return CrossTenantIpamClient.from_client_secret(w.info.app.client_id, w.info.app.client_secret, **kwargs)


# ---- where each operation is hit --------------------------------------------------------------------------


def _target(op: str) -> tuple[str, str]:
    """(method, path regex) of the request the fault hits."""
    if op == "onboard":
        return "POST", r"/v1\.0/servicePrincipals$"
    if op == "deploy":
        return "PUT", rf"/virtualNetworks/{NEW}$"
    if op in ("grow", "remove"):
        return "PUT", rf"/virtualNetworks/{RICH}$"
    if op == "redeploy":
        return "GET", rf"/virtualNetworks/{RICH}$"  # its only request to the VNet
    if op == "usage":
        return "POST", r"/getPoolUsage$"
    return "POST", r"/listAssociatedResources$"


def _hook(w: World, monkeypatch: pytest.MonkeyPatch, after: Callable[[Request, Response], bool]) -> None:
    """Call ``after(request, response)`` after each request the offline Azure answers, until it returns True."""
    original = w.emu.handle
    state = {"done": False}

    def handle(req: Request) -> Response:
        resp = original(req)
        if not state["done"]:
            state["done"] = after(req, resp)
        return resp

    monkeypatch.setattr(w.emu, "handle", handle)


def _pass_time(w: World, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Time passes for everyone (MSAL's cache, azure-core's policies, the offline Azure's clock)."""
    real = time.time
    w.offset += seconds
    offset = w.offset
    monkeypatch.setattr(time, "time", lambda: real() + offset)


def _concurrent_writer(w: World) -> None:
    """Someone else writes the VNet: a tag, and for the new VNet the whole VNet (same allocation)."""
    emu, info = w.emu, w.info
    if w.op == "deploy":
        emu.network.add_virtual_network(
            _rg_id(info), NEW, location=info.location, ipam_allocations=[(info.pool_id, 100)]
        )
    with emu.lock:
        name = NEW if w.op == "deploy" else RICH
        body = emu.network.vnets[info.vnet_id(name).lower()].body
        body.setdefault("tags", {})["changed-by"] = "other-writer"
        body["etag"] = f'W/"{uuid.uuid4()}"'


def _arm_fault(w: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Arm the fault; returns client overrides."""
    emu, fault = w.emu, w.fault
    method, path = _target(w.op)
    overrides: dict[str, Any] = {}
    if fault == "throttled-429":
        emu.faults.add(method, path, status=429, code="TooManyRequests", retry_after=0, times=2)
    elif fault == "throttled-429-bad-retry-after":
        emu.faults.add(method, path, status=429, code="TooManyRequests", retry_after="soon", times=2)
    elif fault == "server-500":
        emu.faults.add(method, path, status=500, code="InternalServerError")
    elif fault == "unavailable-503":
        emu.faults.add(method, path, status=503, code="ServiceUnavailable", retry_after=0)
    elif fault == "dropped-connection":
        emu.faults.add(method, path, drop_connection=True)
    elif fault == "lost-response":
        emu.faults.add(method, path, drop_connection=True, when="after")
    elif fault == "read-timeout":
        emu.faults.add(method, path, latency=0.3, when="after", status=200, code="Late")
        # a caller-supplied transport carries its own timeouts (azure-core ignores read_timeout= then)
        overrides["transport"] = RequestsTransport(
            session=emulator_session(emu), session_owner=False, read_timeout=0.1
        )
    elif fault == "lro-failed":
        emu.network.fail_next_operation("InternalServerError", "The operation failed (injected).")
    elif fault == "conflict-409":
        emu.faults.add(method, path, status=409, code="AnotherOperationInProgress")
    elif fault == "etag-412":
        name = NEW if w.op == "deploy" else RICH

        def after_get(req: Request, resp: Response) -> bool:
            if req.method == "GET" and req.path.lower().endswith(f"/virtualnetworks/{name}"):
                _concurrent_writer(w)
                return True
            return False

        _hook(w, monkeypatch, after_get)
    elif fault == "concurrent-deploy":
        name = NEW if w.op == "deploy" else RICH
        # the other client starts its operation and walks away: its poller polls once, then sleeps for an hour,
        # so the operation is still in flight when crossipam reads the VNet again
        other = _client(w, polling_interval=3600)
        started: list[Any] = []

        def after_read(req: Request, resp: Response) -> bool:
            if not started and req.method == "GET" and req.path.lower().endswith(f"/virtualnetworks/{name}"):
                # another client starts the very same operation (its own GET passes) and does not wait for it
                started.append(None)
                started.append(_begin_op(w, other))
                return True
            return False

        _hook(w, monkeypatch, after_read)
    elif fault == "clock-skew":
        pass  # armed in _run once the tokens are cached: ARM's clock moves, the client's does not
    elif fault == "aux-token-expired":
        pass  # armed in _run once the management-tenant token is cached
    elif fault == "token-expiry":
        pass  # armed in _run after a first call cached the tokens
    else:  # pragma: no cover
        raise AssertionError(fault)
    return overrides


# ---- running one cell --------------------------------------------------------------------------------------


def _run_client_op(w: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    overrides = _arm_fault(w, monkeypatch)
    info = w.info
    if w.fault == "aux-token-expired":
        w.emu.settings.token_lifetime = 600
    with _client(w, **overrides) as client:
        if w.fault in ("token-expiry", "aux-token-expired", "clock-skew"):
            client.get_pool_usage(info.pool_id)  # caches the management-tenant token
            # the managed-tenant token (issued next) lives longer than the management-tenant one
            w.emu.settings.token_lifetime = LIFETIME
            client.get_virtual_network_allocation(info.vnet_id(RICH))  # caches the managed-tenant token
        if w.fault == "token-expiry":
            _pass_time(w, monkeypatch, LIFETIME + 600)
        if w.fault == "clock-skew":
            w.emu.clock.advance(LIFETIME + 600)
        if w.fault == "aux-token-expired":
            # the managed-tenant token stays valid at ARM; the management-tenant (auxiliary) one expired,
            # though its holder (MSAL, the auxiliary policy) was told it lives for another 10 minutes
            w.emu.clock.advance(700)
        w.emu.journal.clear()
        if w.op in ("deploy", "grow", "redeploy", "remove"):
            return _begin_op(w, client).result()
        if w.op == "usage":
            return client.get_pool_usage(info.pool_id)
        return client.list_pool_allocations(info.pool_id)


def _begin_op(w: World, client: CrossTenantIpamClient) -> Any:
    """Start the cell's VNet operation; returns its poller."""
    info = w.info
    if w.op == "deploy":
        return client.begin_deploy_virtual_network(
            info.vnet_id(NEW),
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=100,
            subnets=[SubnetSpec("app", 32)],
            tags={"env": "test"},
        )
    if w.op in ("grow", "redeploy"):
        return client.begin_deploy_virtual_network(
            info.vnet_id(RICH),
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=128 if w.op == "grow" else 64,
            subnets=[SubnetSpec("app", 16), SubnetSpec("data", 8)],
        )
    assert w.op == "remove"
    return client.begin_remove_allocation(info.vnet_id(RICH))


def _run_onboard(w: World, monkeypatch: pytest.MonkeyPatch) -> OnboardingResult:
    emu = w.emu
    overrides: dict[str, Any] = {
        "retry_total": 3,
        "retry_backoff_factor": 0,
        "retry_backoff_max": 0,
        "sleep": FakeSleep(emu),
    }
    if w.fault in ("principal-not-found", "graph-404-after-create", "token-expiry", "clock-skew"):
        if w.fault == "principal-not-found":
            emu.faults.add(
                "PUT",
                r"/roleAssignments/",
                status=400,
                code="PrincipalNotFound",
                message=f"Principal {uuid.uuid4().hex} does not exist in the directory "
                f"{w.info.management_tenant_id}. Check that you have the correct principal ID. If you are "
                "creating this principal and then immediately assigning a role, this error might be related "
                "to a replication delay.",
                times=3,
            )
        elif w.fault == "graph-404-after-create":
            emu.settings.replication_delay = 20
        else:

            def after_create(req: Request, resp: Response) -> bool:
                if req.method == "POST" and req.path.lower().endswith("/serviceprincipals"):
                    if w.fault == "token-expiry":
                        _pass_time(w, monkeypatch, LIFETIME + 600)
                    else:
                        emu.clock.advance(LIFETIME + 600)
                    return True
                return False

            _hook(w, monkeypatch, after_create)
    else:
        overrides.update(_arm_fault(w, monkeypatch))
    return _onboard(emu, **overrides)


# ---- the end state -----------------------------------------------------------------------------------------


def _count(entries: list[dict[str, Any]] | None, pool_id: str) -> int:
    return sum(
        int(e["numberOfIpAddresses"])
        for e in entries or []
        if str((e.get("pool") or {}).get("id", "")).lower() == pool_id.lower()
    )


def _vnet_count(vnet: dict[str, Any], pool_id: str) -> int:
    return _count(vnet["properties"]["addressSpace"].get("ipamPoolPrefixAllocations"), pool_id)


def assert_pool_consistent(emu: AzureEmulator, pool_id: str) -> None:
    """No duplicate allocation: the pool's usage is the sum of what the VNets hold, each VNet listed once."""
    with emu.lock:
        held = sum(
            ipaddress.ip_network(b).num_addresses
            for v in emu.network.vnets.values()
            for pid, blocks in v.allocations()
            if pid.lower() == pool_id.lower()
            for b in map(str, blocks)
        )
        counts = sum(_vnet_count(v.body, pool_id) for v in emu.network.vnets.values())
    usage = emu.pool_usage(pool_id)
    assert int(usage["numberOfAllocatedIPAddresses"]) == held == counts
    ids = [r["resourceId"].lower() for r in emu.network.associated_resources(pool_id)]
    assert len(ids) == len(set(ids)), ids


def _fingerprint(vnet: dict[str, Any]) -> dict[str, Any]:
    """What must never be lost: subnets (names, prefixes), tags, DNS servers, other properties."""
    props = vnet["properties"]
    return {
        "subnets": {
            s["name"]: sorted(
                s["properties"].get("addressPrefixes") or [s["properties"].get("addressPrefix")]
            )
            for s in props.get("subnets") or []
        },
        "tags": {k: v for k, v in (vnet.get("tags") or {}).items() if k not in ("changed-by", "env")},
        "dns": props.get("dhcpOptions"),
        "ddos": props.get("enableDdosProtection"),
        "flow": props.get("flowTimeoutInMinutes"),
        "location": vnet.get("location"),
    }


def _vnet_prefixes(vnet: dict[str, Any]) -> set[str]:
    return set(vnet["properties"]["addressSpace"].get("addressPrefixes") or [])


#: faults armed with ``emulator.faults`` (the journal marks the requests they answered)
_INJECTED = frozenset(
    {
        "throttled-429",
        "throttled-429-bad-retry-after",
        "server-500",
        "unavailable-503",
        "dropped-connection",
        "lost-response",
        "read-timeout",
        "conflict-409",
    }
)


def _state(vnet: dict[str, Any] | None) -> str | None:
    return None if vnet is None else vnet["properties"].get("provisioningState")


def _assert_result_matches(outcome: VirtualNetworkDeployment, vnet: dict[str, Any] | None) -> None:
    """A VNet call's result is what the offline Azure holds, in a terminal (Succeeded) state."""
    assert vnet is not None
    assert outcome.provisioning_state == "Succeeded" == _state(vnet), (
        outcome.provisioning_state,
        _state(vnet),
    )
    assert sorted(str(p) for p in outcome.address_prefixes) == sorted(_vnet_prefixes(vnet))
    assert {str(a.pool_id).lower(): a.number_of_ip_addresses for a in outcome.allocations} == {
        str(e["pool"]["id"]).lower(): int(e["numberOfIpAddresses"])
        for e in vnet["properties"]["addressSpace"].get("ipamPoolPrefixAllocations") or []
    }


def assert_end_state(w: World, outcome: Any) -> None:
    emu, info = w.emu, w.info
    pool = info.pool_id
    assert_pool_consistent(emu, pool)
    converged = not isinstance(outcome, BaseException)
    # no operation is left running in the offline Azure once the call returned or raised
    assert not any(
        not op.done for op in emu.network.operations._ops.values() if w.fault != "concurrent-deploy"
    )
    if w.op == "onboard":
        sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
        assert emu.state.applications[info.app.client_id].is_multitenant or not converged
        if converged:
            assert sp is not None and isinstance(outcome, OnboardingResult)
            assert outcome.service_principal_object_id == sp.object_id
        if sp is not None:
            mine = [
                ra
                for ra in emu.state.role_assignments.values()
                if ra.principal_id == sp.object_id and ra.scope.lower() == pool.lower()
            ]
            assert len(mine) <= 1 and (len(mine) == 1 or not converged), mine
        return
    rich = emu.virtual_network(info.vnet_id(RICH))
    assert rich is not None and w.rich_before is not None
    #: the call raised what Azure ended with; the offline Azure must show that it did not apply the change
    failed = isinstance(outcome, OperationFailedError)
    left_failed = LRO_MODES[w.mode][1] == "failed"
    if w.op != "remove" or not converged:
        # nothing lost on the rich VNet; subnet prefixes never move
        assert _fingerprint(rich)["subnets"] == _fingerprint(w.rich_before)["subnets"]
        assert _fingerprint(rich)["tags"] == _fingerprint(w.rich_before)["tags"]
        if not (w.op == "remove" and failed and left_failed):
            assert _fingerprint(rich) == _fingerprint(w.rich_before) or w.op == "grow"
            assert _vnet_prefixes(w.rich_before) <= _vnet_prefixes(rich)
    if w.fault == "aux-token-expired":
        assert isinstance(outcome, AuthenticationError)
        assert outcome.tenant_id == info.management_tenant_id and outcome.code == "ExpiredAuthenticationToken"
    if w.fault == "clock-skew" and isinstance(outcome, AuthenticationError):
        assert outcome.code == "ExpiredAuthenticationToken" and "clock" in (outcome.hint or "")
    if w.fault in ("lost-response", "etag-412", "conflict-409") and w.op in _VNET_OPS:
        puts = emu.journal.entries(service="arm", method="PUT", path="/virtualNetworks/")
        assert any(e.status in (409, 412) for e in puts) or w.fault == "lost-response"
    if w.fault == "concurrent-deploy":
        puts = emu.journal.entries(service="arm", method="PUT", path="/virtualNetworks/")
        assert len(puts) >= 2 and any(e.status in (409, 412) for e in puts), [e.status for e in puts]
    if w.fault in _INJECTED:
        assert any(e.fault for e in emu.journal), f"{w.op}/{w.fault}: the fault never fired"
    if w.fault == "token-expiry":
        assert emu.journal.token_requests(), "time passed: fresh tokens were requested"
    if w.fault == "etag-412" and w.op in ("grow", "redeploy", "remove"):
        assert (rich.get("tags") or {}).get(
            "changed-by"
        ) == "other-writer"  # the other writer's change is kept
    if failed:
        assert outcome.provisioning_state in (None, "Failed") and outcome.hint
    if w.op == "deploy":
        new = emu.virtual_network(info.vnet_id(NEW))
        if converged:
            assert isinstance(outcome, VirtualNetworkDeployment)
            assert new is not None and _vnet_count(new, pool) == 100
            assert [s["name"] for s in new["properties"]["subnets"]] == ["app"]
            assert (new.get("tags") or {}).get("env") == "test"
            if w.fault == "etag-412":
                assert new["tags"]["changed-by"] == "other-writer"
            _assert_result_matches(outcome, new)
        elif failed:
            # never created, rolled back (to nothing, or to another writer's VNet), or left Failed — never the
            # requested VNet Succeeded while the caller was told it failed
            asked = new is not None and [x["name"] for x in new["properties"].get("subnets") or []] == ["app"]
            assert new is None or _state(new) == "Failed" or not asked, _state(new)
        else:
            assert new is None or _vnet_count(new, pool) == 100
    elif w.op == "grow":
        if converged:
            assert isinstance(outcome, VirtualNetworkDeployment)
            assert _vnet_count(rich, pool) == 128
            assert sum(ipaddress.ip_network(p).num_addresses for p in _vnet_prefixes(rich)) == 128
            _assert_result_matches(outcome, rich)
        elif failed:
            assert (_vnet_count(rich, pool) == 64 and _state(rich) == "Succeeded") or _state(rich) == "Failed"
        else:
            assert _vnet_count(rich, pool) in (64, 128)
    elif w.op == "redeploy":
        # nothing to change: no write whatever the fault, the VNet exactly as seeded (plus another writer's tag)
        assert not emu.journal.writes(), emu.journal.writes()
        if converged:
            assert isinstance(outcome, VirtualNetworkDeployment) and outcome.action == "unchanged"
            _assert_result_matches(outcome, rich)
        now, before = copy.deepcopy(rich), copy.deepcopy(w.rich_before)
        (now.get("tags") or {}).pop("changed-by", None)
        for body in (now, before):
            body.pop("etag", None)
        assert now == before
    elif w.op == "remove":
        if converged:
            assert isinstance(outcome, VirtualNetworkDeployment) and not outcome.allocations
            assert not rich["properties"]["addressSpace"].get("ipamPoolPrefixAllocations")
            assert _vnet_prefixes(rich) == _vnet_prefixes(w.rich_before)
            before, after = _fingerprint(w.rich_before), _fingerprint(rich)
            assert before == after, (before, after)
            _assert_result_matches(outcome, rich)
        elif failed:
            assert (_vnet_count(rich, pool) == 64 and _state(rich) == "Succeeded") or _state(rich) == "Failed"
            assert _vnet_prefixes(rich) == _vnet_prefixes(w.rich_before)  # never renumbered
        else:
            assert _vnet_count(rich, pool) == 64
    elif w.op == "usage":
        if converged:
            assert isinstance(outcome, PoolUsage)
            assert outcome.number_of_allocated_ip_addresses == int(
                emu.pool_usage(pool)["numberOfAllocatedIPAddresses"]
            )
            assert outcome.number_of_allocated_ip_addresses == 64
    elif w.op == "allocations" and converged:
        assert isinstance(outcome, list) and all(isinstance(a, PoolAllocation) for a in outcome)
        assert [a.resource_id.name for a in outcome] == [RICH]


# ---- the matrix --------------------------------------------------------------------------------------------


def _cells() -> Iterator[Any]:
    for mode in LRO_MODES:
        for op, fault in EXPECTED:
            yield pytest.param(op, fault, mode, expected_outcome(op, fault, mode), id=f"{mode}-{op}-{fault}")


#: An upper bound on the ARM requests of one cell: retries and waits are bounded, never a loop.
MAX_ARM_REQUESTS = 40


@pytest.mark.parametrize(("op", "fault", "mode", "expected"), list(_cells()))
def test_fault_matrix(
    op: str,
    fault: str,
    mode: str,
    expected: str | type[CrossIpamError],
    monkeypatch: pytest.MonkeyPatch,
    azure_emulator: AzureEmulator,
    azure_emulator_fresh: AzureEmulator,
) -> None:
    emu = azure_emulator_fresh if op == "onboard" else azure_emulator
    w = _world(emu, op, fault, mode)
    outcome: Any
    try:
        outcome = _run_onboard(w, monkeypatch) if op == "onboard" else _run_client_op(w, monkeypatch)
    except CrossIpamError as err:
        outcome = err
    if expected == CONVERGES:
        assert not isinstance(outcome, BaseException), f"{op}/{fault} raised {outcome!r}"
    else:
        assert isinstance(expected, type)
        # the exact class (the table in docs/reliability.md names it), not only a base class
        assert type(outcome) is expected, f"{op}/{fault}: expected {expected.__name__}, got {outcome!r}"
        assert str(outcome) and outcome.hint
    assert_end_state(w, outcome)
    assert len(emu.journal.entries(service="arm")) <= MAX_ARM_REQUESTS


def test_matrix_covers_every_operation_and_fault() -> None:
    ops = {op for op, _ in EXPECTED}
    assert ops == set(OPERATIONS)
    assert {fault for _, fault in EXPECTED} == set(FAULT_LABELS)
    assert len(EXPECTED) >= 60


# ---- the table in docs/reliability.md ----------------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
#: column headers of the docs table, in order
OPERATION_LABELS = {
    "onboard": "onboard",
    "deploy": "deploy (new VNet)",
    "grow": "grow (existing VNet)",
    "redeploy": "redeploy (nothing to change)",
    "remove": "remove",
    "usage": "pool usage",
    "allocations": "pool allocations",
}
#: row labels of the docs table, in order
FAULT_LABELS = {
    "throttled-429": "429 with `Retry-After`",
    "throttled-429-bad-retry-after": "429 with `Retry-After: soon` (unparsable)",
    "server-500": "500",
    "unavailable-503": "503",
    "dropped-connection": "dropped connection",
    "lost-response": "lost response (service acted, connection dropped)",
    "read-timeout": "read timeout (answer after `read_timeout`)",
    "lro-failed": "LRO ends `Failed`",
    "conflict-409": "409 `AnotherOperationInProgress`",
    "etag-412": "concurrent writer between GET and PUT (412)",
    "concurrent-deploy": "another client starts the same operation between GET and PUT",
    "principal-not-found": "`PrincipalNotFound` for a while",
    "graph-404-after-create": "Graph 404 after create (replication)",
    "token-expiry": "token expiry mid-run (time passes)",
    "clock-skew": "clock skew (ARM: token expired; client: fresh)",
    "aux-token-expired": "expired auxiliary token",
}
BULK_LABEL = "bulk `deploy_many`: " + ", ".join(BULK_FAULTS.values())


#: the line each table of docs/reliability.md starts with, and the expectations it shows
TABLES = {
    "| fault ↓ / operation → (operations succeed) |": "succeed",
    "| fault ↓ / operation → (operations fail) |": "fail",
}


def _cell_text(value: str | type[CrossIpamError] | None) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else f"`{value.__name__}`"


def render_tables() -> str:
    """The two fault-matrix tables of docs/reliability.md, as ``EXPECTED``/``EXPECTED_FAILING`` say."""
    out: list[str] = []
    for first, which in TABLES.items():
        expected = EXPECTED if which == "succeed" else EXPECTED_FAILING
        header = [first.strip("| ").strip(), *(OPERATION_LABELS[op] for op in OPERATIONS)]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join("---" for _ in header) + "|")
        for fault, label in FAULT_LABELS.items():
            cells = [_cell_text(expected.get((op, fault))) for op in OPERATIONS]
            out.append("| " + " | ".join([label, *cells]) + " |")
        if which == "succeed":
            bulk = [CONVERGES if op == "deploy" else None for op in OPERATIONS]
            out.append("| " + " | ".join([BULK_LABEL, *(_cell_text(c) for c in bulk)]) + " |")
        out.append("")
    return "\n".join(out)


def _docs_table(first: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one fault-matrix table in docs/reliability.md (cells stripped)."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    header, separator, *rows = table
    assert set("".join(separator)) <= set("-:"), separator
    return header, rows


def _cell_outcome(cell: str) -> str | None:
    """``converges`` (with or without a note), the error class a cell names, or None for ``—``."""
    if cell == "—":
        return None
    if cell.startswith(CONVERGES):
        return CONVERGES
    m = re.fullmatch(r"`(\w+)`(?: \(.+\))?", cell)
    assert m, f"unreadable cell {cell!r}: write converges, `ErrorClass` (note) or —"
    return m.group(1)


@pytest.mark.parametrize("first", list(TABLES))
def test_docs_table_matches_expected(first: str) -> None:
    """docs/reliability.md's fault-matrix tables say exactly what ``EXPECTED``/``EXPECTED_FAILING`` (and the
    bulk test) check."""
    header, rows = _docs_table(first)
    assert header[1:] == [OPERATION_LABELS[op] for op in OPERATIONS]
    which = TABLES[first]
    matrix = rows[:-1] if which == "succeed" else rows
    assert [row[0] for row in matrix] == list(FAULT_LABELS.values())
    documented: dict[tuple[str, str], str] = {}
    for row, fault in zip(matrix, FAULT_LABELS, strict=True):
        assert len(row) == len(header), row
        for op, cell in zip(OPERATIONS, row[1:], strict=True):
            outcome = _cell_outcome(cell)
            if outcome is not None:
                documented[(op, fault)] = outcome
    expected = EXPECTED if which == "succeed" else EXPECTED_FAILING
    tested = {key: v if isinstance(v, str) else v.__name__ for key, v in expected.items()}
    missing = {k: v for k, v in tested.items() if documented.get(k) != v}
    extra = {k: v for k, v in documented.items() if k not in tested}
    assert not missing and not extra, f"tested but not documented so: {missing}; documented only: {extra}"
    if which == "succeed":
        bulk = rows[-1]
        assert bulk[0] == BULK_LABEL
        assert [_cell_outcome(c) for c in bulk[1:]] == [
            CONVERGES if op == "deploy" else None for op in OPERATIONS
        ]


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
    op: str, fault: str, error_code: str | None, azure_emulator: AzureEmulator
) -> None:
    from crossipam import ThrottledError, TransportError

    emu = azure_emulator
    w = _world(emu, op, fault)
    method, path = _target(op)
    if fault == "dropped-connection":
        emu.faults.add(method, path, drop_connection=True, times=100)
    else:
        status = 429 if fault == "throttled-429" else 500
        emu.faults.add(method, path, status=status, code=str(error_code), retry_after=0, times=100)
    before = copy.deepcopy(emu.virtual_network(w.info.vnet_id(RICH)))
    with _client(w) as client, pytest.raises(AzureServiceError) as caught:
        if op == "deploy":
            client.begin_deploy_virtual_network(
                w.info.vnet_id(NEW),
                location=w.info.location,
                pool_id=w.info.pool_id,
                number_of_ip_addresses=8,
            ).result()
        elif op == "grow":
            client.begin_deploy_virtual_network(
                w.info.vnet_id(RICH),
                location=w.info.location,
                pool_id=w.info.pool_id,
                number_of_ip_addresses=128,
            ).result()
        elif op == "remove":
            client.begin_remove_allocation(w.info.vnet_id(RICH)).result()
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
    assert emu.virtual_network(w.info.vnet_id(NEW)) is None
    assert emu.virtual_network(w.info.vnet_id(RICH)) == before
    assert_pool_consistent(emu, w.info.pool_id)


# ---- bulk (when the client offers it) ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", list(BULK_FAULTS))
def test_bulk_deploy_many_converges(fault: str, azure_emulator: AzureEmulator) -> None:
    if not hasattr(CrossTenantIpamClient, "deploy_many"):
        pytest.skip("CrossTenantIpamClient.deploy_many is not there yet")
    from crossipam.models import DeploymentSpec

    emu = azure_emulator
    w = _world(emu, "deploy", fault)
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
    with _client(w) as client:
        results = client.deploy_many(specs, sleep=lambda _s: None)
    assert len(results) == len(names)
    for n in names:
        vnet = emu.virtual_network(info.vnet_id(n))
        assert vnet is not None and _vnet_count(vnet, info.pool_id) == 16
    assert_pool_consistent(emu, info.pool_id)


if __name__ == "__main__":  # python -m tests.test_fault_matrix: the tables for docs/reliability.md
    print(render_tables())
