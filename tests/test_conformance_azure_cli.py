"""The Azure CLI runs the public cross-tenant IPAM tutorial verbatim against ``crossipam emulator``.

Opt-in: ``nox -s conformance`` installs ``azure-cli`` from PyPI into a virtual environment of its own and runs
this module with its ``az`` on ``PATH`` (and ``CROSSIPAM_REQUIRE_AZ=1``, so that a missing ``az`` fails there
instead of skipping). In the normal suite the module is collected and skipped when ``az`` is not on ``PATH``.

The CLI talks to the served offline Azure as to a cloud registered with the public resource ids (the
``az cloud register`` line of docs/offline-azure.md), from an isolated ``AZURE_CONFIG_DIR``, trusting the
emulator's CA through ``REQUESTS_CA_BUNDLE`` and with MSAL's instance discovery off
(``AZURE_CORE_INSTANCE_DISCOVERY=false``, the CLI's setting for clouds other than Azure's own). The tutorial's
URLs name ``https://management.azure.com``; here they name the emulator's ARM endpoint, nothing else changes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from azure.identity import AzureCliCredential
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import VirtualNetwork

AZ = shutil.which("az")
REQUIRED = os.environ.get("CROSSIPAM_REQUIRE_AZ") == "1"

pytestmark = pytest.mark.skipif(
    AZ is None and not REQUIRED, reason="the Azure CLI (az) is not on PATH: run `nox -s conformance`"
)

TUTORIAL_API_VERSION = "2022-07-01"
IPAM_POOL_USER = "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037"
#: What the emulator's process must not inherit (a developer's own Azure settings) and the CLI must not see.
_SCRUBBED_PREFIXES = ("AZURE_", "ARM_", "MSAL_", "CROSSIPAM_")
_SCRUBBED = {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "HTTPS_PROXY", "https_proxy"}


def _clean_env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)
    }


@dataclass
class AzureCli:
    """``az`` with an isolated configuration directory, trusting the emulator's CA."""

    env: dict[str, str]
    info: dict[str, Any]

    def run(self, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        assert AZ is not None, "CROSSIPAM_REQUIRE_AZ=1 but az is not on PATH"
        done = subprocess.run(
            [AZ, *args, "--only-show-errors"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**self.env, **env},
        )
        if ok:
            assert done.returncode == 0, f"az {' '.join(args[:3])} …: {done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        out = self.run(*args, "--output", "json").stdout
        return json.loads(out) if out.strip() else None

    def tsv(self, *args: str) -> str:
        return self.run(*args, "--output", "tsv").stdout.strip()

    def login(self, client_id: str, secret: str, tenant: str) -> list[dict[str, Any]]:
        subscriptions: list[dict[str, Any]] = self.json(
            "login", "--service-principal", "--username", client_id, "--password", secret, "--tenant", tenant
        )
        return subscriptions


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``crossipam emulator --scenario <scenario>`` in a process of its own (the scenario: the test's indirect
    parameter); its JSON line. Its stderr goes to a file (a pipe nobody reads could fill and stall it)."""
    log = tmp_path / "emulator.stderr"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crossipam", "emulator", "--scenario", request.param],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=_clean_env(),
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, f"the emulator printed nothing: {log.read_text()}"
        yield json.loads(line)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def cloud_register_args(info: dict[str, Any], name: str = "crossipam") -> list[str]:
    """The ``az cloud register`` line of docs/offline-azure.md: ARM at the emulator, the public ARM resource id."""
    graph = info["graph_endpoint"].rstrip("/") + "/"
    return [
        "cloud",
        "register",
        "--name",
        name,
        "--endpoint-resource-manager",
        info["arm_endpoint"],
        "--endpoint-active-directory",
        info["authority"],
        "--endpoint-active-directory-resource-id",
        "https://management.core.windows.net/",
        "--endpoint-active-directory-graph-resource-id",
        graph,
        "--endpoint-microsoft-graph-resource-id",
        graph,
    ]


@pytest.fixture
def az(served: dict[str, Any], tmp_path: Path) -> AzureCli:
    """The Azure CLI with the cloud ``crossipam`` registered and active."""
    env = {
        **_clean_env(),
        "AZURE_CONFIG_DIR": str(tmp_path / "azure"),
        "REQUESTS_CA_BUNDLE": served["ca_bundle"],
        "AZURE_CORE_INSTANCE_DISCOVERY": "false",
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_SURVEY_MESSAGE": "false",
        "AZURE_CORE_NO_COLOR": "true",
    }
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):  # az runs on its own interpreter
        env.pop(name, None)
    cli = AzureCli(env, served)
    cli.run(*cloud_register_args(served))
    cli.run("cloud", "set", "--name", "crossipam")
    return cli


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _vnet_url(info: dict[str, Any], name: str) -> str:
    return (
        f"{info['arm_endpoint'].rstrip('/')}/subscriptions/{info['managed_subscription_id']}/resourceGroups/"
        f"{info['resource_group']}/providers/Microsoft.Network/virtualNetworks/{name}"
        f"?api-version={TUTORIAL_API_VERSION}"
    )


def _pool_usage(az: AzureCli) -> str:
    info = az.info
    usage = az.json(
        "rest",
        "--method",
        "post",
        "--url",
        f"{info['arm_endpoint'].rstrip('/')}{info['pool_id']}/getPoolUsage?api-version=2024-05-01",
    )
    return str(usage["numberOfAllocatedIPAddresses"])


def run_tutorial(az: AzureCli) -> None:
    """The tutorial's commands: the app logs in to both tenants, takes a Tenant-A token for
    ``--resource=https://management.azure.com/`` and PUTs the VNet with it in ``x-ms-authorization-auxiliary``
    (the deploy body, then the removal body, at api-version 2022-07-01)."""
    info = az.info
    a, b = info["management_tenant_id"], info["managed_tenant_id"]
    app = info["app"]
    [sub_b] = az.login(app["client_id"], app["client_secret"], b)
    assert (sub_b["id"], sub_b["tenantId"], sub_b["user"]["type"]) == (
        info["managed_subscription_id"],
        b,
        "servicePrincipal",
    )
    [sub_a] = az.login(app["client_id"], app["client_secret"], a)
    assert sub_a["id"] == info["management_subscription_id"]

    token = az.tsv(
        "account", "get-access-token", "--resource=https://management.azure.com/", "--tenant", a,
        "--query", "accessToken",
    )  # fmt: skip
    claims = _claims(token)
    assert (claims["aud"], claims["tid"], claims["appid"]) == (
        "https://management.azure.com/",
        a,
        app["client_id"],
    )
    # the CLI's own ARM token is for the registered resource id, https://management.core.windows.net/
    own = az.json("account", "get-access-token", "--subscription", info["managed_subscription_id"])
    assert _claims(own["accessToken"])["aud"] == "https://management.core.windows.net/"

    aux = f"x-ms-authorization-auxiliary=Bearer {token}"
    url = _vnet_url(info, "tutorial-vnet")
    deploy = {
        "location": info["location"],
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "100", "pool": {"id": info["pool_id"]}}]
            }
        },
    }
    written = az.json("rest", "--method", "put", "--url", url, "--headers", aux, "--body", json.dumps(deploy))
    assert written["name"] == "tutorial-vnet"
    vnet = az.json("rest", "--method", "get", "--url", url, "--headers", aux)
    assert vnet["properties"]["provisioningState"] == "Succeeded"
    space = vnet["properties"]["addressSpace"]
    assert space["addressPrefixes"] == ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]
    assert space["ipamPoolPrefixAllocations"][0]["numberOfIpAddresses"] == "100"
    assert _pool_usage(az) == "100"  # read in tenant A with the app's Tenant-A login

    removal = {
        "location": info["location"],
        "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}},
    }
    az.json("rest", "--method", "put", "--url", url, "--headers", aux, "--body", json.dumps(removal))
    vnet = az.json("rest", "--method", "get", "--url", url)
    assert vnet["properties"]["addressSpace"] == {"addressPrefixes": ["10.0.0.0/16"]}
    assert _pool_usage(az) == "0"

    # without the auxiliary token ARM refuses the cross-tenant allocation
    refused = az.run(
        "rest", "--method", "put", "--url", _vnet_url(info, "tutorial-vnet-2"), "--body", json.dumps(deploy),
        ok=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "LinkedAuthorizationFailed" in refused.stderr


def run_onboarding(az: AzureCli) -> None:
    """The tutorial's onboarding commands: Tenant B's admin makes the app multitenant, Tenant A's admin creates
    its service principal there and grants it *IPAM Pool User* on the pool."""
    info = az.info
    app_id = info["app"]["client_id"]
    a, b = info["management_tenant_id"], info["managed_tenant_id"]
    # before onboarding the app cannot sign in to tenant A. (MSAL caches a 400 token answer for 60 s, and the
    # CLI keeps MSAL's HTTP cache in its configuration directory: with it, the login after onboarding would be
    # answered from the cache with this same error, as against Azure.)
    refused = az.run(
        "login", "--service-principal", "--username", app_id, "--password", info["app"]["client_secret"],
        "--tenant", a, ok=False, AZURE_CORE_USE_MSAL_HTTP_CACHE="false",
    )  # fmt: skip
    assert refused.returncode != 0 and "AADSTS700016" in refused.stderr

    admin_b, admin_a = info["admins"]["managed"], info["admins"]["management"]
    az.login(admin_b["client_id"], admin_b["client_secret"], b)
    az.run("ad", "app", "update", "--id", app_id, "--set", "signInAudience=AzureADMultipleOrgs")
    assert az.tsv("ad", "app", "show", "--id", app_id, "--query", "signInAudience") == "AzureADMultipleOrgs"

    az.login(admin_a["client_id"], admin_a["client_secret"], a)
    sp = az.json("ad", "sp", "create", "--id", app_id)
    assert (sp["appId"], sp["appOwnerOrganizationId"]) == (app_id, b)
    assert az.json("ad", "sp", "show", "--id", app_id)["id"] == sp["id"]
    assignment = az.json(
        "role",
        "assignment",
        "create",
        "--assignee",
        app_id,
        "--role",
        "IPAM Pool User",
        "--scope",
        info["pool_id"],
    )
    assert assignment["principalId"] == sp["id"]
    assert assignment["principalType"] == "ServicePrincipal"
    assert assignment["roleDefinitionId"].endswith(f"/roleDefinitions/{IPAM_POOL_USER}")
    assert assignment["scope"] == info["pool_id"]
    listed = az.json("role", "assignment", "list", "--assignee", app_id, "--scope", info["pool_id"])
    assert [r["roleDefinitionName"] for r in listed] == ["IPAM Pool User"]


@pytest.mark.parametrize("served", ["onboarded", "fresh"], indirect=True)
def test_the_azure_cli_runs_the_tutorial(az: AzureCli) -> None:
    """``onboarded``: the tutorial's deployment; ``fresh``: its onboarding commands first."""
    cloud = az.json("cloud", "show", "--name", "crossipam")
    assert cloud["isActive"] is True
    assert cloud["endpoints"]["activeDirectoryResourceId"] == "https://management.core.windows.net/"
    if az.info["scenario"] == "fresh":
        run_onboarding(az)
    run_tutorial(az)


@pytest.mark.parametrize("served", ["onboarded"], indirect=True)
def test_cloud_register_discovers_the_same_endpoints(az: AzureCli) -> None:
    """Registered with only ``--endpoint-resource-manager``, the CLI reads the rest from ``/metadata/endpoints``
    and arrives at the same cloud, the public ARM resource id included."""
    az.run(
        "cloud", "register", "--name", "discovered", "--endpoint-resource-manager", az.info["arm_endpoint"]
    )
    explicit = az.json("cloud", "show", "--name", "crossipam")["endpoints"]
    discovered = az.json("cloud", "show", "--name", "discovered")["endpoints"]
    for key in (
        "resourceManager",
        "activeDirectoryResourceId",
        "management",
        "microsoftGraphResourceId",
        "activeDirectoryGraphResourceId",
    ):
        assert discovered[key] == explicit[key], key
    assert discovered["activeDirectory"].rstrip("/") == explicit["activeDirectory"].rstrip("/")


@pytest.mark.parametrize("served", ["onboarded"], indirect=True)
def test_azure_identity_drives_the_azure_cli(az: AzureCli, monkeypatch: pytest.MonkeyPatch) -> None:
    """azure-identity's ``AzureCliCredential`` takes its tokens from the ``az`` logged in to the offline Azure
    (``az account get-access-token --resource https://management.azure.com --tenant …``), and
    azure-mgmt-network, with its default public scope, deploys across tenants with them."""
    info = az.info
    a, b = info["management_tenant_id"], info["managed_tenant_id"]
    app = info["app"]
    az.login(app["client_id"], app["client_secret"], b)
    az.login(app["client_id"], app["client_secret"], a)
    for name, value in az.env.items():  # AzureCliCredential runs az with this process's environment
        if name.startswith("AZURE_") or name == "REQUESTS_CA_BUNDLE":
            monkeypatch.setenv(name, value)
    for name in ("PYTHONPATH", "PYTHONHOME"):
        monkeypatch.delenv(name, raising=False)
    network = NetworkManagementClient(
        AzureCliCredential(tenant_id=b),
        info["managed_subscription_id"],
        base_url=info["arm_endpoint"],
        connection_verify=info["ca_bundle"],
        polling_interval=0,
        per_retry_policies=[
            AuxiliaryAuthenticationPolicy(
                [AzureCliCredential(tenant_id=a)], "https://management.azure.com/.default"
            )
        ],
    )
    body = VirtualNetwork(
        {
            "location": info["location"],
            "properties": {
                "addressSpace": {
                    "ipamPoolPrefixAllocations": [
                        {"numberOfIpAddresses": "256", "pool": {"id": info["pool_id"]}}
                    ]
                }
            },
        }
    )
    vnet = network.virtual_networks.begin_create_or_update(
        info["resource_group"], "vnet-cli-credential", body
    ).result()
    assert vnet.address_space is not None and vnet.address_space.address_prefixes == ["10.0.0.0/24"]
    assert _pool_usage(az) == "256"
