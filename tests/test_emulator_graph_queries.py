"""The Graph queries the Azure CLI and the SDKs send, over both fronts (``emu``: in-process and HTTPS).

``az role assignment create --assignee <appId>`` and ``az ad sp show --id <appId>`` resolve an app id with
``servicePrincipals?$filter=servicePrincipalNames/any(c:c eq '<appId>')``; ``az ad app update/show --id``
with ``applications?$filter=appId eq '<appId>'``; ``az ad sp list --display-name`` with
``startswith(displayName,'…')``; an object id with ``POST directoryObjects/getByIds``. What Graph does not
support answers 400 ``Request_UnsupportedQuery`` in Graph's error envelope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing.transport import emulator_session

SP_FIELDS = {"id", "appId", "appOwnerOrganizationId", "servicePrincipalType", "servicePrincipalNames"}


class Graph:
    """Plain ``requests`` to Graph with an admin's token for the public Graph scope."""

    def __init__(self, emu: AzureEmulator, info: ScenarioInfo, side: str) -> None:
        if info.ca_bundle is None:
            self.session = emulator_session(emu)
        else:
            self.session = requests.Session()
            self.session.trust_env = False
            self.session.verify = info.ca_bundle
        admin = info.admins[side]
        token = self.session.post(
            f"{info.authority}/{admin.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": admin.client_id,
                "client_secret": admin.client_secret,
                "scope": "https://graph.microsoft.com/.default",
            },
            timeout=30,
        )
        assert token.status_code == 200, token.text
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        self.base = f"{info.graph_endpoint}/v1.0"

    def get(self, path: str, **params: str) -> requests.Response:
        return self.session.get(self.base + path, params=params, headers=self.headers, timeout=30)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(self.base + path, json=body, headers=self.headers, timeout=30)

    def values(self, path: str, **params: str) -> list[dict[str, Any]]:
        resp = self.get(path, **params)
        assert resp.status_code == 200, resp.text
        value: list[dict[str, Any]] = resp.json()["value"]
        return value


@pytest.fixture
def graph_a(emu: AzureEmulator, info: ScenarioInfo) -> Iterator[Graph]:
    """Tenant A's admin: Application.ReadWrite.All there; the app's stub service principal lives there."""
    g = Graph(emu, info, "management")
    with g.session:
        yield g


def _stub(emu: AzureEmulator, info: ScenarioInfo) -> dict[str, str]:
    sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp is not None
    return {"id": sp.object_id, "displayName": sp.display_name}


def _unsupported(resp: requests.Response) -> str:
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["code"] == "Request_UnsupportedQuery"
    assert set(error["innerError"]) >= {"request-id", "date"}
    return str(error["message"])


def test_service_principal_by_service_principal_names(
    emu: AzureEmulator, info: ScenarioInfo, graph_a: Graph
) -> None:
    """What ``az role assignment create --assignee <appId>`` sends, and the body it reads."""
    app_id = info.app.client_id
    [sp] = graph_a.values(
        "/servicePrincipals", **{"$filter": f"servicePrincipalNames/any(c:c eq '{app_id}')"}
    )
    assert set(sp) >= SP_FIELDS
    assert sp["id"] == _stub(emu, info)["id"]
    assert sp["appId"] == app_id
    assert sp["appOwnerOrganizationId"] == info.managed_tenant_id  # the app's home tenant
    assert sp["servicePrincipalType"] == "Application"
    assert sp["servicePrincipalNames"] == [app_id]
    # Graph compares directory strings case-insensitively
    upper = graph_a.values(
        "/servicePrincipals", **{"$filter": f"servicePrincipalNames/any(c:c eq '{app_id.upper()}')"}
    )
    assert [s["id"] for s in upper] == [sp["id"]]
    prefix = graph_a.values(
        "/servicePrincipals", **{"$filter": f"servicePrincipalNames/any(x:startswith(x,'{app_id[:8]}'))"}
    )
    assert [s["id"] for s in prefix] == [sp["id"]]
    assert (
        graph_a.values("/servicePrincipals", **{"$filter": "servicePrincipalNames/any(c:c eq 'nobody')"})
        == []
    )


def test_service_principal_filters(emu: AzureEmulator, info: ScenarioInfo, graph_a: Graph) -> None:
    stub = _stub(emu, info)
    everyone = graph_a.values("/servicePrincipals")
    assert len(everyone) == 2  # tenant A's admin app and the automation app's stub
    admin_sp = next(s for s in everyone if s["id"] != stub["id"])

    def ids(flt: str) -> list[str]:
        return sorted(s["id"] for s in graph_a.values("/servicePrincipals", **{"$filter": flt}))

    assert ids(f"appId eq '{info.app.client_id}'") == [stub["id"]]
    assert ids(f"displayName eq '{stub['displayName']}'") == [stub["id"]]
    assert ids(f"displayName eq '{stub['displayName'].upper()}'") == [stub["id"]]
    assert ids(f"startswith(displayName,'{stub['displayName'][:5]}')") == [stub["id"]]
    assert ids(f"id in ('{stub['id']}','{admin_sp['id']}')") == sorted([stub["id"], admin_sp["id"]])
    assert ids(f"id in ('{stub['id']}', 'ffffffff-0000-4000-8000-000000000000')") == [stub["id"]]
    assert ids(f"appOwnerOrganizationId eq '{info.managed_tenant_id}'") == [stub["id"]]
    assert (
        ids(f"startswith(displayName,'{stub['displayName'][:5]}') and appId eq '{admin_sp['appId']}'") == []
    )
    assert ids(
        f"startswith(displayName,'{stub['displayName'][:5]}') and appId eq '{info.app.client_id}'"
    ) == [stub["id"]]
    assert ids("displayName eq 'it''s nobody'") == []  # OData's doubled quote


