"""Benchmark: deploying N cross-tenant VNets, the tutorial's way and crossipam's, against the offline Azure.

The offline Azure (``crossipam.testing``) is served over real HTTPS on loopback with a per-request latency
(``Settings.latency``) and a long-running-operation time (``Settings.lro_duration``, announced with an integer
``Retry-After``); every mode deploys its own fresh VNets (100 addresses each) from one IPAM pool, one after the
other, in this one process:

1. **tutorial flow** — the Microsoft Learn tutorial's REST calls as a user would write them in Python: per VNet a
   new ``ClientSecretCredential`` for each tenant, a token from each (the management tenant's as the auxiliary
   token), a raw ``PUT`` at api-version 2022-07-01 with ``x-ms-authorization-auxiliary`` over a ``requests``
   session (429s retried by urllib3 honouring ``Retry-After``), then polling ``Azure-AsyncOperation`` until done;
   sequential.
2. **crossipam sync, sequential** — one ``CrossTenantIpamClient``, ``begin_deploy_virtual_network(...).result()``
   per VNet.
3. **crossipam bulk (threads)** — ``client.deploy_many(specs, max_concurrency=...)``.
4. **crossipam.aio bulk** — ``await aio_client.deploy_many(specs, max_concurrency=...)``.

Requests and token requests are counted from the emulator's journal, per mode. A sequential mode costs the same
per VNet whatever N is, so by default it runs only ``--tutorial-vnets`` / ``--sync-vnets`` VNets (5) and its
figures are extrapolated to N — the first VNet (with the one-off costs: credentials, tokens, connections) plus
N - 1 times the mean of the others — and marked ``*``. A second run switches on ARM's per-subscription write
throttle (a token bucket answering 429 + ``Retry-After``, scaled down from ARM's 200 writes and 10 per second so
that it bites at this N) and checks that every VNet was deployed exactly once.

    python benchmarks/bench_deploy.py                 # N = 200
    python benchmarks/bench_deploy.py --vnets 20      # quick (nox -s bench)
    python benchmarks/bench_deploy.py --markdown      # tables as Markdown (docs/performance.md)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import math
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from azure.identity import ClientSecretCredential
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import crossipam
from crossipam import CloudEndpoints, CrossTenantIpamClient, DeploymentSpec
from crossipam.aio import CrossTenantIpamClient as AsyncCrossTenantIpamClient
from crossipam.testing import AzureEmulator, JournalEntry, ScenarioInfo, Settings
from crossipam.testing.server import EmulatorServer

#: The tutorial's api-version and allocation size.
TUTORIAL_API_VERSION = "2022-07-01"
ADDRESSES_PER_VNET = 100
#: Big enough for every mode of both runs at any sensible N (2**24 addresses).
BENCH_POOL_PREFIXES = ["10.0.0.0/8"]

MODES: tuple[tuple[str, str], ...] = (
    ("tutorial", "tutorial flow (fresh credentials, raw PUT)"),
    ("sync", "crossipam sync, sequential"),
    ("bulk", "crossipam deploy_many (threads)"),
    ("aio", "crossipam.aio deploy_many"),
)


# ---- configuration ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    vnets: int
    tutorial_vnets: int
    sync_vnets: int
    latency: float
    lro_seconds: float
    retry_after: int
    concurrency: int
    throttle_capacity: int
    throttle_refill: float
    throttle_run: bool
    markdown: bool

    def measured(self, mode: str) -> int:
        """How many VNets a mode deploys (the sequential ones may be capped)."""
        if mode == "tutorial":
            return min(self.vnets, self.tutorial_vnets)
        if mode == "sync":
            return min(self.vnets, self.sync_vnets)
        return self.vnets


def parse_args(argv: Sequence[str] | None = None) -> Config:
    p = argparse.ArgumentParser(
        description="crossipam vs the tutorial's flow on the offline Azure (see docs/performance.md)."
    )
    p.add_argument("--vnets", type=int, default=200, help="N: VNets per mode (default 200)")
    p.add_argument(
        "--tutorial-vnets",
        type=int,
        default=5,
        help="VNets the tutorial flow really deploys; fewer than N are extrapolated to N (default 5)",
    )
    p.add_argument(
        "--sync-vnets",
        type=int,
        default=5,
        help="the same cap for crossipam sync sequential (default 5; pass N to run it in full)",
    )
    p.add_argument(
        "--latency", type=float, default=0.02, help="seconds added to every request (default 0.02)"
    )
    p.add_argument("--lro-seconds", type=float, default=1.0, help="seconds a VNet PUT's LRO runs (default 1)")
    p.add_argument(
        "--retry-after",
        type=int,
        default=None,
        help="Retry-After (s) the LRO announces; default: the LRO time rounded up (at least 1 if it runs)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="max_concurrency of the bulk modes (default 8, the library's)",
    )
    p.add_argument(
        "--throttle-capacity",
        type=int,
        default=10,
        help="write bucket per subscription in the throttled run (default 10; ARM: 200)",
    )
    p.add_argument(
        "--throttle-refill",
        type=float,
        default=5.0,
        help="bucket refill, writes per second, in the throttled run (default 5; ARM: 10)",
    )
    p.add_argument("--no-throttle-run", action="store_true", help="skip the run with the write throttle on")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    a = p.parse_args(argv)
    for name in ("vnets", "tutorial_vnets", "sync_vnets", "concurrency", "throttle_capacity"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("tutorial_vnets", "sync_vnets"):
        if getattr(a, name) < min(2, a.vnets):
            p.error(f"--{name.replace('_', '-')} must be at least 2 to extrapolate (or N)")
    if a.latency < 0 or a.lro_seconds < 0 or a.throttle_refill <= 0:
        p.error("--latency and --lro-seconds must be >= 0, --throttle-refill > 0")
    retry_after = a.retry_after if a.retry_after is not None else math.ceil(a.lro_seconds)
    return Config(
        vnets=a.vnets,
        tutorial_vnets=a.tutorial_vnets,
        sync_vnets=a.sync_vnets,
        latency=a.latency,
        lro_seconds=a.lro_seconds,
        retry_after=max(0, retry_after),
        concurrency=a.concurrency,
        throttle_capacity=a.throttle_capacity,
        throttle_refill=a.throttle_refill,
        throttle_run=not a.no_throttle_run,
        markdown=a.markdown,
    )


# ---- the offline Azure -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where one mode deploys: its own subscription and resource group (so each mode meets a full write
    bucket in the throttled run), the shared pool."""

    subscription_id: str
    resource_group: str

    @property
    def resource_group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    def vnet_id(self, name: str) -> str:
        return f"{self.resource_group_id}/providers/Microsoft.Network/virtualNetworks/{name}"


