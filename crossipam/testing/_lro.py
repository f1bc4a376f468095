"""ARM long-running operations as Microsoft.Network runs them: ``Azure-AsyncOperation`` status monitors.

A write that starts an operation answers at once (201/200/202) with an ``Azure-AsyncOperation`` URL (and, for
deletes, a ``Location`` URL) plus an integer ``Retry-After``. The status monitor answers
``{"status": "InProgress"}`` [`Settings.lro_polls`][crossipam.testing.Settings.lro_polls] times and until
[`Settings.lro_duration`][crossipam.testing.Settings.lro_duration] seconds (emulator clock) have passed, then
``Succeeded`` — or ``Failed`` with an ``error`` when a failure was armed with `Operations.fail_next`. Reads of
the resource (GET) count like status polls, so an operation ends even when nobody polls its monitor (its write
answer was lost). While it runs, the resource reads with ``provisioningState: Updating``. A failed operation
runs its ``on_failure`` callback: the network layer rolls the resource back to its state before the request,
or leaves it ``Failed`` ([`Settings.failed_write`][crossipam.testing.Settings.failed_write]).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._context import ServiceContext
from ._http import Response

__all__ = ["Operation", "Operations"]


@dataclass
class Operation:
    """One long-running operation on one resource."""

    op_id: str
    subscription_id: str
    location: str
    resource_id: str
    kind: str
    api_version: str
    started: float
    polls_required: int
    duration: float
    polls_served: int = 0
    status: str = "InProgress"
    error: dict[str, Any] | None = None
    failure: tuple[str, str] | None = None
    on_success: Callable[[], None] | None = field(default=None, repr=False)
    on_failure: Callable[[], None] | None = field(default=None, repr=False)
    monitor: str = ""
    """ARM path of the status monitor's collection (empty: ``…/locations/{loc}/operations``)."""
    results: str = ""
    """ARM path of the operation results' collection (empty: ``…/locations/{loc}/operationResults``)."""

    @property
    def done(self) -> bool:
        """Whether the operation reached a final state."""
        return self.status != "InProgress"


@dataclass
class _ArmedFailure:
    code: str
    message: str
    resource_type: str | None
    times: int


