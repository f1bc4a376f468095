"""The HTTPS front: three TLS listeners (Entra ID, ARM, Graph) on loopback over one emulator.

A generated CA (trustme) signs the server certificate; clients trust it with ``connection_verify=<ca.pem>``.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import os
import socket
import socketserver
import ssl
import tempfile
import threading
from typing import TYPE_CHECKING, Any

from ._http import Request, Response, arm_error

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

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        scheme_host = "https://" + str(self.headers.get("Host") or self.server.public_netloc)
        req = Request(self.command, scheme_host + self.path, dict(self.headers.items()), body)
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
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            if k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve


def _internal_error(err: Exception) -> Response:
    """500 InternalServerError in ARM's envelope (the offline Azure itself failed; its log has the traceback)."""
    return arm_error(500, "InternalServerError", f"The offline Azure failed: {type(err).__name__}").response


class _TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, addr: tuple[str, int], ctx: ssl.SSLContext, emulator: AzureEmulator, service: str
    ) -> None:
        super().__init__(addr, _Handler)
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.emulator = emulator
        self.service = service
        host, port = self.server_address[:2]
        self.public_netloc = f"{host!s}:{port}"


class EmulatorServer:
    """Serves one :class:`AzureEmulator` over HTTPS until :meth:`close`. Use as a context manager.

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
        for i, service in enumerate(_SERVICES):
            # with an explicit port, the three services take port, port+1, port+2
            self._servers[service] = _TLSServer((host, port + i if port else 0), ctx, emulator, service)
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
