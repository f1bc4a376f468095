"""`crossipam demo`: the tutorial walk-through against the offline Azure, exit code 0."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from crossipam.cli import build_parser, main


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Deploy vnet-spoke-demo in tenant B with 100 addresses" in out
    assert "VNet vnet-spoke-demo (eastus): 10.0.0.0/26, 10.0.0.64/27, 10.0.0.96/30" in out
    assert "allocated 100" in out and "result: unchanged" in out
    usages = re.findall(r"allocated ([\d,]+) ·", out)
    assert usages == ["0", "100", "0"]
    assert "subnet workloads: 10.0.0.0/26 (static)" in out  # removal kept the subnet's prefix
    assert "token requests: 1 for tenant B, 1 for tenant A" in out
    assert "api-version 2026-03-01" in out


def test_demo_over_https(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--https", "--addresses", "300"]) == 0
    out = capsys.readouterr().out
    assert "(HTTPS on loopback)" in out and "allocated 300" in out


def test_demo_rejects_bad_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--addresses", "0"]) == 2
    assert "--addresses" in capsys.readouterr().err


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
