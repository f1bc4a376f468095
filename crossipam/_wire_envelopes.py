"""Reading error answers: what the ARM, Microsoft Graph and Entra ID error envelopes *say* — code, message,
HTTP status and the ids support asks for — with no opinion on what they *mean*.

What a code means (its class, hint, retryability) is decided by the table in ``crossipam._wire_errors``,
which re-exports these readers: import them from there.

```python
from crossipam._wire_errors import arm_error_details, graph_error

arm_error_details(err)["correlation_id"]      # ARM's x-ms-correlation-request-id
graph_error(response).line()                  # 'Authorization_RequestDenied: Insufficient privileges …'
```
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ._redact import excerpt, redact
from .errors import Diagnostics

__all__ = [
    "GraphError",
    "arm_error_code",
    "arm_error_details",
    "arm_error_message",
    "entra_error_details",
    "graph_error",
    "graph_error_details",
    "header",
]


# ---- reading answers --------------------------------------------------------------------------------


def header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except Exception:  # pragma: no cover - exotic header containers
        return None
    return str(value) if value else None


def _json_body(response: Any) -> Any:
    """The JSON body of an azure-core response (``rest`` or legacy transport), ``None`` if there is none."""
    if response is None:
        return None
    try:
        return response.json()
    except Exception:  # a legacy transport response has no .json(), or the body is not JSON
        text = None
    try:
        text = response.text()
        return json.loads(text) if text else None
    except Exception:
        return None


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _status(response: Any) -> int | None:
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


# ---- ARM --------------------------------------------------------------------------------------------


def _arm_error_object(err: Any) -> tuple[object, object]:
    """ARM's ``error.code`` and ``error.message``: as azure-core parsed them, else from the body."""
    odata = getattr(err, "error", None)
    code = getattr(odata, "code", None)
    message = getattr(odata, "message", None)
    if code is None:
        response = getattr(err, "response", None)
        try:
            body = response.json() if response is not None else None
        except Exception:
            body = None
        if isinstance(body, dict):
            inner = body.get("error") if isinstance(body.get("error"), dict) else body
            code = inner.get("code") if isinstance(inner, dict) else None
            message = inner.get("message") if isinstance(inner, dict) else None
    return code, message


def arm_error_code(err: Any) -> str | None:
    """ARM's ``error.code`` of an azure-core ``HttpResponseError`` (``None`` when the answer has none).

    ```python
    except HttpResponseError as err:
        if error_code(arm_error_code(err)).means == "exists": ...
    ```
    """
    code, _ = _arm_error_object(err)
    return str(code) if code else None


def arm_error_message(err: Any) -> str:
    """ARM's ``error.message`` of an azure-core ``HttpResponseError``, redacted (it may quote a request); without
    an error object, the first line of whatever came back, redacted and capped.

    ```python
    arm_error_message(err)   # "Principal 5f… does not exist in the directory …"
    ```
    """
    _, message = _arm_error_object(err)
    if message:
        return redact(str(message))
    return excerpt(str(getattr(err, "message", None) or err))


def arm_error_details(err: Any) -> Diagnostics:
    """What an azure-core ``HttpResponseError`` from Azure Resource Manager tells support: ``error.code``,
    the HTTP status, ``x-ms-request-id``, ``x-ms-correlation-request-id`` and the ``Date`` header.

    Args:
        err: The azure-core ``HttpResponseError`` ARM answered with.

    ```python
    except HttpResponseError as err:
        raise OnboardingError("…", **arm_error_details(err)) from err
    ```
    """
    response = getattr(err, "response", None)
    status = getattr(err, "status_code", None)
    return Diagnostics(
        code=arm_error_code(err),
        status=status if isinstance(status, int) else _status(response),
        request_id=header(response, "x-ms-request-id"),
        correlation_id=header(response, "x-ms-correlation-request-id"),
        timestamp=header(response, "Date"),
    )


# ---- Microsoft Graph --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphError:
    """Microsoft Graph's error envelope (``{"error": {"code", "message", "innerError": {…}}}``) as read from an
    answer by `graph_error`.

    ``message`` is ``error.message``, redacted (``None`` when the body has no error object); ``quoted`` is then
    what came back instead (its first line, redacted and capped). ``request_id``, ``correlation_id`` and
    ``timestamp`` come from ``error.innerError`` (``request-id``, ``client-request-id``, ``date``).

    ```python
    graph_error(response).line()   # 'Authorization_RequestDenied: Insufficient privileges …'
    ```
    """

    status: int | None
    code: str | None
    message: str | None
    quoted: str = ""
    request_id: str | None = None
    correlation_id: str | None = None
    timestamp: str | None = None

    def code_and_message(self) -> tuple[str, str]:
        """``(code, message)`` for a sentence: ``""`` for a missing code, what came back for a missing error
        object.

        ```python
        code, message = graph_error(response).code_and_message()
        ```
        """
        return self.code or "", self.message if self.message is not None else self.quoted

    def line(self) -> str:
        """``code: message``, or the code alone; ``HTTP <status>`` when Graph gave no code.

        ```python
        graph_error(response).line()   # 'Request_ResourceNotFound: Resource … does not exist.'
        ```
        """
        code = self.code or f"HTTP {self.status}"
        text = (self.message or "").strip()
        return f"{code}: {text}" if text else code


