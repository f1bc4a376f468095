"""The offline Microsoft Graph through azure-core's own pipeline (bearer policy, real transport code)."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core import PipelineClient
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.identity import ClientSecretCredential

from crossipam.testing import AzureEmulator, ScenarioInfo


def _info(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


class Graph:
    """A minimal Graph client: azure-core pipeline + bearer policy, no Graph SDK."""

    def __init__(self, emu: AzureEmulator, client_id: str, secret: str, tenant_id: str) -> None:
        info = _info(emu)
        verify: dict[str, Any] = {"connection_verify": info.ca_bundle} if info.ca_bundle else {}
        transport = RequestsTransport(**verify) if info.ca_bundle else emu.transport()
        cred = ClientSecretCredential(
            tenant_id,
            client_id,
            secret,
            authority=info.authority,
            disable_instance_discovery=True,
            transport=transport,
        )
        self.base = info.graph_endpoint.rstrip("/") + "/v1.0"
        self.client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            base_url=self.base,
            policies=[BearerTokenCredentialPolicy(cred, info.graph_scope)],
            transport=transport,
        )

    def send(self, method: str, path: str, body: Any = None) -> HttpResponse:
        req = (
            HttpRequest(method, self.base + path, json=body)
            if body is not None
            else HttpRequest(method, self.base + path)
        )
        return self.client.send_request(req)


def _admin(emu: AzureEmulator, side: str) -> Graph:
    admin = _info(emu).admins[side]
    return Graph(emu, admin.client_id, admin.client_secret, admin.tenant_id)


def _error_code(resp: HttpResponse) -> str:
    return str(resp.json()["error"]["code"])


def test_get_application_by_app_id(azure_emulator_fresh: AzureEmulator) -> None:
    info = _info(azure_emulator_fresh)
    graph = _admin(azure_emulator_fresh, "managed")
    resp = graph.send("GET", f"/applications(appId='{info.app.client_id}')")
    assert resp.status_code == 200
    app = resp.json()
    assert app["appId"] == info.app.client_id
    assert app["signInAudience"] == "AzureADMyOrg"
    assert app["displayName"] == "spoke-automation"
    assert app["publisherDomain"] == "contosospoke.onmicrosoft.com"
    assert info.app.client_secret not in resp.text()
    by_object_id = graph.send("GET", f"/applications/{app['id']}")
    assert by_object_id.json()["appId"] == info.app.client_id
    listed = graph.send("GET", f"/applications?$filter=appId eq '{info.app.client_id}'").json()["value"]
    assert [a["id"] for a in listed] == [app["id"]]


def test_patch_sign_in_audience(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    graph = _admin(emu, "managed")
    resp = graph.send(
        "PATCH", f"/applications(appId='{info.app.client_id}')", {"signInAudience": "AzureADMultipleOrgs"}
    )
    assert resp.status_code == 204
    assert resp.text() == ""
    assert emu.state.applications[info.app.client_id].is_multitenant
    again = graph.send("GET", f"/applications(appId='{info.app.client_id}')")
    assert again.json()["signInAudience"] == "AzureADMultipleOrgs"


def test_patch_rejects_bad_values(azure_emulator_fresh: AzureEmulator) -> None:
    info = _info(azure_emulator_fresh)
    graph = _admin(azure_emulator_fresh, "managed")
    url = f"/applications(appId='{info.app.client_id}')"
    assert _error_code(graph.send("PATCH", url, {"signInAudience": "Everyone"})) == "Request_BadRequest"
    assert _error_code(graph.send("PATCH", url, {"bogus": 1})) == "Request_BadRequest"


def test_application_of_another_tenant_is_not_found(azure_emulator_fresh: AzureEmulator) -> None:
    info = _info(azure_emulator_fresh)
    graph = _admin(azure_emulator_fresh, "management")
    resp = graph.send(
        "PATCH", f"/applications(appId='{info.app.client_id}')", {"signInAudience": "AzureADMultipleOrgs"}
    )
    assert resp.status_code == 404
    assert _error_code(resp) == "Request_ResourceNotFound"


def test_caller_without_permission_is_denied(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    nobody = emu.add_application(info.managed_tenant_id, "no-graph-permissions")
    graph = Graph(emu, nobody.client_id, nobody.client_secret, info.managed_tenant_id)
    resp = graph.send(
        "PATCH", f"/applications(appId='{info.app.client_id}')", {"signInAudience": "AzureADMultipleOrgs"}
    )
    assert resp.status_code == 403
    body = resp.json()["error"]
    assert body["code"] == "Authorization_RequestDenied"
    assert body["message"] == "Insufficient privileges to complete the operation."
    assert set(body["innerError"]) >= {"request-id", "date"}
    assert graph.send("GET", f"/applications(appId='{info.app.client_id}')").status_code == 403
    assert not emu.state.applications[info.app.client_id].is_multitenant


def test_owned_by_permission_covers_only_owned_apps(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    owner = emu.add_application(
        info.managed_tenant_id, "self-service", graph_permissions=["Application.ReadWrite.OwnedBy"]
    )
    graph = Graph(emu, owner.client_id, owner.client_secret, info.managed_tenant_id)
    # add_application makes the app's own service principal its owner
    own = graph.send(
        "PATCH", f"/applications(appId='{owner.client_id}')", {"signInAudience": "AzureADMultipleOrgs"}
    )
    assert own.status_code == 204
    other = graph.send(
        "PATCH", f"/applications(appId='{info.app.client_id}')", {"signInAudience": "AzureADMultipleOrgs"}
    )
    assert other.status_code == 403
    # and a service principal for another tenant's app is refused with Graph's own wording
    admin_a_app = info.admins["management"].client_id
    emu.state.applications[admin_a_app].sign_in_audience = "AzureADMultipleOrgs"
    foreign = graph.send("POST", "/servicePrincipals", {"appId": admin_a_app})
    assert foreign.status_code == 403
    assert "must in the local tenant" in foreign.json()["error"]["message"]


def test_onboarding_flow_with_replication_delay(azure_emulator_fresh: AzureEmulator) -> None:
    emu = azure_emulator_fresh
    emu.settings.replication_delay = 30
    info = _info(emu)
    app_id = info.app.client_id
    graph_b, graph_a = _admin(emu, "managed"), _admin(emu, "management")

    refused = graph_a.send("POST", "/servicePrincipals", {"appId": app_id})
    assert refused.status_code == 400  # single-tenant app of another tenant
    assert _error_code(refused) == "Request_BadRequest"
    assert "does not reference a valid application object" in refused.json()["error"]["message"]

    assert (
        graph_b.send(
            "PATCH", f"/applications(appId='{app_id}')", {"signInAudience": "AzureADMultipleOrgs"}
        ).status_code
        == 204
    )
    created = graph_a.send("POST", "/servicePrincipals", {"appId": app_id})
    assert created.status_code == 201
    sp = created.json()
    assert sp["appId"] == app_id
    assert sp["appOwnerOrganizationId"] == info.managed_tenant_id
    assert sp["servicePrincipalType"] == "Application"
    assert sp["accountEnabled"] is True
    stored = emu.service_principal(app_id, info.management_tenant_id)
    assert stored is not None and stored.object_id == sp["id"]

    duplicate = graph_a.send("POST", "/servicePrincipals", {"appId": app_id})
    assert duplicate.status_code == 409
    assert _error_code(duplicate) == "Request_MultipleObjectsWithSameKeyValue"

    not_yet = graph_a.send("GET", f"/servicePrincipals(appId='{app_id}')")
    assert not_yet.status_code == 404
    assert _error_code(not_yet) == "Request_ResourceNotFound"
    assert graph_a.send("GET", f"/servicePrincipals?$filter=appId eq '{app_id}'").json()["value"] == []

    emu.clock.advance(31)
    found = graph_a.send("GET", f"/servicePrincipals(appId='{app_id}')")
    assert found.status_code == 200
    assert found.json()["id"] == sp["id"]
    assert graph_a.send("GET", f"/servicePrincipals/{sp['id']}").json()["appId"] == app_id


def test_replication_failures_count_attempts() -> None:
    emu = AzureEmulator()
    emu.settings.replication_failures = 2
    info = emu.load_scenario("onboarded")
    admin = info.admins["management"]
    other = emu.add_application(info.managed_tenant_id, "partner", multitenant=True)
    graph = Graph(emu, admin.client_id, admin.client_secret, admin.tenant_id)
    assert graph.send("POST", "/servicePrincipals", {"appId": other.client_id}).status_code == 201
    statuses = [
        graph.send("GET", f"/servicePrincipals(appId='{other.client_id}')").status_code for _ in range(3)
    ]
    assert statuses == [404, 404, 200]


def test_delete_service_principal(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    graph = _admin(emu, "management")
    sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp is not None
    assert graph.send("GET", f"/servicePrincipals(appId='{info.app.client_id}')").status_code == 200
    assert graph.send("DELETE", f"/servicePrincipals(appId='{info.app.client_id}')").status_code == 204
    assert emu.service_principal(info.app.client_id, info.management_tenant_id) is None
    gone = graph.send("GET", f"/servicePrincipals(appId='{info.app.client_id}')")
    assert gone.status_code == 404
    assert graph.send("DELETE", f"/servicePrincipals/{sp.object_id}").status_code == 404
    # recreate, delete by object id
    created = graph.send("POST", "/servicePrincipals", {"appId": info.app.client_id}).json()
    assert graph.send("DELETE", f"/servicePrincipals/{created['id']}").status_code == 204


def test_organization(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    admin = info.admins["management"]
    emu.grant_graph_permission(admin.client_id, admin.tenant_id, "Organization.Read.All")
    graph = Graph(emu, admin.client_id, admin.client_secret, admin.tenant_id)
    [org] = graph.send("GET", "/organization").json()["value"]
    assert org["id"] == info.management_tenant_id
    assert org["verifiedDomains"][0]["name"] == "contosoplatform.onmicrosoft.com"


def test_unknown_graph_path_and_missing_token(azure_emulator: AzureEmulator) -> None:
    graph = _admin(azure_emulator, "management")
    assert _error_code(graph.send("GET", "/me/drive")) == "BadRequest"
    bare: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
        base_url=graph.base, transport=azure_emulator.transport()
    )
    resp = bare.send_request(HttpRequest("GET", graph.base + "/applications"))
    assert resp.status_code == 401
    assert _error_code(resp) == "InvalidAuthenticationToken"


@pytest.mark.parametrize("side", ["managed", "management"])
def test_graph_over_https(azure_emulator_https: AzureEmulator, side: str) -> None:
    emu = azure_emulator_https
    info = _info(emu)
    assert info.ca_bundle is not None and info.graph_endpoint.startswith("https://127.0.0.1:")
    graph = _admin(emu, side)
    resp = graph.send("GET", f"/servicePrincipals(appId='{info.app.client_id}')")
    assert resp.status_code == 200
    expected = emu.service_principal(info.app.client_id, info.admins[side].tenant_id)
    assert expected is not None
    assert resp.json()["id"] == expected.object_id