class OfflineAzure:
    """The ``onboarded`` scenario over HTTPS, plus a big pool and one subscription per mode."""

    def __init__(self, settings: Settings) -> None:
        self.emulator = AzureEmulator(settings)
        self.info: ScenarioInfo = self.emulator.load_scenario("onboarded")
        self.server: EmulatorServer = self.emulator.serve()
        self.info.ca_bundle = self.server.ca_bundle
        self.ca_bundle: str = self.server.ca_bundle
        emu, info = self.emulator, self.info
        self.pool_id = emu.add_ipam_pool(
            info.network_manager_id, "pool-bench", BENCH_POOL_PREFIXES, location=info.location
        )
        sp_a = emu.service_principal(info.app.client_id, info.management_tenant_id)
        assert sp_a is not None, "the onboarded scenario has the app's service principal in tenant A"
        emu.assign_role(sp_a.object_id, "IPAM Pool User", self.pool_id)
        self.cloud = CloudEndpoints(
            authority_host=info.authority,
            resource_manager=info.arm_endpoint,
            graph=info.graph_endpoint,
            resource_manager_scope=info.arm_scope,
        )

    def add_target(self, mode: str) -> Target:
        emu, info = self.emulator, self.info
        sub = emu.add_subscription(info.managed_tenant_id, display_name=f"bench-{mode}")
        rg = emu.add_resource_group(sub.subscription_id, f"rg-bench-{mode}", info.location)
        sp_b = emu.service_principal(info.app.client_id, info.managed_tenant_id)
        assert sp_b is not None
        emu.assign_role(sp_b.object_id, "Network Contributor", rg.id)
        emu.connect_tenants(info.network_manager_id, sub.subscription_id)
        return Target(sub.subscription_id, rg.name)

    def close(self) -> None:
        self.server.close()


