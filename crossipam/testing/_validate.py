"""What ARM checks before a resource provider acts: the ``api-version``, the body's size and the body's shape.

* **api-version** (`check_api_version`): every ARM request names one. Missing → 400
  ``MissingApiVersionParameter``; not a date (``YYYY-MM-DD``, optionally ``-preview``), or outside the
  `ApiVersionRange` of the resource type → 400 ``InvalidApiVersionParameter``. Versions compare as
  dates. The ranges are `DEFAULT_API_VERSIONS` (``AzureEmulator.api_versions`` holds each emulator's
  copy); a path whose resource type has no range (Graph, unknown providers) is left to the router.
* **Body size** (`check_body_size`): more than ``AzureEmulator.max_body_bytes`` (4 MiB, as ARM) →
  413 ``RequestContentTooLarge``. The HTTPS front checks ``Content-Length`` before reading the body.
* **Body shape** (`check_shape` with the schemas `RESOURCE`, `VIRTUAL_NETWORK`, …): where a
  handler expects an object, an array or a scalar and the JSON has another kind of value, the answer is 400
  ``InvalidRequestContent`` ("could not be deserialized", as Json.NET-based ARM answers), naming the path.
  A ``null`` member counts as absent (it is removed). Scalars are not type-checked here: ARM's deserializer
  converts numbers and booleans to strings, and the handlers validate the values.

Parsing itself (invalid JSON, non-UTF-8 bytes, nesting deeper than 64) is `Request.json`'s job.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from ._http import EmulatorHTTPError, Request, arm_error, graph_error

__all__ = [
    "DEFAULT_API_VERSIONS",
    "DEFAULT_MAX_BODY_BYTES",
    "RESOURCE",
    "VIRTUAL_NETWORK",
    "ApiVersionRange",
    "Arr",
    "Map",
    "Obj",
    "api_version_date",
    "check_api_version",
    "check_body_size",
    "check_request",
    "check_shape",
    "invalid_content_length",
    "resource_type",
    "too_large",
]

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""ARM refuses request bodies above 4 MB (413 ``RequestContentTooLarge``, "The request content size exceeds
the maximum size of 4 MB.")."""

_VERSION_RX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(-preview)?$", re.IGNORECASE)


def api_version_date(version: str) -> _dt.date | None:
    """The date of an api-version (``YYYY-MM-DD`` with an optional ``-preview``), or ``None`` if malformed.

    ```python
    api_version_date("2024-05-01-preview")  # datetime.date(2024, 5, 1)
    api_version_date("2024-13-45")  # None
    ```
    """
    m = _VERSION_RX.match(version)
    if not m:
        return None
    try:
        return _dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


@dataclass(frozen=True)
class ApiVersionRange:
    """The api-versions a resource type accepts: every date-shaped version from ``oldest`` to ``newest``
    (inclusive, compared as dates, ``-preview`` allowed). ``required=False`` lets a request omit it.

    ```python
    emulator.api_versions["microsoft.network"] = ApiVersionRange("2015-06-15", "2027-01-01")
    ApiVersionRange("2015-06-15", "2026-03-01").accepts("2022-07-01")  # True
    ```
    """

    oldest: str
    newest: str
    required: bool = True

    def __post_init__(self) -> None:
        if api_version_date(self.oldest) is None or api_version_date(self.newest) is None:
            raise ValueError(f"not api-versions: {self.oldest!r}, {self.newest!r}")

    def accepts(self, version: str) -> bool:
        """Whether ``version`` is date-shaped and within the range.

        ```python
        ApiVersionRange("2015-06-15", "2026-03-01").accepts("2099-01-01")  # False
        ```
        """
        day = api_version_date(version)
        lo, hi = api_version_date(self.oldest), api_version_date(self.newest)
        return day is not None and lo is not None and hi is not None and lo <= day <= hi


DEFAULT_API_VERSIONS: Mapping[str, ApiVersionRange] = {
    # virtual networks (the cross-tenant tutorial uses 2022-07-01), locations/operations, …
    "microsoft.network": ApiVersionRange("2015-06-15", "2026-03-01"),
    "microsoft.network/networkmanagers": ApiVersionRange("2021-02-01", "2026-03-01"),
    "microsoft.network/networkmanagers/ipampools": ApiVersionRange("2024-01-01", "2026-03-01"),
    "microsoft.network/networkmanagerconnections": ApiVersionRange("2021-05-01", "2026-03-01"),
    # azure-mgmt-authorization 4.0 sends 2015-06-01 … 2022-08-01-preview
    "microsoft.authorization": ApiVersionRange("2015-06-01", "2022-08-01"),
    # subscriptions, tenants, resource groups
    "microsoft.resources": ApiVersionRange("2014-04-01", "2025-04-01"),
    # cloud metadata: optional (the document of 2022-09-01 when omitted)
    "metadata": ApiVersionRange("2015-01-01", "2022-09-01", required=False),
}
"""The api-versions the offline Azure accepts, by resource type (lower-case; the longest matching prefix
of ``namespace/type/subtype`` wins). [unverified] Real ARM accepts a list of published versions per type;
a date range is the emulator's simplification: the oldest published version to the newest one the Azure
SDKs of docs/offline-azure.md send."""


