"""crossipam.aio onboarding against the offline Azure, with the real azure.identity.aio, azure-core
AsyncPipelineClient, azure.mgmt.authorization.aio and azure.mgmt.network.aio — in process and over HTTPS (aiohttp) —
and its parity with the sync functions: the same steps, statuses, details, requests, waits and typed errors on the
same scenario."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, Mock, call

import pytest

import crossipam.aio
import crossipam.onboarding as sync_onboarding
from crossipam.aio.onboarding import offboard_service_principal, onboard_service_principal
from crossipam.errors import (
    AdminCredentialError,
    AppNotOnboardedError,
    InsufficientPrivilegesError,
    InvalidInputError,
    LinkedAuthorizationError,
    OnboardingError,
    ReplicationPendingError,
    RoleDefinitionNotFoundError,
)
from crossipam.onboarding import (
    IPAM_POOL_USER_ROLE_ID,
    STEP_ASSIGN_POOL_ROLE,
    STEP_CHECK_CONNECTION,
    STEP_CREATE_SERVICE_PRINCIPAL,
    STEP_DELETE_SERVICE_PRINCIPAL,
    STEP_MAKE_MULTITENANT,
    STEP_REMOVE_ROLE_ASSIGNMENT,
    OffboardingResult,
    OnboardingResult,
    role_assignment_name,
)
from crossipam.testing import AdminCredentials, AzureEmulator, ScenarioInfo

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, NetKwargs
    from .fixtures.onboarding import (
        AsyncDeployVnet,
        AsyncOffboard,
        AsyncOnboard,
        FakeAsyncSleep,
        FakeSleep,
        Offboard,
        Onboard,
        StepStatuses,
    )


# ------------------------------------------------------------------------------------------------
# the public surface


def test_exported_from_crossipam_aio_with_the_sync_signatures() -> None:
    assert crossipam.aio.onboard_service_principal is onboard_service_principal
    assert crossipam.aio.offboard_service_principal is offboard_service_principal
    assert {"onboard_service_principal", "offboard_service_principal"} <= set(crossipam.aio.__all__)
    for async_fn, sync_fn in (
        (onboard_service_principal, sync_onboarding.onboard_service_principal),
        (offboard_service_principal, sync_onboarding.offboard_service_principal),
    ):
        assert inspect.iscoroutinefunction(async_fn)
        ours, theirs = inspect.signature(async_fn).parameters, inspect.signature(sync_fn).parameters
        assert list(ours) == list(theirs)
        for name, param in ours.items():
            assert param.kind == theirs[name].kind, name
            if name != "sleep":
                assert param.default == theirs[name].default, name


# ------------------------------------------------------------------------------------------------
# end to end


async def test_fresh_onboarding_end_to_end_then_async_cross_tenant_deployment(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    aonboard: AsyncOnboard,
    adeploy_vnet: AsyncDeployVnet,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    app_id = info.app.client_id

    with pytest.raises(AppNotOnboardedError) as not_yet:  # no token for the app in tenant A at all
        await adeploy_vnet(emu, "vnet-before")
    assert not_yet.value.tenant_id == info.management_tenant_id
    emu.journal.clear()

    result = await aonboard(emu)

    assert [(s.name, s.status, s.tenant_id) for s in result.steps] == [
        (STEP_MAKE_MULTITENANT, "done", info.managed_tenant_id),
        (STEP_CREATE_SERVICE_PRINCIPAL, "done", info.management_tenant_id),
        (STEP_ASSIGN_POOL_ROLE, "done", info.management_tenant_id),
    ]
    assert result.changed and not result.dry_run
    # the directory and RBAC say what the result says
    assert emu.state.applications[app_id].is_multitenant
    sp = emu.service_principal(app_id, info.management_tenant_id)
    assert sp is not None and sp.object_id == result.service_principal_object_id
    assignment = emu.state.role_assignments[
        role_assignment_name(info.pool_id, sp.object_id, IPAM_POOL_USER_ROLE_ID)
    ]
    assert assignment.principal_type == "ServicePrincipal"
    assert assignment.scope.lower() == info.pool_id.lower()
    assert (
        result.role_assignment_id is not None and result.role_assignment_id.lower() == assignment.id.lower()
    )
    # each service was called with the right tenant's token
    graph = emu.journal.entries(service="graph")
    assert {e.tenant_id for e in graph if "applications" in e.path} == {info.managed_tenant_id}
    assert {e.tenant_id for e in graph if "servicePrincipals" in e.path} == {info.management_tenant_id}
    assert [(e.method, e.status) for e in graph] == [
        ("GET", 200),  # the app registration
        ("PATCH", 204),  # signInAudience
        ("GET", 404),  # no service principal yet
        ("POST", 201),
        ("GET", 200),  # readable
    ]
    puts = emu.journal.entries(service="arm", method="PUT", path="roleAssignments")
    assert [(e.status, e.tenant_id, e.api_version) for e in puts] == [
        (201, info.management_tenant_id, "2022-04-01")
    ]

    # and now the onboarded app deploys a VNet in tenant B from the pool in tenant A, asynchronously
    vnet = await adeploy_vnet(emu, "vnet-onboarded")
    assert vnet.action == "created" and vnet.address_prefixes
    put = emu.journal.entries(service="arm", method="PUT", path="virtualNetworks/vnet-onboarded")[-1]
    assert put.status in (200, 201) and put.aux_tenant_ids == (info.management_tenant_id,)
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "256"


async def test_rerun_reports_already_done_and_writes_nothing(
    azure_emulator_fresh: AzureEmulator, aonboard: AsyncOnboard, step_statuses: StepStatuses
) -> None:
    emu = azure_emulator_fresh
    first = await aonboard(emu)
    assignments = len(emu.state.role_assignments)
    emu.journal.clear()

    again = await aonboard(emu)

    assert step_statuses(again) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "already_done",
        STEP_ASSIGN_POOL_ROLE: "already_done",
    }
    assert not again.changed
    assert again.service_principal_object_id == first.service_principal_object_id
    assert again.role_assignment_id is not None and first.role_assignment_id is not None
    assert again.role_assignment_id.lower() == first.role_assignment_id.lower()
    assert emu.journal.writes() == []
    assert emu.journal.entries(service="graph") and emu.journal.entries(service="arm")  # it did read
    assert len(emu.state.role_assignments) == assignments


async def test_dry_run_plans_and_writes_nothing(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, aonboard: AsyncOnboard, step_statuses: StepStatuses
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)

    plan = await aonboard(emu, dry_run=True)

    assert plan.dry_run
    assert step_statuses(plan) == {
        STEP_MAKE_MULTITENANT: "planned",
        STEP_CREATE_SERVICE_PRINCIPAL: "planned",
        STEP_ASSIGN_POOL_ROLE: "planned",
    }
    assert plan.service_principal_object_id is None and plan.role_assignment_id is None
    assert emu.journal.writes() == []
    requests = [e for e in emu.journal if not e.is_token_request]
    assert requests and {e.method for e in requests} == {"GET"}
    assert not emu.state.applications[info.app.client_id].is_multitenant
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is None

    # halfway: only what is missing is planned, and the role step names the assignment it would create
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMultipleOrgs"
    sp = emu.add_service_principal(info.app.client_id, info.management_tenant_id)
    emu.journal.clear()
    halfway = await aonboard(emu, dry_run=True)
    assert step_statuses(halfway) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "already_done",
        STEP_ASSIGN_POOL_ROLE: "planned",
    }
    assert role_assignment_name(info.pool_id, sp.object_id, IPAM_POOL_USER_ROLE_ID) in (
        halfway.step(STEP_ASSIGN_POOL_ROLE).detail
    )
    assert emu.journal.writes() == []


# ------------------------------------------------------------------------------------------------
# replication delay


async def test_replication_delay_is_survived_with_a_fake_sleep(
    azure_emulator_fresh: AzureEmulator,
    aonboard: AsyncOnboard,
    step_statuses: StepStatuses,
    adeploy_vnet: AsyncDeployVnet,
    fake_async_sleep: FakeAsyncSleep,
) -> None:
    """Graph 404 after the create (20 s) and then RBAC PrincipalNotFound (twice): waited out, no real sleep."""
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 20
    fault = emu.faults.add(
        "PUT",
        "roleAssignments",
        status=400,
        code="PrincipalNotFound",
        message="Principal 0123 does not exist in the directory. If you are creating this principal and then "
        "immediately assigning a role, this error might be related to a replication delay.",
        times=2,
    )
    sleep = fake_async_sleep(emu)

    result = await aonboard(emu, sleep=sleep, replication_poll_interval=2)

    assert set(step_statuses(result).values()) == {"done"}
    assert fault.hits == 2
    waits = [c.args[0] for c in sleep.await_args_list]
    assert set(waits) == {2.0} and 24 <= sum(waits) <= 30  # >= 20 s for Graph, 2 x 2 s for RBAC
    reads = emu.journal.entries(service="graph", method="GET", path=r"servicePrincipals\(appId=")
    assert 404 in {e.status for e in reads[1:]} and reads[-1].status == 200  # read-after-create was a 404
    puts = emu.journal.entries(service="arm", method="PUT", path="roleAssignments")
    assert [e.status for e in puts] == [400, 400, 201]
    await adeploy_vnet(emu, "vnet-after-replication")


async def test_replication_still_pending_is_typed_then_rerun_completes(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    aonboard: AsyncOnboard,
    aoffboard: AsyncOffboard,
    step_statuses: StepStatuses,
    fake_async_sleep: FakeAsyncSleep,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    emu.settings.replication_delay = 600
    sleep = fake_async_sleep(emu)

    with pytest.raises(ReplicationPendingError) as caught:
        await aonboard(emu, sleep=sleep, max_replication_wait=30)

    err = caught.value
    assert err.tenant_id == info.management_tenant_id
    assert err.attempts == 7 and err.waited_seconds == 30
    assert sum(c.args[0] for c in sleep.await_args_list) == 30
    assert [line.split(":")[0] for line in err.completed_steps] == [
        STEP_MAKE_MULTITENANT,
        STEP_CREATE_SERVICE_PRINCIPAL,
    ]
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is not None

    emu.clock.advance(600)
    result = await aonboard(emu, sleep=sleep)
    assert step_statuses(result) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "already_done",
        STEP_ASSIGN_POOL_ROLE: "done",
    }

    # the attempt cap works as well: a new principal that stays invisible gives up after 3 reads
    await aoffboard(emu, delete_service_principal=True)
    emu.settings.replication_delay = 600
    capped_sleep = fake_async_sleep(emu)
    with pytest.raises(ReplicationPendingError) as capped:
        await aonboard(emu, sleep=capped_sleep, max_replication_attempts=3)
    assert capped.value.attempts == 3 and capped_sleep.await_args_list == [call(5.0)] * 2


# ------------------------------------------------------------------------------------------------
# permissions and credentials


async def test_missing_rbac_permission_is_the_same_typed_error_as_sync(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    onboard: Onboard,
    aonboard: AsyncOnboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    reader = emu.add_application(
        info.management_tenant_id, "graph-only-admin-a", graph_permissions=["Application.ReadWrite.All"]
    )
    emu.assign_role(reader.object_id, "Reader", f"/subscriptions/{info.management_subscription_id}")

    weak = AdminCredentials(reader.client_id, reader.client_secret, info.management_tenant_id)

    with pytest.raises(InsufficientPrivilegesError) as sync_caught:
        onboard(emu, management_tenant_credential=weak)
    with pytest.raises(InsufficientPrivilegesError) as caught:
        await aonboard(emu, management_tenant_credential=weak)

    err, sync_err = caught.value, sync_caught.value
    assert type(err) is type(sync_err)
    assert str(err) == str(sync_err)
    assert (err.tenant_id, err.permission, err.hint) == (
        sync_err.tenant_id,
        sync_err.permission,
        sync_err.hint,
    )
    assert f"needs Microsoft.Authorization/roleAssignments/write on {info.pool_id}" in str(err)
    assert "AuthorizationFailed" in str(err) and err.tenant_id == info.management_tenant_id
    assert [line.split(":")[0] for line in err.completed_steps] == [
        STEP_MAKE_MULTITENANT,
        STEP_CREATE_SERVICE_PRINCIPAL,
    ]
    refused = emu.journal.entries(service="arm", method="PUT", path="roleAssignments")
    assert [e.status for e in refused] == [403, 403]
    sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp is not None and emu.state.assignments_for(sp.object_id, info.pool_id) == []


async def test_missing_graph_permission_and_wrong_secret(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, aonboard: AsyncOnboard
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    weak = emu.add_application(info.managed_tenant_id, "weak-admin-b")
    with pytest.raises(InsufficientPrivilegesError) as caught:
        await aonboard(
            emu,
            managed_tenant_credential=AdminCredentials(
                weak.client_id, weak.client_secret, info.managed_tenant_id
            ),
        )
    assert caught.value.tenant_id == info.managed_tenant_id
    assert "Microsoft Graph" in caught.value.permission and info.managed_tenant_id in str(caught.value)
    assert caught.value.completed_steps == ()

    wrong = AdminCredentials(info.admins["managed"].client_id, "not-the-secret", info.managed_tenant_id)
    with pytest.raises(AdminCredentialError) as bad:
        await aonboard(emu, managed_tenant_credential=wrong)
    assert bad.value.tenant_id == info.managed_tenant_id
    assert "managed-tenant admin credential" in str(bad.value) and "not-the-secret" not in str(bad.value)
    assert emu.journal.writes() == []


async def test_bad_input_is_refused_before_any_request(
    azure_emulator_fresh: AzureEmulator, aonboard: AsyncOnboard
) -> None:
    emu = azure_emulator_fresh
    for overrides in (
        {"managed_tenant_id": "nope"},
        {"max_replication_wait": -1},
        {"role_name": "Reader' or roleName eq 'Owner"},
        {"managed_subscription_id": "x"},
    ):
        with pytest.raises(InvalidInputError):
            await aonboard(emu, **overrides)
    assert [e for e in emu.journal if e.service != "login"] == []


async def test_a_missing_tenant_is_the_type_error_of_a_missing_keyword() -> None:
    pool_id = (
        "/subscriptions/00000000-0000-4000-8000-000000000001"
        "/resourceGroups/r/providers/Microsoft.Network/networkManagers/n/ipamPools/p"
    )
    credential: Any = object()  # never asked: the arguments are refused first
    with pytest.raises(TypeError, match=r"onboard_service_principal\(\) missing .* 'management_tenant_id'"):
        await onboard_service_principal(  # type: ignore[call-arg]
            "c0ffee00-0000-4000-8000-00000000a11c",
            pool_id,
            managed_tenant_id="bbbbbbbb-0000-4000-8000-000000000001",
            managed_tenant_credential=credential,
            management_tenant_credential=credential,
        )
    with pytest.raises(TypeError, match=r"offboard_service_principal\(\) missing .* 'management_tenant_id'"):
        await offboard_service_principal(  # type: ignore[call-arg]
            "c0ffee00-0000-4000-8000-00000000a11c", pool_id, management_tenant_credential=credential
        )


# ------------------------------------------------------------------------------------------------
# offboarding


async def test_offboarding_makes_the_next_deployment_fail(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    aonboard: AsyncOnboard,
    aoffboard: AsyncOffboard,
    step_statuses: StepStatuses,
    adeploy_vnet: AsyncDeployVnet,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    onboarded = await aonboard(emu)
    await adeploy_vnet(emu, "vnet-1")

    result = await aoffboard(emu)

    assert step_statuses(result) == {STEP_REMOVE_ROLE_ASSIGNMENT: "done"}
    assert result.removed_role_assignment_ids == (onboarded.role_assignment_id,)
    assert onboarded.service_principal_object_id is not None
    assert emu.state.assignments_for(onboarded.service_principal_object_id, info.pool_id) == []
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is not None
    with pytest.raises(LinkedAuthorizationError) as caught:
        await adeploy_vnet(emu, "vnet-2")
    assert caught.value.code == "LinkedAuthorizationFailed" and caught.value.status == 403
    assert caught.value.linked_scope is not None and caught.value.linked_scope.lower() == info.pool_id.lower()

    again = await aoffboard(emu)
    assert step_statuses(again) == {STEP_REMOVE_ROLE_ASSIGNMENT: "already_done"} and not again.changed

    emu.journal.clear()
    planned = await aoffboard(emu, dry_run=True, delete_service_principal=True)
    assert step_statuses(planned) == {
        STEP_REMOVE_ROLE_ASSIGNMENT: "already_done",
        STEP_DELETE_SERVICE_PRINCIPAL: "planned",
    }
    assert emu.journal.writes() == []
    gone = await aoffboard(emu, delete_service_principal=True)
    assert gone.step(STEP_DELETE_SERVICE_PRINCIPAL).status == "done"
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is None
    with pytest.raises(AppNotOnboardedError):
        await adeploy_vnet(emu, "vnet-3")


# ------------------------------------------------------------------------------------------------
# HTTPS (aiohttp), logging


async def test_onboarding_over_https_with_aiohttp(
    azure_emulator_https: AzureEmulator,
    info_of: InfoOf,
    async_net_kwargs: NetKwargs,
    aonboard: AsyncOnboard,
    aoffboard: AsyncOffboard,
    step_statuses: StepStatuses,
    adeploy_vnet: AsyncDeployVnet,
) -> None:
    """Real sockets and TLS with the test CA; the default async transport (aiohttp) of every pipeline."""
    emu = azure_emulator_https
    info = info_of(emu)
    assert "connection_verify" in async_net_kwargs(emu)
    off = await aoffboard(emu, delete_service_principal=True)
    assert off.changed
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMyOrg"

    result = await aonboard(emu, check_connection=True, managed_subscription_id=info.managed_subscription_id)

    assert step_statuses(result) == {
        STEP_MAKE_MULTITENANT: "done",
        STEP_CREATE_SERVICE_PRINCIPAL: "done",
        STEP_ASSIGN_POOL_ROLE: "done",
        STEP_CHECK_CONNECTION: "already_done",
    }
    assert info.managed_subscription_id in result.step(STEP_CHECK_CONNECTION).detail
    await adeploy_vnet(emu, "vnet-https")
    assert set(step_statuses(await aonboard(emu)).values()) == {"already_done"}


async def test_progress_is_logged_without_secrets(
    azure_emulator_fresh: AzureEmulator, caplog: pytest.LogCaptureFixture, aonboard: AsyncOnboard
) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 6
    caplog.set_level(logging.DEBUG)

    await aonboard(emu, logging_enable=True)

    messages = [r.getMessage() for r in caplog.records if r.name == "crossipam.onboarding"]
    assert any(STEP_MAKE_MULTITENANT in m for m in messages)
    assert any(STEP_ASSIGN_POOL_ROLE in m for m in messages)
    assert any("replication" in m for m in messages)
    traces = [r.getMessage() for r in caplog.records if "Request URL" in r.getMessage()]
    assert any("/v1.0/servicePrincipals" in t for t in traces) and any("roleAssignments" in t for t in traces)
    with_token = [
        t for t in traces if "'Authorization'" in t
    ]  # the network trace ran after the bearer policy
    assert with_token and all("'Authorization': 'REDACTED'" in t for t in with_token)
    assert emu.issued_secrets
    for secret in emu.issued_secrets:
        assert secret not in caplog.text
    assert not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", caplog.text)


def test_the_docs_async_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/onboarding.md's async example runs as written (a plain test: the example calls asyncio.run)."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "onboarding.md").read_text(encoding="utf-8")
    block = doc.split("<!-- runnable-async-example -->", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, "docs/onboarding.md", "exec"), {"__name__": "docs_example"})
    out = capsys.readouterr().out
    assert "done: make_app_multitenant: done" in out and "done: assign_pool_role: done" in out
    assert "deployed: vnet-async [IPv4Network('10.0.0.0/24')]" in out
    assert "offboarded:" in out and "remove_role_assignment: done" in out


# ------------------------------------------------------------------------------------------------
# parity: the sync and async functions on the same scenario


Call = tuple[str, dict[str, Any]]  # ("onboard" | "offboard", arguments)


def _fresh(emu: AzureEmulator, info: ScenarioInfo) -> list[Call]:
    return [("onboard", {}), ("onboard", {"check_connection": True})]


def _dry_runs(emu: AzureEmulator, info: ScenarioInfo) -> list[Call]:
    return [("onboard", {"dry_run": True}), ("offboard", {"dry_run": True, "delete_service_principal": True})]


def _replication(emu: AzureEmulator, info: ScenarioInfo) -> list[Call]:
    emu.settings.replication_delay = 20
    emu.faults.add(
        "PUT",
        "roleAssignments",
        status=400,
        code="PrincipalNotFound",
        message="Principal 0123 does not exist in the directory.",
        times=2,
    )
    return [("onboard", {})]


def _pending(emu: AzureEmulator, info: ScenarioInfo) -> list[Call]:
    emu.settings.replication_delay = 600
    return [("onboard", {"max_replication_wait": 30}), ("onboard", {"max_replication_attempts": 2})]


def _created_concurrently(emu: AzureEmulator, info: ScenarioInfo) -> list[Call]:
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMultipleOrgs"
    emu.settings.replication_delay = 12
    emu.add_service_principal(info.app.client_id, info.management_tenant_id, replicated=False)
    return [("onboard", {})]


def _missing_permissions(emu: AzureEmulator, info: ScenarioInfo) -> list[Call]:
    weak_b = emu.add_application(info.managed_tenant_id, "weak-b")
    reader_a = emu.add_application(
        info.management_tenant_id, "reader-a", graph_permissions=["Application.ReadWrite.All"]
    )
    emu.assign_role(reader_a.object_id, "Reader", f"/subscriptions/{info.management_subscription_id}")
    admin_b = info.admins["managed"]
    return [
        (
            "onboard",
            {
                "managed_tenant_credential": AdminCredentials(
                    weak_b.client_id, weak_b.client_secret, info.managed_tenant_id
                )
            },
        ),
        (
            "onboard",
            {
                "managed_tenant_credential": AdminCredentials(
                    admin_b.client_id, "wrong", info.managed_tenant_id
                )
            },
        ),
        (
            "onboard",
            {
                "management_tenant_credential": AdminCredentials(
                    reader_a.client_id, reader_a.client_secret, info.management_tenant_id
                )
            },
        ),
        ("onboard", {"role_name": "No Such Role"}),
        ("onboard", {}),
        (
            "offboard",
            {
                "management_tenant_credential": AdminCredentials(
                    reader_a.client_id, reader_a.client_secret, info.management_tenant_id
                )
            },
        ),
    ]


def _offboarding(emu: AzureEmulator, info: ScenarioInfo) -> list[Call]:
    return [
        ("onboard", {}),
        ("offboard", {"dry_run": True}),
        ("offboard", {}),
        ("offboard", {"delete_service_principal": True}),
        ("offboard", {"delete_service_principal": True}),
        ("onboard", {}),
    ]


def _transient(emu: AzureEmulator, info: ScenarioInfo) -> list[Call]:
    emu.faults.add("PATCH", "applications", status=503, code="ServiceUnavailable", retry_after=0, times=1)
    emu.faults.add("PUT", "roleAssignments", status=429, code="TooManyRequests", retry_after=0, times=1)
    emu.faults.add("GET", "scopeConnections", status=503, code="ServiceUnavailable", times=5)
    return [("onboard", {"retry_backoff_factor": 0, "retry_total": 1, "check_connection": True})]


SCENARIOS: dict[str, tuple[Callable[[AzureEmulator, ScenarioInfo], list[Call]], list[object]]] = {
    # scenario -> (calls, what each call must give: the step statuses, or the error type)
    "fresh": (_fresh, [["done", "done", "done"], ["already_done"] * 4]),
    "dry-runs": (_dry_runs, [["planned"] * 3, ["already_done", "already_done"]]),
    "replication": (_replication, [["done"] * 3]),
    "pending": (_pending, [ReplicationPendingError, ReplicationPendingError]),
    "created-concurrently": (_created_concurrently, [["already_done", "already_done", "done"]]),
    "missing-permissions": (
        _missing_permissions,
        [
            InsufficientPrivilegesError,
            AdminCredentialError,
            InsufficientPrivilegesError,
            RoleDefinitionNotFoundError,
            ["already_done", "already_done", "done"],
            InsufficientPrivilegesError,  # the reader cannot remove it
        ],
    ),
    "offboarding": (
        _offboarding,
        [
            ["done"] * 3,
            ["planned"],
            ["done"],
            ["already_done", "done"],
            ["already_done", "already_done"],
            ["already_done", "done", "done"],
        ],
    ),
    "transient": (_transient, [OnboardingError]),
}

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _normaliser(info: ScenarioInfo) -> Callable[[object], str]:
    """Object ids and assignment names differ between two offline Azures (random): number them in order of
    appearance; the scenario's fixed ids (tenants, subscriptions, app, role) stay."""
    fixed = {
        info.managed_tenant_id,
        info.management_tenant_id,
        info.managed_subscription_id,
        info.management_subscription_id,
        info.app.client_id,
        IPAM_POOL_USER_ROLE_ID,
    }
    seen: dict[str, str] = {}

    def guid(m: re.Match[str]) -> str:
        value = m.group(0).lower()
        return value if value in fixed else seen.setdefault(value, f"<id{len(seen)}>")

    return lambda value: _GUID.sub(guid, str(value))


