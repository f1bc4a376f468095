"""The habits of ``az`` users: ``--query``, every ``--output`` format, ``-g/-n/--subscription``, ``--verbose`` and
``--only-show-errors``, no abbreviated options, Examples in every ``--help``, exit codes shared with ``az``; and
progress on a terminal (a pseudo-terminal here) and its absence from stdout with ``-o json``."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from crossipam.cli import EXIT_AUTH, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, build_parser, main
from crossipam.cli._examples import EXAMPLES, commands
from crossipam.cli._output import emit
from crossipam.testing.__main__ import build_parser as serve_parser
from crossipam.testing.pytest_plugin import SeededEmulator


@pytest.fixture
def env(azure_emulator_https: SeededEmulator, monkeypatch: pytest.MonkeyPatch) -> SeededEmulator:
    """The served offline Azure, and the environment ``crossipam emulator --print-env`` gives."""
    for name, value in azure_emulator_https.scenario.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    return azure_emulator_https


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_query_filters_the_json_result(env: SeededEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    info = env.scenario
    code, out, _ = run(
        capsys, "check", "--pool-id", info.pool_id, "--query", "checks[?status=='fail'].name", "-o", "json"
    )
    assert code == EXIT_OK and json.loads(out) == []
    code, out, _ = run(
        capsys, "pool", "usage", info.pool_id, "--query", "total_number_of_ip_addresses", "-o", "tsv"
    )
    assert (code, out) == (EXIT_OK, "65536\n")
    # a query before the command, and a table of its result
    code, out, _ = run(
        capsys, "--query", "checks[].{name: name, status: status}", "check", "--pool-id", info.pool_id
    )
    lines = out.splitlines()
    assert lines[0].split() == ["Name", "Status"] and any(line.split() == ["token_management_tenant", "pass"] for line in lines)  # fmt: skip


def test_a_query_that_is_not_jmespath_is_a_usage_error(
    env: SeededEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "pool", "usage", env.scenario.pool_id, "--query", "[?", "-o", "json")
    assert code == EXIT_USAGE and "is not valid JMESPath" in err
    assert json.loads(out)["error"]["exit_code"] == EXIT_USAGE


def test_every_output_format(env: SeededEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    pool = env.scenario.pool_id
    _, as_json, _ = run(capsys, "pool", "usage", pool, "-o", "json")
    data = json.loads(as_json)
    assert data["pool_id"] == pool and data["total_number_of_ip_addresses"] == 65536
    _, jsonc, _ = run(capsys, "pool", "usage", pool, "-o", "jsonc")
    assert json.loads(jsonc) == data  # not a terminal: plain JSON
    _, as_yaml, _ = run(capsys, "pool", "usage", pool, "-o", "yaml")
    assert yaml.safe_load(as_yaml) == data and as_yaml.startswith(f"pool_id: {pool}\n")
    _, as_tsv, _ = run(capsys, "pool", "usage", pool, "-o", "tsv")
    (line,) = as_tsv.splitlines()
    cells = line.split("\t")
    assert cells[0] == pool and cells[1] == "1" and "65536" in cells  # a list shows its length
    code, none, _ = run(capsys, "pool", "usage", pool, "-o", "none")
    assert (code, none) == (EXIT_OK, "")
    _, table, _ = run(capsys, "pool", "usage", pool)
    assert pool in table and "{" not in table


def test_vnet_by_resource_group_and_name(env: SeededEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    info = env.scenario
    by_name = ["-g", info.resource_group, "-n", "vnet-gn"]
    code, out, err = run(capsys, "deploy", *by_name, "--subscription", info.managed_subscription_id,
                         "--location", info.location, "--pool-id", info.pool_id, "--addresses", "64", "-o", "json")  # fmt: skip
    assert code == EXIT_OK, err
    assert json.loads(out)["vnet_id"] == info.vnet_id("vnet-gn")
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", info.managed_subscription_id)  # as az's default subscription
    code, out, _ = run(capsys, "show", *by_name, "--query", "name", "-o", "tsv")
    assert (code, out) == (EXIT_OK, "vnet-gn\n")
    assert run(capsys, "show", info.vnet_id("vnet-gn"), *by_name)[0] == EXIT_USAGE  # both
    assert run(capsys, "show", "-g", info.resource_group)[0] == EXIT_USAGE  # half a name
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID")
    code, _, err = run(capsys, "show", *by_name)
    assert code == EXIT_USAGE and "--subscription" in err and "AZURE_SUBSCRIPTION_ID" in err
    code, out, _ = run(capsys, "check", "--pool-id", info.pool_id, *by_name, "--subscription", info.managed_subscription_id,
                       "--query", "vnet_id", "-o", "tsv")  # fmt: skip
    assert (code, out) == (EXIT_OK, info.vnet_id("vnet-gn") + "\n")


def test_pool_by_resource_group_manager_and_name(env: SeededEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A pool named as ``az network manager ipam-pool`` names it: -g, --network-manager-name, -n, --subscription
    (or CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID); ``pool list`` names the network manager the same way."""
    info = env.scenario
    manager = info.network_manager_id.split("/")
    group, manager_name, pool_name = manager[4], manager[-1], info.pool_id.rsplit("/", 1)[-1]
    by_name = ["-g", group, "--network-manager-name", manager_name, "-n", pool_name]
    sub = ["--subscription", info.management_subscription_id]
    code, out, err = run(capsys, "pool", "usage", *by_name, *sub, "--query", "pool_id", "-o", "tsv")
    assert (code, out) == (EXIT_OK, info.pool_id + "\n"), err
    code, out, err = run(capsys, "pool", "reserve", "lab", *by_name, *sub, "--addresses", "16", "-o", "json")
    assert code == EXIT_OK, err
    code, out, _ = run(capsys, "pool", "reservations", *by_name, *sub, "--query", "[].name", "-o", "tsv")
    assert (code, out) == (EXIT_OK, "lab\n")
    monkeypatch.setenv("CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID", info.management_subscription_id)
    code, out, _ = run(capsys, "pool", "show", *by_name, "--query", "pool_id", "-o", "tsv")
    assert (code, out) == (EXIT_OK, info.pool_id + "\n")
    code, out, _ = run(
        capsys, "pool", "list", "-g", group, "--network-manager-name", manager_name, "-o", "json"
    )
    assert code == EXIT_OK and pool_name in out
    code, _, err = run(capsys, "pool", "unreserve", "lab", *by_name)  # IPAM Pool User may not delete: 403
    assert code == 5 and f"{info.pool_id}/staticCidrs/lab".lower() in err.lower(), err
    assert run(capsys, "pool", "show", info.pool_id, *by_name)[0] == EXIT_USAGE  # both
    code, _, err = run(capsys, "pool", "show", "-g", group, "-n", pool_name)
    assert code == EXIT_USAGE and "--network-manager-name" in err  # half a name
    assert (
        run(capsys, "pool", "list", "-g", group, "--network-manager-name", manager_name, "-n", "x")[0]
        == EXIT_USAGE
    )
    monkeypatch.delenv("CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID")
    code, _, err = run(capsys, "pool", "show", *by_name)
    assert code == EXIT_USAGE and "CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID" in err


