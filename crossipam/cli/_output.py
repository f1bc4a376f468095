"""How a command's result is printed, the way ``az`` does it: ``--query`` (JMESPath) first, then ``--output``
``json`` (default for scripts), ``jsonc`` (coloured on a terminal), ``table`` (for people, the default), ``tsv``
(one line per item, values separated by tabs), ``yaml`` or ``none``.

```python
emit(args, sys.stdout, deployment.to_dict(), lambda out: print_deployment(deployment, out))
```
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, TextIO

from ._errors import UsageError

OUTPUT_FORMATS = ("json", "jsonc", "table", "tsv", "yaml", "none")
"""The values of ``--output`` (``-o``), as ``az`` names them."""

_EXTRA_HINT = 'pip install -e ".[cli]" in the checkout of crossipam'


def apply_query(query: str | None, data: Any) -> Any:
    """``data`` filtered by the JMESPath expression ``query`` (``data`` itself without one).

    Args:
        query: A JMESPath expression (``--query``), or ``None``.
        data: The result as JSON-shaped data.

    ```python
    apply_query("checks[?status=='fail'].name", report_to_dict(report))   # ['ipam_pool_user_on_pool']
    ```
    """
    if not query:
        return data
    try:
        import jmespath
        from jmespath.exceptions import JMESPathError
    except ImportError:
        raise UsageError("--query needs jmespath, which is not installed", hint=_EXTRA_HINT) from None
    try:
        return jmespath.search(query, data)
    except JMESPathError as err:
        raise UsageError(f"--query {query!r} is not valid JMESPath: {err}".replace("\n", " ")) from None


def emit(args: argparse.Namespace, out: TextIO, data: Any, table: Callable[[TextIO], None]) -> None:
    """Print a command's result as ``--query`` and ``--output`` ask: ``table`` draws the command's own table
    (``table(out)``) unless a query reshaped the result, which is then shown as a generic table.

    Args:
        args: The parsed options (``output``, ``query``).
        out: Where to write (stdout).
        data: The result as JSON-shaped data (what ``-o json`` prints).
        table: Writes the command's own table for people.

    ```python
    emit(args, sys.stdout, usage_json(pool_id, usage), lambda o: print_usage(pool_id, usage, o))
    ```
    """
    query = getattr(args, "query", None)
    output = getattr(args, "output", "table")
    shown = apply_query(query, data)
    if output == "none":
        return
    if output == "table":
        if query:
            generic_table(shown, out)
        else:
            table(out)
    elif output == "tsv":
        out.write(tsv(shown))
    elif output == "yaml":
        out.write(to_yaml(shown))
    elif output == "jsonc" and out.isatty():
        _coloured_json(shown, out)
    else:
        out.write(json.dumps(shown, indent=2, default=str) + "\n")


def _coloured_json(data: Any, out: TextIO) -> None:
    try:
        from rich.console import Console
    except ImportError:  # without the cli extra: plain JSON
        out.write(json.dumps(data, indent=2, default=str) + "\n")
        return
    Console(file=out, force_terminal=True, soft_wrap=True).print_json(json.dumps(data, default=str))


def to_yaml(data: Any) -> str:
    """``data`` as YAML (``-o yaml``), keys in the order of the JSON.

    Args:
        data: JSON-shaped data.

    ```python
    to_yaml({"ok": True})   # 'ok: true\\n'
    ```
    """
    try:
        import yaml
    except ImportError:
        raise UsageError("--output yaml needs PyYAML, which is not installed", hint=_EXTRA_HINT) from None
    return str(yaml.safe_dump(json.loads(json.dumps(data, default=str)), sort_keys=False, allow_unicode=True))


def _tsv_cell(value: Any) -> str:
    if isinstance(value, list):
        return str(len(value))  # as az: a nested list shows its length, a nested object nothing
    if isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def tsv(data: Any) -> str:
    """``data`` as ``az -o tsv`` writes it: one line per item of a list (or one for an object or a value), an
    object's values separated by tabs in the order of the JSON; nested lists show their length, nested objects
    an empty cell — use ``--query`` to pick the fields.

    Args:
        data: JSON-shaped data.

    ```python
    tsv([{"name": "a", "prefixes": ["10.0.0.0/24"]}])   # 'a\\t1\\n'
    ```
    """
    lines = []
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            lines.append("\t".join(_tsv_cell(v) for v in item.values()))
        elif isinstance(item, list):
            lines.append("\t".join(_tsv_cell(v) for v in item))
        else:
            lines.append(_tsv_cell(item))
    return "".join(line + "\n" for line in lines)


def generic_table(data: Any, out: TextIO) -> None:
    """A query's result as a table: a list of objects one row each (their keys as the header), a list of
    values or a single value under ``Result``, an object as one row.

    Args:
        data: JSON-shaped data (what the query returned).
        out: Where to write.

    ```python
    generic_table([{"name": "a", "status": "pass"}], sys.stdout)
    ```
    """
    items = data if isinstance(data, list) else [data]
    if items and all(isinstance(i, dict) for i in items):
        header = list(dict.fromkeys(k for i in items for k in i))
        rows = [[_tsv_cell(i.get(k, "")) for k in header] for i in items]
    else:
        header, rows = ["Result"], [[_tsv_cell(i)] for i in items]
    rows = [[h.replace("_", " ").title() for h in header], [("-" * len(h)) for h in header], *rows]
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)