# ---- the four modes --------------------------------------------------------------------------------------


def tutorial_flow(azure: OfflineAzure, vnet_ids: Sequence[str], vnet_done: Callable[[], None]) -> None:
    """The tutorial, as a user would write it in Python: new credentials and tokens per VNet, raw REST."""
    info = azure.info
    scope = info.arm_scope
    body = {
        "location": info.location,
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [
                    {"numberOfIpAddresses": str(ADDRESSES_PER_VNET), "pool": {"id": azure.pool_id}}
                ]
            }
        },
    }
    arm = info.arm_endpoint.rstrip("/")
    with requests.Session() as session:
        session.trust_env = False
        session.verify = azure.ca_bundle
        retry = Retry(total=8, status_forcelist=(429,), allowed_methods=None, respect_retry_after_header=True)
        session.mount("https://", HTTPAdapter(max_retries=retry))
        for vnet_id in vnet_ids:
            credentials = {
                tenant: ClientSecretCredential(
                    tenant,
                    info.app.client_id,
                    info.app.client_secret,
                    authority=info.authority,
                    disable_instance_discovery=True,
                    connection_verify=azure.ca_bundle,
                )
                for tenant in (info.managed_tenant_id, info.management_tenant_id)
            }
            try:
                token_b = credentials[info.managed_tenant_id].get_token(scope).token
                token_a = credentials[info.management_tenant_id].get_token(scope).token  # the auxiliary token
            finally:
                for credential in credentials.values():
                    credential.close()
            headers = {
                "Authorization": f"Bearer {token_b}",
                "x-ms-authorization-auxiliary": f"Bearer {token_a}",
            }
            url = f"{arm}{vnet_id}?api-version={TUTORIAL_API_VERSION}"
            resp = session.put(url, json=body, headers=headers, timeout=60)
            resp.raise_for_status()
            monitor = resp.headers["Azure-AsyncOperation"]
            delay = int(resp.headers.get("Retry-After", "10"))
            while True:
                time.sleep(delay)
                status = session.get(monitor, headers=headers, timeout=60)
                status.raise_for_status()
                state = status.json()["status"]
                if state in ("Succeeded", "Failed", "Canceled"):
                    break
                delay = int(status.headers.get("Retry-After", str(delay)))
            if state != "Succeeded":
                raise RuntimeError(f"tutorial flow: {vnet_id} ended {state}: {status.text}")
            vnet_done()


def _client_kwargs(azure: OfflineAzure, config: Config) -> dict[str, Any]:
    info = azure.info
    return {
        "managed_tenant_id": info.managed_tenant_id,
        "management_tenant_id": info.management_tenant_id,
        "cloud": azure.cloud,
        "connection_verify": azure.ca_bundle,
        # used only where ARM sends no Retry-After; the offline Azure sends --retry-after
        "polling_interval": config.retry_after,
    }


def _specs(azure: OfflineAzure, vnet_ids: Sequence[str]) -> list[DeploymentSpec]:
    return [DeploymentSpec(v, azure.info.location, azure.pool_id, ADDRESSES_PER_VNET) for v in vnet_ids]


def crossipam_sequential(
    azure: OfflineAzure, config: Config, vnet_ids: Sequence[str], vnet_done: Callable[[], None]
) -> None:
    info = azure.info
    with CrossTenantIpamClient.from_client_secret(
        info.app.client_id, info.app.client_secret, **_client_kwargs(azure, config)
    ) as client:
        for spec in _specs(azure, vnet_ids):
            deployment = client.begin_deploy_virtual_network(spec.vnet_id, **spec.deploy_kwargs()).result()
            if deployment.action != "created":
                raise RuntimeError(f"crossipam sync: {spec.vnet_id} ended {deployment.action}")
            vnet_done()


def _bulk_retries(mode: str, results: Sequence[crossipam.BulkItemResult]) -> int:
    """Fail loudly if any item failed; else the number of item retries the bulk layer made."""
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(
            f"{mode}: {len(failed)} VNet(s) failed, e.g. {failed[0].vnet_id}: {failed[0].error}"
        )
    return sum(r.attempts - 1 for r in results)


