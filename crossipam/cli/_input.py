"""The files the ``crossipam`` console script reads, read defensively: size cap, UTF-8, CSV, and YAML read
strictly (no anchors, aliases or duplicate keys). What the rows say is read in `crossipam.cli._specs`.

Every problem with an input file — too large, not UTF-8, binary, malformed CSV or YAML, YAML anchors or
aliases, duplicate keys — is an [`InvalidInputError`][crossipam.errors.InvalidInputError] (exit code 2) whose
message names the file, the line where there is one and the field:

```python
rows = load_rows("vnets.yaml", fields=DEPLOY_FIELDS)
# InvalidInputError: vnets.yaml line 4: duplicate key 'location' (first on line 2)
```

PyYAML is imported only when a YAML file is read (``import crossipam`` never imports it).
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import re
import stat
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInputError

MAX_INPUT_FILE_BYTES = 1024 * 1024
"""The largest input file crossipam reads (spec files, certificates, token files): 1 MiB. Larger files are
refused before they are read."""
MAX_YAML_DEPTH = 16
"""The deepest nesting of collections a YAML file may have (a VNet file needs 5 levels)."""

_YAML_SUFFIXES = (".yaml", ".yml")
_NO_ALIASES_HINT = "write the values out: crossipam does not accept YAML anchors (&name) or aliases (*name)"


@dataclass(frozen=True)
class Where:
    """A place in the input: the file (or the option), the line and the field an error message names.

    ```python
    Where("vnets.yaml", 4, "tags").error("expected a mapping")   # "vnets.yaml line 4: tags: expected a mapping"
    ```
    """

    source: str
    line: int | None = None
    field: str | None = None

    def at(self, field: str | None = None, line: int | None = None) -> Where:
        """The same place, deeper: ``field`` is appended (``subnets`` → ``subnets[2].name``).

        ```python
        Where("f.yaml", 3, "subnets").at("[2].name", 5)   # Where('f.yaml', 5, 'subnets[2].name')
        ```
        """
        name = self.field
        if field is not None:
            name = (
                f"{name}{field}" if name and field.startswith("[") else f"{name}.{field}" if name else field
            )
        return Where(self.source, line if line is not None else self.line, name)

    def error(self, problem: str, hint: str | None = None) -> InvalidInputError:
        """The error to raise, its message naming this place.

        ```python
        raise Where("vnets.csv", 2, "location").error("missing")
        ```
        """
        place = self.source + (f" line {self.line}" if self.line is not None else "")
        message = f"{self.field}: {problem}" if self.field else problem
        return InvalidInputError(f"{place}: {message}" if place else message, hint=hint)


@dataclass(frozen=True)
class Row:
    """One VNet read from a file: its values by key, the line of each key, and where the VNet starts. ``text``
    rows come from CSV (every value is a string; an empty cell is no value).

    ```python
    load_rows("vnets.csv")[0].values["vnet_id"]
    ```
    """

    where: Where
    values: Mapping[str, Any]
    lines: Mapping[str, int]
    text: bool

    def get(self, key: str) -> tuple[Any, Where] | None:
        """``(value, where)`` of ``key``, or ``None`` when the key is absent (or an empty CSV cell).

        ```python
        value, where = row.get("location") or (default, row.where)
        ```
        """
        if key not in self.values or (self.text and not str(self.values[key]).strip()):
            return None
        return self.values[key], self.where.at(key, self.lines.get(key))


# ---- raw files ---------------------------------------------------------------------------------------------


def read_input_file(path: str, field: str | None = None) -> bytes:
    """The bytes of ``path``, at most `MAX_INPUT_FILE_BYTES` (a larger file is refused before it is read).

    ``field`` names the option or variable that gave the path, for the error message.

    ```python
    read_input_file("app.pem", "--certificate")
    ```
    """
    where = Where(f"{field} {path}" if field else path)
    try:
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise where.error("is a directory, not a file")
            if stat.S_ISREG(info.st_mode) and info.st_size > MAX_INPUT_FILE_BYTES:
                raise _too_large(where, info.st_size)
            data = file.read(MAX_INPUT_FILE_BYTES + 1)
    except OSError as err:
        raise where.error(f"cannot read it: {err.strerror or type(err).__name__}") from None
    if len(data) > MAX_INPUT_FILE_BYTES:
        raise _too_large(where, None)
    return data


def _too_large(where: Where, size: int | None) -> InvalidInputError:
    actual = f" ({size:,} bytes)" if size is not None else ""
    return where.error(
        f"the file is larger than the {_size(MAX_INPUT_FILE_BYTES)} crossipam reads{actual}",
        hint="split it into smaller files",
    )


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"


def decode_text(data: bytes, path: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); binary data (a NUL byte) and other encodings are refused.

    ```python
    decode_text(b"vnet_id\\n", "vnets.csv")   # 'vnet_id\\n'
    ```
    """
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    nul = data.find(b"\x00", start)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise Where(path, line).error("binary data (a NUL byte), not UTF-8 text")
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, start + err.start) + 1
        byte = data[start + err.start]
        raise Where(path, line).error(
            f"not UTF-8 text (byte 0x{byte:02x})", hint="save the file as UTF-8"
        ) from None


