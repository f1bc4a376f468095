"""The layering rules of docs/architecture.md, checked on the import statements of every module.

* the ground floor (``models``, ``errors``, ``_resource_ids``, ``_redact``, ``_validation``, ``_retry_after``) imports nothing of crossipam above it;
* the library never imports ``crossipam.testing`` at module level (the CLI's ``demo``/``emulator`` commands
  import it inside the function that needs it);
* ``crossipam.testing`` imports nothing of the library, so that a mistake in the library's requests cannot be
  cancelled out by the same mistake in the offline Azure.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crossipam"
GROUND = {
    "crossipam.models",
    "crossipam.errors",
    "crossipam._resource_ids",
    "crossipam._redact",
    "crossipam._validation",
    "crossipam._retry_after",
}


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
    assert "crossipam._shared" in found and "crossipam.aio._credentials" in found
    lazy = {name for _, name in imports(PACKAGE / "cli.py", top_level_only=False)}
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
    assert reaching <= {"crossipam.cli"}


def test_offline_azure_imports_nothing_of_the_library() -> None:
    offenders = [
        (module_name(path), line, imported)
        for path in modules(PACKAGE / "testing")
        for line, imported in imports(path, top_level_only=False)
        if not imported.startswith("crossipam.testing")
    ]
    assert offenders == []


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
    {"vnet_rules"},
    {"common"},
    {"vnets", "managers", "pools", "connections"},
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
        for module in (f"{NETWORK}.state", f"{NETWORK}.rules", f"{NETWORK}.vnet_rules")
        for imported in graph[module]
        if imported in forbidden
    )
    assert offenders == []
