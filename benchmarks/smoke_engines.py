"""Load-engine figures for `stackctl smoke` (printed, not asserted).

1. builtin engine against the upstream alone (nginx in a container on its own network,
   reached at its address on that network from the host): req/s and req/s per CPU
   second of the engine process (target >= 10,000 per core), closed and open model.
2. stackctl's wrk driver (its Lua script, one thread per key) against the same wrk
   command run by hand (target: within 5%), alternating A/B runs.
3. With a running stack in the current directory (the same STACKCTL_* settings as
   `stackctl smoke`): wrk through the gateway next to wrk against the upstream alone,
   the overhead ratio, and the gateway's CPU use from docker stats.

Runs its upstream in network `stackctl-bench-smoke` (172.31.186.0/24), removed at the end.
Usage: .venv/bin/python benchmarks/smoke_engines.py [--seconds S] [--connections N]
       [--no-stack]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from stackctl.clients.gateway import GatewayClient
from stackctl.engine.factory import stack_context
from stackctl.load import keys as smoke_setup
from stackctl.load.builtin import run_builtin
from stackctl.load.plan import LoadPlan
from stackctl.load.wrk import run_host, script_file, wrk_args, wrk_call
from stackctl.model import build_model
from stackctl.runtime import docker_client
from stackctl.settings import load_settings
from stackctl.tools._run import run
from stackctl.versions import image

NETWORK, SUBNET, UPSTREAM_IP = "stackctl-bench-smoke", "172.31.186.0/24", "172.31.186.40"
CONTAINER = "stackctl-bench-smoke-upstream"
WORK = Path("/tmp/stackctl-bench-smoke")


def start_upstream() -> None:
    client = docker_client()
    stop_upstream()
    client.network.create(NETWORK, subnet=SUBNET, labels={"io.stackctl.bench": "smoke"})
    client.run(image("upstream").local, detach=True, remove=True, name=CONTAINER,
               networks=[NETWORK], ip=UPSTREAM_IP)
    time.sleep(1.0)


def stop_upstream() -> None:
    client = docker_client()
    for found in client.container.list(all=True, filters={"name": CONTAINER}):
        client.container.remove(found, force=True)
    for net in client.network.list(filters={"name": NETWORK}):
        if net.name == NETWORK:  # the name filter matches substrings
            client.network.remove(net)


def builtin(url: str, seconds: float, connections: int, rate: float) -> dict[str, float]:
    plan = LoadPlan(url, ("bench-a", "bench-b"), seconds, connections, rate,
                    max_requests=10_000_000)
    cpu0 = time.process_time()
    result = run_builtin(plan)
    cpu = time.process_time() - cpu0
    return {"rps": result.rps, "cpu_s": cpu, "per_cpu_s": result.requests / cpu,
            "p99_ms": result.latencies_ms["p99"], "errors": result.errors}


def wrk_by_hand(url: str, seconds: float, connections: int, threads: int, script: bool
                ) -> float:
    """wrk typed by hand (its own Requests/sec line): with the driver's exact arguments
    and Lua script, or plain (no script)."""
    if script:
        plan = LoadPlan(url, ("bench-a", "bench-b"), seconds, connections)
        keys = WORK / "hand-keys"
        keys.write_text("bench-a\nbench-b\n")
        args = wrk_args(plan, wrk_call(plan), url, str(script_file(WORK)), str(keys))
    else:
        args = ["-t", str(threads), "-c", str(connections), "-d", f"{seconds:.0f}s", url]
    out = run(["wrk", *args], timeout=seconds + 30)
    line = next(x for x in out.splitlines() if x.startswith("Requests/sec:"))
    return float(line.split()[1])


def wrk_driver(url: str, seconds: float, connections: int) -> float:
    plan = LoadPlan(url, ("bench-a", "bench-b"), seconds, connections)
    return run_host(plan, WORK).rps


def cpu_sampler(container: str, stop: threading.Event, out: list[float]) -> None:
    client = docker_client()
    while not stop.is_set():
        for stats in client.container.stats([container]):
            out.append(float(stats.cpu_percentage))


def through_gateway(seconds: float, connections: int) -> dict[str, Any] | None:
    ctx = stack_context(build_model(load_settings()))
    if not ctx.compose_file.exists():
        return None
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        made = smoke_setup.create(gw, 2, 1)
        try:
            keys = tuple(k.key.get_secret_value() for k in made.keys if not k.limited)
            smoke_setup.wait_serving(gw, made)
            plan = LoadPlan(ctx.gateway_url + made.listen_path, keys, seconds, connections)
            stop = threading.Event()
            cpu: list[float] = []
            sampler = threading.Thread(target=cpu_sampler, daemon=True,
                                       args=(ctx.compose.container("gateway"), stop, cpu))
            sampler.start()
            result = run_host(plan, WORK)
            stop.set()
            sampler.join(timeout=10)
        finally:
            smoke_setup.cleanup(gw, made)
    return {"rps": result.rps, "p99_ms": result.latencies_ms["p99"],
            "statuses": dict(result.total()),
            "gateway_cpu_pct": statistics.mean(cpu) if cpu else 0.0}


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--no-stack", action="store_true")
    opts = parser.parse_args()
    url = f"http://{UPSTREAM_IP}/"
    start_upstream()
    try:
        print(f"upstream alone at {url} ({opts.connections} connections, "
              f"{opts.seconds:.0f}s runs)")
        closed = builtin(url, opts.seconds, opts.connections, 0)
        print(f"  builtin closed  {closed['rps']:9.0f} req/s  {closed['per_cpu_s']:9.0f} "
              f"req per CPU-second (target >= 10000)  cpu {closed['cpu_s']:.1f}s  "
              f"p99 {closed['p99_ms']:.1f} ms  errors {closed['errors']:.0f}")
        opened = builtin(url, opts.seconds, opts.connections, 0.8 * closed["rps"])
        print(f"  builtin open @{0.8 * closed['rps']:.0f}/s {opened['rps']:7.0f} req/s  "
              f"{opened['per_cpu_s']:9.0f} req per CPU-second  p99 (corrected) "
              f"{opened['p99_ms']:.1f} ms")
        runs: dict[str, list[float]] = {"driver": [], "hand+script": [], "hand": []}
        for _ in range(3):
            runs["driver"].append(wrk_driver(url, opts.seconds, opts.connections))
            runs["hand+script"].append(
                wrk_by_hand(url, opts.seconds, opts.connections, 2, script=True))
            runs["hand"].append(wrk_by_hand(url, opts.seconds, opts.connections, 2, False))
        med = {k: statistics.median(v) for k, v in runs.items()}
        for name, value in med.items():
            print(f"  wrk {name:<12} {value:9.0f} req/s (median of {runs[name]})")
        print(f"  driver / same command by hand: {med['driver'] / med['hand+script']:.3f}; "
              f"driver / plain wrk (no Lua): {med['driver'] / med['hand']:.3f}")
        upstream_rps = med["hand"]
        if not opts.no_stack:
            gw = through_gateway(opts.seconds, opts.connections)
            if gw is None:
                print("no stack in this directory: gateway figures skipped")
            else:
                print(f"through the gateway: {gw['rps']:.0f} req/s, p99 {gw['p99_ms']:.1f} ms,"
                      f" statuses {gw['statuses']}, gateway CPU {gw['gateway_cpu_pct']:.0f}%"
                      f" (100% = one core)")
                print(f"  overhead ratio (upstream alone / through gateway): "
                      f"{upstream_rps / max(gw['rps'], 1e-9):.1f}x")
    finally:
        stop_upstream()


if __name__ == "__main__":
    main()
