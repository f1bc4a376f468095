"""`crossipam demo`: the tutorial walk-through against the offline Azure (from the ``fresh`` scenario: onboard,
deploy, remove), exit code 0."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from crossipam.cli import build_parser, main, run_demo
from crossipam.testing import AzureEmulator

ONBOARDING_STEPS = ("make_app_multitenant", "create_service_principal", "assign_pool_role")


def onboarding_section(out: str) -> list[str]:
    """The lines of the demo's onboarding section (its steps: name, status, detail)."""
    section = out.split("Onboard the app into tenant A", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in section.splitlines()[1:]]


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "not onboarded into A yet" in out
    steps = onboarding_section(out)
    assert [line.split(":", 1)[0] for line in steps] == list(ONBOARDING_STEPS)
    assert all(line.split(": ", 1)[1].startswith("done — ") for line in steps), steps
    assert "AzureADMultipleOrgs" in steps[0] and "'IPAM Pool User'" in steps[2]
    assert out.index("Onboard the app") < out.index("Pool usage before") < out.index("Deploy vnet-spoke-demo")
    assert "Deploy vnet-spoke-demo in tenant B with 100 addresses" in out
    assert "VNet vnet-spoke-demo (eastus): 10.0.0.0/26, 10.0.0.64/27, 10.0.0.96/30" in out
    assert "allocated 100" in out and "result: unchanged" in out
    usages = re.findall(r"allocated ([\d,]+) ·", out)
    assert usages == ["0", "100", "0"]
    assert "subnet workloads: 10.0.0.0/26 (static)" in out  # removal kept the subnet's prefix
    assert "token requests by the app: 1 for tenant B, 1 for tenant A" in out
    assert "ARM requests by the app: 13 (2 PUTs), all at api-version 2026-03-01" in out
    assert "onboarding, by the admins: 3 token requests" in out


@pytest.mark.parametrize("https", [False, True], ids=["in-process", "https"])
def test_demo_onboards_the_app_into_the_offline_azure(https: bool) -> None:
    emu = AzureEmulator()
    out = io.StringIO()
    assert run_demo(https=https, out=out, emulator=emu) == 0
    info = emu.scenario
    assert info is not None and info.scenario == "fresh"
    assert emu.state.applications[info.app.client_id].is_multitenant
    sp = emu.state.service_principals[(info.management_tenant_id, info.app.client_id)]
    role = emu.state.role_by_name("IPAM Pool User")
    assert role is not None
    assignments = [a for a in emu.state.role_assignments.values() if a.principal_id == sp.object_id]
    assert [(a.scope, a.role_id, a.principal_type) for a in assignments] == [
        (info.pool_id, role.role_id, "ServicePrincipal")
    ]
    text = out.getvalue()
    assert f"created service principal {sp.object_id}" in text
    assert "Done." in text
    for secret in (info.app.client_secret, *(a.client_secret for a in info.admins.values())):
        assert secret not in text


def test_demo_over_https(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--https", "--addresses", "300"]) == 0
    out = capsys.readouterr().out
    assert "(HTTPS on loopback)" in out and "allocated 300" in out
    assert [line.split(":", 1)[0] for line in onboarding_section(out)] == list(ONBOARDING_STEPS)


def test_demo_rejects_bad_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--addresses", "0"]) == 2
    assert "--addresses" in capsys.readouterr().err


def test_demo_rejects_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--output", "json", "demo"]) == 2
    assert "--output json is not supported" in capsys.readouterr().err


def test_parser_requires_a_command() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_console_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from crossipam.cli import main; sys.exit(main(['demo']))"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Done." in done.stdout
