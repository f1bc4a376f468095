"""Developer sessions: ``nox -s tests lint typecheck docs demo`` (``bench`` is opt-in)."""

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
    """Benchmarks (opt-in): crossipam against the tutorial's flow on the offline Azure."""
    session.install("-e", ".[dev]")
    session.run("python", "benchmarks/bench_deploy.py", "--vnets", "20", *session.posargs)


def _vulnerability_service_reachable(url: str = "https://pypi.org/pypi/pip/json") -> bool:
    """pip-audit asks PyPI's JSON API about each package; offline it cannot."""
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
        session.warn("pip-audit skipped: PyPI's vulnerability service is not reachable from here (offline)")
        return
    # --local: audit what this session's environment holds (crossipam and its runtime dependencies)
    session.run("pip-audit", "--local", "--progress-spinner", "off")
