"""The HTTPS front: three TLS listeners (Entra ID, ARM, Graph) on loopback over one emulator.

A generated CA (trustme) signs the server certificate; clients trust it with ``connection_verify=<ca.pem>``.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import os
import re
import socket
import socketserver
import ssl
import tempfile
import threading
from typing import TYPE_CHECKING, Any

from ._http import Request, Response, arm_error
from ._validate import invalid_content_length, too_large

_LOGGER = logging.getLogger("crossipam.testing.server")

if TYPE_CHECKING:
    from .emulator import AzureEmulator

__all__ = ["EmulatorServer"]

_SERVICES = ("login", "arm", "graph")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def handle_expect_100(self) -> bool:
        """Refuse a body announced too large or malformed before the client sends it."""
        try:
            self._declared_length()
        except _Refused as refused:
            if refused.response is not None:
                self._send(refused.response, close=True)
            return False
        return super().handle_expect_100()

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _Refused as refused:
            self.close_connection = True
            if refused.response is not None:
                self._send(refused.response, close=True)
            # Then read (and drop) what the client may still be sending, for a little while, so that it
            # reads the answer instead of a reset connection ("lingering close").
            self._discard(min(refused.drain or _DRAIN_LIMIT, _DRAIN_LIMIT))
            return
        scheme_host = "https://" + str(self.headers.get("Host") or self.server.public_netloc)
        try:
            req = Request(self.command, scheme_host + self.path, dict(self.headers.items()), body)
        except ValueError:  # e.g. a Host header urllib cannot split
            self._send(arm_error(400, "InvalidRequestFormat", "The request URL is invalid.").response)
            return
        req.service = self.server.service
        try:
            resp = self.server.emulator.handle(req)
        except (
            Exception
        ) as err:  # a bug in the offline Azure: answer like a failing service, not a dropped socket
            _LOGGER.exception("offline Azure: %s %s failed", self.command, self.path)
            resp = _internal_error(err)
        if resp.drop_connection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(resp)

    def _send(self, resp: Response, *, close: bool = False) -> None:
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            if k.lower() not in ("content-length", "connection"):
                self.send_header(k, _header_value(v))
        self.send_header("Content-Length", str(len(resp.body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    # ---- the request body: never trust Content-Length -------------------------------------------------
    def _declared_length(self) -> int | None:
        """The body length the headers announce (``None``: chunked); raises `_Refused` with a 400 for
        malformed framing and a 413 above the emulator's ``max_body_bytes``."""
        service, limit = self.server.service, self.server.emulator.max_body_bytes
        lengths = self.headers.get_all("Content-Length") or []
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            if lengths or encoding.strip().lower() != "chunked":
                raise _Refused(invalid_content_length(service, f"Transfer-Encoding: {encoding}").response)
            return None
        if not lengths:
            return 0
        values = {v.strip() for v in lengths}
        text = values.pop() if len(values) == 1 else ",".join(lengths)
        if values or not _DIGITS_RX.fullmatch(text):
            raise _Refused(invalid_content_length(service, f"Content-Length: {text}").response)
        length = int(text)
        if length > limit:
            raise _Refused(too_large(service, limit).response, drain=length)
        return length

    def _read_body(self) -> bytes:
        length = self._declared_length()
        if length is None:
            return self._read_chunked()
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise _Refused(None)
        return body

    def _discard(self, length: int) -> None:
        left = length
        with contextlib.suppress(OSError):  # a timeout or a reset: stop
            self.connection.settimeout(_DRAIN_IDLE)
            while left > 0:
                chunk = self.rfile.read1(min(left, 1 << 16))
                if not chunk:
                    return
                left -= len(chunk)

    def _read_chunked(self) -> bytes:
        service, limit = self.server.service, self.server.emulator.max_body_bytes
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not _HEX_RX.fullmatch(size_text):
                raise _Refused(invalid_content_length(service, "chunked: bad chunk size").response)
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > limit:
                raise _Refused(too_large(service, limit).response)
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(3).strip():
                raise _Refused(invalid_content_length(service, "chunked: truncated chunk").response)
            parts.append(chunk)
        for _ in range(100):  # trailer fields, up to the empty line
            if self.rfile.readline(8192).strip() == b"":
                break
        return b"".join(parts)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve


class _Refused(Exception):
    """A request refused while reading its body (``response`` ``None``: the client disappeared)."""

    def __init__(self, response: Response | None, drain: int = 0) -> None:
        super().__init__(response.status if response is not None else "connection lost")
        self.response = response
        self.drain = drain