def crossipam_bulk(azure: OfflineAzure, config: Config, vnet_ids: Sequence[str]) -> int:
    info = azure.info
    with CrossTenantIpamClient.from_client_secret(
        info.app.client_id, info.app.client_secret, **_client_kwargs(azure, config)
    ) as client:
        results = client.deploy_many(_specs(azure, vnet_ids), max_concurrency=config.concurrency)
    return _bulk_retries("crossipam bulk", results)


def crossipam_aio_bulk(azure: OfflineAzure, config: Config, vnet_ids: Sequence[str]) -> int:
    info = azure.info

    async def run() -> list[crossipam.BulkItemResult]:
        async with AsyncCrossTenantIpamClient.from_client_secret(
            info.app.client_id, info.app.client_secret, **_client_kwargs(azure, config)
        ) as client:
            return await client.deploy_many(_specs(azure, vnet_ids), max_concurrency=config.concurrency)

    return _bulk_retries("crossipam.aio bulk", asyncio.run(run()))


# ---- measuring -------------------------------------------------------------------------------------------

#: A mode: deploys the VNets, calling ``vnet_done()`` after each one if it runs them one by one; a bulk mode
#: returns how many item retries its bulk layer made.
ModeFn = Callable[[Sequence[str], Callable[[], None]], int | None]

_VNET_RX = re.compile(r"/virtualNetworks/[^/]+$", re.IGNORECASE)
_OPERATION_RX = re.compile(r"/operations/[^/]+$", re.IGNORECASE)
KINDS = ("token", "discovery", "GET vnet", "PUT vnet", "poll")


def request_kind(e: JournalEntry) -> str:
    """A short name for a journal entry: ``token``, ``discovery``, ``GET vnet``, ``PUT vnet``, ``poll`` …"""
    if e.service == "login":
        if e.is_token_request:
            return "token"
        return (
            "discovery" if "openid-configuration" in e.path or "discovery" in e.path else f"login {e.method}"
        )
    if e.service == "arm":
        if _VNET_RX.search(e.path):
            return f"{e.method} vnet"
        if _OPERATION_RX.search(e.path):
            return "poll"
    return f"{e.service} {e.method}"


@dataclass
class ModeResult:
    """One mode's measurements. A sequential mode run on fewer VNets than N is extrapolated from what it
    measured: the first VNet (which carries the one-off costs: credentials, tokens, connections) plus N - 1
    times the mean of the other VNets."""

    mode: str
    label: str
    target_vnets: int
    measured_vnets: int
    wall: float
    entries: list[JournalEntry] = field(repr=False)
    #: Wall time and journal entries up to the end of the first VNet (sequential modes only).
    first_wall: float
    first_entries: int
    allocations: int
    duplicate_allocations: int
    accepted_puts_per_vnet: set[int]
    #: Item retries made by deploy_many's own layer (None: not a bulk mode).
    bulk_retries: int | None

    @property
    def extrapolated(self) -> bool:
        return self.measured_vnets < self.target_vnets

    def _scale(self, first: float, total: float) -> float:
        if not self.extrapolated:
            return total
        per_vnet = (total - first) / (self.measured_vnets - 1)
        return first + (self.target_vnets - 1) * per_vnet

    def count(self, pred: Callable[[JournalEntry], bool] = lambda _e: True) -> float:
        """How many requests matching ``pred`` N VNets take (measured, or extrapolated)."""
        first = sum(1 for e in self.entries[: self.first_entries] if pred(e))
        return self._scale(first, sum(1 for e in self.entries if pred(e)))

    @property
    def wall_for_target(self) -> float:
        return self._scale(self.first_wall, self.wall)

    @property
    def token_requests(self) -> float:
        return self.count(lambda e: e.is_token_request)

    @property
    def throttled(self) -> int:
        """429s served to this mode (measured, never extrapolated)."""
        return sum(1 for e in self.entries if e.status == 429)

    @property
    def deployed_once(self) -> bool:
        return (
            self.allocations == self.measured_vnets
            and self.duplicate_allocations == 0
            and self.accepted_puts_per_vnet == {1}
        )


