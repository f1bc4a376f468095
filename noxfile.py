"""Developer sessions: ``nox -s tests lint typecheck docs demo`` (``bench``, ``conformance`` and ``security`` are
opt-in)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs", "demo"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the offline Azure."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over crossipam/ and tests/."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "crossipam", "tests")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: ``crossipam demo`` against the embedded offline Azure."""
    session.install("-e", ".[testing]")
    session.run("crossipam", "demo")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks (opt-in), small: at ARM's limits with the offline Azure in its own process (az CLI, raw SDK,
    crossipam threads and asyncio), then crossipam against the tutorial's flow."""
    session.install("-e", ".[dev]")
    session.run("python", "benchmarks/bench_arm.py", "--vnets", "40", "--concurrency", "8", *session.posargs)
    session.run("python", "benchmarks/bench_deploy.py", "--vnets", "20")


@nox.session(default=False)
def conformance(session: nox.Session) -> None:
    """The Azure CLI runs the public tutorial against ``crossipam emulator`` (opt-in; needs PyPI).

    ``azure-cli`` is installed from PyPI into a virtual environment of its own (kept beside the session's, so
    that its pins cannot change what crossipam is tested with, and reused on later runs); its ``az`` goes on
    ``PATH`` after the session's own ``bin``, and ``CROSSIPAM_REQUIRE_AZ=1`` makes a missing ``az`` a failure
    rather than a skip.
    """
    import os
    from pathlib import Path

    session.install("-e", ".[dev]")
    azure_cli = Path(session.create_tmp()).resolve() / "azure-cli"  # absolute: tools resolve az on PATH
    bin_dir = azure_cli / ("Scripts" if os.name == "nt" else "bin")
    if not (bin_dir / ("az.bat" if os.name == "nt" else "az")).exists():
        session.run("python", "-m", "venv", "--clear", str(azure_cli))
        session.run(str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "azure-cli", external=True)
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "-rs",
        "tests/test_conformance_azure_cli.py",
        *session.posargs,
        env={
            "PATH": os.pathsep.join([session.bin, str(bin_dir), os.environ.get("PATH", "")]),
            "CROSSIPAM_REQUIRE_AZ": "1",
        },
    )


def _vulnerability_service_reachable(url: str = "https://pypi.org/pypi/requests/2.31.0/json") -> bool:
    """pip-audit asks PyPI's JSON API about each installed *release*; offline, or behind a mirror that serves
    only project pages (``/pypi/<name>/json``, not ``/pypi/<name>/<version>/json``), it cannot — and would then
    report "no known vulnerabilities" having audited nothing. Probe a release that certainly exists."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a fixed https URL
            return bool(response.status == 200)
    except Exception:
        return False


@nox.session(default=False)
def security(session: nox.Session) -> None:
    """bandit over crossipam/ (config: pyproject [tool.bandit]) and a dependency audit with pip-audit.

    The audit needs PyPI's vulnerability data: without network access it is skipped with a message (bandit still
    runs); with it, any known vulnerability fails the session.
    """
    session.install("-e", ".", "bandit[toml]", "pip-audit")
    session.run("bandit", "-c", "pyproject.toml", "-r", "crossipam", "-q")
    if not _vulnerability_service_reachable():
        session.warn(
            "pip-audit skipped: PyPI's release data is not reachable from here (offline, or a mirror without it)"
        )
        return
    # --local: audit what this session's environment holds (crossipam's runtime dependencies); --skip-editable:
    # crossipam itself is not on PyPI; --strict: a package that could not be audited fails the session.
    session.run("pip-audit", "--local", "--skip-editable", "--strict", "--progress-spinner", "off")
