"""What the rows of a ``crossipam`` input file say: counts, subnets and tags read strictly into
[`DeploymentSpec`][crossipam.models.DeploymentSpec] values (``deploy --from-file``) and VNet ids
(``remove --from-file``).

A value of the wrong type — a boolean or a decimal where a count belongs, a Unicode digit (``²``, ``٣``), a
subnet without a name — is an [`InvalidInputError`][crossipam.errors.InvalidInputError] (exit code 2) naming
the file, the line and the field:

```python
specs = read_deployment_file("vnets.yaml", default_location="eastus")
# InvalidInputError: vnets.yaml line 4: number_of_ip_addresses: expected a whole number, got a boolean
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from ..errors import InvalidInputError
from ..models import DeploymentSpec, SubnetSpec
from ._errors import UsageError
from ._input import Row, Where, item_line, key_line, kind, load_rows, show

DEPLOY_FIELDS = ("vnet_id", "location", "pool_id", "number_of_ip_addresses", "subnets", "tags")
"""The keys of a VNet in a ``deploy --from-file`` file (CSV columns or YAML keys)."""
SUBNET_FIELDS = ("name", "number_of_ip_addresses")
"""The keys of a subnet given as a YAML mapping in a list."""

_DIGITS = re.compile(r"[0-9]{1,40}")  # ASCII only (``\d`` and ``int()`` also take ``²`` or ``٣``)


# ---- values --------------------------------------------------------------------------------------------------


def text_value(value: Any, where: Where) -> str:
    """A string value, stripped; anything else (null, numbers, mappings, lists …) is refused.

    ```python
    text_value(" eastus ", where)   # 'eastus'
    ```
    """
    if isinstance(value, str):
        return value.strip()
    scalar = isinstance(value, (int, float)) or type(value).__name__ in ("date", "datetime")
    _refuse(where, f"expected text, got {kind(value)}" + (" (put it in quotes)" if scalar else ""))


def _refuse(where: Where, problem: str, hint: str | None = None) -> NoReturn:
    raise where.error(problem, hint=hint)


def count_value(value: Any, where: Where) -> int:
    """A positive number of addresses: an integer, or ASCII digits as text; booleans, decimals, signs and
    non-ASCII digits (``²``, ``٣``) are refused.

    ```python
    count_value("64", where)   # 64
    count_value(True, where)   # raises InvalidInputError: expected a whole number, got a boolean (true/false)
    ```
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        _refuse(where, f"expected a whole number, got {kind(value)}")
    if isinstance(value, str):
        digits = value.strip()
        if not _DIGITS.fullmatch(digits):
            _refuse(where, f"{show(value)} is not a whole number (ASCII digits 0-9)")
        value = int(digits)
    number = int(value)
    if number <= 0:
        _refuse(where, f"the number of addresses must be positive, got {number}")
    return number


def _subnet(name: Any, count: Any, where: Where, count_where: Where) -> SubnetSpec:
    text = text_value(name, where)
    if not text:
        _refuse(where, "a subnet needs a name")
    number = count_value(count, count_where)
    try:
        return SubnetSpec(text, number)
    except InvalidInputError as err:
        _refuse(where, err.message)


def subnets_from_text(text: str, where: Where) -> tuple[SubnetSpec, ...]:
    """``"app:64;data:16"`` (``,`` also separates) → subnet specs.

    ```python
    subnets_from_text("app:64;data:16", Where("--subnets"))   # (SubnetSpec('app', 64), SubnetSpec('data', 16))
    ```
    """
    out: list[SubnetSpec] = []
    for part in text.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        name, sep, count = part.partition(":")
        if not sep or not _DIGITS.fullmatch(count.strip()):
            raise where.error(f'subnet {show(part)}: expected NAME:COUNT, e.g. "app:64"')
        out.append(_subnet(name.strip(), count, where, where))
    return _unique_subnets(out, where)


