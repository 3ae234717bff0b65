"""Sweep repeatability (issue 26): the same sweep three times back to back on one stack
(3 x 1, tls off, the default points, 3 repeats). Prints each run's recommendation, the
group indistinguishable from the best, the knee, the noise (and the A/A difference with
and without outlier repeats), and whether all three agree: the same pool, the same
group, the same knee. Asserts nothing.
The stack runs in its own project and subnets in a temporary directory and is torn down
with its volumes. Long (about 3 x 25 min): run it alone, under the shared Docker lock.

    flock /tmp/stackctl-docker.lock .venv/bin/python benchmarks/sweep_repeatability.py \\
        [--runs 3] [--repeat 3] [--duration 10] [--max-active 1,2,8]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PROJECT = "stackctl-bench-sweeprep"
SUBNETS = ("172.31.186.0/24", "172.31.187.0/24")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stackctl(cwd: Path, env: dict[str, str], *args: str, timeout: float = 7200
             ) -> subprocess.CompletedProcess[str]:
    full = {**env, "PYTHONPATH": str(REPO / "controller")}
    return subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=timeout)


def summary(report: dict[str, Any]) -> dict[str, Any]:
    rec = report["recommendation"]
    noise = rec.get("noise") or {}
    little = report.get("little") or {}
    return {"recommended": rec["max_active"], "group": rec["group"], "knee": rec["knee"],
            "slower": rec["slower"], "noise_pct": noise.get("pct"),
            "noise_rps": noise.get("band"), "aa_diff_pct": noise.get("diff_pct"),
            "aa_raw_pct": noise.get("raw_pct"), "aa_halfwidth_pct": noise.get("halfwidth_pct"),
            "median_spread_pct": noise.get("spread_pct"),
            "aa_outliers": noise.get("outliers"), "best": rec["best_max_active"],
            "in_use_at_reference": {n["node"]: n["connections"] for n in little.get("nodes", [])},
            "little_check": little.get("check", {}).get("line")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-active", default="", help="points (default: the sweep's)")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env = {**base, "STACKCTL_PROJECT": PROJECT, "STACKCTL_REDIS__SUBNET": SUBNETS[0],
           "STACKCTL_NETWORK__SUBNET": SUBNETS[1], "STACKCTL_GATEWAY__PORT": str(free_port()),
           "STACKCTL_IMAGES__OFFLINE": "true", "STACKCTL_REDIS__TLS": "off"}
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="sweeprep-") as tmp:
        cwd = Path(tmp)
        try:
            up = stackctl(cwd, env, "up", "--no-smoke", timeout=900)
            if up.returncode:
                raise SystemExit(f"up failed: {up.stderr[-2000:]}")
            for i in range(args.runs):
                points = ["--max-active", args.max_active] if args.max_active else []
                proc = stackctl(cwd, env, "sweep", "--json", *points,
                                "--repeat", str(args.repeat),
                                "--duration", str(args.duration), "--budget", "86400",
                                "--no-idle-ab", "--out", str(cwd / f"sweep-{i + 1}"))
                if proc.returncode:
                    raise SystemExit(f"sweep {i + 1} failed: {proc.stderr[-2000:]}")
                runs.append(summary(json.loads(proc.stdout)))
                print(f"run {i + 1}: {json.dumps(runs[-1])}", flush=True)
        finally:
            stackctl(cwd, env, "down", "--volumes", timeout=600)
    same_pool = len({r["recommended"] for r in runs}) == 1
    same_group = len({tuple(r["group"]) for r in runs}) == 1
    print(f"all {len(runs)} name the same pool: {same_pool}; the same group: {same_group}")
    same_knee = len({r["knee"] for r in runs}) == 1
    print(f"the same knee: {same_knee}")
    print("noise per run (%, req/s):", [(r["noise_pct"], r["noise_rps"]) for r in runs])
    print("A/A difference per run (%, outliers left out / with them):",
          [(r["aa_diff_pct"], r["aa_raw_pct"]) for r in runs])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
