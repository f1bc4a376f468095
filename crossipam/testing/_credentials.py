"""What the seeding API hands back for an app registration: its secret or its certificate (key + certificate).

```python
app = emulator.add_application(tenant_id, "automation", multitenant=True)  # AppCredentials
cert = emulator.add_certificate(app.client_id)  # CertificateCredentials: PEM key + certificate
```
"""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["AppCredentials", "CertificateCredentials", "new_certificate", "new_client_secret"]


@dataclass(frozen=True)
class AppCredentials:
    """An app registration's client id and secret (the secret is hidden from repr).

    ```python
    app = emulator.add_application(info.managed_tenant_id, "my-automation", multitenant=True)
    credential = ClientSecretCredential(
        app.tenant_id, app.client_id, app.client_secret,
        authority=info.authority, disable_instance_discovery=True, transport=emulator.transport(),
    )
    ```
    """

    client_id: str
    client_secret: str = field(repr=False)
    tenant_id: str = ""
    object_id: str = ""


@dataclass(frozen=True)
class CertificateCredentials:
    """A certificate registered on an app: ``pem`` holds the private key and the certificate (as
    azure-identity's ``CertificateCredential`` expects, via ``certificate_data=`` or a file).

    ```python
    cert = emulator.add_certificate(info.app.client_id)
    credential = CertificateCredential(
        info.managed_tenant_id, cert.client_id, certificate_data=cert.pem,
        authority=info.authority, disable_instance_discovery=True, transport=emulator.transport(),
    )
    ```
    """

    client_id: str
    pem: bytes = field(repr=False)
    thumbprint: str = ""


def new_client_secret() -> str:
    """A fresh client secret, shaped like Entra ID's."""
    return f"{uuid.uuid4().hex}~{uuid.uuid4().hex[:8]}"


def new_certificate(app_id: str) -> tuple[bytes, CertificateCredentials]:
    """A self-signed certificate for ``app_id``: its DER (what the app registration keeps) and the credentials
    (PEM key + certificate, SHA-1 thumbprint) a client signs its assertions with."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"crossipam-{app_id[:8]}")])
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1))
        .not_valid_after(now + _dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + cert.public_bytes(serialization.Encoding.PEM)
    return der, CertificateCredentials(app_id.lower(), pem, cert.fingerprint(hashes.SHA1()).hex())  # noqa: S303  # nosec B303