def graph_error(response: Any) -> GraphError:
    """Read Microsoft Graph's error envelope from an answer — the one Graph error parser (onboarding, readiness
    and [`graph_error_details`][crossipam.errors.graph_error_details] use it).

    ```python
    error = graph_error(response)
    error.code, error.message, error.request_id   # 'Authorization_RequestDenied', '…', '…'
    ```
    """
    body = _json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if body is not None:
            quoted = excerpt(str(body))
        else:
            try:
                quoted = excerpt(str(response.text()))
            except Exception:
                quoted = ""
        return GraphError(_status(response), None, None, quoted)
    inner = error.get("innerError") or error.get("innererror")
    inner = inner if isinstance(inner, dict) else {}
    message = error.get("message")
    return GraphError(
        status=_status(response),
        code=_text(error.get("code")),
        message=redact(str(message)) if message is not None else "",
        request_id=_text(inner.get("request-id")),
        correlation_id=_text(inner.get("client-request-id")),
        timestamp=_text(inner.get("date")),
    )


def graph_error_details(response: Any) -> Diagnostics:
    """What a Microsoft Graph error answer tells support: ``error.code``, the HTTP status and
    ``error.innerError``'s ``request-id``, ``client-request-id`` and ``date`` (else the ``request-id``,
    ``client-request-id`` and ``Date`` headers).

    Args:
        response: The azure-core response Microsoft Graph answered with.

    ```python
    graph_error_details(response)["request_id"]   # Graph's request-id
    ```
    """
    error = graph_error(response)
    return Diagnostics(
        code=error.code,
        status=error.status,
        request_id=error.request_id or header(response, "request-id") or header(response, "x-ms-request-id"),
        correlation_id=error.correlation_id
        or header(response, "client-request-id")
        or header(response, "x-ms-correlation-request-id"),
        timestamp=error.timestamp or header(response, "Date"),
    )


# ---- Entra ID ---------------------------------------------------------------------------------------

_AADSTS_CODE_RX = re.compile(r"\b(AADSTS\d+)")
_TRACE_ID_RX = re.compile(r"Trace ID: ([0-9A-Fa-f-]{8,})")
_CORRELATION_ID_RX = re.compile(r"Correlation ID: ([0-9A-Fa-f-]{8,})")
_TIMESTAMP_RX = re.compile(r"Timestamp: (\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?Z?)")


def entra_error_details(text: str, response: Any = None) -> Diagnostics:
    """What Entra ID's token error tells support: the ``AADSTS…`` code, ``trace_id`` (as ``request_id``),
    ``correlation_id``, ``timestamp`` and, with the ``response`` azure-identity kept, the HTTP status. The JSON
    body (``error_codes``, ``trace_id``, ``correlation_id``, ``timestamp``) wins; without it they are read from
    the message (``AADSTS7000215: … Trace ID: … Correlation ID: … Timestamp: …``).

    Args:
        text: The error's message (azure-identity's ``ClientAuthenticationError``).
        response: The token endpoint's response, when azure-identity kept it.

    ```python
    except ClientAuthenticationError as err:
        entra_error_details(str(err), err.response)["code"]   # 'AADSTS7000215'
    ```
    """
    body = _json_body(response)
    body = body if isinstance(body, dict) else {}
    described = f"{body.get('error_description') or ''}\n{text}"

    def from_text(rx: re.Pattern[str]) -> str | None:
        found = rx.search(described)
        return found.group(1) if found else None

    codes = body.get("error_codes")
    return Diagnostics(
        code=f"AADSTS{codes[0]}" if isinstance(codes, list) and codes else from_text(_AADSTS_CODE_RX),
        status=_status(response),
        request_id=_text(body.get("trace_id")) or from_text(_TRACE_ID_RX),
        correlation_id=_text(body.get("correlation_id")) or from_text(_CORRELATION_ID_RX),
        timestamp=_text(body.get("timestamp")) or from_text(_TIMESTAMP_RX),
    )