_DRAIN_LIMIT = 64 * 1024 * 1024
"""After a 413/400, up to this many body bytes are read and dropped (waiting at most ``_DRAIN_IDLE`` seconds
for each piece) so that a client still sending reads the answer; the connection is then closed."""
_DRAIN_IDLE = 2.0
_DIGITS_RX = re.compile(r"[0-9]{1,18}")
_HEX_RX = re.compile(rb"[0-9A-Fa-f]{1,15}")


def _header_value(value: str) -> str:
    """A header value without CR/LF (a value built from request data must not split the response)."""
    return value.replace("\r", " ").replace("\n", " ")


def _internal_error(err: Exception) -> Response:
    """500 InternalServerError in ARM's envelope (the offline Azure itself failed; its log has the traceback)."""
    return arm_error(500, "InternalServerError", f"The offline Azure failed: {type(err).__name__}").response


class _TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """One HTTPS listener. The TLS handshake runs in the connection's own thread, not in the accepting one, and
    the backlog holds a burst of new connections (a client opening 100 at once, as aiohttp does, would otherwise
    queue behind one handshake at a time and overflow a backlog of 5 into TCP's retransmission waits)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(
        self, addr: tuple[str, int], ctx: ssl.SSLContext, emulator: AzureEmulator, service: str
    ) -> None:
        super().__init__(addr, _Handler)
        self._tls = ctx
        self.emulator = emulator
        self.service = service
        host, port = self.server_address[:2]
        self.public_netloc = f"{host!s}:{port}"

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        return self._tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.do_handshake()
        except (OSError, ValueError):  # a client that gave up, or does not trust the CA
            return
        super().finish_request(request, client_address)


class EmulatorServer:
    """Serves one [`AzureEmulator`][crossipam.testing.AzureEmulator] over HTTPS until `close`. Use as a
    context manager.

    ```python
    with emulator.serve() as server:  # or EmulatorServer(emulator)
        requests.get(f"{server.arm_endpoint}subscriptions?api-version=2022-12-01", verify=server.ca_bundle)
    ```
    """

    def __init__(self, emulator: AzureEmulator, host: str = "127.0.0.1", port: int = 0) -> None:
        import trustme

        self.emulator = emulator
        self._ca = trustme.CA()
        cert = self._ca.issue_cert(host, "127.0.0.1", "localhost")
        self._dir = tempfile.TemporaryDirectory(prefix="crossipam-offline-azure-")
        self.ca_bundle = os.path.join(self._dir.name, "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_bundle)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self._servers: dict[str, _TLSServer] = {}
        self._threads: list[threading.Thread] = []
        try:
            for i, service in enumerate(_SERVICES):
                # with an explicit port, the three services take port, port+1, port+2
                self._servers[service] = _TLSServer((host, port + i if port else 0), ctx, emulator, service)
        except BaseException:  # e.g. the second port is taken: release what was bound
            for srv in self._servers.values():
                srv.server_close()
            self._dir.cleanup()
            raise
        urls = {s: f"https://{srv.public_netloc}" for s, srv in self._servers.items()}
        emulator.set_endpoints(authority=urls["login"], arm=urls["arm"] + "/", graph=urls["graph"])
        for service, srv in self._servers.items():
            t = threading.Thread(
                target=srv.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"offline-azure-{service}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)

    @property
    def authority(self) -> str:
        """The Entra ID listener's URL (pass it as ``authority=`` to azure-identity credentials).

        ```python
        ClientSecretCredential(tenant_id, client_id, secret, authority=server.authority,
                               disable_instance_discovery=True, connection_verify=server.ca_bundle)
        ```
        """
        return self.emulator.endpoints.authority

    @property
    def arm_endpoint(self) -> str:
        """The ARM listener's URL, with a trailing slash.

        ```python
        NetworkManagementClient(credential, subscription_id, base_url=server.arm_endpoint,
                                credential_scopes=[info.arm_scope], connection_verify=server.ca_bundle)
        ```
        """
        return self.emulator.endpoints.arm

    @property
    def graph_endpoint(self) -> str:
        """The Microsoft Graph listener's URL.

        ```python
        requests.get(f"{server.graph_endpoint}/v1.0/organization", headers=auth, verify=server.ca_bundle)
        ```
        """
        return self.emulator.endpoints.graph

    def close(self) -> None:
        """Stop the listeners and remove the CA bundle.

        ```python
        server = emulator.serve()
        try:
            run_my_automation(server.arm_endpoint, ca_bundle=server.ca_bundle)
        finally:
            server.close()
        ```
        """
        for srv in self._servers.values():
            srv.shutdown()
            srv.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._dir.cleanup()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