def resource_type(path: str) -> str | None:
    """The resource type an ARM path addresses (``namespace/type[/subtype…]``, lower-case), or ``None``.

    ```python
    resource_type("/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v")
    # "microsoft.network/virtualnetworks"
    ```
    """
    segs = [s for s in path.split("/") if s]
    if not segs:
        return None
    lower = [s.lower() for s in segs]
    if lower[0] == "metadata":
        return "metadata"
    if "providers" in lower:
        i = len(lower) - 1 - lower[::-1].index("providers")
        if i + 1 >= len(lower):
            return None
        return "/".join([lower[i + 1], *lower[i + 2 :: 2]])
    if lower[0] == "subscriptions":
        kind = "resourcegroups" if lower[2:3] == ["resourcegroups"] else "subscriptions"
        return f"microsoft.resources/{kind}"
    if lower[0] == "tenants":
        return "microsoft.resources/tenants"
    return None


def _range_for(table: Mapping[str, ApiVersionRange], rtype: str) -> ApiVersionRange | None:
    ranges = {k.lower(): v for k, v in table.items()}
    parts = rtype.split("/")
    for n in range(len(parts), 0, -1):
        found = ranges.get("/".join(parts[:n]))
        if found is not None:
            return found
    return None


def check_api_version(table: Mapping[str, ApiVersionRange], req: Request) -> None:
    """Raise ARM's 400 when an ARM request's ``api-version`` is missing, malformed or out of range.

    ```python
    check_api_version(emulator.api_versions, Request("GET", f"{arm}subscriptions", {}))
    # raises EmulatorHTTPError: 400 MissingApiVersionParameter
    ```
    """
    rtype = resource_type(req.path)
    allowed = _range_for(table, rtype) if rtype else None
    if allowed is None:
        return
    version = req.api_version
    if not version:
        if not allowed.required:
            return
        raise arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if not allowed.accepts(version):
        raise arm_error(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{allowed.oldest}' to "
            f"'{allowed.newest}' (dates, optionally with '-preview'; resource type '{rtype}').",
        )


def too_large(service: str, limit: int) -> EmulatorHTTPError:
    """413 in the service's error envelope: the body is larger than ``limit`` bytes.

    ```python
    raise too_large("arm", 4 * 1024 * 1024)  # 413 RequestContentTooLarge
    ```
    """
    size = f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"
    message = f"The request content size exceeds the maximum size of {size}."
    if service == "graph":
        return graph_error(413, "Request_EntityTooLarge", message)
    return arm_error(413, "RequestContentTooLarge", message)


def invalid_content_length(service: str, value: str) -> EmulatorHTTPError:
    """400 in the service's error envelope: ``Content-Length`` / chunked framing that cannot be read.

    ```python
    raise invalid_content_length("arm", "-1")  # 400 InvalidRequestFormat
    ```
    """
    message = f"The request body framing is invalid (Content-Length / Transfer-Encoding: {value[:100]!r})."
    if service == "graph":
        return graph_error(400, "BadRequest", message)
    return arm_error(400, "InvalidRequestFormat", message)


def check_body_size(req: Request, limit: int) -> None:
    """Raise 413 when the body is larger than ``limit`` bytes.

    ```python
    check_body_size(Request("PUT", url, {}, b"x" * (5 << 20)), 4 << 20)  # raises 413
    ```
    """
    if len(req.body) > limit:
        raise too_large(req.service, limit)


def check_request(req: Request, *, max_body_bytes: int, api_versions: Mapping[str, ApiVersionRange]) -> None:
    """The checks [`AzureEmulator.handle`][crossipam.testing.AzureEmulator.handle] runs before routing: body
    size, then (ARM) api-version.

    ```python
    req = Request("GET", f"{arm}subscriptions?api-version=abc", {})
    check_request(req, max_body_bytes=emulator.max_body_bytes, api_versions=emulator.api_versions)  # raises 400
    ```
    """
    check_body_size(req, max_body_bytes)
    if req.service == "arm":
        check_api_version(api_versions, req)


# ---- body shapes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """Schema: a JSON object whose listed members have the given shapes (others are not checked)."""

    fields: Mapping[str, Shape]


@dataclass(frozen=True)
class Arr:
    """Schema: a JSON array whose items have the shape ``item``."""

    item: Shape


@dataclass(frozen=True)
class Map:
    """Schema: a JSON object whose every value has the shape ``value`` (e.g. tags)."""

    value: Shape


