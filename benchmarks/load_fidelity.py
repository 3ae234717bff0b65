"""Load fidelity: does a sustained closed-loop run through the gateway measure Tyk, not
the rig? Prints figures against issue 13's targets; asserts nothing.

For each TLS mode: a 3 x 1 stack brought up by the stackctl of `--source` (default this
checkout; give an older checkout for a before/after), then with this checkout's engine and
meter: an API and 18 keyed sessions (auth on, each key rate-limited far above the load,
analytics on), the builtin engine in a closed loop through the published gateway for
`--duration` s between two meter snapshots, and the upstream alone (its front-network
address, no gateway) for 10 s. `--baseline gateway=REF,pump=REF` first runs the same with
those images (e.g. the root-and-bash images before the contract images) and prints the
ratio of this checkout's images to them, measured back to back in one run. Targets:
- the last 10 s keep >= 0.9 x the first 10 s' throughput; TIME_WAIT to the upstream < 1000;
- gateway CPU per request <= 400 us (Tyk's published 2 vCPU figure is 310-400 us).
Each stack runs in its own project and subnets in a temporary directory and is torn down
with its volumes.

    .venv/bin/python benchmarks/load_fidelity.py [--tls off,mtls] [--duration 60]
        [--connections 32] [--source DIR] [--images gateway=REF,pump=REF]
        [--baseline gateway=REF,pump=REF]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from pydantic import SecretStr

from stackctl.clients.gateway import GatewayClient
from stackctl.engine.factory import stack_context
from stackctl.load import keys as setup
from stackctl.load.builtin import run_builtin
from stackctl.load.plan import LoadPlan
from stackctl.load.stats import slices
from stackctl.meter import loadgen
from stackctl.meter.metered import metered
from stackctl.model import build_model
from stackctl.settings import load_settings
from stackctl.tyk.apidef import api_definition, session

REPO = Path(__file__).resolve().parents[1]
PROJECT = "stackctl-bench-fidelity"
SUBNETS = ("172.31.198.0/24", "172.31.199.0/24")
KEYS = 18
RPS_MIN, TIME_WAIT_MAX, CPU_US_MAX = 0.9, 1000, 400.0
UPSTREAM_S = 10.0
WINDOW_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_stackctl(source: Path, cwd: Path, env: dict[str, str], *args: str) -> None:
    full = {**env, "PYTHONPATH": str(source / "controller")}
    out = subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd, env=full,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"stackctl {' '.join(args)} failed: {out.stderr.strip()[-2000:]}")


def measure(cwd: Path, env: dict[str, str], duration: float, connections: int
            ) -> tuple[float, float | None]:
    """Print the figures of one stack; return (req/s, gateway CPU us per request)."""

    for key in [k for k in os.environ if k.startswith("STACKCTL_")]:
        del os.environ[key]
    os.environ.update(env)
    os.chdir(cwd)
    ctx = stack_context(build_model(load_settings()))
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        api_id = setup.new_api_id()
        path = f"/{api_id}/"
        gw.create_api(api_definition(api_id, path))
        gw.reload()
        keys = []
        for _ in range(KEYS):
            key, key_hash = gw.create_key_hashed(session(api_id, setup.UNLIMITED_RATE,
                                                         setup.LIMIT_PER_S))
            keys.append(setup.SmokeKey(SecretStr(key), key_hash, setup.UNLIMITED_RATE,
                                       setup.LIMIT_PER_S, False))
        made = setup.SmokeSetup(api_id, path, tuple(keys))
        setup.wait_serving(gw, made)
        raw = tuple(k.key.get_secret_value() for k in keys)
        try:
            result, spent, why = metered(
                ctx.engine.meter_source(["gateway"]), ctx.engine.pool_timeouts,
                loadgen.self_cpu_seconds,
                lambda: run_builtin(LoadPlan(ctx.gateway_url + path, raw, duration, connections)))
        finally:
            setup.cleanup(gw, made)
    upstream = f"http://{ctx.model.front_ip('upstream')}:80/"
    alone = run_builtin(LoadPlan(upstream, (), UPSTREAM_S, connections))
    parts = slices(result.timeline, result.elapsed_s, max(2, round(result.elapsed_s / WINDOW_S)))
    first, last = parts[0], parts[-1]
    ratio = last.rps / first.rps if first.rps else 0.0
    if spent is None:
        raise SystemExit(f"the meter could not read its counters: {why}")
    cpu = spent.gateway_cpu_us_per_request
    print(f"  closed loop {duration:.0f} s, {connections} connections: {result.requests} "
          f"requests, {result.rps:.0f} req/s, p99 {result.latencies_ms['p99']:.1f} ms, "
          f"statuses {dict(result.total())}")
    print(f"  per {WINDOW_S:.0f} s: " + ", ".join(f"{p.rps:.0f}" for p in parts) + " req/s")
    print(f"  last/first {WINDOW_S:.0f} s: {ratio:.2f} (target >= {RPS_MIN}); TIME_WAIT to "
          f"upstream at the end: {spent.time_wait_upstream} (target < {TIME_WAIT_MAX})")
    print(f"  gateway CPU per request: {'-' if cpu is None else f'{cpu:.0f}'} us "
          f"(target <= {CPU_US_MAX:.0f}); upstream alone: {alone.rps:.0f} req/s, "
          f"{alone.rps / max(result.rps, 1):.1f}x the gateway's")
    for line in spent.lines():
        print(f"  {line}")
    return result.rps, cpu


def image_env(spec: str) -> dict[str, str]:
    """`gateway=REF,pump=REF` -> the STACKCTL_IMAGES__* variables."""
    out = {}
    for part in filter(None, spec.split(",")):
        name, _, ref = part.partition("=")
        if name not in ("gateway", "pump", "redis", "upstream") or not ref:
            raise SystemExit(f"--images/--baseline: {part!r} is not NAME=REF (gateway, pump, "
                             "...)")
        out[f"STACKCTL_IMAGES__{name.upper()}"] = ref
    return out


def one_stack(source: Path, base: dict[str, str], env: dict[str, str], duration: float,
              connections: int) -> tuple[float, float | None]:
    """Up, measure, down (always)."""
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        try:
            run_stackctl(source, cwd, {**base, **env}, "up", "--no-smoke")
            return measure(cwd, env, duration, connections)
        finally:
            run_stackctl(source, cwd, {**base, **env}, "down", "--volumes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tls", default="off,mtls", help="comma-separated TLS modes")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the stackctl checkout that brings the stack up")
    parser.add_argument("--images", default="",
                        help="gateway=REF,pump=REF: the images measured (default: the stack's)")
    parser.add_argument("--baseline", default="",
                        help="gateway=REF,pump=REF: first run these images, then compare")
    args = parser.parse_args()
    if not 10 <= args.duration <= 600 or not 1 <= args.connections <= 1024:
        raise SystemExit("--duration 10..600 s, --connections 1..1024")
    base = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    for tls in args.tls.split(","):
        env = {"STACKCTL_PROJECT": PROJECT, "STACKCTL_REDIS__SUBNET": SUBNETS[0],
               "STACKCTL_NETWORK__SUBNET": SUBNETS[1], "STACKCTL_GATEWAY__PORT": str(free_port()),
               "STACKCTL_IMAGES__OFFLINE": "true", "STACKCTL_REDIS__TLS": tls}
        baseline = None
        if args.baseline:
            images = image_env(args.baseline)
            print(f"tls {tls}, baseline images {args.baseline}, stack from {args.source}:")
            baseline = one_stack(args.source, base, {**env, **images}, args.duration,
                                 args.connections)
        print(f"tls {tls}, images {args.images or 'the stack defaults'}, stack from "
              f"{args.source}:")
        rps, cpu = one_stack(args.source, base, {**env, **image_env(args.images)},
                             args.duration, args.connections)
        if baseline is not None:
            print(f"tls {tls}: throughput {rps:.0f} / {baseline[0]:.0f} req/s = "
                  f"{rps / max(baseline[0], 1):.3f} of the baseline's; gateway CPU per "
                  f"request {'-' if cpu is None else f'{cpu:.0f}'} us against "
                  f"{'-' if baseline[1] is None else f'{baseline[1]:.0f}'} us")


if __name__ == "__main__":
    main()
