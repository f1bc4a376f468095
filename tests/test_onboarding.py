"""Onboarding (issue 4) against the offline Azure, with the real azure-identity, azure-core and azure-mgmt-*."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from azure.core import AzureClouds
from azure.core.credentials import AccessToken
from azure.identity import ClientSecretCredential
from azure.mgmt.network import NetworkManagementClient

from crossipam.client import CrossTenantIpamClient
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
from crossipam.models import CloudEndpoints, VirtualNetworkDeployment
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
    offboard_service_principal,
    onboard_service_principal,
    role_assignment_name,
)
from crossipam.testing import AzureEmulator, ScenarioInfo

# ------------------------------------------------------------------------------------------------
# helpers


def _info(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


def _cloud(info: ScenarioInfo) -> CloudEndpoints:
    return CloudEndpoints(
        authority_host=info.authority,
        resource_manager=info.arm_endpoint,
        graph=info.graph_endpoint,
        resource_manager_scope=info.arm_scope,
    )


def _net_kwargs(emu: AzureEmulator) -> dict[str, Any]:
    """How a client reaches this offline Azure: in-process transport, or HTTPS with the test CA."""
    info = _info(emu)
    if info.ca_bundle:
        return {"connection_verify": info.ca_bundle}
    return {"transport": emu.transport()}


def _secret_credential(
    emu: AzureEmulator, tenant_id: str, client_id: str, secret: str
) -> ClientSecretCredential:
    info = _info(emu)
    return ClientSecretCredential(
        tenant_id,
        client_id,
        secret,
        authority=info.authority,
        disable_instance_discovery=True,
        **_net_kwargs(emu),
    )


def _admin(emu: AzureEmulator, which: str) -> ClientSecretCredential:
    admin = _info(emu).admins[which]
    return _secret_credential(emu, admin.tenant_id, admin.client_id, admin.client_secret)


class FakeSleep:
    """Never really sleeps: advances the emulator's clock instead."""

    def __init__(self, emu: AzureEmulator) -> None:
        self.emu = emu
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.emu.clock.advance(seconds)

    @property
    def total(self) -> float:
        return sum(self.calls)


def _onboard(emu: AzureEmulator, **overrides: Any) -> OnboardingResult:
    info = _info(emu)
    kwargs: dict[str, Any] = {
        "managed_tenant_id": info.managed_tenant_id,
        "management_tenant_id": info.management_tenant_id,
        "managed_tenant_credential": _admin(emu, "managed"),
        "management_tenant_credential": _admin(emu, "management"),
        "cloud": _cloud(info),
        "sleep": FakeSleep(emu),
        **_net_kwargs(emu),
    }
    kwargs.update(overrides)
    return onboard_service_principal(info.app.client_id, info.pool_id, **kwargs)


def _offboard(emu: AzureEmulator, **overrides: Any) -> OffboardingResult:
    info = _info(emu)
    kwargs: dict[str, Any] = {
        "management_tenant_id": info.management_tenant_id,
        "management_tenant_credential": _admin(emu, "management"),
        "cloud": _cloud(info),
        **_net_kwargs(emu),
    }
    kwargs.update(overrides)
    return offboard_service_principal(info.app.client_id, info.pool_id, **kwargs)


def _statuses(result: OnboardingResult | OffboardingResult) -> dict[str, str]:
    return {step.name: step.status for step in result.steps}


def _deploy_vnet(emu: AzureEmulator, name: str) -> VirtualNetworkDeployment:
    """The automation app (not an admin) deploys a VNet in tenant B from the pool in tenant A with the core
    client: primary token for tenant B, auxiliary token for tenant A."""
    info = _info(emu)
    with CrossTenantIpamClient.from_client_secret(
        info.app.client_id,
        info.app.client_secret,
        managed_tenant_id=info.managed_tenant_id,
        management_tenant_id=info.management_tenant_id,
        cloud=_cloud(info),
        polling_interval=0,
        **_net_kwargs(emu),
    ) as client:
        return client.begin_deploy_virtual_network(
            info.vnet_id(name), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=256
        ).result()


