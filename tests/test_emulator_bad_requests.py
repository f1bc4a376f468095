"""The offline Azure answers bad requests as ARM does: a 4xx with an error envelope, never a 500, never a hang.

* bodies of the wrong shape (every ARM write handler), invalid JSON, non-UTF-8 bytes, deep nesting;
* ``api-version``: missing, malformed, too old or too new per resource type (compared as dates);
* ``Content-Length``: malformed, negative, huge (413 without reading it), chunked bodies;
* the command line: ports out of range are usage errors (exit 2), not tracebacks;
* a hypothesis test feeding random and almost-right bodies to the VNet PUT handler, checking the answer and
  that the pool bookkeeping stays consistent.

The wire tests run over both fronts: plain ``requests`` against the HTTPS listeners, and the same ``requests``
code through the in-process adapter.
"""

from __future__ import annotations

import copy
import ipaddress
import itertools
import json
import socket
import ssl
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from azure.identity import ClientSecretCredential
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crossipam.cli import main as cli_main
from crossipam.testing import ApiVersionRange, AzureEmulator, Request, ScenarioInfo
from crossipam.testing.__main__ import main as emulator_main
from crossipam.testing.transport import emulator_session

API = "2024-05-01"
ERROR_STATUSES = range(400, 500)


# ---- fixtures and helpers ------------------------------------------------------------------------------


class Wire:
    """One front of an emulator: a ``requests`` session, the base ARM URL and the callers' tokens."""

    def __init__(self, emu: AzureEmulator, session: requests.Session, verify: str | bool) -> None:
        self.emu = emu
        self.session = session
        self.verify = verify
        self.info = _info(emu)
        self.arm = self.info.arm_endpoint.rstrip("/")
        self.headers = _auth_headers(emu)

    def url(self, path: str, api: str | None = API) -> str:
        return f"{self.arm}{path}" + (f"?api-version={api}" if api is not None else "")

    def request(self, method: str, url: str, **kw: Any) -> requests.Response:
        merged = {**self.headers, **kw.pop("headers", {})}
        headers = {k: v for k, v in merged.items() if v is not None}
        return self.session.request(method, url, headers=headers, verify=self.verify, timeout=30, **kw)

    def put_vnet(self, name: str, data: bytes, api: str = API) -> requests.Response:
        return self.request(
            "PUT",
            self.url(self.info.vnet_id(name), api),
            data=data,
            headers={"Content-Type": "application/json"},
        )

    def still_serving(self) -> None:
        """A good request after a bad one is answered normally."""
        resp = self.request(
            "GET", self.url(f"/subscriptions/{self.info.managed_subscription_id}", "2022-12-01")
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["subscriptionId"] == self.info.managed_subscription_id


def _info(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


def _auth_headers(emu: AzureEmulator) -> dict[str, str]:
    info = _info(emu)
    kw: dict[str, Any] = {"authority": info.authority, "disable_instance_discovery": True}
    kw.update({"connection_verify": info.ca_bundle} if info.ca_bundle else {"transport": emu.transport()})

    def token(tenant: str) -> str:
        cred = ClientSecretCredential(tenant, info.app.client_id, info.app.client_secret, **kw)
        return cred.get_token(info.arm_scope).token

    return {
        "Authorization": f"Bearer {token(info.managed_tenant_id)}",
        "x-ms-authorization-auxiliary": f"Bearer {token(info.management_tenant_id)}",
    }


def _wire(request: pytest.FixtureRequest) -> Iterator[Wire]:
    emu = AzureEmulator()
    info = emu.load_scenario("onboarded")
    if request.param == "in-process":
        yield Wire(emu, emulator_session(emu), True)
        return
    with emu.serve() as server:
        info.ca_bundle = server.ca_bundle
        with requests.Session() as session:
            yield Wire(emu, session, server.ca_bundle)


@pytest.fixture(params=["in-process", "https"])
def wire(request: pytest.FixtureRequest) -> Iterator[Wire]:
    """A fresh offline Azure, over each front."""
    yield from _wire(request)


@pytest.fixture(scope="module", params=["in-process", "https"])
def shared_wire(request: pytest.FixtureRequest) -> Iterator[Wire]:
    """One offline Azure per front for the module, for tests whose requests are all refused or read-only."""
    yield from _wire(request)


def _valid_vnet(info: ScenarioInfo) -> dict[str, Any]:
    return {
        "location": "eastus",
        "tags": {"team": "blue"},
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "64", "pool": {"id": info.pool_id}}]
            },
            "subnets": [
                {
                    "name": "default",
                    "properties": {
                        "ipamPoolPrefixAllocations": [
                            {"numberOfIpAddresses": "16", "pool": {"id": info.pool_id}}
                        ]
                    },
                }
            ],
        },
    }


