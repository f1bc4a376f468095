"""The offline Entra ID as azure-identity (and MSAL under it) drives it: real credentials, real wire protocol."""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential, ClientSecretCredential
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from crossipam.testing import AzureEmulator, CertificateCredentials, ScenarioInfo
from crossipam.testing.transport import emulator_session


def _info(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


def _secret_credential(
    emu: AzureEmulator, client_id: str, secret: str, tenant_id: str, **kwargs: Any
) -> ClientSecretCredential:
    info = _info(emu)
    return ClientSecretCredential(
        tenant_id,
        client_id,
        secret,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=emu.transport(),
        **kwargs,
    )


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_client_secret_token_has_azure_claims(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    cred = _secret_credential(
        azure_emulator, info.app.client_id, info.app.client_secret, info.managed_tenant_id
    )
    token = cred.get_token(info.arm_scope)
    claims = _claims(token.token)
    sp = azure_emulator.service_principal(info.app.client_id, info.managed_tenant_id)
    assert sp is not None
    assert claims["tid"] == info.managed_tenant_id
    assert claims["oid"] == sp.object_id
    assert claims["appid"] == info.app.client_id
    assert claims["aud"].rstrip("/") == info.arm_endpoint.rstrip("/")
    assert claims["iss"] == f"https://sts.windows.net/{info.managed_tenant_id}/"
    assert claims["exp"] - claims["iat"] == azure_emulator.settings.token_lifetime
    assert token.expires_on == claims["exp"]
    assert "roles" not in claims  # ARM tokens carry no Graph app roles


def test_token_lifetime_follows_settings() -> None:
    emu = AzureEmulator()
    emu.settings.token_lifetime = 600
    info = emu.load_scenario("onboarded")
    cred = _secret_credential(emu, info.app.client_id, info.app.client_secret, info.managed_tenant_id)
    claims = _claims(cred.get_token(info.arm_scope).token)
    assert claims["exp"] - claims["iat"] == 600


def test_cross_tenant_token_for_onboarded_app(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    a = info.management_tenant_id
    cred = _secret_credential(
        azure_emulator,
        info.app.client_id,
        info.app.client_secret,
        info.managed_tenant_id,
        additionally_allowed_tenants=[a],
    )
    claims = _claims(cred.get_token(info.arm_scope, tenant_id=a).token)
    sp_a = azure_emulator.service_principal(info.app.client_id, a)
    assert sp_a is not None
    assert claims["tid"] == a
    assert claims["oid"] == sp_a.object_id
    assert claims["iss"] == f"https://sts.windows.net/{a}/"


def test_other_tenant_needs_additionally_allowed_tenants(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    cred = _secret_credential(
        azure_emulator, info.app.client_id, info.app.client_secret, info.managed_tenant_id
    )
    with pytest.raises(ClientAuthenticationError):
        cred.get_token(info.arm_scope, tenant_id=info.management_tenant_id)
    assert azure_emulator.journal.token_requests(info.management_tenant_id) == []


def test_graph_token_carries_app_permissions(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    admin = info.admins["management"]
    cred = _secret_credential(azure_emulator, admin.client_id, admin.client_secret, admin.tenant_id)
    claims = _claims(cred.get_token(info.graph_scope).token)
    assert claims["roles"] == ["Application.ReadWrite.All"]
    assert claims["aud"].rstrip("/") == info.graph_endpoint.rstrip("/")


def test_certificate_credential(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    cert = azure_emulator.add_certificate(info.app.client_id)
    cred = CertificateCredential(
        info.managed_tenant_id,
        info.app.client_id,
        certificate_data=cert.pem,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=azure_emulator.transport(),
    )
    claims = _claims(cred.get_token(info.arm_scope).token)
    assert claims["appid"] == info.app.client_id


def test_certificate_of_another_app_is_refused(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    other = azure_emulator.add_application(info.managed_tenant_id, "other")
    cert = azure_emulator.add_certificate(other.client_id)
    cred = CertificateCredential(
        info.managed_tenant_id,
        info.app.client_id,
        certificate_data=cert.pem,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=azure_emulator.transport(),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        cred.get_token(info.arm_scope)


def test_federated_client_assertion(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    issuer = "https://token.actions.githubusercontent.com"
    subject = "repo:contoso/spoke:ref:refs/heads/main"
    azure_emulator.add_federated_credential(info.app.client_id, issuer=issuer, subject=subject)
    calls: list[int] = []

    def assertion() -> str:
        calls.append(1)
        return azure_emulator.issue_federated_assertion(issuer=issuer, subject=subject)

    cred = ClientAssertionCredential(
        info.managed_tenant_id,
        info.app.client_id,
        assertion,
        authority=info.authority,
        transport=azure_emulator.transport(),
    )
    claims = _claims(cred.get_token(info.arm_scope).token)
    assert claims["tid"] == info.managed_tenant_id
    assert claims["appid"] == info.app.client_id
    assert calls == [1]


def test_federated_assertion_with_unknown_subject_is_refused(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    issuer = "https://token.actions.githubusercontent.com"
    azure_emulator.add_federated_credential(info.app.client_id, issuer=issuer, subject="repo:a/b:ref:main")
    cred = ClientAssertionCredential(
        info.managed_tenant_id,
        info.app.client_id,
        lambda: azure_emulator.issue_federated_assertion(issuer=issuer, subject="repo:evil/fork:ref:main"),
        authority=info.authority,
        transport=azure_emulator.transport(),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700213"):
        cred.get_token(info.arm_scope)


def test_wrong_secret(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    cred = _secret_credential(azure_emulator, info.app.client_id, "not-the-secret", info.managed_tenant_id)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        cred.get_token(info.arm_scope)
    [entry] = azure_emulator.journal.token_requests()
    assert entry.status == 401
    assert entry.error_code == "invalid_client"


def test_unknown_app(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    cred = _secret_credential(
        azure_emulator, "0badc0de-0000-4000-8000-000000000000", "secret", info.managed_tenant_id
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        cred.get_token(info.arm_scope)


def test_unknown_tenant(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    cred = _secret_credential(
        azure_emulator, info.app.client_id, info.app.client_secret, "dddddddd-0000-4000-8000-000000000001"
    )
    with pytest.raises(ClientAuthenticationError):
        cred.get_token(info.arm_scope)


def test_single_tenant_app_cannot_get_foreign_token(azure_emulator_fresh: AzureEmulator) -> None:
    info = _info(azure_emulator_fresh)
    a = info.management_tenant_id
    cred = _secret_credential(
        azure_emulator_fresh,
        info.app.client_id,
        info.app.client_secret,
        info.managed_tenant_id,
        additionally_allowed_tenants=[a],
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016") as err:
        cred.get_token(info.arm_scope, tenant_id=a)
    assert info.app.client_id in str(err.value)
    # the home tenant still works
    assert _claims(cred.get_token(info.arm_scope).token)["tid"] == info.managed_tenant_id


def test_multitenant_app_without_service_principal_in_foreign_tenant(
    azure_emulator_fresh: AzureEmulator,
) -> None:
    emu = azure_emulator_fresh
    info = _info(emu)
    a = info.management_tenant_id
    emu.state.applications[info.app.client_id].sign_in_audience = "AzureADMultipleOrgs"
    cred = _secret_credential(
        emu,
        info.app.client_id,
        info.app.client_secret,
        info.managed_tenant_id,
        additionally_allowed_tenants=[a],
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        cred.get_token(info.arm_scope, tenant_id=a)
    assert len(emu.journal.token_requests(a)) == 1
    emu.add_service_principal(info.app.client_id, a)
    # MSAL caches HTTP 400 token answers for 60 s (wall clock): the same credential fails again without
    # asking Entra ID, so onboarding code must retry with a fresh credential.
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        cred.get_token(info.arm_scope, tenant_id=a)
    assert len(emu.journal.token_requests(a)) == 1
    fresh = _secret_credential(
        emu,
        info.app.client_id,
        info.app.client_secret,
        info.managed_tenant_id,
        additionally_allowed_tenants=[a],
    )
    assert _claims(fresh.get_token(info.arm_scope, tenant_id=a).token)["tid"] == a


def test_credential_caches_tokens_per_tenant(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    a, b = info.management_tenant_id, info.managed_tenant_id
    cred = _secret_credential(
        azure_emulator, info.app.client_id, info.app.client_secret, b, additionally_allowed_tenants=[a]
    )
    for _ in range(3):
        cred.get_token(info.arm_scope)
        cred.get_token(info.arm_scope, tenant_id=a)
    journal = azure_emulator.journal
    assert len(journal.token_requests(b)) == 1
    assert len(journal.token_requests(a)) == 1
    assert all(e.app_id == info.app.client_id and e.status == 200 for e in journal.token_requests())
    # a different resource is a different token
    cred.get_token(info.graph_scope)
    assert len(journal.token_requests(b)) == 2


def test_unknown_resource_is_refused(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    cred = _secret_credential(
        azure_emulator, info.app.client_id, info.app.client_secret, info.managed_tenant_id
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS500011"):
        cred.get_token("https://vault.azure.net/.default")


def test_token_over_https(azure_emulator_https: AzureEmulator) -> None:
    emu = azure_emulator_https
    info = _info(emu)
    assert info.ca_bundle is not None
    assert info.authority.startswith("https://127.0.0.1:")
    cred = ClientSecretCredential(
        info.managed_tenant_id,
        info.app.client_id,
        info.app.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        connection_verify=info.ca_bundle,
        additionally_allowed_tenants=[info.management_tenant_id],
    )
    claims = _claims(cred.get_token(info.arm_scope, tenant_id=info.management_tenant_id).token)
    assert claims["tid"] == info.management_tenant_id
    assert claims["aud"].rstrip("/") == info.arm_endpoint.rstrip("/")
    assert len(emu.journal.token_requests(info.management_tenant_id)) == 1


# ---- certificate assertions crafted by hand (azure-identity cannot forge them) --------------------------


@pytest.fixture(params=["in-process", "https"])
def front(request: pytest.FixtureRequest) -> Iterator[tuple[AzureEmulator, requests.Session]]:
    """An onboarded emulator and a ``requests`` session that reaches it (in-process adapter or HTTPS)."""
    name = "azure_emulator" if request.param == "in-process" else "azure_emulator_https"
    emu = request.getfixturevalue(name)
    assert isinstance(emu, AzureEmulator)
    ca_bundle = _info(emu).ca_bundle
    if ca_bundle:
        session = requests.Session()
        session.trust_env = False  # a preset REQUESTS_CA_BUNDLE would override the test CA
        session.verify = ca_bundle
    else:
        session = emulator_session(emu)
    with session:
        yield emu, session


@functools.cache
def _forger_key() -> rsa.RSAPrivateKey:
    """A key that belongs to no registered certificate (made once: RSA key generation is slow)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_key(cert: CertificateCredentials) -> rsa.RSAPrivateKey:
    key_pem = cert.pem.split(b"-----END PRIVATE KEY-----")[0] + b"-----END PRIVATE KEY-----\n"
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _x5t(cert: CertificateCredentials) -> str:
    """The header MSAL sends: base64url of the certificate's SHA-1 thumbprint."""
    return base64.urlsafe_b64encode(bytes.fromhex(cert.thumbprint)).decode("ascii")


def _cert_assertion(
    emu: AzureEmulator,
    cert: CertificateCredentials,
    *,
    key: rsa.RSAPrivateKey | None = None,
    aud: str | None = None,
    lifetime: float = 600,
    issuer: str | None = None,
) -> str:
    """An RS256 client assertion as MSAL builds it (``x5t`` header; aud, iss, sub, jti, iat, nbf, exp)."""
    info = _info(emu)
    now = int(emu.clock.time())
    claims = {
        "aud": aud or f"{info.authority}/{info.managed_tenant_id}/oauth2/v2.0/token",
        "iss": issuer or cert.client_id,
        "sub": issuer or cert.client_id,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": int(now + lifetime),
    }
    return jwt.encode(claims, key or _private_key(cert), algorithm="RS256", headers={"x5t": _x5t(cert)})


def _post_assertion(front: tuple[AzureEmulator, requests.Session], assertion: str) -> requests.Response:
    """POST the form MSAL sends for a certificate credential to the managed tenant's token endpoint."""
    emu, session = front
    info = _info(emu)
    return session.post(
        f"{info.authority}/{info.managed_tenant_id}/oauth2/v2.0/token",
        data={
            "client_id": info.app.client_id,
            "grant_type": "client_credentials",
            "client_info": "1",
            "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "scope": info.arm_scope,
        },
        timeout=10,
    )


def _assert_aad_error(resp: requests.Response, aadsts: int) -> None:
    assert resp.status_code == 401, resp.text
    body = resp.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [aadsts]
    assert body["error_description"].startswith(f"AADSTS{aadsts}: ")
    assert "access_token" not in body


def test_handcrafted_certificate_assertion_is_accepted(front: tuple[AzureEmulator, requests.Session]) -> None:
    """The control for the refusals below: the crafted assertion is valid as built."""
    emu = front[0]
    info = _info(emu)
    cert = emu.add_certificate(info.app.client_id)
    resp = _post_assertion(front, _cert_assertion(emu, cert))
    assert resp.status_code == 200, resp.text
    claims = _claims(resp.json()["access_token"])
    assert claims["appid"] == info.app.client_id and claims["tid"] == info.managed_tenant_id


def test_forged_signature_with_registered_thumbprint_is_refused(
    front: tuple[AzureEmulator, requests.Session],
) -> None:
    """The x5t names a certificate registered on the app (so the key lookup succeeds), but the assertion was
    signed with another key: Entra ID answers AADSTS700027."""
    emu = front[0]
    info = _info(emu)
    cert = emu.add_certificate(info.app.client_id)
    forger = _forger_key()
    resp = _post_assertion(front, _cert_assertion(emu, cert, key=forger))
    _assert_aad_error(resp, 700027)
    assert "not registered" not in resp.json()["error_description"]  # the key was found
    [entry] = emu.journal.token_requests()
    assert (entry.status, entry.error_code) == (401, "invalid_client")


def test_assertion_for_another_audience_is_refused(front: tuple[AzureEmulator, requests.Session]) -> None:
    """``aud`` must be the token endpoint; an assertion minted for ARM is refused with AADSTS700023."""
    emu = front[0]
    info = _info(emu)
    cert = emu.add_certificate(info.app.client_id)
    resp = _post_assertion(front, _cert_assertion(emu, cert, aud=info.arm_endpoint))
    _assert_aad_error(resp, 700023)
    assert "audience" in resp.json()["error_description"]


def test_certificate_assertion_on_the_v1_endpoint(front: tuple[AzureEmulator, requests.Session]) -> None:
    """The v1 endpoint (``resource=``) takes a certificate assertion whose ``aud`` is the v1 token endpoint."""
    emu, session = front
    info = _info(emu)
    cert = emu.add_certificate(info.app.client_id)
    v1 = f"{info.authority}/{info.managed_tenant_id}/oauth2/token"
    resp = session.post(
        v1,
        data={
            "client_id": info.app.client_id,
            "grant_type": "client_credentials",
            "client_assertion": _cert_assertion(emu, cert, aud=v1),
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "resource": "https://management.core.windows.net/",
        },
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["resource"] == "https://management.core.windows.net/"
    assert _claims(resp.json()["access_token"])["aud"] == "https://management.core.windows.net/"


def test_expired_assertion_is_refused(front: tuple[AzureEmulator, requests.Session]) -> None:
    emu = front[0]
    info = _info(emu)
    cert = emu.add_certificate(info.app.client_id)
    assertion = _cert_assertion(emu, cert, lifetime=600)
    emu.clock.advance(601)
    resp = _post_assertion(front, assertion)
    _assert_aad_error(resp, 700024)
    assert "valid time range" in resp.json()["error_description"]


def test_assertion_issued_by_another_app_is_refused(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    info = _info(emu)
    cert = emu.add_certificate(info.app.client_id)
    with emulator_session(emu) as session:
        resp = _post_assertion(
            (emu, session), _cert_assertion(emu, cert, issuer=info.admins["managed"].client_id)
        )
    _assert_aad_error(resp, 700021)


def test_forged_assertion_through_client_assertion_credential(azure_emulator: AzureEmulator) -> None:
    """The same forgery through azure-identity's real client (it posts whatever assertion it is handed)."""
    emu = azure_emulator
    info = _info(emu)
    cert = emu.add_certificate(info.app.client_id)
    forger = _forger_key()
    cred = ClientAssertionCredential(
        info.managed_tenant_id,
        info.app.client_id,
        lambda: _cert_assertion(emu, cert, key=forger),
        authority=info.authority,
        transport=emu.transport(),
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS700027"):
        cred.get_token(info.arm_scope)
    good = ClientAssertionCredential(
        info.managed_tenant_id,
        info.app.client_id,
        lambda: _cert_assertion(emu, cert),
        authority=info.authority,
        transport=emu.transport(),
    )
    assert _claims(good.get_token(info.arm_scope).token)["appid"] == info.app.client_id
