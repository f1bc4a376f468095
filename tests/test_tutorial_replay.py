"""Replay the public cross-tenant IPAM tutorial's REST calls with plain ``requests`` over HTTPS.

The tutorial (Microsoft Learn, "Deploy cross-tenant IP address management", REST/CLI part) obtains a token in
each tenant, PUTs a virtual network at api-version 2022-07-01 with ``numberOfIpAddresses: "100"`` and the
Tenant-A token in ``x-ms-authorization-auxiliary``, then "removes" the allocation by PUTting static
``addressPrefixes: ["10.0.0.0/16"]``. ``test_tutorial_rest_replay`` sends exactly those bodies. The offline Azure
accepts the removal: the VNet no longer references the pool, so the allocation is released.

The removal body omits ``subnets``: below api-version 2023-09-01 Azure deletes omitted subnets, from 2023-09-01
on it keeps them. ``test_tutorial_removal_and_subnets`` shows that on a VNet that has a subnet (which the
tutorial's own VNet does not).
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
import requests

from crossipam.testing import AzureEmulator, ScenarioInfo


def _token(info: ScenarioInfo, tenant: str, scope: str | None = None) -> str:
    resp = requests.post(
        f"{info.authority}/{tenant}/oauth2/v2.0/token",
        data={
            "client_id": info.app.client_id,
            "client_secret": info.app.client_secret,
            "grant_type": "client_credentials",
            "scope": scope or info.arm_scope,
        },
        verify=info.ca_bundle,
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    token: str = resp.json()["access_token"]
    return token


TUTORIAL_API_VERSION = "2022-07-01"


def _tutorial_create_body(info: ScenarioInfo) -> dict[str, Any]:
    """The tutorial's create body, as its ``az rest --method put`` sends it."""
    return {
        "location": info.location,
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "100", "pool": {"id": info.pool_id}}]
            }
        },
    }


def _tutorial_removal_body(info: ScenarioInfo) -> dict[str, Any]:
    """The tutorial's removal body: a hard-coded static address space, no ``subnets``."""
    return {"location": info.location, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}


def _session(info: ScenarioInfo) -> requests.Session:
    assert info.ca_bundle
    s = requests.Session()
    s.trust_env = False  # a preset REQUESTS_CA_BUNDLE would override the test CA
    s.verify = info.ca_bundle
    return s


def _headers(info: ScenarioInfo, scope: str | None = None) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {_token(info, info.managed_tenant_id, scope)}",
        "x-ms-authorization-auxiliary": f"Bearer {_token(info, info.management_tenant_id, scope)}",
        "Content-Type": "application/json",
    }


def _vnet_url(info: ScenarioInfo, name: str, api_version: str) -> str:
    return f"{info.arm_endpoint.rstrip('/')}{info.vnet_id(name)}?api-version={api_version}"


@pytest.mark.parametrize("scope", [None, "https://management.azure.com/.default"])
def test_tutorial_rest_replay(azure_emulator_https: AzureEmulator, scope: str | None) -> None:
    """The tutorial's calls with its exact bodies, in its order; with the offline Azure's own ARM scope, and
    with the public one (``https://management.azure.com/.default``) that the tutorial's code hard-codes."""
    emu = azure_emulator_https
    info = emu.scenario
    assert info is not None and info.ca_bundle
    headers = _headers(info, scope)
    audiences = {
        jwt.decode(headers[h].split()[1], options={"verify_signature": False})["aud"]
        for h in ("Authorization", "x-ms-authorization-auxiliary")
    }
    assert audiences == {(scope or info.arm_scope).removesuffix("/.default")}
    url = _vnet_url(info, "tutorial-vnet", TUTORIAL_API_VERSION)
    create = _tutorial_create_body(info)
    with _session(info) as s:
        # step 1: create the VNet with a 100-address allocation from the Tenant-A pool
        resp = s.put(url, json=create, headers=headers, timeout=10)
        assert resp.status_code == 201, resp.text
        assert int(resp.headers["Retry-After"]) >= 0
        status = s.get(resp.headers["Azure-AsyncOperation"], headers=headers, timeout=10)
        assert status.json()["status"] == "Succeeded"
        vnet = s.get(url, headers=headers, timeout=10).json()
        space = vnet["properties"]["addressSpace"]
        assert space["addressPrefixes"] == ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]
        assert space["ipamPoolPrefixAllocations"][0]["allocatedAddressPrefixes"] == space["addressPrefixes"]
        assert space["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] == "100"
        assert vnet["properties"]["subnets"] == []
        assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "100"

        # step 2: "remove" the allocation with the tutorial's static address space
        resp = s.put(url, json=_tutorial_removal_body(info), headers=headers, timeout=10)
        assert resp.status_code == 200, resp.text
        vnet = s.get(url, headers=headers, timeout=10).json()
        assert vnet["properties"]["addressSpace"] == {"addressPrefixes": ["10.0.0.0/16"]}
        assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"

        # without the auxiliary token the first step is refused with ARM's linked-authorization error
        url2 = _vnet_url(info, "tutorial-vnet-2", TUTORIAL_API_VERSION)
        resp = s.put(url2, json=create, headers={"Authorization": headers["Authorization"]}, timeout=10)
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "LinkedAuthorizationFailed"


@pytest.mark.parametrize(
    ("api_version", "kept"),
    [("2022-07-01", False), ("2023-06-01", False), ("2023-09-01", True), ("2024-05-01", True)],
)
def test_tutorial_removal_and_subnets(
    azure_emulator_https: AzureEmulator, api_version: str, kept: bool
) -> None:
    """The tutorial's removal body omits ``subnets``: pruned below 2023-09-01, kept from 2023-09-01 on."""
    emu = azure_emulator_https
    info = emu.scenario
    assert info is not None
    headers = _headers(info)
    create = _tutorial_create_body(info)
    create["properties"]["subnets"] = [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/27"}}]
    with _session(info) as s:
        resp = s.put(
            _vnet_url(info, "vnet-sub", TUTORIAL_API_VERSION), json=create, headers=headers, timeout=10
        )
        assert resp.status_code == 201, resp.text
        resp = s.put(
            _vnet_url(info, "vnet-sub", api_version),
            json=_tutorial_removal_body(info),
            headers=headers,
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        vnet = s.get(_vnet_url(info, "vnet-sub", api_version), headers=headers, timeout=10).json()
    assert vnet["properties"]["addressSpace"] == {"addressPrefixes": ["10.0.0.0/16"]}
    subnets = vnet["properties"]["subnets"]
    if kept:
        assert [(sn["name"], sn["properties"]["addressPrefix"]) for sn in subnets] == [
            ("default", "10.0.0.0/27")
        ]
    else:
        assert subnets == []
    assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"
