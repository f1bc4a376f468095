"""Tokens are checked for the tenant they were asked for (issue 16), with real JWTs from the offline Azure.

A credential that ignores ``tenant_id`` (a managed identity hidden in ``ChainedTokenCredential`` /
``DefaultAzureCredential`` does) answers the management-tenant request with a managed-tenant token; without the
check ARM would refuse the VNet PUT with a misleading ``LinkedAuthorizationFailed`` after requests were sent. Now
``TokenTenantMismatchError`` names the credential and both tenants, and no ARM request is journaled. Credentials
that raise anything or return ``None`` become ``CredentialError``; a missing certificate or federated-token file
is refused at construction. Sync and async (``crossipam.aio``) alike; no token in any message or repr.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.identity import ChainedTokenCredential, ClientSecretCredential
from azure.identity.aio import ChainedTokenCredential as AsyncChainedTokenCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

from crossipam import (
    BulkItemResult,
    ConfigurationError,
    CredentialError,
    CrossTenantIpamClient,
    DeploymentSpec,
    TokenTenantMismatchError,
)
from crossipam import aio as crossipam_aio
from crossipam.aio import AsyncTenantBoundCredential
from crossipam.credentials import TenantBoundCredential, credential_name, token_tenant_id
from crossipam.testing import AzureEmulator, ScenarioInfo

if TYPE_CHECKING:
    from .fixtures.clients import ClientOptions, InfoOf


JWT_RX = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
SCOPE_KW = "resource_manager_scope"


def _secret_credential(emu: AzureEmulator, info: ScenarioInfo, tenant: str) -> ClientSecretCredential:
    """A real azure-identity credential of the app, talking to the offline Azure (it honours ``tenant_id``)."""
    return ClientSecretCredential(
        tenant,
        info.app.client_id,
        info.app.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        additionally_allowed_tenants=["*"],
        transport=emu.transport(),
    )


def _async_secret_credential(
    emu: AzureEmulator, info: ScenarioInfo, tenant: str
) -> AsyncClientSecretCredential:
    return AsyncClientSecretCredential(
        tenant,
        info.app.client_id,
        info.app.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        additionally_allowed_tenants=["*"],
        transport=emu.async_transport(),
    )


class EmulatedManagedIdentityCredential:
    """Behaves like a managed identity: ignores ``tenant_id`` and answers with a token of its own tenant (a real
    JWT issued by the offline Azure for the managed tenant)."""

    def __init__(self, inner: ClientSecretCredential) -> None:
        self._inner = inner
        self.asked: list[str | None] = []

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        self.asked.append(tenant_id)
        return self._inner.get_token(*scopes)  # tenant_id dropped on the floor

    def close(self) -> None:
        self._inner.close()


class AsyncEmulatedManagedIdentityCredential:
    def __init__(self, inner: AsyncClientSecretCredential) -> None:
        self._inner = inner

    async def __aenter__(self) -> AsyncEmulatedManagedIdentityCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        return await self._inner.get_token(*scopes)

    async def close(self) -> None:
        await self._inner.close()


class Answers:
    """A custom TokenCredential whose ``get_token`` runs ``answer`` (raise something, return ``None`` …)."""

    def __init__(self, answer: Callable[[], Any]) -> None:
        self._answer = answer

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self._answer()


class AsyncAnswers:
    def __init__(self, answer: Callable[[], Any]) -> None:
        self._answer = answer

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return self._answer()

    async def close(self) -> None:
        pass


def _deploy_kwargs(info: ScenarioInfo) -> dict[str, Any]:
    return {"location": info.location, "pool_id": info.pool_id, "number_of_ip_addresses": 16}


def _no_token_shown(emu: AzureEmulator, *texts: str) -> None:
    for text in texts:
        assert not JWT_RX.search(text), text
        for secret in emu.issued_secrets:
            assert secret not in text


def _check_mismatch(emu: AzureEmulator, info: ScenarioInfo, err: BaseException) -> None:
    assert isinstance(err, TokenTenantMismatchError), repr(err)
    assert err.tenant_id == info.management_tenant_id
    assert err.token_tenant_id == info.managed_tenant_id
    assert err.credential_name is not None and "EmulatedManagedIdentityCredential (in " in err.credential_name
    text = str(err)
    assert "ChainedTokenCredential" in text
    assert info.managed_tenant_id in text and info.management_tenant_id in text
    assert err.hint is not None and "managed identity ignores tenant_id" in err.hint
    _no_token_shown(emu, text, repr(err))
    assert emu.journal.entries(service="arm") == []  # refused before any ARM request
    assert not emu.journal.token_requests(info.management_tenant_id)  # only B was ever asked


# ---- the wrong tenant's token ------------------------------------------------------------------------------


def test_a_token_of_the_wrong_tenant_is_refused_before_any_arm_request(
    azure_emulator: AzureEmulator, info_of: InfoOf, client_options: ClientOptions
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    hidden = EmulatedManagedIdentityCredential(_secret_credential(emu, info, info.managed_tenant_id))
    chained = ChainedTokenCredential(hidden)
    emu.journal.clear()
    with (
        CrossTenantIpamClient(chained, **client_options(emu)) as client,
        pytest.raises(CredentialError) as caught,
    ):
        client.begin_deploy_virtual_network(info.vnet_id("vnet-mi"), **_deploy_kwargs(info)).result()
    _check_mismatch(emu, info, caught.value)
    assert info.management_tenant_id in hidden.asked  # it was asked for A, and answered for B
    assert emu.virtual_network(info.vnet_id("vnet-mi")) is None


def test_a_token_of_the_wrong_tenant_fails_every_bulk_item_alone(
    azure_emulator: AzureEmulator, info_of: InfoOf, client_options: ClientOptions
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    chained = ChainedTokenCredential(
        EmulatedManagedIdentityCredential(_secret_credential(emu, info, info.managed_tenant_id))
    )
    specs = [DeploymentSpec(info.vnet_id(f"vnet-mi{i}"), info.location, info.pool_id, 16) for i in range(3)]
    emu.journal.clear()
    with CrossTenantIpamClient(chained, **client_options(emu)) as client:
        results: list[BulkItemResult] = client.deploy_many(specs)
    assert [r.vnet_id for r in results] == [str(s.vnet_id) for s in specs]
    for result in results:
        assert result.error is not None and result.attempts == 1  # a credential error is final
        _check_mismatch(emu, info, result.error)


async def test_async_a_token_of_the_wrong_tenant_is_refused_before_any_arm_request(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    async_client_options: ClientOptions,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    chained = AsyncChainedTokenCredential(
        AsyncEmulatedManagedIdentityCredential(_async_secret_credential(emu, info, info.managed_tenant_id))
    )
    emu.journal.clear()
    async with crossipam_aio.CrossTenantIpamClient(chained, **async_client_options(emu)) as client:
        with pytest.raises(CredentialError) as caught:
            poller = await client.begin_deploy_virtual_network(
                info.vnet_id("vnet-mi"), **_deploy_kwargs(info)
            )
            await poller.result()
        results = await client.deploy_many(
            [DeploymentSpec(info.vnet_id("vnet-mi2"), info.location, info.pool_id, 16)]
        )
    await chained.close()
    _check_mismatch(emu, info, caught.value)
    [result] = results
    assert result.error is not None
    _check_mismatch(emu, info, result.error)


def test_readiness_reports_the_wrong_tenant(
    azure_emulator: AzureEmulator, info_of: InfoOf, client_options: ClientOptions
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    chained = ChainedTokenCredential(
        EmulatedManagedIdentityCredential(_secret_credential(emu, info, info.managed_tenant_id))
    )
    with CrossTenantIpamClient(chained, **client_options(emu)) as client:
        report = client.check_readiness(info.pool_id)
    [check] = [c for c in report.checks if c.name == "token_management_tenant"]
    assert check.status == "fail" and check.remedy is not None and "managed identity" in check.remedy


def test_the_right_tenant_passes_and_the_check_can_be_turned_off(
    azure_emulator: AzureEmulator, info_of: InfoOf
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    real = _secret_credential(emu, info, info.managed_tenant_id)
    scope = info.arm_scope
    token = TenantBoundCredential(real, info.management_tenant_id).get_token(scope)
    assert token_tenant_id(token.token) == info.management_tenant_id
    info_token = TenantBoundCredential(real, info.management_tenant_id).get_token_info(scope)
    assert token_tenant_id(info_token.token) == info.management_tenant_id
    ignoring = EmulatedManagedIdentityCredential(real)
    with pytest.raises(TokenTenantMismatchError):
        TenantBoundCredential(ignoring, info.management_tenant_id).get_token(scope)
    unchecked = TenantBoundCredential(ignoring, info.management_tenant_id, verify_tenant=False)
    assert token_tenant_id(unchecked.get_token(scope).token) == info.managed_tenant_id


def test_an_opaque_token_is_not_checked(caplog: pytest.LogCaptureFixture) -> None:
    """A token that is not a JWT cannot be checked: it passes, and the skip is logged at DEBUG."""
    tenant = "aaaaaaaa-0000-4000-8000-000000000001"
    bound = TenantBoundCredential(Answers(lambda: AccessToken("opaque-token", 4102444800)), tenant)
    with caplog.at_level(logging.DEBUG, logger="crossipam.credentials"):
        assert bound.get_token("scope").token == "opaque-token"
    assert "tenant check skipped" in caplog.text and "opaque-token" not in caplog.text


def _jwt(claims: object) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_token_tenant_id_reads_the_tid_claim_or_nothing(
    azure_emulator: AzureEmulator, info_of: InfoOf
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    real = _secret_credential(emu, info, info.managed_tenant_id).get_token(
        info.arm_scope, tenant_id=info.management_tenant_id
    )
    assert token_tenant_id(real.token) == info.management_tenant_id
    assert token_tenant_id(_jwt({"tid": "AAAAAAAA-0000-4000-8000-000000000001"})) == (
        "aaaaaaaa-0000-4000-8000-000000000001"
    )
    for opaque in (
        "opaque",
        "a.b",
        "a.b.c.d.e",  # JWE: encrypted, nothing to read
        "x.!!!.y",
        "x.bm90IGpzb24.y",  # "not json"
        _jwt(["tid"]),
        _jwt({"tid": 42}),
        _jwt({"tid": ""}),
        _jwt({"oid": "x"}),
    ):
        assert token_tenant_id(opaque) is None, opaque


def test_credential_name_names_the_chain_member_that_answered(
    azure_emulator: AzureEmulator, info_of: InfoOf
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    hidden = EmulatedManagedIdentityCredential(_secret_credential(emu, info, info.managed_tenant_id))
    chained = ChainedTokenCredential(hidden)
    assert credential_name(chained) == "ChainedTokenCredential"
    chained.get_token(info.arm_scope)
    assert credential_name(chained) == "EmulatedManagedIdentityCredential (in ChainedTokenCredential)"
    assert credential_name(hidden) == "EmulatedManagedIdentityCredential"


# ---- credentials that raise or answer nonsense -------------------------------------------------------------


def _raise_runtime() -> Any:
    raise RuntimeError("token cache corrupted")


def _raise_key() -> Any:
    raise KeyError("access_token")


BAD_ANSWERS: list[tuple[str, Callable[[], Any], str]] = [
    ("raises RuntimeError", _raise_runtime, "RuntimeError: token cache corrupted"),
    ("raises KeyError", _raise_key, "KeyError"),
    ("returns None", lambda: None, "returned None instead of an access token"),
    ("returns an object without token", lambda: object(), "returned a object without a token string"),
    ("returns a bare string", lambda: "eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.c2ln", "returned a str without"),
    (
        "returns a token without expiry",
        lambda: AccessTokenInfo("t", None),  # type: ignore[arg-type]
        "without a token string and expires_on",
    ),
]


@pytest.mark.parametrize(("case", "answer", "words"), BAD_ANSWERS, ids=[c[0] for c in BAD_ANSWERS])
def test_a_misbehaving_credential_is_a_credential_error(
    azure_emulator: AzureEmulator,
    case: str,
    answer: Callable[[], Any],
    words: str,
    info_of: InfoOf,
    client_options: ClientOptions,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    emu.journal.clear()
    with (
        CrossTenantIpamClient(Answers(answer), **client_options(emu)) as client,
        pytest.raises(CredentialError) as caught,
    ):
        client.get_pool_usage(info.pool_id)
    err = caught.value
    assert type(err) is CredentialError
    assert "Answers" in err.message and info.management_tenant_id in err.message and words in err.message
    assert err.tenant_id == info.management_tenant_id and err.hint
    _no_token_shown(emu, str(err), repr(err))
    assert len(emu.journal) == 0


@pytest.mark.parametrize(("case", "answer", "words"), BAD_ANSWERS, ids=[c[0] for c in BAD_ANSWERS])
async def test_async_a_misbehaving_credential_is_a_credential_error(
    azure_emulator: AzureEmulator,
    case: str,
    answer: Callable[[], Any],
    words: str,
    info_of: InfoOf,
    async_client_options: ClientOptions,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    emu.journal.clear()
    credential: Any = AsyncAnswers(answer)  # no AsyncTokenCredential: no __aenter__
    async with crossipam_aio.CrossTenantIpamClient(credential, **async_client_options(emu)) as client:
        with pytest.raises(CredentialError) as caught:
            await client.get_pool_usage(info.pool_id)
    err = caught.value
    assert type(err) is CredentialError
    assert "AsyncAnswers" in err.message and info.management_tenant_id in err.message and words in err.message
    _no_token_shown(emu, str(err), repr(err))
    assert len(emu.journal) == 0


def test_raising_credential_keeps_the_original_as_cause() -> None:
    tenant = "aaaaaaaa-0000-4000-8000-000000000001"
    bound = TenantBoundCredential(Answers(_raise_runtime), tenant, client_id="app-1")
    with pytest.raises(CredentialError) as caught:
        bound.get_token_info("scope", options=TokenRequestOptions())
    assert isinstance(caught.value.__cause__, RuntimeError) and "(app app-1)" in caught.value.message


async def test_a_sync_credential_in_the_async_client_is_named(
    azure_emulator: AzureEmulator, info_of: InfoOf
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    sync_credential = _secret_credential(emu, info, info.managed_tenant_id)
    bound = AsyncTenantBoundCredential(sync_credential, info.management_tenant_id)  # type: ignore[arg-type]
    with pytest.raises(CredentialError, match="ClientSecretCredential is not an async credential") as caught:
        await bound.get_token(info.arm_scope)
    assert caught.value.hint is not None and "azure.identity.aio" in caught.value.hint
    _no_token_shown(emu, str(caught.value))


# ---- files checked at construction -------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_missing_or_bad_certificate_file_is_refused_at_construction(
    azure_emulator: AzureEmulator,
    tmp_path: Path,
    flavour: str,
    info_of: InfoOf,
    client_options: ClientOptions,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    cls: Any = CrossTenantIpamClient if flavour == "sync" else crossipam_aio.CrossTenantIpamClient
    missing = tmp_path / "nope.pem"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    cases = [
        (str(missing), "does not exist"),
        (str(tmp_path), "is a directory"),
        (str(garbage), "could not be loaded"),
    ]
    for path, words in cases:
        with pytest.raises(ConfigurationError) as caught:
            cls.from_client_certificate(info.app.client_id, path, **client_options(emu))
        assert path in str(caught.value) and words in str(caught.value)
    assert len(emu.journal) == 0


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_certificate_file_is_refused_at_construction(
    azure_emulator: AzureEmulator, tmp_path: Path, info_of: InfoOf, client_options: ClientOptions
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    pem = tmp_path / "locked.pem"
    pem.write_bytes(emu.add_certificate(info.app.client_id).pem)
    pem.chmod(0)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        CrossTenantIpamClient.from_client_certificate(info.app.client_id, str(pem), **client_options(emu))


def _environ(info: ScenarioInfo, **extra: str) -> dict[str, str]:
    return {
        "AZURE_CLIENT_ID": info.app.client_id,
        "AZURE_TENANT_ID": info.managed_tenant_id,
        "AZURE_AUTHORITY_HOST": info.authority,
        "CROSSIPAM_MANAGEMENT_TENANT_ID": info.management_tenant_id,
        "CROSSIPAM_ARM_ENDPOINT": info.arm_endpoint,
        **extra,
    }


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(
    ("variable", "what"),
    [
        ("AZURE_CLIENT_CERTIFICATE_PATH", "certificate file"),
        ("AZURE_FEDERATED_TOKEN_FILE", "federated token file"),
    ],
)
def test_from_environment_refuses_a_missing_file_at_construction(
    azure_emulator: AzureEmulator, tmp_path: Path, flavour: str, variable: str, what: str, info_of: InfoOf
) -> None:
    emu = azure_emulator
    cls: Any = CrossTenantIpamClient if flavour == "sync" else crossipam_aio.CrossTenantIpamClient
    missing = str(tmp_path / "gone")
    info = info_of(emu)
    with pytest.raises(ConfigurationError) as caught:
        cls.from_environment(environ=_environ(info, **{variable: missing}), transport=emu.transport())
    assert f"the {what} {missing!r} does not exist" in str(caught.value)
    assert len(emu.journal) == 0


def test_a_token_file_removed_later_is_a_credential_error_naming_it(
    azure_emulator: AzureEmulator, tmp_path: Path, info_of: InfoOf
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    issuer, subject = "https://oidc.example/ci", "repo:contoso/spoke:ref:refs/heads/main"
    emu.add_federated_credential(info.app.client_id, issuer=issuer, subject=subject)
    token_file = tmp_path / "token"
    token_file.write_text(emu.issue_federated_assertion(issuer=issuer, subject=subject))
    environ = _environ(info, AZURE_FEDERATED_TOKEN_FILE=str(token_file))
    with CrossTenantIpamClient.from_environment(environ=environ, transport=emu.transport()) as client:
        token_file.unlink()
        with pytest.raises(CredentialError) as caught:
            client.get_pool_usage(info.pool_id)
    assert "WorkloadIdentityCredential" in str(caught.value) and str(token_file) in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)
    assert emu.journal.entries(service="arm") == []