def _assert_arm_error(resp: requests.Response | Any, status: int, code: str) -> None:
    status_code = getattr(resp, "status_code", getattr(resp, "status", None))
    body = resp.json()
    assert (status_code, body["error"]["code"]) == (status, code), body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def _nested(depth: int) -> bytes:
    return b'{"location": "eastus", "properties": {"x": ' + b"[" * depth + b"]" * depth + b"}}"


# ---- body shapes ---------------------------------------------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def build(info: ScenarioInfo) -> bytes:
        body = _valid_vnet(info)
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return json.dumps(body).encode()

    return build


_SPACE = ("properties", "addressSpace")
_ALLOC = (*_SPACE, "ipamPoolPrefixAllocations", 0)
_SUBNET = ("properties", "subnets", 0)

BAD_VNET_BODIES: dict[str, tuple[Any, int, str]] = {
    "properties a list": (_set(("properties",), []), 400, "InvalidRequestContent"),
    "properties a string": (_set(("properties",), "x"), 400, "InvalidRequestContent"),
    "addressSpace a string": (_set(_SPACE, "10.0.0.0/16"), 400, "InvalidRequestContent"),
    "addressSpace a list": (_set(_SPACE, ["10.0.0.0/16"]), 400, "InvalidRequestContent"),
    "allocations an object": (
        _set((*_SPACE, "ipamPoolPrefixAllocations"), {"numberOfIpAddresses": "64"}),
        400,
        "InvalidRequestContent",
    ),
    "allocations a string": (
        _set((*_SPACE, "ipamPoolPrefixAllocations"), "64"),
        400,
        "InvalidRequestContent",
    ),
    "allocations a number": (_set((*_SPACE, "ipamPoolPrefixAllocations"), 64), 400, "InvalidRequestContent"),
    "allocation not an object": (_set(_ALLOC, "64"), 400, "InvalidRequestContent"),
    "addressPrefixes a number": (_set((*_SPACE, "addressPrefixes"), 5), 400, "InvalidRequestContent"),
    "count a dict": (_set((*_ALLOC, "numberOfIpAddresses"), {"n": 64}), 400, "InvalidRequestContent"),
    "count a list": (_set((*_ALLOC, "numberOfIpAddresses"), ["64"]), 400, "InvalidRequestContent"),
    "count a float": (
        _set((*_ALLOC, "numberOfIpAddresses"), 64.5),
        400,
        "InvalidIpamPoolAllocationNumberOfIpAddresses",
    ),
    "count true": (
        _set((*_ALLOC, "numberOfIpAddresses"), True),
        400,
        "InvalidIpamPoolAllocationNumberOfIpAddresses",
    ),
    "count superscript": (
        _set((*_ALLOC, "numberOfIpAddresses"), "6²"),
        400,
        "InvalidIpamPoolAllocationNumberOfIpAddresses",
    ),
    "count 5000 digits": (
        _set((*_ALLOC, "numberOfIpAddresses"), "9" * 5000),
        400,
        "InvalidIpamPoolAllocationNumberOfIpAddresses",
    ),
    "subnet count beyond IPv4": (
        _set((*_SUBNET, "properties", "ipamPoolPrefixAllocations", 0, "numberOfIpAddresses"), str(2**40)),
        400,
        "InvalidIpamPoolAllocationNumberOfIpAddresses",
    ),
    "pool a string": (_set((*_ALLOC, "pool"), "pool-eastus"), 400, "InvalidRequestContent"),
    "pool id an object": (_set((*_ALLOC, "pool", "id"), {"id": "x"}), 400, "InvalidRequestContent"),
    "subnets an object": (_set(("properties", "subnets"), {"name": "a"}), 400, "InvalidRequestContent"),
    "subnets a string": (_set(("properties", "subnets"), "default"), 400, "InvalidRequestContent"),
    "subnet a number": (_set(_SUBNET, 1), 400, "InvalidRequestContent"),
    "subnet a string": (_set(_SUBNET, "default"), 400, "InvalidRequestContent"),
    "subnet null": (_set(_SUBNET, None), 400, "InvalidRequestContent"),
    "subnet properties a list": (_set((*_SUBNET, "properties"), []), 400, "InvalidRequestContent"),
    "subnet properties empty string": (_set((*_SUBNET, "properties"), ""), 400, "InvalidRequestContent"),
    "subnet name an object": (_set((*_SUBNET, "name"), {"n": 1}), 400, "InvalidRequestContent"),
    "tags a list": (_set(("tags",), ["team"]), 400, "InvalidRequestContent"),
    "tags a string": (_set(("tags",), "team=blue"), 400, "InvalidRequestContent"),
    "tag value an object": (_set(("tags",), {"team": {"name": "blue"}}), 400, "InvalidRequestContent"),
    "location an object": (_set(("location",), {"name": "eastus"}), 400, "InvalidRequestContent"),
    "location with CRLF": (
        _set(("location",), "eastus\r\nX-Injected: 1"),
        400,
        "LocationNotAvailableForResourceType",
    ),
    "nested 65 deep": (lambda info: _nested(65), 400, "InvalidRequestContent"),
    "nested 100000 deep": (lambda info: _nested(100_000), 400, "InvalidRequestContent"),
    "not UTF-8": (lambda info: b'{"location": "east\xff\xfeus"}', 400, "InvalidRequestContent"),
    "UTF-16": (lambda info: json.dumps(_valid_vnet(info)).encode("utf-16"), 400, "InvalidRequestContent"),
    "invalid JSON": (lambda info: b'{"location": "eastus", "properties": ', 400, "InvalidRequestContent"),
    "NaN": (lambda info: b'{"location": "eastus", "properties": {"x": NaN}}', 400, "InvalidRequestContent"),
    "number too large for a double": (
        lambda info: b'{"location": "eastus", "x": 1e400}',
        400,
        "InvalidRequestContent",
    ),
    "a JSON array": (lambda info: b"[]", 400, "InvalidRequestContent"),
    "a JSON string": (lambda info: b'"eastus"', 400, "InvalidRequestContent"),
    "a JSON number": (lambda info: b"42", 400, "InvalidRequestContent"),
    "JSON null": (lambda info: b"null", 400, "InvalidRequestContent"),
    "no body": (lambda info: b"", 400, "InvalidRequestContent"),
}


