"""Redis Cluster readiness timings: 3 x 1 with mtls.

1. up from nothing to ready (target 10 s): network, volumes, nodes, cluster-init, the
   readiness rule passing.
2. `down` keeping volumes, then up again (target 5 s): nodes rejoin from their
   nodes.conf, nothing is created.

Each is timed the way `stackctl up` starts the cluster (`cluster.wait.start_cluster`:
`compose up`, then the gate's rule run 0.1 s after each answer) and, for comparison, as
plain `docker compose up --wait` (the gate's healthcheck, once a minute since issue 13:
that figure is now about a minute and shows what Compose alone would wait).

Runs in its own project (`stackctl-bench-cluster-<pid>`, subnet 172.31.220.0/24, state
and PKI in a temporary directory) and always removes it with its volumes.
Usage: .venv/bin/python benchmarks/cluster_ready.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from stackctl.cluster.pki import ensure_pki
from stackctl.cluster.wait import start_cluster
from stackctl.model import build_model
from stackctl.names import INIT_SERVICE
from stackctl.render.cluster import write_cluster_project
from stackctl.runtime.compose import Compose
from stackctl.secrets import load_secrets
from stackctl.settings import Settings
from stackctl.versions import image

TARGETS = {"up": 10.0, "re-up": 5.0}


def timed(action: str, compose: Compose, plain: bool) -> float:
    """One `up` (from nothing, or after `down` keeping volumes): as `stackctl up` does it
    (`cluster.wait.start_cluster`), or `plain` as `docker compose up --wait`."""
    if action == "re-up":
        compose.down(volumes=False)
    start = time.monotonic()
    if plain:
        compose.up(timeout=120)
    else:
        start_cluster(compose, 120)
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (1-10)")
    runs = max(1, min(10, parser.parse_args().runs))
    figures: dict[str, list[float]] = {"up": [], "re-up": [], "up --wait": [],
                                       "re-up --wait": []}
    with tempfile.TemporaryDirectory(prefix="stackctl-bench-") as tmp:
        settings = Settings(
            project=f"stackctl-bench-cluster-{os.getpid()}",
            state_dir=Path(tmp) / "state", certs_dir=Path(tmp) / "certs",
            redis={"tls": "mtls", "subnet": "172.31.220.0/24"},
        )
        model = build_model(settings)
        ensure_pki(model)
        path = write_cluster_project(model, load_secrets(settings.state_dir),
                                     image("redis").local)
        compose = Compose(settings.project, [path])
        try:
            for run in range(1, runs + 1):
                for plain, suffix in ((False, ""), (True, " --wait")):
                    figures["up" + suffix].append(timed("up", compose, plain))
                    figures["re-up" + suffix].append(timed("re-up", compose, plain))
                    if "cluster exists" not in compose.logs([INIT_SERVICE], tail=5):
                        print("re-up created a new cluster instead of rejoining",
                              file=sys.stderr)
                        return 1
                    compose.down(volumes=True)
                print(f"run {run}: " + ", ".join(f"{name} {values[-1]:.1f} s"
                                                 for name, values in figures.items()),
                      flush=True)
        finally:
            compose.down(volumes=True)
    failed = False
    for name, values in figures.items():
        median = statistics.median(values)
        target = TARGETS.get(name)
        verdict = ("ok" if median <= target else "OVER TARGET") if target else "no target"
        failed |= target is not None and median > target
        print(f"{name:13} median {median:.1f} s  min {min(values):.1f}  max {max(values):.1f}"
              f"  ({f'target {target:.0f} s: ' if target else ''}{verdict})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
