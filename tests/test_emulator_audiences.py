"""Token audiences: Entra ID issues tokens for the public resource ids of ARM and Graph as well as the offline
Azure's own URLs, with ``aud`` exactly what was asked (v2: the scope without ``/.default``; v1: the resource);
ARM and Graph accept every one of their audiences and refuse the other's; ``/metadata/endpoints`` advertises them
as Azure does. Each test runs over both fronts (``emu``: in-process and HTTPS on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import VirtualNetwork

from crossipam.testing import AzureEmulator, ScenarioInfo
from crossipam.testing.transport import emulator_session

ARM_API = "api-version=2022-12-01"


@pytest.fixture
def session(emu: AzureEmulator, info: ScenarioInfo) -> Iterator[requests.Session]:
    """Plain ``requests`` to ``emu``'s front: the in-process adapter, or HTTPS trusting the test CA."""
    if info.ca_bundle is None:
        s = emulator_session(emu)
    else:
        s = requests.Session()
        s.trust_env = False
        s.verify = info.ca_bundle
    with s:
        yield s


def _admin_credential(emu: AzureEmulator, info: ScenarioInfo) -> ClientSecretCredential:
    admin = info.admins["management"]
    transport: dict[str, Any] = (
        {"connection_verify": info.ca_bundle} if info.ca_bundle else {"transport": emu.transport()}
    )
    return ClientSecretCredential(
        admin.tenant_id,
        admin.client_id,
        admin.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        **transport,
    )


