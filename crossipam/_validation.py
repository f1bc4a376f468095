"""Argument checks shared by deploy, readiness and the deployment planner: address counts and tags, as Azure
checks them, before any request.

```python
from crossipam._validation import check_count, check_tags, merge_tags

check_count(256, "number_of_ip_addresses")                  # 256
check_tags({"env": "prod", "owner": "net"})                 # {'env': 'prod', 'owner': 'net'}
merge_tags({"Env": "dev", "cost": "1"}, {"env": "prod"})    # {'Env': 'prod', 'cost': '1'}
```

Tag rules (Azure's "Use tags to organize your Azure resources"): at most 50 tags per resource; a tag name is 1 to
512 characters without ``<``, ``>``, ``%``, ``&``, ``\\``, ``?``, ``/``; a value is at most 256 characters (it may
be empty); names and values are strings. Tag names are case-insensitive (``Env`` and ``env`` are one tag), values
are not. Lengths count UTF-16 code units, as Azure does.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._resource_ids import utf16_length
from .errors import DeploymentRefusedError, InvalidInputError

__all__ = [
    "MAX_TAGS_PER_RESOURCE",
    "MAX_TAG_NAME_LENGTH",
    "MAX_TAG_VALUE_LENGTH",
    "TAG_NAME_FORBIDDEN",
    "check_count",
    "check_tags",
    "merge_tags",
]

# Azure's limits on tags.
MAX_TAGS_PER_RESOURCE = 50
MAX_TAG_NAME_LENGTH = 512
MAX_TAG_VALUE_LENGTH = 256
TAG_NAME_FORBIDDEN = "<>%&\\?/"
"""Characters a tag name may not contain."""

_TAG_RULE = (
    f"Azure allows at most {MAX_TAGS_PER_RESOURCE} tags per resource; a tag name is 1 to {MAX_TAG_NAME_LENGTH} "
    f"characters without < > % & \\ ? /, a value at most {MAX_TAG_VALUE_LENGTH} characters, and both are strings"
)


def check_count(value: object, what: str, limit: int | None = None) -> int:
    """A count of addresses: a positive ``int`` (not a ``bool``), at most ``limit``; raises
    [`InvalidInputError`][crossipam.errors.InvalidInputError] naming ``what``.

    ```python
    check_count(16, "number_of_ip_addresses", 2**32)    # 16
    check_count(True, "number_of_ip_addresses")         # raises InvalidInputError
    ```
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInputError(
            f"{what} must be a positive integer, got {value!r}",
            hint="pass a whole number of addresses, e.g. 256 (True/False and strings are not counts)",
        )
    if limit is not None and value > limit:
        raise InvalidInputError(
            f"{what} is {value}, more than a pool of that IP family can hold ({limit})",
            hint="ask for fewer addresses",
        )
    return value


def _tag_error(message: str) -> InvalidInputError:
    return InvalidInputError(message, hint=_TAG_RULE)


def check_tags(tags: object, *, what: str = "tags") -> dict[str, str]:
    """Validate tags as Azure does (see the module's docstring); returns them as a new ``dict``. Raises
    [`InvalidInputError`][crossipam.errors.InvalidInputError] naming the tag and the rule.

    ```python
    check_tags({"env": "prod"})          # {'env': 'prod'}
    check_tags({"a/b": "x"})             # raises InvalidInputError: tag name 'a/b' contains '/' …
    ```
    """
    if not isinstance(tags, Mapping):
        raise _tag_error(f"{what} must map strings to strings, got {type(tags).__name__}")
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, value in tags.items():
        if not isinstance(name, str):
            raise _tag_error(f"{what}: tag name {name!r} must be a string, got {type(name).__name__}")
        if not isinstance(value, str):
            raise _tag_error(
                f"{what}: the value of tag {name!r} must be a string, got {type(value).__name__}"
            )
        if not name:
            raise _tag_error(f"{what}: a tag name is empty")
        if utf16_length(name) > MAX_TAG_NAME_LENGTH:
            raise _tag_error(
                f"{what}: tag name {name[:40]!r}… is {utf16_length(name)} characters long, more than "
                f"{MAX_TAG_NAME_LENGTH}"
            )
        bad = next((c for c in name if c in TAG_NAME_FORBIDDEN), None)
        if bad is not None:
            raise _tag_error(f"{what}: tag name {name!r} contains {bad!r}, which Azure refuses in tag names")
        if utf16_length(value) > MAX_TAG_VALUE_LENGTH:
            raise _tag_error(
                f"{what}: the value of tag {name!r} is {utf16_length(value)} characters long, more than "
                f"{MAX_TAG_VALUE_LENGTH}"
            )
        other = seen.get(name.lower())
        if other is not None:
            raise _tag_error(
                f"{what}: tag names {other!r} and {name!r} differ only in case; Azure's tag names are "
                "case-insensitive, so they name the same tag"
            )
        seen[name.lower()] = name
        out[name] = value
    if len(out) > MAX_TAGS_PER_RESOURCE:
        raise _tag_error(
            f"{what}: {len(out)} tags, more than the {MAX_TAGS_PER_RESOURCE} Azure allows per resource"
        )
    return out


def merge_tags(
    existing: Mapping[str, object] | None, requested: Mapping[str, str], *, resource_id: str | None = None
) -> dict[str, str]:
    """The tags a resource has after ``requested`` (already checked by `check_tags`) is merged into its
    ``existing`` tags (as read): a requested tag replaces the value of the existing tag of the same name
    compared case-insensitively, keeping that tag's spelling and place; new tags come last. Raises
    [`DeploymentRefusedError`][crossipam.errors.DeploymentRefusedError] (for ``resource_id``) when the result
    would hold more than 50 tags — before anything is written.

    ```python
    merge_tags({"Env": "dev"}, {"env": "prod", "owner": "net"})    # {'Env': 'prod', 'owner': 'net'}
    ```
    """
    merged = {str(name): str(value) for name, value in (existing or {}).items()}
    spelled = {name.lower(): name for name in merged}
    for name, value in requested.items():
        merged[spelled.get(name.lower(), name)] = value
    if len(merged) > MAX_TAGS_PER_RESOURCE:
        kept = len(merged) - len(requested)
        raise DeploymentRefusedError(
            f"{resource_id or 'the resource'} would have {len(merged)} tags after the merge ({kept} kept + "
            f"{len(requested)} given), more than the {MAX_TAGS_PER_RESOURCE} Azure allows per resource",
            resource_id=resource_id,
            hint="the given tags are merged into the existing ones: remove some tags from the resource, or pass "
            "fewer",
        )
    return merged
