"""The step engine: flows yield plain requests, one sync and one async driver execute them.

A flow is a generator that yields what it needs done and receives the answer (or has the call's exception thrown
in, which it maps to a typed error or handles):

- `GraphCall` — a Microsoft Graph request; answered with the azure-core response (body read);
- `ArmCall` — an azure-mgmt SDK call (``client.<group>.<operation>(*args, **kwargs)``, sync or
  ``.aio``); answered with its result (a paged result as a list);
- `BeginLro` — an ARM long-running operation started with crossipam's polling (the driver wraps the
  poller it returns: sync ``LROPoller`` or ``AsyncLROPoller``); answered with that poller;
- `Sleep` — a wait; answered by the driver's ``sleep`` hook.

Onboarding, offboarding and readiness (`crossipam._onboarding_core`, [`crossipam.readiness`][]) and the
VNet operations (`crossipam._vnet_flows`) are flows; `crossipam._drive` and
`crossipam.aio._drive` are the two drivers — the only code written twice is the loop that blocks or awaits.

```python
with Exchange(flow) as exchange:
    while exchange.request is not None:
        with exchange.answering() as answer:
            answer.value = execute(exchange.request)      # or: await execute(...)
result = exchange.result
```
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Literal, Protocol, TypeAlias, TypeVar

from azure.core.pipeline.policies import (
    ContentDecodePolicy,
    CustomHookPolicy,
    DistributedTracingPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    ProxyPolicy,
    RequestIdPolicy,
    SensitiveHeaderCleanupPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest

from ._retry_after import retry_after_from_headers
from ._version import __version__
from .credentials import is_managed_identity
from .models import CloudEndpoints
from .policies import RedactingNetworkTraceLoggingPolicy, RetryAfterPolicy

__all__ = [
    "GRAPH_RETRY_METHODS",
    "Admin",
    "ArmCall",
    "BeginLro",
    "Clients",
    "Exchange",
    "GraphCall",
    "Job",
    "Request",
    "RunClients",
    "SdkClasses",
    "Sleep",
    "Steps",
]

_T = TypeVar("_T")


# ------------------------------------------------------------------------------------------------
# what a flow asks its driver to do


Admin = Literal["managed", "management"]


@dataclass(frozen=True)
class GraphCall:
    """A Microsoft Graph v1.0 request in the ``admin``'s tenant. The driver sends `http_request` through
    that tenant's Graph pipeline and answers with the azure-core response (body read)."""

    admin: Admin
    method: str
    path: str
    body: Mapping[str, Any] | None = None

    def http_request(self, base_url: str) -> HttpRequest:
        """The azure-core request for the Graph endpoint ``base_url`` (no trailing slash)."""
        url = base_url + self.path
        request = (
            HttpRequest(self.method, url, json=dict(self.body))
            if self.body is not None
            else HttpRequest(self.method, url)
        )
        request.headers["Accept"] = "application/json"
        return request


