"""The offline Azure's own throughput: authenticated ARM requests per second, the server in its own process.

``bench_arm.py`` measures clients against an offline Azure in another process; that is only a measurement of
the clients if the offline Azure keeps up. This script measures the offline Azure alone: it starts
``python -m crossipam.testing serve`` (no buckets, operations done at once), fetches the two tenants' tokens
once (client credentials), then sends, over HTTPS with keep-alive (one ``requests`` session per thread):

1. ``PUT`` of ``--puts`` new VNets (16 addresses each from the scenario's pool, ``x-ms-authorization-auxiliary``
   for the management tenant), on ``--concurrency`` threads;
2. ``GET`` of those VNets for ``--seconds`` seconds, on the same threads.

It reports requests per second of each kind and the server process's CPU time per request (from
``/proc/<pid>/stat``, Linux). ``--profile`` instead runs the same requests through the offline Azure's
``handle`` in this process under ``cProfile`` (no HTTP, no TLS) and prints the costliest functions.

    python benchmarks/bench_emulator.py                        # 500 PUTs, then GETs for 5 s, 16 threads
    python benchmarks/bench_emulator.py --profile --puts 300
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import threading
import time
import urllib.parse
from typing import Any

import requests

from crossipam.testing import AzureEmulator, Request

API = "2024-05-01"


def _body(pool_id: str, location: str) -> bytes:
    allocation = {"numberOfIpAddresses": "16", "pool": {"id": pool_id}}
    body = {"location": location, "properties": {"addressSpace": {"ipamPoolPrefixAllocations": [allocation]}}}
    return json.dumps(body).encode()


def _vnet_url(info: dict[str, Any], name: str) -> str:
    return (
        f"{info['arm_endpoint'].rstrip('/')}/subscriptions/{info['managed_subscription_id']}/resourceGroups/"
        f"{info['resource_group']}/providers/Microsoft.Network/virtualNetworks/{name}?api-version={API}"
    )


def _token(info: dict[str, Any], tenant: str, post: Any) -> str:
    app = info["app"]
    answer = post(
        f"{info['authority'].rstrip('/')}/{tenant}/oauth2/v2.0/token",
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": info["arm_endpoint"].rstrip("/") + "/.default",
        },
    )
    return str(answer["access_token"])


def _headers(info: dict[str, Any], post: Any) -> dict[str, str]:
    managed = _token(info, info["managed_tenant_id"], post)
    management = _token(info, info["management_tenant_id"], post)
    return {
        "Authorization": f"Bearer {managed}",
        "x-ms-authorization-auxiliary": f"Bearer {management}",
        "Content-Type": "application/json",
    }


# ---- over HTTPS, the offline Azure in its own process -------------------------------------------------------


def _server_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run_threads(concurrency: int, work: Any) -> None:
    threads = [threading.Thread(target=work, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def over_https(puts: int, seconds: float, concurrency: int) -> dict[str, Any]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossipam.testing", "serve", "--scenario", "onboarded"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    try:
        ca = info["ca_bundle"]
        headers = _headers(
            info, lambda url, data: requests.post(url, data=data, verify=ca, timeout=30).json()
        )
        body = _body(info["pool_id"], info["location"])
        statuses: dict[str, dict[int, int]] = {"PUT": {}, "GET": {}}
        lock = threading.Lock()

        def count(kind: str, status: int) -> None:
            with lock:
                statuses[kind][status] = statuses[kind].get(status, 0) + 1

        def put_worker(k: int) -> None:
            with requests.Session() as session:
                for i in range(k, puts, concurrency):
                    r = session.put(
                        _vnet_url(info, f"v{i:05d}"), data=body, headers=headers, verify=ca, timeout=60
                    )
                    count("PUT", r.status_code)

        stop = [0.0]

        def get_worker(k: int) -> None:
            with requests.Session() as session:
                i = k
                while time.monotonic() < stop[0]:
                    r = session.get(
                        _vnet_url(info, f"v{i % puts:05d}"), headers=headers, verify=ca, timeout=60
                    )
                    count("GET", r.status_code)
                    i += concurrency

        figures: dict[str, Any] = {"concurrency": concurrency}
        for kind, worker in (("PUT", put_worker), ("GET", get_worker)):
            cpu, started = _server_cpu(proc.pid), time.monotonic()
            stop[0] = started + seconds
            _run_threads(concurrency, worker)
            wall = time.monotonic() - started
            n = sum(statuses[kind].values())
            figures[kind] = {
                "requests": n,
                "per_second": round(n / wall, 1),
                "server_cpu_ms": round(1000 * (_server_cpu(proc.pid) - cpu) / max(n, 1), 2),
                "statuses": statuses[kind],
            }
        return figures
    finally:
        proc.terminate()
        proc.wait(10)


# ---- in this process, under cProfile ---------------------------------------------------------------------------


def profile(puts: int, top: int, sort: str = "cumulative") -> str:
    emu = AzureEmulator()
    scenario = emu.load_scenario("onboarded")
    info = json.loads(scenario.to_json())

    def post(url: str, data: dict[str, str]) -> Any:
        form = urllib.parse.urlencode(data)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return emu.handle(Request("POST", url, headers, form.encode())).json()

    headers = _headers(info, post)
    body = _body(info["pool_id"], info["location"])
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(puts):
        emu.handle(Request("PUT", _vnet_url(info, f"v{i:05d}"), headers, body))
    for i in range(puts * 2):
        emu.handle(Request("GET", _vnet_url(info, f"v{i % puts:05d}"), headers))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--puts", type=int, default=500, help="new VNets to PUT (default 500)")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to send GETs (default 5)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--profile", action="store_true", help="profile handle() in this process instead")
    parser.add_argument("--top", type=int, default=30, help="functions to show with --profile")
    args = parser.parse_args(argv)
    if args.profile:
        print(profile(args.puts, args.top))
    else:
        print(json.dumps(over_https(args.puts, args.seconds, args.concurrency), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
