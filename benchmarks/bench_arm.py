"""Benchmark at ARM's limits: N new VNets (in one subscription, or spread over several), the offline Azure in its own process.

The offline Azure runs as ``python -m crossipam.testing serve --throttle arm --lro-timing azure --time-factor F``:
ARM's token buckets (reads 250 / 25 per s, writes 200 / 10 per s, per principal; a global bucket 15 times that)
and Azure's operation timing (``Retry-After: 10``, a 4 s VNet operation), with time running ``1/F`` times as fast
(F = 0.1: ``Retry-After`` 1 s, writes refilled at 100 per s) so that a run stays short. It serves HTTPS on
loopback in a process of its own, so this process measures only the clients: wall time, and **client CPU time**
(``time.process_time`` of this process, all threads) per VNet.

Modes, one after the other, each against an offline Azure of its own (a fresh ``serve`` process: full buckets,
and no VNets of an earlier mode in the resource group that crossipam lists before it starts):

1. **az CLI (loop)** — the tutorial's commands as users run them today, one VNet after the other: once
   ``az login --service-principal`` in both tenants, then per VNet ``az account get-access-token
   --resource=https://management.azure.com/ --tenant A`` (the auxiliary token), ``az rest --method put`` with
   ``x-ms-authorization-auxiliary`` and ``az network vnet wait --created`` (``az rest`` does not follow the
   long-running operation; the wait polls the VNet every ``Retry-After``, time-scaled, rounded up to whole
   seconds). ``az`` runs from a temporary ``AZURE_CONFIG_DIR`` with the offline Azure registered as a cloud
   (``benchmarks/azcli.py``); its client CPU is that of the ``az`` processes (children's user + system time), its
   requests are counted in ``az``'s own interpreter (a ``sitecustomize`` hook on ``http.client``). It deploys
   only ``--az-vnets`` VNets (default 5) and is extrapolated to N — the first VNet, with the one-off costs, plus
   N - 1 times the mean of the others — marked ``*``. Each ``az`` start costs real CPU and wall time that the time
   factor does not shrink, unlike ``Retry-After``. Skipped, with a note, when ``az`` is not on PATH;
2. **raw SDK** — what a Python user would write instead: azure-mgmt-network's
   ``virtual_networks.begin_create_or_update(...).result()`` with ``AuxiliaryAuthenticationPolicy`` on a thread
   pool of ``--concurrency`` threads;
3. **crossipam threads** — ``CrossTenantIpamClient.deploy_many(specs, max_concurrency=C)``;
4. **crossipam.aio** — the asyncio client's ``deploy_many``.

The SDK modes' requests are counted in this process by an azure-core policy on every try (so 429s retried by
azure-core count), by kind: VNet GET, VNet list, PUT, status poll, 429. The **floor** is the earliest a client
that honours ``Retry-After`` can have every VNet deployed — the largest of the concurrency bound (``ceil(N / C)``
rounds of one ``Retry-After``), the write bound (ARM's write bucket — 200, refilled at 10/s, time-scaled — lets
the N-th write through no sooner than ``(N - 200) / 10`` s, and that VNet's operation then takes one
``Retry-After``) and the read bound (2 N reads — one poll and the final GET per VNet — through 250 reads refilled
at 25/s). The title also gives the write bucket's bound alone. ``--latency`` adds each mode's request latency by
kind (median and 90th percentile, from the pipeline's send to the answer: a burst the client serves in turn
shows there).

    python benchmarks/bench_arm.py                       # N = 400, C = 50, F = 0.1
    python benchmarks/bench_arm.py --vnets 40 --concurrency 8   # small (nox -s bench)
    python benchmarks/bench_arm.py --markdown            # tables for docs/performance.md
    python benchmarks/bench_arm.py --vnets 500 --subscriptions 5   # VNets spread over 5 subscriptions
    python benchmarks/bench_arm.py --no-throttle --modes threads,aio --latency   # request latency by kind
    PATH=$PATH:/path/to/azure-cli/bin python benchmarks/bench_arm.py --modes az,raw,threads --az-vnets 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from azcli import AzureCli
from azure.core.pipeline.policies import SansIOHTTPPolicy

# both HTTP stacks imported before any mode is timed: azure-core imports aiohttp only when the first asyncio
# client is built (about 0.1 s), while requests comes with the sync imports above — a module import is the
# process's one-off, not the client's work per VNet
from azure.core.pipeline.transport import AioHttpTransport  # noqa: F401
from azure.identity import ClientSecretCredential
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import VirtualNetwork

from crossipam import CloudEndpoints, CrossTenantIpamClient, DeploymentSpec
from crossipam.aio import CrossTenantIpamClient as AsyncCrossTenantIpamClient
from crossipam.testing import ARM_LRO_RETRY_AFTER, ARM_THROTTLE_LIMITS

ADDRESSES = 16
KINDS = ("vnet GET", "list", "PUT", "poll", "429")


def request_kind(method: str, path: str) -> str:
    """The kind of an ARM request: ``poll`` (an operation's status), ``PUT``, ``list`` (VNets) or ``vnet GET``."""
    path = path.split("?", 1)[0].lower()
    if "/operations/" in path:
        return "poll"
    if method == "PUT":
        return "PUT"
    if path.endswith("/virtualnetworks"):
        return "list"
    return "vnet GET"


class RequestCounter(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Counts every try of an ARM request by kind, and times it from the pipeline's send to its answer
    (thread-safe)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.latencies: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def on_request(self, request: Any) -> None:
        request.context["bench_sent"] = time.monotonic()

    def on_response(self, request: Any, response: Any) -> None:
        http = request.http_request
        kind = request_kind(http.method, http.url)
        latency = time.monotonic() - request.context.get("bench_sent", time.monotonic())
        with self._lock:
            self.counts[kind] += 1
            self.latencies.setdefault(kind, []).append(latency)
            if response.http_response.status_code == 429:
                self.counts["429"] += 1


@dataclass
class Result:
    """One mode's figures for ``vnets`` VNets. A mode that ran only ``measured`` of them (the az CLI's loop) holds
    the figures extrapolated to ``vnets``: the first VNet, with the one-off costs, plus ``vnets - 1`` times the
    mean of the others; ``counted`` is False when its requests could not be counted."""

    mode: str
    vnets: int
    ok: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    counts: Mapping[str, float] = field(default_factory=dict)
    latencies: Mapping[str, list[float]] = field(default_factory=dict)
    note: str = ""
    measured: int | None = None
    counted: bool = True

    @property
    def extrapolated(self) -> bool:
        return self.measured is not None and self.measured < self.vnets


@dataclass(frozen=True)
class World:
    info: dict[str, Any]
    time_factor: float

    @property
    def cloud(self) -> CloudEndpoints:
        return CloudEndpoints(
            authority_host=self.info["authority"],
            resource_manager=self.info["arm_endpoint"],
            graph=self.info["graph_endpoint"],
            resource_manager_scope=self.info["arm_endpoint"].rstrip("/") + "/.default",
        )

    @property
    def subscriptions(self) -> list[dict[str, str]]:
        """The managed subscriptions (``serve --managed-subscriptions``), each with its pool."""
        i = self.info
        default = [{"subscription_id": i["managed_subscription_id"], "pool_id": i["pool_id"]}]
        return list(i.get("managed_subscriptions") or default)

    def vnet_id(self, name: str, subscription: str | None = None) -> str:
        i = self.info
        return (
            f"/subscriptions/{subscription or i['managed_subscription_id']}/resourceGroups/{i['resource_group']}"
            f"/providers/Microsoft.Network/virtualNetworks/{name}"
        )

    def specs(self, mode: str, n: int) -> list[DeploymentSpec]:
        """N VNets spread round-robin over the managed subscriptions (each from its subscription's pool)."""
        loc, subs = self.info["location"], self.subscriptions
        out = []
        for i in range(n):
            sub = subs[i % len(subs)]
            vnet = self.vnet_id(f"bench-{mode}-{i:04d}", sub["subscription_id"])
            out.append(DeploymentSpec(vnet, loc, sub["pool_id"], ADDRESSES))
        return out


def floor_bounds(
    n: int, concurrency: int, time_factor: float, throttled: bool, subscriptions: int = 1
) -> dict[str, float]:
    """The bounds of the floor, in seconds (time-scaled; each subscription has its own buckets and holds
    ``ceil(n / subscriptions)`` of the VNets): ``concurrency`` (rounds of one ``Retry-After``), ``write bucket``
    (when the last write gets through), ``writes`` (that, plus its VNet's operation: one ``Retry-After``) and
    ``reads`` (when the last read gets through); the bucket bounds only when ``throttled``."""
    retry_after = ARM_LRO_RETRY_AFTER * time_factor
    bounds = {"concurrency": math.ceil(n / concurrency) * retry_after}
    if not throttled:
        return bounds
    n = math.ceil(n / subscriptions)
    limits = ARM_THROTTLE_LIMITS.scaled(time_factor=time_factor)
    assert limits.writes is not None and limits.reads is not None
    bounds["write bucket"] = max(0.0, n - limits.writes.capacity) / limits.writes.refill
    bounds["writes"] = bounds["write bucket"] + retry_after
    bounds["reads"] = max(0.0, 2 * n - limits.reads.capacity) / limits.reads.refill
    return bounds


def floor_seconds(
    n: int, concurrency: int, time_factor: float, throttled: bool, subscriptions: int = 1
) -> float:
    """The floor: the largest of `floor_bounds` but the write bucket's alone."""
    bounds = floor_bounds(n, concurrency, time_factor, throttled, subscriptions)
    return max(v for k, v in bounds.items() if k != "write bucket")


# ---- modes ------------------------------------------------------------------------------------------------------


def _vnet_body(spec: DeploymentSpec) -> dict[str, Any]:
    """The tutorial's deploy body: a location and an allocation of ``ADDRESSES`` addresses from the pool."""
    allocation = {"numberOfIpAddresses": str(ADDRESSES), "pool": {"id": spec.pool_id}}
    return {
        "location": spec.location,
        "properties": {"addressSpace": {"ipamPoolPrefixAllocations": [allocation]}},
    }


def run_az(world: World, n: int, concurrency: int, az_vnets: int = 5) -> Result:
    """The tutorial's Azure CLI commands in a loop, one VNet after the other (``concurrency`` is not used).

    Once: ``az login --service-principal`` in both tenants (not in the figures; its cost is in the note). Per
    VNet: ``az account get-access-token --resource=https://management.azure.com/ --tenant A --query accessToken``,
    ``az rest --method put`` of the deploy body at api-version 2022-07-01 with ``x-ms-authorization-auxiliary``,
    then ``az network vnet wait --created`` (``az rest`` does not follow the long-running operation: it prints the
    VNet ``Updating``, so a loop that needs its VNets deployed waits for each) with ``--interval`` set to ARM's
    ``Retry-After`` (10 s, time-scaled, rounded up to whole seconds; the CLI's default is 30 s). Only ``az_vnets``
    VNets run; the figures are extrapolated to ``n``.
    """
    result = Result("az CLI (loop)", n)
    cli = AzureCli.start(world.info)
    if cli is None:
        result.note = "skipped: the Azure CLI (az) is not on PATH"
        return result
    i, k = world.info, min(az_vnets, n)
    interval = str(max(1, math.ceil(ARM_LRO_RETRY_AFTER * world.time_factor)))
    marks: list[tuple[float, float, int]] = []  # wall, CPU and requests so far, at the end of each VNet
    errors: Counter[str] = Counter()
    try:
        started, cpu = time.monotonic(), _children_cpu()
        cli.login()
        login = (time.monotonic() - started, _children_cpu() - cpu, len(cli.requests()))
        started, cpu = time.monotonic(), _children_cpu()
        for spec in world.specs("az", k):
            _, _, sub, _, rg, *_, name = str(spec.vnet_id).split("/")
            try:
                token = cli.run(
                    "account", "get-access-token", "--resource=https://management.azure.com/",
                    "--tenant", i["management_tenant_id"], "--query", "accessToken", "--output", "tsv",
                ).stdout.strip()  # fmt: skip
                cli.run(
                    "rest", "--method", "put",
                    "--url", f"{i['arm_endpoint'].rstrip('/')}{spec.vnet_id}?api-version=2022-07-01",
                    "--headers", f"x-ms-authorization-auxiliary=Bearer {token}",
                    "--body", json.dumps(_vnet_body(spec)),
                )  # fmt: skip
                cli.run(
                    "network", "vnet", "wait", "--created", "--subscription", sub, "--resource-group", rg,
                    "--name", name, "--interval", interval,
                )  # fmt: skip
                result.ok += 1
            except RuntimeError as err:
                errors[str(err)] += 1
            marks.append((time.monotonic() - started, _children_cpu() - cpu, len(cli.requests())))
        sent = cli.requests()
    finally:
        cli.close()
    arm, authority = (urllib.parse.urlsplit(i[key]).port for key in ("arm_endpoint", "authority"))
    kinds = [
        "token" if port == authority else request_kind(method, path) if port == arm else "other"
        for method, port, path, _ in sent
    ]
    throttled = [status == 429 for *_, status in sent]
    first, every = Counter(kinds[login[2] : marks[0][2]]), Counter(kinds[login[2] :])
    first["429"], every["429"] = sum(throttled[login[2] : marks[0][2]]), sum(throttled[login[2] :])

    def scale(one: float, total: float) -> float:  # the first VNet + (n - 1) x the mean of the others
        return total if k == n else one + (n - 1) * (total - one) / (k - 1)

    result.measured, result.counted = k, bool(kinds)
    result.wall, result.cpu = scale(marks[0][0], marks[-1][0]), scale(marks[0][1], marks[-1][1])
    result.counts = {kind: scale(first[kind], every[kind]) for kind in every}
    notes = [
        f"client CPU = the az processes' (children's user + system); once before the loop, az login in both "
        f"tenants: {login[0]:.1f} s, {1000 * login[1]:.0f} ms CPU, {login[2]} requests (not in the figures); "
        f"token requests {result.counts.get('token', 0) / n:.2f}/VNet"
    ]
    if result.extrapolated:
        notes.append(
            f"extrapolated to {n} VNets from the {k} it ran ({marks[-1][0]:.1f} s, {1000 * marks[-1][1]:.0f} ms "
            f"CPU): the first VNet ({marks[0][0]:.1f} s, {1000 * marks[0][1]:.0f} ms CPU, with the one-off costs) "
            f"+ {n - 1} x the mean of the other {k - 1}"
        )
    if not result.counted:
        notes.append("requests not counted: az's request log stayed empty")
    if errors:
        notes.append("failed: " + "; ".join(f"{count} x {what}" for what, count in errors.items()))
    result.note = "; ".join(notes)
    return result


def _children_cpu() -> float:
    """CPU time (user + system) of this process's finished children: the ``az`` processes."""
    usage = os.times()
    return usage.children_user + usage.children_system


def run_raw_sdk(world: World, n: int, concurrency: int) -> Result:
    i, ca = world.info, world.info["ca_bundle"]
    scope = i["arm_endpoint"].rstrip("/") + "/.default"
    result, counter = Result("raw SDK (threads)", n), RequestCounter()
    started, cpu = time.monotonic(), time.process_time()
    common = {"authority": i["authority"], "disable_instance_discovery": True, "connection_verify": ca}
    app = i["app"]
    cred_b = ClientSecretCredential(i["managed_tenant_id"], app["client_id"], app["client_secret"], **common)
    cred_a = ClientSecretCredential(
        i["management_tenant_id"], app["client_id"], app["client_secret"], **common
    )
    clients = {
        sub["subscription_id"].lower(): NetworkManagementClient(
            cred_b,
            sub["subscription_id"],
            base_url=i["arm_endpoint"],
            credential_scopes=[scope],
            connection_verify=ca,
            per_retry_policies=[AuxiliaryAuthenticationPolicy([cred_a], scope), counter],
        )
        for sub in world.subscriptions
    }

    def deploy(spec: DeploymentSpec) -> bool:
        body = VirtualNetwork(_vnet_body(spec))
        vnet = str(spec.vnet_id).rsplit("/", 1)[1]
        client = clients[str(spec.vnet_id).split("/")[2].lower()]
        try:
            client.virtual_networks.begin_create_or_update(i["resource_group"], vnet, body).result()
        except Exception as err:  # what a plain thread pool gives up with: a failed VNet
            errors[type(err).__name__ + ": " + str(getattr(err, "error", None) and err.error.code)] += 1  # type: ignore[attr-defined]
            return False
        return True

    errors: Counter[str] = Counter()
    with ThreadPoolExecutor(concurrency) as pool:
        result.ok = sum(pool.map(deploy, world.specs("raw", n)))
    for client in clients.values():
        client.close()
    if errors:
        result.note = "failed: " + ", ".join(f"{count} x {what}" for what, count in errors.items())
    result.wall, result.cpu, result.counts, result.latencies = (
        time.monotonic() - started,
        time.process_time() - cpu,
        counter.counts,
        counter.latencies,
    )
    return result


def _crossipam_kwargs(world: World, counter: RequestCounter) -> dict[str, Any]:
    i = world.info
    return {
        "managed_tenant_id": i["managed_tenant_id"],
        "management_tenant_id": i["management_tenant_id"],
        "cloud": world.cloud,
        "connection_verify": i["ca_bundle"],
        "per_retry_policies": [counter],
    }


def run_threads(world: World, n: int, concurrency: int) -> Result:
    result, counter = Result("crossipam threads", n), RequestCounter()
    app = world.info["app"]
    started, cpu = time.monotonic(), time.process_time()
    kwargs = _crossipam_kwargs(world, counter)
    with CrossTenantIpamClient.from_client_secret(app["client_id"], app["client_secret"], **kwargs) as client:
        results = client.deploy_many(world.specs("threads", n), max_concurrency=concurrency)
    result.wall, result.cpu, result.counts, result.latencies = (
        time.monotonic() - started,
        time.process_time() - cpu,
        counter.counts,
        counter.latencies,
    )
    result.ok = sum(r.ok for r in results)
    return result


def run_aio(world: World, n: int, concurrency: int) -> Result:
    result, counter = Result("crossipam.aio", n), RequestCounter()
    app = world.info["app"]

    async def main() -> int:
        kwargs = _crossipam_kwargs(world, counter)
        async with AsyncCrossTenantIpamClient.from_client_secret(
            app["client_id"], app["client_secret"], **kwargs
        ) as client:
            results = await client.deploy_many(world.specs("aio", n), max_concurrency=concurrency)
        return sum(r.ok for r in results)

    started, cpu = time.monotonic(), time.process_time()
    result.ok = asyncio.run(main())
    result.wall, result.cpu, result.counts, result.latencies = (
        time.monotonic() - started,
        time.process_time() - cpu,
        counter.counts,
        counter.latencies,
    )
    return result


MODES: dict[str, Callable[[World, int, int], Result]] = {
    "az": run_az,
    "raw": run_raw_sdk,
    "threads": run_threads,
    "aio": run_aio,
}


# ---- the offline Azure in its own process ------------------------------------------------------------------------


def serve(
    time_factor: float, throttled: bool, subscriptions: int = 1
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    cmd = [
        sys.executable,
        "-m",
        "crossipam.testing",
        "serve",
        "--scenario",
        "onboarded",
        "--lro-timing",
        "azure",
    ]
    cmd += ["--time-factor", str(time_factor)]
    if subscriptions > 1:
        cmd += ["--managed-subscriptions", str(subscriptions)]
    if throttled:
        cmd += ["--throttle", "arm"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the offline Azure did not start")
    return proc, json.loads(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--vnets", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--time-factor", type=float, default=0.1)
    parser.add_argument("--no-throttle", action="store_true", help="ARM's buckets off")
    parser.add_argument(
        "--subscriptions",
        type=int,
        default=1,
        help="managed subscriptions to spread the VNets over (default 1)",
    )
    parser.add_argument("--modes", default="az,raw,threads,aio")
    parser.add_argument(
        "--az-vnets",
        type=int,
        default=5,
        help="VNets the az CLI loop really deploys, extrapolated to --vnets (default 5; at least 2)",
    )
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--latency",
        action="store_true",
        help="also print each mode's request latency by kind (median and 90th percentile)",
    )
    args = parser.parse_args(argv)
    n, c, f, throttled = args.vnets, args.concurrency, args.time_factor, not args.no_throttle
    if "az" in args.modes.split(",") and args.az_vnets < min(2, n):
        parser.error("--az-vnets must be at least 2 to extrapolate")
    modes: dict[str, Callable[[World, int, int], Result]] = {
        **MODES,
        "az": partial(run_az, az_vnets=args.az_vnets),
    }
    results: list[Result] = []
    for name in args.modes.split(","):
        proc, info = serve(f, throttled, args.subscriptions)
        try:
            results.append(modes[name](World(info, f), n, c))
        finally:
            proc.terminate()
            proc.wait(10)
    floor = floor_seconds(n, c, f, throttled, args.subscriptions)
    bounds = floor_bounds(n, c, f, throttled, args.subscriptions)
    print(
        _report(
            results,
            n,
            c,
            f,
            throttled,
            floor,
            markdown=args.markdown,
            subscriptions=args.subscriptions,
            bounds=bounds,
        )
    )
    if args.latency:
        print("\n" + "\n".join(latency_lines(results)))
    return 0


def _report(
    results: list[Result],
    n: int,
    c: int,
    f: float,
    throttled: bool,
    floor: float,
    *,
    markdown: bool,
    subscriptions: int = 1,
    bounds: Mapping[str, float] | None = None,
) -> str:
    head = [
        "mode",
        "VNets ok",
        "wall (s)",
        "VNets/s",
        "client CPU ms/VNet",
        *[f"{k}/VNet" for k in KINDS],
        "429 % of requests",
        "x floor",
    ]
    star = "\\*" if markdown else "*"
    rows = []
    for r in results:
        if r.note.startswith("skipped"):
            rows.append([r.mode, r.note, *[""] * (len(head) - 2)])
            continue
        mark = f" {star}" if r.extrapolated else ""
        ok = r.vnets * r.ok / r.measured if r.extrapolated and r.measured else r.ok
        per = [f"{r.counts.get(k, 0) / r.vnets:.2f}{mark}" if r.counted else "-" for k in KINDS]
        rows.append(
            [
                r.mode,
                f"{r.ok}/{r.measured} run{mark}" if r.extrapolated else f"{r.ok}/{r.vnets}",
                f"{r.wall:.1f}{mark}",
                f"{ok / r.wall:.1f}{mark}",
                f"{1000 * r.cpu / r.vnets:.1f}{mark}",
                *per,
                f"{100 * r.counts.get('429', 0) / max(1, sum(r.counts.get(k, 0) for k in KINDS[:4])):.2f}"
                if r.counted
                else "-",
                f"{r.wall / floor:.2f}{mark}",
            ]
        )
    title = (
        f"N = {n} over {subscriptions} subscription(s), concurrency {c}, time factor {f}, "
        f"ARM buckets {'on' if throttled else 'off'}; "
        f"floor {floor:.1f} s"
        + (" (" + ", ".join(f"{k} {v:.1f} s" for k, v in bounds.items()) + ")" if bounds else "")
        + f"; {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.2f}"
    )
    notes = [
        f"{star + ' ' if r.extrapolated else ''}{r.mode}: {r.note}"
        for r in results
        if r.note and not r.note.startswith("skipped")
    ]
    if markdown:
        lines = [title, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join([*lines, "", *notes])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([title, fmt.format(*head), *(fmt.format(*row) for row in rows), *notes])


def latency_lines(results: list[Result]) -> list[str]:
    """Per mode, each kind's request latency in ms: median / 90th percentile (``--latency``)."""
    lines = ["request latency, ms (median / 90th percentile), from the client's send to its answer:"]
    for r in results:
        kinds = [k for k in KINDS if r.latencies.get(k)]
        parts = []
        for k in kinds:
            values = sorted(r.latencies[k])
            p50, p90 = values[len(values) // 2], values[min(len(values) - 1, int(0.9 * len(values)))]
            parts.append(f"{k} {1000 * p50:.1f} / {1000 * p90:.1f}")
        if parts:
            lines.append(f"- {r.mode}: " + ", ".join(parts))
    return lines


if __name__ == "__main__":
    sys.exit(main())