class Operations:
    """The operations of one offline Azure. All methods expect the caller to hold the services' lock; the
    knobs (``lro_polls``, ``lro_duration``, ``lro_retry_after``), the clock and the ARM endpoint are read from
    ``services`` when needed."""

    def __init__(self, services: ServiceContext) -> None:
        self._services = services
        self._ops: dict[str, Operation] = {}
        self._by_resource: dict[str, list[Operation]] = {}
        """lower-case resource id -> its operations not yet seen done (`in_progress` looks only there)"""
        self._failures: list[_ArmedFailure] = []

    def fail_next(self, code: str, message: str, *, resource_type: str | None = None, times: int = 1) -> None:
        """Make the next ``times`` operations (optionally only on ``resource_type``, e.g.
        ``"virtualNetworks"``) end ``Failed`` with ``error = {code, message}``."""
        self._failures.append(_ArmedFailure(code, message, resource_type, times))

    def start(
        self,
        *,
        subscription_id: str,
        location: str,
        resource_id: str,
        kind: str,
        api_version: str,
        on_success: Callable[[], None] | None = None,
        on_failure: Callable[[], None] | None = None,
        monitor: str = "",
        results: str = "",
    ) -> Operation:
        """Register an operation; it settles at once when neither polls nor duration are configured.

        ``monitor`` and ``results`` are the ARM paths under which its status monitor and its result live
        (IPAM pools: ``…/locations/{loc}/ipamPoolOperationResults``); by default Microsoft.Network's
        ``…/locations/{loc}/operations`` and ``…/operationResults``."""
        s = self._services.settings
        op = Operation(
            op_id=str(uuid.uuid4()),
            subscription_id=subscription_id,
            location=(location or "eastus").replace(" ", "").lower(),
            resource_id=resource_id,
            kind=kind,
            api_version=api_version,
            started=self._services.clock.time(),
            polls_required=max(0, int(s.lro_polls)),
            duration=max(0.0, float(s.lro_duration)),
            on_success=on_success,
            on_failure=on_failure,
            monitor=monitor,
            results=results,
        )
        for armed in self._failures:
            if armed.times > 0 and (
                armed.resource_type is None or f"/{armed.resource_type.lower()}/" in resource_id.lower()
            ):
                armed.times -= 1
                op.failure = (armed.code, armed.message)
                break
        self._failures = [f for f in self._failures if f.times > 0]
        self._ops[op.op_id] = op
        self._by_resource.setdefault(resource_id.lower(), []).append(op)
        if op.polls_required == 0 and op.duration == 0:
            self._settle(op)
        return op

    def get(self, op_id: str) -> Operation | None:
        """The operation with this id, if any."""
        return self._ops.get(op_id.lower())

    def poll(self, op: Operation) -> Operation:
        """Serve one status poll: count it while the operation runs, settle it when its time has come."""
        if op.done:
            return op
        if op.polls_served < op.polls_required or not self._time_is_up(op):
            op.polls_served += 1
            return op
        self._settle(op)
        return op

    def in_progress(self, resource_id: str, *, observe: bool = False) -> Operation | None:
        """The running operation on ``resource_id`` (case-insensitive), if any.

        With ``observe``, the caller is a read of the resource (a GET): like a status poll, it counts towards
        [`Settings.lro_polls`][crossipam.testing.Settings.lro_polls] — time passes between two reads as it
        does between two polls, so an operation whose write answer was lost still ends while its resource is
        read.
        """
        rid = resource_id.lower()
        ops = self._by_resource.get(rid)
        if not ops:
            return None
        ops[:] = [op for op in ops if not op.done]  # a done operation never runs again
        if not ops:
            del self._by_resource[rid]
            return None
        for op in list(ops):
            if op.done:
                continue
            if op.polls_served >= op.polls_required and self._time_is_up(op):
                self._settle(op)
                continue
            if observe and op.polls_served < op.polls_required:
                op.polls_served += 1
            return op
        return None

    def _time_is_up(self, op: Operation) -> bool:
        return self._services.clock.time() >= op.started + op.duration

    def _settle(self, op: Operation) -> None:
        if op.failure is not None:
            op.status = "Failed"
            op.error = {"code": op.failure[0], "message": op.failure[1]}
            if op.on_failure is not None:
                op.on_failure()
        else:
            op.status = "Succeeded"
            if op.on_success is not None:
                op.on_success()

    # ---- URLs and responses --------------------------------------------------------------------
    def _base(self, op: Operation) -> str:
        return (
            f"{self._services.endpoints.arm.rstrip('/')}/subscriptions/{op.subscription_id}/providers/"
            f"Microsoft.Network/locations/{op.location}"
        )

    def async_operation_url(self, op: Operation) -> str:
        """The ``Azure-AsyncOperation`` status monitor URL."""
        base = self._arm(op.monitor) if op.monitor else f"{self._base(op)}/operations"
        return f"{base}/{op.op_id}?api-version={op.api_version}"

    def location_url(self, op: Operation) -> str:
        """The ``Location`` URL (operation result) sent with deletes."""
        base = self._arm(op.results) if op.results else f"{self._base(op)}/operationResults"
        return f"{base}/{op.op_id}?api-version={op.api_version}"

    def _arm(self, path: str) -> str:
        return self._services.endpoints.arm.rstrip("/") + path

    def headers(self, op: Operation, *, with_location: bool = False) -> dict[str, str]:
        """The headers a write that started ``op`` answers with."""
        hdrs = {"Azure-AsyncOperation": self.async_operation_url(op), **self.retry_after()}
        if with_location:
            hdrs["Location"] = self.location_url(op)
        return hdrs

    def retry_after(self) -> dict[str, str]:
        """The wait an operation's answers ask for: an integer ``Retry-After`` as ARM writes it — or, for the
        fraction of a scaled timing (``real_world_lro_timing``), ``retry-after-ms`` alone: azure-mgmt-network
        reads ``Retry-After`` with ``int()`` and fails on a fraction, and azure-core reads the milliseconds
        when no ``Retry-After`` is given."""
        seconds = max(0.0, float(self._services.settings.lro_retry_after))
        if seconds == int(seconds):
            return {"Retry-After": str(int(seconds))}
        return {"retry-after-ms": str(round(seconds * 1000))}

    def status_response(self, op: Operation) -> Response:
        """The status monitor's answer for ``op`` (after `poll`)."""
        body: dict[str, Any] = {"id": self.async_operation_url(op).split("?", 1)[0], "name": op.op_id}
        body["status"] = op.status
        if op.error is not None:
            body["error"] = op.error
        hdrs = {} if op.done else self.retry_after()
        return Response.json_body(200, body, hdrs)

    def result_response(self, op: Operation) -> Response:
        """The ``Location`` (operation result) answer: 202 while running, 204 when done."""
        if not op.done:
            return Response.empty(202, {"Location": self.location_url(op), **self.retry_after()})
        if op.error is not None:
            return Response.json_body(400, {"error": op.error})
        return Response.empty(204)
