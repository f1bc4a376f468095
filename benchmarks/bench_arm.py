"""Benchmark at ARM's limits: N new VNets (in one subscription, or spread over several), the offline Azure in its own process.

The offline Azure runs as ``python -m crossipam.testing serve --throttle arm --lro-timing azure --time-factor F``:
ARM's token buckets (reads 250 / 25 per s, writes 200 / 10 per s, per principal; a global bucket 15 times that)
and Azure's operation timing (``Retry-After: 10``, a 4 s VNet operation), with time running ``1/F`` times as fast
(F = 0.1: ``Retry-After`` 1 s, writes refilled at 100 per s) so that a run stays short. It serves HTTPS on
loopback in a process of its own, so this process measures only the clients: wall time, and **client CPU time**
(``time.process_time`` of this process, all threads) per VNet.

Modes, one after the other against the same offline Azure (the buckets are left to refill in between):

1. **az CLI** — the tutorial's commands as users run them today: ``az account get-access-token`` for the
   management tenant, then ``az rest --method put`` with ``x-ms-authorization-auxiliary`` per VNet (skipped, with a
   note, when ``az`` is not installed);
2. **raw SDK** — what a Python user would write instead: azure-mgmt-network's
   ``virtual_networks.begin_create_or_update(...).result()`` with ``AuxiliaryAuthenticationPolicy`` on a thread
   pool of ``--concurrency`` threads;
3. **crossipam threads** — ``CrossTenantIpamClient.deploy_many(specs, max_concurrency=C)``;
4. **crossipam.aio** — the asyncio client's ``deploy_many``.

Requests are counted in this process by an azure-core policy on every try (so 429s retried by azure-core count),
by kind: VNet GET, VNet list, PUT, status poll, 429. The **floor** is the larger of the concurrency bound
(``ceil(N / C)`` rounds of one ``Retry-After``) and ARM's bucket bounds (N writes and 2 N reads — one poll and
the final GET per VNet — through buckets of 200 writes refilled at 10/s and 250 reads at 25/s, time-scaled).

    python benchmarks/bench_arm.py                       # N = 400, C = 50, F = 0.1
    python benchmarks/bench_arm.py --vnets 40 --concurrency 8   # small (nox -s bench)
    python benchmarks/bench_arm.py --markdown            # tables for docs/performance.md
    python benchmarks/bench_arm.py --vnets 500 --subscriptions 5   # VNets spread over 5 subscriptions
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.identity import ClientSecretCredential
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import VirtualNetwork

from crossipam import CloudEndpoints, CrossTenantIpamClient, DeploymentSpec
from crossipam.aio import CrossTenantIpamClient as AsyncCrossTenantIpamClient
from crossipam.testing import ARM_LRO_RETRY_AFTER, ARM_THROTTLE_LIMITS

ADDRESSES = 16
KINDS = ("vnet GET", "list", "PUT", "poll", "429")


class RequestCounter(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Counts every try of an ARM request by kind (thread-safe)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def on_response(self, request: Any, response: Any) -> None:
        http = request.http_request
        path = http.url.split("?", 1)[0].lower()
        if "/operations/" in path:
            kind = "poll"
        elif http.method == "PUT":
            kind = "PUT"
        elif path.endswith("/virtualnetworks"):
            kind = "list"
        else:
            kind = "vnet GET"
        with self._lock:
            self.counts[kind] += 1
            if response.http_response.status_code == 429:
                self.counts["429"] += 1


@dataclass
class Result:
    mode: str
    vnets: int
    ok: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    note: str = ""


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


def floor_seconds(
    n: int, concurrency: int, time_factor: float, throttled: bool, subscriptions: int = 1
) -> float:
    """The larger of the concurrency bound and ARM's bucket bounds (time-scaled; each subscription has its own
    buckets and holds ``ceil(n / subscriptions)`` of the VNets)."""
    rounds = math.ceil(n / concurrency) * ARM_LRO_RETRY_AFTER * time_factor
    if not throttled:
        return rounds
    n = math.ceil(n / subscriptions)
    limits = ARM_THROTTLE_LIMITS.scaled(time_factor=time_factor)
    assert limits.writes is not None and limits.reads is not None
    writes = max(0.0, n - limits.writes.capacity) / limits.writes.refill
    reads = max(0.0, 2 * n - limits.reads.capacity) / limits.reads.refill
    return max(rounds, writes, reads)


# ---- modes ------------------------------------------------------------------------------------------------------


def run_az(world: World, n: int, concurrency: int) -> Result:
    result = Result("az CLI", n)
    if shutil.which("az") is None:
        result.note = "skipped: the Azure CLI (az) is not installed here"
        return result
    i, env = world.info, dict(os.environ, REQUESTS_CA_BUNDLE=world.info["ca_bundle"])
    token = json.loads(
        subprocess.run(
            ["az", "account", "get-access-token", "--tenant", i["management_tenant_id"], "-o", "json"],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    )["accessToken"]
    started, cpu = time.monotonic(), _children_cpu()
    for spec in world.specs("az", n):
        body = json.dumps(
            {
                "location": spec.location,
                "properties": {
                    "addressSpace": {
                        "ipamPoolPrefixAllocations": [
                            {"numberOfIpAddresses": str(ADDRESSES), "pool": {"id": spec.pool_id}}
                        ]
                    }
                },
            }
        )
        url = f"{i['arm_endpoint'].rstrip('/')}{spec.vnet_id}?api-version=2026-03-01"
        done = subprocess.run(
            [
                "az",
                "rest",
                "--method",
                "put",
                "--url",
                url,
                "--body",
                body,
                "--headers",
                f"x-ms-authorization-auxiliary=Bearer {token}",
            ],
            capture_output=True,
            env=env,
            check=False,
        )
        result.ok += done.returncode == 0
    result.wall, result.cpu = time.monotonic() - started, _children_cpu() - cpu
    return result


def _children_cpu() -> float:
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
        body = VirtualNetwork(
            {
                "location": spec.location,
                "properties": {
                    "addressSpace": {
                        "ipamPoolPrefixAllocations": [
                            {"numberOfIpAddresses": str(ADDRESSES), "pool": {"id": spec.pool_id}}
                        ]
                    }
                },
            }
        )
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
    result.wall, result.cpu, result.counts = (
        time.monotonic() - started,
        time.process_time() - cpu,
        counter.counts,
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
    result.wall, result.cpu, result.counts = (
        time.monotonic() - started,
        time.process_time() - cpu,
        counter.counts,
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
    result.wall, result.cpu, result.counts = (
        time.monotonic() - started,
        time.process_time() - cpu,
        counter.counts,
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
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    n, c, f, throttled = args.vnets, args.concurrency, args.time_factor, not args.no_throttle
    proc, info = serve(f, throttled, args.subscriptions)
    world = World(info, f)
    results: list[Result] = []
    try:
        for name in args.modes.split(","):
            results.append(MODES[name](world, n, c))
            time.sleep(20 * f + 0.5)  # the buckets refill (200 tokens at 10 per ARM second)
    finally:
        proc.terminate()
        proc.wait(10)
    floor = floor_seconds(n, c, f, throttled, args.subscriptions)
    print(
        _report(results, n, c, f, throttled, floor, markdown=args.markdown, subscriptions=args.subscriptions)
    )
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
) -> str:
    head = [
        "mode",
        "VNets ok",
        "wall (s)",
        "VNets/s",
        "client CPU ms/VNet",
        *[f"{k}/VNet" for k in KINDS],
        "x floor",
    ]
    rows = []
    for r in results:
        if r.note.startswith("skipped"):
            rows.append([r.mode, r.note, *[""] * (len(head) - 2)])
            continue
        per = [f"{r.counts.get(k, 0) / r.vnets:.2f}" for k in KINDS]
        rows.append(
            [
                r.mode,
                f"{r.ok}/{r.vnets}",
                f"{r.wall:.1f}",
                f"{r.ok / r.wall:.1f}",
                f"{1000 * r.cpu / r.vnets:.1f}",
                *per,
                f"{r.wall / floor:.2f}",
            ]
        )
    title = (
        f"N = {n} over {subscriptions} subscription(s), concurrency {c}, time factor {f}, "
        f"ARM buckets {'on' if throttled else 'off'}; "
        f"floor {floor:.1f} s; {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    if markdown:
        lines = [title, "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        notes = [f"{r.mode}: {r.note}" for r in results if r.note and not r.note.startswith("skipped")]
        return "\n".join([*lines, "", *notes])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    notes = [f"{r.mode}: {r.note}" for r in results if r.note and not r.note.startswith("skipped")]
    return "\n".join([title, fmt.format(*head), *(fmt.format(*row) for row in rows), *notes])


if __name__ == "__main__":
    sys.exit(main())