def _unique_subnets(specs: Sequence[SubnetSpec], where: Where) -> tuple[SubnetSpec, ...]:
    seen: set[str] = set()
    for spec in specs:
        if spec.name.lower() in seen:  # Azure's subnet names are case-insensitive
            raise where.error(f"subnet {spec.name!r} is listed twice")
        seen.add(spec.name.lower())
    return tuple(specs)


def subnets_value(value: Any, where: Where) -> tuple[SubnetSpec, ...]:
    """The ``subnets`` of a VNet: text (``"app:64;data:16"``), a mapping ``{app: 64}`` or a list of
    ``{name: app, number_of_ip_addresses: 64}`` mappings or ``"app:64"`` texts.

    ```python
    subnets_value({"app": 64}, where)   # (SubnetSpec('app', 64),)
    ```
    """
    if isinstance(value, str):
        return subnets_from_text(value, where)
    if isinstance(value, Mapping):
        return _unique_subnets(
            [
                _subnet(k, v, where.at(None, key_line(value, k)), where.at(str(k), key_line(value, k)))
                for k, v in value.items()
            ],
            where,
        )
    if not isinstance(value, list):
        _refuse(where, f'expected "app:64;data:16", a mapping or a list, got {kind(value)}')
    specs: list[SubnetSpec] = []
    for i, item in enumerate(value):
        at = where.at(f"[{i + 1}]", item_line(value, i, where.line))
        if isinstance(item, str):
            specs.extend(subnets_from_text(item, at))
            continue
        if not isinstance(item, Mapping):
            _refuse(
                at, f'expected a mapping (name: …, number_of_ip_addresses: …) or "app:64", got {kind(item)}'
            )
        for key in item:
            if key not in SUBNET_FIELDS:
                _refuse(
                    at.at(str(key), key_line(item, key)),
                    f"unknown key (the keys are {', '.join(SUBNET_FIELDS)})",
                )
        for key in SUBNET_FIELDS:
            if key not in item:
                _refuse(at.at(key), "missing" if key != "name" else "missing (a subnet needs a name)")
        specs.append(
            _subnet(
                item["name"],
                item["number_of_ip_addresses"],
                at.at("name", key_line(item, "name")),
                at.at("number_of_ip_addresses", key_line(item, "number_of_ip_addresses")),
            )
        )
    return _unique_subnets(specs, where)


def tags_value(value: Any, where: Where) -> dict[str, str]:
    """Tags: a mapping of text to text, ``"env=prod;owner=net"`` (``,`` also separates) or a list of
    ``"KEY=VALUE"`` texts.

    ```python
    tags_value("env=prod;owner=net", where)   # {'env': 'prod', 'owner': 'net'}
    ```
    """
    out: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, val in value.items():
            line = key_line(value, key)
            name = text_value(key, where.at(None, line))
            if not name:
                _refuse(where.at(None, line), "a tag needs a name")
            out[name] = text_value(val, where.at(name, line))
        return out
    if isinstance(value, str):
        items: list[tuple[str, Where]] = [(item, where) for item in value.replace(",", ";").split(";")]
    elif isinstance(value, list):
        items = []
        for i, item in enumerate(value):
            at = where.at(f"[{i + 1}]", item_line(value, i, where.line))
            items.append((text_value(item, at), at))
    else:
        _refuse(where, f'expected a mapping or "KEY=VALUE;KEY=VALUE" text, got {kind(value)}')
    for item, at in items:
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            _refuse(at, f"tag {show(item)}: expected KEY=VALUE")
        if key.strip() in out:
            _refuse(at, f"tag {key.strip()!r} is given twice")
        out[key.strip()] = val.strip()
    return out


# ---- what the commands read ----------------------------------------------------------------------------------