@dataclass(frozen=True)
class ArmCall:
    """A call of an azure-mgmt client (``api``) of the ``admin``'s tenant in ``subscription_id``:
    ``client.<operation>(*args, **kwargs)``, e.g. ``role_assignments.create``. The driver answers with the
    result (a paged result collected into a list) or throws the call's exception in."""

    api: Literal["authorization", "network"]
    admin: Admin
    subscription_id: str
    operation: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    paged: bool = False

    def invoke(self, client: Any, **extra: Any) -> Any:
        """Call the operation on ``client`` (sync: the result or a pager; async: an awaitable or a pager), with
        ``extra`` keyword arguments added (the driver's ``polling=``)."""
        group, method = self.operation.split(".")
        return getattr(getattr(client, group), method)(*self.args, **self.kwargs, **extra)


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` (directory replication); the driver calls its ``sleep`` hook."""

    seconds: float


@dataclass(frozen=True)
class BeginLro:
    """Start an ARM long-running operation: ``call`` (a ``begin_*`` operation) with crossipam's polling — ARM's
    status monitor read every ``Retry-After`` or ``polling_interval`` seconds (``endpoint``: the ARM endpoint of
    the operation URLs); ``map_error`` turns a failed operation into a typed error; ``settle`` is a flow that
    turns the final result into what the poller reports (it may read again: a state that is not terminal is
    never the result). The driver answers with the poller (``LROPoller`` or ``AsyncLROPoller``)."""

    call: ArmCall
    polling_interval: float
    endpoint: str
    map_error: Callable[[Exception], Exception]
    settle: Callable[[Any], Generator[Any, Any, Any]]


Request: TypeAlias = GraphCall | ArmCall | BeginLro | Sleep
Steps = Generator[Request, Any, _T]
"""A flow (or a part of one): yields requests, receives their answers, returns ``_T``."""

GRAPH_RETRY_METHODS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST", "PATCH"})
"""Every Graph call onboarding makes is safe to repeat (PATCH sets a fixed value, a repeated POST of the
service principal answers 409 and is read back), so azure-core may retry them like a GET after a dropped
connection, a read timeout or a 429 (by default it retries neither POST nor PATCH)."""


class Clients(Protocol):
    """What a driver executes calls with: the client for a call (and Microsoft Graph's base URL)."""

    graph_url: str

    def client_for(self, call: GraphCall | ArmCall) -> Any:
        """The Graph pipeline client or azure-mgmt client that executes ``call``."""


class _Answer:
    value: Any = None


class Exchange(Generic[_T]):
    """Runs a flow for a driver: `request` is what the flow waits for (``None`` once it has finished;
    then `result` holds what it returned). Answer inside `answering`: an exception raised there is
    thrown into the flow, which maps it to a typed error (or handles it and asks for something else)."""

    def __init__(self, steps: Steps[_T]) -> None:
        self._steps = steps
        self._result: list[_T] = []
        self.request: Request | None = None
        self._advance(next, steps)

    @property
    def result(self) -> _T:
        """What the flow returned (only once `request` is ``None``)."""
        if not self._result:
            raise RuntimeError("the flow has not finished")
        return self._result[0]

    @contextmanager
    def answering(self) -> Iterator[_Answer]:
        """Set ``.value`` of what this yields to the answer of `request`."""
        answer = _Answer()
        try:
            yield answer
        except Exception as err:  # the call failed: the flow decides what that means
            self._advance(self._steps.throw, err)
        else:
            self._advance(self._steps.send, answer.value)

    def _advance(self, step: Callable[[Any], Request], value: Any) -> None:
        self.request = None
        try:
            self.request = step(value)
        except StopIteration as stop:
            self._result.append(stop.value)

    def __enter__(self) -> Exchange[_T]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._steps.close()


@dataclass(frozen=True)
class SdkClasses:
    """The classes a driver builds its clients from — the sync or the ``aio`` ones: the tenant binding of a
    credential (``(credential, tenant_id, *, forward_tenant)``), azure-core's pipeline client and its redirect,
    retry and bearer-token policies, azure-mgmt-authorization's (api-version 2022-04-01) and azure-mgmt-network's
    management clients."""

    bind_credential: Callable[..., Any]
    pipeline_client: Callable[..., Any]
    redirect_policy: Callable[..., Any]
    retry_policy: Callable[..., Any]
    bearer_policy: Callable[..., Any]
    authorization_client: Callable[..., Any]
    network_client: Callable[..., Any]


class RunClients:
    """The clients one run needs, created on first use (one per service, tenant and subscription).

    ``on_create`` is called with each new client when the run owns the transport (no ``transport`` was passed),
    so the driver can close it at the end; a ``transport`` the caller passed stays open.
    """

    def __init__(
        self,
        sdk: SdkClasses,
        job: Job[Any],
        kwargs: Mapping[str, Any],
        on_create: Callable[[Any], object],
    ) -> None:
        self._sdk = sdk
        self._cloud = job.cloud
        self._credentials = job.credentials
        self._kwargs = dict(kwargs)
        self._on_create = on_create if "transport" not in kwargs else None
        self._clients: dict[tuple[str, str, str], Any] = {}
        self.graph_url = job.cloud.graph.rstrip("/")
        """Base URL of Microsoft Graph (no trailing slash)."""

    def client_for(self, call: GraphCall | ArmCall) -> Any:
        """The Graph pipeline client or azure-mgmt client that executes ``call``."""
        key = (
            ("graph", call.admin, "")
            if isinstance(call, GraphCall)
            else (call.api, call.admin, call.subscription_id)
        )
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._create(call)
            if self._on_create is not None:
                self._on_create(client)
        return client

    def _create(self, call: GraphCall | ArmCall) -> Any:
        pair = self._credentials.get(call.admin)
        if pair is None:
            raise ValueError(f"a {call.admin}-tenant credential is required")
        tenant_id, credential = pair
        # Every token request names the tenant, so a multitenant credential cannot act in the wrong tenant
        # (managed identities take no tenant_id: they only ever act in their own tenant).
        bound = self._sdk.bind_credential(
            credential, tenant_id, forward_tenant=not is_managed_identity(credential)
        )
        if isinstance(call, GraphCall):
            return self._graph_client(bound)
        make = self._sdk.authorization_client if call.api == "authorization" else self._sdk.network_client
        # the SDK clients' network trace (logging_enable=True) redacts tokens
        kwargs = dict(self._kwargs)
        kwargs.setdefault("logging_policy", RedactingNetworkTraceLoggingPolicy(**self._kwargs))
        kwargs["per_retry_policies"] = [
            *(kwargs.get("per_retry_policies") or []),
            RetryAfterPolicy(),
        ]
        return make(
            bound,
            call.subscription_id,
            base_url=self._cloud.resource_manager.rstrip("/"),
            credential_scopes=[self._cloud.resource_manager_scope],
            **kwargs,
        )

    def _graph_client(self, credential: Any) -> Any:
        """Microsoft Graph over an azure-core pipeline: bearer token for the cloud's Graph scope, retry, redirect,
        logging (redacted network trace) and tracing."""
        kw = dict(self._kwargs)
        policies = [
            RequestIdPolicy(**kw),
            HeadersPolicy(**kw),
            UserAgentPolicy(sdk_moniker=f"crossipam/{__version__}", **kw),
            ProxyPolicy(**kw),
            ContentDecodePolicy(**kw),
            self._sdk.redirect_policy(**kw),
            self._sdk.retry_policy(**kw),
            self._sdk.bearer_policy(credential, self._cloud.graph_scope, **kw),
            RetryAfterPolicy(),
            CustomHookPolicy(**kw),
            RedactingNetworkTraceLoggingPolicy(**kw),
            DistributedTracingPolicy(**kw),
            SensitiveHeaderCleanupPolicy(**kw),
            HttpLoggingPolicy(**kw),
        ]
        return self._sdk.pipeline_client(base_url=self.graph_url, policies=policies, **kw)


@dataclass(frozen=True)
class Job(Generic[_T]):
    """What a driver needs besides the flow: the cloud and each admin's (tenant id, credential)."""

    cloud: CloudEndpoints
    credentials: Mapping[Admin, tuple[str, Any]]

    def steps(self) -> Steps[_T]:  # pragma: no cover - overridden
        raise NotImplementedError


# ------------------------------------------------------------------------------------------------
# what both drivers' polling methods share (only ``run`` blocks or awaits)


class PollingDelegate(Generic[_T]):
    """Delegates a polling method to azure-core's ARM polling (``inner``); ``run`` — sync or async — is the
    driver's. `settled` replaces the inner result once ``run`` settled it."""

    def __init__(self, inner: Any, map_error: Callable[[Exception], Exception]) -> None:
        self._inner = inner
        self._map_error = map_error
        self._initial_headers: Any = None
        self.settled: list[_T] = []

    def initialize(
        self, client: Any, initial_response: Any, deserialization_callback: Callable[[Any], _T]
    ) -> None:
        self._initial_headers = initial_response.http_response.headers
        self._inner.initialize(client, initial_response, deserialization_callback)

    def first_delay(self) -> float:
        """Seconds to wait before the first status poll: the initial answer's ``Retry-After``; 0 when it asks for
        none (or the operation already ended), so the first poll goes out at once as azure-core sends it.
        azure-core's poller polls at once after the initial answer and honours ``Retry-After`` only from the
        second poll on; an ARM operation is rarely done that soon, so the immediate poll is a read spent for
        nothing (and reads are throttled)."""
        if self._inner.finished():
            return 0.0
        return retry_after_from_headers(self._initial_headers) or 0.0

    def status(self) -> str:
        return str(self._inner.status())

    def finished(self) -> bool:
        return bool(self._inner.finished())

    def resource(self) -> _T:
        return self.settled[0] if self.settled else self._inner.resource()

    def get_continuation_token(self) -> str:
        return str(self._inner.get_continuation_token())


class DoneDelegate(Generic[_T]):
    """A finished operation whose result is known without a request (nothing was written)."""

    def __init__(self, result: _T) -> None:
        self._result = result

    def initialize(
        self, client: Any, initial_response: Any, deserialization_callback: Callable[[Any], _T]
    ) -> None:
        return None

    def status(self) -> str:
        return "succeeded"

    def finished(self) -> bool:
        return True

    def resource(self) -> _T:
        return self._result

    def get_continuation_token(self) -> str:
        raise ValueError("this operation completed without a request; there is nothing to continue")