def test_exit_codes_follow_az(env: SeededEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """az: 0 ok, 1 error, 2 usage, 3 resource not found. Authentication has its own code (5)."""
    info = env.scenario
    code, out, err = run(capsys, "show", info.vnet_id("vnet-nowhere"), "-o", "json")
    assert code == EXIT_NOT_FOUND == 3, err
    assert json.loads(out)["error"]["status"] == 404
    assert run(capsys, "show")[0] == EXIT_USAGE == 2
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    assert run(capsys, "pool", "usage", info.pool_id)[0] == EXIT_AUTH == 5


def test_options_are_never_abbreviated(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--pool", "/subscriptions/x")
    assert code == EXIT_USAGE and "--pool" in err
    assert run(capsys, "--out", "json", "demo")[0] == EXIT_USAGE


def test_verbose_and_only_show_errors(env: SeededEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # fmt: skip
    info = env.scenario
    code, _, err = run(capsys, "deploy", info.vnet_id("vnet-v"), "--location", info.location, "--pool-id",
                       info.pool_id, "--addresses", "32", "--verbose")  # fmt: skip
    assert code == EXIT_OK and "deploying" in err and "credentials:" in err
    rows = tmp_path / "vnets.csv"
    rows.write_text(f"vnet_id,location,pool_id,number_of_ip_addresses\n{info.vnet_id('vnet-q')},eastus,{info.pool_id},32\n")  # fmt: skip
    code, out, err = run(
        capsys, "deploy", "--from-file", str(rows), "--yes", "--progress", "plain", "--only-show-errors"
    )
    assert code == EXIT_OK and err == "" and "1 of 1 succeeded" in out
    code, _, err = run(capsys, "deploy", "--from-file", str(rows), "--yes", "--progress", "plain")
    assert code == EXIT_OK and "[1/1] vnet-q" in err  # the control: progress without --only-show-errors


def test_every_command_has_examples_in_its_help() -> None:
    for path, parser in commands(build_parser()):
        if path == "emulator":  # its help is the offline Azure's serve command's
            parser = dict(commands(serve_parser(serve_prog="crossipam emulator")))["serve"]
        assert path in EXAMPLES or path == "emulator", f"crossipam {path}: no examples"
        shown = parser.format_help()
        assert "Examples:" in shown, path
        assert f"crossipam {path}".strip() in shown.split("Examples:", 1)[1], path


def _spawn(argv: list[str], *, tty: bool) -> tuple[int, str, str]:
    """Run ``python -m crossipam`` with stdout a pipe and stderr a pseudo-terminal (``tty``) or a pipe."""
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    if not tty:
        done = subprocess.run([sys.executable, "-m", "crossipam", *argv], capture_output=True, text=True, timeout=300, env=env, check=False)  # fmt: skip
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossipam", *argv], stdout=subprocess.PIPE, stderr=slave, env=env
    )
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    os.close(master)
    return proc.wait(timeout=60), out, seen.decode(errors="replace")


def test_progress_on_a_terminal_and_not_on_stdout(env: SeededEmulator) -> None:
    info = env.scenario
    env.settings.lro_polls, env.settings.lro_retry_after = 2, 1  # an operation that takes two seconds
    deploy = [
        "deploy",
        "--location",
        info.location,
        "--pool-id",
        info.pool_id,
        "--addresses",
        "32",
        "-o",
        "json",
    ]
    code, out, err = _spawn([*deploy, info.vnet_id("vnet-tty")], tty=True)
    assert code == EXIT_OK, err
    assert json.loads(out)["name"] == "vnet-tty"  # stdout: the JSON document only
    assert "deploying vnet-tty" in err and "\x1b[" in err  # a rich spinner on the terminal
    code, out, err = _spawn([*deploy, info.vnet_id("vnet-pipe"), "--progress", "plain"], tty=False)
    assert code == EXIT_OK and json.loads(out)["name"] == "vnet-pipe"
    assert err.startswith("deploying vnet-pipe …\n") and "\x1b[" not in err  # plain lines
    env.settings.lro_polls, env.settings.lro_retry_after = 0, 0  # done at once, no Retry-After to wait for
    code, out, err = _spawn([*deploy, info.vnet_id("vnet-quick")], tty=False)
    assert code == EXIT_OK and json.loads(out)["name"] == "vnet-quick"
    assert err == ""  # auto, not a terminal, over in less than a second: nothing


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_jsonc_is_coloured_on_a_terminal_only() -> None:
    args = build_parser().parse_args(["pool", "usage", "P", "-o", "jsonc"])
    terminal, pipe = _Terminal(), io.StringIO()
    for out in (terminal, pipe):
        emit(args, out, {"ok": True, "prefixes": ["10.0.0.0/24"]}, lambda o: None)
    assert "\x1b[" in terminal.getvalue() and "10.0.0.0/24" in terminal.getvalue()
    assert json.loads(pipe.getvalue()) == {"ok": True, "prefixes": ["10.0.0.0/24"]}


def test_a_replication_wait_is_shown_while_onboarding(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """Onboarding waits for Entra ID's replication: stderr (not a terminal) says so in plain lines once the wait
    outlasts a second; stdout keeps the JSON document only."""
    emu = SeededEmulator("fresh")
    emu.settings.replication_delay = 2.0  # a new service principal is unknown to ARM for two seconds
    with emu.serve() as server:
        info = emu.scenario
        info.ca_bundle = server.ca_bundle
        for name, value in info.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CROSSIPAM_MANAGED_ADMIN_CLIENT_SECRET", info.admins["managed"].client_secret)
        monkeypatch.setenv(
            "CROSSIPAM_MANAGEMENT_ADMIN_CLIENT_SECRET", info.admins["management"].client_secret
        )
        code = main(["onboard", "--app-id", info.app.client_id, "--pool-id", info.pool_id, "-o", "json",
                     "--managed-admin-client-id", info.admins["managed"].client_id,
                     "--management-admin-client-id", info.admins["management"].client_id])  # fmt: skip
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert json.loads(captured.out)["changed"] is True
    assert captured.err.startswith(f"onboarding app {info.app.client_id} …\n")
    assert "waiting for directory replication" in captured.err