@pytest.mark.parametrize("case", list(BAD_VNET_BODIES))
def test_vnet_put_with_a_bad_body_is_a_400(shared_wire: Wire, case: str) -> None:
    wire = shared_wire
    build, status, code = BAD_VNET_BODIES[case]
    before = wire.emu.pool_usage(wire.info.pool_id)
    resp = wire.put_vnet("vnet-bad", build(wire.info))
    _assert_arm_error(resp, status, code)
    assert "X-Injected" not in resp.headers
    assert wire.emu.virtual_network(wire.info.vnet_id("vnet-bad")) is None
    assert wire.emu.pool_usage(wire.info.pool_id) == before
    wire.still_serving()


def test_the_valid_body_of_these_cases_is_accepted_and_nulls_count_as_absent(wire: Wire) -> None:
    assert wire.put_vnet("vnet-good", json.dumps(_valid_vnet(wire.info)).encode()).status_code == 201
    body = _valid_vnet(wire.info)
    body["properties"]["addressSpace"]["addressPrefixes"] = None
    body["tags"] = None
    body["properties"]["subnets"][0]["properties"]["addressPrefix"] = None
    resp = wire.put_vnet("vnet-nulls", json.dumps(body).encode())
    assert resp.status_code == 201, resp.text
    assert wire.emu.pool_usage(wire.info.pool_id)["numberOfAllocatedIPAddresses"] == "128"


