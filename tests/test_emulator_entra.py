"""The offline Entra ID as azure-identity (and MSAL under it) drives it: real credentials, real wire protocol."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientAssertionCredential, ClientSecretCredential

from crossipam.testing import AzureEmulator, ScenarioInfo


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
