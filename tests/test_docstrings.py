"""The house rule "every public function has a docstring with an example", checked on the source (AST).

* the library (every public module outside ``crossipam.testing``): every public function, class, method and
  property has a docstring with a fenced code example (three backticks);
* ``crossipam.testing``: every object of ``crossipam.testing.__all__``, their public methods and properties, and
  the pytest fixtures of ``crossipam.testing.pytest_plugin`` have a docstring with an example;
* every other public function or class under ``crossipam/testing`` (private modules included) has a docstring.

A name is public when it does not start with ``_``; a module is public when no part of its path does (except
``__init__`` and ``__main__``). Definitions inside private classes and inside functions are not checked.
"""

from __future__ import annotations

import ast
import doctest
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crossipam"
TESTING = PACKAGE / "testing"
FENCE = "```"

#: Library definitions still without an example in the committed code: to be documented (then empty this
#: set). Listed ones are expected failures; an XPASS in the summary means one can be removed.
KNOWN_MISSING: frozenset[str] = frozenset()

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Documented:
    """One checked definition: where it is and its docstring (``None`` when it has none)."""

    qualname: str
    where: str
    docstring: str | None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_public_module(path: Path) -> bool:
    return not any(
        part.startswith("_") and part not in ("__init__.py", "__main__.py")
        for part in path.relative_to(PACKAGE).parts
    )


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def is_overload_or_accessor(node: Definition) -> bool:
    """``@overload`` stubs and ``@x.setter``/``@x.deleter`` share the documented definition's docstring."""
    for deco in node.decorator_list:
        text = ast.unparse(deco)
        if text in ("overload", "typing.overload") or text.endswith((".setter", ".deleter")):
            return True
    return False


def definitions(nodes: list[ast.stmt], prefix: str, where: Path) -> Iterator[tuple[Definition, Documented]]:
    """Public functions and classes in ``nodes`` and, recursively, the public members of public classes."""
    for node in nodes:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if node.name.startswith("_") or is_overload_or_accessor(node):
            continue
        doc = Documented(
            f"{prefix}.{node.name}",
            f"{where.relative_to(PACKAGE.parent)}:{node.lineno}",
            ast.get_docstring(node),
        )
        yield node, doc
        if isinstance(node, ast.ClassDef):
            yield from definitions(node.body, doc.qualname, where)


def module_definitions(path: Path) -> list[Documented]:
    """The public definitions of a module — and those it re-exports in ``__all__`` from a private sibling module
    (``crossipam.bulk`` re-exports ``classify`` from ``crossipam._bulk_retry``), under the public module's name."""
    module = parse(path)
    found = [doc for _, doc in definitions(module.body, module_name(path), path)]
    exported: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            exported = set(ast.literal_eval(node.value))
    for node in module.body:
        if not (
            isinstance(node, ast.ImportFrom)
            and node.level >= 1
            and node.module
            and node.module.startswith("_")
        ):
            continue
        source = (
            path.parent.joinpath(*[".."] * (node.level - 1), *node.module.split("."))
            .resolve()
            .with_suffix(".py")
        )
        names = {alias.name for alias in node.names} & exported
        for definition, doc in definitions(parse(source).body, module_name(path), source):
            if doc.qualname.split(".")[len(module_name(path).split("."))] in names:
                found.append(doc)
    return found


def attribute_docstring(module: ast.Module, name: str) -> str | None:
    """The docstring of a module-level assignment: a string literal right after ``name = ...``."""
    body = module.body
    for node, following in zip(body, [*body[1:], None]):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                return following.value.value
            return None
    raise LookupError(f"{name} is not assigned at module level")


