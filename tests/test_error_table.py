"""The one table of service error codes (``crossipam._wire_errors.ERROR_CODES``) drives every decision on a code:
the class and hint of the mapping, bulk's retries, the clients' conflict waits, what a 404 on a VNet read means,
Entra ID's credential errors — and the one Graph parser serves onboarding, readiness and the diagnostics. Also:
the hierarchy drawing in ``crossipam.errors`` shows every error class under its base."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

import crossipam.errors as errors_module
from crossipam._shared import conflict_delay, vnet_absent
from crossipam._wire_errors import (
    ERROR_CODES,
    ErrorCode,
    error_code,
    graph_error,
    graph_error_details,
    hint_for,
    service_error_from_http,
)
from crossipam.bulk import classify
from crossipam.credentials import credential_error
from crossipam.errors import (
    AuthenticationError,
    AuthorizationError,
    AzureServiceError,
    ConflictError,
    CredentialError,
    CrossIpamError,
    LinkedAuthorizationError,
    NotFoundError,
    Remedy,
    ThrottledError,
)


class _Answer:
    """An ARM or Graph answer as azure-core's ``HttpResponseError`` and the parsers read it."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.reason = "reason"
        self.headers = headers or {}
        self.request = None
        self._body = body

    def text(self, encoding: str | None = None) -> str:
        return self._body if isinstance(self._body, str) else json.dumps(self._body)

    def json(self) -> Any:
        return json.loads(self.text())


def _arm_error(status: int, code: str | None, message: str = "the service's sentence") -> HttpResponseError:
    body = {"error": {"code": code, "message": message}} if code else "<html>gateway</html>"
    return HttpResponseError(response=_Answer(status, body, {"x-ms-request-id": "rid"}))


def _rendered(hint: str | Remedy | None) -> str | None:
    return hint.for_library() if isinstance(hint, Remedy) else hint


ARM_CLASSED = sorted(
    code
    for code, entry in ERROR_CODES.items()
    if entry.error is not None
    and issubclass(entry.error, AzureServiceError)
    and entry.error is not LinkedAuthorizationError
)


@pytest.mark.parametrize("code", ARM_CLASSED)
@pytest.mark.parametrize("status", [400, 409])
def test_a_code_with_a_class_becomes_that_class_whatever_the_status(code: str, status: int) -> None:
    mapped = service_error_from_http(_arm_error(status, code), tenant_id="t", action="deploy")
    assert type(mapped) is ERROR_CODES[code].error
    assert (mapped.code, mapped.status, mapped.request_id) == (code, status, "rid")
    assert mapped.hint == _rendered(ERROR_CODES[code].hint) and mapped.remedy == (
        ERROR_CODES[code].hint if isinstance(ERROR_CODES[code].hint, Remedy) else None
    )


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, AuthorizationError),
        (404, NotFoundError),
        (409, ConflictError),
        (412, ConflictError),
        (429, ThrottledError),
        (500, AzureServiceError),
    ],
)
@pytest.mark.parametrize("code", ["SomethingNew", "ResourceGroupNotFound", None])
def test_a_code_without_a_class_is_mapped_by_its_status(
    code: str | None, status: int, cls: type[AzureServiceError]
) -> None:
    mapped = service_error_from_http(_arm_error(status, code), tenant_id="t", action="deploy")
    assert type(mapped) is cls
    if code == "ResourceGroupNotFound":
        assert mapped.hint == ERROR_CODES[code].hint
    else:
        assert mapped.hint is None or isinstance(mapped.hint, str)


@pytest.mark.parametrize(
    ("code", "kind", "delay"),
    [
        ("AnotherOperationInProgress", "conflict", 5.0),
        ("Conflict", "conflict", 5.0),
        ("ReferencedResourceNotProvisioned", "conflict", None),
        ("PreconditionFailed", "conflict", 0.0),
        ("PreconditionFailedEtagMismatch", "conflict", 0.0),
        ("SubscriptionRequestsThrottled", "throttle", None),
        ("TooManyRequests", "throttle", None),
        ("RetryableErrorDueToAnotherOperation", "throttle", None),
    ],
)
def test_bulk_retries_and_conflict_waits_follow_the_table(code: str, kind: str, delay: float | None) -> None:
    # status 400: the code alone decides (the status would decide 409/412/429 by itself)
    mapped = service_error_from_http(_arm_error(400, code), tenant_id="t", action="deploy")
    decision = classify(mapped, attempt=1)
    assert decision is not None and decision.kind == kind and decision.slow_down
    if delay is not None:
        assert isinstance(mapped, ConflictError)
        assert conflict_delay(mapped, 0, polling_interval=5.0) == delay


