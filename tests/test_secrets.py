"""Secrets (issue 7): with DEBUG logging on every logger and ``logging_enable=True`` on every pipeline, no
access token, auxiliary token, client secret or client assertion appears in a log record, a repr, a str or an
exception message."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.transport import HttpRequest as TransportHttpRequest
from azure.core.rest import HttpRequest

from crossipam import CrossIpamError, SubnetSpec
from crossipam.credentials import TenantBoundCredential
from crossipam.policies import CrossTenantAuxiliaryPolicy, RedactingNetworkTraceLoggingPolicy, redact
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, MakeClient
    from .fixtures.onboarding import Onboard


JWT_RX = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
#: Every pipeline traced (``logging_enable``), no retries: ``make_client(emu, **TRACED)``.
TRACED: dict[str, Any] = {"logging_enable": True, "retry_total": 0}


def _leaks(texts: Iterable[str], secrets: set[str]) -> list[str]:
    found = []
    for text in texts:
        for secret in secrets:
            if secret and secret in text:
                found.append(f"secret {secret[:6]}… in {text[:120]!r}")
        m = JWT_RX.search(text)
        if m:
            found.append(f"JWT-looking {m.group(0)[:12]}… in {text[:120]!r}")
    return found


def test_no_secret_in_logs_reprs_or_errors(
    azure_emulator_fresh: AzureEmulator,
    caplog: pytest.LogCaptureFixture,
    info_of: InfoOf,
    make_client: MakeClient,
    onboard: Onboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    caplog.set_level(logging.DEBUG)  # every logger: crossipam, azure-core, azure-identity, msal, urllib3
    texts: list[str] = []

    onboarded = onboard(emu, logging_enable=True)
    texts += [repr(onboarded), str(onboarded)]
    with make_client(emu, **TRACED) as client:
        vnet = info.vnet_id("vnet-secrets")
        deployed = client.begin_deploy_virtual_network(
            vnet,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=64,
            subnets=[SubnetSpec("a", 16)],
        ).result()
        usage = client.get_pool_usage(info.pool_id)
        allocations = client.list_pool_allocations(info.pool_id)
        removed = client.begin_remove_allocation(vnet).result()
        texts += [repr(client), str(client), repr(deployed), repr(usage), repr(allocations), repr(removed)]
        texts += [repr(c) for c in (client._for_managed, client._for_management, client._credential)]
        for sdk in client._clients.values():
            for policy in sdk._client._pipeline._impl_policies:
                if isinstance(policy, CrossTenantAuxiliaryPolicy):
                    texts.append(repr(policy))
        # errors: a rejected (expired) token, a failed operation, a 403
        errors: list[CrossIpamError] = []
        emu.clock.advance(emu.settings.token_lifetime + 600)
        with pytest.raises(CrossIpamError) as expired:
            client.get_pool_usage(info.pool_id)
        errors.append(expired.value)
    emu.network.fail_next_operation("InternalServerError", "boom")
    with make_client(emu, **TRACED) as fresh, pytest.raises(CrossIpamError) as failed:
        fresh.begin_deploy_virtual_network(
            info.vnet_id("vnet-fail"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=8
        ).result()
    errors.append(failed.value)
    for err in errors:
        texts += [str(err), repr(err), err.message, err.hint or ""]
        cause = err.__cause__
        while cause is not None:
            texts.append(str(cause))
            cause = cause.__cause__

    records = caplog.records
    assert any("Request headers" in r.getMessage() for r in records), "the network trace was on"
    assert any("REDACTED" in r.getMessage() for r in records)
    texts += [r.getMessage() for r in records]
    texts += [str(r.args) for r in records if r.args]
    secrets = (
        set(emu.issued_secrets) | {info.app.client_secret} | {a.client_secret for a in info.admins.values()}
    )
    assert len(secrets) > 4
    assert _leaks(texts, secrets) == []


def _traced(policy: RedactingNetworkTraceLoggingPolicy, request: HttpRequest) -> PipelineRequest[Any]:
    from azure.core.pipeline import PipelineContext

    ctx = PipelineContext(None)
    pr: PipelineRequest[Any] = PipelineRequest(request, ctx)
    policy.on_request(pr)
    return pr


def test_redacting_trace_policy_redacts_headers_and_token_bodies(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJhIn0.c2lnbmF0dXJlX2J5dGVz"
    policy = RedactingNetworkTraceLoggingPolicy(logging_enable=True)
    request = HttpRequest(
        "POST",
        "https://login.example/t/oauth2/v2.0/token",
        headers={
            "Authorization": f"Bearer {jwt}",
            "x-ms-authorization-auxiliary": f"Bearer {jwt}",
            "x-ok": "1",
        },
        data={"client_id": "app", "client_secret": "s3cr3t-value", "client_assertion": jwt, "scope": "x"},
    )
    pr = _traced(policy, request)
    # the request itself is untouched
    assert request.headers["Authorization"] == f"Bearer {jwt}"
    legacy = TransportHttpRequest("GET", "https://arm.example/x")
    _traced(policy, legacy)  # type: ignore[arg-type]

    class _Resp:
        status_code = 200
        headers = {"content-type": "application/json"}

        def text(self) -> str:
            return '{"token_type":"Bearer","access_token":"' + jwt + '","refresh_token":"r3fr3sh"}'

    policy.on_response(pr, PipelineResponse(request, _Resp(), pr.context))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Request headers" in text and "Response content" in text
    assert "'x-ok': '1'" in text
    for secret in (jwt, "s3cr3t-value", "r3fr3sh"):
        assert secret not in text
    assert text.count("REDACTED") >= 5


def test_redact_helper() -> None:
    assert redact("client_id=x&client_secret=abc&scope=y") == "client_id=x&client_secret=REDACTED&scope=y"
    assert redact('{"access_token": "tok"}') == '{"access_token": "REDACTED"}'
    assert redact("Bearer eyJa.eyJb.c") == "Bearer REDACTED"
    assert redact("nothing to hide") == "nothing to hide"


def test_reprs_never_show_credentials(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    info = info_of(azure_emulator)
    assert info.app.client_secret not in repr(info.app)
    assert all(a.client_secret not in repr(a) for a in info.admins.values())
    with make_client(azure_emulator, **TRACED) as client:
        bound = TenantBoundCredential(client._credential, info.management_tenant_id)
        for text in (repr(client), repr(bound)):
            assert info.app.client_secret not in text


@pytest.mark.parametrize("service", ["arm", "graph"])
def test_an_answer_that_echoes_the_token_never_reaches_an_error_message(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    info_of: InfoOf,
    make_client: MakeClient,
    onboard: Onboard,
) -> None:
    """A gateway that answers with a non-JSON page quoting the request (Authorization header included): the
    typed error quotes at most its first line, redacted and capped — for ARM (pool read) and Graph (onboarding)."""
    from crossipam.testing import Response

    emu = azure_emulator
    info = info_of(emu)
    original = emu.handle
    echoed: list[str] = []

    def gateway(req: Any) -> Response:
        if ("getPoolUsage" if service == "arm" else "/v1.0/applications") in req.path:
            token = req.header("authorization") or ""
            echoed.append(token.split()[-1])
            page = f"Bad gateway for {token}\n<pre>{req.headers}</pre>"
            return Response(400, {"content-type": "text/html"}, page.encode())
        return original(req)

    monkeypatch.setattr(emu, "handle", gateway)
    with pytest.raises(CrossIpamError) as caught:
        if service == "graph":
            onboard(emu)
        else:
            with make_client(emu, **TRACED) as client:
                client.get_pool_usage(info.pool_id)
    err = caught.value
    assert echoed and echoed[0].startswith("eyJ")
    texts = [str(err), repr(err), err.message, err.hint or ""]
    assert _leaks(texts, set(echoed)) == []
    if service == "graph":  # the Graph path quotes the page's first line, redacted
        assert "Bad gateway for Bearer REDACTED" in str(err)
