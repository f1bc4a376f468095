"""In-flight operations: a state that is not terminal is never a result (shared by both clients; no I/O).

Every VNet write in Azure is a long-running operation. While it runs, a read of the VNet shows the goal state
(the new allocation, the removed one) with ``provisioningState: Updating`` — and the operation may still fail,
after which Azure rolls the VNet back, leaves it ``Failed``, or (for a create) removes it. A caller that decides
from such a read ("already has the allocation: unchanged") reports what Azure may never finish.

So before crossipam decides anything from a read, it waits until the state is terminal (``Succeeded``,
``Failed``, ``Canceled``): it reads again after ``Retry-After`` (when the answer carries one) or
``polling_interval`` seconds, for at most ``operation_timeout`` seconds
([`OperationTimeoutError`][crossipam.errors.OperationTimeoutError] then). If it had to wait and the VNet ended
``Failed``/``Canceled`` or disappeared, that is what Azure ended with:
[`OperationFailedError`][crossipam.errors.OperationFailedError]. The loop that sleeps (or awaits) lives in
each client; every decision lives here.

```python
from crossipam._inflight import SettleWait, is_terminal, provisioning_state

wait = SettleWait(str(vnet_id), timeout=900, polling_interval=5, tenant_id=b)
while not is_terminal(provisioning_state(body)):
    time.sleep(wait.delay(provisioning_state(body), retry_after=None))
    body = read()
wait.check_outcome(body)   # raises OperationFailedError if it ended Failed or vanished
```
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from azure.core.polling.base_polling import OperationFailed

from .errors import AzureServiceError, OperationFailedError, OperationTimeoutError

__all__ = [
    "DEFAULT_OPERATION_TIMEOUT",
    "TERMINAL_STATES",
    "SettleWait",
    "is_terminal",
    "lro_failure",
    "provisioning_state",
]

TERMINAL_STATES = frozenset({"succeeded", "failed", "canceled"})
"""``provisioningState`` values after which no operation runs on the resource (compared
case-insensitively)."""
DEFAULT_OPERATION_TIMEOUT = 900.0
"""Default seconds crossipam waits for an operation in flight to end (``operation_timeout=``)."""


def provisioning_state(body: Mapping[str, Any] | None) -> str | None:
    """The resource's ``properties.provisioningState`` (``None`` when absent or the resource is gone).

    ```python
    provisioning_state({"properties": {"provisioningState": "Updating"}})   # 'Updating'
    ```
    """
    if not isinstance(body, Mapping):
        return None
    props = body.get("properties")
    state = props.get("provisioningState") if isinstance(props, Mapping) else None
    return str(state) if state else None


def is_terminal(state: str | None) -> bool:
    """Whether no operation runs on a resource in this state (``None``: no state to wait for).

    ```python
    is_terminal("Succeeded"), is_terminal("Updating"), is_terminal(None)    # (True, False, True)
    ```
    """
    return state is None or state.lower() in TERMINAL_STATES


class SettleWait:
    """One wait for a resource to reach a terminal ``provisioningState``: the deadline, the delays and what
    the end state means.

    ```python
    wait = SettleWait(vnet_id, timeout=900, polling_interval=5, tenant_id=b)
    delay = wait.delay("Updating", retry_after=None)    # 5.0 (raises OperationTimeoutError past the deadline)
    ```
    """

    def __init__(
        self,
        resource_id: str,
        *,
        timeout: float,
        polling_interval: float,
        tenant_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resource_id = resource_id
        self.timeout = float(timeout)
        self.polling_interval = max(0.0, float(polling_interval))
        self.tenant_id = tenant_id
        self.reads = 1
        self._clock = clock
        self._started = clock()

    def delay(self, state: str | None, retry_after: float | None) -> float:
        """Seconds to wait before the next read of a resource seen in ``state``; raises
        [`OperationTimeoutError`][crossipam.errors.OperationTimeoutError] once ``timeout`` seconds have
        passed.

        ```python
        time.sleep(wait.delay("Updating", retry_after=parse_retry_after(headers.get("Retry-After"))))
        ```
        """
        left = self._started + self.timeout - self._clock()
        if left <= 0:
            raise OperationTimeoutError(
                f"{self.resource_id} is still {state} after {self.timeout:g} s (operation_timeout): an "
                "operation on it is still running, so nothing is reported as done",
                resource_id=self.resource_id,
                provisioning_state=state,
                tenant_id=self.tenant_id,
                hint="run the call again later (it reads the VNet first), or pass a larger operation_timeout",
            )
        self.reads += 1
        wanted = retry_after if retry_after is not None and retry_after > 0 else self.polling_interval
        return max(0.0, min(wanted, left))

    def check_outcome(self, body: Mapping[str, Any] | None) -> None:
        """After waiting: raise [`OperationFailedError`][crossipam.errors.OperationFailedError] when the
        operation that was in flight left the resource ``Failed``/``Canceled`` or removed it (a failed
        create).

        ```python
        wait.check_outcome(body)     # returns None when the resource ended Succeeded
        ```
        """
        if body is None:
            raise OperationFailedError(
                f"{self.resource_id} disappeared while crossipam waited for the operation in flight on it "
                "(a failed create is removed): it does not exist",
                resource_id=self.resource_id,
                provisioning_state=None,
                tenant_id=self.tenant_id,
                hint="run the call again to create it; the Activity Log of the resource group says why it failed",
            )
        state = provisioning_state(body)
        if state is not None and state.lower() in ("failed", "canceled"):
            raise OperationFailedError(
                f"the operation in flight on {self.resource_id} ended {state}: Azure did not apply it",
                resource_id=self.resource_id,
                provisioning_state=state,
                tenant_id=self.tenant_id,
                hint="run the call again: crossipam reads the VNet and re-applies what is missing; the "
                "Activity Log says why it failed",
            )


def lro_failure(mapped: AzureServiceError, err: BaseException, resource_id: str) -> AzureServiceError:
    """A failed long-running operation (azure-core's ``OperationFailed``: the status monitor said ``Failed``
    or ``Canceled``) as [`OperationFailedError`][crossipam.errors.OperationFailedError], keeping the
    operation's error code and diagnostics. An error whose code has a class of its own
    (``PoolExhaustedError``, ``InvalidAllocationError``, …) keeps that class, and any other error is returned
    unchanged.

    ```python
    raise lro_failure(mapper(err), err, str(vnet)) from err
    ```
    """
    if type(mapped) is not AzureServiceError or not isinstance(err.__cause__, OperationFailed):
        return mapped
    failed = OperationFailedError(
        f"{mapped.message} (the operation ended Failed: Azure did not apply it)",
        resource_id=resource_id,
        provisioning_state="Failed",
        tenant_id=mapped.tenant_id,
        hint=mapped.hint
        or "run the call again: crossipam reads the VNet and re-applies what is missing; the Activity Log says why",
        target=mapped.target,
        code=mapped.code,
        status=mapped.status,
        request_id=mapped.request_id,
        correlation_id=mapped.correlation_id,
        timestamp=mapped.timestamp,
    )
    return failed
