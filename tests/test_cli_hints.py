"""Hints that fit the mistake: a 403 on a pool or VNet says the id may be wrong as well as the role; a tenant
Entra ID does not know says so; and no hint of the command line names a Python parameter."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from crossipam import CrossTenantIpamClient
from crossipam._wire_errors import ERROR_CODES, hint_for
from crossipam.cli import EXIT_AUTH, main
from crossipam.cli._render import cli_hint, cli_remedy
from crossipam.errors import Remedy
from crossipam.onboarding import offboard_service_principal, onboard_service_principal
from crossipam.testing.pytest_plugin import SeededEmulator


@pytest.fixture
def env(azure_emulator_https: SeededEmulator, monkeypatch: pytest.MonkeyPatch) -> SeededEmulator:
    for name, value in azure_emulator_https.scenario.environment().items():
        monkeypatch.setenv(name, value)
    return azure_emulator_https


def error_of(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "-o", "json"])
    return code, json.loads(capsys.readouterr().out)["error"]


def test_403_on_a_mistyped_pool_says_the_id_may_be_wrong(env: SeededEmulator, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    mistyped = env.scenario.pool_id.replace("pool-eastus", "pool-eastsu")
    code, error = error_of(capsys, "pool", "usage", mistyped)
    assert code == EXIT_AUTH and error["code"] == "AuthorizationFailed"
    assert "a role is missing" in error["hint"] and "or the id is wrong" in error["hint"]


def test_403_on_a_vnet_says_the_id_may_be_wrong(
    env: SeededEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    info = env.scenario
    # a resource group the app has no role on: ARM says 403, whether or not the VNet is there
    elsewhere = info.vnet_id("vnet-a").replace(info.resource_group, "rg-elsewhere")
    code, error = error_of(capsys, "show", elsewhere)
    assert code == EXIT_AUTH and error["status"] == 403
    assert "or the id is wrong" in error["hint"]


def test_linked_authorization_hint_names_the_pool_id_too(env: SeededEmulator, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    info = env.scenario
    for key, assignment in list(env.state.role_assignments.items()):  # the app loses IPAM Pool User
        if assignment.scope.lower() == info.pool_id.lower():
            del env.state.role_assignments[key]
    code, error = error_of(capsys, "deploy", info.vnet_id("vnet-l"), "--location", info.location, "--pool-id",
                           info.pool_id, "--addresses", "16")  # fmt: skip
    assert code == EXIT_AUTH and error["code"] == "LinkedAuthorizationFailed"
    assert "`crossipam onboard` does it" in error["hint"] and "or the pool id is wrong" in error["hint"]


def test_an_unknown_tenant_gets_a_hint(env: SeededEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    unknown = "12345678-1234-4234-8234-123456789012"
    code, error = error_of(capsys, "pool", "usage", env.scenario.pool_id, "--management-tenant", unknown)
    assert code == EXIT_AUTH and error["tenant_id"] == unknown
    assert (
        error["hint"]
        == f"tenant {unknown} does not exist in this cloud: check the tenant id and the authority host"
    )


def _parameters() -> set[str]:
    functions: list[Callable[..., Any]] = [onboard_service_principal, offboard_service_principal]
    functions += [m for name, m in inspect.getmembers(CrossTenantIpamClient) if not name.startswith("_") and callable(m)]  # fmt: skip
    names = {p for f in functions for p in inspect.signature(f).parameters}
    options = {"operation_timeout", "number_of_ip_addresses", "ipv6_number_of_ip_addresses", "ipv6_pool_id"}
    return {n for n in names if "_" in n} | options  # snake_case: never an English word; options: **options


def test_no_cli_hint_names_a_python_parameter() -> None:
    parameters = _parameters()
    assert {"management_tenant_id", "managed_tenant_id", "pool_id"} <= parameters
    for code in ERROR_CODES:
        hint = hint_for(code, tenant_id="t", who="app x")
        if hint is None:
            continue
        shown = cli_hint(cli_remedy(hint) if isinstance(hint, Remedy) else hint)
        named = set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", shown)) & parameters
        assert not named and "cloud=" not in shown, (code, shown)
    assert (
        cli_hint("pass that pool as pool_id (or ipv6_pool_id)")
        == "pass that pool as --pool-id (or --ipv6-pool-id)"
    )
    assert (
        cli_hint("check cloud= endpoints") == "check --cloud or --arm-endpoint/--authority/--graph-endpoint"
    )


def test_library_only_knobs_are_left_out_of_cli_hints() -> None:
    assert cli_hint(
        "run onboarding again in a few minutes (it is safe to re-run), or raise max_replication_wait"
    ) == ("run onboarding again in a few minutes (it is safe to re-run)")