def offline_azure_exports() -> list[Documented]:
    """Every object of ``crossipam.testing.__all__``, resolved through ``__init__``'s relative imports, plus
    the public members of the exported classes."""
    init = parse(TESTING / "__init__.py")
    exported: list[str] = []
    origin: dict[str, Path] = {}
    for node in init.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            exported = list(ast.literal_eval(node.value))
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                origin[alias.asname or alias.name] = TESTING / (node.module.replace(".", "/") + ".py")
    assert exported, "crossipam/testing/__init__.py has no __all__"
    found: list[Documented] = []
    for name in exported:
        path = origin[name]
        module = parse(path)
        prefix = f"crossipam.testing.{name}"
        where = f"{path.relative_to(PACKAGE.parent)}"
        for node in module.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                found.append(Documented(prefix, f"{where}:{node.lineno}", ast.get_docstring(node)))
                if isinstance(node, ast.ClassDef):
                    found.extend(doc for _, doc in definitions(node.body, prefix, path))
                break
        else:
            found.append(Documented(prefix, where, attribute_docstring(module, name)))
    return found


def fixtures() -> list[Documented]:
    path = TESTING / "pytest_plugin.py"
    return [
        doc
        for node, doc in definitions(parse(path).body, module_name(path), path)
        if any("fixture" in ast.unparse(deco) for deco in node.decorator_list)
    ]


LIBRARY = [
    doc
    for path in sorted(PACKAGE.rglob("*.py"))
    if TESTING not in path.parents and is_public_module(path)
    for doc in module_definitions(path)
]
WITH_EXAMPLE = {doc.qualname: doc for doc in [*offline_azure_exports(), *fixtures()]}
# every public definition under crossipam/testing, by the name of the module that defines it; the exported
# ones are also checked (for an example) under their crossipam.testing name
TESTING_DEFINITIONS = [doc for path in sorted(TESTING.rglob("*.py")) for doc in module_definitions(path)]


def _params(docs: list[Documented]) -> list[object]:
    return [
        pytest.param(
            doc,
            id=doc.qualname,
            marks=[pytest.mark.xfail(reason="to be documented")] if doc.qualname in KNOWN_MISSING else [],
        )
        for doc in docs
    ]


def test_the_checker_finds_what_it_should() -> None:
    names = {doc.qualname for doc in LIBRARY}
    assert "crossipam.client.CrossTenantIpamClient.begin_deploy_virtual_network" in names
    assert "crossipam.aio.client.CrossTenantIpamClient" in names
    assert not any(".testing." in name or "._" in name for name in names)
    assert {
        "crossipam.testing.AzureEmulator.load_scenario",
        "crossipam.testing.Journal.entries",
        "crossipam.testing.SCENARIOS",
        "crossipam.testing.pytest_plugin.azure_emulator",
    } <= set(WITH_EXAMPLE)
    assert "crossipam.testing._core.Router.dispatch" in {doc.qualname for doc in TESTING_DEFINITIONS}


def test_ipam_examples_run() -> None:
    """The IPAM engine's examples are doctests with real values: they must still hold."""
    from crossipam.testing import ipam

    result = doctest.testmod(ipam, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15 and not result.failed


def test_known_missing_names_exist() -> None:
    stale = KNOWN_MISSING - {doc.qualname for doc in LIBRARY}
    assert not stale, f"remove from KNOWN_MISSING (no longer defined): {sorted(stale)}"


@pytest.mark.parametrize("doc", _params(LIBRARY))
def test_library_docstring_has_an_example(doc: Documented) -> None:
    assert doc.docstring, f"{doc.qualname} ({doc.where}) has no docstring"
    assert FENCE in doc.docstring, f"{doc.qualname} ({doc.where}): the docstring has no ``` example"


@pytest.mark.parametrize("doc", _params(list(WITH_EXAMPLE.values())))
def test_offline_azure_api_docstring_has_an_example(doc: Documented) -> None:
    assert doc.docstring, f"{doc.qualname} ({doc.where}) has no docstring"
    assert FENCE in doc.docstring, f"{doc.qualname} ({doc.where}): the docstring has no ``` example"


@pytest.mark.parametrize("doc", _params(TESTING_DEFINITIONS))
def test_offline_azure_internals_have_a_docstring(doc: Documented) -> None:
    assert doc.docstring, f"{doc.qualname} ({doc.where}) has no docstring"
