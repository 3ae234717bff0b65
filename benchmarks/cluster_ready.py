"""Redis Cluster readiness timings: 3 x 1 with mtls.

1. `up --wait` from nothing to ready (target 10 s): network, volumes, nodes, cluster-init,
   the gate's readiness check.
2. `down` keeping volumes, then `up --wait` again (target 5 s): nodes rejoin from their
   nodes.conf, nothing is created.

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

from stackctl.cluster.compose import INIT_SERVICE, write_cluster_project
from stackctl.cluster.pki import ensure_pki
from stackctl.model import build_model
from stackctl.runtime.compose import Compose
from stackctl.secrets import load_secrets
from stackctl.settings import Settings
from stackctl.versions import image

TARGETS = {"up": 10.0, "re-up": 5.0}


def timed(action: str, compose: Compose) -> float:
    start = time.monotonic()
    if action == "up":
        compose.up(timeout=120)
    else:
        compose.down(volumes=False)
        start = time.monotonic()
        compose.up(timeout=120)
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (1-10)")
    runs = max(1, min(10, parser.parse_args().runs))
    figures: dict[str, list[float]] = {"up": [], "re-up": []}
    with tempfile.TemporaryDirectory(prefix="stackctl-bench-") as tmp:
        settings = Settings(
            project=f"stackctl-bench-cluster-{os.getpid()}",
            state_dir=Path(tmp) / "state", certs_dir=Path(tmp) / "certs",
            redis={"tls": "mtls", "subnet": "172.31.220.0/24"},  # type: ignore[arg-type]
        )
        model = build_model(settings)
        ensure_pki(model)
        path = write_cluster_project(model, load_secrets(settings.state_dir),
                                     image("redis").local)
        compose = Compose(settings.project, [path])
        try:
            for run in range(1, runs + 1):
                figures["up"].append(timed("up", compose))
                figures["re-up"].append(timed("re-up", compose))
                if "cluster exists" not in compose.logs([INIT_SERVICE], tail=5):
                    print("re-up created a new cluster instead of rejoining", file=sys.stderr)
                    return 1
                compose.down(volumes=True)
                print(f"run {run}: up {figures['up'][-1]:.1f} s, "
                      f"re-up {figures['re-up'][-1]:.1f} s", flush=True)
        finally:
            compose.down(volumes=True)
    failed = False
    for name, values in figures.items():
        median = statistics.median(values)
        verdict = "ok" if median <= TARGETS[name] else "OVER TARGET"
        failed |= median > TARGETS[name]
        print(f"{name:6} median {median:.1f} s  min {min(values):.1f}  max {max(values):.1f}"
              f"  (target {TARGETS[name]:.0f} s: {verdict})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