@pytest.mark.parametrize(
    "flt",
    [
        "servicePrincipalNames/any(c:c ne 'x')",
        "appId eq 'a' or appId eq 'b'",
        "notAProperty eq 'x'",
        "servicePrincipalNames eq 'x'",  # a collection is filtered with any()
        "startswith(servicePrincipalNames,'x')",
        "appId in ()",
        "appId eq x",
        "endswith(displayName,'x')",
    ],
)
def test_unsupported_filters_are_request_unsupported_query(graph_a: Graph, flt: str) -> None:
    _unsupported(graph_a.get("/servicePrincipals", **{"$filter": flt}))


def test_unsupported_filter_names_the_property(graph_a: Graph) -> None:
    message = _unsupported(graph_a.get("/servicePrincipals", **{"$filter": "notAProperty eq 'x'"}))
    assert message == (
        "Unsupported or invalid query filter clause specified for property 'notAProperty' of resource "
        "'ServicePrincipal'."
    )
    message = _unsupported(
        graph_a.get("/applications", **{"$filter": "servicePrincipalNames/any(c:c eq 'x')"})
    )
    assert "'servicePrincipalNames' of resource 'Application'" in message


def test_select(emu: AzureEmulator, info: ScenarioInfo, graph_a: Graph) -> None:
    app_id = info.app.client_id
    resp = graph_a.get(
        "/servicePrincipals",
        **{
            "$filter": f"servicePrincipalNames/any(c:c eq '{app_id}')",
            "$select": "appId,servicePrincipalType",
        },
    )
    body = resp.json()
    assert body["@odata.context"].endswith("/v1.0/$metadata#servicePrincipals(appId,servicePrincipalType)")
    assert body["value"] == [{"appId": app_id, "servicePrincipalType": "Application"}]  # only those
    one = graph_a.get(
        f"/servicePrincipals(appId='{app_id}')", **{"$select": "id,appOwnerOrganizationId"}
    ).json()
    assert one == {
        "@odata.context": f"{info.graph_endpoint}/v1.0/$metadata#servicePrincipals(id,appOwnerOrganizationId)/$entity",
        "id": _stub(emu, info)["id"],
        "appOwnerOrganizationId": info.managed_tenant_id,
    }
    bad = graph_a.get("/servicePrincipals", **{"$select": "id,secret"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "BadRequest"
    assert "'secret'" in bad.json()["error"]["message"]


def test_service_principal_by_app_id_key(emu: AzureEmulator, info: ScenarioInfo, graph_a: Graph) -> None:
    resp = graph_a.get(f"/servicePrincipals(appId='{info.app.client_id}')")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) >= SP_FIELDS
    assert body["id"] == _stub(emu, info)["id"]
    assert body["@odata.context"].endswith("/v1.0/$metadata#servicePrincipals/$entity")


def test_applications_queries(emu: AzureEmulator, info: ScenarioInfo) -> None:
    """In the app's home tenant (B): ``applications(appId='…')`` and the filters ``az ad app`` sends."""
    graph_b = Graph(emu, info, "managed")
    app_id = info.app.client_id
    with graph_b.session:
        by_key = graph_b.get(f"/applications(appId='{app_id}')", **{"$select": "appId,signInAudience"}).json()
        assert by_key["appId"] == app_id and by_key["signInAudience"] == "AzureADMultipleOrgs"
        assert set(by_key) == {"@odata.context", "appId", "signInAudience"}
        [app] = graph_b.values("/applications", **{"$filter": f"appId eq '{app_id}'"})
        assert app["appId"] == by_key["appId"]
        assert graph_b.values("/applications", **{"$filter": f"id in ('{app['id']}')"}) == [app]
        assert graph_b.values("/applications", **{"$filter": "identifierUris/any(s:s eq 'api://x')"}) == []
        starts = graph_b.values(
            "/applications", **{"$filter": f"startswith(displayName,'{app['displayName']}')"}
        )
        assert [a["appId"] for a in starts] == [app_id]


def test_get_by_ids(emu: AzureEmulator, info: ScenarioInfo, graph_a: Graph) -> None:
    """``az role assignment create --assignee <object id>`` resolves the id and its type with getByIds."""
    stub = _stub(emu, info)
    resp = graph_a.post(
        "/directoryObjects/getByIds",
        {
            "ids": [stub["id"], "ffffffff-0000-4000-8000-000000000000"],
            "types": ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"],
        },
    )
    assert resp.status_code == 200, resp.text
    [found] = resp.json()["value"]
    assert found["@odata.type"] == "#microsoft.graph.servicePrincipal"
    assert found["id"] == stub["id"] and found["appId"] == info.app.client_id
    none = graph_a.post("/directoryObjects/getByIds", {"ids": [stub["id"]], "types": ["user"]})
    assert none.json()["value"] == []
    bad = graph_a.post("/directoryObjects/getByIds", {"ids": "not-a-list"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "Request_BadRequest"


def test_a_new_service_principal_is_found_by_filter_once_replicated(
    emu: AzureEmulator, info: ScenarioInfo, graph_a: Graph
) -> None:
    emu.settings.replication_delay = 30
    app = emu.add_application(info.managed_tenant_id, "another-automation", multitenant=True)
    created = graph_a.post("/servicePrincipals", {"appId": app.client_id})
    assert created.status_code == 201, created.text
    flt = {"$filter": f"servicePrincipalNames/any(c:c eq '{app.client_id}')"}
    assert graph_a.values("/servicePrincipals", **flt) == []
    emu.clock.advance(30)
    assert [s["id"] for s in graph_a.values("/servicePrincipals", **flt)] == [created.json()["id"]]
