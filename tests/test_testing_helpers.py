"""What a user of the offline Azure is given to point tools at it: ``ScenarioInfo.cloud``, ``client_kwargs()``,
``environment()`` (``crossipam emulator --print-env``), fixtures typed for ``mypy --strict``, time that passes for
everyone, and a hint naming the ``testing`` extra when it is missing."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crossipam import CrossTenantIpamClient
from crossipam.errors import AuthenticationError
from crossipam.testing import ScenarioInfo
from crossipam.testing.__main__ import env_text
from crossipam.testing.pytest_plugin import SeededEmulator, TimeTravel

ROOT = Path(__file__).resolve().parent.parent


def test_client_kwargs_give_a_working_client(azure_emulator: SeededEmulator) -> None:
    info = azure_emulator.scenario
    assert (
        info.cloud.resource_manager == info.arm_endpoint
        and info.cloud.resource_manager_scope == info.arm_scope
    )
    with CrossTenantIpamClient.from_client_secret(
        **info.client_kwargs(transport=azure_emulator.transport())
    ) as c:
        assert c.cloud.resource_manager == info.arm_endpoint  # the library took the offline cloud as it is
        assert c.get_pool_usage(info.pool_id).total_number_of_ip_addresses > 0
    (token, *_) = azure_emulator.journal.token_requests(info.management_tenant_id)
    assert token.app_id == info.app.client_id


def test_environment_points_the_cli_and_from_environment_at_a_served_emulator(
    azure_emulator_https: SeededEmulator,
) -> None:
    info = azure_emulator_https.scenario
    env = info.environment()
    assert set(env) == {
        "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST",
        "CROSSIPAM_MANAGEMENT_TENANT_ID", "CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID", "CROSSIPAM_ARM_ENDPOINT", "CROSSIPAM_GRAPH_ENDPOINT", "REQUESTS_CA_BUNDLE",
    }  # fmt: skip
    # the shell form, evaluated by a real shell, gives the same variables to a real `crossipam` process
    script = (
        env_text(env, "shell")
        + f"exec {shlex.quote(sys.executable)} -m crossipam -o json pool usage {info.pool_id}"
    )
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=120, check=False,
                          env={k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CROSSIPAM_"))})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f'"pool_id": "{info.pool_id}"' in done.stdout
    dotenv = dict(line.split("=", 1) for line in env_text(env, "dotenv").splitlines())
    assert dotenv["AZURE_CLIENT_SECRET"].strip('"') == info.app.client_secret
    assert dotenv["CROSSIPAM_ARM_ENDPOINT"] == info.arm_endpoint


def test_crossipam_emulator_print_env_serves_and_prints_export_lines() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossipam", "emulator", "--print-env"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(9)]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    names = [line.split("=", 1)[0] for line in lines]
    assert names[0] == "export AZURE_CLIENT_ID" and "export REQUESTS_CA_BUNDLE" in names, lines


def test_time_travel_lets_tokens_expire_for_everyone(
    azure_emulator: SeededEmulator, azure_time: TimeTravel
) -> None:
    info = azure_emulator.scenario
    with CrossTenantIpamClient.from_client_secret(
        **info.client_kwargs(transport=azure_emulator.transport())
    ) as c:
        c.get_pool_usage(info.pool_id)
        before = len(azure_emulator.journal.token_requests(info.management_tenant_id))
        c.get_pool_usage(info.pool_id)
        assert len(azure_emulator.journal.token_requests(info.management_tenant_id)) == before  # cached
        azure_time.advance(2 * azure_emulator.settings.token_lifetime)
        c.get_pool_usage(info.pool_id)  # the cached token expired for MSAL too: renewed, and accepted
    assert len(azure_emulator.journal.token_requests(info.management_tenant_id)) == before + 1


def test_advancing_only_the_offline_azure_is_clock_skew(azure_emulator: SeededEmulator) -> None:
    """What docs/testing-your-automation.md says: ``emulator.clock.advance`` alone leaves the clients' caches
    believing their tokens are fresh, so the offline Azure refuses them as expired."""
    info = azure_emulator.scenario
    with CrossTenantIpamClient.from_client_secret(
        **info.client_kwargs(transport=azure_emulator.transport())
    ) as c:
        c.get_pool_usage(info.pool_id)
        azure_emulator.clock.advance(2 * azure_emulator.settings.token_lifetime)
        with pytest.raises(AuthenticationError):
            c.get_pool_usage(info.pool_id)


def test_time_only_moves_forward(azure_time: TimeTravel) -> None:
    with pytest.raises(ValueError):
        azure_time.advance(-1)


def test_fixtures_type_the_scenario_for_mypy_strict(tmp_path: Path) -> None:
    body = """
        from crossipam.testing import AzureEmulator
        from crossipam.testing.pytest_plugin import SeededEmulator


        def test_seeded(azure_emulator: SeededEmulator) -> None:
            assert azure_emulator.scenario.pool_id


        def test_plain(azure_emulator: AzureEmulator) -> None:
            assert azure_emulator.scenario.pool_id
    """
    (tmp_path / "test_typed.py").write_text(textwrap.dedent(body), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "test_typed.py"],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )  # fmt: skip
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    # only the plain AzureEmulator's scenario is optional: the last line
    assert [line.split(":")[1] for line in errors] == ["11"], done.stdout


def test_missing_testing_extra_names_the_extra() -> None:
    code = "import sys; sys.modules['trustme'] = None\nfrom crossipam.cli import main\nsys.exit(main(['emulator']))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    assert "`testing` extra (trustme is not installed)" in done.stderr
    assert 'pip install -e ".[testing]"' in done.stderr and "Traceback" not in done.stderr


def test_scenario_info_is_exported() -> None:
    assert ScenarioInfo.client_kwargs.__doc__ and ScenarioInfo.environment.__doc__


def test_scenario_cloud_is_a_cloud_argument_for_mypy_strict(tmp_path: Path) -> None:
    """``cloud=info.cloud`` type-checks (``ScenarioInfo.cloud`` is a ``CloudLike``), as does ``CloudEndpoints``."""
    body = """
        from crossipam import CrossTenantIpamClient
        from crossipam.models import CloudEndpoints
        from crossipam.testing.pytest_plugin import SeededEmulator


        def test_cloud(azure_emulator: SeededEmulator) -> None:
            info = azure_emulator.scenario
            for cloud in (info.cloud, CloudEndpoints.for_cloud(info.cloud)):
                CrossTenantIpamClient.from_client_secret(
                    info.app.client_id, info.app.client_secret, managed_tenant_id=info.managed_tenant_id,
                    management_tenant_id=info.management_tenant_id, cloud=cloud,
                ).close()
            CrossTenantIpamClient.from_client_secret("a", "s", managed_tenant_id="b", management_tenant_id="c",
                                                     cloud=42)
    """
    (tmp_path / "test_cloud_typed.py").write_text(textwrap.dedent(body), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "test_cloud_typed.py"],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )  # fmt: skip
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["15"], done.stdout  # only cloud=42
