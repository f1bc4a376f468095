"""Onboarding (issue 4) against the offline Azure, with the real azure-identity, azure-core and azure-mgmt-*."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import call

import pytest
from azure.core import AzureClouds
from azure.core.credentials import AccessToken
from azure.mgmt.network import NetworkManagementClient

from crossipam.errors import (
    AdminCredentialError,
    ApplicationNotFoundError,
    AppNotOnboardedError,
    CrossIpamError,
    CrossTenantConnectionError,
    InsufficientPrivilegesError,
    InvalidInputError,
    LinkedAuthorizationError,
    OnboardingError,
    ReplicationPendingError,
)
from crossipam.models import CloudEndpoints
from crossipam.onboarding import (
    IPAM_POOL_USER_ROLE_ID,
    STEP_ASSIGN_POOL_ROLE,
    STEP_CHECK_CONNECTION,
    STEP_CREATE_SERVICE_PRINCIPAL,
    STEP_DELETE_SERVICE_PRINCIPAL,
    STEP_MAKE_MULTITENANT,
    STEP_REMOVE_ROLE_ASSIGNMENT,
    offboard_service_principal,
    onboard_service_principal,
    role_assignment_name,
)
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import CloudOf, InfoOf, NetKwargs
    from .fixtures.onboarding import DeployVnet, FakeSleep, Offboard, Onboard, SecretCredential, StepStatuses

# ------------------------------------------------------------------------------------------------
# fresh onboarding, re-runs, dry runs


def test_fresh_onboarding_end_to_end_then_cross_tenant_deployment(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    onboard: Onboard,
    deploy_vnet: DeployVnet,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    app_id = info.app.client_id

    # before: the app cannot deploy from the pool (no token in tenant A at all)
    with pytest.raises(AppNotOnboardedError) as not_yet:
        deploy_vnet(emu, "vnet-before")
    assert not_yet.value.tenant_id == info.management_tenant_id

    result = onboard(emu)

    assert [s.name for s in result.steps] == [
        STEP_MAKE_MULTITENANT,
        STEP_CREATE_SERVICE_PRINCIPAL,
        STEP_ASSIGN_POOL_ROLE,
    ]
    assert all(s.status == "done" for s in result.steps), result.steps
    assert result.changed and not result.dry_run
    assert [s.tenant_id for s in result.steps] == [
        info.managed_tenant_id,
        info.management_tenant_id,
        info.management_tenant_id,
    ]

    # the directory and RBAC say what the result says
    assert emu.state.applications[app_id].is_multitenant
    sp = emu.service_principal(app_id, info.management_tenant_id)
    assert sp is not None and sp.object_id == result.service_principal_object_id
    name = role_assignment_name(info.pool_id, sp.object_id, IPAM_POOL_USER_ROLE_ID)
    assignment = emu.state.role_assignments[name]
    assert assignment.role_id == IPAM_POOL_USER_ROLE_ID
    assert assignment.principal_type == "ServicePrincipal"
    assert assignment.scope.lower() == info.pool_id.lower()
    assert (
        result.role_assignment_id is not None and result.role_assignment_id.lower() == assignment.id.lower()
    )

    # each service was called with the right tenant's token, and the role PUT named the principal type
    graph = emu.journal.entries(service="graph")
    assert {e.tenant_id for e in graph if "applications" in e.path} == {info.managed_tenant_id}
    assert {e.tenant_id for e in graph if "servicePrincipals" in e.path} == {info.management_tenant_id}
    puts = emu.journal.entries(service="arm", method="PUT", path="roleAssignments")
    assert [(e.status, e.tenant_id, e.api_version) for e in puts] == [
        (201, info.management_tenant_id, "2022-04-01")
    ]

    # and now the onboarded app deploys a VNet in tenant B from the pool in tenant A
    vnet = deploy_vnet(emu, "vnet-onboarded")
    assert vnet.action == "created" and vnet.address_prefixes
    put = emu.journal.entries(service="arm", method="PUT", path="virtualNetworks/vnet-onboarded")[-1]
    assert put.status in (200, 201)
    assert put.aux_tenant_ids == (info.management_tenant_id,)


def test_rerun_reports_already_done_and_writes_nothing(
    azure_emulator_fresh: AzureEmulator, onboard: Onboard, step_statuses: StepStatuses
) -> None:
    emu = azure_emulator_fresh
    first = onboard(emu)
    emu.journal.clear()

    again = onboard(emu)

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


def test_already_onboarded_scenario_is_recognised(
    azure_emulator: AzureEmulator, info_of: InfoOf, onboard: Onboard, step_statuses: StepStatuses
) -> None:
    """The ``onboarded`` scenario's assignment has a random name: it is found and kept, not duplicated."""
    emu = azure_emulator
    info = info_of(emu)
    before = len(emu.state.role_assignments)

    result = onboard(emu)

    assert set(step_statuses(result).values()) == {"already_done"}
    assert len(emu.state.role_assignments) == before
    assert emu.journal.writes() == []
    sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp is not None and result.service_principal_object_id == sp.object_id

    planned = onboard(emu, dry_run=True)
    assert set(step_statuses(planned).values()) == {"already_done"}
    assert planned.role_assignment_id == result.role_assignment_id


