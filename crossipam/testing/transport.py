"""In-process fronts: azure-core transports that hand requests to the emulator without sockets.

They are azure-core's own ``RequestsTransport`` / ``AsyncioRequestsTransport`` over a ``requests`` session
whose HTTPS adapter is the emulator, so serialization, streaming and error handling are azure-core's real code.
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests
import requests.adapters
from azure.core.pipeline.transport import AsyncioRequestsTransport, RequestsTransport
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse

from ._http import Request

if TYPE_CHECKING:
    from .emulator import AzureEmulator

__all__ = ["EmulatorAdapter", "emulator_session"]


class EmulatorAdapter(requests.adapters.BaseAdapter):
    """A ``requests`` adapter that answers from an [`AzureEmulator`][crossipam.testing.AzureEmulator].

    ```python
    session = requests.Session()
    session.mount("https://", EmulatorAdapter(emulator))  # what emulator_session() does
    ```
    """

    def __init__(self, emulator: AzureEmulator) -> None:
        super().__init__()
        self._emulator = emulator

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Answer ``request`` from the emulator, as a socket would (read timeouts and dropped connections too).

        ```python
        response = EmulatorAdapter(emulator).send(requests.Request("GET", url).prepare())
        ```
        """
        body = request.body
        if body is None:
            data = b""
        elif isinstance(body, str):
            data = body.encode("utf-8")
        elif isinstance(body, bytes):
            data = body
        else:  # file-like or generator
            data = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)
        emu_req = Request(request.method or "GET", request.url or "", dict(request.headers), data)
        started = time.monotonic()
        resp = self._emulator.handle(emu_req)
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        if read_timeout is not None and time.monotonic() - started > float(read_timeout):
            # As a socket would: the answer came later than the client's read timeout (the service may
            # have acted; the client never hears of it).
            raise requests.exceptions.ReadTimeout(
                f"Read timed out (read timeout={read_timeout}): the offline Azure answered too late",
                request=request,
            )
        if resp.drop_connection:
            raise requests.exceptions.ConnectionError(
                "Connection aborted: the offline Azure dropped the connection (injected fault)",
                request=request,
            )
        raw = HTTPResponse(
            body=io.BytesIO(resp.body),
            headers={**resp.headers, "Content-Length": str(len(resp.body))},
            status=resp.status,
            preload_content=False,
            decode_content=False,
        )
        response = requests.Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict({**resp.headers, "Content-Length": str(len(resp.body))})
        response.raw = raw
        response.url = request.url or ""
        response.request = request
        response.reason = _REASONS.get(resp.status, "")
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.connection = self  # type: ignore[assignment]
        return response

    def close(self) -> None:
        """Nothing to release: the adapter holds no connections.

        ```python
        adapter.close()
        ```
        """
        pass


def emulator_session(emulator: AzureEmulator) -> requests.Session:
    """A ``requests`` session whose every https:// URL is answered by ``emulator``.

    ```python
    url = "https://management.crossipam.test/subscriptions?api-version=2022-12-01"
    emulator_session(emulator).get(url).status_code  # 401
    ```
    """
    session = requests.Session()
    adapter = EmulatorAdapter(emulator)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def sync_transport(emulator: AzureEmulator) -> RequestsTransport:
    """An azure-core ``RequestsTransport`` over `emulator_session` (see
    [`AzureEmulator.transport`][crossipam.testing.AzureEmulator.transport]).

    ```python
    client = NetworkManagementClient(credential, subscription_id, transport=sync_transport(emulator))
    ```
    """
    return RequestsTransport(session=emulator_session(emulator), session_owner=False)


def async_transport(emulator: AzureEmulator) -> AsyncioRequestsTransport:
    """The asyncio ``AsyncioRequestsTransport`` over `emulator_session` (see
    [`AzureEmulator.async_transport`][crossipam.testing.AzureEmulator.async_transport]).

    ```python
    client = aio.NetworkManagementClient(credential, subscription_id, transport=async_transport(emulator))
    ```
    """
    return AsyncioRequestsTransport(session=emulator_session(emulator), session_owner=False)


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