def test_every_arm_write_handler_refuses_wrong_shapes(wire: Wire) -> None:
    info = wire.info
    sub_b = info.managed_subscription_id
    nm = info.network_manager_id
    pool_path = f"{nm}/ipamPools/pool-new"
    role_path = (
        f"/subscriptions/{sub_b}/resourceGroups/{info.resource_group}/providers/Microsoft.Authorization/"
        "roleAssignments/11111111-2222-4333-8444-555555555555"
    )
    admin = _admin_headers(wire)
    owner_b = _admin_headers(wire, "managed")
    cases: list[tuple[str, str, dict[str, Any], Any, str]] = [
        ("PUT", pool_path, admin, {"location": "eastus", "properties": []}, "InvalidRequestContent"),
        (
            "PUT",
            pool_path,
            admin,
            {"properties": {"addressPrefixes": "10.9.0.0/16"}},
            "InvalidRequestContent",
        ),
        (
            "PUT",
            pool_path,
            admin,
            {"properties": {"addressPrefixes": [["10.9.0.0/16"]]}},
            "InvalidRequestContent",
        ),
        ("PATCH", info.pool_id, admin, {"tags": "x"}, "InvalidRequestContent"),
        ("PATCH", info.pool_id, admin, {"properties": [1]}, "InvalidRequestContent"),
        (
            "PUT",
            f"{info.pool_id}/staticCidrs/sc",
            admin,
            {"properties": {"addressPrefixes": {}}},
            "InvalidRequestContent",
        ),
        (
            "PUT",
            f"{info.pool_id}/staticCidrs/sc",
            admin,
            {"properties": {"numberOfIPAddressesToAllocate": "²"}},
            "InvalidIpamPoolAllocationNumberOfIpAddresses",
        ),
        ("PUT", nm, admin, {"location": "eastus", "properties": "x"}, "InvalidRequestContent"),
        ("PUT", nm, admin, {"location": "eastus", "tags": 5}, "InvalidRequestContent"),
        ("PUT", f"{nm}/scopeConnections/c1", admin, {"properties": [1, 2]}, "InvalidRequestContent"),
        (
            "PUT",
            f"/subscriptions/{sub_b}/providers/Microsoft.Network/networkManagerConnections/c1",
            owner_b,
            {"properties": "x"},
            "InvalidRequestContent",
        ),
        ("PUT", role_path, owner_b, {"properties": []}, "InvalidRequestContent"),
        ("PUT", role_path, owner_b, {"properties": {"principalId": {"id": 1}}}, "InvalidRequestContent"),
        ("PUT", role_path, owner_b, [], "InvalidRequestContent"),
    ]
    for method, path, headers, body, code in cases:
        api = "2022-04-01" if "Microsoft.Authorization" in path else API
        resp = wire.request(method, wire.url(path, api), data=json.dumps(body).encode(), headers=headers)
        assert resp.status_code == 400, (method, path, body, resp.status_code, resp.text)
        assert resp.json()["error"]["code"] == code, (method, path, body, resp.text)
    for method, path, headers in [("PUT", pool_path, admin), ("PUT", role_path, owner_b)]:
        resp = wire.request(
            method,
            wire.url(path, "2022-04-01" if "Authorization" in path else API),
            data=b"\xff{",
            headers=headers,
        )
        _assert_arm_error(resp, 400, "InvalidRequestContent")
    wire.still_serving()


def _admin_headers(wire: Wire, tenant: str = "management") -> dict[str, Any]:
    """A bearer token of a tenant's admin (Owner of its subscription), without an auxiliary token."""
    info = wire.info
    admin = info.admins[tenant]
    kw: dict[str, Any] = {"authority": info.authority, "disable_instance_discovery": True}
    kw.update(
        {"connection_verify": info.ca_bundle} if info.ca_bundle else {"transport": wire.emu.transport()}
    )
    cred = ClientSecretCredential(admin.tenant_id, admin.client_id, admin.client_secret, **kw)
    return {
        "Authorization": f"Bearer {cred.get_token(info.arm_scope).token}",
        "x-ms-authorization-auxiliary": None,
    }


