"""The offline ARM authorization (RBAC) and Microsoft.Resources basics, driven by azure-mgmt-authorization."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
from azure.core import PipelineClient
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing.state import ServicePrincipal

IPAM_POOL_USER = "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def _info(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


def _transport(emu: AzureEmulator) -> RequestsTransport:
    info = _info(emu)
    return RequestsTransport(connection_verify=info.ca_bundle) if info.ca_bundle else emu.transport()


def _credential(emu: AzureEmulator, client_id: str, secret: str, tenant_id: str) -> ClientSecretCredential:
    return ClientSecretCredential(
        tenant_id,
        client_id,
        secret,
        authority=_info(emu).authority,
        disable_instance_discovery=True,
        transport=_transport(emu),
    )


def _authz(
    emu: AzureEmulator, side: str = "management", *, creds: tuple[str, str, str] | None = None
) -> AuthorizationManagementClient:
    info = _info(emu)
    if creds is None:
        admin = info.admins[side]
        creds = (admin.client_id, admin.client_secret, admin.tenant_id)
    sub = (
        info.management_subscription_id
        if creds[2] == info.management_tenant_id
        else info.managed_subscription_id
    )
    return AuthorizationManagementClient(
        _credential(emu, *creds),
        sub,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        transport=_transport(emu),
    )


def _role_id(info: ScenarioInfo, guid: str) -> str:
    return f"/subscriptions/{info.management_subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def _params(
    info: ScenarioInfo, guid: str, principal: str, principal_type: str | None = "ServicePrincipal"
) -> RoleAssignmentCreateParameters:
    # the SDK model defaults principalType to "User"; None leaves the property out of the body
    return RoleAssignmentCreateParameters(
        role_definition_id=_role_id(info, guid),
        principal_id=principal,
        principal_type=cast(str, principal_type),
    )


def _new_principal(emu: AzureEmulator, tenant_id: str, *, replicated: bool = True) -> ServicePrincipal:
    app = emu.add_application(tenant_id, f"p-{uuid.uuid4().hex[:6]}", multitenant=True)
    sp = emu.service_principal(app.client_id, tenant_id)
    if not replicated:
        # a foreign tenant's fresh service principal, as Graph POST /servicePrincipals creates it
        other = next(t for t in emu.state.tenants if t != tenant_id)
        return emu.add_service_principal(app.client_id, other, replicated=False)
    assert sp is not None
    return sp


# ---- role definitions ------------------------------------------------------------------------------------


def test_role_definition_lookup_by_name_at_pool_scope(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    client = _authz(azure_emulator)
    [rd] = list(client.role_definitions.list(info.pool_id, filter="roleName eq 'IPAM Pool User'"))
    assert rd.name == IPAM_POOL_USER
    assert rd.role_name == "IPAM Pool User"
    assert rd.role_type == "BuiltInRole"
    assert rd.id == _role_id(info, IPAM_POOL_USER)
    assert rd.permissions is not None
    assert "Microsoft.Network/networkManagers/ipamPools/*/action" in (rd.permissions[0].actions or [])
    got = client.role_definitions.get(f"/subscriptions/{info.management_subscription_id}", IPAM_POOL_USER)
    assert got.role_name == "IPAM Pool User"
    by_id = client.role_definitions.get_by_id(_role_id(info, CONTRIBUTOR))
    assert by_id.role_name == "Contributor"
    assert list(client.role_definitions.list(info.pool_id, filter="roleName eq 'No Such Role'")) == []
    with pytest.raises(ResourceNotFoundError):
        client.role_definitions.get(info.pool_id, str(uuid.uuid4()))


# ---- role assignments ------------------------------------------------------------------------------------


def test_create_role_assignment_and_conflict(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    client = _authz(emu)
    sp = _new_principal(emu, info.management_tenant_id)
    name = str(uuid.uuid4())
    ra = client.role_assignments.create(info.pool_id, name, _params(info, IPAM_POOL_USER, sp.object_id))
    assert ra.name == name
    assert ra.scope == info.pool_id
    assert ra.principal_id == sp.object_id
    assert ra.principal_type == "ServicePrincipal"
    assert ra.role_definition_id == _role_id(info, IPAM_POOL_USER)
    assert ra.id == f"{info.pool_id}/providers/Microsoft.Authorization/roleAssignments/{name}"
    [put] = emu.journal.entries(method="PUT", path="roleAssignments")
    assert put.status == 201 and put.api_version == "2022-04-01"
    assert emu.state.is_authorized(
        sp.object_id,
        "Microsoft.Network/networkManagers/ipamPools/associateResourcesToPool/action",
        info.pool_id,
    )

    # identical PUT with the same name is idempotent
    again = client.role_assignments.create(info.pool_id, name, _params(info, IPAM_POOL_USER, sp.object_id))
    assert again.id == ra.id
    # the same role, principal and scope under another name conflicts
    with pytest.raises(ResourceExistsError) as err:
        client.role_assignments.create(
            info.pool_id, str(uuid.uuid4()), _params(info, IPAM_POOL_USER, sp.object_id)
        )
    assert err.value.error is not None and err.value.error.code == "RoleAssignmentExists"
    assert name.replace("-", "") in str(err.value)
    # reusing the name for something else is not an update ARM permits
    with pytest.raises(HttpResponseError) as upd:
        client.role_assignments.create(info.pool_id, name, _params(info, READER, sp.object_id))
    assert upd.value.error is not None and upd.value.error.code == "RoleAssignmentUpdateNotPermitted"


def test_principal_not_found_during_replication() -> None:
    emu = AzureEmulator()
    emu.settings.replication_delay = 30
    info = emu.load_scenario("onboarded")
    client = _authz(emu)
    sp = _new_principal(emu, info.managed_tenant_id, replicated=False)
    assert sp.tenant_id == info.management_tenant_id

    with pytest.raises(HttpResponseError) as err:
        client.role_assignments.create(
            info.pool_id, str(uuid.uuid4()), _params(info, IPAM_POOL_USER, sp.object_id, principal_type=None)
        )
    assert err.value.status_code == 400
    assert err.value.error is not None and err.value.error.code == "PrincipalNotFound"
    assert "does not exist in the directory" in str(err.value)
    assert info.management_tenant_id in str(err.value)

    # principalType lets ARM skip the directory lookup, as Learn documents
    ok = client.role_assignments.create(
        info.pool_id, str(uuid.uuid4()), _params(info, IPAM_POOL_USER, sp.object_id)
    )
    assert ok.principal_id == sp.object_id

    # once replicated, principalType is no longer needed
    emu.clock.advance(31)
    later = client.role_assignments.create(
        info.ipv6_pool_id, str(uuid.uuid4()), _params(info, IPAM_POOL_USER, sp.object_id, principal_type=None)
    )
    assert later.principal_type == "ServicePrincipal"


def test_principal_of_another_tenant_is_not_found(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    client = _authz(azure_emulator)
    # the automation app's object id in its *home* tenant is meaningless in the management tenant
    home_sp = azure_emulator.service_principal(info.app.client_id, info.managed_tenant_id)
    assert home_sp is not None
    with pytest.raises(HttpResponseError) as err:
        client.role_assignments.create(
            info.pool_id, str(uuid.uuid4()), _params(info, IPAM_POOL_USER, home_sp.object_id)
        )
    assert err.value.error is not None and err.value.error.code == "PrincipalNotFound"


def test_sdk_default_principal_type_user_does_not_match(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    client = _authz(azure_emulator)
    sp = _new_principal(azure_emulator, info.management_tenant_id)
    params = RoleAssignmentCreateParameters(
        role_definition_id=_role_id(info, IPAM_POOL_USER), principal_id=sp.object_id
    )
    assert params.principal_type == "User"
    with pytest.raises(HttpResponseError) as err:
        client.role_assignments.create(info.pool_id, str(uuid.uuid4()), params)
    assert err.value.error is not None and err.value.error.code == "UnmatchedPrincipalType"


def test_unknown_role_definition(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    client = _authz(azure_emulator)
    sp = _new_principal(azure_emulator, info.management_tenant_id)
    with pytest.raises(HttpResponseError) as err:
        client.role_assignments.create(
            info.pool_id, str(uuid.uuid4()), _params(info, str(uuid.uuid4()), sp.object_id)
        )
    assert err.value.error is not None and err.value.error.code == "RoleDefinitionDoesNotExist"


def test_rbac_inheritance_and_not_actions(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    a, sub_a = info.management_tenant_id, f"/subscriptions/{info.management_subscription_id}"
    target = _new_principal(emu, a)

    uaa = emu.add_application(a, "access-admin")
    emu.assign_role(uaa.object_id, "User Access Administrator", sub_a)
    uaa_client = _authz(emu, creds=(uaa.client_id, uaa.client_secret, a))
    # an assignment at the subscription authorizes at the pool, three levels below
    ra = uaa_client.role_assignments.create(
        info.pool_id, str(uuid.uuid4()), _params(info, IPAM_POOL_USER, target.object_id)
    )
    assert ra.scope == info.pool_id

    contributor = emu.add_application(a, "contributor")
    emu.assign_role(contributor.object_id, "Contributor", sub_a)
    c_client = _authz(emu, creds=(contributor.client_id, contributor.client_secret, a))
    with pytest.raises(HttpResponseError) as err:
        c_client.role_assignments.create(
            info.ipv6_pool_id, str(uuid.uuid4()), _params(info, IPAM_POOL_USER, target.object_id)
        )
    assert err.value.status_code == 403
    assert err.value.error is not None and err.value.error.code == "AuthorizationFailed"
    assert "Microsoft.Authorization/roleAssignments/write" in str(err.value)
    # Contributor may still read assignments (notActions cover only write/delete)
    assert list(c_client.role_assignments.list_for_scope(info.pool_id))

    # an assignment below the subscription does not authorize above it
    emu.assign_role(contributor.object_id, "Owner", info.pool_id)
    with pytest.raises(HttpResponseError):
        c_client.role_assignments.create(
            f"{sub_a}/resourceGroups/rg-ipam", str(uuid.uuid4()), _params(info, READER, target.object_id)
        )
    assert (
        c_client.role_assignments.create(
            info.pool_id, str(uuid.uuid4()), _params(info, READER, target.object_id)
        ).scope
        == info.pool_id
    )


def test_wrong_tenant_token_is_refused(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    client_b = _authz(azure_emulator, "managed")
    with pytest.raises(ClientAuthenticationError) as err:
        list(client_b.role_assignments.list_for_scope(info.pool_id))
    assert "InvalidAuthenticationTokenTenant" in str(err.value)


def test_delete_and_get(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    client = _authz(emu)
    sp = _new_principal(emu, info.management_tenant_id)
    name = str(uuid.uuid4())
    client.role_assignments.create(info.pool_id, name, _params(info, IPAM_POOL_USER, sp.object_id))
    assert client.role_assignments.get(info.pool_id, name).principal_id == sp.object_id
    assert (
        client.role_assignments.get_by_id(
            f"{info.pool_id}/providers/Microsoft.Authorization/roleAssignments/{name}"
        ).name
        == name
    )
    with pytest.raises(ResourceNotFoundError):
        client.role_assignments.get(info.ipv6_pool_id, name)  # exists, but at another scope
    deleted = client.role_assignments.delete(info.pool_id, name)
    assert deleted is not None and deleted.name == name
    assert not emu.state.is_authorized(
        sp.object_id, "Microsoft.Network/networkManagers/ipamPools/read", info.pool_id
    )
    with pytest.raises(ResourceNotFoundError):
        client.role_assignments.get(info.pool_id, name)
    assert client.role_assignments.delete(info.pool_id, name) is None  # 204


def test_list_filters(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    client = _authz(emu)
    sp_a = emu.service_principal(info.app.client_id, info.management_tenant_id)
    admin_oid = emu.service_principal(info.admins["management"].client_id, info.management_tenant_id)
    assert sp_a is not None and admin_oid is not None
    sub_a = f"/subscriptions/{info.management_subscription_id}"

    at_pool = list(client.role_assignments.list_for_scope(info.pool_id))
    # the admin's Owner at the subscription (above) and the app's IPAM Pool User at the pool
    assert {(r.principal_id, r.scope) for r in at_pool} == {
        (admin_oid.object_id, sub_a),
        (sp_a.object_id, info.pool_id),
    }

    below = list(client.role_assignments.list_for_scope(sub_a))
    assert {r.scope for r in below} == {sub_a, info.pool_id, info.ipv6_pool_id}
    at_scope = list(client.role_assignments.list_for_scope(sub_a, filter="atScope()"))
    assert {r.scope for r in at_scope} == {sub_a}

    for flt in (f"principalId eq '{sp_a.object_id}'", f"assignedTo('{sp_a.object_id}')"):
        mine = list(client.role_assignments.list_for_scope(sub_a, filter=flt))
        assert {r.scope for r in mine} == {info.pool_id, info.ipv6_pool_id}
        assert {r.role_definition_id for r in mine} == {_role_id(info, IPAM_POOL_USER)}
    combined = list(
        client.role_assignments.list_for_scope(
            info.pool_id, filter=f"atScope() and assignedTo('{sp_a.object_id}')"
        )
    )
    assert [r.scope for r in combined] == [info.pool_id]
    per_sub = list(client.role_assignments.list_for_subscription(filter=f"principalId eq '{sp_a.object_id}'"))
    assert len(per_sub) == 2


# ---- Microsoft.Resources and cloud metadata ---------------------------------------------------------------


def _arm(emu: AzureEmulator, creds: tuple[str, str, str]) -> PipelineClient[HttpRequest, HttpResponse]:
    info = _info(emu)
    return PipelineClient(
        base_url=info.arm_endpoint,
        policies=[BearerTokenCredentialPolicy(_credential(emu, *creds), info.arm_scope)],
        transport=_transport(emu),
    )


def _get(client: PipelineClient[HttpRequest, HttpResponse], url: str) -> HttpResponse:
    return client.send_request(HttpRequest("GET", url))


def test_subscriptions_tenants_and_resource_groups(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    arm_url = info.arm_endpoint.rstrip("/")
    app = _arm(emu, (info.app.client_id, info.app.client_secret, info.managed_tenant_id))

    subs = _get(app, f"{arm_url}/subscriptions?api-version=2022-12-01").json()["value"]
    assert [(s["subscriptionId"], s["tenantId"], s["state"]) for s in subs] == [
        (info.managed_subscription_id, info.managed_tenant_id, "Enabled")
    ]
    sub = _get(app, f"{arm_url}/subscriptions/{info.managed_subscription_id}?api-version=2022-12-01").json()
    assert sub["id"] == f"/subscriptions/{info.managed_subscription_id}"
    foreign = _get(app, f"{arm_url}/subscriptions/{info.management_subscription_id}?api-version=2022-12-01")
    assert foreign.status_code == 401

    [tenant] = _get(app, f"{arm_url}/tenants?api-version=2022-12-01").json()["value"]
    assert tenant["tenantId"] == info.managed_tenant_id

    rg_url = f"{arm_url}/subscriptions/{info.managed_subscription_id}/resourcegroups"
    rg = _get(app, f"{rg_url}/{info.resource_group}?api-version=2021-04-01").json()
    assert rg["name"] == info.resource_group and rg["location"] == info.location
    assert [r["name"] for r in _get(app, f"{rg_url}?api-version=2021-04-01").json()["value"]] == [
        info.resource_group
    ]
    # Network Contributor on one resource group does not reach another
    emu.add_resource_group(info.managed_subscription_id, "rg-other")
    denied = _get(app, f"{rg_url}/rg-other?api-version=2021-04-01")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "AuthorizationFailed"
    assert len(_get(app, f"{rg_url}?api-version=2021-04-01").json()["value"]) == 1

    admin = info.admins["managed"]
    owner = _arm(emu, (admin.client_id, admin.client_secret, admin.tenant_id))
    missing = _get(owner, f"{rg_url}/rg-missing?api-version=2021-04-01")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceGroupNotFound"
    assert len(_get(owner, f"{rg_url}?api-version=2021-04-01").json()["value"]) == 2


def test_principal_without_access_sees_no_subscriptions(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    nobody = azure_emulator.add_application(info.managed_tenant_id, "nobody")
    client = _arm(azure_emulator, (nobody.client_id, nobody.client_secret, info.managed_tenant_id))
    arm_url = info.arm_endpoint.rstrip("/")
    assert _get(client, f"{arm_url}/subscriptions?api-version=2022-12-01").json()["value"] == []
    assert (
        _get(
            client, f"{arm_url}/subscriptions/{info.managed_subscription_id}?api-version=2022-12-01"
        ).status_code
        == 403
    )


def test_cloud_metadata_is_unauthenticated(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
        base_url=info.arm_endpoint, transport=azure_emulator.transport()
    )
    arm_url = info.arm_endpoint.rstrip("/")
    doc: dict[str, Any] = _get(client, f"{arm_url}/metadata/endpoints?api-version=2022-09-01").json()
    assert doc["resourceManager"] == info.arm_endpoint
    assert doc["authentication"]["loginEndpoint"].rstrip("/") == info.authority
    assert doc["authentication"]["audiences"] == [  # Azure's two (its order), then the offline Azure's URL
        "https://management.core.windows.net/",
        "https://management.azure.com/",
        info.arm_endpoint,
    ]
    assert doc["microsoftGraphResourceId"].rstrip("/") == info.graph_endpoint
    old = _get(client, f"{arm_url}/metadata/endpoints?api-version=2019-05-01").json()
    assert isinstance(old, list) and old[0]["resourceManager"] == info.arm_endpoint


def test_role_assignment_over_https(azure_emulator_https: AzureEmulator) -> None:
    emu = azure_emulator_https
    info = _info(emu)
    assert info.ca_bundle is not None and info.arm_endpoint.startswith("https://127.0.0.1:")
    client = _authz(emu)
    sp = _new_principal(emu, info.management_tenant_id)
    [rd] = list(client.role_definitions.list(info.pool_id, filter="roleName eq 'IPAM Pool User'"))
    assert rd.id is not None
    ra = client.role_assignments.create(
        info.pool_id,
        str(uuid.uuid4()),
        RoleAssignmentCreateParameters(
            role_definition_id=rd.id, principal_id=sp.object_id, principal_type="ServicePrincipal"
        ),
    )
    assert ra.scope == info.pool_id
    assert [
        r.name
        for r in client.role_assignments.list_for_scope(info.pool_id, filter=f"assignedTo('{sp.object_id}')")
    ] == [ra.name]
