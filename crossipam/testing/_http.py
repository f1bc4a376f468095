"""Wire-level request/response values and the error envelopes of Entra ID, Graph and ARM.

Everything in the offline Azure speaks in these two small types; the HTTPS server and the in-process
transports only convert to and from them.
"""

from __future__ import annotations

import json
import math
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_JSON_DEPTH",
    "EmulatorHTTPError",
    "Request",
    "Response",
    "aad_error",
    "arm_error",
    "graph_error",
]

MAX_JSON_DEPTH = 64
"""Deepest nesting of JSON objects and arrays a body may have (Json.NET's default ``MaxDepth``, which
ARM's deserializer is built on); deeper bodies are 400 ``InvalidRequestContent``. [unverified for ARM]"""


@dataclass
class Request:
    """One HTTP request as the offline Azure sees it.

    ```python
    req = Request("GET", "https://management.crossipam.test/subscriptions?api-version=2022-12-01", {})
    emulator.handle(req).status  # 401: no bearer token
    ```
    """

    method: str
    url: str
    headers: dict[str, str]
    body: bytes = b""
    service: str = ""
    """Filled in by the dispatcher: which service the URL belongs to ("login", "arm", "graph")."""
    context: dict[str, Any] = field(default_factory=dict)
    """Set by the dispatcher for use by handlers and the journal."""

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.headers = {k.lower(): v for k, v in self.headers.items()}
        parts = urllib.parse.urlsplit(self.url)
        self.scheme = parts.scheme
        self.netloc = parts.netloc.lower()
        self.path = urllib.parse.unquote(parts.path) or "/"
        self.raw_path = parts.path or "/"
        self.query: dict[str, str] = {
            k.lower(): v for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        }

    def header(self, name: str) -> str | None:
        """A header's value (names are case-insensitive), or ``None``.

        ```python
        Request("GET", url, {"Authorization": "Bearer x"}).header("authorization")  # "Bearer x"
        ```
        """
        return self.headers.get(name.lower())

    def query_param(self, name: str) -> str | None:
        """A query parameter's value (names are case-insensitive), or ``None``.

        ```python
        Request("GET", "https://h/p?API-Version=2024-05-01", {}).query_param("api-version")  # "2024-05-01"
        ```
        """
        return self.query.get(name.lower())

    @property
    def api_version(self) -> str | None:
        """The ``api-version`` query parameter, or ``None``.

        ```python
        Request("GET", "https://h/p?api-version=2024-05-01", {}).api_version  # "2024-05-01"
        ```
        """
        return self.query_param("api-version")

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty). Bodies that are not UTF-8, not JSON (``NaN`` and
        numbers too large for a double included) or nested deeper than `MAX_JSON_DEPTH` raise ARM's 400
        ``InvalidRequestContent``.

        ```python
        Request("PUT", url, {}, b'{"location": "eastus"}').json()  # {"location": "eastus"}
        ```
        """
        if not self.body:
            return None
        try:
            data = json.loads(
                self.body.decode("utf-8-sig"), parse_constant=_no_constant, parse_float=_finite_float
            )
        except RecursionError:
            raise _undeserializable(f"The reader's MaxDepth of {MAX_JSON_DEPTH} has been exceeded.") from None
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise _undeserializable(str(exc)) from None
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise _undeserializable(f"The reader's MaxDepth of {MAX_JSON_DEPTH} has been exceeded.")
        return data

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (token requests).

        ```python
        Request("POST", url, {}, b"grant_type=client_credentials&client_id=abc").form()["grant_type"]
        ```
        """
        # undecodable bytes are replaced: the parameters are then invalid, not a crash
        text = self.body.decode("utf-8", errors="replace")
        return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))


@dataclass
class Response:
    """One HTTP response. ``drop_connection`` makes the fronts close the connection instead of answering.

    ```python
    resp = emulator.handle(Request("GET", url, {"Authorization": f"Bearer {token}"}))
    resp.status, resp.headers["x-ms-request-id"], resp.json()
    ```
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drop_connection: bool = False

    @classmethod
    def json_body(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
        """A JSON response (``Content-Type: application/json; charset=utf-8`` plus ``headers``).

        ```python
        Response.json_body(200, {"value": []}, {"x-ms-request-id": "1"})
        ```
        """
        hdrs = {"Content-Type": "application/json; charset=utf-8"}
        hdrs.update(headers or {})
        return cls(status, hdrs, json.dumps(payload).encode("utf-8"))

    @classmethod
    def empty(cls, status: int, headers: Mapping[str, str] | None = None) -> Response:
        """A response without a body.

        ```python
        Response.empty(202, {"Location": status_url, "Retry-After": "0"})
        ```
        """
        return cls(status, dict(headers or {}), b"")

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when empty.

        ```python
        Response.json_body(200, {"a": 1}).json()  # {"a": 1}
        ```
        """
        return json.loads(self.body) if self.body else None


class EmulatorHTTPError(Exception):
    """Raised inside a handler to answer with an error response."""

    def __init__(self, response: Response, code: str = "") -> None:
        super().__init__(f"{response.status} {code}".strip())
        self.response = response
        self.code = code


def arm_error(
    status: int,
    code: str,
    message: str,
    *,
    target: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmulatorHTTPError:
    """ARM's error envelope: ``{"error": {"code", "message"[, "target", "details"]}}``."""
    err: dict[str, Any] = {"code": code, "message": message}
    if target is not None:
        err["target"] = target
    if details is not None:
        err["details"] = details
    hdrs = {"x-ms-failure-cause": "gateway" if status == 401 else "service"}
    hdrs.update(headers or {})
    return EmulatorHTTPError(Response.json_body(status, {"error": err}, hdrs), code)


def graph_error(status: int, code: str, message: str, *, request_id: str | None = None) -> EmulatorHTTPError:
    """Microsoft Graph's error envelope with its ``innerError``."""
    rid = request_id or str(uuid.uuid4())
    payload = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"request-id": rid, "client-request-id": rid, "date": _utc_now_iso()},
        }
    }
    return EmulatorHTTPError(Response.json_body(status, payload, {"request-id": rid}), code)


def aad_error(
    status: int, error: str, aadsts: int, description: str, *, correlation_id: str | None = None
) -> EmulatorHTTPError:
    """Entra ID's OAuth error body (``error``, ``error_description`` starting with ``AADSTS…``)."""
    trace_id = str(uuid.uuid4())
    corr = correlation_id or str(uuid.uuid4())
    ts = _utc_now_iso(" ")
    payload = {
        "error": error,
        "error_description": f"AADSTS{aadsts}: {description} Trace ID: {trace_id} Correlation ID: {corr} "
        f"Timestamp: {ts}",
        "error_codes": [aadsts],
        "timestamp": ts,
        "trace_id": trace_id,
        "correlation_id": corr,
        "error_uri": f"https://login.microsoftonline.com/error?code={aadsts}",
    }
    return EmulatorHTTPError(Response.json_body(status, payload), error)


def _undeserializable(reason: str) -> EmulatorHTTPError:
    return arm_error(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: {reason}",
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is too large for a double")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects/arrays more than ``limit`` deep (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _utc_now_iso(sep: str = "T") -> str:
    import datetime as _dt

    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None).isoformat(sep, "seconds") + "Z"