def test_graph_and_token_endpoint_refuse_bad_bodies_without_a_500(wire: Wire) -> None:
    info = wire.info
    graph = info.graph_endpoint.rstrip("/")
    for body in (b"[]", b"\xff\xfe", b'{"signInAudience": {"x": 1}}', _nested(100_000)):
        resp = wire.session.patch(
            f"{graph}/v1.0/applications(appId='{info.app.client_id}')",
            data=body,
            headers={"Authorization": wire.headers["Authorization"], "Content-Type": "application/json"},
            verify=wire.verify,
            timeout=30,
        )
        assert 400 <= resp.status_code < 500, resp.text
        assert isinstance(resp.json()["error"]["code"], str)
    token_url = f"{info.authority}/{info.managed_tenant_id}/oauth2/v2.0/token"
    resp = wire.session.post(
        token_url,
        data=b"grant_type=client_credentials&client_id=\xff\xfe&scope=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        verify=wire.verify,
        timeout=30,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "unauthorized_client"
    wire.still_serving()


# ---- api-version ---------------------------------------------------------------------------------------


def test_missing_api_version_is_checked_first(wire: Wire) -> None:
    info = wire.info
    for path in (
        info.vnet_id("vnet-x"),
        f"/subscriptions/{info.managed_subscription_id}",
        "/subscriptions",
        f"{info.pool_id}/providers/Microsoft.Authorization/roleAssignments",
    ):
        for url in (wire.url(path, None), wire.url(path, "")):
            _assert_arm_error(wire.request("GET", url), 400, "MissingApiVersionParameter")
            # before authentication too, as ARM does
            _assert_arm_error(requests_without_auth(wire, url), 400, "MissingApiVersionParameter")
    put = wire.request("PUT", wire.url(info.vnet_id("vnet-x"), None), json=_valid_vnet(info))
    _assert_arm_error(put, 400, "MissingApiVersionParameter")
    assert put.json()["error"]["message"] == (
        "The api-version query parameter (?api-version=) is required for all requests."
    )
    entry = wire.emu.journal.entries(method="PUT")[-1]
    assert (entry.status, entry.error_code, entry.api_version) == (400, "MissingApiVersionParameter", None)
    wire.still_serving()


def requests_without_auth(wire: Wire, url: str) -> requests.Response:
    return wire.session.get(url, verify=wire.verify, timeout=30)


@pytest.mark.parametrize(
    ("kind", "version", "ok"),
    [
        ("vnet", "2022-07-01", True),  # the public cross-tenant tutorial
        ("vnet", "2024-05-01-preview", True),
        ("vnet", "2026-03-01", True),  # azure-mgmt-network 33.1
        ("vnet", "2015-06-15", True),
        ("vnet", "2014-01-01", False),  # older than Microsoft.Network
        ("vnet", "2099-01-01", False),  # newer than any known
        ("vnet", "abc", False),
        ("vnet", "2024-13-45", False),
        ("vnet", "2024-02-30", False),
        ("vnet", "2024-5-1", False),
        ("vnet", " 2024-05-01", False),
        ("vnet", "2024-05-01-beta", False),
        ("vnet", "2024-05-01x", False),
        ("pool", "2024-05-01", True),
        ("pool", "2023-11-01", False),  # IPAM pools start with 2024-01-01-preview
        ("pool", "2022-07-01", False),
        ("role", "2022-04-01", True),
        ("role", "2026-03-01", False),  # a Microsoft.Network version is not an Authorization one
        ("rg", "2021-04-01", True),
        ("rg", "2099-12-31", False),
        ("metadata", "2019-05-01", True),
        ("metadata", "2030-01-01", False),
    ],
)
def test_api_versions_are_compared_as_dates_per_resource_type(
    shared_wire: Wire, kind: str, version: str, ok: bool
) -> None:
    wire = shared_wire
    info = wire.info
    path = {
        "vnet": info.vnet_id("vnet-missing"),
        "pool": info.pool_id,
        "role": f"{info.pool_id}/providers/Microsoft.Authorization/roleAssignments",
        "rg": f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}",
        "metadata": "/metadata/endpoints",
    }[kind]
    headers = _admin_headers(wire) if kind in ("pool", "role") else {}
    url = f"{wire.arm}{path}?api-version={urllib.parse.quote(version)}"
    resp = wire.request("GET", url, headers=headers)
    if ok:
        assert resp.status_code in (200, 404), resp.text
        if resp.status_code == 404:
            assert resp.json()["error"]["code"] == "ResourceNotFound"
    else:
        _assert_arm_error(resp, 400, "InvalidApiVersionParameter")
        assert resp.json()["error"]["message"].startswith(
            f"The api-version '{version}' is invalid. The supported versions are '"
        )


def test_metadata_endpoints_need_no_api_version(wire: Wire) -> None:
    resp = wire.session.get(f"{wire.arm}/metadata/endpoints", verify=wire.verify, timeout=30)
    assert resp.status_code == 200 and resp.json()["resourceManager"] == wire.info.arm_endpoint