# ------------------------------------------------------------------------------------------------
# fresh onboarding, re-runs, dry runs


def test_fresh_onboarding_end_to_end_then_cross_tenant_deployment(
    azure_emulator_fresh: AzureEmulator,
) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    app_id = info.app.client_id

    # before: the app cannot deploy from the pool (no token in tenant A at all)
    with pytest.raises(AppNotOnboardedError) as not_yet:
        _deploy_vnet(emu, "vnet-before")
    assert not_yet.value.tenant_id == info.management_tenant_id

    result = _onboard(emu)

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
    vnet = _deploy_vnet(emu, "vnet-onboarded")
    assert vnet.action == "created" and vnet.address_prefixes
    put = emu.journal.entries(service="arm", method="PUT", path="virtualNetworks/vnet-onboarded")[-1]
    assert put.status in (200, 201)
    assert put.aux_tenant_ids == (info.management_tenant_id,)


def test_rerun_reports_already_done_and_writes_nothing(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    first = _onboard(emu)
    emu.journal.clear()

    again = _onboard(emu)

    assert _statuses(again) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "already_done",
        STEP_ASSIGN_POOL_ROLE: "already_done",
    }
    assert not again.changed
    assert again.service_principal_object_id == first.service_principal_object_id
    assert again.role_assignment_id is not None and first.role_assignment_id is not None
    assert again.role_assignment_id.lower() == first.role_assignment_id.lower()
    assert emu.journal.writes() == []


def test_already_onboarded_scenario_is_recognised(azure_emulator: AzureEmulator) -> None:
    """The ``onboarded`` scenario's assignment has a random name: it is found and kept, not duplicated."""
    emu = azure_emulator
    info = _info(emu)
    before = len(emu.state.role_assignments)

    result = _onboard(emu)

    assert set(_statuses(result).values()) == {"already_done"}
    assert len(emu.state.role_assignments) == before
    assert emu.journal.writes() == []
    sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp is not None and result.service_principal_object_id == sp.object_id

    planned = _onboard(emu, dry_run=True)
    assert set(_statuses(planned).values()) == {"already_done"}
    assert planned.role_assignment_id == result.role_assignment_id