def deployment_specs(
    rows: Sequence[Row], *, default_location: str | None, default_pool_id: str | None
) -> list[DeploymentSpec]:
    """The [`DeploymentSpec`][crossipam.models.DeploymentSpec] of each row; empty ``location`` / ``pool_id``
    take the defaults.

    ```python
    deployment_specs(load_rows("vnets.csv", fields=DEPLOY_FIELDS), default_location="eastus", default_pool_id=None)
    ```
    """
    specs = []
    for row in rows:
        found: dict[str, str] = {}
        for key, default in (("vnet_id", None), ("location", default_location), ("pool_id", default_pool_id)):
            got = row.get(key)
            found[key] = (text_value(*got) if got is not None else "") or (default or "").strip()
        count = row.get("number_of_ip_addresses")
        missing = [key for key in ("vnet_id", "location", "pool_id") if not found[key]]
        missing += ["number_of_ip_addresses"] if count is None else []
        if missing or count is None:
            raise row.where.error(f"missing {', '.join(missing)}")
        subnets, tags = row.get("subnets"), row.get("tags")
        specs.append(
            DeploymentSpec(
                found["vnet_id"],
                found["location"],
                found["pool_id"],
                count_value(*count),
                subnets=subnets_value(*subnets) if subnets is not None else (),
                tags=(tags_value(*tags) or None) if tags is not None else None,
            )
        )
    return specs


def vnet_ids(rows: Sequence[Row]) -> list[str]:
    """The ``vnet_id`` of each row (``remove --from-file``); rows without one are skipped.

    ```python
    vnet_ids(load_rows("remove.csv"))
    ```
    """
    ids = []
    for row in rows:
        got = row.get("vnet_id")
        if got is not None and (vnet_id := text_value(*got)):
            ids.append(vnet_id)
    return ids


# ---- the files of deploy/remove --from-file -------------------------------------------------------------------


def parse_subnets(text: str) -> tuple[SubnetSpec, ...]:
    """``"app:64;data:16"`` → subnet specs (``,`` also separates); raises
    [`InvalidInputError`][crossipam.errors.InvalidInputError].

    ```python
    parse_subnets("app:64;data:16")   # (SubnetSpec('app', 64), SubnetSpec('data', 16))
    ```
    """
    return subnets_from_text(text, Where(""))


def read_deployment_file(
    path: str, *, default_location: str | None = None, default_pool_id: str | None = None
) -> list[DeploymentSpec]:
    """Read a CSV or YAML file of VNets to deploy into [`DeploymentSpec`][crossipam.models.DeploymentSpec]
    values.

    Columns/keys: ``vnet_id``, ``location``, ``pool_id``, ``number_of_ip_addresses``, ``subnets``
    (``"app:64;data:16"``), optional ``tags`` (``"env=prod;owner=net"``); others are refused. Empty
    ``location``/``pool_id`` take the defaults. Raises
    [`InvalidInputError`][crossipam.errors.InvalidInputError] naming the file, the line and the field: for a
    file larger than `MAX_INPUT_FILE_BYTES`, not UTF-8, not valid CSV/YAML, with YAML anchors, aliases or
    duplicate keys, or with a value of the wrong type.

    ```python
    specs = read_deployment_file("vnets.csv", default_pool_id=pool_id)
    client.deploy_many(specs)
    ```
    """
    rows = load_rows(path, fields=DEPLOY_FIELDS)
    specs = deployment_specs(rows, default_location=default_location, default_pool_id=default_pool_id)
    if not specs:
        raise UsageError(f"{path} lists no VNets")
    return specs


def read_removal_file(path: str) -> list[str]:
    """Read the ``vnet_id`` column (CSV) or key (YAML) of a file; other columns are ignored, rows without an id
    skipped. Raises [`InvalidInputError`][crossipam.errors.InvalidInputError] like `read_deployment_file`.

    ```python
    client.remove_many(read_removal_file("vnets.csv"))
    ```
    """
    ids = vnet_ids(load_rows(path))
    if not ids:
        raise UsageError(f"{path} lists no VNets")
    return ids