def test_api_version_ranges_are_configurable(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    wire = Wire(emu, emulator_session(emu), True)
    url = wire.url(wire.info.vnet_id("vnet-future"), "2027-01-01")
    _assert_arm_error(wire.request("GET", url), 400, "InvalidApiVersionParameter")
    emu.api_versions["microsoft.network"] = ApiVersionRange("2015-06-15", "2027-01-01")
    assert wire.request("GET", url).status_code == 404  # known now; the VNet does not exist
    with pytest.raises(ValueError, match="not api-versions"):
        ApiVersionRange("2015", "2027-01-01")


def test_subnets_kept_from_2023_09_01_compares_dates(azure_emulator: AzureEmulator) -> None:
    """``2023-09-01-preview`` is 2023-09-01: omitted subnets are kept (string comparison would agree here,
    but the rule must not depend on how the suffix sorts)."""
    wire = Wire(azure_emulator, emulator_session(azure_emulator), True)
    assert wire.put_vnet("vnet-k", json.dumps(_valid_vnet(wire.info)).encode()).status_code == 201
    body = _valid_vnet(wire.info)
    del body["properties"]["subnets"]
    for api, kept in (("2023-09-01-preview", True), ("2023-08-31", False)):
        assert wire.put_vnet("vnet-k", json.dumps(body).encode(), api).status_code == 200
        vnet = azure_emulator.virtual_network(wire.info.vnet_id("vnet-k"))
        assert vnet is not None
        assert bool(vnet["properties"]["subnets"]) is kept


# ---- body size and Content-Length ----------------------------------------------------------------------


def test_a_body_over_4_mib_is_413(wire: Wire) -> None:
    big = json.dumps({"location": "eastus", "properties": {"pad": "x" * (4 * 1024 * 1024)}}).encode()
    resp = wire.put_vnet("vnet-big", big)
    _assert_arm_error(resp, 413, "RequestContentTooLarge")
    assert "4 MB" in resp.json()["error"]["message"]
    assert wire.emu.virtual_network(wire.info.vnet_id("vnet-big")) is None
    wire.still_serving()


def test_the_body_cap_is_configurable(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    wire = Wire(emu, emulator_session(emu), True)
    emu.max_body_bytes = 100
    _assert_arm_error(
        wire.put_vnet("vnet-small", json.dumps(_valid_vnet(wire.info)).encode()),
        413,
        "RequestContentTooLarge",
    )
    req = Request("PATCH", f"{wire.info.graph_endpoint}/v1.0/applications(appId='x')", {}, b"x" * 101)
    resp = emu.handle(req)
    assert (resp.status, resp.json()["error"]["code"]) == (413, "Request_EntityTooLarge")
    emu.max_body_bytes = 1 << 20
    assert wire.put_vnet("vnet-small", json.dumps(_valid_vnet(wire.info)).encode()).status_code == 201


@pytest.fixture
def https(azure_emulator_https: AzureEmulator) -> Wire:
    return Wire(azure_emulator_https, requests.Session(), _info(azure_emulator_https).ca_bundle or True)


def _raw(
    wire: Wire, head: str, body: bytes = b"", *, read_timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes over TLS to the ARM listener; returns (status, headers, body) of the first response."""
    parts = urllib.parse.urlsplit(wire.arm)
    assert parts.port is not None
    ctx = ssl.create_default_context(cafile=str(wire.verify))
    with (
        socket.create_connection((parts.hostname, parts.port), timeout=read_timeout) as raw,
        ctx.wrap_socket(raw, server_hostname=parts.hostname) as tls,
    ):
        tls.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        header_blob, _, rest = data.partition(b"\r\n\r\n")
        lines = header_blob.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = tls.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, headers, rest


def _head(wire: Wire, method: str, extra: str) -> str:
    host = urllib.parse.urlsplit(wire.arm).netloc
    path = f"{wire.info.vnet_id('vnet-raw')}?api-version={API}"
    return f"{method} {path} HTTP/1.1\nHost: {host}\nAuthorization: {wire.headers['Authorization']}\n{extra}"


@pytest.mark.parametrize(
    ("length", "status", "code"),
    [
        ("abc", 400, "InvalidRequestFormat"),
        ("-5", 400, "InvalidRequestFormat"),
        ("1e3", 400, "InvalidRequestFormat"),
        ("0x10", 400, "InvalidRequestFormat"),
        ("99999999999999999999999999", 400, "InvalidRequestFormat"),
        ("999999999999999", 413, "RequestContentTooLarge"),  # ~1 PB announced, nothing sent: answered at once
        (str(4 * 1024 * 1024 + 1), 413, "RequestContentTooLarge"),
    ],
)
def test_bad_content_length_is_answered_without_reading_it(
    https: Wire, length: str, status: int, code: str
) -> None:
    got, headers, body = _raw(
        https, _head(https, "PUT", f"Content-Length: {length}\n"), b"{}", read_timeout=10
    )
    assert (got, json.loads(body)["error"]["code"]) == (status, code)
    assert headers.get("connection") == "close"
    https.still_serving()


def test_two_different_content_lengths_are_refused(https: Wire) -> None:
    got, _, body = _raw(https, _head(https, "PUT", "Content-Length: 2\nContent-Length: 3\n"), b"{}")
    assert (got, json.loads(body)["error"]["code"]) == (400, "InvalidRequestFormat")


def test_a_host_header_that_is_not_a_host_is_a_400(https: Wire) -> None:
    head = _head(https, "GET", "").replace(f"Host: {urllib.parse.urlsplit(https.arm).netloc}", "Host: [::1")
    got, _, body = _raw(https, head)
    assert (got, json.loads(body)["error"]["code"]) == (400, "InvalidRequestFormat")
    https.still_serving()


def test_expect_100_continue_with_a_huge_body_gets_413_instead_of_100(https: Wire) -> None:
    extra = "Content-Length: 999999999999\nExpect: 100-continue\n"
    got, _, body = _raw(https, _head(https, "PUT", extra))
    assert (got, json.loads(body)["error"]["code"]) == (413, "RequestContentTooLarge")
    https.still_serving()


def test_chunked_bodies_are_read_and_capped(https: Wire) -> None:
    payload = json.dumps(_valid_vnet(https.info)).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(payload), 50):
            yield payload[i : i + 50]

    resp = https.request("PUT", https.url(https.info.vnet_id("vnet-chunked")), data=chunks())
    assert resp.request.headers.get("Transfer-Encoding") == "chunked"
    assert resp.status_code == 201, resp.text

    https.emu.max_body_bytes = 1000
    resp = https.request("PUT", https.url(https.info.vnet_id("vnet-chunked2")), data=iter([b"x" * 600] * 3))
    _assert_arm_error(resp, 413, "RequestContentTooLarge")
    bad = "Transfer-Encoding: chunked\n"
    got, _, body = _raw(https, _head(https, "PUT", bad), b"zz\r\n{}\r\n0\r\n\r\n")
    assert (got, json.loads(body)["error"]["code"]) == (400, "InvalidRequestFormat")
    got, _, body = _raw(https, _head(https, "PUT", "Transfer-Encoding: gzip\n"), b"{}")
    assert got == 400
    https.emu.max_body_bytes = 4 << 20
    https.still_serving()


# ---- command line --------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["70000", "65534", "-1", "x", "1.5"])
def test_out_of_range_ports_are_usage_errors(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    runs: list[tuple[Callable[[], int], str]] = [
        (lambda: cli_main(["emulator", "--port", port]), "crossipam emulator"),
        (lambda: emulator_main(["serve", "--port", port]), "python -m crossipam.testing serve"),
    ]
    for run, prog in runs:
        with pytest.raises(SystemExit) as exc:
            run()
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert f"{prog}: error: argument --port:" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [["--latency", "-1"], ["--latency", "nan"], ["--lro-polls", "-2"], ["--token-lifetime", "0"]],
)
def test_other_numeric_options_are_checked(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        emulator_main(["serve", *args])
    assert exc.value.code == 2
    assert f"error: argument {args[0]}:" in capsys.readouterr().err


def test_python_dash_m_with_a_bad_port_exits_2_without_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crossipam.testing", "serve", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "error: argument --port" in done.stderr and "Traceback" not in done.stderr


# ---- hypothesis: the VNet PUT handler never answers 500 and keeps its books ----------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "64",
            "1",
            "3",
            "65536",
            "70000",
            "0",
            "-1",
            "10.0.0.0/24",
            "10.0.0.0/8",
            "fd00::/64",
            "eastus",
            "",
            "²",
        ]
    )
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def fuzz_emulator() -> tuple[AzureEmulator, dict[str, str]]:
    emu = AzureEmulator()
    emu.load_scenario("onboarded")
    return emu, _auth_headers(emu)


def _base_bodies(info: ScenarioInfo) -> list[dict[str, Any]]:
    v6 = {"numberOfIpAddresses": str(2**64 * 2), "pool": {"id": info.ipv6_pool_id}}
    dual = _valid_vnet(info)
    dual["properties"]["addressSpace"]["ipamPoolPrefixAllocations"].append(v6)
    static = {
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["192.168.0.0/24"]},
            "subnets": [{"name": "s1", "properties": {"addressPrefix": "192.168.0.0/26"}}],
        },
    }
    return [_valid_vnet(info), dual, static]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@st.composite
def vnet_bodies(draw: st.DrawFn, info: ScenarioInfo) -> bytes:
    kind = draw(st.sampled_from(["valid", "almost", "almost", "tweak", "tweak", "random", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "random":
        return json.dumps(draw(JSON_VALUES)).encode()
    body = copy.deepcopy(draw(st.sampled_from(_base_bodies(info))))
    if kind == "tweak":  # a leaf gets another meaningful value: counts, prefixes, pool ids
        leaves = [p for p in _paths(body) if p and not isinstance(_get(body, p), (dict, list))]
        path = draw(st.sampled_from(leaves))
        _get(body, path[:-1])[path[-1]] = draw(st.sampled_from(_meaningful(info)))
    if kind == "almost":
        path = draw(st.sampled_from(list(_paths(body))[1:]))
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.text(max_size=8))] = draw(JSON_VALUES)
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return json.dumps(body).encode()


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def _meaningful(info: ScenarioInfo) -> list[str]:
    counts = ["1", "2", "3", "16", "64", "100", "256", "4096", "65536", "65537", "0", "-5", str(2**70)]
    prefixes = ["10.0.0.0/24", "10.0.0.0/26", "192.168.0.0/26", "192.168.1.0/24", "fd00:db8:cafe::/64"]
    pools = [info.pool_id, info.ipv6_pool_id, info.pool_id + "-missing", "/subscriptions/x"]
    return counts + prefixes + pools + ["eastus", "westeurope", "default"]


def _snapshot(emu: AzureEmulator) -> str:
    with emu.lock:
        return json.dumps({k: v.body for k, v in sorted(emu.network.vnets.items())}, sort_keys=True)


def _check_books(emu: AzureEmulator, info: ScenarioInfo) -> None:
    """Every allocation holds exactly its count inside its pool, no two VNets share addresses, subnet blocks
    lie in their VNet's blocks, and each pool's usage is the sum of the VNets' counts."""
    per_pool: dict[str, int] = {}
    blocks_of_pool: dict[str, list[Any]] = {}
    with emu.lock:
        vnets = [copy.deepcopy(v.body) for v in emu.network.vnets.values()]
    for vnet in vnets:
        space = vnet["properties"]["addressSpace"]
        vnet_blocks: list[Any] = []
        for alloc in space.get("ipamPoolPrefixAllocations", []):
            pool_id = alloc["pool"]["id"].lower()
            blocks = [ipaddress.ip_network(p) for p in alloc["allocatedAddressPrefixes"]]
            assert sum(b.num_addresses for b in blocks) == int(alloc["numberOfIpAddresses"])
            pool = emu.network.pools[pool_id]
            assert all(any(b.subnet_of(p) for p in pool.prefixes) for b in blocks)  # type: ignore[arg-type]
            per_pool[pool_id] = per_pool.get(pool_id, 0) + int(alloc["numberOfIpAddresses"])
            blocks_of_pool.setdefault(pool_id, []).extend(blocks)
            vnet_blocks.extend(blocks)
        if space.get("ipamPoolPrefixAllocations"):
            assert sorted(map(str, vnet_blocks)) == sorted(space["addressPrefixes"])
        for subnet in vnet["properties"]["subnets"]:
            for alloc in subnet["properties"].get("ipamPoolPrefixAllocations", []):
                blocks = [ipaddress.ip_network(p) for p in alloc["allocatedAddressPrefixes"]]
                assert sum(b.num_addresses for b in blocks) == int(alloc["numberOfIpAddresses"])
                assert all(
                    any(b.version == v.version and b.subnet_of(v) for v in vnet_blocks) for b in blocks
                )
    for pool_id, blocks in blocks_of_pool.items():
        ordered = sorted(blocks, key=lambda b: int(b.network_address))
        assert all(int(a.broadcast_address) < int(b.network_address) for a, b in itertools.pairwise(ordered))
    for pool_id in (info.pool_id, info.ipv6_pool_id):
        usage = emu.pool_usage(pool_id)
        assert usage["numberOfAllocatedIPAddresses"] == str(per_pool.get(pool_id.lower(), 0))


@settings(
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_vnet_put_never_answers_500_and_keeps_the_pool_books(
    fuzz_emulator: tuple[AzureEmulator, dict[str, str]], data: st.DataObject
) -> None:
    emu, headers = fuzz_emulator
    info = _info(emu)
    with emu.lock:  # every example starts from no VNets (the pools then hold no allocations)
        emu.network.vnets.clear()
    steps = data.draw(
        st.lists(
            st.tuples(st.sampled_from(["vnet-h1", "vnet-h2"]), vnet_bodies(info)), min_size=1, max_size=3
        )
    )
    for name, body in steps:
        before = _snapshot(emu)
        url = f"{info.arm_endpoint.rstrip('/')}{info.vnet_id(name)}?api-version={API}"
        resp = emu.handle(Request("PUT", url, {**headers, "Content-Type": "application/json"}, body))
        assert 200 <= resp.status < 300 or resp.status in ERROR_STATUSES, (resp.status, resp.body[:500])
        payload = resp.json()
        event(f"{resp.status} {payload['error']['code'] if resp.status >= 400 else ''}")
        if resp.status >= 400:
            assert set(payload) == {"error"}, payload
            assert isinstance(payload["error"]["code"], str) and payload["error"]["code"]
            assert isinstance(payload["error"]["message"], str)
            assert _snapshot(emu) == before  # a refused PUT changes nothing
        else:
            assert payload["name"] == name and payload["properties"]["provisioningState"] == "Updating"
            got = emu.handle(Request("GET", url, headers))
            assert got.status == 200 and got.json()["properties"]["provisioningState"] == "Succeeded"
        _check_books(emu, info)
