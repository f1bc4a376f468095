"""The ``crossipam`` commands, run in-process (``main([...])``) against the offline Azure over HTTPS, with JSON
output parsed; plus subprocess runs of ``python -m crossipam``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossipam.cli import (
    EXIT_AUTH,
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_NOT_READY,
    EXIT_OK,
    EXIT_USAGE,
    build_parser,
    cli_remedy,
    main,
    parse_subnets,
)
from crossipam.client import CrossTenantIpamClient
from crossipam.errors import CrossIpamError, Remedy
from crossipam.models import CloudEndpoints, SubnetSpec
from crossipam.testing import AzureEmulator, ScenarioInfo

_ENV = (
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "CROSSIPAM_MANAGEMENT_TENANT_ID",
    "CROSSIPAM_ARM_ENDPOINT",
    "CROSSIPAM_GRAPH_ENDPOINT",
    "REQUESTS_CA_BUNDLE",
    "CROSSIPAM_MANAGED_ADMIN_CLIENT_SECRET",
    "CROSSIPAM_MANAGEMENT_ADMIN_CLIENT_SECRET",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


def info_of(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


def endpoints(info: ScenarioInfo) -> list[str]:
    assert info.ca_bundle
    return [
        "--authority",
        info.authority,
        "--arm-endpoint",
        info.arm_endpoint,
        "--graph-endpoint",
        info.graph_endpoint,
        "--ca-bundle",
        info.ca_bundle,
    ]


def app_args(info: ScenarioInfo) -> list[str]:
    return [
        "--client-id",
        info.app.client_id,
        "--tenant",
        info.managed_tenant_id,
        "--management-tenant",
        info.management_tenant_id,
        *endpoints(info),
    ]


@pytest.fixture
def emu(azure_emulator_https: AzureEmulator, monkeypatch: pytest.MonkeyPatch) -> AzureEmulator:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", info_of(azure_emulator_https).app.client_secret)
    return azure_emulator_https


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out, _err = run(capsys, *argv, "--output", "json")
    return code, json.loads(out)


def test_deploy_show_pool_remove_json(emu: AzureEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)
    vnet = info.vnet_id("vnet-cli")
    code, d = run_json(
        capsys, "deploy", vnet, "--location", info.location, "--pool-id", info.pool_id, "--addresses", "100",
        "--subnets", "app:64;data:16", "--tag", "env=dev", *app_args(info),
    )  # fmt: skip
    assert code == EXIT_OK
    assert d["action"] == "created" and d["name"] == "vnet-cli"
    assert d["address_prefixes"] == ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]
    assert d["allocations"] == [
        {
            "pool_id": info.pool_id,
            "number_of_ip_addresses": 100,
            "allocated_prefixes": ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"],
        }
    ]
    assert [(s["name"], s["address_prefixes"]) for s in d["subnets"]] == [
        ("app", ["10.0.0.0/26"]),
        ("data", ["10.0.0.64/28"]),
    ]
    assert d["tags"] == {"env": "dev"}

    code, shown = run_json(capsys, "show", vnet, *app_args(info))
    assert (
        code == EXIT_OK and shown["action"] == "read" and shown["address_prefixes"] == d["address_prefixes"]
    )

    code, usage = run_json(capsys, "pool", "usage", info.pool_id, *app_args(info))
    assert code == EXIT_OK
    assert usage["number_of_allocated_ip_addresses"] == 100
    assert usage["total_number_of_ip_addresses"] == 65536
    assert usage["address_prefixes"] == ["10.0.0.0/16"]
    assert all(isinstance(p, str) for p in usage["available_address_prefixes"])

    code, allocations = run_json(capsys, "pool", "allocations", info.pool_id, *app_args(info))
    assert code == EXIT_OK
    assert [(a["resource_id"], a["total_number_of_ip_addresses"]) for a in allocations] == [(vnet, 100)]

    code, removed = run_json(capsys, "remove", vnet, *app_args(info))
    assert code == EXIT_OK and removed["action"] == "removed" and removed["allocations"] == []
    assert removed["address_prefixes"] == d["address_prefixes"]

    code, out, _ = run(capsys, "pool", "usage", info.pool_id, *app_args(info))
    assert code == EXIT_OK and "allocated           0" in out


def test_json_output_is_the_models_to_dict(emu: AzureEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON the CLI prints is, byte for byte, the model's to_dict() as the library returns it."""
    info = info_of(emu)
    vnet = info.vnet_id("vnet-to-dict")
    code, _, _ = run(
        capsys, "deploy", vnet, "--location", info.location, "--pool-id", info.pool_id, "--addresses", "100",
        "--subnets", "app:64;data:16", "--tag", "env=dev", *app_args(info),
    )  # fmt: skip
    assert code == EXIT_OK
    cloud = CloudEndpoints(
        authority_host=info.authority,
        resource_manager=info.arm_endpoint,
        graph=info.graph_endpoint,
        resource_manager_scope=info.arm_scope,
    )
    with CrossTenantIpamClient.from_client_secret(
        info.app.client_id,
        info.app.client_secret,
        managed_tenant_id=info.managed_tenant_id,
        management_tenant_id=info.management_tenant_id,
        cloud=cloud,
        connection_verify=info.ca_bundle,
    ) as client:
        shown = client.get_virtual_network_allocation(vnet).to_dict()
        expected: dict[tuple[str, ...], Any] = {
            ("show", vnet): shown,
            ("pool", "usage", info.pool_id): {
                "pool_id": info.pool_id,
                **client.get_pool_usage(info.pool_id).to_dict(),
            },
            ("pool", "allocations", info.pool_id): [
                a.to_dict() for a in client.list_pool_allocations(info.pool_id)
            ],
        }
    for argv, data in expected.items():
        code, out, _ = run(capsys, *argv, *app_args(info), "--output", "json")
        assert code == EXIT_OK and out == json.dumps(data, indent=2) + "\n", argv
    assert [s["name"] for s in shown["subnets"]] == ["app", "data"] and shown["action"] == "read"