def test_dry_run_on_fresh_tenant_plans_everything_and_writes_nothing(
    azure_emulator_fresh: AzureEmulator,
) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)

    result = _onboard(emu, dry_run=True)

    assert result.dry_run
    assert _statuses(result) == {
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


def test_dry_run_halfway_plans_only_what_is_missing(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMultipleOrgs"
    sp = emu.add_service_principal(info.app.client_id, info.management_tenant_id)
    emu.journal.clear()

    result = _onboard(emu, dry_run=True)

    assert _statuses(result) == {
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


def test_replication_delay_is_waited_out(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 20
    sleep = FakeSleep(emu)

    result = _onboard(emu, sleep=sleep)

    assert set(_statuses(result).values()) == {"done"}
    assert sleep.calls and set(sleep.calls) == {5.0}
    assert 20 <= sleep.total <= 30
    reads = emu.journal.entries(service="graph", method="GET", path=r"servicePrincipals\(appId=")
    assert [e.status for e in reads][-1] == 200
    assert 404 in {e.status for e in reads[1:]}  # read-after-create answered 404 while replicating
    _deploy_vnet(emu, "vnet-after-replication")


def test_replication_attempt_knob_is_waited_out(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_failures = 3
    sleep = FakeSleep(emu)

    result = _onboard(emu, sleep=sleep, replication_poll_interval=2)

    assert set(_statuses(result).values()) == {"done"}
    assert sleep.calls == [2.0, 2.0, 2.0]


def test_principal_not_found_on_role_assignment_is_retried(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
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
    sleep = FakeSleep(emu)

    result = _onboard(emu, sleep=sleep)

    assert fault.hits == 2
    assert result.step(STEP_ASSIGN_POOL_ROLE).status == "done"
    assert sleep.calls == [5.0, 5.0]


def test_replication_still_pending_gives_typed_error_then_rerun_completes(
    azure_emulator_fresh: AzureEmulator,
) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    emu.settings.replication_delay = 600
    sleep = FakeSleep(emu)

    with pytest.raises(ReplicationPendingError) as caught:
        _onboard(emu, sleep=sleep, max_replication_wait=30)

    err = caught.value
    assert isinstance(err, OnboardingError) and isinstance(err, CrossIpamError)
    assert err.tenant_id == info.management_tenant_id
    assert err.attempts == 7 and err.waited_seconds == 30
    assert "replication" in str(err) and info.management_tenant_id in str(err)
    assert [line.split(":")[0] for line in err.completed_steps] == [
        STEP_MAKE_MULTITENANT,
        STEP_CREATE_SERVICE_PRINCIPAL,
    ]
    assert sleep.total == 30

    emu.clock.advance(600)
    result = _onboard(emu, sleep=sleep)
    assert _statuses(result) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "already_done",
        STEP_ASSIGN_POOL_ROLE: "done",
    }


def test_replication_attempts_can_be_capped(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 600
    sleep = FakeSleep(emu)

    with pytest.raises(ReplicationPendingError) as caught:
        _onboard(emu, sleep=sleep, max_replication_attempts=3)

    assert caught.value.attempts == 3
    assert sleep.calls == [5.0, 5.0]


def test_transient_graph_and_arm_failures_are_retried_by_azure_core(
    azure_emulator_fresh: AzureEmulator,
) -> None:
    emu = azure_emulator_fresh
    graph_fault = emu.faults.add(
        "PATCH", "applications", status=503, code="ServiceUnavailable", retry_after=0
    )
    arm_fault = emu.faults.add("PUT", "roleAssignments", status=429, code="TooManyRequests", retry_after=0)

    result = _onboard(emu, retry_backoff_factor=0)

    assert graph_fault.hits == 1 and arm_fault.hits == 1
    assert set(_statuses(result).values()) == {"done"}


def test_azure_core_kwargs_reach_every_pipeline(azure_emulator_fresh: AzureEmulator) -> None:
    """``retry_total=0`` turns azure-core's retries off for Graph and ARM alike: the first 503 is final."""
    emu = azure_emulator_fresh
    fault = emu.faults.add("PATCH", "applications", status=503, code="ServiceUnavailable", times=5)

    with pytest.raises(OnboardingError, match="HTTP 503") as caught:
        _onboard(emu, retry_total=0)

    assert fault.hits == 1
    assert caught.value.tenant_id == _info(emu).managed_tenant_id


def test_service_principal_created_concurrently_is_read_back(azure_emulator_fresh: AzureEmulator) -> None:
    """Someone else created the principal a moment ago: GET 404 (replicating), POST 409, read back with retry."""
    emu = azure_emulator_fresh
    info = _info(emu)
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMultipleOrgs"
    emu.settings.replication_delay = 12
    sp = emu.add_service_principal(info.app.client_id, info.management_tenant_id, replicated=False)
    sleep = FakeSleep(emu)

    result = _onboard(emu, sleep=sleep)

    assert result.step(STEP_CREATE_SERVICE_PRINCIPAL).status == "already_done"
    assert result.service_principal_object_id == sp.object_id
    assert [e.status for e in emu.journal.entries(service="graph", method="POST")] == [409]
    assert sleep.total >= 12


# ------------------------------------------------------------------------------------------------
# missing permissions and bad credentials


def test_managed_admin_without_graph_permission(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    weak = emu.add_application(info.managed_tenant_id, "weak-admin-b")

    with pytest.raises(InsufficientPrivilegesError) as caught:
        _onboard(
            emu,
            managed_tenant_credential=_secret_credential(
                emu, info.managed_tenant_id, weak.client_id, weak.client_secret
            ),
        )

    err = caught.value
    assert err.tenant_id == info.managed_tenant_id
    assert "Application.ReadWrite.All" in err.permission or "Application.Read.All" in err.permission
    assert info.managed_tenant_id in str(err) and "Microsoft Graph" in str(err)
    assert emu.journal.writes() == []


def test_managed_admin_with_read_only_graph_permission(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    reader = emu.add_application(
        info.managed_tenant_id, "reader-b", graph_permissions=["Application.Read.All"]
    )

    with pytest.raises(InsufficientPrivilegesError) as caught:
        _onboard(
            emu,
            managed_tenant_credential=_secret_credential(
                emu, info.managed_tenant_id, reader.client_id, reader.client_secret
            ),
        )

    message = str(caught.value)
    assert f"admin credential for tenant {info.managed_tenant_id}" in message
    assert "Application.ReadWrite.All (or Application.ReadWrite.OwnedBy" in message
    assert caught.value.completed_steps == ()


def test_management_admin_without_graph_permission(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    weak = emu.add_application(info.management_tenant_id, "weak-admin-a")
    emu.assign_role(weak.object_id, "Owner", f"/subscriptions/{info.management_subscription_id}")

    with pytest.raises(InsufficientPrivilegesError) as caught:
        _onboard(
            emu,
            management_tenant_credential=_secret_credential(
                emu, info.management_tenant_id, weak.client_id, weak.client_secret
            ),
        )

    err = caught.value
    assert err.tenant_id == info.management_tenant_id
    assert "Application.R" in err.permission
    assert [line.split(":")[0] for line in err.completed_steps] == [STEP_MAKE_MULTITENANT]


def test_management_admin_without_rbac_write(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    reader = emu.add_application(
        info.management_tenant_id, "graph-only-admin-a", graph_permissions=["Application.ReadWrite.All"]
    )
    emu.assign_role(reader.object_id, "Reader", f"/subscriptions/{info.management_subscription_id}")

    with pytest.raises(InsufficientPrivilegesError) as caught:
        _onboard(
            emu,
            management_tenant_credential=_secret_credential(
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


def test_wrong_secret_names_the_tenant(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    admin = info.admins["managed"]

    with pytest.raises(AdminCredentialError) as caught:
        _onboard(
            emu,
            managed_tenant_credential=_secret_credential(
                emu, info.managed_tenant_id, admin.client_id, "not-the-secret"
            ),
        )

    assert caught.value.tenant_id == info.managed_tenant_id
    assert "managed-tenant admin credential" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


def test_unknown_app_is_a_typed_error(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    with pytest.raises(ApplicationNotFoundError, match=info.managed_tenant_id):
        onboard_service_principal(
            str(uuid.uuid4()),
            info.pool_id,
            managed_tenant_id=info.managed_tenant_id,
            management_tenant_id=info.management_tenant_id,
            managed_tenant_credential=_admin(emu, "managed"),
            management_tenant_credential=_admin(emu, "management"),
            cloud=_cloud(info),
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


# ------------------------------------------------------------------------------------------------
# offboarding


def test_offboarding_makes_the_next_deployment_fail(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    onboarded = _onboard(emu)
    _deploy_vnet(emu, "vnet-1")

    result = _offboard(emu)

    assert _statuses(result) == {STEP_REMOVE_ROLE_ASSIGNMENT: "done"}
    assert result.removed_role_assignment_ids == (onboarded.role_assignment_id,)
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is not None
    with pytest.raises(LinkedAuthorizationError) as caught:
        _deploy_vnet(emu, "vnet-2")
    assert caught.value.code == "LinkedAuthorizationFailed" and caught.value.status == 403
    assert caught.value.tenant_id == info.management_tenant_id
    assert caught.value.linked_scope is not None and caught.value.linked_scope.lower() == info.pool_id.lower()

    again = _offboard(emu)
    assert _statuses(again) == {STEP_REMOVE_ROLE_ASSIGNMENT: "already_done"}
    assert not again.changed


def test_offboarding_can_delete_the_service_principal(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    _onboard(emu)
    emu.journal.clear()

    planned = _offboard(emu, dry_run=True, delete_service_principal=True)
    assert _statuses(planned) == {
        STEP_REMOVE_ROLE_ASSIGNMENT: "planned",
        STEP_DELETE_SERVICE_PRINCIPAL: "planned",
    }
    assert emu.journal.writes() == []

    result = _offboard(emu, delete_service_principal=True)
    assert _statuses(result) == {STEP_REMOVE_ROLE_ASSIGNMENT: "done", STEP_DELETE_SERVICE_PRINCIPAL: "done"}
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is None
    with pytest.raises(AppNotOnboardedError):
        _deploy_vnet(emu, "vnet-gone")

    again = _offboard(emu, delete_service_principal=True)
    assert _statuses(again) == {
        STEP_REMOVE_ROLE_ASSIGNMENT: "already_done",
        STEP_DELETE_SERVICE_PRINCIPAL: "already_done",
    }

    # and onboarding brings it all back
    back = _onboard(emu)
    assert _statuses(back) == {
        STEP_MAKE_MULTITENANT: "already_done",
        STEP_CREATE_SERVICE_PRINCIPAL: "done",
        STEP_ASSIGN_POOL_ROLE: "done",
    }
    _deploy_vnet(emu, "vnet-back")


def test_offboarding_leaves_broader_assignments_alone(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    result = _onboard(emu)
    assert result.service_principal_object_id is not None
    emu.assign_role(result.service_principal_object_id, "IPAM Pool User", info.network_manager_id)

    off = _offboard(emu)

    step = off.step(STEP_REMOVE_ROLE_ASSIGNMENT)
    assert step.status == "done"
    assert "left alone" in step.detail and info.network_manager_id in step.detail
    _deploy_vnet(emu, "vnet-still-allowed")


# ------------------------------------------------------------------------------------------------
# connection check


def test_connection_check_reports_connected(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)

    result = _onboard(emu, check_connection=True, managed_subscription_id=info.managed_subscription_id)

    step = result.step(STEP_CHECK_CONNECTION)
    assert step.status == "already_done"
    assert "Connected" in step.detail and info.managed_subscription_id in step.detail


def test_connection_check_fails_when_the_managed_side_is_missing(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    network_b = NetworkManagementClient(
        _admin(emu, "managed"),
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
        _onboard(emu, check_connection=True, managed_subscription_id=info.managed_subscription_id)

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
    azure_emulator_fresh: AzureEmulator, cloud: CloudEndpoints | AzureClouds | str | None, graph_host: str
) -> None:
    """Sovereign and custom hosts are not served by the offline Azure (it answers 404): this only checks
    where Graph requests go and which token scope is asked for."""
    emu = azure_emulator_fresh
    info = _info(emu)
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


def test_onboarding_over_https(azure_emulator_https: AzureEmulator) -> None:
    """The HTTPS front (real sockets, TLS with the test CA): a tenant that needs onboarding again."""
    emu = azure_emulator_https
    info = _info(emu)
    assert info.ca_bundle
    off = _offboard(emu, delete_service_principal=True)
    assert off.changed
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMyOrg"

    result = _onboard(emu, check_connection=True)

    assert _statuses(result) == {
        STEP_MAKE_MULTITENANT: "done",
        STEP_CREATE_SERVICE_PRINCIPAL: "done",
        STEP_ASSIGN_POOL_ROLE: "done",
        STEP_CHECK_CONNECTION: "already_done",
    }
    assert "connection_verify" in _net_kwargs(emu)
    _deploy_vnet(emu, "vnet-https")
    assert set(_statuses(_onboard(emu)).values()) == {"already_done"}


def test_progress_is_logged_without_secrets(
    azure_emulator_fresh: AzureEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 6
    caplog.set_level(logging.DEBUG)

    _onboard(emu)

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
