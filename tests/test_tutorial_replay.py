"""Replay the public cross-tenant IPAM tutorial's REST calls with plain ``requests`` over HTTPS.

The tutorial (Microsoft Learn, "Deploy cross-tenant IP address management", REST/CLI part) obtains a token in
each tenant, PUTs a virtual network at api-version 2022-07-01 with ``numberOfIpAddresses: "100"`` and the
Tenant-A token in ``x-ms-authorization-auxiliary``, then "removes" the allocation by PUTting static
``addressPrefixes: ["10.0.0.0/16"]``. The offline Azure accepts that removal: the VNet no longer references the
pool, so the allocation is released; at 2022-07-01 the omitted ``subnets`` are pruned. (The test adds one
static subnet to the tutorial's create body to show that pruning.)
"""

from __future__ import annotations

from typing import Any

import requests

from crossipam.testing import AzureEmulator, ScenarioInfo


def _token(info: ScenarioInfo, tenant: str) -> str:
    resp = requests.post(
        f"{info.authority}/{tenant}/oauth2/v2.0/token",
        data={
            "client_id": info.app.client_id,
            "client_secret": info.app.client_secret,
            "grant_type": "client_credentials",
            "scope": info.arm_scope,
        },
        verify=info.ca_bundle,
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    token: str = resp.json()["access_token"]
    return token


def test_tutorial_rest_replay(azure_emulator_https: AzureEmulator) -> None:
    emu = azure_emulator_https
    info = emu.scenario
    assert info is not None and info.ca_bundle
    token_b = _token(info, info.managed_tenant_id)
    token_a = _token(info, info.management_tenant_id)
    headers = {
        "Authorization": f"Bearer {token_b}",
        "x-ms-authorization-auxiliary": f"Bearer {token_a}",
        "Content-Type": "application/json",
    }
    url = f"{info.arm_endpoint.rstrip('/')}{info.vnet_id('tutorial-vnet')}?api-version=2022-07-01"
    create: dict[str, Any] = {
        "location": info.location,
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "100", "pool": {"id": info.pool_id}}]
            },
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/27"}}],
        },
    }
    with requests.Session() as s:
        s.trust_env = False  # a preset REQUESTS_CA_BUNDLE would override the test CA
        s.verify = info.ca_bundle
        resp = s.put(url, json=create, headers=headers, timeout=10)
        assert resp.status_code == 201, resp.text
        assert int(resp.headers["Retry-After"]) >= 0
        status = s.get(resp.headers["Azure-AsyncOperation"], headers=headers, timeout=10)
        assert status.json()["status"] == "Succeeded"
        vnet = s.get(url, headers=headers, timeout=10).json()
        space = vnet["properties"]["addressSpace"]
        assert space["addressPrefixes"] == ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]
        assert space["ipamPoolPrefixAllocations"][0]["allocatedAddressPrefixes"] == space["addressPrefixes"]
        assert vnet["properties"]["subnets"][0]["properties"]["addressPrefix"] == "10.0.0.0/27"
        assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "100"

        removal = {
            "location": info.location,
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}},
        }
        resp = s.put(url, json=removal, headers=headers, timeout=10)
        assert resp.status_code == 200, resp.text
        vnet = s.get(url, headers=headers, timeout=10).json()
        assert vnet["properties"]["addressSpace"] == {"addressPrefixes": ["10.0.0.0/16"]}
        assert vnet["properties"]["subnets"] == []  # pruned at 2022-07-01
        assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"

        # without the auxiliary token the first step is refused with ARM's linked-authorization error
        url2 = url.replace("tutorial-vnet", "tutorial-vnet-2")
        resp = s.put(url2, json=create, headers={"Authorization": f"Bearer {token_b}"}, timeout=10)
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "LinkedAuthorizationFailed"