# ---- CSV and YAML rows -------------------------------------------------------------------------------------


def load_rows(path: str, *, fields: Sequence[str] | None = None) -> list[Row]:
    """The VNets of a CSV or YAML (``.yaml``/``.yml``) file, one `Row` each, in file order.

    With ``fields``, other columns or keys are refused (without, they are ignored); ``vnet_id`` is always
    required as a column (CSV).

    ```python
    load_rows("vnets.csv", fields=("vnet_id", "location"))
    ```
    """
    text = decode_text(read_input_file(path), path)
    if path.lower().endswith(_YAML_SUFFIXES):
        return _yaml_rows(text, path, fields)
    return _csv_rows(text, path, fields)


def _csv_rows(text: str, path: str, fields: Sequence[str] | None) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row] = []
    try:
        header = next(reader, None)
        names = [name.strip() for name in header or ()]
        if "vnet_id" not in names:
            raise Where(path, 1).error("a CSV file needs a header row with at least a vnet_id column")
        seen: set[str] = set()
        for name in names:
            if name in seen and name:
                raise Where(path, 1, name).error("the column is named twice")
            seen.add(name)
            if fields is not None and name and name not in fields:
                raise Where(path, 1, name).error(f"unknown column (the columns are {', '.join(fields)})")
        for record in reader:
            if not record:
                continue
            where = Where(path, reader.line_num)
            values: dict[str, str] = {}
            for i, cell in enumerate(record):
                column = names[i] if i < len(names) else None
                if column:
                    values[column] = cell.strip()
                elif cell.strip() and (column is None or fields is not None):
                    raise where.error(
                        f"{len(record)} cells, but the header names {len([n for n in names if n])} columns",
                        hint="put cells that contain a comma in double quotes",
                    )
            rows.append(Row(where, values, {}, text=True))
    except csv.Error as err:
        raise Where(path, reader.line_num or 1).error(f"not valid CSV: {err}") from None
    return rows


def _yaml_rows(text: str, path: str, fields: Sequence[str] | None) -> list[Row]:
    data = load_yaml(text, path)
    where = Where(path, line_of(data, 1))
    items: Any = data
    if isinstance(data, Mapping):
        for key in data:
            if key != "vnets":
                line = key_line(data, key)
                raise Where(path, line).error(
                    f"unknown key {show(key)}: expected a list of VNets, or a mapping with only a 'vnets' list"
                )
        if "vnets" not in data:
            raise where.error("expected a list of VNets, or a mapping with a 'vnets' list")
        items, where = data["vnets"], where.at("vnets", key_line(data, "vnets"))
    if not isinstance(items, list):
        raise where.error(
            f"expected a list of VNets (mappings), or a mapping with a 'vnets' list, got {kind(items)}"
        )
    rows = []
    for i, item in enumerate(items):
        item_where = Where(path, item_line(items, i, where.line))
        if not isinstance(item, Mapping):
            raise item_where.error(f"VNet {i + 1}: expected a mapping (vnet_id: …), got {kind(item)}")
        for key in item:
            if not isinstance(key, str):
                raise Where(path, key_line(item, key)).error(
                    f"VNet {i + 1}: a key must be text, got {kind(key)}"
                )
            if fields is not None and key not in fields:
                raise Where(path, key_line(item, key), key).error(
                    f"unknown key (the keys are {', '.join(fields)})"
                )
        lines = {key: line for key in item if (line := key_line(item, key)) is not None}
        rows.append(Row(Where(path, line_of(item, item_where.line)), dict(item), lines, text=False))
    return rows


class _LinedDict(dict[Any, Any]):
    """A YAML mapping that remembers its line and the line of each key."""

    line: int
    key_lines: dict[Any, int]


class _LinedList(list[Any]):
    """A YAML sequence that remembers its line and the line of each item."""

    line: int
    item_lines: list[int]


def line_of(value: Any, default: int | None) -> int | None:
    """The line a YAML mapping or list starts on (``default`` for other values and for CSV).

    ```python
    line_of(load_yaml("vnets: []\\n", "f.yaml"), 1)   # 1
    ```
    """
    return getattr(value, "line", default)


def key_line(mapping: Any, key: Any) -> int | None:
    """The line of ``key`` in a YAML mapping (``None`` when unknown).

    ```python
    key_line(load_yaml("a: 1\\nb: 2\\n", "f.yaml"), "b")   # 2
    ```
    """
    lines = getattr(mapping, "key_lines", None)
    return lines.get(key) if lines is not None else line_of(mapping, None)


def item_line(sequence: Any, index: int, default: int | None) -> int | None:
    """The line of item ``index`` of a YAML list (``default`` when unknown).

    ```python
    item_line(load_yaml("- a\\n- b\\n", "f.yaml"), 1, None)   # 2
    ```
    """
    lines = getattr(sequence, "item_lines", None)
    return lines[index] if lines is not None and index < len(lines) else default


