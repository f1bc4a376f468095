"""``python -m crossipam.testing serve`` as a separate process: one JSON line, real HTTPS, clean exit."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from azure.identity import ClientSecretCredential

from crossipam.testing import AzureEmulator
from crossipam.testing.__main__ import build_parser


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossipam.testing", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    if not ready:
        proc.kill()
        pytest.fail("the offline Azure printed nothing within 60 s")
    line = proc.stdout.readline()
    if not line:
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"the offline Azure exited with {proc.returncode}: {err}")
    return proc, json.loads(line)


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    proc, info = _start("--scenario", "onboarded", "--lro-polls", "2", "--latency", "0")
    try:
        yield proc, info
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _stop(proc: subprocess.Popen[str], sig: int) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout=30)


def test_serve_prints_scenario_and_answers_over_https(
    served: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    proc, info = served
    ca = info["ca_bundle"]
    assert ca and os.path.exists(ca)
    assert info["scenario"] == "onboarded"
    for key in ("authority", "arm_endpoint", "graph_endpoint"):
        assert info[key].startswith("https://127.0.0.1:")
    assert len({info["authority"], info["arm_endpoint"], info["graph_endpoint"]}) == 3

    b, a = info["managed_tenant_id"], info["management_tenant_id"]
    app = info["app"]
    cred = ClientSecretCredential(
        b,
        app["client_id"],
        app["client_secret"],
        authority=info["authority"],
        disable_instance_discovery=True,
        connection_verify=ca,
        additionally_allowed_tenants=[a],
    )
    arm_scope = info["arm_endpoint"].rstrip("/") + "/.default"
    token = cred.get_token(arm_scope).token
    arm = info["arm_endpoint"].rstrip("/")
    resp = requests.get(
        f"{arm}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {token}"},
        verify=ca,
        timeout=30,
    )
    assert resp.status_code == 200
    assert [s["subscriptionId"] for s in resp.json()["value"]] == [info["managed_subscription_id"]]

    # the onboarded app can also act in the management tenant
    token_a = cred.get_token(arm_scope, tenant_id=a).token
    pool_assignments = requests.get(
        f"{arm}{info['pool_id']}/providers/Microsoft.Authorization/roleDefinitions"
        "?api-version=2022-04-01&$filter=roleName eq 'IPAM Pool User'",
        headers={"Authorization": f"Bearer {token_a}"},
        verify=ca,
        timeout=30,
    )
    assert pool_assignments.status_code == 200
    assert pool_assignments.json()["value"][0]["name"] == "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037"

    metadata = requests.get(f"{arm}/metadata/endpoints?api-version=2022-09-01", verify=ca, timeout=30)
    assert metadata.json()["resourceManager"] == info["arm_endpoint"]

    assert _stop(proc, signal.SIGTERM) == 0
    assert not os.path.exists(ca)  # the CA bundle is removed on shutdown


def test_serve_stops_on_sigint() -> None:
    proc, info = _start("--scenario", "fresh")
    try:
        assert info["scenario"] == "fresh"
        assert _stop(proc, signal.SIGINT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_serve_options_reach_settings() -> None:
    from crossipam.testing.__main__ import settings_from_args

    args = build_parser().parse_args(
        [
            "serve",
            "--lro-polls",
            "3",
            "--latency",
            "0.25",
            "--replication-delay",
            "30",
            "--replication-failures",
            "2",
            "--token-lifetime",
            "600",
            "--require-connection",
            "--write-bucket-capacity",
            "5",
        ]
    )
    s = settings_from_args(args)
    assert (s.lro_polls, s.latency, s.replication_delay, s.replication_failures) == (3, 0.25, 30.0, 2)
    assert (s.token_lifetime, s.require_connection, s.write_bucket_capacity) == (600, True, 5)
    assert args.host == "127.0.0.1" and args.port == 0 and args.scenario == "onboarded"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--scenario", "nope"])


def test_a_failure_inside_the_offline_azure_is_a_500_not_a_dropped_connection(
    azure_emulator_https: AzureEmulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    emu = azure_emulator_https
    info = emu.scenario
    assert info is not None and info.ca_bundle is not None

    def broken(*_args: object) -> None:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(emu.router, "dispatch", broken)
    response = requests.get(
        f"{info.arm_endpoint}/subscriptions?api-version=2022-12-01", verify=info.ca_bundle, timeout=10
    )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "InternalServerError"
    assert "RuntimeError" in caplog.text and "a bug in a handler" in caplog.text  # the traceback is logged


def test_serve_seeds_more_managed_subscriptions_each_with_its_own_pool() -> None:
    proc, info = _start("--scenario", "onboarded", "--managed-subscriptions", "3")
    try:
        subs = info["managed_subscriptions"]
        assert subs[0] == {"subscription_id": info["managed_subscription_id"], "pool_id": info["pool_id"]}
        assert len({s["subscription_id"] for s in subs}) == 3 and len({s["pool_id"] for s in subs}) == 3
        app, ca = info["app"], info["ca_bundle"]
        cred = ClientSecretCredential(
            info["managed_tenant_id"],
            app["client_id"],
            app["client_secret"],
            authority=info["authority"],
            disable_instance_discovery=True,
            connection_verify=ca,
        )
        arm = info["arm_endpoint"].rstrip("/")
        token = cred.get_token(arm + "/.default").token
        listed = requests.get(
            f"{arm}/subscriptions?api-version=2022-12-01",
            headers={"Authorization": f"Bearer {token}"},
            verify=ca,
            timeout=30,
        ).json()["value"]
        assert sorted(s["subscriptionId"] for s in listed) == sorted(s["subscription_id"] for s in subs)
        assert _stop(proc, signal.SIGTERM) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
