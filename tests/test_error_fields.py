"""Every error that comes from a service's answer carries what support needs (``ErrorDiagnostics``): the service's
code, the HTTP status, request and correlation ids, the timestamp and the tenant — driven through real failures of
the offline Azure, sync and async, and compared with what the offline Azure actually answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.exceptions import ClientAuthenticationError

import crossipam.aio
from crossipam import CrossTenantIpamClient
from crossipam.credentials import credential_error
from crossipam.errors import (
    AdminCredentialError,
    AppNotOnboardedError,
    AzureServiceError,
    CredentialError,
    CrossIpamError,
    ErrorDiagnostics,
    InsufficientPrivilegesError,
    OnboardingError,
    entra_error_details,
    graph_error_details,
)
from crossipam.testing import AdminCredentials, AzureEmulator
from crossipam.testing._http import Request, Response

if TYPE_CHECKING:
    from .fixtures.clients import CloudOf, InfoOf, MakeAsyncClient, MakeClient, NetKwargs
    from .fixtures.onboarding import AsyncOnboard, Onboard, SecretCredential


WRONG_SECRET = "not-the-secret"


@dataclass(frozen=True)
class Answer:
    """One request the offline Azure answered, as it answered it."""

    service: str
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: Any


def record_answers(emu: AzureEmulator, monkeypatch: pytest.MonkeyPatch) -> list[Answer]:
    """Every answer of the (in-process) offline Azure from now on, headers and body included."""
    answers: list[Answer] = []
    handle: Callable[[Request], Response] = emu.handle

    def recording(req: Request) -> Response:
        resp = handle(req)
        answers.append(
            Answer(req.service, req.method, req.path, resp.status, dict(resp.headers), _json(resp))
        )
        return resp

    monkeypatch.setattr(emu, "handle", recording)
    return answers


def _json(resp: Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _one(
    answers: list[Answer], service: str, status: int, method: str | None = None, path: str = ""
) -> Answer:
    found = [
        a
        for a in answers
        if a.service == service
        and a.status == status
        and (method is None or a.method == method)
        and path.lower() in a.path.lower()
    ]
    assert found, f"no {service} {status} answer"
    return found[-1]


def _no_secrets(err: CrossIpamError, *secrets: str) -> None:
    assert isinstance(err, ErrorDiagnostics)
    shown = f"{err} {err!r} {err.diagnostics()}"
    for secret in secrets:
        assert secret not in shown
    assert "Bearer" not in shown and "eyJ" not in shown  # no token


# ------------------------------------------------------------------------------------------------
# Microsoft Graph


def _assert_graph_403(err: InsufficientPrivilegesError, answer: Answer, tenant_id: str) -> None:
    inner = answer.body["error"]["innerError"]
    assert err.code == "Authorization_RequestDenied" and err.status == 403
    assert err.request_id == inner["request-id"] == answer.headers["request-id"]
    assert err.correlation_id == inner["client-request-id"]
    assert err.timestamp == inner["date"]
    assert err.tenant_id == tenant_id and err.hint
    assert err.diagnostics() == {
        "code": "Authorization_RequestDenied",
        "status": 403,
        "request_id": inner["request-id"],
        "correlation_id": inner["client-request-id"],
        "timestamp": inner["date"],
        "tenant_id": tenant_id,
    }


def test_graph_403_during_onboarding_keeps_graphs_code_and_ids(
    azure_emulator_fresh: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    info_of: InfoOf,
    onboard: Onboard,
    secret_credential: SecretCredential,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    weak = emu.add_application(info.managed_tenant_id, "weak-admin-b")
    answers = record_answers(emu, monkeypatch)

    with pytest.raises(InsufficientPrivilegesError) as caught:
        onboard(
            emu,
            managed_tenant_credential=secret_credential(
                emu, info.managed_tenant_id, weak.client_id, weak.client_secret
            ),
        )

    err = caught.value
    _assert_graph_403(err, _one(answers, "graph", 403), info.managed_tenant_id)
    assert "Authorization_RequestDenied" in err.message  # the message is unchanged
    _no_secrets(err, weak.client_secret)


# ------------------------------------------------------------------------------------------------
# Azure Resource Manager


def test_arm_authorization_failure_during_role_assignment_keeps_arms_ids(
    azure_emulator_fresh: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    info_of: InfoOf,
    onboard: Onboard,
    secret_credential: SecretCredential,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    reader = emu.add_application(
        info.management_tenant_id, "graph-only-admin-a", graph_permissions=["Application.ReadWrite.All"]
    )
    emu.assign_role(reader.object_id, "Reader", f"/subscriptions/{info.management_subscription_id}")
    answers = record_answers(emu, monkeypatch)

    with pytest.raises(InsufficientPrivilegesError) as caught:
        onboard(
            emu,
            management_tenant_credential=secret_credential(
                emu, info.management_tenant_id, reader.client_id, reader.client_secret
            ),
        )

    err = caught.value
    refused = _one(answers, "arm", 403, "PUT", "/roleAssignments/")
    assert err.code == "AuthorizationFailed" and err.status == 403
    assert err.request_id == refused.headers["x-ms-request-id"]
    assert err.correlation_id == refused.headers["x-ms-correlation-request-id"]
    assert err.tenant_id == info.management_tenant_id and err.hint
    assert "roleAssignments/write" in err.permission
    _no_secrets(err, reader.client_secret)


def test_generic_onboarding_error_keeps_ids_and_has_a_hint(
    azure_emulator_fresh: AzureEmulator, monkeypatch: pytest.MonkeyPatch, onboard: Onboard
) -> None:
    """An ARM failure onboarding has no special class for (here 400 on the role assignment PUT)."""
    emu = azure_emulator_fresh
    emu.faults.add("PUT", r"/roleAssignments/", status=400, code="InvalidRoleAssignmentRequest", times=1)
    answers = record_answers(emu, monkeypatch)

    with pytest.raises(OnboardingError) as caught:
        onboard(emu)

    err = caught.value
    refused = _one(answers, "arm", 400, "PUT", "/roleAssignments/")
    assert type(err) is OnboardingError
    assert err.code == "InvalidRoleAssignmentRequest" and err.status == 400
    assert err.request_id == refused.headers["x-ms-request-id"]
    assert err.correlation_id == refused.headers["x-ms-correlation-request-id"]
    assert err.hint and "re-run" in err.hint
    assert err.completed_steps  # what had been done is still reported


# ------------------------------------------------------------------------------------------------
# Entra ID


def test_wrong_client_secret_keeps_the_aadsts_code_trace_and_correlation_ids(
    azure_emulator: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    info_of: InfoOf,
    cloud_of: CloudOf,
    net_kwargs: NetKwargs,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    answers = record_answers(emu, monkeypatch)
    client = CrossTenantIpamClient.from_client_secret(
        info.app.client_id,
        WRONG_SECRET,
        managed_tenant_id=info.managed_tenant_id,
        management_tenant_id=info.management_tenant_id,
        cloud=cloud_of(info),
        **net_kwargs(emu),
    )
    with client, pytest.raises(CredentialError) as caught:
        client.get_pool_usage(info.pool_id)

    err = caught.value
    refused = _one(answers, "login", 401)
    assert err.code is not None and err.code.startswith("AADSTS7000215")
    assert err.request_id == err.trace_id == refused.body["trace_id"]
    assert err.correlation_id == refused.body["correlation_id"]
    assert err.timestamp == refused.body["timestamp"]
    assert err.tenant_id in (info.managed_tenant_id, info.management_tenant_id)
    assert err.hint and "secret" in err.hint
    _no_secrets(err, WRONG_SECRET)


def test_wrong_admin_secret_during_onboarding_keeps_the_aadsts_code(
    azure_emulator_fresh: AzureEmulator,
    info_of: InfoOf,
    onboard: Onboard,
    secret_credential: SecretCredential,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    admin = info.admins["managed"]
    with pytest.raises(AdminCredentialError) as caught:
        onboard(
            emu,
            managed_tenant_credential=secret_credential(emu, admin.tenant_id, admin.client_id, WRONG_SECRET),
        )
    err = caught.value
    assert err.code is not None and err.code.startswith("AADSTS7000215")
    assert err.request_id and err.correlation_id and err.tenant_id == info.managed_tenant_id
    assert isinstance(err.__cause__, CredentialError) and err.__cause__.request_id == err.request_id
    _no_secrets(err, WRONG_SECRET)


def test_app_not_onboarded_is_aadsts700016_with_ids(
    azure_emulator_fresh: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    info_of: InfoOf,
    make_client: MakeClient,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    answers = record_answers(emu, monkeypatch)
    with make_client(emu) as client, pytest.raises(AppNotOnboardedError) as caught:
        client.get_pool_usage(info.pool_id)

    err = caught.value
    refused = _one(answers, "login", 400)
    assert err.code == "AADSTS700016"
    assert err.request_id == refused.body["trace_id"]
    assert err.correlation_id == refused.body["correlation_id"]
    assert err.tenant_id == info.management_tenant_id and err.client_id == info.app.client_id
    _no_secrets(err, info.app.client_secret)


# ------------------------------------------------------------------------------------------------
# async


async def test_async_onboarding_and_client_carry_the_same_fields(
    azure_emulator_fresh: AzureEmulator,
    monkeypatch: pytest.MonkeyPatch,
    info_of: InfoOf,
    make_async_client: MakeAsyncClient,
    aonboard: AsyncOnboard,
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    weak = emu.add_application(info.managed_tenant_id, "weak-admin-b")
    answers = record_answers(emu, monkeypatch)

    with pytest.raises(InsufficientPrivilegesError) as caught:
        await aonboard(
            emu,
            managed_tenant_credential=AdminCredentials(
                weak.client_id, weak.client_secret, info.managed_tenant_id
            ),
        )
    _assert_graph_403(caught.value, _one(answers, "graph", 403), info.managed_tenant_id)

    # the app is not onboarded yet: azure.identity.aio keeps Entra's response, so the status is known too
    async with make_async_client(emu) as client:
        with pytest.raises(AppNotOnboardedError) as not_onboarded:
            await client.get_pool_usage(info.pool_id)
    err = not_onboarded.value
    refused = _one(answers, "login", 400)
    assert err.code == "AADSTS700016" and err.status == 400
    assert err.request_id == refused.body["trace_id"]
    assert err.correlation_id == refused.body["correlation_id"]
    assert err.tenant_id == info.management_tenant_id
    assert isinstance(client, crossipam.aio.CrossTenantIpamClient)


# ------------------------------------------------------------------------------------------------
# the parsing, without a service


class _FakeResponse:
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self._body = body
        self.headers = headers or {}

    def json(self) -> Any:
        return self._body


def test_every_service_error_family_is_an_error_diagnostics() -> None:
    for cls in (
        CredentialError,
        AppNotOnboardedError,
        AzureServiceError,
        OnboardingError,
        AdminCredentialError,
    ):
        assert issubclass(cls, ErrorDiagnostics) and issubclass(cls, CrossIpamError)
    plain = OnboardingError("failed")
    assert (plain.code, plain.status, plain.request_id, plain.correlation_id, plain.timestamp) == (None,) * 5
    assert plain.diagnostics() == {}
    assert AppNotOnboardedError("no principal", tenant_id="t").code == "AADSTS700016"


def test_entra_details_from_an_msal_message_without_response() -> None:
    text = (
        "Authentication failed: AADSTS7000215: Invalid client secret provided.\r\n"
        "Trace ID: 0d0b2a51-0000-4000-8000-000000000001 Correlation ID: 0d0b2a51-0000-4000-8000-000000000002 "
        "Timestamp: 2025-01-02 03:04:05Z"
    )
    err = credential_error(ClientAuthenticationError(text), tenant_id="t", client_id="app")
    assert err.code == "AADSTS7000215" and err.status is None
    assert err.trace_id == "0d0b2a51-0000-4000-8000-000000000001"
    assert err.correlation_id == "0d0b2a51-0000-4000-8000-000000000002"
    assert err.timestamp == "2025-01-02 03:04:05Z"
    assert err.message.endswith("Invalid client secret provided.")  # the first line only, as before


def test_entra_details_prefer_the_json_body() -> None:
    body = {
        "error": "invalid_client",
        "error_description": "AADSTS7000222: The provided client secret keys are expired.",
        "error_codes": [7000222],
        "trace_id": "trace",
        "correlation_id": "corr",
        "timestamp": "2025-01-02 03:04:05Z",
    }
    details = entra_error_details("Authentication failed", _FakeResponse(401, body))
    assert details == {
        "code": "AADSTS7000222",
        "status": 401,
        "request_id": "trace",
        "correlation_id": "corr",
        "timestamp": "2025-01-02 03:04:05Z",
    }


def test_graph_details_fall_back_to_headers() -> None:
    response = _FakeResponse(
        403,
        {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges."}},
        {"request-id": "rid", "client-request-id": "cid", "Date": "Thu, 02 Jan 2025 03:04:05 GMT"},
    )
    assert graph_error_details(response) == {
        "code": "Authorization_RequestDenied",
        "status": 403,
        "request_id": "rid",
        "correlation_id": "cid",
        "timestamp": "Thu, 02 Jan 2025 03:04:05 GMT",
    }


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("7000215", "secret is wrong"),
        ("700021", "iss and sub"),
        ("700023", "authority host"),
        ("700024", "clock"),
        ("700212", "audience"),
        ("700213", "issuer and subject"),
    ],
)
def test_entra_codes_get_a_hint(code: str, words: str) -> None:
    err = ClientAuthenticationError(f"AADSTS{code}: the service's sentence. Trace ID: t Correlation ID: c")
    mapped = credential_error(err, tenant_id="00000000-0000-0000-0000-00000000000a", client_id=None)
    assert mapped.code is not None and mapped.code.startswith(f"AADSTS{code}")
    assert mapped.hint is not None and words in mapped.hint
