"""The sync driver of the step engine (`crossipam._engine`): executes what a flow yields, blocking.

Onboarding, offboarding, readiness and the VNet operations of [`crossipam.CrossTenantIpamClient`][] run
here; `crossipam.aio._drive` is the asyncio twin — the same loop, awaiting.

```python
from crossipam._drive import drive

deployment_or_poller = drive(deploy_flow(ctx, request), clients, time.sleep)
```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any, TypeVar

from azure.core import PipelineClient
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RedirectPolicy, RetryPolicy
from azure.core.polling import LROPoller, PollingMethod
from azure.mgmt.core.polling.arm_polling import ARMPolling
from azure.mgmt.network import NetworkManagementClient

from . import _engine
from ._shared import SDK_ERRORS
from .credentials import TenantBoundCredential

__all__ = ["SDK", "done_poller", "drive", "run_job"]

_T = TypeVar("_T")


def _authorization_client(*args: Any, **kwargs: Any) -> Any:
    """azure-mgmt-authorization's client (api-version 2022-04-01), imported on first use."""
    from azure.mgmt.authorization.v2022_04_01 import AuthorizationManagementClient

    return AuthorizationManagementClient(*args, **kwargs)


SDK = _engine.SdkClasses(
    TenantBoundCredential,
    PipelineClient,
    RedirectPolicy,
    RetryPolicy,
    BearerTokenCredentialPolicy,
    _authorization_client,
    NetworkManagementClient,
)
"""The sync SDK classes the step flows' clients are built from."""


def drive(steps: _engine.Steps[_T], clients: _engine.Clients, sleep: Callable[[float], Any]) -> _T:
    """Run a flow to its end: execute each request it yields with ``clients`` (``sleep`` for waits) and send
    the answer back (or throw the call's exception in); return what the flow returned.

    ```python
    body = drive(read_settled(ctx, vnet), client_provider, time.sleep)
    ```
    """
    with _engine.Exchange(steps) as exchange:
        while exchange.request is not None:
            with exchange.answering() as answer:
                answer.value = _execute(exchange.request, clients, sleep)
    return exchange.result


def _execute(request: _engine.Request, clients: _engine.Clients, sleep: Callable[[float], Any]) -> Any:
    if isinstance(request, _engine.Sleep):
        return sleep(request.seconds)
    if isinstance(request, _engine.BeginLro):
        polling: _MappedPolling[Any] = _MappedPolling(
            ARMPolling(request.polling_interval, path_format_arguments={"endpoint": request.endpoint}),
            request.map_error,
            lambda result: drive(request.settle(result), clients, sleep),
            sleep,
        )
        return request.call.invoke(clients.client_for(request.call), polling=polling)
    client = clients.client_for(request)
    if isinstance(request, _engine.ArmCall):
        result = request.invoke(client)
        return list(result) if request.paged else result
    return client.send_request(
        request.http_request(clients.graph_url), retry_on_methods=_engine.GRAPH_RETRY_METHODS
    )


def run_job(
    job: _engine.Job[_T],
    sleep: Callable[[float], Any],
    azure_core_kwargs: Mapping[str, Any],
    steps: _engine.Steps[_T] | None = None,
) -> _T:
    """Run ``steps`` (by default ``job.steps()``) on clients built for the job's admins; the clients it created
    are closed at the end (onboarding, offboarding, readiness).

    ```python
    report = run_job(job, time.sleep, {"transport": transport}, steps=readiness_flow)
    ```
    """
    with ExitStack() as stack:
        clients = _engine.RunClients(
            SDK, job, azure_core_kwargs, on_create=lambda client: stack.callback(client.close)
        )
        return drive(job.steps() if steps is None else steps, clients, sleep)


class _MappedPolling(_engine.PollingDelegate[_T], PollingMethod[_T]):
    """ARM polling whose failure becomes crossipam's typed error and whose result is settled by a flow."""

    def __init__(
        self,
        inner: Any,
        map_error: Callable[[Exception], Exception],
        settle: Callable[[_T], _T],
        sleep: Callable[[float], Any],
    ) -> None:
        super().__init__(inner, map_error)
        self._settle = settle
        self._sleep = sleep

    def run(self) -> None:
        if delay := self.first_delay():
            self._sleep(delay)
        try:
            self._inner.run()
        except SDK_ERRORS as err:
            raise self._map_error(err) from err
        self.settled.append(self._settle(self._inner.resource()))


class _DonePolling(_engine.DoneDelegate[_T], PollingMethod[_T]):
    def run(self) -> None:
        return None


def done_poller(result: _T) -> LROPoller[_T]:
    """A finished poller whose result is known without a request (nothing was written).

    ```python
    done_poller(deployment).result() is deployment    # True
    ```
    """
    return LROPoller(None, None, lambda _r: result, _DonePolling(result))
