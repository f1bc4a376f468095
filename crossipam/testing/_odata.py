"""The part of OData that Microsoft Graph clients send for applications and service principals.

``$filter``: clauses joined by ``and``, each one of

- ``prop eq 'v'`` (also ``prop eq null``, ``prop eq true|false``),
- ``startswith(prop,'v')``,
- ``prop in ('a','b')``,
- ``coll/any(c:c eq 'v')`` and ``coll/any(c:startswith(c,'v'))`` over a collection of strings,

on the properties the entity declares filterable (what Graph's per-property tables list for them); strings
compare case-insensitively, as Graph's directory does. ``$select``: a comma-separated list of declared
properties. Anything else is refused with Graph's own answers: 400 ``Request_UnsupportedQuery`` for a filter it
does not support, 400 ``BadRequest`` for a property ``$select`` does not know.

```python
query = ODataQuery.parse(
    "servicePrincipalNames/any(c:c eq 'c0ffee00-0000-4000-8000-00000000a11c')", "id,appId", SERVICE_PRINCIPAL
)
query.matches(sp_json)  # True for that app's service principal
query.select(sp_json)  # {"id": …, "appId": …}
```
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._http import EmulatorHTTPError, graph_error

__all__ = ["APPLICATION", "SERVICE_PRINCIPAL", "EntityType", "ODataQuery"]


@dataclass(frozen=True)
class EntityType:
    """What an entity set lets ``$filter`` and ``$select`` name.

    ```python
    "servicePrincipalNames" in SERVICE_PRINCIPAL.collections  # True
    ```
    """

    name: str
    """The type's name in Graph's messages (``ServicePrincipal``)."""
    odata_type: str
    """``microsoft.graph.servicePrincipal``."""
    scalars: frozenset[str]
    """Properties ``eq``/``in``/``startswith`` may name."""
    collections: frozenset[str]
    """String collections ``any(…)`` may name."""


SERVICE_PRINCIPAL = EntityType(
    "ServicePrincipal",
    "microsoft.graph.servicePrincipal",
    frozenset(
        {"id", "appId", "displayName", "appOwnerOrganizationId", "servicePrincipalType", "accountEnabled"}
    ),
    frozenset({"servicePrincipalNames", "tags"}),
)
APPLICATION = EntityType(
    "Application",
    "microsoft.graph.application",
    frozenset({"id", "appId", "displayName", "signInAudience", "publisherDomain"}),
    frozenset({"identifierUris", "tags"}),
)

Predicate = Callable[[dict[str, Any]], bool]
_LITERALS: dict[str, Any] = {"null": None, "true": True, "false": False}

_STRING = r"'(?P<{n}>(?:[^']|'')*)'"
_LITERAL = rf"(?:{_STRING.format(n='s')}|(?P<lit>null|true|false))"
_EQ = re.compile(rf"(?P<prop>\w+)\s+eq\s+{_LITERAL}")
_STARTSWITH = re.compile(rf"startswith\(\s*(?P<prop>\w+)\s*,\s*{_STRING.format(n='s')}\s*\)", re.IGNORECASE)
_IN = re.compile(r"(?P<prop>\w+)\s+in\s+\((?P<items>[^)]*)\)")
_ANY = re.compile(
    r"(?P<prop>\w+)/any\(\s*(?P<var>\w+)\s*:\s*(?:"
    rf"(?P=var)\s+eq\s+{_STRING.format(n='eq')}"
    rf"|startswith\(\s*(?P=var)\s*,\s*{_STRING.format(n='sw')}\s*\))\s*\)",
    re.IGNORECASE,
)
_QUOTED = r"'(?:[^']|'')*'"
_ITEMS = re.compile(rf"\s*{_QUOTED}\s*(?:,\s*{_QUOTED}\s*)*")
_ITEM = re.compile(r"'((?:[^']|'')*)'")


def _unquote(text: str) -> str:
    return text.replace("''", "'")


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _split_and(text: str) -> list[str]:
    """Split on `` and `` outside quotes and parentheses."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and text[i : i + 5].lower() == " and ":
            parts.append(text[start:i])
            start = i = i + 5
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


