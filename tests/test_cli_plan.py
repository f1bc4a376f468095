"""``crossipam plan`` (exit codes like ``terraform plan -detailed-exitcode``), ``deploy --from-file`` showing and
applying its plan (``--yes``), and the pool inventory and static CIDR commands — in-process against the offline
Azure over HTTPS."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crossipam.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, main
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.planning import CliApp, PoolContributor

EXIT_CHANGES = 2


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def vnets_yaml(emu: AzureEmulator, path: Path, *rows: tuple[str, int]) -> str:
    info = emu.scenario
    assert info is not None
    lines = ["vnets:"]
    for name, count in rows:
        lines += [
            f"  - vnet_id: {info.vnet_id(name)}",
            "    location: eastus",
            f"    pool_id: {info.pool_id}",
        ]
        lines += [f"    number_of_ip_addresses: {count}", "    subnets: {app: 16}"]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plan_exit_codes_and_deploy_applies_the_plan(
    azure_emulator_https: AzureEmulator,
    cli_app: CliApp,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu = azure_emulator_https
    app = cli_app(emu)
    path = vnets_yaml(emu, tmp_path / "vnets.yaml", ("plan-a", 64), ("plan-b", 128))

    code, out, _ = run(capsys, "plan", "--from-file", path, *app)
    assert code == EXIT_CHANGES
    assert out.splitlines()[0].split() == ["VNET", "ACTION", "CURRENT", "TARGET", "SUBNETS", "DETAIL"]
    assert out.splitlines()[1].split()[:5] == ["plan-a", "create", "-", "64", "+app(16)"]
    assert out.splitlines()[-1] == "Plan: 2 to create."
    assert not emu.journal.writes()

    code, out, _ = run(capsys, "plan", "--from-file", path, *app, "-o", "json")
    shown: dict[str, Any] = json.loads(out)
    assert code == EXIT_CHANGES and shown["has_changes"] and shown["summary"]["create"] == 2
    assert [i["action"] for i in shown["items"]] == ["create", "create"]

    # deploy refuses to apply unconfirmed when stdin is no terminal: nothing is read or written
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    reads = len(emu.journal.entries(service="arm"))
    code, _, err = run(capsys, "deploy", "--from-file", path, *app)
    assert code == EXIT_USAGE and "pass --yes" in err and "crossipam plan --from-file" in err
    assert len(emu.journal.entries(service="arm")) == reads and not emu.journal.writes()

    # on a terminal it shows the plan and asks; anything but "yes" cancels
    monkeypatch.setattr("sys.stdin", Tty("no\n"))
    code, out, err = run(capsys, "deploy", "--from-file", path, "--progress", "none", *app)
    assert code == EXIT_USAGE and "Apply this plan?" in out and "deploy cancelled" in err
    assert not emu.journal.writes()
    monkeypatch.setattr("sys.stdin", Tty("yes\n"))
    code, out, _ = run(capsys, "deploy", "--from-file", path, "--progress", "none", *app)
    assert code == EXIT_OK and out.startswith("VNET") and "Plan: 2 to create.\nApply this plan?" in out
    assert out.count("Plan: 2 to create.") == 1 and "2 of 2 succeeded" in out

    code, out, _ = run(capsys, "plan", "--from-file", path, *app)
    assert code == EXIT_OK and out.splitlines()[-1] == "Plan: 2 unchanged."

    grown = vnets_yaml(emu, tmp_path / "grown.yaml", ("plan-a", 128), ("plan-b", 64))
    code, out, _ = run(capsys, "plan", "--from-file", grown, *app)
    assert code == EXIT_ERROR  # plan-b would shrink: refused
    assert out.splitlines()[1].split()[:4] == ["plan-a", "grow", "64", "128"]
    assert out.splitlines()[2].split()[:4] == ["plan-b", "refused", "128", "128"]
    assert "shrink: " in out and out.splitlines()[-1] == "Plan: 1 to grow, 1 refused."

    code, out, _ = run(
        capsys, "deploy", "--from-file", grown, "--yes", "--progress", "none", *app, "-o", "json"
    )
    result = json.loads(out)
    assert code == EXIT_ERROR and result["plan"]["grow"] == 1 and result["plan"]["refused"] == 1
    assert [i["action"] for i in result["items"]] == ["updated", None]
    assert (
        result["items"][1]["error"]["type"] == "AllocationDecreaseError"
        and result["items"][1]["replanned"] is None
    )


def test_plan_errors_exit_1_not_2(
    azure_emulator_https: AzureEmulator, cli_app: CliApp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("vnet_id,location,pool_id,number_of_ip_addresses\nnot-an-id,eastus,x,lots\n")
    code, _, err = run(capsys, "plan", "--from-file", str(bad), *cli_app(azure_emulator_https))
    assert code == EXIT_ERROR and "line 2" in err


def test_pool_commands(
    azure_emulator_https: AzureEmulator,
    cli_app: CliApp,
    pool_contributor: PoolContributor,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = azure_emulator_https
    info = emu.scenario
    assert info is not None
    app = cli_app(emu)
    pool_contributor(emu, info.pool_id)

    code, out, _ = run(capsys, "pool", "show", info.pool_id, *app)
    assert code == EXIT_OK and "family            IPv4" in out and "65,536 available of 65,536" in out
    code, out, _ = run(capsys, "pool", "list", info.network_manager_id, *app, "-o", "json")
    assert code == EXIT_OK and [p["name"] for p in json.loads(out)] == ["pool-eastus", "pool-eastus-v6"]

    code, out, _ = run(capsys, "pool", "reserve", info.pool_id, "hq", "--prefix", "10.0.0.0/24", "--description", "HQ", *app)  # fmt: skip
    assert code == EXIT_OK and out.splitlines()[1].split() == ["hq", "256", "10.0.0.0/24", "HQ"]
    code, out, _ = run(
        capsys, "pool", "reserve", info.pool_id, "lab", "--addresses", "64", *app, "-o", "json"
    )
    assert code == EXIT_OK and json.loads(out)["number_of_ip_addresses"] == 64
    code, _, err = run(capsys, "pool", "reserve", info.pool_id, "neither", *app)
    assert code == EXIT_USAGE and "--addresses N or --prefix CIDR" in err

    code, out, _ = run(capsys, "pool", "reservations", info.pool_id, *app, "-o", "json")
    assert code == EXIT_OK and sorted(c["name"] for c in json.loads(out)) == ["hq", "lab"]
    code, out, _ = run(capsys, "pool", "unreserve", info.pool_id, "hq", *app, "-o", "json")
    released = json.loads(out)
    assert code == EXIT_OK and released["released"] == "hq"
    assert released["usage"]["number_of_reserved_ip_addresses"] == 64
