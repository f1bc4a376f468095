"""The Azure CLI (``az``) pointed at the offline Azure, for ``bench_arm.py``'s az mode.

``az`` runs with a configuration directory of its own (``AZURE_CONFIG_DIR`` in a temporary directory: nobody's
login is read or changed), trusts the offline Azure's CA (``REQUESTS_CA_BUNDLE``), has MSAL's instance discovery
off (``AZURE_CORE_INSTANCE_DISCOVERY=false``, the CLI's setting for clouds other than Azure's own) and talks to the
served offline Azure as to a cloud registered with the public resource ids — the ``az cloud register`` line of
docs/offline-azure.md, as ``tests/test_conformance_azure_cli.py`` runs it.

Every HTTP request ``az`` sends (MSAL's token requests included) is logged, one line each, by a
``sitecustomize`` module put on the PYTHONPATH of ``az``'s own interpreter: it wraps ``http.client``'s
``putrequest`` and ``getresponse`` (which urllib3, under ``requests`` and MSAL, goes through) and appends
``METHOD PORT PATH STATUS`` to the file named by ``CROSSIPAM_BENCH_REQUEST_LOG``. The served offline Azure
(``python -m crossipam.testing serve``) has no journal another process can read, so this is where ``az``'s
requests are counted; it costs a file append per request.

    cli = AzureCli.start(info)          # info: serve's JSON line
    cli.login()                          # the app, in the managed tenant and in the management tenant
    cli.run("account", "get-access-token", "--tenant", info["management_tenant_id"])
    cli.requests()                       # [(method, port, path, status), ...] so far
    cli.close()
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Logs every request of the interpreter it is imported into (``az``'s), when CROSSIPAM_BENCH_REQUEST_LOG is set.
_SITECUSTOMIZE = """
import http.client
import os

_LOG = os.environ.get("CROSSIPAM_BENCH_REQUEST_LOG")
if _LOG:
    _putrequest, _getresponse = http.client.HTTPConnection.putrequest, http.client.HTTPConnection.getresponse

    def putrequest(self, method, url, *args, **kwargs):
        self._crossipam_bench_request = (method, url.split("?", 1)[0])
        return _putrequest(self, method, url, *args, **kwargs)

    def getresponse(self):
        response = _getresponse(self)
        method, path = getattr(self, "_crossipam_bench_request", ("?", "?"))
        with open(_LOG, "a") as log:
            log.write(f"{method} {self.port} {path} {response.status}\\n")
        return response

    http.client.HTTPConnection.putrequest = putrequest
    http.client.HTTPConnection.getresponse = getresponse
"""

#: What ``az`` must not inherit from this process: a developer's own Azure settings, and this venv's Python path.
_SCRUBBED_PREFIXES = ("AZURE_", "ARM_", "MSAL_", "CROSSIPAM_")
_SCRUBBED = {
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
}


@dataclass
class AzureCli:
    """``az`` with an isolated configuration directory, trusting the offline Azure's CA, its requests logged."""

    az: str
    info: dict[str, Any]
    env: dict[str, str]
    home: tempfile.TemporaryDirectory[str]

    @classmethod
    def start(cls, info: dict[str, Any]) -> AzureCli | None:
        """The CLI with the offline Azure registered as the cloud ``crossipam`` and made active (None: no ``az``
        on PATH)."""
        az = shutil.which("az")
        if az is None:
            return None
        home = tempfile.TemporaryDirectory(prefix="crossipam-bench-az-")
        hook = Path(home.name, "hook")
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(_SITECUSTOMIZE)
        env = {
            k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)
        }
        env |= {
            "AZURE_CONFIG_DIR": str(Path(home.name, "azure")),
            "REQUESTS_CA_BUNDLE": info["ca_bundle"],
            "AZURE_CORE_INSTANCE_DISCOVERY": "false",
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_SURVEY_MESSAGE": "false",
            "AZURE_CORE_NO_COLOR": "true",
            "PYTHONPATH": str(hook),
            "CROSSIPAM_BENCH_REQUEST_LOG": str(Path(home.name, "requests.log")),
        }
        cli = cls(az, info, env, home)
        graph = info["graph_endpoint"].rstrip("/") + "/"
        cli.run(
            "cloud", "register", "--name", "crossipam",
            "--endpoint-resource-manager", info["arm_endpoint"],
            "--endpoint-active-directory", info["authority"],
            "--endpoint-active-directory-resource-id", "https://management.core.windows.net/",
            "--endpoint-active-directory-graph-resource-id", graph,
            "--endpoint-microsoft-graph-resource-id", graph,
        )  # fmt: skip
        cli.run("cloud", "set", "--name", "crossipam")
        return cli

    def login(self) -> None:
        """The tutorial's logins: the app with its secret in the management tenant (A), then in the managed
        tenant (B), whose subscription is then the active one."""
        app = self.info["app"]
        for tenant in (self.info["management_tenant_id"], self.info["managed_tenant_id"]):
            self.run(
                "login", "--service-principal", "--username", app["client_id"],
                "--password", app["client_secret"], "--tenant", tenant, "--output", "none",
            )  # fmt: skip

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``az ARGS``; raises when it fails and ``check`` (its stderr in the message, which holds no secret)."""
        done = subprocess.run(
            [self.az, *args], capture_output=True, text=True, env=self.env, check=False, timeout=600
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"az {' '.join(args[:2])} failed: {done.stderr.strip()[-500:]}")
        return done

    def requests(self) -> list[tuple[str, int, str, int]]:
        """Every request ``az`` sent so far: method, port, path (without query), status."""
        log = Path(self.env["CROSSIPAM_BENCH_REQUEST_LOG"])
        if not log.exists():
            return []
        out = []
        for line in log.read_text().splitlines():
            method, port, path, status = line.split(" ")
            out.append((method, int(port), path, int(status)))
        return out

    def close(self) -> None:
        """Remove the configuration directory (the app's login and tokens with it)."""
        self.home.cleanup()