def test_table_output_is_readable(emu: AzureEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)
    code, out, _ = run(
        capsys, "deploy", info.vnet_id("v-table"), "--location", "eastus", "--pool-id", info.pool_id,
        "--addresses", "64", *app_args(info),
    )  # fmt: skip
    assert code == EXIT_OK
    assert "action            created" in out and "address prefixes  10.0.0.0/26" in out


def test_environment_credentials_and_endpoints(
    azure_emulator_https: AzureEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    info = info_of(azure_emulator_https)
    assert info.ca_bundle
    monkeypatch.setenv("AZURE_CLIENT_ID", info.app.client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", info.app.client_secret)
    monkeypatch.setenv("AZURE_TENANT_ID", info.managed_tenant_id)
    monkeypatch.setenv("CROSSIPAM_MANAGEMENT_TENANT_ID", info.management_tenant_id)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", info.authority)
    monkeypatch.setenv("CROSSIPAM_ARM_ENDPOINT", info.arm_endpoint)
    monkeypatch.setenv("CROSSIPAM_GRAPH_ENDPOINT", info.graph_endpoint)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", info.ca_bundle)
    code, usage = run_json(capsys, "pool", "usage", info.pool_id)
    assert code == EXIT_OK and usage["pool_id"] == info.pool_id


def write_csv(path: Path, rows: list[str]) -> str:
    path.write_text("vnet_id,location,pool_id,number_of_ip_addresses,subnets\n" + "\n".join(rows) + "\n")
    return str(path)


def test_deploy_from_csv_bulk(emu: AzureEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)
    ids = [info.vnet_id(f"bulk-{i}") for i in range(4)]
    rows = [f"{ids[0]},eastus,{info.pool_id},256,app:64;data:16"] + [f"{v},,,64," for v in ids[1:]]
    path = write_csv(tmp_path / "vnets.csv", rows)
    code, out, err = run(
        capsys, "deploy", "--from-file", path, "--yes", "--pool-id", info.pool_id, "--location", "eastus",
        "--progress", "plain", "--max-concurrency", "3", "--output", "json", *app_args(info),
    )  # fmt: skip
    assert code == EXIT_OK, err
    result = json.loads(out)
    assert (result["total"], result["succeeded"], result["failed"]) == (4, 4, 0)
    assert [i["vnet_id"] for i in result["items"]] == ids
    assert result["items"][0]["deployment"]["subnets"][0]["address_prefixes"]
    assert sorted(line.split("] ")[0] for line in err.splitlines()) == ["[1/4", "[2/4", "[3/4", "[4/4"]

    # once more: nothing to do
    code, again = run_json(capsys, "deploy", "--from-file", path, "--yes", "--progress", "none", "--pool-id",
                           info.pool_id, "--location", "eastus", *app_args(info))  # fmt: skip
    assert code == EXIT_OK and {i["action"] for i in again["items"]} == {"unchanged"}

    listed = tmp_path / "remove.csv"
    listed.write_text("vnet_id\n" + "\n".join(ids) + "\n")
    code, removed = run_json(
        capsys, "remove", "--from-file", str(listed), "--progress", "none", *app_args(info)
    )
    assert code == EXIT_OK and {i["action"] for i in removed["items"]} == {"removed"}


def test_deploy_from_file_one_failure(
    emu: AzureEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    info = info_of(emu)
    path = write_csv(
        tmp_path / "vnets.csv",
        [
            f"{info.vnet_id('ok')},eastus,{info.pool_id},64,",
            f"{info.vnet_id('huge')},eastus,{info.pool_id},100000,",
        ],
    )
    code, out, _ = run(
        capsys, "deploy", "--from-file", path, "--yes", "--progress", "none", "-o", "json", *app_args(info)
    )
    result = json.loads(out)
    assert code == EXIT_ERROR
    assert [i["ok"] for i in result["items"]] == [True, False]
    assert result["items"][1]["error"]["type"] == "PoolExhaustedError"


def test_deploy_from_yaml(emu: AzureEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)
    path = tmp_path / "vnets.yaml"
    path.write_text(
        "vnets:\n"
        f"  - vnet_id: {info.vnet_id('y1')}\n    location: eastus\n    pool_id: {info.pool_id}\n"
        "    number_of_ip_addresses: 128\n    subnets: {app: 64}\n    tags: {env: prod}\n"
        f"  - vnet_id: {info.vnet_id('y2')}\n    location: eastus\n    pool_id: {info.pool_id}\n"
        '    number_of_ip_addresses: 32\n    subnets: "web:16"\n'
    )
    code, result = run_json(
        capsys, "deploy", "--from-file", str(path), "--yes", "--progress", "none", *app_args(info)
    )
    assert code == EXIT_OK and result["succeeded"] == 2
    assert result["items"][0]["deployment"]["tags"] == {"env": "prod"}


def test_yaml_without_pyyaml(
    emu: AzureEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml -> ImportError
    path = tmp_path / "vnets.yml"
    path.write_text("[]\n")
    code, _, err = run(capsys, "deploy", "--from-file", str(path), *app_args(info_of(emu)))
    assert code == EXIT_USAGE
    assert "needs PyYAML" in err and 'pip install "crossipam[cli]"' in err


def test_check_exit_codes(emu: AzureEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)
    common = ["check", "--pool-id", info.pool_id, "--vnet-id", info.vnet_id("v1"), *app_args(info)]
    code, report = run_json(capsys, *common, "--addresses", "256")
    assert code == EXIT_OK and report["ok"] is True
    code, report = run_json(capsys, *common, "--addresses", "70000")
    assert code == EXIT_NOT_READY and report["ok"] is False
    assert [c["name"] for c in report["checks"] if c["status"] == "fail"] == ["pool_capacity"]
    code, out, _ = run(capsys, *common, "--addresses", "70000")
    assert code == EXIT_NOT_READY and "FAIL  pool_capacity" in out and "fix: ask for fewer" in out


def test_authorization_error_exit_3(emu: AzureEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)
    sp = emu.state.service_principals[(info.management_tenant_id, info.app.client_id)].object_id
    for key in [k for k, a in emu.state.role_assignments.items() if a.principal_id == sp]:
        del emu.state.role_assignments[key]
    code, out, err = run(
        capsys, "deploy", info.vnet_id("v1"), "--location", "eastus", "--pool-id", info.pool_id,
        "--addresses", "64", "--output", "json", *app_args(info),
    )  # fmt: skip
    assert code == EXIT_AUTH
    lines = err.splitlines()
    assert lines[0].startswith("crossipam deploy: Azure Resource Manager refused")
    assert lines[1].startswith("hint: ") and "IPAM Pool User" in lines[1]
    error = json.loads(out)["error"]
    assert error["type"] == "LinkedAuthorizationError" and error["code"] == "LinkedAuthorizationFailed"
    assert {"status", "request_id", "correlation_id", "timestamp"} <= error.keys() and error["request_id"]
    assert error["status"] == 403 and error["exit_code"] == EXIT_AUTH
    # the library's hint names crossipam.onboarding.onboard_service_principal; the CLI names its command
    assert "(`crossipam onboard` does it)" in lines[1] and "onboard_service_principal" not in err
    assert error["hint"] == lines[1].removeprefix("hint: ")


def test_hints_name_commands_not_library_calls(
    emu: AzureEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    info = info_of(emu)
    deploy = ["deploy", info.vnet_id("v-shrink"), "--location", "eastus", "--pool-id", info.pool_id]
    assert run(capsys, *deploy, "--addresses", "64", *app_args(info))[0] == EXIT_OK
    code, _, err = run(capsys, *deploy, "--addresses", "32", *app_args(info))
    assert code == EXIT_ERROR
    hint = err.splitlines()[1]
    assert hint.startswith("hint: IPAM allocations only grow")
    assert "remove the allocation (`crossipam remove`) and deploy a new VNet" in hint
    assert "begin_remove_allocation" not in err


@pytest.mark.parametrize(
    ("remedy", "library", "cli"),
    [
        (
            Remedy("use {action} to convert", "begin_remove_allocation", call_syntax=False),
            "use begin_remove_allocation to convert",
            "use `crossipam remove` to convert",
        ),
        (
            Remedy("check {action} and ask", "get_pool_usage", (("pool_id", None),)),
            "check get_pool_usage(pool_id) and ask",
            "check `crossipam pool usage POOL_ID` and ask",
        ),
        (
            Remedy("({action} does it)", "crossipam.onboarding.onboard_service_principal", call_syntax=False),
            "(crossipam.onboarding.onboard_service_principal does it)",
            "(`crossipam onboard` does it)",
        ),
        (
            Remedy("see {action}", "crossipam.aio.onboarding.offboard_service_principal", call_syntax=False),
            "see crossipam.aio.onboarding.offboard_service_principal",
            "see `crossipam offboard`",
        ),
        (
            Remedy("{action}", "client.begin_remove_allocation", (("vnet_id", None),)),
            "client.begin_remove_allocation(vnet_id)",
            "`crossipam remove VNET_ID`",
        ),
        (
            Remedy("retry with {action}", "deploy_many", call_syntax=False),
            "retry with deploy_many",
            "retry with `crossipam deploy --from-file`",
        ),
        (
            Remedy("run {action}", "onboard_service_principal", (("app_id", "A"), ("pool_id", "P"))),
            "run onboard_service_principal(app_id='A', pool_id='P')",
            "run `crossipam onboard --app-id A --pool-id P`",
        ),
    ],
)
def test_remedies_name_the_call_in_the_library_and_the_command_on_the_cli(
    remedy: Remedy, library: str, cli: str
) -> None:
    """A hint that names an operation is data (Remedy): each front end says it its own way, no prose rewriting."""
    assert remedy.for_library() == library
    assert cli_remedy(remedy) == cli
    assert (
        CrossIpamError("x", hint=remedy).hint == library and CrossIpamError("x", hint=remedy).remedy is remedy
    )


def test_a_plain_hint_is_shown_as_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    """Hints without an operation are text and reach the command line unchanged (no rewriting of prose)."""
    from crossipam.cli import _error_dict

    for text in ("my_get_pool_usage and x.get_pool_usage stay", "pass additionally_allowed_tenants"):
        assert _error_dict(CrossIpamError("x", hint=text))["hint"] == text


@pytest.mark.parametrize(
    "argv",
    [
        ["--output", "json", "pool", "usage", "P"],
        ["-o", "json", "--debug", "pool", "usage", "P"],
        ["pool", "--output", "json", "usage", "P", "--debug"],
        ["pool", "usage", "P", "-o", "json", "--debug"],
        ["--debug", "pool", "usage", "P", "--output", "json"],
    ],
)
def test_global_options_before_or_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.output, args.pool_id) == ("json", "P")
    assert args.debug is ("--debug" in argv)


def test_global_option_defaults_and_last_one_wins() -> None:
    args = build_parser().parse_args(["show", "V"])
    assert (args.output, args.debug) == ("table", False)
    args = build_parser().parse_args(["--output", "json", "--debug", "show", "V", "--output", "table"])
    assert (args.output, args.debug) == ("table", True)  # after the command wins; --debug before it is kept


def test_output_json_before_the_command(emu: AzureEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)
    code, out, err = run(
        capsys, "--output", "json", "deploy", info.vnet_id("v-global"), "--location", "eastus", "--pool-id",
        info.pool_id, "--addresses", "64", *app_args(info),
    )  # fmt: skip
    assert code == EXIT_OK, err
    assert json.loads(out)["action"] == "created"
    code, out, err = run(
        capsys, "--debug", "-o", "json", "show", "/subscriptions/x/not-a-vnet", *app_args(info)
    )
    assert code == EXIT_USAGE and json.loads(out)["error"]["exit_code"] == EXIT_USAGE
    assert "details: " in err  # --debug before the command took effect
    assert run(capsys, "--output", "yaml", "show", info.vnet_id("v-global"))[0] == EXIT_USAGE


def test_bad_secret_exit_3_and_no_secret_printed(
    azure_emulator_https: AzureEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    info = info_of(azure_emulator_https)
    wrong = "not-the-secret-" + "x" * 20
    monkeypatch.setenv("AZURE_CLIENT_SECRET", wrong)
    code, out, err = run(capsys, "pool", "usage", info.pool_id, "--debug", *app_args(info))
    assert code == EXIT_AUTH
    assert "could not get a token" in err and "details: " in err
    assert wrong not in out + err and info.app.client_secret not in out + err
    assert "Bearer " not in out + err


def test_usage_errors_exit_2(emu: AzureEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)
    code, _, err = run(capsys, "deploy", *app_args(info))
    assert code == EXIT_USAGE and "deploy needs VNET_ID, --location, --pool-id, --addresses" in err
    code, _, err = run(
        capsys, "deploy", info.vnet_id("v1"), "--location", "eastus", "--pool-id", info.pool_id, "--addresses",
        "64", "--subnets", "app=64", *app_args(info),
    )  # fmt: skip
    assert code == EXIT_USAGE and "expected NAME:COUNT" in err
    code, _, err = run(capsys, "show", "/subscriptions/x/not-a-vnet", *app_args(info))
    assert code == EXIT_USAGE
    assert run(capsys, "deploy", "--no-such-option")[0] == EXIT_USAGE
    code, _, err = run(capsys, "pool", "usage", info.pool_id, "--auth", "app", *endpoints(info))
    assert code == EXIT_USAGE and "--tenant" in err
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"vnet_id,location,pool_id,number_of_ip_addresses\n{info.vnet_id('v1')},eastus,{info.pool_id},lots\n"
    )
    code, _, err = run(capsys, "deploy", "--from-file", str(bad), *app_args(info))
    assert code == EXIT_USAGE and "line 2" in err


def test_parse_subnets() -> None:
    assert parse_subnets("app:64; data:16") == (SubnetSpec("app", 64), SubnetSpec("data", 16))
    assert parse_subnets("") == ()


@pytest.fixture
def fresh_https() -> Iterator[AzureEmulator]:
    emu = AzureEmulator()
    info = emu.load_scenario("fresh")
    with emu.serve() as server:
        info.ca_bundle = server.ca_bundle
        yield emu


def test_onboard_check_offboard(
    fresh_https: AzureEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    info = info_of(fresh_https)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", info.app.client_secret)
    monkeypatch.setenv("CROSSIPAM_MANAGED_ADMIN_CLIENT_SECRET", info.admins["managed"].client_secret)
    monkeypatch.setenv("CROSSIPAM_MANAGEMENT_ADMIN_CLIENT_SECRET", info.admins["management"].client_secret)
    tenants = ["--tenant", info.managed_tenant_id, "--management-tenant", info.management_tenant_id]
    admins = [
        "--managed-admin-client-id",
        info.admins["managed"].client_id,
        "--management-admin-client-id",
        info.admins["management"].client_id,
    ]
    check = ["check", "--pool-id", info.pool_id, *app_args(info)]

    code, report = run_json(capsys, *check)
    assert code == EXIT_NOT_READY
    failed = [c for c in report["checks"] if c["status"] == "fail"]
    assert "crossipam onboard" in failed[0]["remedy"]
    code, table, _ = run(capsys, *check)  # the table's fixes name commands, not library calls
    assert code == EXIT_NOT_READY and "fix: " in table and "crossipam.onboarding." not in table

    onboard = [
        "onboard",
        "--app-id",
        info.app.client_id,
        "--pool-id",
        info.pool_id,
        *tenants,
        *admins,
        *endpoints(info),
    ]
    code, plan = run_json(capsys, *onboard, "--dry-run")
    assert code == EXIT_OK and plan["dry_run"] and {s["status"] for s in plan["steps"]} == {"planned"}
    code, done = run_json(capsys, *onboard)
    assert code == EXIT_OK and done["changed"] and done["role_assignment_id"]
    code, out, _ = run(capsys, *onboard)
    assert code == EXIT_OK and "assign_pool_role: already_done" in out

    assert run_json(capsys, *check)[0] == EXIT_OK

    offboard = ["offboard", "--app-id", info.app.client_id, "--pool-id", info.pool_id, *tenants, *admins[2:]]
    code, off = run_json(capsys, *offboard, *endpoints(info))
    assert code == EXIT_OK and off["removed_role_assignment_ids"] == [done["role_assignment_id"]]
    code, report = run_json(capsys, *check)
    assert code == EXIT_NOT_READY
    assert [c["name"] for c in report["checks"] if c["status"] == "fail"] == ["ipam_pool_user_on_pool"]


def test_onboard_without_admin_rights_exit_3(emu: AzureEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    info = info_of(emu)  # the automation app itself acting as "admin": it may not assign roles
    code, _out, err = run(
        capsys, "offboard", "--app-id", info.app.client_id, "--pool-id", info.pool_id, *app_args(info)
    )
    assert code == EXIT_AUTH, err
    assert err.startswith("crossipam offboard: ")
    # JSON: an onboarding error carries the service's code and request id like any service error
    code, out, _err = run(
        capsys,
        "offboard",
        "--app-id",
        info.app.client_id,
        "--pool-id",
        info.pool_id,
        *app_args(info),
        "--output",
        "json",
    )
    error = json.loads(out)["error"]
    assert code == EXIT_AUTH and error["status"] == 403 and error["code"] and error["request_id"], error


def _subprocess_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _ENV}


def test_python_dash_m_crossipam_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crossipam", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_subprocess_env(),
    )
    assert done.returncode == 0, done.stderr
    assert "Done." in done.stdout


def test_emulator_command_serves_and_cli_talks_to_it() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossipam", "emulator", "--scenario", "onboarded"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_subprocess_env(),
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        env = {
            **_subprocess_env(),
            "AZURE_CLIENT_ID": info["app"]["client_id"],
            "AZURE_CLIENT_SECRET": info["app"]["client_secret"],
            "AZURE_TENANT_ID": info["managed_tenant_id"],
            "CROSSIPAM_MANAGEMENT_TENANT_ID": info["management_tenant_id"],
            "AZURE_AUTHORITY_HOST": info["authority"],
            "CROSSIPAM_ARM_ENDPOINT": info["arm_endpoint"],
            "CROSSIPAM_GRAPH_ENDPOINT": info["graph_endpoint"],
            "REQUESTS_CA_BUNDLE": info["ca_bundle"],
        }
        done = subprocess.run(
            [sys.executable, "-m", "crossipam", "check", "--pool-id", info["pool_id"], "-o", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["ok"] is True
        assert info["app"]["client_secret"] not in done.stdout + done.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_emulator_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["emulator", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: crossipam emulator [-h]") and "--scenario" in out
    assert "python -m crossipam.testing" not in out


def test_emulator_usage_errors_name_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["emulator", "--no-such-option"], ["--debug", "emulator", "--no-such-option"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == EXIT_USAGE
        err = capsys.readouterr().err
        assert "crossipam emulator: error: unrecognized arguments: --no-such-option" in err
        assert "python -m crossipam.testing" not in err
    with pytest.raises(SystemExit):
        main(["emulator", "--port", "x"])
    assert "crossipam emulator: error: argument --port" in capsys.readouterr().err


def test_python_dash_m_crossipam_testing_keeps_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    from crossipam.testing.__main__ import main as testing_main

    with pytest.raises(SystemExit) as exc:
        testing_main(["serve", "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m crossipam.testing serve [-h]")
    with pytest.raises(SystemExit):
        testing_main(["serve", "--no-such-option"])
    assert "python -m crossipam.testing serve: error: unrecognized arguments" in capsys.readouterr().err


def test_output_piped_into_a_reader_that_stops_early_is_quiet() -> None:
    """`crossipam demo | head -1`: no BrokenPipeError traceback, the shell's SIGPIPE exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossipam", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_subprocess_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # a reader that went away before the first write reached it
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