def run_mode(azure: OfflineAzure, config: Config, mode: str, label: str, fn: ModeFn) -> ModeResult:
    target = azure.add_target(mode)
    n = config.measured(mode)
    vnet_ids = [target.vnet_id(f"vnet-{mode}-{i:05d}") for i in range(n)]
    journal = azure.emulator.journal
    start = len(journal)
    marks: list[tuple[float, int]] = []
    t0 = time.perf_counter()

    def vnet_done() -> None:
        marks.append((time.perf_counter() - t0, len(journal) - start))

    bulk_retries = fn(vnet_ids, vnet_done)
    wall = time.perf_counter() - t0
    entries = list(journal)[start:]
    first_wall, first_entries = marks[0] if marks else (wall, len(entries))

    # every VNet ended with exactly one allocation of ADDRESSES_PER_VNET in the pool, and one accepted PUT
    prefix = target.resource_group_id.lower() + "/"
    allocated = [
        r
        for r in azure.emulator.network.associated_resources(azure.pool_id)
        if r["resourceId"].lower().startswith(prefix)
    ]
    owners = [r["resourceId"].lower() for r in allocated]
    wrong_size = [r for r in allocated if int(r["totalNumberOfIPAddresses"]) != ADDRESSES_PER_VNET]
    if wrong_size or set(owners) != {v.lower() for v in vnet_ids}:
        raise RuntimeError(f"{label}: the pool's allocations do not match the VNets deployed")
    accepted: dict[str, int] = {v.lower(): 0 for v in vnet_ids}
    for e in entries:
        if e.method == "PUT" and 200 <= e.status < 300 and e.path.lower() in accepted:
            accepted[e.path.lower()] += 1
    return ModeResult(
        mode=mode,
        label=label,
        target_vnets=config.vnets,
        measured_vnets=n,
        wall=wall,
        entries=entries,
        first_wall=first_wall,
        first_entries=first_entries,
        allocations=len(allocated),
        duplicate_allocations=len(owners) - len(set(owners)),
        accepted_puts_per_vnet=set(accepted.values()),
        bulk_retries=bulk_retries,
    )


def run_all(config: Config, *, throttled: bool) -> list[ModeResult]:
    settings = Settings(
        latency=config.latency,
        lro_duration=config.lro_seconds,
        lro_retry_after=config.retry_after,
        write_bucket_capacity=config.throttle_capacity if throttled else None,
        write_bucket_refill=config.throttle_refill,
    )
    azure = OfflineAzure(settings)
    try:
        fns: dict[str, ModeFn] = {
            "tutorial": lambda ids, done: tutorial_flow(azure, ids, done),
            "sync": lambda ids, done: crossipam_sequential(azure, config, ids, done),
            "bulk": lambda ids, _done: crossipam_bulk(azure, config, ids),
            "aio": lambda ids, _done: crossipam_aio_bulk(azure, config, ids),
        }
        results = []
        for mode, label in MODES:
            print(f"  {label}: {config.measured(mode)} VNets …", file=sys.stderr, flush=True)
            results.append(run_mode(azure, config, mode, label, fns[mode]))
        return results
    finally:
        azure.close()


# ---- tables ----------------------------------------------------------------------------------------------