def test_dry_run_on_fresh_tenant_plans_everything_and_writes_nothing(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    onboard: Onboard,
    step_statuses: StepStatuses,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)

    result = onboard(emu, dry_run=True)

    assert result.dry_run
    assert step_statuses(result) == {
        STEP_MAKE_MULTITENANT: "planned",
        STEP_CREATE_SERVICE_PRINCIPAL: "planned",
        STEP_ASSIGN_POOL_ROLE: "planned",
    }
    assert "AzureADMultipleOrgs" in result.step(STEP_MAKE_MULTITENANT).detail
    assert result.service_principal_object_id is None and result.role_assignment_id is None
    assert emu.journal.writes() == []
    assert all(e.method == "GET" for e in emu.journal if not e.is_token_request)
    assert not emu.state.applications[info.app.client_id].is_multitenant
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is None


def test_dry_run_halfway_plans_only_what_is_missing(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, onboard: Onboard, step_statuses: StepStatuses
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMultipleOrgs"
    sp = emu.add_service_principal(info.app.client_id, info.management_tenant_id)
    emu.journal.clear()

    result = onboard(emu, dry_run=True)

    assert step_statuses(result) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "already_done",
        STEP_ASSIGN_POOL_ROLE: "planned",
    }
    assert result.service_principal_object_id == sp.object_id
    assert role_assignment_name(info.pool_id, sp.object_id, IPAM_POOL_USER_ROLE_ID) in (
        result.step(STEP_ASSIGN_POOL_ROLE).detail
    )
    assert emu.journal.writes() == []


# ------------------------------------------------------------------------------------------------
# replication delay


def test_replication_delay_is_waited_out(
    azure_emulator_fresh: AzureEmulator,
    onboard: Onboard,
    step_statuses: StepStatuses,
    deploy_vnet: DeployVnet,
    fake_sleep: FakeSleep,
) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 20
    sleep = fake_sleep(emu)

    result = onboard(emu, sleep=sleep)

    assert set(step_statuses(result).values()) == {"done"}
    assert sleep.called and {c.args for c in sleep.call_args_list} == {(5.0,)}
    assert 20 <= sum(c.args[0] for c in sleep.call_args_list) <= 30
    reads = emu.journal.entries(service="graph", method="GET", path=r"servicePrincipals\(appId=")
    assert [e.status for e in reads][-1] == 200
    assert 404 in {e.status for e in reads[1:]}  # read-after-create answered 404 while replicating
    deploy_vnet(emu, "vnet-after-replication")


def test_replication_attempt_knob_is_waited_out(
    azure_emulator_fresh: AzureEmulator, onboard: Onboard, step_statuses: StepStatuses, fake_sleep: FakeSleep
) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_failures = 3
    sleep = fake_sleep(emu)

    result = onboard(emu, sleep=sleep, replication_poll_interval=2)

    assert set(step_statuses(result).values()) == {"done"}
    assert sleep.call_args_list == [call(2.0)] * 3


