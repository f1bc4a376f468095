"""The house rule "every public function has a docstring with an example", checked on the source (AST).

* the library (every public module outside ``crossipam.testing``): every public function, class, method and
  property has a docstring with a fenced code example (three backticks);
* ``crossipam.testing``: every object of ``crossipam.testing.__all__``, their public methods and properties, and
  the pytest fixtures of ``crossipam.testing.pytest_plugin`` have a docstring with an example;
* every other public function or class under ``crossipam/testing`` (private modules included) has a docstring;
* the docs render (mkdocstrings, Google style): no docstring of a module whose objects docs/api.md renders holds a
  Sphinx role (``:class:`…```) or a reST field list (``:param x:``), and every function and method that page
  renders documents each of its parameters in an ``Args:`` section — read with griffe, mkdocstrings' own
  parser, which walks the page as mkdocstrings does (skipped when griffe, from the ``docs`` extra, is absent).

A name is public when it does not start with ``_``; a module is public when no part of its path does (except
``__init__`` and ``__main__``). Definitions inside private classes and inside functions are not checked.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

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


# ---- the docs render: Google style, cross-references mkdocstrings resolves, parameters documented ----------

API_PAGE = PACKAGE.parent / "docs" / "api.md"
MKDOCS_YML = PACKAGE.parent / "mkdocs.yml"
SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):`")
FIELD_LIST = re.compile(
    r"^\s*:(?:param|parameter|arg|argument|keyword|kwarg|key|type|returns?|rtype|raises?)\b[^:]*:", re.M
)
HAS_GRIFFE = importlib.util.find_spec("griffe") is not None
NO_GRIFFE = "griffe (mkdocstrings' parser, from the docs extra) is not installed"


@dataclass(frozen=True)
class Rendered:
    """An object of the API page: the identifier it is rendered (and cross-referenced) under, the module that
    defines it, and the griffe object (``Any``: griffe is an optional dependency)."""

    identifier: str
    module: str
    obj: Any


def _page_blocks() -> list[tuple[str, dict[str, Any]]]:
    """``(identifier, options)`` of each ``::: identifier`` on the API page."""
    blocks: list[tuple[str, dict[str, Any]]] = []
    lines = API_PAGE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^:::\s+(\S+)\s*$", line)
        if match:
            block: list[str] = []
            for following in lines[i + 1 :]:
                if following.strip() and not following.startswith((" ", "\t")):
                    break
                block.append(following)
            data = yaml.safe_load("\n".join(block)) or {}
            blocks.append((match.group(1), dict(data.get("options") or {})))
    return blocks


def _global_options() -> dict[str, Any]:
    config = yaml.safe_load(MKDOCS_YML.read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            return dict(plugin["mkdocstrings"]["handlers"]["python"]["options"])
    raise AssertionError("mkdocs.yml configures no mkdocstrings python handler")


def _keep_name(name: str, filters: list[str]) -> bool:
    """mkdocstrings-python's name filters: the last matching one decides; no match keeps the name unless every
    filter is an inclusion."""
    keep: bool | None = None
    for pattern in filters:
        if re.search(pattern.lstrip("!"), name):
            keep = not pattern.startswith("!")
    return keep if keep is not None else any(p.startswith("!") for p in filters)


def _rendered(obj: Any, identifier: str, options: dict[str, Any], found: dict[str, Rendered]) -> None:
    """``obj`` and, for a module or class, the members mkdocstrings renders (its rules for ``filters``,
    ``inherited_members``, ``show_if_no_docstring`` and imported names)."""
    target = obj.final_target if obj.is_alias else obj
    found.setdefault(identifier, Rendered(identifier, target.module.path, target))
    if not (target.is_module or target.is_class):
        return
    filters = options.get("filters", ["!^_[^_]"])
    for name, member in target.all_members.items():
        if member.inherited and not options.get("inherited_members"):
            continue
        if not _keep_name(name, filters) or (name == "__init__" and options.get("merge_init_into_class")):
            continue
        if member.is_alias and member.is_imported and not member.is_public:
            continue
        try:
            documented = member.has_docstrings
            if member.is_alias:
                member.final_target  # resolves, or raises for an alias to outside the package (not rendered)
        except Exception:  # griffe's AliasResolutionError (griffe is optional: not imported by name)
            continue
        if documented or options.get("show_if_no_docstring"):
            _rendered(member, f"{identifier}.{name}", options, found)


def api_page() -> list[Rendered]:
    """Every object docs/api.md renders, as griffe (mkdocstrings' loader) sees the source."""
    griffe: Any = importlib.import_module("griffe")
    collection = griffe.ModulesCollection()
    loader = griffe.GriffeLoader(search_paths=[str(PACKAGE.parent)], modules_collection=collection)
    loader.load("crossipam")
    loader.resolve_aliases(external=False)
    found: dict[str, Rendered] = {}
    defaults = _global_options()
    for identifier, options in _page_blocks():
        _rendered(collection[identifier], identifier, {**defaults, **options}, found)
    return list(found.values())


def _all_docstrings(obj: Any) -> Iterator[tuple[str, str]]:
    """``(path, docstring)`` of ``obj`` and of everything defined in it (aliases excluded)."""
    if obj.docstring is not None:
        yield obj.path, obj.docstring.value
    for member in obj.members.values():
        if not member.is_alias:
            yield from _all_docstrings(member)


def parameters_and_documented(obj: Any) -> tuple[list[str], set[str]]:
    """A function's parameters (no ``self``/``cls``; ``*args``/``**kwargs`` by their names) or, for a class, its
    own ``__init__``'s, and the names its ``Args:`` sections document (the class's and ``__init__``'s)."""
    docstrings = [obj.docstring]
    function = obj
    if obj.is_class:
        function = obj.members.get("__init__")
        if function is None or not function.lineno:  # none, or a dataclass's generated __init__
            return [], set()
        docstrings.append(function.docstring)
    parameters = list(function.parameters)
    if (
        parameters
        and function.parent is not None
        and function.parent.is_class
        and "staticmethod" not in function.labels
    ):
        parameters = parameters[1:]  # self, cls
    names = [p.name for p in parameters]
    documented: set[str] = set()
    for docstring in docstrings:
        if docstring is None:
            continue
        for section in docstring.parse("google", warnings=False):
            if section.kind.value == "parameters":
                documented.update(p.name.lstrip("*") for p in section.value)
    return names, documented


PAGE: list[Rendered] = api_page() if HAS_GRIFFE else []
#: The modules whose objects the API page shows (by the module that defines each object).
PAGE_MODULES = sorted({r.module for r in PAGE})
#: What the page renders as a function or method, or a class with its own ``__init__`` (merged into the class).
PAGE_CALLABLES = [r for r in PAGE if r.obj.is_function or r.obj.is_class]


def _grouped(items: list[Any], id_of: Any, skip_reason: Any) -> list[object]:
    """``items`` as parameters (``skip_reason(item)``: why it is skipped, or ``None``)."""
    if not HAS_GRIFFE:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_GRIFFE), id="no-griffe")]
    params: list[object] = []
    for item in items:
        reason = skip_reason(item)
        params.append(
            pytest.param(item, id=id_of(item), marks=[pytest.mark.skip(reason=reason)] if reason else [])
        )
    return params


