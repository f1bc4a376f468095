"""Credentials of the ``crossipam`` console script: which source applies (``--client-id``, the environment, the
Azure CLI's login), the admins' credentials of ``onboard``/``offboard``, the endpoints, and the files they read
(certificates, a federated token, CA certificates), checked before azure-identity reads them.

```python
with make_client(args, os.environ) as client:       # the credential the options and the environment give
    client.get_pool_usage(pool_id)
```
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import ssl
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from azure.core import AzureClouds
from azure.core.credentials import TokenCredential

from .._shared import cloud_from_env
from ..client import CrossTenantIpamClient
from ..credentials import credential_pipeline_kwargs, validate_tenant_id
from ..errors import CrossIpamError
from ..models import CloudEndpoints
from ._errors import UsageError
from ._input import Where, decode_text, read_input_file

_LOGGER = logging.getLogger("crossipam.cli")

# ---- credentials and the client ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """What the options and the environment give every command: the cloud's endpoints, the network keyword
    arguments of clients and credentials (a CA bundle), and the environment with the options written in.

    ```python
    setup = read_setup(args, os.environ)
    setup.cloud.resource_manager, setup.env["AZURE_TENANT_ID"]
    ```
    """

    cloud: CloudEndpoints
    kwargs: dict[str, Any]
    env: dict[str, str]


def read_setup(args: argparse.Namespace, environ: Mapping[str, str]) -> Setup:
    """The `Setup` of a command: options win over the variables they stand for (``--tenant`` over
    ``AZURE_TENANT_ID`` …); a CA bundle is checked before it is used.

    ```python
    read_setup(build_parser().parse_args(["show", vnet_id, "--cloud", "AZURE_CHINA_CLOUD"]), os.environ).cloud
    ```
    """
    env = dict(environ)
    for option, variable in (
        ("arm_endpoint", "CROSSIPAM_ARM_ENDPOINT"),
        ("authority", "AZURE_AUTHORITY_HOST"),
        ("graph_endpoint", "CROSSIPAM_GRAPH_ENDPOINT"),
        ("ca_bundle", "REQUESTS_CA_BUNDLE"),
        ("tenant", "AZURE_TENANT_ID"),
        ("management_tenant", "CROSSIPAM_MANAGEMENT_TENANT_ID"),
    ):
        value = getattr(args, option, None)
        if value:
            env[variable] = value
    cloud = cloud_from_env(env, args.cloud or AzureClouds.AZURE_PUBLIC_CLOUD)
    kwargs: dict[str, Any] = {}
    if env.get("REQUESTS_CA_BUNDLE"):
        field = "--ca-bundle" if getattr(args, "ca_bundle", None) else "REQUESTS_CA_BUNDLE"
        check_ca_bundle(env["REQUESTS_CA_BUNDLE"], field)
        kwargs["connection_verify"] = env["REQUESTS_CA_BUNDLE"]
    return Setup(cloud, kwargs, env)


def tenants(setup: Setup) -> tuple[str, str]:
    """The managed tenant B and the management tenant A, validated (a `UsageError` names what is missing).

    ```python
    managed, management = tenants(read_setup(args, os.environ))
    ```
    """
    missing = [
        f"{option} ({variable})"
        for option, variable in (
            ("--tenant", "AZURE_TENANT_ID"),
            ("--management-tenant", "CROSSIPAM_MANAGEMENT_TENANT_ID"),
        )
        if not setup.env.get(variable)
    ]
    if missing:
        raise UsageError(
            f"missing {' and '.join(missing)}", hint="pass the managed (B) and management (A) tenant ids"
        )
    return (
        validate_tenant_id(setup.env["AZURE_TENANT_ID"], "--tenant"),
        validate_tenant_id(setup.env["CROSSIPAM_MANAGEMENT_TENANT_ID"], "--management-tenant"),
    )


def _secret(variable: str, what: str, env: Mapping[str, str]) -> str:
    value = env.get(variable)
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"{what} client secret: ")
    raise UsageError(
        f"no client secret for {what}",
        hint=f"set {variable}, pass --certificate, or run in a terminal to be prompted",
    )


@contextlib.contextmanager
def _certificate_file(path: str | None, field: str) -> Iterator[None]:
    """Refuse a missing, unreadable, empty or oversized certificate file before azure-identity reads it, and
    report what azure-identity cannot use in it — exit 2, naming the option (or variable) and the file."""
    if path:
        check_certificate_file(path, field)
    try:
        yield
    except (ValueError, TypeError) as err:
        problem = certificate_problem(err)
        if not path or problem is None:
            raise
        raise UsageError(
            f"{field} {path}: not a usable certificate: {problem}",
            hint="a PEM file with the private key and its certificate, or a PKCS12 file (its password in "
            "AZURE_CLIENT_CERTIFICATE_PASSWORD)",
        ) from None


def _environment_certificate(env: Mapping[str, str]) -> str | None:
    """The certificate file ``from_environment`` will read (none when a secret is set); a federated token file
    it would use instead is checked here."""
    if env.get("AZURE_CLIENT_SECRET"):
        return None
    if env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
        return env["AZURE_CLIENT_CERTIFICATE_PATH"]
    if env.get("AZURE_FEDERATED_TOKEN_FILE"):
        check_token_file(env["AZURE_FEDERATED_TOKEN_FILE"], "AZURE_FEDERATED_TOKEN_FILE")
    return None


def _auth_source(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    if args.auth != "auto":
        return str(args.auth)
    if args.client_id:
        return "app"
    if env.get("AZURE_CLIENT_ID"):
        return "environment"
    return "azure-cli"


def make_client(args: argparse.Namespace, environ: Mapping[str, str]) -> CrossTenantIpamClient:
    """The client of a command, with the first credential source that applies (or the one ``--auth`` forces):
    ``--client-id`` with a certificate or a secret, the environment, the Azure CLI's login.

    ```python
    with make_client(args, os.environ) as client:
        client.get_virtual_network_allocation(args.vnet_id)
    ```
    """
    setup = read_setup(args, environ)
    source = _auth_source(args, setup.env)
    _LOGGER.info("credentials: %s; ARM %s", source, setup.cloud.resource_manager)
    if source == "environment":
        with _certificate_file(_environment_certificate(setup.env), "AZURE_CLIENT_CERTIFICATE_PATH"):
            return CrossTenantIpamClient.from_environment(
                environ=setup.env, cloud=setup.cloud, **setup.kwargs
            )
    b, a = tenants(setup)
    if source == "app":
        client_id = args.client_id or setup.env.get("AZURE_CLIENT_ID")
        if not client_id:
            raise UsageError("--auth app needs --client-id")
        if args.certificate:
            with _certificate_file(args.certificate, "--certificate"):
                return CrossTenantIpamClient.from_client_certificate(
                    client_id,
                    args.certificate,
                    managed_tenant_id=b,
                    management_tenant_id=a,
                    cloud=setup.cloud,
                    password=setup.env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or None,
                    **setup.kwargs,
                )
        secret = _secret("AZURE_CLIENT_SECRET", f"app {client_id}", setup.env)
        return CrossTenantIpamClient.from_client_secret(
            client_id, secret, managed_tenant_id=b, management_tenant_id=a, cloud=setup.cloud, **setup.kwargs
        )
    from azure.identity import AzureCliCredential

    cli = AzureCliCredential(tenant_id=b, additionally_allowed_tenants=[a])
    return CrossTenantIpamClient(
        cli, managed_tenant_id=b, management_tenant_id=a, cloud=setup.cloud, **setup.kwargs
    )


def admin_credential(
    args: argparse.Namespace, setup: Setup, side: str, tenant_id: str, other_tenant: str
) -> TokenCredential:
    """An admin credential for one tenant: the --<side>-admin-* app, else the general credential options.

    ```python
    admin_a = admin_credential(args, setup, "management", management_tenant, managed_tenant)
    ```
    """
    from azure.identity import AzureCliCredential, CertificateCredential, ClientSecretCredential

    authority: dict[str, Any] = {"authority": setup.cloud.authority_host}
    if not setup.cloud.is_known_authority:
        authority["disable_instance_discovery"] = True
    pipeline = credential_pipeline_kwargs(setup.kwargs)
    client_id = getattr(args, f"{side}_admin_client_id", None)
    certificate = getattr(args, f"{side}_admin_certificate", None)
    if client_id:
        if certificate:
            with _certificate_file(certificate, f"--{side}-admin-certificate"):
                return CertificateCredential(tenant_id, client_id, certificate, **authority, **pipeline)
        variable = f"CROSSIPAM_{side.upper()}_ADMIN_CLIENT_SECRET"
        secret = _secret(variable, f"{side}-tenant admin app {client_id}", setup.env)
        return ClientSecretCredential(tenant_id, client_id, secret, **authority, **pipeline)
    source = _auth_source(args, setup.env)
    allowed: dict[str, Any] = {"additionally_allowed_tenants": [other_tenant]}
    if source == "azure-cli":
        return AzureCliCredential(tenant_id=tenant_id, additionally_allowed_tenants=[other_tenant])
    app = args.client_id or setup.env.get("AZURE_CLIENT_ID")
    if not app:
        raise UsageError(f"no admin credential for the {side} tenant", hint=f"pass --{side}-admin-client-id")
    if args.certificate or (source == "environment" and setup.env.get("AZURE_CLIENT_CERTIFICATE_PATH")):
        path = args.certificate or setup.env["AZURE_CLIENT_CERTIFICATE_PATH"]
        with _certificate_file(
            path, "--certificate" if args.certificate else "AZURE_CLIENT_CERTIFICATE_PATH"
        ):
            return CertificateCredential(tenant_id, app, path, **authority, **allowed, **pipeline)
    secret = _secret("AZURE_CLIENT_SECRET", f"app {app}", setup.env)
    return ClientSecretCredential(tenant_id, app, secret, **authority, **allowed, **pipeline)


# ---- the files credentials read ----------------------------------------------------------------------------


def check_certificate_file(path: str, field: str) -> None:
    """Refuse a certificate file that is missing, unreadable, empty or larger than `MAX_INPUT_FILE_BYTES`
    (azure-identity then reads it; what it cannot use is reported by the caller).

    ```python
    check_certificate_file("app.pem", "--certificate")
    ```
    """
    if not read_input_file(path, field).strip():
        raise Where(f"{field} {path}").error("the file is empty, not a PEM or PKCS12 certificate")


def check_token_file(path: str, field: str) -> None:
    """Refuse a federated token file that is missing, unreadable, too large, empty or not UTF-8.

    ```python
    check_token_file("/var/run/secrets/azure/tokens/azure-identity-token", "AZURE_FEDERATED_TOKEN_FILE")
    ```
    """
    source = f"{field} {path}"
    if not decode_text(read_input_file(path, field), source).strip():
        raise Where(source).error("the file is empty, not a token")


def check_ca_bundle(path: str, field: str) -> None:
    """Refuse CA certificates that do not exist or that OpenSSL cannot load (a directory is left to OpenSSL; no
    size cap: OpenSSL reads the file, not crossipam).

    ```python
    check_ca_bundle("ca.pem", "--ca-bundle")
    ```
    """
    where = Where(f"{field} {path}")
    if os.path.isdir(path):
        return
    try:
        ssl.create_default_context().load_verify_locations(cafile=path)
    except (ssl.SSLError, ValueError):
        raise where.error("no PEM certificates that can be trusted in it") from None
    except OSError as err:
        raise where.error(f"cannot read it: {err.strerror or type(err).__name__}") from None


def certificate_problem(err: BaseException) -> str | None:
    """What azure-identity found wrong with a certificate file, in one line (also when crossipam's construction
    check wrapped it in a ``ConfigurationError``); ``None`` for errors that are not about the certificate.

    ```python
    certificate_problem(ValueError("Failed to deserialize certificate in PEM or PKCS12 format"))
    ```
    """
    if isinstance(err, CrossIpamError):
        # the library's own check (ConfigurationError at construction) wraps what azure-identity said
        cause = err.__cause__
        if not isinstance(cause, (ValueError, TypeError)) or isinstance(cause, CrossIpamError):
            return None
        err = cause
    if not isinstance(err, (ValueError, TypeError)):
        return None
    first = (str(err).splitlines() or [""])[0].split(". See ")[0].strip()
    return first[:160] or type(err).__name__