SCALAR = "scalar"
"""Schema: any JSON value that is not an object or an array."""

Shape: TypeAlias = "Obj | Arr | Map | str"

_ALLOCATION = Obj(
    {"numberOfIpAddresses": SCALAR, "pool": Obj({"id": SCALAR}), "allocatedAddressPrefixes": Arr(SCALAR)}
)
_COMMON: dict[str, Shape] = {
    "location": SCALAR,
    "tags": Map(SCALAR),
    "name": SCALAR,
    "id": SCALAR,
    "etag": SCALAR,
}

RESOURCE = Obj({**_COMMON, "properties": Obj({})})
"""Any ARM resource body: ``properties`` an object, ``tags`` an object of scalars, ``location`` a scalar."""

VIRTUAL_NETWORK = Obj(
    {
        **_COMMON,
        "properties": Obj(
            {
                "addressSpace": Obj(
                    {"addressPrefixes": Arr(SCALAR), "ipamPoolPrefixAllocations": Arr(_ALLOCATION)}
                ),
                "subnets": Arr(
                    Obj(
                        {
                            "name": SCALAR,
                            "id": SCALAR,
                            "properties": Obj(
                                {
                                    "addressPrefix": SCALAR,
                                    "addressPrefixes": Arr(SCALAR),
                                    "ipamPoolPrefixAllocations": Arr(_ALLOCATION),
                                }
                            ),
                        }
                    )
                ),
            }
        ),
    }
)
"""A virtual network PUT body (the members the offline Azure reads)."""

IPAM_POOL = Obj(
    {
        **_COMMON,
        "properties": Obj(
            {
                "addressPrefixes": Arr(SCALAR),
                "parentPoolName": SCALAR,
                "displayName": SCALAR,
                "description": SCALAR,
            }
        ),
    }
)
"""An IPAM pool PUT/PATCH body."""

STATIC_CIDR = Obj(
    {
        **_COMMON,
        "properties": Obj(
            {"addressPrefixes": Arr(SCALAR), "numberOfIPAddressesToAllocate": SCALAR, "description": SCALAR}
        ),
    }
)
"""A static CIDR PUT body."""

ROLE_ASSIGNMENT = Obj(
    {
        "properties": Obj(
            {
                "roleDefinitionId": SCALAR,
                "principalId": SCALAR,
                "principalType": SCALAR,
                "description": SCALAR,
                "condition": SCALAR,
                "conditionVersion": SCALAR,
            }
        )
    }
)
"""A role assignment PUT body."""

_LOCATION_RX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ]{0,63}$")
"""Location names: letters, digits and spaces ("East US", "eastus2"); anything else would break the
operation URLs (and header values) built from it."""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _deserialize_error(path: str, expected: str, value: Any) -> EmulatorHTTPError:
    return arm_error(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: 'Expected {expected} at path "
        f"'{path or '$'}', got {_kind(value)}.'",
    )


def check_shape(value: Any, shape: Shape, path: str = "") -> None:
    """Raise 400 ``InvalidRequestContent`` where ``value`` does not have ``shape``; remove ``null`` members
    of objects described by ``shape`` (ARM treats them as absent). Also checks ``location`` names.

    ```python
    body = {"location": "eastus", "properties": {"addressSpace": "10.0.0.0/16"}}
    check_shape(body, VIRTUAL_NETWORK)  # raises: Expected an object at path 'properties.addressSpace'
    ```
    """
    # iterative: the depth is bounded by the schema, but keep it flat anyway
    stack: list[tuple[Any, Shape, str]] = [(value, shape, path)]
    while stack:
        val, shp, where = stack.pop()
        if isinstance(shp, str):
            if isinstance(val, (dict, list)):
                raise _deserialize_error(where, "a string, number or boolean", val)
            continue
        if isinstance(shp, Arr):
            if not isinstance(val, list):
                raise _deserialize_error(where, "an array", val)
            stack.extend((item, shp.item, f"{where}[{i}]") for i, item in enumerate(val))
            continue
        if not isinstance(val, dict):
            raise _deserialize_error(where, "an object", val)
        if isinstance(shp, Map):
            stack.extend((v, shp.value, f"{where}.{k}" if where else str(k)) for k, v in val.items())
            continue
        for key, sub in shp.fields.items():
            if key in val and val[key] is None:
                del val[key]
            elif key in val:
                stack.append((val[key], sub, f"{where}.{key}" if where else key))
        location = val.get("location") if not where else None
        if isinstance(location, str) and location and not _LOCATION_RX.match(location):
            raise arm_error(
                400,
                "LocationNotAvailableForResourceType",
                f"The provided location '{location[:100]}' is not available for this resource type: a "
                "location name has letters, digits and spaces only (e.g. 'eastus' or 'East US').",
            )