def _args_skip(rendered: Rendered) -> str | None:
    return None


@pytest.mark.skipif(not HAS_GRIFFE, reason=NO_GRIFFE)
def test_the_api_page_walk_finds_what_it_should() -> None:
    identifiers = {r.identifier for r in PAGE}
    assert {
        "crossipam.readiness.check_readiness",
        "crossipam.bulk.SubscriptionGate.slow_down",
        "crossipam.onboarding.OnboardingResult.to_dict",  # re-exported from a private module
        "crossipam.CrossTenantIpamClient.check_readiness",  # inherited (inherited_members: true)
        "crossipam.testing.AzureEmulator.load_scenario",
    } <= identifiers
    assert not any(part.startswith("_") for i in identifiers for part in i.split("."))
    assert {"crossipam._onboarding_results", "crossipam._client_base", "crossipam.errors"} <= set(
        PAGE_MODULES
    )


@pytest.mark.parametrize("module", _grouped(PAGE_MODULES, lambda m: m, lambda m: None))
def test_rendered_modules_docstrings_are_google_style(module: str) -> None:
    """Cross-references as mkdocstrings resolves them (``[text][crossipam.errors.X]``), not Sphinx roles, and
    Google sections, not reST field lists, in every docstring of the module (not only the rendered ones)."""
    griffe: Any = importlib.import_module("griffe")
    loaded = griffe.load(module, search_paths=[str(PACKAGE.parent)], resolve_aliases=False)
    bad = [
        f"{path}: {found.group(0)}"
        for path, text in _all_docstrings(loaded)
        for found in [SPHINX_ROLE.search(text) or FIELD_LIST.search(text)]
        if found
    ]
    assert not bad, "Sphinx markup in docstrings (run docs_convert.py on the module):\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "rendered",
    _grouped(PAGE_CALLABLES, lambda r: r.identifier, _args_skip),
)
def test_rendered_callables_document_every_parameter(rendered: Rendered) -> None:
    names, documented = parameters_and_documented(rendered.obj)
    missing = [name for name in names if name not in documented]
    assert not missing, (
        f"{rendered.identifier} ({rendered.obj.filepath}:{rendered.obj.lineno}): no Args: entry for {missing}"
    )