def _outcome(
    value: OnboardingResult | OffboardingResult | OnboardingError, norm: Callable[[object], str]
) -> object:
    if isinstance(value, OnboardingError):
        message = str(value)
        if isinstance(
            value, AdminCredentialError
        ):  # the end is azure-identity's text (sync and aio word it apart)
            assert "AADSTS" in message
            message = message.split(": ", 1)[0]
        return (
            type(value).__name__,
            norm(message),
            tuple(norm(line) for line in value.completed_steps),
            value.tenant_id,
            norm(getattr(value, "permission", None)),
            getattr(value, "attempts", None),
            getattr(value, "waited_seconds", None),
            value.hint,
        )
    extra = (
        (norm(value.service_principal_object_id), norm(value.role_assignment_id))
        if isinstance(value, OnboardingResult)
        else (norm(value.service_principal_object_id), norm(value.removed_role_assignment_ids))
    )
    return ([(s.name, s.status, norm(s.detail), s.tenant_id) for s in value.steps], value.dry_run, extra)


def _kind(value: OnboardingResult | OffboardingResult | OnboardingError) -> object:
    """What the scenario table says about a call: its step statuses, or its error type."""
    return type(value) if isinstance(value, OnboardingError) else [s.status for s in value.steps]


def _trace(
    emu: AzureEmulator, info: ScenarioInfo, outcomes: list[Any], sleeps: list[float]
) -> dict[str, object]:
    norm = _normaliser(info)
    sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
    return {
        "kinds": [_kind(o) for o in outcomes],
        "outcomes": [_outcome(o, norm) for o in outcomes],
        "requests": [
            (e.service, e.method, norm(e.path), e.status, e.tenant_id, e.api_version)
            for e in emu.journal
            if not e.is_token_request and e.service != "login"
        ],
        "sleeps": sleeps,
        "multitenant": emu.state.applications[info.app.client_id].is_multitenant,
        "assignments": len(emu.state.assignments_for(sp.object_id, info.pool_id)) if sp else None,
    }


