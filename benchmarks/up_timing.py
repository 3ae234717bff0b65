"""Benchmark `stackctl up`: cold (images present, 3 x 1, mtls) with each step's share,
warm re-up, and `stackctl --help`. Prints figures; asserts nothing.

Runs in its own project and subnets (172.31.174.0/24, 172.31.175.0/24) in a temporary
directory, and tears the stack down with its volumes at the end.

    .venv/bin/python benchmarks/up_timing.py [--tls mtls] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def stackctl(cwd: Path, env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - start
    if out.returncode != 0:
        raise SystemExit(f"stackctl {' '.join(args)} failed: {out.stderr.strip()}")
    return elapsed, out.stdout


def steps(stdout: str) -> dict[str, float]:
    events = [json.loads(x) for x in stdout.splitlines() if x.startswith("{")]
    return {e["step"]: e["seconds"] for e in events
            if e.get("event") == "step" and e["status"] == "ok"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tls", default="mtls")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env.update({"STACKCTL_PROJECT": "stackctl-bench-up",
                "STACKCTL_REDIS__SUBNET": "172.31.174.0/24",
                "STACKCTL_NETWORK__SUBNET": "172.31.175.0/24",
                "STACKCTL_GATEWAY__PORT": str(port), "STACKCTL_IMAGES__OFFLINE": "true"})
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        try:
            for run in range(1, args.runs + 1):
                cold, out = stackctl(cwd, env, "up", "--tls", args.tls, "--no-smoke", "--json")
                shares = steps(out)
                total = sum(shares.values()) or 1.0
                print(f"run {run}: cold up ({args.tls}, 3 x 1, to healthy): {cold:.1f} s "
                      f"(target 20 s)")
                for name, secs in shares.items():
                    print(f"    {name:<14} {secs:6.2f} s  {100 * secs / total:5.1f}%")
                warm, _ = stackctl(cwd, env, "up", "--tls", args.tls, "--no-smoke", "--json")
                print(f"run {run}: warm re-up: {warm:.2f} s (target 3 s)")
                stackctl(cwd, env, "down", "--volumes")
        finally:
            subprocess.run([sys.executable, "-m", "stackctl", "down", "--volumes"], cwd=cwd,
                           env=env, capture_output=True, timeout=120)
    helps = []
    for _ in range(5):
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "stackctl", "--help"], capture_output=True,
                       check=True)
        helps.append(time.monotonic() - start)
    print(f"stackctl --help: median {sorted(helps)[2]:.3f} s over 5 (target 0.5 s)")


if __name__ == "__main__":
    main()
