"""The offline Azure's plumbing: clock, knobs, endpoints, router, journal, fault injection."""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from ._http import EmulatorHTTPError, Request, Response, arm_error
from ._throttle import ARM_LRO_RETRY_AFTER, ARM_VNET_OPERATION_SECONDS, BucketSize, ThrottleLimits

__all__ = [
    "IN_PROCESS_ARM",
    "IN_PROCESS_AUTHORITY",
    "IN_PROCESS_GRAPH",
    "PUBLIC_ARM_AUDIENCES",
    "PUBLIC_GRAPH_AUDIENCES",
    "Clock",
    "Endpoints",
    "Fault",
    "Faults",
    "Handler",
    "Journal",
    "JournalEntry",
    "Router",
    "Settings",
    "is_write",
    "real_world_lro_timing",
]

Handler = Callable[[Request, dict[str, str]], Response]
"""What the router calls: a handler already bound to the context of its service."""
C = TypeVar("C")


class Clock:
    """The emulator's notion of time: real time plus an offset that tests may advance.

    Token lifetimes, replication delay and ``createdAt`` stamps all read this clock, so a test can
    "wait" ten minutes with ``emulator.clock.advance(600)`` instead of sleeping.

    ```python
    emulator = AzureEmulator()
    before = emulator.clock.time()
    emulator.clock.advance(600)  # ten minutes later, without sleeping
    assert emulator.clock.time() >= before + 600
    ```
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch, as the emulator sees them.

        ```python
        expires_on = emulator.clock.time() + emulator.settings.token_lifetime
        ```
        """
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's time forward (tokens expire, replication completes).

        ```python
        emulator.clock.advance(emulator.settings.token_lifetime)  # every token issued so far has expired
        ```
        """
        with self._lock:
            self._offset += seconds


@dataclass
class Settings:
    """Behaviour knobs. Defaults follow Azure where it is documented; see docs/offline-azure.md.

    ```python
    emulator = AzureEmulator(Settings(lro_polls=2, replication_delay=30, write_bucket_capacity=10))
    emulator.settings.latency = 0.05  # knobs may also be changed on a running emulator
    ```
    """

    token_lifetime: int = 3600
    """Lifetime of issued access tokens (Entra ID issues 60-90 minutes)."""
    public_audiences: bool = True
    """Whether Entra ID also issues, and ARM and Graph also accept, tokens for the public cloud's resource ids
    (`PUBLIC_ARM_AUDIENCES`, `PUBLIC_GRAPH_AUDIENCES`) besides the offline Azure's own URLs, as Azure does
    for code that hard-codes them (the Azure CLI, ``https://management.azure.com/.default``)."""
    lro_polls: int = 0
    """Number of ``InProgress`` answers an LRO status monitor gives before its final state."""
    lro_retry_after: float = 0
    """``Retry-After`` (seconds) sent with LRO responses: an integer as ARM sends it (about 10), or a fraction
    for scaled timing (`real_world_lro_timing`); 0 lets the client's ``polling_interval`` decide."""
    lro_duration: float = 0.0
    """Seconds an LRO takes (emulator clock); alternative to ``lro_polls``. 0 disables."""
    replication_delay: float = 0.0
    """A service principal younger than this (emulator seconds) is not yet replicated: role assignments
    without ``principalType`` answer ``PrincipalNotFound`` and Graph reads of it 404."""
    replication_failures: int = 0
    """Alternatively, the number of attempts that fail during replication (counted per principal)."""
    require_connection: bool = False
    """[unverified] Whether a cross-tenant VNet PUT requires a Connected network-manager connection."""
    latency: float = 0.0
    """Artificial latency added to every request, in seconds (benchmarks)."""
    throttle: ThrottleLimits | None = None
    """ARM's token buckets (`ThrottleLimits`; ``ARM_THROTTLE_LIMITS`` is ARM's own), each answer carrying
    ``x-ms-ratelimit-remaining-*`` and an empty bucket answering 429 with ``Retry-After``; ``None`` (the default)
    throttles nothing but what ``write_bucket_capacity`` asks."""
    write_bucket_capacity: int | None = None
    """A writes-only throttle, when ``throttle`` is ``None``: a bucket of this many writes per principal and
    subscription (no global bucket) that only its 429s reveal (no remaining-budget headers); ``None`` disables
    it."""
    write_bucket_refill: float = 10.0
    """Refill rate of the ``write_bucket_capacity`` bucket, tokens per second."""

    def throttle_limits(self) -> ThrottleLimits | None:
        """The buckets in force: ``throttle``, else the writes-only bucket of ``write_bucket_capacity``.

        ```python
        Settings(write_bucket_capacity=10, write_bucket_refill=5).throttle_limits().writes   # BucketSize(10, 5.0)
        ```
        """
        if self.throttle is not None:
            return self.throttle
        if self.write_bucket_capacity is None:
            return None
        bucket = BucketSize(self.write_bucket_capacity, self.write_bucket_refill)
        return ThrottleLimits(writes=bucket, global_factor=None, report=False)

    page_size: int = 100
    """Page size of ``listAssociatedResources`` and other list operations."""
    vnet_honor_if_match: bool = True
    """[unverified] Whether a virtual network PUT honours ``If-Match`` (412 ``PreconditionFailed`` on a
    stale ETag); the spec declares no If-Match for virtual networks."""
    failed_write: Literal["rollback", "failed"] = "rollback"
    """[unverified] What a VNet write whose operation ends ``Failed`` leaves behind: ``"rollback"`` — the VNet
    as it was before the request (a failed create leaves no VNet); ``"failed"`` — the VNet as written, with
    ``provisioningState: Failed`` (its allocations held) until a later PUT succeeds."""
    subnet_write_during_operation: Literal["conflict", "retryable"] = "conflict"
    """[unverified] A subnet PUT/DELETE while an operation runs on its VNet (or another subnet of it):
    ``"conflict"`` — 409 ``AnotherOperationInProgress`` (what a second VNet write gets); ``"retryable"`` — 429
    ``RetryableErrorDueToAnotherOperation`` with ``Retry-After`` (also seen in the field)."""
    summarize_grown_prefixes: bool = True
    """[field] Whether an IPAM allocation that grew into contiguous space is reported as the summarised
    prefixes (two adjacent /21 → one /20), as the Azure Verified Modules team observed; ``False`` keeps the
    old blocks and lists the new ones after them."""
    static_cidr_count: Literal["power_of_two", "round_up", "split"] = "power_of_two"
    """[field] What ``numberOfIPAddressesToAllocate`` of a static CIDR may be: ``"power_of_two"`` — a power of
    two, else 400 ``InvalidStaticCidrNumberOfIPAddresses`` (the field report of issue 11); ``"round_up"`` — rounded
    up to the next power of two (Terraform's docs say Azure answers "the nearest power of 2");
    ``"split"`` — any count, split into blocks like a VNet allocation."""


PUBLIC_ARM_AUDIENCES = ("https://management.core.windows.net/", "https://management.azure.com/")
"""ARM's resource ids in the public cloud, in the order ``/metadata/endpoints`` lists them."""
PUBLIC_GRAPH_AUDIENCES = ("https://graph.microsoft.com/",)
"""Microsoft Graph's resource id in the public cloud."""


def real_world_lro_timing(settings: Settings, *, time_factor: float = 1.0) -> Settings:
    """``settings`` with Azure's operation timing: a VNet operation runs
    ``ARM_VNET_OPERATION_SECONDS`` and is announced with ``Retry-After`` ``ARM_LRO_RETRY_AFTER``, both times
    ``time_factor`` (``0.05``: a wait of 0.5 s, a 0.2 s operation — benchmarks stay short; a fraction of a
    second is sent as ``retry-after-ms``, since azure-mgmt-network reads ``Retry-After`` with ``int()``).

    Args:
        settings: The [`Settings`][crossipam.testing.Settings] to start from (not changed).
        time_factor: Seconds of real time per second of Azure's.

    ```python
    emulator = AzureEmulator(real_world_lro_timing(Settings(), time_factor=0.05))
    ```
    """
    return dataclasses.replace(
        settings,
        lro_retry_after=ARM_LRO_RETRY_AFTER * time_factor,
        lro_duration=ARM_VNET_OPERATION_SECONDS * time_factor,
        lro_polls=0,
    )


IN_PROCESS_AUTHORITY = "https://login.crossipam.test"
"""Base URLs of the in-process front (never resolved: the in-process transport answers them)."""
IN_PROCESS_ARM = "https://management.crossipam.test/"
IN_PROCESS_GRAPH = "https://graph.crossipam.test"


@dataclass
class Endpoints:
    """Where each service of the offline Azure answers.

    ```python
    emulator.endpoints.arm  # "https://management.crossipam.test/"; the loopback URL once served
    ```
    """

    authority: str = IN_PROCESS_AUTHORITY
    arm: str = IN_PROCESS_ARM
    graph: str = IN_PROCESS_GRAPH

    @property
    def arm_scope(self) -> str:
        """The scope to ask a token for ARM with.

        ```python
        Endpoints().arm_scope  # "https://management.crossipam.test/.default"
        ```
        """
        return self.arm.rstrip("/") + "/.default"

    @property
    def graph_scope(self) -> str:
        """The scope to ask a token for Microsoft Graph with.

        ```python
        Endpoints().graph_scope  # "https://graph.crossipam.test/.default"
        ```
        """
        return self.graph.rstrip("/") + "/.default"

    def audiences_for(self, service: str, *, public: bool = False) -> set[str]:
        """The token audiences ``service`` accepts (ARM's for anything but ``"graph"``), lower-case and without
        a trailing slash.

        Args:
            service: ``"graph"`` or ``"arm"``.
            public: also the public cloud's resource ids of the service (`PUBLIC_ARM_AUDIENCES`,
                `PUBLIC_GRAPH_AUDIENCES`; the knob ``Settings.public_audiences``).

        ```python
        Endpoints().audiences_for("graph")  # {"https://graph.crossipam.test"}
        Endpoints().audiences_for("graph", public=True)  # … and "https://graph.microsoft.com"
        ```
        """
        base, known = (
            (self.graph, PUBLIC_GRAPH_AUDIENCES) if service == "graph" else (self.arm, PUBLIC_ARM_AUDIENCES)
        )
        return {a.rstrip("/").lower() for a in (base, *(known if public else ()))}

    def audiences(self, *, public: bool = False) -> set[str]:
        """Every audience the emulator issues tokens for (ARM's and Graph's).

        Args:
            public: also the public cloud's resource ids (see `audiences_for`).

        ```python
        Endpoints().audiences()  # {"https://management.crossipam.test", "https://graph.crossipam.test"}
        ```
        """
        return self.audiences_for("arm", public=public) | self.audiences_for("graph", public=public)

    def service_of(self, netloc: str) -> str | None:
        """The service (``"login"``, ``"arm"`` or ``"graph"``) answering at host ``netloc``, or ``None``.

        ```python
        Endpoints().service_of("login.crossipam.test")  # "login"
        ```
        """
        netloc = netloc.lower()
        for service, base in (("login", self.authority), ("arm", self.arm), ("graph", self.graph)):
            if base.split("://", 1)[1].split("/", 1)[0].lower() == netloc:
                return service
        return None


@dataclass
class JournalEntry:
    """One request the offline Azure answered.

    ```python
    put = emulator.journal.entries(service="arm", method="PUT")[-1]
    print(put.status, put.api_version, put.tenant_id, put.aux_tenant_ids, put.error_code)
    ```
    """

    method: str
    url: str
    path: str
    service: str
    status: int
    api_version: str | None = None
    tenant_id: str | None = None
    """Tenant and app id of the primary bearer token (ARM and Graph), or of the token request (login)."""
    app_id: str | None = None
    aux_tenant_ids: tuple[str, ...] = ()
    """Tenants of the tokens in ``x-ms-authorization-auxiliary``."""
    error_code: str | None = None
    fault: bool = False
    is_token_request: bool = False
    """Whether this request was a token request (POST to the token endpoint)."""
    is_write: bool = False
    """``True`` for requests that change state (PUT/PATCH/POST/DELETE outside the token endpoint and
    read-only POST actions such as getPoolUsage)."""


class Journal:
    """Every request, in order. Thread-safe; iterate or filter it in tests.

    ```python
    failed = [entry for entry in emulator.journal if entry.status >= 400]
    assert len(emulator.journal) == len(emulator.journal.entries())
    ```
    """

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        """Append one entry ([`AzureEmulator.handle`][crossipam.testing.AzureEmulator.handle] records every
        request; tests rarely need this).

        Args:
            entry: The entry.

        ```python
        emulator.journal.record(JournalEntry("GET", url, "/subscriptions", "arm", 200))
        ```
        """
        with self._lock:
            self._entries.append(entry)

    def __iter__(self) -> Iterator[JournalEntry]:
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget all entries (e.g. after seeding, before the part of a test that counts).

        ```python
        poller.result()  # set-up through the wire
        emulator.journal.clear()  # count only what follows
        ```
        """
        with self._lock:
            self._entries.clear()

    def entries(
        self,
        *,
        service: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        """Entries matching all given filters; ``path`` is a regular expression searched in the path.

        Args:
            service: ``entra``, ``graph`` or ``arm``.
            method: The HTTP method.
            path: A regular expression searched in the path.
            status: The answer's status.

        ```python
        vnet_puts = emulator.journal.entries(service="arm", method="PUT", path=r"/virtualNetworks/")
        throttled = emulator.journal.entries(status=429)
        ```
        """
        rx = re.compile(path, re.IGNORECASE) if path else None
        return [
            e
            for e in self
            if (service is None or e.service == service)
            and (method is None or e.method == method.upper())
            and (status is None or e.status == status)
            and (rx is None or rx.search(e.path))
        ]

    def token_requests(self, tenant_id: str | None = None) -> list[JournalEntry]:
        """Token endpoint requests, optionally for one tenant.

        Args:
            tenant_id: Only this tenant's (default: all).

        ```python
        assert len(emulator.journal.token_requests(info.management_tenant_id)) == 1
        ```
        """
        return [e for e in self if e.is_token_request and (tenant_id is None or e.tenant_id == tenant_id)]

    def writes(self) -> list[JournalEntry]:
        """Requests that changed (or tried to change) state.

        ```python
        assert not emulator.journal.writes()  # the dry run wrote nothing
        ```
        """
        return [e for e in self if e.is_write]


@dataclass
class Fault:
    """An injected failure for requests matching ``method`` and ``path`` (regex, searched).

    Armed with [`Faults.add`][crossipam.testing.Faults.add], which returns it:

    ```python
    fault = emulator.faults.add("PUT", r"/virtualNetworks/", status=429, retry_after=1, times=2)
    ...  # run the code under test
    assert fault.hits == 2 and fault.times == 0
    ```
    """

    method: str | None
    path: str | None
    status: int = 500
    code: str = "InternalServerError"
    message: str = "Injected fault."
    retry_after: int | str | None = None
    """Seconds (sent as an integer), or a ``str`` sent as is (``"soon"``, an HTTP date, ``""``)."""
    latency: float = 0.0
    drop_connection: bool = False
    times: int = 1
    service: str | None = None
    when: str = "before"
    """"before" answers instead of the service; "after" lets the service act, then answers with the fault
    (a lost response: the write happened but the client never heard of it)."""
    hits: int = 0
    _rx: re.Pattern[str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._rx = re.compile(self.path, re.IGNORECASE) if self.path else None

    def matches(self, req: Request) -> bool:
        """Whether the fault is still armed and ``req`` matches its method, service and path.

        ```python
        url = "https://management.crossipam.test/subscriptions/s1/providers/Microsoft.Network/virtualNetworks/v1"
        Fault("PUT", r"/virtualNetworks/").matches(Request("PUT", url, {}))  # True
        ```
        """
        if self.times <= 0:
            return False
        if self.method and self.method.upper() != req.method:
            return False
        if self.service and self.service != req.service:
            return False
        return not (self._rx and not self._rx.search(req.path))

    def response(self) -> Response:
        """The answer the fault gives: ARM's error envelope, or a dropped connection.

        ```python
        resp = Fault("GET", None, status=503, code="ServiceUnavailable", retry_after=5).response()
        resp.status, resp.headers["Retry-After"]  # (503, "5")
        ```
        """
        headers: dict[str, str] = {}
        if isinstance(self.retry_after, str):
            headers["Retry-After"] = self.retry_after  # raw: malformed values test the client's tolerance
        elif self.retry_after is not None:
            headers["Retry-After"] = str(int(self.retry_after))
        if self.drop_connection:
            return Response(0, drop_connection=True)
        return arm_error(self.status, self.code, self.message, headers=headers).response


class Faults:
    """The fault-injection table. ``emulator.faults.add(...)`` arms a fault for its next ``times`` matches.

    ```python
    emulator.faults.add("PUT", r"/virtualNetworks/", status=429, retry_after=1, times=2)  # throttle two PUTs
    emulator.faults.add("POST", service="login", drop_connection=True)  # drop the next token request
    ```
    """

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int = 500,
        code: str = "InternalServerError",
        message: str = "Injected fault.",
        retry_after: int | str | None = None,
        latency: float = 0.0,
        drop_connection: bool = False,
        times: int = 1,
        service: str | None = None,
        when: str = "before",
    ) -> Fault:
        """Arm a fault; returns it so a test can read ``fault.hits`` afterwards.

        Args:
            method: HTTP method to match; any method when ``None``.
            path: regular expression searched (case-insensitively) in the URL path; any path when ``None``.
            status: HTTP status of the answer.
            code: ``error.code`` of ARM's error envelope.
            message: ``error.message`` of ARM's error envelope.
            retry_after: value of the ``Retry-After`` header: seconds (an ``int``), or a ``str`` sent verbatim
                (``"soon"``, ``"0.5x"``, ``"-3"``, ``""``, an HTTP date) to test a client's tolerance.
            latency: seconds added before the answer.
            drop_connection: close the connection instead of answering.
            times: how many matching requests fail.
            service: only requests to this service (``"login"``, ``"arm"`` or ``"graph"``).
            when: ``"before"`` answers instead of the service; ``"after"`` lets the service act, then loses
                its answer.

        ```python
        fault = emulator.faults.add("PUT", r"/virtualNetworks/", status=500, when="after")
        ...  # the VNet is written, but the client sees a 500
        assert fault.hits == 1
        ```
        """
        if when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        fault = Fault(
            method,
            path,
            status=status,
            code=code,
            message=message,
            retry_after=retry_after,
            latency=latency,
            drop_connection=drop_connection,
            times=times,
            service=service,
            when=when,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, req: Request, when: str) -> Fault | None:
        """The first armed fault matching ``req`` at stage ``when``, consuming one of its ``times``.

        Args:
            req: The request.
            when: ``before`` (instead of handling) or ``after`` (instead of answering).

        ```python
        fault = emulator.faults.take(req, "before")  # what AzureEmulator.handle does; None if none applies
        ```
        """
        with self._lock:
            for fault in self._faults:
                if fault.when == when and fault.matches(req):
                    fault.times -= 1
                    fault.hits += 1
                    return fault
        return None

    def clear(self) -> None:
        """Disarm every fault.

        ```python
        emulator.faults.clear()  # the rest of the test runs without injected failures
        ```
        """
        with self._lock:
            self._faults.clear()


def is_write(req: Request) -> bool:
    """Whether ``req`` changes (or tries to change) state: PUT/PATCH/DELETE, and POST but the token endpoint
    and ARM's read-only actions (``getPoolUsage``, ``listAssociatedResources``)."""
    if req.service == "login":
        return False
    if req.method in ("PUT", "PATCH", "DELETE"):
        return True
    if req.method == "POST":
        p = req.path.lower()
        return not (p.endswith("/getpoolusage") or p.endswith("/listassociatedresources"))
    return False


@dataclass
class _Route:
    service: str
    method: str
    regex: re.Pattern[str]
    handler: Handler


class Router:
    """Maps (service, method, path) to handlers. Paths match case-insensitively, as ARM's do."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, service: str, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` on paths fully matching ``pattern`` (a regex with named groups)."""
        self._routes.append(_Route(service, method.upper(), re.compile(pattern, re.IGNORECASE), handler))

    def register(
        self,
        service: str,
        context: C,
        routes: Iterable[tuple[str, str, Callable[[C, Request, dict[str, str]], Response]]],
    ) -> None:
        """Add a service's ``routes`` (method, pattern, handler), each handler bound to the service's ``context``
        (the only thing of the offline Azure it is given)."""
        for method, pattern, handler in routes:
            self.add(service, method, pattern, functools.partial(handler, context))

    def dispatch(self, req: Request) -> Response:
        """Answer ``req`` with the first matching route; raises the service's 404, 405 or 400 otherwise."""
        path_matched = False
        for route in self._routes:
            if route.service != req.service:
                continue
            m = route.regex.fullmatch(req.path.rstrip("/") or "/")
            if not m:
                continue
            path_matched = True
            if route.method != req.method:
                continue
            params: dict[str, str] = {k: v for k, v in m.groupdict().items() if v is not None}
            return route.handler(req, params)
        if req.service == "graph":
            from ._http import graph_error

            raise graph_error(400, "BadRequest", f"Resource not found for the segment '{req.path}'.")
        if path_matched:
            raise arm_error(
                405,
                "MethodNotAllowed",
                f"The requested resource does not support http method '{req.method}'.",
            )
        raise _not_found(req)


def _not_found(req: Request) -> EmulatorHTTPError:
    if req.service == "login":
        from ._http import aad_error

        return aad_error(404, "not_found", 90002, f"Tenant or endpoint for '{req.path}' not found.")
    return arm_error(
        404,
        "InvalidResourceType" if "/providers/" in req.path else "NotFound",
        f"The resource path '{req.path}' is not known to the offline Azure.",
    )
