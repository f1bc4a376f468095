"""Every example of the documentation runs, as written, against the offline Azure: the Python and shell blocks of
every page of ``docs/`` and of the README, each page with a declared setup (the names its text says the examples
assume), so that the docs cannot drift from the code.

- Python blocks of a page run in order in one namespace, after the page's setup. A block that defines ``test_``
  functions is a test file: it runs under pytest with the plugin's fixtures.
- Shell blocks: every command runs in ``bash`` with the environment ``crossipam emulator --print-env`` gives (a
  served offline Azure), plus the page's own variables (``$POOL``); it must exit 0. Commands that are not run are
  declared in ``NOT_RUN`` with the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from azure.identity import ClientSecretCredential

from crossipam import CrossTenantIpamClient
from crossipam.testing import ScenarioInfo
from crossipam.testing.pytest_plugin import SeededEmulator

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^(?P<indent> *)```(?P<lang>python|bash|sh)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)

NOT_RUN: dict[str, str] = {
    "crossipam emulator": "serves until interrupted (tests/test_testing_helpers.py runs it with --print-env)",
    "az ": "the Azure CLI against the offline Azure: `nox -s conformance` runs that walk-through with az installed",
    "ARM=$(": "reads a served emulator's endpoints for the Azure CLI walk-through (`nox -s conformance`)",
    "export ": "sets variables for the commands that follow it",
    "pip install": "installs crossipam: CI installs it from the checkout before the tests run",
    "python -m pytest": "runs the whole test suite, of which this test is a part",
    "nox -s": "runs the CI's sessions (tests, benchmarks) — this test is one of them",
    "python benchmarks/": "a benchmark takes minutes (`nox -s bench` runs it)",
    "python -m crossipam.testing serve": "serves until interrupted (tests/test_emulator_server.py runs it)",
}
"""Commands of shell blocks that this test does not run, by how they begin, and why."""


@dataclass(frozen=True)
class Page:
    """What a page's examples assume.

    ``scenario``: the offline Azure they run against; ``setup``: Python run before the page's first block (beyond
    the names every page gets, see ``namespace``); ``shell_env``: variables of its shell blocks (from the scenario
    attributes); ``prints``: what its Python blocks must print (so that an example that silently does nothing
    fails).
    """

    scenario: str = "onboarded"
    setup: str = ""
    shell_env: dict[str, Callable[[ScenarioInfo], str]] = field(default_factory=dict)
    prints: tuple[str, ...] = ()
    not_run: dict[str, str] = field(default_factory=dict)
    each_alone: bool = False
    """Each Python block starts from a fresh offline Azure (the page's examples do not follow on each other)."""
    files: dict[str, Callable[[ScenarioInfo], str]] = field(default_factory=dict)
    """Files the page's shell blocks read, by name (written in their working directory)."""
    """Python blocks not run, by a line they contain, and why (a fragment that continues the reader's code)."""


DEPLOYED = """
client.begin_deploy_virtual_network(vnet_id, location="eastus", pool_id=pool_id, number_of_ip_addresses=100).result()
"""
PAGES: dict[str, Page] = {
    "README.md": Page(),
    "docs/api.md": Page(),
    "docs/architecture.md": Page(),
    "docs/bulk-and-async.md": Page(prints=("10 deployed;", "too-big", "['created', 'created'")),
    "docs/cli.md": Page(shell_env={"POOL": lambda info: info.pool_id}),
    "docs/concepts.md": Page(),
    "docs/deployment.md": Page(),
    "docs/errors.md": Page(
        scenario="fresh",  # the app is not onboarded: the first example's deploy fails
        setup="wrong_admin_a = ClientSecretCredential(tenant_a, app_id, secret, **admin_kwargs)",
        prints=("AADSTS700016", "('make_app_multitenant: done"),
    ),
    "docs/index.md": Page(),
    "docs/offline-azure.md": Page(
        not_run={
            "requests.put(": "a fragment of a raw HTTP request: credential, vnet_id, body and aux are the reader's",
        }
    ),
    "docs/onboarding.md": Page(
        scenario="fresh", prints=("create_service_principal done", "deployed: vnet-spoke-1", "offboarded:")
    ),
    "docs/performance.md": Page(),
    "docs/planning.md": Page(
        each_alone=True,
        files={
            "vnets.yaml": lambda info: (
                f"vnets:\n  - vnet_id: {info.vnet_id('vnet-plan')}\n    location: eastus\n"
                f"    pool_id: {info.pool_id}\n    number_of_ip_addresses: 256\n"
            )
        },
    ),
    "docs/quickstart.md": Page(prints=("[IPv4Network('10.0.0.0/24')]",)),
    "docs/readiness.md": Page(
        shell_env={"POOL": lambda info: info.pool_id, "VNET": lambda info: info.vnet_id("vnet-docs")},
        prints=("pass token_management_tenant",),
    ),
    "docs/reliability.md": Page(),
    "docs/subnets.md": Page(),
    "docs/removal.md": Page(setup=DEPLOYED, prints=("[IPv4Network('10.0.0.0/26')",)),
    "docs/testing-your-automation.md": Page(),
}


def pages() -> list[str]:
    return ["README.md", *(f"docs/{p.name}" for p in sorted((ROOT / "docs").glob("*.md")))]


def blocks(page: str, lang: tuple[str, ...]) -> list[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    return [textwrap.dedent(m["body"]) for m in BLOCK.finditer(text) if m["lang"] in lang]


def test_every_page_declares_its_setup() -> None:
    """A new page must say what its examples assume (an empty ``Page()`` when they assume nothing)."""
    assert sorted(PAGES) == sorted(pages())
    assert sum(len(blocks(p, ("python",))) for p in PAGES) >= 18
    assert sum(len(blocks(p, ("bash", "sh"))) for p in PAGES) >= 9


@contextlib.contextmanager
def serving(page: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeededEmulator]:
    """The page's scenario served over HTTPS, and this process's environment pointing at it (as ``crossipam
    emulator --print-env`` says), so that ``from_environment()`` and the CLI find it."""
    emu = SeededEmulator(PAGES[page].scenario)
    with emu.serve() as server:
        emu.scenario.ca_bundle = server.ca_bundle
        for name, value in emu.scenario.environment().items():
            monkeypatch.setenv(name, value)
        yield emu


@pytest.fixture
def served(page: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeededEmulator]:
    with serving(page, monkeypatch) as emu:
        yield emu


def namespace(emu: SeededEmulator) -> dict[str, Any]:
    """The names every page's examples may use: the scenario (``info``), its ids under the names the pages use,
    a client of the automation app, the tenants' admins' credentials, transports."""
    info = emu.scenario
    admin_kwargs = {"authority": info.authority, "disable_instance_discovery": True}
    admin_kwargs["connection_verify"] = info.ca_bundle

    def admin(which: str) -> ClientSecretCredential:
        creds = info.admins[which]
        return ClientSecretCredential(creds.tenant_id, creds.client_id, creds.client_secret, **admin_kwargs)

    return {
        "__name__": "docs_example",
        "ClientSecretCredential": ClientSecretCredential,
        "emulator": emu,
        "info": info,
        "cloud": info.cloud,
        "transport": emu.transport(),
        "async_transport": emu.async_transport(),
        "app_id": info.app.client_id,
        "secret": info.app.client_secret,
        "tenant_a": info.management_tenant_id,
        "tenant_b": info.managed_tenant_id,
        "pool_id": info.pool_id,
        "ipv6_pool_id": info.ipv6_pool_id,
        "vnet_id": info.vnet_id("vnet-docs"),
        "client": CrossTenantIpamClient.from_client_secret(**info.client_kwargs()),
        "admin_a": admin("management"),
        "admin_b": admin("managed"),
        "admin_kwargs": admin_kwargs,
    }


def _is_test_file(block: str) -> bool:
    return re.search(r"^def test_", block, re.M) is not None


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, ("python",))])
def test_python_examples_run(
    page: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tests = []
    with contextlib.ExitStack() as stack:
        names: dict[str, Any] = {}
        for index, block in enumerate(blocks(page, ("python",))):
            if any(marker in block for marker in PAGES[page].not_run):
                continue
            if _is_test_file(block):
                tests.append(block)
                continue
            if not names or PAGES[page].each_alone:  # a page whose examples each start from the scenario
                if names:
                    names["client"].close()
                names = namespace(stack.enter_context(serving(page, monkeypatch)))
                exec(compile(PAGES[page].setup, f"{page}[setup]", "exec"), names)
            exec(compile(block, f"{page}[{index}]", "exec"), names)
        if names:
            names["client"].close()
    printed = capsys.readouterr().out
    for expected in PAGES[page].prints:
        assert expected in printed, f"{page}: {expected!r} not printed:\n{printed}"
    for index, block in enumerate(tests):
        test_file = tmp_path / f"test_docs_{index}.py"
        test_file.write_text(block, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
            capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, f"{page}: {done.stdout}{done.stderr}"
        assert " passed" in done.stdout and " failed" not in done.stdout


def shell_commands(page: str) -> Iterator[str]:
    """The commands of a page's shell blocks: one a line (``&&`` chains split), comments dropped."""
    for block in blocks(page, ("bash", "sh")):
        for line in block.splitlines():
            for command in line.split(" && "):
                if command.strip() and not command.strip().startswith("#"):
                    yield command.strip()


def test_every_command_not_run_is_declared() -> None:
    for page in PAGES:
        for command in shell_commands(page):
            assert command.startswith(("crossipam ", *NOT_RUN)), f"{page}: run it, or say why not: {command}"


def _runs(command: str) -> bool:
    return command.startswith("crossipam ") and not command.startswith(tuple(NOT_RUN))


@pytest.mark.parametrize("page", [p for p in PAGES if any(_runs(c) for c in shell_commands(p))])
def test_shell_examples_run(page: str, served: SeededEmulator, tmp_path: Path) -> None:
    """Each ``crossipam`` command of the page, in bash, against the served offline Azure; exit 0."""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "crossipam").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m crossipam "$@"\n')
    (shim / "crossipam").chmod(0o755)
    info = served.scenario
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}"}
    env.update({name: value(info) for name, value in PAGES[page].shell_env.items()})
    for name, content in PAGES[page].files.items():
        (tmp_path / name).write_text(content(info), encoding="utf-8")
    ran = 0
    for command in shell_commands(page):
        if not _runs(command):
            continue
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path, env=env,
        )  # fmt: skip
        assert done.returncode == 0, f"{page}: {command}\n{done.stdout}{done.stderr}"
        ran += 1
    assert ran