def _aud(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["aud"])


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _arm_get(s: requests.Session, info: ScenarioInfo, token: str) -> requests.Response:
    return s.get(
        f"{info.arm_endpoint}subscriptions?{ARM_API}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _graph_get(s: requests.Session, info: ScenarioInfo, token: str) -> requests.Response:
    return s.get(
        f"{info.graph_endpoint}/v1.0/servicePrincipals(appId='{info.app.client_id}')",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


# (scope as asked, the token's aud): v2 takes the scope without "/.default"; the Azure CLI's "//.default" form
# keeps the resource id's trailing slash
ARM_SCOPES = [
    ("https://management.azure.com/.default", "https://management.azure.com"),
    ("https://management.azure.com//.default", "https://management.azure.com/"),
    ("https://management.core.windows.net/.default", "https://management.core.windows.net"),
    ("https://management.core.windows.net//.default", "https://management.core.windows.net/"),
]
GRAPH_SCOPES = [
    ("https://graph.microsoft.com/.default", "https://graph.microsoft.com"),
    ("https://graph.microsoft.com//.default", "https://graph.microsoft.com/"),
]


@pytest.mark.parametrize(("scope", "aud"), ARM_SCOPES)
def test_public_arm_scopes_give_the_audience_asked_and_arm_accepts_it(
    emu: AzureEmulator, info: ScenarioInfo, session: requests.Session, scope: str, aud: str
) -> None:
    token = _admin_credential(emu, info).get_token(scope).token
    assert _aud(token) == aud
    assert "roles" not in _claims(token)
    resp = _arm_get(session, info, token)
    assert resp.status_code == 200, resp.text
    assert [s["subscriptionId"] for s in resp.json()["value"]] == [info.management_subscription_id]
    # an ARM token is not a Graph token
    refused = _graph_get(session, info, token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "InvalidAuthenticationToken"


@pytest.mark.parametrize(("scope", "aud"), GRAPH_SCOPES)
def test_public_graph_scopes_give_the_audience_asked_and_graph_accepts_it(
    emu: AzureEmulator, info: ScenarioInfo, session: requests.Session, scope: str, aud: str
) -> None:
    token = _admin_credential(emu, info).get_token(scope).token
    assert _aud(token) == aud
    assert _claims(token)["roles"] == ["Application.ReadWrite.All"]  # Graph's app roles, as for its own URL
    resp = _graph_get(session, info, token)
    assert resp.status_code == 200, resp.text
    assert resp.json()["appId"] == info.app.client_id
    refused = _arm_get(session, info, token)
    assert refused.status_code == 401
    error = refused.json()["error"]
    assert error["code"] == "InvalidAuthenticationTokenAudience"
    assert f"'{aud}'" in error["message"]


def test_sdk_clients_with_their_default_public_scope(emu: AzureEmulator, info: ScenarioInfo) -> None:
    """azure-mgmt-network and azure-mgmt-authorization ask for ``https://management.azure.com/.default`` unless
    told otherwise: pointed at the offline Azure with ``base_url`` alone, they deploy across tenants."""
    app = info.app
    pipeline: dict[str, Any] = (
        {"connection_verify": info.ca_bundle} if info.ca_bundle else {"transport": emu.transport()}
    )

    def credential(tenant: str) -> ClientSecretCredential:
        return ClientSecretCredential(
            tenant,
            app.client_id,
            app.client_secret,
            authority=info.authority,
            disable_instance_discovery=True,
            **pipeline,
        )

    network = NetworkManagementClient(
        credential(info.managed_tenant_id),
        info.managed_subscription_id,
        base_url=info.arm_endpoint,
        polling_interval=0,
        per_retry_policies=[
            AuxiliaryAuthenticationPolicy(
                [credential(info.management_tenant_id)], "https://management.azure.com/.default"
            )
        ],
        **pipeline,
    )
    body = VirtualNetwork(
        {
            "location": info.location,
            "properties": {
                "addressSpace": {
                    "ipamPoolPrefixAllocations": [
                        {"numberOfIpAddresses": "256", "pool": {"id": info.pool_id}}
                    ]
                }
            },
        }
    )
    vnet = network.virtual_networks.begin_create_or_update(
        info.resource_group, "vnet-default-scope", body
    ).result()
    assert vnet.address_space is not None and vnet.address_space.address_prefixes == ["10.0.0.0/24"]
    [put] = emu.journal.entries(service="arm", method="PUT", path="/virtualNetworks/vnet-default-scope")
    assert (put.status, put.tenant_id, put.aux_tenant_ids) == (
        201,
        info.managed_tenant_id,
        (info.management_tenant_id,),
    )
    auds = {
        _aud(t) for t in emu.issued_secrets if t.count(".") == 2 and _claims(t).get("appid") == app.client_id
    }
    assert auds == {"https://management.azure.com"}
    authz = AuthorizationManagementClient(
        credential(info.management_tenant_id),
        info.management_subscription_id,
        base_url=info.arm_endpoint,
        **pipeline,
    )
    [role] = authz.role_definitions.list(info.pool_id, filter="roleName eq 'IPAM Pool User'")
    assert role.role_name == "IPAM Pool User"


def test_the_offline_azures_own_urls_with_either_slash(
    emu: AzureEmulator, info: ScenarioInfo, session: requests.Session
) -> None:
    arm = info.arm_endpoint.rstrip("/")
    credential = _admin_credential(emu, info)
    for scope, aud in ((f"{arm}/.default", arm), (f"{arm}//.default", f"{arm}/")):
        token = credential.get_token(scope).token
        assert _aud(token) == aud
        assert _arm_get(session, info, token).status_code == 200
    graph_token = credential.get_token(f"{info.graph_endpoint}//.default").token
    assert _aud(graph_token) == f"{info.graph_endpoint}/"
    assert _graph_get(session, info, graph_token).status_code == 200


def _v1_token(s: requests.Session, info: ScenarioInfo, resource: str, tenant: str) -> requests.Response:
    return s.post(
        f"{info.authority}/{tenant}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": info.app.client_id,
            "client_secret": info.app.client_secret,
            "resource": resource,
        },
        timeout=30,
    )


@pytest.mark.parametrize(
    "resource",
    [
        "https://management.azure.com/",
        "https://management.azure.com",
        "https://management.core.windows.net/",
        "https://management.core.windows.net",
    ],
)
def test_v1_resource_gives_the_resource_as_audience(
    emu: AzureEmulator, info: ScenarioInfo, session: requests.Session, resource: str
) -> None:
    """The v1 endpoint (``resource=``) answers v1's body: numbers as strings, the resource echoed."""
    resp = _v1_token(session, info, resource, info.management_tenant_id)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["resource"] == resource
    assert body["expires_in"] == str(emu.settings.token_lifetime)
    assert int(body["expires_on"]) - int(body["not_before"]) == emu.settings.token_lifetime
    claims = _claims(body["access_token"])
    assert claims["aud"] == resource
    assert claims["tid"] == info.management_tenant_id
    assert int(body["expires_on"]) == claims["exp"]
    # the app's stub service principal in tenant A lists tenant A's subscription (IPAM Pool User on the pools)
    assert _arm_get(session, info, body["access_token"]).json()["value"][0]["tenantId"] == (
        info.management_tenant_id
    )


def test_v1_errors(info: ScenarioInfo, session: requests.Session) -> None:
    missing = _v1_token(session, info, "", info.managed_tenant_id)
    assert missing.status_code == 400
    assert missing.json()["error_codes"] == [900144]
    unknown = _v1_token(session, info, "https://vault.azure.net", info.managed_tenant_id)
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_resource"
    assert unknown.json()["error_codes"] == [500011]


@pytest.mark.parametrize(
    "scope",
    [
        "https://vault.azure.net/.default",
        "https://management.chinacloudapi.cn/.default",  # another cloud's ARM: not this cloud's resource
        "https://management.azure.com.evil.test/.default",
        "/.default",
    ],
)
def test_unknown_resources_are_aadsts500011(emu: AzureEmulator, info: ScenarioInfo, scope: str) -> None:
    credential = _admin_credential(emu, info)
    with pytest.raises(ClientAuthenticationError, match=r"AADSTS(500011|1002012)"):
        credential.get_token(scope)


def test_public_audiences_knob_off(emu: AzureEmulator, info: ScenarioInfo, session: requests.Session) -> None:
    """``Settings.public_audiences = False``: only the offline Azure's own URLs, as before the knob."""
    issued = _admin_credential(emu, info).get_token("https://management.azure.com/.default").token
    emu.settings.public_audiences = False
    with pytest.raises(ClientAuthenticationError, match="AADSTS500011"):
        _admin_credential(emu, info).get_token("https://management.azure.com/.default")
    refused = _arm_get(session, info, issued)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"
    assert _arm_get(session, info, _admin_credential(emu, info).get_token(info.arm_scope).token).ok
    doc = session.get(f"{info.arm_endpoint}metadata/endpoints?api-version=2022-09-01", timeout=30).json()
    assert doc["authentication"]["audiences"] == [info.arm_endpoint]


def test_metadata_endpoints_as_the_azure_cli_reads_them(
    info: ScenarioInfo, session: requests.Session
) -> None:
    """``az cloud register --endpoint-resource-manager <arm>`` reads ``?api-version=2022-09-01``: the authority
    from ``authentication.loginEndpoint``, the ARM resource from ``authentication.audiences[0]``, Graph (its URL
    and its token resource) from ``microsoftGraphResourceId``."""
    url = f"{info.arm_endpoint}metadata/endpoints"
    doc = session.get(f"{url}?api-version=2022-09-01", timeout=30).json()
    assert doc["resourceManager"] == info.arm_endpoint
    assert doc["authentication"]["loginEndpoint"] == info.authority + "/"
    assert doc["authentication"]["audiences"] == [
        "https://management.core.windows.net/",
        "https://management.azure.com/",
        info.arm_endpoint,
    ]
    assert doc["microsoftGraphResourceId"] == doc["graphAudience"] == info.graph_endpoint + "/"
    assert doc["ossrdbmsResourceId"].startswith("https://")  # the key the Azure CLI reads
    listed = session.get(f"{url}?api-version=2019-05-01", timeout=30).json()
    assert listed == [doc]
    # the short document of 2015-01-01 (older Azure CLIs, Azure Stack Hub)
    short = session.get(f"{url}?api-version=2015-01-01", timeout=30).json()
    assert set(short) == {"galleryEndpoint", "graphEndpoint", "portalEndpoint", "authentication"}
    assert short["graphEndpoint"] == info.graph_endpoint + "/"
    assert short["authentication"] == {
        "loginEndpoint": info.authority + "/",
        "audiences": doc["authentication"]["audiences"],
    }