def _with_sleep(op: str, args: dict[str, Any], sleep: object) -> dict[str, Any]:
    return {**args, "sleep": sleep} if op == "onboard" else args


def _outcome_of(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except OnboardingError as err:
        return err


async def _async_outcome_of(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except OnboardingError as err:
        return err


def _run_sync(
    emu: AzureEmulator,
    info: ScenarioInfo,
    calls: list[Call],
    run: Mapping[str, Callable[..., Any]],
    sleep: Mock,
) -> dict[str, object]:
    outcomes = [_outcome_of(lambda: run[op](emu, **_with_sleep(op, a, sleep))) for op, a in calls]
    return _trace(emu, info, outcomes, [c.args[0] for c in sleep.call_args_list])


async def _run_async(
    emu: AzureEmulator,
    info: ScenarioInfo,
    calls: list[Call],
    run: Mapping[str, Callable[..., Awaitable[Any]]],
    sleep: AsyncMock,
) -> dict[str, object]:
    outcomes = [await _async_outcome_of(run[op](emu, **_with_sleep(op, a, sleep))) for op, a in calls]
    return _trace(emu, info, outcomes, [c.args[0] for c in sleep.await_args_list])


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_sync_and_async_give_the_same_steps_requests_and_errors(
    scenario: str,
    onboard: Onboard,
    offboard: Offboard,
    aonboard: AsyncOnboard,
    aoffboard: AsyncOffboard,
    fake_sleep: FakeSleep,
    fake_async_sleep: FakeAsyncSleep,
) -> None:
    """Two identical offline Azures, one scenario: the sync and the async functions report the same steps,
    statuses, details, ids and errors, send the same requests with the same answers, wait the same and leave the
    directory and RBAC in the same state."""
    make_calls, expected = SCENARIOS[scenario]
    sync_emu, async_emu = AzureEmulator(), AzureEmulator()
    sync_info, async_info = sync_emu.load_scenario("fresh"), async_emu.load_scenario("fresh")

    sync_calls, async_calls = make_calls(sync_emu, sync_info), make_calls(async_emu, async_info)
    sync_run = {"onboard": onboard, "offboard": offboard}
    async_run = {"onboard": aonboard, "offboard": aoffboard}
    sync_trace = _run_sync(sync_emu, sync_info, sync_calls, sync_run, fake_sleep(sync_emu))
    async_trace = await _run_async(async_emu, async_info, async_calls, async_run, fake_async_sleep(async_emu))

    assert sync_trace["kinds"] == expected  # each call did what the scenario says ...
    assert async_trace == sync_trace  # ... and the async run did exactly the same
    assert sync_trace["requests"]
