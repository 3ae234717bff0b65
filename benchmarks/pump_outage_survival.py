"""Pump-outage survival (issue 25, item 6): is stop-pump's "first record lost in N s" true?
Brings up a 3 x 1 stack (tls off), stops the pump and sends a `stackctl smoke` at a fixed
rate. Once records pile up, it gives every node a small `maxmemory` (its used memory plus
--budget), reads the nodes exactly as the drill does (drill.survival's script and parser),
and predicts with the drill's own arithmetic (drill.survival.survival) when the first
record is lost. Then it watches the analytics lists every 0.5 s until they stop growing
(the node at maxmemory refuses the gateway's RPUSH: noeviction, Redis' default) or a list
expires, and prints predicted against measured. Asserts nothing.

    flock /tmp/stackctl-docker.lock .venv/bin/python benchmarks/pump_outage_survival.py \\
        [--rate 300] [--budget 2000000] [--duration 90]

Project `stackctl-bench-survival`, subnets 172.31.178.0/24 (Redis) and 172.31.179.0/24,
state in a temporary directory, torn down with its volumes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_env import REPO, stack_env

sys.path.insert(0, str(REPO / "controller"))

from stackctl.drill.survival import SCRIPT, parse, survival

PROJECT = "stackctl-bench-survival"
SUBNETS = ("172.31.178.0/24", "172.31.179.0/24")
GATE = f"{PROJECT}-cluster-gate-1"
PUMP = f"{PROJECT}-pump-1"
POLL_S = 0.5
STALL_SHARE = 0.5
"""The lists stopped growing: less than this share of the rate for two polls in a row
(their total: a node's own lists grow in bursts, so one node's looked stalled at once,
over 0.5 s polls and over 2 s windows alike)."""


def stackctl(cwd: Path, env: dict[str, str], *args: str, timeout: float = 900
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def gate(script: str) -> str:
    return subprocess.run(["docker", "exec", "-e", "STACKCTL_CLI_TIMEOUT=2", GATE, "sh", "-c",
                           script], capture_output=True, text=True, timeout=30,
                          check=True).stdout


def records() -> int:
    """Records in every analytics list."""
    return sum(x.records for x in parse(gate(SCRIPT))[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--budget", type=int, default=2_000_000,
                        help="bytes each node may grow by before maxmemory")
    parser.add_argument("--duration", type=float, default=90.0)
    args = parser.parse_args()
    env = stack_env(PROJECT, SUBNETS, REDIS__TLS="off")
    with tempfile.TemporaryDirectory(prefix="stackctl-survival-") as tmp:
        cwd = Path(tmp)
        load: subprocess.Popen[bytes] | None = None
        try:
            up = stackctl(cwd, env, "up", "--no-smoke", "--json")
            if up.returncode:
                raise SystemExit(f"up failed: {up.stderr.strip()[-2000:]}")
            subprocess.run(["docker", "stop", PUMP], capture_output=True, check=True)
            load = subprocess.Popen(
                [sys.executable, "-m", "stackctl", "smoke", "--json", "--rate",
                 f"{args.rate:g}", "--duration", f"{args.duration:g}"], cwd=cwd, env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 120
            while records() < args.rate * 3 and time.monotonic() < deadline:
                time.sleep(POLL_S)
            for n in parse(gate(SCRIPT))[0]:
                gate(f". /opt/stackctl/bin/lib.sh; rcli {n.node} CONFIG SET maxmemory "
                     f"{n.used + args.budget}")
            first, t0 = records(), time.monotonic()
            time.sleep(3.0)
            nodes, lists = parse(gate(SCRIPT))
            now = time.monotonic()
            rate = (sum(x.records for x in lists) - first) / (now - t0)
            predicted = survival(rate, nodes, lists)
            print(f"records/s {rate:.1f} (smoke at {args.rate:g} req/s); bytes per record "
                  f"{predicted['bytes_per_record']}; maxmemory full in "
                  f"{predicted['maxmemory_full_in_s']} s ({predicted['maxmemory_node']}); "
                  f"first list expires in {predicted['first_expiry_in_s']} s; predicted first "
                  f"loss in {predicted['first_loss_in_s']} s: {predicted['first_loss_cause']}")
            last, last_t, slow, stalled_at = sum(x.records for x in lists), now, 0, None
            running = load
            while time.monotonic() < now + args.duration and running.poll() is None:
                time.sleep(POLL_S)
                total = records()
                t = time.monotonic()
                growth = (total - last) / (t - last_t)
                slow = slow + 1 if growth < STALL_SHARE * rate else 0
                if slow == 2:
                    stalled_at = last_t - now - POLL_S
                    break
                last, last_t = total, t
            if stalled_at is None:
                print("the lists never stopped growing within the run")
            else:
                print(f"measured: the lists stopped growing {stalled_at:.1f} s after the "
                      f"prediction's reading (records {last}); predicted "
                      f"{predicted['first_loss_in_s']} s")
        finally:
            if load is not None and load.poll() is None:
                load.terminate()
                load.wait(30)
            stackctl(cwd, env, "down", "--volumes", timeout=600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