def _num(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def main_table(results: Sequence[ModeResult], *, throttled: bool) -> tuple[list[str], list[list[str]]]:
    base = results[0].wall_for_target
    header = [
        "mode",
        "VNets",
        "wall time (s)",
        "VNets/s",
        "requests per VNet",
        "token requests (total)",
        "speed-up vs tutorial",
    ]
    if throttled:
        header += ["429s served", "bulk-layer retries", "pool allocations", "deployed exactly once"]
    rows = []
    for r in results:
        mark = " *" if r.extrapolated else ""
        wall = r.wall_for_target
        row = [
            r.label,
            f"{r.target_vnets} ({r.measured_vnets} run){mark}" if r.extrapolated else str(r.target_vnets),
            f"{_num(wall)}{mark}",
            f"{_num(r.target_vnets / wall, 2)}{mark}",
            f"{_num(r.count() / r.target_vnets, 2)}{mark}",
            f"{r.token_requests:,.0f}{mark}",
            f"{base / wall:.1f}x{mark}",
        ]
        if throttled:
            row += [
                str(r.throttled),
                "-" if r.bulk_retries is None else str(r.bulk_retries),
                f"{r.allocations} of {r.measured_vnets}",
                "yes" if r.deployed_once else "NO",
            ]
        rows.append(row)
    return header, rows


def _of_kind(kind: str) -> Callable[[JournalEntry], bool]:
    return lambda e: request_kind(e) == kind


def mix_table(results: Sequence[ModeResult]) -> tuple[list[str], list[list[str]]]:
    extra = sorted({request_kind(e) for r in results for e in r.entries} - set(KINDS))
    kinds = [*KINDS, *extra]
    header = ["requests per VNet", *kinds, "of which 429"]
    rows = []
    for r in results:
        mark = " *" if r.extrapolated else ""
        cells = [f"{_num(r.count(_of_kind(k)) / r.target_vnets, 2)}{mark}" for k in kinds]
        rows.append(
            [r.label, *cells, f"{_num(r.count(lambda e: e.status == 429) / r.target_vnets, 2)}{mark}"]
        )
    return header, rows


def render(header: Sequence[str], rows: Sequence[Sequence[str]], *, markdown: bool) -> str:
    if markdown:
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)])


def footnotes(config: Config, results: Sequence[ModeResult]) -> list[str]:
    star = "\\*" if config.markdown else "*"
    notes = []
    for r in results:
        if r.extrapolated:
            notes.append(
                f"{star} {r.label}: extrapolated to {r.target_vnets} VNets from the {r.measured_vnets} it ran "
                f"({_num(r.wall, 2)} s): the first VNet ({_num(r.first_wall, 2)} s, {r.first_entries} requests, "
                f"with the one-off costs) + {r.target_vnets - 1} x the mean of the other {r.measured_vnets - 1}."
            )
    return notes


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(config: Config) -> str:
    return "; ".join(
        [
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"{_cpu_model()}, {os.cpu_count()} CPUs, {platform.system()}",
            f"Python {platform.python_version()}",
            f"crossipam {crossipam.__version__}",
            f"offline Azure over HTTPS on loopback, in this process: latency {config.latency * 1000:g} ms per "
            f"request, LRO {config.lro_seconds:g} s (Retry-After: {config.retry_after})",
            f"bulk max_concurrency {config.concurrency}",
            f"{ADDRESSES_PER_VNET} addresses per VNet",
        ]
    )


def report(title: str, config: Config, results: Sequence[ModeResult], *, throttled: bool) -> None:
    md = config.markdown
    print(f"\n### {title}\n" if md else f"\n{title}\n{'=' * len(title)}")
    header, rows = main_table(results, throttled=throttled)
    print(render(header, rows, markdown=md))
    for i, note in enumerate(footnotes(config, results)):
        print(f"\n{note}" if md or i == 0 else note)
    print("\nRequests per VNet, by kind:\n" if md else "\nrequests per VNet, by kind:")
    header, rows = mix_table(results)
    print(render(header, rows, markdown=md))


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    args = list(sys.argv[1:] if argv is None else argv)
    command = " ".join(["python benchmarks/bench_deploy.py", *args])
    print(f"`{command}`" if config.markdown else command)
    print(("\n" if config.markdown else "") + describe(config))

    runs: list[list[ModeResult]] = []
    print("run 1: no write throttle", file=sys.stderr)
    runs.append(run_all(config, throttled=False))
    report(f"{config.vnets} VNets, no throttling", config, runs[-1], throttled=False)
    if config.throttle_run:
        print("run 2: per-subscription write throttle on", file=sys.stderr)
        runs.append(run_all(config, throttled=True))
        title = (
            f"{config.vnets} VNets, write throttle on ({config.throttle_capacity} writes per subscription, "
            f"refill {config.throttle_refill:g}/s)"
        )
        report(title, config, runs[-1], throttled=True)
    if not all(r.deployed_once for run in runs for r in run):
        print("\nERROR: not every VNet was deployed exactly once", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