def test_final_codes_are_not_retried() -> None:
    for code in ("AuthorizationFailed", "ResourceGroupNotFound", "CannotHaveDuplicatePoolIds"):
        assert error_code(code).retry is None
        assert classify(service_error_from_http(_arm_error(400, code), tenant_id="t", action="x"), 1) is None


def test_what_a_code_means_about_the_resource() -> None:
    assert vnet_absent(None) and vnet_absent("ResourceNotFound") and vnet_absent("NotFound")
    assert not vnet_absent("ResourceGroupNotFound") and not vnet_absent("SomethingNew")
    assert error_code("RoleAssignmentExists").means == "exists"
    assert error_code("InvalidAuthenticationTokenTenant").means == "wrong_tenant"
    assert error_code("PrincipalNotFound").retry == "replication"
    assert error_code("SomethingNew") == error_code(None) == ErrorCode()


def test_every_row_is_well_formed() -> None:
    for code, entry in ERROR_CODES.items():
        assert entry.error is None or issubclass(entry.error, CrossIpamError), code
        if code.startswith("AADSTS"):
            assert entry.error is not None and issubclass(entry.error, CredentialError), code
            assert code[len("AADSTS") :].isdigit(), code
        # every hint can be said: its placeholders are the ones hint_for fills (Remedy keeps {action})
        hint = hint_for(code, tenant_id="tenant-x", who="app y")
        assert _rendered(hint) is None or "{" not in str(_rendered(hint)), code


@pytest.mark.parametrize("code", sorted(c for c in ERROR_CODES if c.startswith("AADSTS")))
def test_entra_codes_take_class_and_hint_from_the_table(code: str) -> None:
    err = ClientAuthenticationError(f"{code}: the service's sentence. Trace ID: t Correlation ID: c")
    mapped = credential_error(err, tenant_id="00000000-0000-0000-0000-00000000000a", client_id="app-1")
    assert type(mapped) is ERROR_CODES[code].error and mapped.code == code
    expected = hint_for(code, tenant_id="00000000-0000-0000-0000-00000000000a", who="app app-1")
    assert mapped.hint == _rendered(expected) and mapped.hint is not None
    assert "{" not in mapped.hint


def test_one_graph_parser_for_every_reader() -> None:
    denied = _Answer(
        403,
        {
            "error": {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges. client_secret=s3cr3t",
                "innerError": {"request-id": "r", "client-request-id": "c", "date": "d"},
            }
        },
    )
    parsed = graph_error(denied)
    assert parsed.code_and_message() == (
        "Authorization_RequestDenied",
        "Insufficient privileges. client_secret=REDACTED",
    )
    assert parsed.line() == "Authorization_RequestDenied: Insufficient privileges. client_secret=REDACTED"
    assert graph_error_details(denied) == {
        "code": "Authorization_RequestDenied",
        "status": 403,
        "request_id": "r",
        "correlation_id": "c",
        "timestamp": "d",
    }
    gateway = _Answer(502, "<html>bad gateway</html>\nmore")
    assert graph_error(gateway).code_and_message() == ("", "<html>bad gateway</html>")
    assert graph_error(gateway).line() == "HTTP 502"
    no_message = _Answer(404, {"error": {"code": "Request_ResourceNotFound"}})
    assert graph_error(no_message).line() == "Request_ResourceNotFound"
    assert graph_error(no_message).code_and_message() == ("Request_ResourceNotFound", "")


def test_the_parsers_stay_importable_from_crossipam_errors() -> None:
    from crossipam import _wire_errors

    for name in (
        "arm_error_details",
        "entra_error_details",
        "graph_error_details",
        "service_error_from_http",
    ):
        assert getattr(errors_module, name) is getattr(_wire_errors, name)
        assert name in errors_module.__all__
    with pytest.raises(AttributeError):
        errors_module.no_such_thing


def test_the_hierarchy_drawing_shows_every_error_class_under_its_base() -> None:
    doc = errors_module.__doc__ or ""
    drawing = doc.split("```text", 1)[1].split("```", 1)[0]
    classes = {
        name
        for name in errors_module.__all__
        if isinstance(getattr(errors_module, name), type)
        and issubclass(getattr(errors_module, name), Exception)
    }
    drawn: list[str] = []
    stack: list[str] = []
    for line in drawing.splitlines():
        found = re.match(r"^([│ ├└─]*)([A-Za-z]+Error)\b", line)
        if found is None:
            continue
        depth, name = len(found.group(1)) // 4, found.group(2)
        stack = [*stack[:depth], name]
        drawn.append(name)
        if depth:
            # the drawn parent is a direct base, or the base of a private intermediate (``_ResourceStateError``)
            bases = [
                b
                for direct in getattr(errors_module, name).__bases__
                for b in ([direct] if not direct.__name__.startswith("_") else list(direct.__bases__))
            ]
            assert getattr(errors_module, stack[depth - 1]) in bases, name
    assert sorted(drawn) == sorted(classes)
