"""The layering rules of docs/architecture.md, checked on the import statements of every module.

* the ground floor (``models``, ``errors`` and the error modules, ``_resource_ids``, ``_redact``, ``_validation``,
  ``_retry_after``) imports nothing of crossipam above it;
* the library never imports ``crossipam.testing`` at module level (the CLI's ``demo``/``emulator`` commands
  import it inside the function that needs it);
* ``crossipam.testing`` imports nothing of the library, so that a mistake in the library's requests cannot be
  cancelled out by the same mistake in the offline Azure;
* ``import crossipam`` (in a fresh interpreter) loads neither the CLI nor its dependencies (PyYAML, rich).
* the error table (``crossipam._wire_errors.ERROR_CODES``) is the only place that decides what a service error
  code means.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossipam._wire_errors import ERROR_CODES

PACKAGE = Path(__file__).resolve().parent.parent / "crossipam"
GROUND = {
    "crossipam.models",
    "crossipam._cloud",
    "crossipam.errors",
    "crossipam._error_base",
    "crossipam._service_errors",
    "crossipam._resource_ids",
    "crossipam._redact",
    "crossipam._validation",
    "crossipam._retry_after",
    "crossipam._wire_errors",
    "crossipam._wire_envelopes",
}
#: The module of the one table of service error codes (class, hint, retryability, meaning).
WIRE_ERRORS = "crossipam._wire_errors"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, *, top_level_only: bool) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every crossipam import in ``path``; with ``top_level_only``, those
    outside functions and outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]

    def resolve(node: ast.ImportFrom) -> list[str]:
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        if node.module is None:  # from . import a, b
            return [f"{prefix}.{alias.name}" for alias in node.names]
        return [prefix]

    def walk(nodes: list[ast.stmt]) -> Iterator[tuple[int, str]]:
        for node in nodes:
            if isinstance(node, ast.Import):
                yield from ((node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                yield from ((node.lineno, name) for name in resolve(node))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or (
                isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            ):
                if not top_level_only:  # imported lazily (or only for the type checker)
                    yield from walk(node.body)
            elif isinstance(node, ast.ClassDef):
                yield from walk(node.body)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, field, []):
                        yield from walk(child.body if isinstance(child, ast.ExceptHandler) else [child])

    for line, name in walk(tree.body):
        if name == "crossipam" or name.startswith("crossipam."):
            yield line, name


def modules(under: Path) -> list[Path]:
    return sorted(under.rglob("*.py"))


def test_the_checker_sees_relative_and_absolute_imports() -> None:
    found = {name for _, name in imports(PACKAGE / "client.py", top_level_only=True)}
    assert "crossipam.models" in found and "crossipam.deployment" in found
    found = {name for _, name in imports(PACKAGE / "aio" / "client.py", top_level_only=True)}
    assert "crossipam._vnet_flows" in found and "crossipam.aio._credentials" in found
    lazy = {name for _, name in imports(PACKAGE / "cli" / "_demo.py", top_level_only=False)}
    assert any(name.startswith("crossipam.testing") for name in lazy)


@pytest.mark.parametrize("name", sorted(GROUND))
def test_ground_floor_imports_nothing_above_it(name: str) -> None:
    path = PACKAGE / (name.split(".", 1)[1] + ".py")
    above = [
        (line, imported)
        for line, imported in imports(path, top_level_only=False)
        if not any(imported == g or imported.startswith(g + ".") for g in GROUND)
    ]
    assert above == [], f"{path.name} imports above the ground floor: {above}"


def test_library_does_not_import_the_offline_azure_at_module_level() -> None:
    offenders = [
        (module_name(path), line, imported)
        for path in modules(PACKAGE)
        if not module_name(path).startswith("crossipam.testing")
        for line, imported in imports(path, top_level_only=True)
        if imported.startswith("crossipam.testing")
    ]
    assert offenders == []


def test_only_the_cli_reaches_the_offline_azure_at_all() -> None:
    reaching = {
        module_name(path)
        for path in modules(PACKAGE)
        if not module_name(path).startswith("crossipam.testing")
        for _, imported in imports(path, top_level_only=False)
        if imported.startswith("crossipam.testing")
    }
    assert reaching <= {"crossipam.cli._demo"}


def test_offline_azure_imports_nothing_of_the_library() -> None:
    offenders = [
        (module_name(path), line, imported)
        for path in modules(PACKAGE / "testing")
        for line, imported in imports(path, top_level_only=False)
        if not imported.startswith("crossipam.testing")
    ]
    assert offenders == []


# ---- issue 15: one engine, twins that do not reach across, rooms of a readable size ----------------------------


def test_nothing_outside_aio_imports_aio() -> None:
    """The asyncio twins depend on the sync floors, never the other way (not even lazily): the sync package works
    without aiohttp, and the twins cannot drift by borrowing from each other."""
    reaching = [
        (module_name(path), line, imported)
        for path in modules(PACKAGE)
        if not module_name(path).startswith(("crossipam.aio", "crossipam.testing"))
        for line, imported in imports(path, top_level_only=False)
        if imported == "crossipam.aio" or imported.startswith("crossipam.aio.")
    ]
    assert reaching == []


def test_the_clients_decide_nothing_the_flows_decide() -> None:
    """Both clients run the VNet flows of crossipam._vnet_flows on the engine's drivers; neither plans, parses or
    polls itself (no import of the planners, no polling classes of its own)."""
    for path in (PACKAGE / "client.py", PACKAGE / "aio" / "client.py"):
        found = {name for _, name in imports(path, top_level_only=True)}
        assert "crossipam._vnet_flows" in found, path
        assert "crossipam._inflight" not in found, (path, found)
        source = path.read_text(encoding="utf-8")
        # the clients' own ``plan_deployment``/``plan_removal`` methods (issue 12) are API names: their
        # definitions and examples (``client.plan_…(``) are no planner; any other mention still fails
        source = re.sub(r"(\bdef |\bclient\.)plan_(deployment|removal)\(", "", source)
        for decision in (
            "plan_deployment",
            "plan_removal",
            "PollingMethod",
            "ARMPolling",
            "provisioning_state(",
        ):
            assert decision not in source, (path, decision)


#: No module may pass this (about 600 lines is the aim: a module is read in one sitting). Every module that once
#: did (the onboarding core, readiness, the errors, the offline Azure's façade) has been split (issue 15).
MAX_LINES = 650


def test_modules_stay_small_enough_to_read_in_one_sitting() -> None:
    sizes = {
        module_name(path): len(path.read_text(encoding="utf-8").splitlines()) for path in modules(PACKAGE)
    }
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert too_long == {}, f"split these modules (about {MAX_LINES - 50} lines is the aim): {too_long}"


#: How many lines in a row make a copy: a block of this many (non-blank, non-comment) lines that stands in a
#: sync module and in its ``aio/`` twin alike is decision logic or boilerplate written twice.
TWIN_BLOCK = 6


def twin_pairs() -> Iterator[tuple[Path, Path]]:
    """Every ``crossipam/aio/X.py`` with the sync module it mirrors (``aio/_credentials`` mirrors ``credentials``)."""
    for twin in sorted((PACKAGE / "aio").glob("*.py")):
        name = twin.name.lstrip("_") if not (PACKAGE / twin.name).exists() else twin.name
        sync = PACKAGE / name
        if sync.exists() and twin.name != "__init__.py":
            yield sync, twin


def shared_blocks(sync: Path, twin: Path, size: int = TWIN_BLOCK) -> list[tuple[int, int]]:
    """(sync line, twin line) where ``size`` identical lines (stripped; blank and comment lines skipped) begin."""

    def lines(path: Path) -> list[tuple[int, str]]:
        text = path.read_text(encoding="utf-8").splitlines()
        return [
            (n, s)
            for n, s in ((n, line.strip()) for n, line in enumerate(text, 1))
            if s and not s.startswith("#")
        ]

    a, b = lines(sync), lines(twin)
    windows = {tuple(s for _, s in b[i : i + size]): b[i][0] for i in range(len(b) - size + 1)}
    found = []
    for i in range(len(a) - size + 1):
        window = tuple(s for _, s in a[i : i + size])
        if window in windows:
            found.append((a[i][0], windows[window]))
    return found


def test_the_twin_checker_sees_a_copied_block(tmp_path: Path) -> None:
    block = "\n".join(f"x{i} = {i}" for i in range(TWIN_BLOCK))
    (tmp_path / "a.py").write_text("import os\n" + block + "\n")
    (tmp_path / "b.py").write_text("# twin\n\n" + block + "\ny = 1\n")
    assert shared_blocks(tmp_path / "a.py", tmp_path / "b.py") == [(2, 3)]
    (tmp_path / "b.py").write_text(block.replace("x3", "z3"))
    assert shared_blocks(tmp_path / "a.py", tmp_path / "b.py") == []


def test_the_twins_are_paired_as_expected() -> None:
    pairs = {(s.stem, t.stem) for s, t in twin_pairs()}
    assert {("client", "client"), ("_drive", "_drive"), ("credentials", "_credentials")} <= pairs


@pytest.mark.parametrize("sync,twin", list(twin_pairs()), ids=lambda p: p.stem)
def test_no_block_of_six_lines_stands_in_a_sync_module_and_its_aio_twin(sync: Path, twin: Path) -> None:
    """Issue 15: nothing of the clients, drivers, credentials, onboarding or readiness is written twice."""
    assert shared_blocks(sync, twin) == [], (
        f"{sync.name} and aio/{twin.name} share these blocks (sync, aio lines)"
    )


def test_import_crossipam_loads_neither_authorization_nor_the_cli() -> None:
    """``import crossipam`` costs what a deploy needs: azure-mgmt-authorization (onboarding, readiness's
    permission reads) and the CLI's dependencies load on first use."""
    import subprocess
    import sys

    probe = (
        "import sys, crossipam; "
        "print(sorted(m for m in sys.modules if m.startswith('azure.mgmt.authorization') "
        "or m.startswith('crossipam._onboarding') "
        "or m in ('yaml', 'rich', 'crossipam.cli', 'crossipam.onboarding', 'crossipam._onboarding_core')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_importing_the_library_loads_neither_the_cli_nor_its_dependencies() -> None:
    """The console script, PyYAML and rich are loaded when a command runs, never by ``import crossipam``."""
    env = dict(os.environ, PYTHONPATH=str(PACKAGE.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    probe = (
        "import json, sys, crossipam, crossipam.models, crossipam.errors; "
        "print(json.dumps([crossipam.__file__, sorted(sys.modules)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    where, loaded = json.loads(done.stdout)
    assert where == str(PACKAGE / "__init__.py")  # this worktree's code
    unwanted = (
        "yaml",
        "rich",
        "crossipam.cli",
        "crossipam.testing",
    )  # the offline Azure: not the library's either
    offenders = [name for name in loaded if any(name == u or name.startswith(u + ".") for u in unwanted)]
    assert offenders == []


def code_decisions(source: str, codes: frozenset[str]) -> list[tuple[int, str]]:
    """(line, what) of every place in ``source`` that decides on a service error code itself:

    * a string literal equal to a code of ``codes`` anywhere but where an error is *made* with that code (the
      value of a ``code=`` keyword argument, or of ``…["code"] = …``) — so no code is compared, matched, listed
      in a set/tuple/list, used as a dict key or kept in a constant;
    * a comparison of something named ``code`` (``code``, ``err.code``, ``code.group(1)``) with a string
      literal — which also catches a code the table does not know yet.
    """
    tree = ast.parse(source)
    parent = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def makes_an_error(node: ast.Constant) -> bool:
        up = parent.get(node)
        if isinstance(up, ast.keyword):
            return up.arg == "code"
        return (
            isinstance(up, ast.Assign)
            and up.value is node
            and all(
                isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) and t.slice.value == "code"
                for t in up.targets
            )
        )

    def names_code(node: ast.expr) -> bool:
        """``code``, ``err.code``, ``code.group(1)``, ``code[0]``: a code, or a method or item of one (a code
        passed to a call, ``error_code(code).retry``, is the table's answer, not the code)."""
        while True:
            if isinstance(node, ast.Name):
                return node.id == "code"
            if isinstance(node, ast.Attribute):
                if node.attr == "code":
                    return True
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, ast.Subscript):
                node = node.value
            else:
                return False

    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in codes and not makes_an_error(node):
            found.append((node.lineno, repr(node.value)))
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            literal = any(
                isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value
                for o in operands
                for c in ast.walk(o)
            )
            if literal and any(names_code(o) for o in operands):
                found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_code_checker_sees_decisions_and_allows_making_errors() -> None:
    codes = frozenset({"AnotherOperationInProgress", "PrincipalNotFound"})
    decisions = """
RETRYABLE = frozenset({"AnotherOperationInProgress"})
KIND = {"PrincipalNotFound": "replication"}
if err.code == "SomethingNew": pass
if code in ("Other", "Codes"): pass
if code.group(1) == "700016": pass
"""
    assert sorted(line for line, _ in code_decisions(decisions, codes)) == [2, 3, 4, 5, 6]
    making = """
NotFoundError("gone", code="PrincipalNotFound")
diagnostics["code"] = "AnotherOperationInProgress"
\"\"\"Prose may name AnotherOperationInProgress.\"\"\"
if code is None or status == 409: pass
"""
    assert code_decisions(making, codes) == []


def test_the_error_table_is_the_only_code_to_class_mapping() -> None:
    """The error table is the only code → class mapping: ``ERROR_CODES`` in ``crossipam._wire_errors`` says, for
    every service error code crossipam knows (ARM's ``error.code``, Entra ID's ``AADSTS…``), which class it
    becomes, its hint, whether and how it is retried and what it tells about the resource; everything that
    decides on a code (the mapping, the clients, onboarding, readiness, bulk) looks it up there. So no other
    library module decides on a code itself (see :func:`code_decisions`: no code literal — Entra ID's also as a
    bare number — outside the making of an error, no comparison of a ``code`` with a string).
    ``crossipam.testing`` is exempt: the offline Azure sends codes, it does not interpret them.
    """
    entra_numbers = {code.removeprefix("AADSTS") for code in ERROR_CODES if code.startswith("AADSTS")}
    codes = frozenset(ERROR_CODES) | entra_numbers  # Entra ID's codes also as bare numbers ("700016")
    offenders = [
        (module_name(path), line, what)
        for path in modules(PACKAGE)
        if module_name(path) != WIRE_ERRORS and not module_name(path).startswith("crossipam.testing")
        for line, what in code_decisions(path.read_text(encoding="utf-8"), codes)
    ]
    assert offenders == [], f"decide on error codes in {WIRE_ERRORS}.ERROR_CODES instead: {offenders}"


# ---- the offline Azure inside (docs/architecture.md, "The offline Azure inside") ---------------------------
#
# ``AzureEmulator`` (``emulator.py``) is the façade and composition root: it builds the services' context and
# hands each service its own; the fronts, the scenarios, the pytest plugin and the package's exports use the
# façade. Nothing below it may reach back: a handler is given a context, never the emulator, so the modules
# below the façade form no import cycle (not even one the type checker alone sees).

TESTING = PACKAGE / "testing"
FACADE = "crossipam.testing.emulator"
#: The modules above the façade (or the façade's own package exports), which may import it.
FACADE_USERS = {
    "crossipam.testing",
    "crossipam.testing.__main__",
    "crossipam.testing.pytest_plugin",
    "crossipam.testing.scenarios",
    "crossipam.testing.server",
    "crossipam.testing.transport",
}
NETWORK = "crossipam.testing.network"
#: Microsoft.Network's layers, lowest first: each module imports only modules of the layers below its own.
NETWORK_LAYERS = (
    {"state"},
    {"rules"},
    {"subnet_rules"},
    {"vnet_rules"},
    {"common"},
    {"linked"},
    {"vnets", "vnet_extras", "subnets", "managers", "pools", "connections", "mg_connections", "provider"},
    {"seeding"},
    {""},  # the package itself (``network/__init__.py``): re-exports and ``register``
)


def offline_azure_imports() -> dict[str, set[str]]:
    """Every module of ``crossipam.testing`` and the modules of it that it imports (lazily and for the type
    checker included)."""
    return {
        module_name(path): {
            imported
            for _, imported in imports(path, top_level_only=False)
            if imported.startswith("crossipam.testing")
        }
        for path in modules(TESTING)
    }


def test_the_checker_sees_the_offline_azures_imports() -> None:
    graph = offline_azure_imports()
    assert FACADE in graph["crossipam.testing.transport"]  # only for the type checker
    assert "crossipam.testing.network.vnet_rules" in graph["crossipam.testing.network.vnets"]
    assert "crossipam.testing._context" in graph["crossipam.testing.network.common"]  # from .. import
    assert set(graph) > FACADE_USERS | {FACADE, NETWORK}


def test_the_handlers_of_the_offline_azure_do_not_import_its_facade() -> None:
    offenders = sorted(
        (module, imported)
        for module, imported_modules in offline_azure_imports().items()
        if module not in FACADE_USERS | {FACADE}
        for imported in imported_modules
        if imported == FACADE or imported.startswith(FACADE + ".")
    )
    assert offenders == [], f"below the façade, these import it: {offenders}"


def test_below_the_facade_the_offline_azure_has_no_import_cycle() -> None:
    below = {
        module: {m for m in imported if m not in FACADE_USERS | {FACADE}}
        for module, imported in offline_azure_imports().items()
        if module not in FACADE_USERS | {FACADE}
    }
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join((*path[path.index(module) :], module)))
        if module in done:
            return
        for imported in sorted(below.get(module, ())):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(below):
        visit(module, ())


def test_microsoft_network_layers_import_only_downwards() -> None:
    layer_of = {
        (f"{NETWORK}.{name}" if name else NETWORK): level
        for level, names in enumerate(NETWORK_LAYERS)
        for name in names
    }
    graph = offline_azure_imports()
    assert set(layer_of) == {m for m in graph if m == NETWORK or m.startswith(NETWORK + ".")}
    upwards = sorted(
        (module, imported)
        for module, level in layer_of.items()
        for imported in graph[module]
        if imported in layer_of and imported != module and layer_of[imported] >= level
    )
    assert upwards == [], f"Microsoft.Network modules importing their own layer or above: {upwards}"


def test_network_state_and_rules_know_no_service_and_no_handler_context() -> None:
    """The stores and the rules are plain: no context, no authentication or RBAC, no handler plumbing."""
    forbidden = {
        "crossipam.testing._context",
        "crossipam.testing.entra",
        "crossipam.testing.graph",
        "crossipam.testing.authorization",
        f"{NETWORK}.common",
    }
    graph = offline_azure_imports()
    offenders = sorted(
        (module, imported)
        for module in (
            f"{NETWORK}.state",
            f"{NETWORK}.rules",
            f"{NETWORK}.subnet_rules",
            f"{NETWORK}.vnet_rules",
        )
        for imported in graph[module]
        if imported in forbidden
    )
    assert offenders == []


# ---- issue 15 (tests): test modules share fixtures, never each other ------------------------------------------

TESTS = Path(__file__).resolve().parent
#: Where the shared fixtures live: registered by tests/conftest.py (``pytest_plugins``), imported by pytest only.
FIXTURES = TESTS / "fixtures"


def dotted_name(path: Path) -> str:
    parts = list(path.relative_to(TESTS.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of_tests(source: str, module: str) -> Iterator[tuple[int, str, bool]]:
    """(line, absolute module name, at run time?) of every import of the ``tests`` package in ``source`` (the
    module named ``module``): relative or absolute, at module level or lazily inside a function (both run), or
    under ``if TYPE_CHECKING:`` (never run: names for the type checker)."""
    package = module if module == "tests" else module.rpartition(".")[0]

    def resolve(node: ast.ImportFrom) -> list[str]:
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        if node.module is None:  # from . import a, b
            return [f"{prefix}.{alias.name}" for alias in node.names]
        return [prefix]

    def visit(node: ast.AST, runtime: bool) -> Iterator[tuple[int, str, bool]]:
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, runtime) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield from ((node.lineno, name, runtime) for name in resolve(node))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for inner in child.body:
                    yield from visit(inner, False)
                for inner in child.orelse:
                    yield from visit(inner, runtime)
            else:
                yield from visit(child, runtime)

    for line, name, runtime in visit(ast.parse(source), True):
        if name == "tests" or name.startswith("tests."):
            yield line, name, runtime


def is_test_module(name: str) -> bool:
    return name.rpartition(".")[2].startswith("test_")


def test_the_tests_checker_sees_every_kind_of_import() -> None:
    source = """
from .test_a import helper
from tests.test_b import helper
import tests.test_c
from . import test_d
from .fixtures.clients import make
import crossipam
if TYPE_CHECKING:
    from .fixtures.clients import MakeClient
else:
    from .test_f import other
def f():
    from .test_e import helper
"""
    assert list(imports_of_tests(source, "tests.test_probe")) == [
        (2, "tests.test_a", True),
        (3, "tests.test_b", True),
        (4, "tests.test_c", True),
        (5, "tests.test_d", True),
        (6, "tests.fixtures.clients", True),
        (9, "tests.fixtures.clients", False),
        (11, "tests.test_f", True),
        (13, "tests.test_e", True),
    ]
    assert list(imports_of_tests("from ..faults import x", "tests.fixtures.deeper.m")) == [
        (1, "tests.fixtures.faults", True)
    ]


def test_no_test_module_imports_another_test_module() -> None:
    """Sync and async tests share their setup and expectations through fixtures (tests/conftest.py registers
    tests/fixtures/), not by importing each other: at run time a test module imports nothing of ``tests`` — no
    other test module, not conftest, not a fixture module (pytest hands fixtures over by name). Under
    ``if TYPE_CHECKING:`` it may name a fixture module's types for its annotations, and nothing else."""
    offenders = [
        (dotted_name(path), line, imported, "at run time" if runtime else "for the type checker")
        for path in sorted(TESTS.rglob("test_*.py"))
        for line, imported, runtime in imports_of_tests(path.read_text(encoding="utf-8"), dotted_name(path))
        if runtime or not imported.startswith(dotted_name(FIXTURES) + ".")
    ]
    assert offenders == [], (
        f"ask for a fixture instead (tests/fixtures/, registered in conftest): {offenders}"
    )


def test_conftest_and_fixture_modules_import_no_test_module_and_hold_no_tests() -> None:
    support = [path for path in sorted(TESTS.rglob("*.py")) if not path.name.startswith("test_")]
    assert TESTS / "conftest.py" in support and FIXTURES / "clients.py" in support
    offenders = [
        (dotted_name(path), line, imported)
        for path in support
        for line, imported, _ in imports_of_tests(path.read_text(encoding="utf-8"), dotted_name(path))
        if is_test_module(imported) or imported.rpartition(".")[2] == "conftest"
    ]
    assert offenders == []
    for path in sorted(FIXTURES.glob("*.py")):  # pytest collects no test from a fixture module
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tests = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        assert not [name for name in tests if name.startswith("test")], path


def test_every_fixture_module_is_registered_in_conftest() -> None:
    tree = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    [plugins] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["pytest_plugins"]
    ]
    registered = ast.literal_eval(plugins)
    modules = [dotted_name(path) for path in sorted(FIXTURES.glob("*.py")) if path.name != "__init__.py"]
    assert sorted(registered) == modules
