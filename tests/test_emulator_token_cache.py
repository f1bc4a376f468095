"""The offline Azure checks a token's signature once per distinct token string (a bounded cache: every client
sends the same token with each request) and its expiry on every request, on the emulator clock. Driven by the
unmodified azure-mgmt-network client over the in-process transport."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.network import NetworkManagementClient
from pytest_mock import MockerFixture

from crossipam.testing import AzureEmulator, _tokens
from crossipam.testing._tokens import TokenIssuer


class _StaticCredential:
    """Hands out one fixed token (expiry far ahead as far as the client knows)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def _token(emu: AzureEmulator) -> str:
    info = emu.scenario
    assert info is not None
    credential = ClientSecretCredential(
        info.managed_tenant_id,
        info.app.client_id,
        info.app.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=emu.transport(),
    )
    return credential.get_token(info.arm_scope).token


def _list_vnets(emu: AzureEmulator, token: str) -> list[Any]:
    info = emu.scenario
    assert info is not None
    client = NetworkManagementClient(
        _StaticCredential(token),
        info.managed_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        transport=emu.transport(),
        retry_total=0,
    )
    return list(client.virtual_networks.list(info.resource_group))


def _refused(emu: AzureEmulator, token: str) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as caught:
        _list_vnets(emu, token)
    assert caught.value.status_code == 401
    return caught.value


def test_a_token_is_verified_once_and_still_refused_once_it_expires(
    azure_emulator: AzureEmulator, mocker: MockerFixture
) -> None:
    emu = azure_emulator
    token = _token(emu)
    verify = mocker.spy(jwt, "decode")
    _list_vnets(emu, token)
    _list_vnets(emu, token)
    assert verify.call_count == 1  # the second request's signature check came from the cache
    emu.clock.advance(emu.settings.token_lifetime + 60)
    err = _refused(emu, token)
    assert err.error is not None and err.error.code == "ExpiredAuthenticationToken"


def test_a_different_token_string_is_never_served_from_the_cache(azure_emulator: AzureEmulator) -> None:
    emu = azure_emulator
    token = _token(emu)
    _list_vnets(emu, token)  # the genuine token is cached now
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = TokenIssuer().sign(claims)  # the same claims, signed with another key
    assert forged != token
    _refused(emu, forged)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    _refused(emu, tampered)
    assert len(_list_vnets(emu, token)) == 0  # the genuine one still works


def test_the_cache_is_bounded(
    azure_emulator: AzureEmulator, mocker: MockerFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = azure_emulator
    monkeypatch.setattr(_tokens, "VERIFIED_CACHE_SIZE", 1)
    first = _token(emu)
    emu.clock.advance(1)  # a new token (its own iat/exp)
    verify = mocker.spy(jwt, "decode")
    _list_vnets(emu, first)
    second = _token(emu)
    assert second != first
    _list_vnets(emu, second)  # evicts the first
    _list_vnets(emu, first)
    assert [call.args[0] for call in verify.call_args_list] == [first, second, first]
