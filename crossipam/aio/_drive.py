"""The asyncio driver of the step engine (`crossipam._engine`): executes what a flow yields, awaiting.

The twin of `crossipam._drive` for `crossipam.aio` (``azure.identity.aio``, ``azure.mgmt.*.aio``,
``AsyncPipelineClient``); the flows are the same objects.

```python
from crossipam.aio._drive import drive

deployment_or_poller = await drive(deploy_flow(ctx, request), clients, asyncio.sleep)
```
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from azure.core import AsyncPipelineClient
from azure.core.pipeline.policies import (
    AsyncBearerTokenCredentialPolicy,
    AsyncRedirectPolicy,
    AsyncRetryPolicy,
)
from azure.core.polling import AsyncLROPoller, AsyncPollingMethod
from azure.mgmt.core.polling.async_arm_polling import AsyncARMPolling
from azure.mgmt.network.aio import NetworkManagementClient

from .. import _engine
from .._shared import SDK_ERRORS
from ._credentials import AsyncTenantBoundCredential

__all__ = ["SDK", "done_poller", "drive", "run_job"]

_T = TypeVar("_T")


def _authorization_client(*args: Any, **kwargs: Any) -> Any:
    """azure-mgmt-authorization's asyncio client (api-version 2022-04-01), imported on first use."""
    from azure.mgmt.authorization.v2022_04_01.aio import AuthorizationManagementClient

    return AuthorizationManagementClient(*args, **kwargs)


SDK = _engine.SdkClasses(
    AsyncTenantBoundCredential,
    AsyncPipelineClient,
    AsyncRedirectPolicy,
    AsyncRetryPolicy,
    AsyncBearerTokenCredentialPolicy,
    _authorization_client,
    NetworkManagementClient,
)
"""The asyncio SDK classes the step flows' clients are built from."""

Sleeper = Callable[[float], Awaitable[Any]]


async def drive(steps: _engine.Steps[_T], clients: _engine.Clients, sleep: Sleeper) -> _T:
    """Run a flow to its end, awaiting each request it yields (see `crossipam._drive.drive`).

    ```python
    body = await drive(read_settled(ctx, vnet), client_provider, asyncio.sleep)
    ```
    """
    with _engine.Exchange(steps) as exchange:
        while exchange.request is not None:
            with exchange.answering() as answer:
                answer.value = await _execute(exchange.request, clients, sleep)
    return exchange.result


async def _execute(request: _engine.Request, clients: _engine.Clients, sleep: Sleeper) -> Any:
    if isinstance(request, _engine.Sleep):
        return await sleep(request.seconds)
    if isinstance(request, _engine.BeginLro):
        lro = request

        async def settle(result: Any) -> Any:
            return await drive(lro.settle(result), clients, sleep)

        polling: _MappedPolling[Any] = _MappedPolling(
            AsyncARMPolling(lro.polling_interval, path_format_arguments={"endpoint": lro.endpoint}),
            lro.map_error,
            settle,
            sleep,
        )
        return await lro.call.invoke(clients.client_for(lro.call), polling=polling)
    client = clients.client_for(request)
    if isinstance(request, _engine.ArmCall):
        if request.paged:
            return [item async for item in request.invoke(client)]
        return await request.invoke(client)
    return await client.send_request(
        request.http_request(clients.graph_url), retry_on_methods=_engine.GRAPH_RETRY_METHODS
    )


async def run_job(
    job: _engine.Job[_T],
    sleep: Sleeper,
    azure_core_kwargs: Mapping[str, Any],
    steps: _engine.Steps[_T] | None = None,
) -> _T:
    """Run ``steps`` (by default ``job.steps()``) on asyncio clients built for the job's admins, closing the
    clients it created (see `crossipam._drive.run_job`).

    ```python
    report = await run_job(job, asyncio.sleep, {}, steps=readiness_flow)
    ```
    """
    async with AsyncExitStack() as stack:
        clients = _engine.RunClients(
            SDK, job, azure_core_kwargs, on_create=lambda client: stack.push_async_callback(client.close)
        )
        return await drive(job.steps() if steps is None else steps, clients, sleep)


class _MappedPolling(_engine.PollingDelegate[_T], AsyncPollingMethod[_T]):
    """Async ARM polling whose failure becomes crossipam's typed error and whose result is settled by a flow."""

    def __init__(
        self,
        inner: Any,
        map_error: Callable[[Exception], Exception],
        settle: Callable[[_T], Awaitable[_T]],
        sleep: Sleeper,
    ) -> None:
        super().__init__(inner, map_error)
        self._settle = settle
        self._sleep = sleep

    async def run(self) -> None:
        if delay := self.first_delay():
            await self._sleep(delay)
        try:
            await self._inner.run()
        except SDK_ERRORS as err:
            raise self._map_error(err) from err
        self.settled.append(await self._settle(self._inner.resource()))


class _DonePolling(_engine.DoneDelegate[_T], AsyncPollingMethod[_T]):
    async def run(self) -> None:
        return None


def done_poller(result: _T) -> AsyncLROPoller[_T]:
    """A finished poller whose result is known without a request (nothing was written).

    ```python
    await done_poller(deployment).result()
    ```
    """
    return AsyncLROPoller(None, None, lambda _r: result, _DonePolling(result))