class _Refused(Exception):  # internal: becomes an InvalidInputError naming the file
    """A YAML construct crossipam does not accept, found at ``line``."""

    def __init__(self, line: int, problem: str, hint: str | None = None) -> None:
        super().__init__(problem)
        self.line, self.problem, self.hint = line, problem, hint


def load_yaml(text: str, path: str) -> Any:
    """Parse one YAML document with PyYAML's safe loader, refusing anchors, aliases, merge keys (``<<``),
    duplicate keys and nesting deeper than `MAX_YAML_DEPTH`; mappings and lists remember their lines.

    ```python
    load_yaml("vnets: []\\n", "vnets.yaml")   # {'vnets': []}
    ```
    """
    try:
        import yaml
    except ImportError:
        raise InvalidInputError(
            f"{path} is YAML, which needs PyYAML", hint='pip install "crossipam[cli]" (or use a CSV file)'
        ) from None
    loader = None
    try:
        loader = _yaml_loader()(text)  # PyYAML's reader checks every character here
        return loader.get_single_data()
    except _Refused as err:
        raise Where(path, err.line).error(err.problem, hint=err.hint) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = " ".join(p for p in (err.context, err.problem) if p) or "malformed"
        raise Where(path, mark.line + 1 if mark else None).error(f"not valid YAML: {problem}") from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1 if isinstance(err.position, int) else None
        character = f"U+{err.character:04X}" if isinstance(err.character, int) else repr(err.character)
        raise Where(path, line).error(f"not valid YAML: the character {character} is not allowed") from None
    except yaml.YAMLError as err:
        raise Where(path).error(
            f"not valid YAML: {str(err).splitlines()[0] if str(err) else 'malformed'}"
        ) from None
    except RecursionError:
        raise Where(path).error(f"nested more than {MAX_YAML_DEPTH} levels deep") from None
    finally:
        if loader is not None:
            loader.dispose()


@functools.cache
def _yaml_loader() -> Any:
    """PyYAML's ``SafeLoader`` made strict (built on first use: PyYAML is imported lazily)."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.depth = 0

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.AliasEvent):
                raise _Refused(line, "YAML aliases (*name) are not accepted", _NO_ALIASES_HINT)
            if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                raise _Refused(line, "YAML anchors (&name) are not accepted", _NO_ALIASES_HINT)
            if self.depth >= MAX_YAML_DEPTH:
                raise _Refused(line, f"nested more than {MAX_YAML_DEPTH} levels deep")
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep=deep)
            except (ValueError, TypeError, ArithmeticError):  # e.g. a date like 2024-13-45, a huge integer
                raise _Refused(
                    node.start_mark.line + 1,
                    "a value that cannot be read, e.g. a date or number out of range (quote it)",
                ) from None

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
            if not isinstance(node, yaml.MappingNode):
                return super().construct_mapping(node, deep=deep)  # raises PyYAML's ConstructorError
            data = _LinedDict()
            data.line, data.key_lines = node.start_mark.line + 1, {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Refused(line, "YAML merge keys (<<) are not accepted", _NO_ALIASES_HINT)
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise _Refused(line, f"a key must be text, got {kind(key)}") from None
                if key in data:
                    raise _Refused(line, f"duplicate key {show(key)} (first on line {data.key_lines[key]})")
                data.key_lines[key] = line
                data[key] = self.construct_object(value_node, deep=True)
            return data

    def construct_map(loader: StrictLoader, node: yaml.MappingNode) -> _LinedDict:
        data = loader.construct_mapping(node, deep=True)
        assert isinstance(data, _LinedDict)
        return data

    def construct_seq(loader: StrictLoader, node: yaml.SequenceNode) -> _LinedList:
        if not isinstance(node, yaml.SequenceNode):  # e.g. "!!seq text"
            raise yaml.constructor.ConstructorError(None, None, "expected a sequence", node.start_mark)
        items = _LinedList(loader.construct_object(child, deep=True) for child in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items

    # Integers are decimal only: YAML 1.1 also reads 0x40, 0o100, 0100 (octal), 1_000 and 1:04 (base 60) as
    # integers; those stay text here, which a count then refuses.
    int_tag = "tag:yaml.org,2002:int"
    StrictLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != int_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    StrictLoader.add_implicit_resolver(int_tag, re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789"))
    StrictLoader.add_constructor("tag:yaml.org,2002:map", construct_map)
    StrictLoader.add_constructor("tag:yaml.org,2002:seq", construct_seq)
    return StrictLoader


# ---- words for messages ------------------------------------------------------------------------------------


def kind(value: Any) -> str:
    """What a value is, in words (for messages that must not echo it).

    ```python
    kind(True)   # 'a boolean (true/false)'
    ```
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean (true/false)"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, (set, frozenset)):
        return "a set"
    return f"a {type(value).__name__}"  # dates and times


def show(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (for messages that quote a short value).

    ```python
    show("app:x")   # "'app:x'"
    ```
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…'"
