"""Secret redaction (a leaf module: the error parsers in ``_wire_errors``, ``policies``, ``credentials`` and
``bulk`` use it).

```python
from crossipam._redact import describe, excerpt, redact

redact("client_id=x&client_secret=s3cr3t")    # 'client_id=x&client_secret=REDACTED'
excerpt("<html>gateway said: Authorization: Bearer eyJ…</html>\n…")    # first line, redacted, capped
describe(KeyError("properties"))    # "KeyError: 'properties'"
```
"""

from __future__ import annotations

import re

__all__ = ["describe", "excerpt", "redact"]

_JWT_RX = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_FORM_SECRET_RX = re.compile(
    r"((?:client_secret|client_assertion|assertion|refresh_token|access_token|password)=)[^&\s]*",
    re.IGNORECASE,
)
_JSON_SECRET_RX = re.compile(
    "([\"'](?:access_token|refresh_token|id_token|client_secret|client_assertion|password)[\"']"
    "\\s*:\\s*[\"'])[^\"']*([\"'])",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with secrets replaced by ``REDACTED``: form fields and JSON members that carry secrets or tokens,
    and JWT-looking strings.

    Args:
        text: A request or response as logged, an error message, a URL.

    ```python
    redact("client_id=x&client_secret=s3cr3t")   # 'client_id=x&client_secret=REDACTED'
    ```
    """
    text = _FORM_SECRET_RX.sub(r"\1REDACTED", text)
    text = _JSON_SECRET_RX.sub(r"\1REDACTED\2", text)
    return _JWT_RX.sub("REDACTED", text)


def excerpt(text: str, limit: int = 300) -> str:
    """What an error message may quote of a raw answer it could not parse: the first non-empty line, redacted
    ([`redact`][crossipam.policies.redact]), at most ``limit`` characters.

    ```python
    excerpt("upstream failed\nAuthorization: Bearer eyJhbGciOi.eyJ0aWQi.c2ln")    # 'upstream failed'
    ```
    """
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = redact(line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """``Type: first line of the message`` of an exception, redacted and capped (`excerpt`); never raises,
    even for an exception whose ``__str__`` does.

    ```python
    describe(KeyError("properties"))    # "KeyError: 'properties'"
    ```
    """
    try:
        text = excerpt(str(exc))
    except Exception:
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