def test_principal_not_found_on_role_assignment_is_retried(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, onboard: Onboard, fake_sleep: FakeSleep
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    fault = emu.faults.add(
        "PUT",
        "roleAssignments",
        status=400,
        code="PrincipalNotFound",
        message=f"Principal 0123 does not exist in the directory {info.management_tenant_id}. Check that you "
        "have the correct principal ID. If you are creating this principal and then immediately assigning a "
        "role, this error might be related to a replication delay.",
        times=2,
    )
    sleep = fake_sleep(emu)

    result = onboard(emu, sleep=sleep)

    assert fault.hits == 2
    assert result.step(STEP_ASSIGN_POOL_ROLE).status == "done"
    assert sleep.call_args_list == [call(5.0)] * 2


def test_replication_still_pending_gives_typed_error_then_rerun_completes(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    onboard: Onboard,
    step_statuses: StepStatuses,
    fake_sleep: FakeSleep,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    emu.settings.replication_delay = 600
    sleep = fake_sleep(emu)

    with pytest.raises(ReplicationPendingError) as caught:
        onboard(emu, sleep=sleep, max_replication_wait=30)

    err = caught.value
    assert isinstance(err, OnboardingError) and isinstance(err, CrossIpamError)
    assert err.tenant_id == info.management_tenant_id
    assert err.attempts == 7 and err.waited_seconds == 30
    assert "replication" in str(err) and info.management_tenant_id in str(err)
    assert [line.split(":")[0] for line in err.completed_steps] == [
        STEP_MAKE_MULTITENANT,
        STEP_CREATE_SERVICE_PRINCIPAL,
    ]
    assert sum(c.args[0] for c in sleep.call_args_list) == 30

    emu.clock.advance(600)
    result = onboard(emu, sleep=sleep)
    assert step_statuses(result) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "already_done",
        STEP_ASSIGN_POOL_ROLE: "done",
    }


@pytest.mark.parametrize(
    ("options", "attempts"),
    # capped; and by default (the options' defaults, written once in the core): 180 s in 5 s steps, like the
    # Azure CLI's 36 x 5 s
    [({"max_replication_attempts": 3}, 3), ({}, 37)],
    ids=["capped", "default"],
)
def test_replication_attempts_can_be_capped(
    azure_emulator_fresh: AzureEmulator,
    onboard: Onboard,
    fake_sleep: FakeSleep,
    options: dict[str, Any],
    attempts: int,
) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 600
    sleep = fake_sleep(emu)

    with pytest.raises(ReplicationPendingError) as caught:
        onboard(emu, sleep=sleep, **options)

    assert caught.value.attempts == attempts
    assert sleep.call_args_list == [call(5.0)] * (attempts - 1)
    assert caught.value.waited_seconds == 5.0 * (attempts - 1)


def test_transient_graph_and_arm_failures_are_retried_by_azure_core(
    azure_emulator_fresh: AzureEmulator,
    onboard: Onboard,
    step_statuses: StepStatuses,
) -> None:
    emu = azure_emulator_fresh
    graph_fault = emu.faults.add(
        "PATCH", "applications", status=503, code="ServiceUnavailable", retry_after=0
    )
    arm_fault = emu.faults.add("PUT", "roleAssignments", status=429, code="TooManyRequests", retry_after=0)

    result = onboard(emu, retry_backoff_factor=0)

    assert graph_fault.hits == 1 and arm_fault.hits == 1
    assert set(step_statuses(result).values()) == {"done"}


def test_azure_core_kwargs_reach_every_pipeline(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, onboard: Onboard
) -> None:
    """``retry_total=0`` turns azure-core's retries off for Graph and ARM alike: the first 503 is final."""
    emu = azure_emulator_fresh
    fault = emu.faults.add("PATCH", "applications", status=503, code="ServiceUnavailable", times=5)

    with pytest.raises(OnboardingError, match="HTTP 503") as caught:
        onboard(emu, retry_total=0)

    assert fault.hits == 1
    assert caught.value.tenant_id == info_of(emu).managed_tenant_id


def test_service_principal_created_concurrently_is_read_back(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, onboard: Onboard, fake_sleep: FakeSleep
) -> None:
    """Someone else created the principal a moment ago: GET 404 (replicating), POST 409, read back with retry."""
    emu = azure_emulator_fresh
    info = info_of(emu)
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMultipleOrgs"
    emu.settings.replication_delay = 12
    sp = emu.add_service_principal(info.app.client_id, info.management_tenant_id, replicated=False)
    sleep = fake_sleep(emu)

    result = onboard(emu, sleep=sleep)

    assert result.step(STEP_CREATE_SERVICE_PRINCIPAL).status == "already_done"
    assert result.service_principal_object_id == sp.object_id
    assert [e.status for e in emu.journal.entries(service="graph", method="POST")] == [409]
    assert sum(c.args[0] for c in sleep.call_args_list) >= 12


# ------------------------------------------------------------------------------------------------
# missing permissions and bad credentials


def test_managed_admin_without_graph_permission(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    secret_credential: SecretCredential,
    onboard: Onboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    weak = emu.add_application(info.managed_tenant_id, "weak-admin-b")

    with pytest.raises(InsufficientPrivilegesError) as caught:
        onboard(
            emu,
            managed_tenant_credential=secret_credential(
                emu, info.managed_tenant_id, weak.client_id, weak.client_secret
            ),
        )

    err = caught.value
    assert err.tenant_id == info.managed_tenant_id
    assert "Application.ReadWrite.All" in err.permission or "Application.Read.All" in err.permission
    assert info.managed_tenant_id in str(err) and "Microsoft Graph" in str(err)
    assert emu.journal.writes() == []


def test_managed_admin_with_read_only_graph_permission(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    secret_credential: SecretCredential,
    onboard: Onboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    reader = emu.add_application(
        info.managed_tenant_id, "reader-b", graph_permissions=["Application.Read.All"]
    )

    with pytest.raises(InsufficientPrivilegesError) as caught:
        onboard(
            emu,
            managed_tenant_credential=secret_credential(
                emu, info.managed_tenant_id, reader.client_id, reader.client_secret
            ),
        )

    message = str(caught.value)
    assert f"admin credential for tenant {info.managed_tenant_id}" in message
    assert "Application.ReadWrite.All (or Application.ReadWrite.OwnedBy" in message
    assert caught.value.completed_steps == ()


def test_management_admin_without_graph_permission(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    secret_credential: SecretCredential,
    onboard: Onboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    weak = emu.add_application(info.management_tenant_id, "weak-admin-a")
    emu.assign_role(weak.object_id, "Owner", f"/subscriptions/{info.management_subscription_id}")

    with pytest.raises(InsufficientPrivilegesError) as caught:
        onboard(
            emu,
            management_tenant_credential=secret_credential(
                emu, info.management_tenant_id, weak.client_id, weak.client_secret
            ),
        )

    err = caught.value
    assert err.tenant_id == info.management_tenant_id
    assert "Application.R" in err.permission
    assert [line.split(":")[0] for line in err.completed_steps] == [STEP_MAKE_MULTITENANT]


def test_management_admin_without_rbac_write(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    secret_credential: SecretCredential,
    onboard: Onboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    reader = emu.add_application(
        info.management_tenant_id, "graph-only-admin-a", graph_permissions=["Application.ReadWrite.All"]
    )
    emu.assign_role(reader.object_id, "Reader", f"/subscriptions/{info.management_subscription_id}")

    with pytest.raises(InsufficientPrivilegesError) as caught:
        onboard(
            emu,
            management_tenant_credential=secret_credential(
                emu, info.management_tenant_id, reader.client_id, reader.client_secret
            ),
        )

    err = caught.value
    message = str(err)
    assert err.tenant_id == info.management_tenant_id
    assert f"needs Microsoft.Authorization/roleAssignments/write on {info.pool_id}" in message
    assert "Owner, User Access Administrator or Role Based Access Control Administrator" in message
    assert f"tenant {info.management_tenant_id}" in message
    assert "AuthorizationFailed" in message
    assert [line.split(":")[0] for line in err.completed_steps] == [
        STEP_MAKE_MULTITENANT,
        STEP_CREATE_SERVICE_PRINCIPAL,
    ]


def test_wrong_secret_names_the_tenant(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    secret_credential: SecretCredential,
    onboard: Onboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    admin = info.admins["managed"]

    with pytest.raises(AdminCredentialError) as caught:
        onboard(
            emu,
            managed_tenant_credential=secret_credential(
                emu, info.managed_tenant_id, admin.client_id, "not-the-secret"
            ),
        )

    assert caught.value.tenant_id == info.managed_tenant_id
    assert "managed-tenant admin credential" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


def test_unknown_app_is_a_typed_error(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    cloud_of: CloudOf,
    secret_credential: SecretCredential,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    admin_b, admin_a = info.admins["managed"], info.admins["management"]
    with pytest.raises(ApplicationNotFoundError, match=info.managed_tenant_id):
        onboard_service_principal(
            str(uuid.uuid4()),
            info.pool_id,
            managed_tenant_id=info.managed_tenant_id,
            management_tenant_id=info.management_tenant_id,
            managed_tenant_credential=secret_credential(
                emu, admin_b.tenant_id, admin_b.client_id, admin_b.client_secret
            ),
            management_tenant_credential=secret_credential(
                emu, admin_a.tenant_id, admin_a.client_id, admin_a.client_secret
            ),
            cloud=cloud_of(info),
            transport=emu.transport(),
        )


def test_arguments_are_validated() -> None:
    cred = _StaticCredential()
    common: dict[str, Any] = {
        "managed_tenant_id": str(uuid.uuid4()),
        "management_tenant_id": str(uuid.uuid4()),
        "managed_tenant_credential": cred,
        "management_tenant_credential": cred,
    }
    with pytest.raises(InvalidInputError, match="IPAM pool id"):
        onboard_service_principal(str(uuid.uuid4()), "/subscriptions/x/resourceGroups/y", **common)
    with pytest.raises(InvalidInputError, match="app_id must be a GUID"):
        onboard_service_principal(
            "app') or true",
            "/subscriptions/00000000-0000-4000-8000-000000000001"
            "/resourceGroups/r/providers/Microsoft.Network/networkManagers/n/ipamPools/p",
            **common,
        )
    with pytest.raises(InvalidInputError, match="role_name"):
        onboard_service_principal(
            str(uuid.uuid4()),
            "/subscriptions/00000000-0000-4000-8000-000000000001"
            "/resourceGroups/r/providers/Microsoft.Network/networkManagers/n/ipamPools/p",
            role_name="Reader' or roleName eq 'Owner",
            **common,
        )
    assert cred.scopes == []


def test_a_missing_tenant_is_the_type_error_of_a_missing_keyword_before_any_request() -> None:
    """The tenants are required keywords of ``**options``: missing, Python's own ``TypeError``, as before."""
    cred = _StaticCredential()
    pool_id = (
        "/subscriptions/00000000-0000-4000-8000-000000000001"
        "/resourceGroups/r/providers/Microsoft.Network/networkManagers/n/ipamPools/p"
    )
    with pytest.raises(TypeError, match=r"onboard_service_principal\(\) missing .* 'managed_tenant_id'"):
        onboard_service_principal(  # type: ignore[call-arg]
            str(uuid.uuid4()),
            pool_id,
            management_tenant_id=str(uuid.uuid4()),
            managed_tenant_credential=cred,
            management_tenant_credential=cred,
        )
    with pytest.raises(TypeError, match=r"offboard_service_principal\(\) missing .* 'management_tenant_id'"):
        offboard_service_principal(  # type: ignore[call-arg]
            str(uuid.uuid4()), pool_id, management_tenant_credential=cred, managed_tenant_id=str(uuid.uuid4())
        )
    assert cred.scopes == []


# ------------------------------------------------------------------------------------------------
# offboarding


def test_offboarding_makes_the_next_deployment_fail(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    onboard: Onboard,
    offboard: Offboard,
    step_statuses: StepStatuses,
    deploy_vnet: DeployVnet,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    onboarded = onboard(emu)
    deploy_vnet(emu, "vnet-1")

    result = offboard(emu)

    assert step_statuses(result) == {STEP_REMOVE_ROLE_ASSIGNMENT: "done"}
    assert result.removed_role_assignment_ids == (onboarded.role_assignment_id,)
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is not None
    with pytest.raises(LinkedAuthorizationError) as caught:
        deploy_vnet(emu, "vnet-2")
    assert caught.value.code == "LinkedAuthorizationFailed" and caught.value.status == 403
    assert caught.value.tenant_id == info.management_tenant_id
    assert caught.value.linked_scope is not None and caught.value.linked_scope.lower() == info.pool_id.lower()

    again = offboard(emu)
    assert step_statuses(again) == {STEP_REMOVE_ROLE_ASSIGNMENT: "already_done"}
    assert not again.changed


def test_offboarding_can_delete_the_service_principal(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    onboard: Onboard,
    offboard: Offboard,
    step_statuses: StepStatuses,
    deploy_vnet: DeployVnet,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    onboard(emu)
    emu.journal.clear()

    planned = offboard(emu, dry_run=True, delete_service_principal=True)
    assert step_statuses(planned) == {
        STEP_REMOVE_ROLE_ASSIGNMENT: "planned",
        STEP_DELETE_SERVICE_PRINCIPAL: "planned",
    }
    assert emu.journal.writes() == []

    result = offboard(emu, delete_service_principal=True)
    assert step_statuses(result) == {
        STEP_REMOVE_ROLE_ASSIGNMENT: "done",
        STEP_DELETE_SERVICE_PRINCIPAL: "done",
    }
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is None
    with pytest.raises(AppNotOnboardedError):
        deploy_vnet(emu, "vnet-gone")

    again = offboard(emu, delete_service_principal=True)
    assert step_statuses(again) == {
        STEP_REMOVE_ROLE_ASSIGNMENT: "already_done",
        STEP_DELETE_SERVICE_PRINCIPAL: "already_done",
    }

    # and onboarding brings it all back
    back = onboard(emu)
    assert step_statuses(back) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "done",
        STEP_ASSIGN_POOL_ROLE: "done",
    }
    deploy_vnet(emu, "vnet-back")


def test_offboarding_leaves_broader_assignments_alone(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    onboard: Onboard,
    offboard: Offboard,
    deploy_vnet: DeployVnet,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    result = onboard(emu)
    assert result.service_principal_object_id is not None
    emu.assign_role(result.service_principal_object_id, "IPAM Pool User", info.network_manager_id)

    off = offboard(emu)

    step = off.step(STEP_REMOVE_ROLE_ASSIGNMENT)
    assert step.status == "done"
    assert "left alone" in step.detail and info.network_manager_id in step.detail
    deploy_vnet(emu, "vnet-still-allowed")


# ------------------------------------------------------------------------------------------------
# connection check


def test_connection_check_reports_connected(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, onboard: Onboard
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)

    result = onboard(emu, check_connection=True, managed_subscription_id=info.managed_subscription_id)

    step = result.step(STEP_CHECK_CONNECTION)
    assert step.status == "already_done"
    assert "Connected" in step.detail and info.managed_subscription_id in step.detail


def test_connection_check_fails_when_the_managed_side_is_missing(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    secret_credential: SecretCredential,
    onboard: Onboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    admin_b = info.admins["managed"]
    network_b = NetworkManagementClient(
        secret_credential(emu, admin_b.tenant_id, admin_b.client_id, admin_b.client_secret),
        info.managed_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        transport=emu.transport(),
    )
    with network_b:
        for connection in list(network_b.subscription_network_manager_connections.list()):
            assert connection.name is not None
            network_b.subscription_network_manager_connections.delete(connection.name)

    with pytest.raises(CrossTenantConnectionError) as caught:
        onboard(emu, check_connection=True, managed_subscription_id=info.managed_subscription_id)

    assert "Pending" in str(caught.value) or "no Connected" in str(caught.value)
    assert len(caught.value.completed_steps) == 3


# ------------------------------------------------------------------------------------------------
# clouds, HTTPS, logging


class _StaticCredential:
    """A minimal TokenCredential (any credential works): records what it was asked for."""

    def __init__(self) -> None:
        self.scopes: list[str] = []
        self.tenants: list[str | None] = []

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        self.scopes.extend(scopes)
        self.tenants.append(tenant_id)
        return AccessToken("opaque-static-token", 2_000_000_000)


@pytest.mark.parametrize(
    ("cloud", "graph_host"),
    [
        (None, "graph.microsoft.com"),
        (AzureClouds.AZURE_PUBLIC_CLOUD, "graph.microsoft.com"),
        (AzureClouds.AZURE_CHINA_CLOUD, "microsoftgraph.chinacloudapi.cn"),
        ("AZURE_US_GOVERNMENT", "graph.microsoft.us"),
        (
            CloudEndpoints(
                authority_host="https://login.contoso.example",
                resource_manager="https://arm.contoso.example/",
                graph="https://graph.contoso.example",
                resource_manager_scope="https://arm.contoso.example/.default",
            ),
            "graph.contoso.example",
        ),
    ],
)
def test_graph_goes_to_the_clouds_graph_host(
    azure_emulator_fresh: AzureEmulator,
    cloud: CloudEndpoints | AzureClouds | str | None,
    graph_host: str,
    info_of: InfoOf,
) -> None:
    """Sovereign and custom hosts are not served by the offline Azure (it answers 404): this only checks
    where Graph requests go and which token scope is asked for."""
    emu = azure_emulator_fresh
    info = info_of(emu)
    credential = _StaticCredential()
    tenant_b = info.managed_tenant_id

    with pytest.raises(OnboardingError):
        onboard_service_principal(
            info.app.client_id,
            info.pool_id,
            managed_tenant_id=tenant_b,
            management_tenant_id=info.management_tenant_id,
            managed_tenant_credential=credential,
            management_tenant_credential=credential,
            cloud=cloud,
            transport=emu.transport(),
        )

    first = next(iter(emu.journal))
    assert first.url.startswith(f"https://{graph_host}/v1.0/applications(appId=")
    assert credential.scopes == [f"https://{graph_host}/.default"]
    assert credential.tenants == [tenant_b]


def test_onboarding_over_https(
    azure_emulator_https: AzureEmulator,
    info_of: InfoOf,
    net_kwargs: NetKwargs,
    onboard: Onboard,
    offboard: Offboard,
    step_statuses: StepStatuses,
    deploy_vnet: DeployVnet,
) -> None:
    """The HTTPS front (real sockets, TLS with the test CA): a tenant that needs onboarding again."""
    emu = azure_emulator_https
    info = info_of(emu)
    assert info.ca_bundle
    off = offboard(emu, delete_service_principal=True)
    assert off.changed
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMyOrg"

    result = onboard(emu, check_connection=True)

    assert step_statuses(result) == {
        STEP_MAKE_MULTITENANT: "done",
        STEP_CREATE_SERVICE_PRINCIPAL: "done",
        STEP_ASSIGN_POOL_ROLE: "done",
        STEP_CHECK_CONNECTION: "already_done",
    }
    assert "connection_verify" in net_kwargs(emu)
    deploy_vnet(emu, "vnet-https")
    assert set(step_statuses(onboard(emu)).values()) == {"already_done"}


def test_progress_is_logged_without_secrets(
    azure_emulator_fresh: AzureEmulator, caplog: pytest.LogCaptureFixture, onboard: Onboard
) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 6
    caplog.set_level(logging.DEBUG)

    onboard(emu)

    ours = [r for r in caplog.records if r.name == "crossipam.onboarding"]
    messages = [r.getMessage() for r in ours]
    assert any(STEP_MAKE_MULTITENANT in m for m in messages)
    assert any(STEP_ASSIGN_POOL_ROLE in m for m in messages)
    assert any("replication" in m for m in messages)
    assert emu.issued_secrets
    for secret in emu.issued_secrets:
        assert secret not in caplog.text


def test_the_docs_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/onboarding.md's complete example runs as written."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "onboarding.md").read_text(encoding="utf-8")
    block = doc.split("<!-- runnable-example -->", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, "docs/onboarding.md", "exec"), {"__name__": "docs_example"})
    out = capsys.readouterr().out
    assert "plan: make_app_multitenant: planned" in out
    assert "done: assign_pool_role: done" in out
    assert "done: check_connection: already_done" in out
    assert "deployed: vnet-spoke-1 [IPv4Network('10.0.0.0/24')]" in out
    assert "remove_role_assignment: done" in out