@dataclass(frozen=True)
class ODataQuery:
    """A parsed ``$filter`` and ``$select`` for one entity type.

    ```python
    query = ODataQuery.parse("startswith(displayName,'spoke')", "id,appId", SERVICE_PRINCIPAL)
    [query.select(sp) for sp in service_principals if query.matches(sp)]
    ```
    """

    predicates: tuple[Predicate, ...] = ()
    selected: tuple[str, ...] = ()

    @classmethod
    def parse(cls, flt: str | None, select: str | None, entity: EntityType) -> ODataQuery:
        """Parse the query options; raises Graph's 400 for what Graph would refuse.

        Args:
            flt: the ``$filter`` value (``None`` or empty: everything).
            select: the ``$select`` value (``None`` or empty: every property).
            entity: the entity set's type.

        ```python
        ODataQuery.parse("appId eq 'c0ffee00-…'", None, APPLICATION)
        ```
        """
        predicates = tuple(_clause(c, entity, flt or "") for c in _split_and(flt.strip())) if flt else ()
        selected: tuple[str, ...] = ()
        if select and select.strip():
            selected = tuple(s.strip() for s in select.split(","))
            known = {*entity.scalars, *entity.collections}
            for name in selected:
                if name not in known and name != "*":
                    raise graph_error(
                        400,
                        "BadRequest",
                        f"Could not find a property named '{name}' on type '{entity.odata_type}'.",
                    )
        return cls(predicates, selected)

    def matches(self, obj: dict[str, Any]) -> bool:
        """Whether ``obj`` (the entity's JSON) satisfies every clause of the filter.

        Args:
            obj: the entity as Graph answers it.

        ```python
        [sp for sp in sps if query.matches(sp)]
        ```
        """
        return all(p(obj) for p in self.predicates)

    def select(self, obj: dict[str, Any]) -> dict[str, Any]:
        """``obj`` reduced to the ``$select``ed properties (as Graph answers: only those, not even ``id``).

        Args:
            obj: the entity as Graph answers it.

        ```python
        query.select({"id": "1", "appId": "2", "displayName": "x"})  # with $select=appId: {"appId": "2"}
        ```
        """
        if not self.selected or "*" in self.selected:
            return obj
        return {k: v for k, v in obj.items() if k in self.selected}

    def context_suffix(self) -> str:
        """What ``@odata.context`` adds after the entity set for a ``$select`` (``(id,appId)``).

        ```python
        ODataQuery(selected=("id", "appId")).context_suffix()  # "(id,appId)"
        ```
        """
        return f"({','.join(self.selected)})" if self.selected and "*" not in self.selected else ""


def _unsupported(flt: str, prop: str | None, entity: EntityType) -> EmulatorHTTPError:
    message = (
        f"Unsupported or invalid query filter clause specified for property '{prop}' of resource "
        f"'{entity.name}'."
        if prop is not None
        else f"Invalid filter clause: {flt}"
    )
    return graph_error(400, "Request_UnsupportedQuery", message)


def _clause(text: str, entity: EntityType, flt: str) -> Predicate:
    m = _EQ.fullmatch(text)
    if m:
        prop = m["prop"]
        if prop not in entity.scalars:
            raise _unsupported(flt, prop, entity)
        want: Any = _LITERALS[m["lit"]] if m["s"] is None else _unquote(m["s"]).lower()
        return lambda o: _fold(o.get(prop)) == want
    m = _STARTSWITH.fullmatch(text)
    if m:
        prop, prefix = m["prop"], _unquote(m["s"]).lower()
        if prop not in entity.scalars:
            raise _unsupported(flt, prop, entity)
        return lambda o: isinstance(o.get(prop), str) and o[prop].lower().startswith(prefix)
    m = _IN.fullmatch(text)
    if m:
        prop, items = m["prop"], m["items"]
        if prop not in entity.scalars:
            raise _unsupported(flt, prop, entity)
        if not _ITEMS.fullmatch(items):
            raise _unsupported(flt, None, entity)
        allowed = {_unquote(v).lower() for v in _ITEM.findall(items)}
        return lambda o: _fold(o.get(prop)) in allowed
    m = _ANY.fullmatch(text)
    if m:
        prop = m["prop"]
        if prop not in entity.collections:
            raise _unsupported(flt, prop, entity)
        if m["eq"] is not None:
            value = _unquote(m["eq"]).lower()
            return lambda o: any(_fold(v) == value for v in o.get(prop) or ())
        prefix = _unquote(m["sw"]).lower()
        return lambda o: any(isinstance(v, str) and v.lower().startswith(prefix) for v in o.get(prop) or ())
    raise _unsupported(flt, None, entity)
