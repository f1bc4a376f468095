"""Bulk work's items: what ``deploy_many`` / ``remove_many`` accept, checked before any request (re-exported by
[`crossipam.bulk`][]).

```python
items, run = prepare_bulk(specs, "deploy_many", {"max_concurrency": 4})
```
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

from ._bulk_retry import DEFAULT_MAX_ATTEMPTS
from ._bulk_spacing import StartSpacing
from ._resource_ids import ResourceId, VirtualNetworkId
from .errors import (
    InvalidInputError,
)
from .models import BulkItemResult, DeploymentSpec

__all__ = [
    "BulkItem",
    "ProgressCallback",
    "VnetOrSpec",
    "bulk_items",
    "check_bulk_call",
    "prepare_bulk",
    "spec_of",
]


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")


ProgressCallback = Callable[[int, int, BulkItemResult], None]
"""``on_progress(done, total, item)``: called once per finished item, one call at a time."""
VnetOrSpec = Union[str, VirtualNetworkId, DeploymentSpec]  # noqa: UP007 (runtime alias on 3.10)

# ---- items ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkItem:
    """One unit of work: its position, VNet id (as given), subscription and the spec (if any).

    ```python
    bulk_items([vnet_id])[0].subscription     # the VNet's subscription id, lower-cased
    ```
    """

    index: int
    vnet_id: str
    subscription: str
    spec: DeploymentSpec | None
    target: str | VirtualNetworkId


def bulk_items(values: Iterable[VnetOrSpec]) -> list[BulkItem]:
    """Number the inputs and find each one's subscription (an unparsable id gets ``""``; it fails alone when
    it runs).

    Args:
        values: VNet ids (``str`` or ``VirtualNetworkId``) or ``DeploymentSpec`` values, in input order.

    ```python
    [i.subscription for i in bulk_items(specs)]
    ```
    """
    out: list[BulkItem] = []
    for index, value in enumerate(values):
        spec = value if isinstance(value, DeploymentSpec) else None
        target = value.vnet_id if isinstance(value, DeploymentSpec) else value
        try:
            subscription = VirtualNetworkId.parse(target).subscription_id.lower()
        except Exception:  # not an id (or not even a string): the item fails alone when it runs
            subscription = ""
        out.append(BulkItem(index, _text(target), subscription, spec, target))
    return out


def _text(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}>"


_BULK_OPTIONS = frozenset({"max_concurrency", "on_progress", "max_attempts", "sleep", "clock"})


def prepare_bulk(
    values: object, operation: Literal["deploy_many", "remove_many"], options: Mapping[str, Any]
) -> tuple[list[BulkItem], dict[str, Any]]:
    """Check a bulk call before any request (see [`check_bulk_call`][crossipam.bulk.check_bulk_call]): its
    items, and the keyword arguments for `run_sync` / `run_async` (``sleep`` and ``clock`` only when given:
    the drivers default them; without them, a ``spacing`` for the run: starts spread by the client's CPU time per
    item, ``crossipam._bulk_spacing``).

    Args:
        values: What the caller passed as the list of items.
        operation: ``"deploy_many"`` or ``"remove_many"`` (named in the messages).
        options: The call's keyword arguments (``max_concurrency``, ``on_progress``, ``max_attempts``,
            ``sleep``, ``clock``); any other is refused.

    ```python
    items, run = prepare_bulk(specs, "deploy_many", {"max_concurrency": 4})
    results = run_sync(items, attempt, **run)
    ```
    """
    unknown = sorted(set(options) - _BULK_OPTIONS)
    if unknown:
        raise InvalidInputError(
            f"{operation} takes no option {', '.join(unknown)} (it takes {sorted(_BULK_OPTIONS)})"
        )
    run: dict[str, Any] = {
        "max_concurrency": options.get("max_concurrency", 8),
        "on_progress": options.get("on_progress"),
        "max_attempts": options.get("max_attempts", DEFAULT_MAX_ATTEMPTS),
    }
    items = check_bulk_call(values, operation=operation, **run)
    injected = {name: options[name] for name in ("sleep", "clock") if options.get(name) is not None}
    # the spacing's places are real CPU seconds, which mean nothing on an injected clock
    run.update(injected or {"spacing": StartSpacing()})
    return items, run


def check_bulk_call(
    values: object,
    *,
    operation: Literal["deploy_many", "remove_many"],
    max_concurrency: object,
    max_attempts: object,
    on_progress: object = None,
) -> list[BulkItem]:
    """Validate a ``deploy_many`` / ``remove_many`` call before anything is sent (no token request either) and
    number its items; raises [`InvalidInputError`][crossipam.errors.InvalidInputError].

    Refused: a ``str``, ``bytes``, a single [`DeploymentSpec`][crossipam.models.DeploymentSpec] or resource
    id, a mapping, or anything not iterable where a list is expected (``deploy_many("vnet-id")`` must not
    deploy each character); ``max_concurrency`` / ``max_attempts`` that are not positive ``int`` (``True``
    included); an ``on_progress`` that is not callable. An element of the wrong type is not refused here: that
    item fails alone when it runs.

    Args:
        values: What the caller passed as the list of items.
        operation: ``"deploy_many"`` or ``"remove_many"`` (named in the messages).
        max_concurrency: Must be a positive ``int``.
        max_attempts: Must be a positive ``int``.
        on_progress: ``None`` or a callable.

    ```python
    items = check_bulk_call(specs, operation="deploy_many", max_concurrency=8, max_attempts=6)
    check_bulk_call("vnet-id", operation="remove_many", max_concurrency=8, max_attempts=6)   # raises
    ```
    """
    wanted = "DeploymentSpec values" if operation == "deploy_many" else "VNet ids or DeploymentSpec values"
    single = None
    if isinstance(values, (str, bytes, bytearray, memoryview, DeploymentSpec, ResourceId)):
        single = f"a single {type(values).__name__}"
    elif isinstance(values, Mapping):
        single = f"a mapping ({type(values).__name__})"
    elif not isinstance(values, Iterable):
        single = f"{type(values).__name__}, which is not iterable"
    if single is not None:
        raise InvalidInputError(
            f"{operation} takes a list of {wanted}, got {single}",
            hint=f"wrap one value in a list: {operation}([value])",
        )
    _check_positive("max_concurrency", max_concurrency)
    _check_positive("max_attempts", max_attempts)
    if on_progress is not None and not callable(on_progress):
        raise InvalidInputError(f"on_progress must be callable, got {type(on_progress).__name__}")
    return bulk_items(values)  # type: ignore[arg-type]  # its elements are checked per item


def spec_of(item: BulkItem) -> DeploymentSpec:
    """The item's spec; raises [`InvalidInputError`][crossipam.errors.InvalidInputError] (for that item only)
    without one.

    Args:
        item: One numbered item of a ``deploy_many`` call.

    ```python
    spec_of(bulk_items([spec])[0]) is spec     # True
    ```
    """
    if item.spec is None:
        raise InvalidInputError(f"deploy_many takes DeploymentSpec values, got {item.vnet_id!r}")
    return item.spec
