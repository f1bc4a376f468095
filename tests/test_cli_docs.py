"""The documentation's runnable example (docs/testing-your-automation.md) runs under pytest with the plugin's
fixtures, the quick start shows what ``crossipam demo`` prints, and the docs pages of the CLI name every command and
exit code."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from crossipam.cli import EXIT_AUTH, EXIT_ERROR, EXIT_NOT_READY, EXIT_OK, EXIT_USAGE, build_parser, run_demo

DOCS = Path(__file__).resolve().parent.parent / "docs"


def example_block(page: str) -> str:
    doc = (DOCS / page).read_text(encoding="utf-8")
    return doc.split("<!-- runnable-example -->", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]


def test_testing_your_automation_example_runs(tmp_path: Path) -> None:
    test_file = tmp_path / "test_spokes.py"
    test_file.write_text(example_block("testing-your-automation.md"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_quickstart_shows_what_the_demo_prints() -> None:
    page = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    shown = page.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    out = io.StringIO()
    assert run_demo(out=out) == 0
    printed = out.getvalue().splitlines()
    assert len(shown) == 4
    for line in shown:  # the docs elide ids with "…"
        assert any(p.startswith(line.split("…", 1)[0]) for p in printed), line
    for step in ("make_app_multitenant", "create_service_principal", "assign_pool_role"):
        assert f"`{step}`" in page


def test_cli_page_documents_every_command_and_exit_code() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"crossipam {name}" in page, name
    assert "crossipam pool usage" in page and "crossipam pool allocations" in page
    for code in (EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_AUTH, EXIT_NOT_READY):
        assert f"\n| {code} |" in page
