"""Failover soak (issue 25): does a node timeout cause failovers nobody asked for? Brings up a
3 x 1 stack with the given settings, then watches two 10-minute phases: idle, and a
`stackctl smoke` at 500 req/s. Before and after each phase it reads every node's CLUSTER
INFO: `cluster_current_epoch` (a failover raises it) and
`cluster_stats_messages_fail_received` (a node marked FAIL is announced), so nothing
polls the nodes during the phase. Prints both per phase and node, and the verdict: no
failover and no FAIL message in either phase. Asserts nothing.

    flock /tmp/stackctl-docker.lock .venv/bin/python benchmarks/failover_soak.py \\
        [--tls off|mtls] [--node-timeout 2000] [--idle 600] [--load 600] [--rate 500]
        [--set SECTION__FIELD=VALUE ...]

Project `stackctl-bench-soak`, subnets 172.31.176.0/24 (Redis) and 172.31.177.0/24, state
in a temporary directory, torn down with its volumes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_env import stack_env

PROJECT = "stackctl-bench-soak"
SUBNETS = ("172.31.176.0/24", "172.31.177.0/24")
GATE = f"{PROJECT}-cluster-gate-1"
FIELDS = ("cluster_state", "cluster_current_epoch", "cluster_stats_messages_fail_received")
READ = (". /opt/stackctl/bin/lib.sh; export STACKCTL_CLI_TIMEOUT=2; "
        "for n in $STACKCTL_NODES; do echo \"$n $(rcli \"$n\" cluster info | tr -d '\\r' | "
        "grep -E '^(" + "|".join(FIELDS) + "):' | tr '\\n' ' ')\"; done")

Snapshot = dict[str, dict[str, str]]


def stackctl(cwd: Path, env: dict[str, str], *args: str, timeout: float = 900
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def snapshot() -> Snapshot:
    """Node -> the FIELDS of its CLUSTER INFO (read through the gate's own client)."""
    out = subprocess.run(["docker", "exec", GATE, "sh", "-c", READ], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    nodes: Snapshot = {}
    for line in out.splitlines():
        node, *pairs = line.split()
        nodes[node] = dict(p.split(":", 1) for p in pairs if ":" in p)
    return nodes


def compare(phase: str, before: Snapshot, after: Snapshot, seconds: float) -> bool:
    """Print the phase's per-node epochs and FAIL messages; True when nothing moved."""
    quiet = True
    print(f"{phase} ({seconds:.0f} s):")
    for node in sorted(before):
        b, a = before[node], after.get(node, {})
        epoch = (b.get("cluster_current_epoch"), a.get("cluster_current_epoch"))
        fails = (int(b.get("cluster_stats_messages_fail_received", 0)),
                 int(a.get("cluster_stats_messages_fail_received", 0)))
        moved = epoch[0] != epoch[1] or fails[1] > fails[0] or a.get("cluster_state") != "ok"
        quiet &= not moved
        print(f"  {node}: epoch {epoch[0]} -> {epoch[1]}, FAIL messages received "
              f"{fails[0]} -> {fails[1]}, state {a.get('cluster_state', '?')}"
              + ("  <- moved" if moved else ""))
    return quiet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tls", choices=("off", "tls", "insecure", "mtls"), default="off")
    parser.add_argument("--node-timeout", type=int, default=2000)
    parser.add_argument("--idle", type=float, default=600.0)
    parser.add_argument("--load", type=float, default=600.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--set", action="append", default=[],
                        help="SECTION__FIELD=VALUE: another setting (STACKCTL_ env form)")
    args = parser.parse_args()
    env = stack_env(PROJECT, SUBNETS, REDIS__TLS=args.tls,
                    REDIS__NODE_TIMEOUT_MS=str(args.node_timeout))
    for item in args.set:
        key, _, value = item.partition("=")
        env[f"STACKCTL_{key.upper()}"] = value
    quiet = True
    with tempfile.TemporaryDirectory(prefix="stackctl-soak-") as tmp:
        cwd = Path(tmp)
        try:
            up = stackctl(cwd, env, "up", "--no-smoke", "--json")
            if up.returncode:
                raise SystemExit(f"up failed: {up.stderr.strip()[-2000:]}")
            print(f"tls {args.tls}, node-timeout {args.node_timeout} ms, "
                  f"{' '.join(args.set) or 'other settings default'}: up")
            before, started = snapshot(), time.monotonic()
            time.sleep(args.idle)
            after = snapshot()
            quiet &= compare("idle", before, after, time.monotonic() - started)
            before, started = after, time.monotonic()
            smoke = stackctl(cwd, env, "smoke", "--json", "--duration", f"{args.load:g}",
                             "--rate", f"{args.rate:g}", timeout=args.load + 600)
            after = snapshot()
            quiet &= compare(f"{args.rate:g} req/s", before, after,
                             time.monotonic() - started)
            if smoke.stdout.startswith("{"):
                doc = json.loads(smoke.stdout)
                print(f"  smoke: {doc['summary']}")
            else:
                print(f"  smoke failed ({smoke.returncode}): {smoke.stderr.strip()[-500:]}")
        finally:
            stackctl(cwd, env, "down", "--volumes", timeout=600)
    print(f"no failover and no FAIL message in either phase: {quiet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
