"""`stackctl drill` end to end on the shared mtls 3 x 1 stack (tests/e2e/conftest.py; it
runs after the read-only checks, and the two-engine e2e after it ends the stack).
kill-primary and pause-primary under 100 req/s of keyed load, every field measured, the
Markdown and the PNGs agreeing with the JSON, are the two-engine e2e's drill step
(tests/e2e/drill_detail.py: one run on each engine). Here: a rate the load cannot hold
refused before the fault with the stack untouched; partition-primary and stop-pump
(backlog, drain) on the same stack, with issue 25's checks (tests/e2e/drill_checks.py:
probes, valid keys rejected, phases; stop-pump's analytics survival); the stack is
healthy afterwards (`status --json`). Also `--vary images.gateway=IMG1,IMG2` on the
same stack: each run on its image, read back from the
running container with its release and Redis client, the image comparison in the report,
the stack's own image running again afterwards
(STACKCTL_E2E_VARY_IMAGES=IMG1,IMG2 picks the two images; default: the two local v5.8.1
builds, the stack's own with go-redis v9.13.0 and the as-released one with v9.7.0's dial lock,
so the labels are read and the dial-queue finding is allowed on one of them only)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from drill_checks import check_survival, check_truth
from shared import SHARED_PROJECT, Stack

from stackctl.drill.vary import image_line
from stackctl.runtime.images import container_image
from stackctl.versions import image
from stackenv import stackctl

pytestmark = pytest.mark.e2e

PROJECT = SHARED_PROJECT
MORE = ("drill", "partition-primary", "stop-pump", "--duration", "15", "--at", "5",
        "--rate", "100", "--json")
TOO_FAST = ("drill", "kill-primary", "--rate", "60000", "--duration", "5", "--at", "3")
VARY = ("drill", "kill-primary", "--duration", "15", "--at", "5", "--rate", "100", "--json")
"""15 s (was 20): the runs' figures are compared, not bounded; a window still open at the
end is reported as open on both images alike."""
VARY_IMAGES = os.environ.get("STACKCTL_E2E_VARY_IMAGES", "")


@pytest.fixture
def stack(shared_stack: Stack) -> tuple[dict[str, str], Path]:
    return shared_stack.env, shared_stack.cwd


def test_drill_refusal_partition_pump_and_two_images(stack: Any) -> None:
    env, cwd = stack
    up = stackctl(cwd, env, "up", "--tls", "mtls", "--no-smoke", timeout=600)
    assert up.returncode == 0, up.stderr[-3000:] + up.stdout[-2000:]
    # A rate the load cannot hold: one line before the fault, exit 2, nothing injected.
    fast = stackctl(cwd, env, *TOO_FAST, "--out", str(cwd / "fast"), timeout=120)
    lines = fast.stderr.strip().splitlines()
    assert fast.returncode == 2, fast.stderr[-2000:]
    assert "error: --rate: 60000 req/s is not held here: the load sent" in lines[-1], lines
    assert "kill-primary was not injected" in lines[-1]
    assert not any("fault at" in ln for ln in lines)
    _healthy(cwd, env)
    # partition-primary and stop-pump on the same stack.
    more = stackctl(cwd, env, *MORE, "--out", str(cwd / "more"), timeout=600)
    print(more.stderr[-3000:])
    assert more.returncode == 0, more.stderr[-4000:]
    part, pump = json.loads(more.stdout)["runs"]
    print("partition:", {k: part[k] for k in ("recovery_s", "error_window_s")}, part["cluster"])
    print("stop-pump:", pump["pump"], pump["analytics"], pump["error_window_s"])
    assert part["target"]["role"] == "primary"
    assert part["cluster"]["promoted"] not in ("", part["target"]["service"])
    assert 0 < part["recovery_s"] < 60
    assert part["restore"]["target_role_after"] == "replica"
    assert part["keys"]["valid"] == part["keys"]["total"]
    assert part["rate_check"]["passed"] is True
    assert pump["target"] == {**pump["target"], "service": "pump", "role": "pump"}
    p = pump["pump"]
    assert p["samples"] >= 3 and p["max"] > 0 and p["at_restart"] >= p["max"] * 0.9
    assert p["drain_s"] is not None and 0 < p["drain_s"] < 60
    assert pump["recovery_s"] == round(p["drained_s"] - pump["fault_s"], 3)
    assert pump["error_window_s"] == 0.0  # clients see nothing of the pump
    assert pump["analytics"]["delivered"] >= pump["analytics"]["served"]
    assert pump["analytics"]["lost"] == 0
    md = (cwd / "more" / "drill.md").read_text()
    assert f"{p['at_restart']} at the restart" in md
    check_truth(part)
    check_survival(pump)
    print("stop-pump survival:", {k: v for k, v in p["survival"].items()
                                  if k not in ("nodes", "lists")})
    assert "- analytics survival with the pump down: " in md
    _healthy(cwd, env)
    _vary_images(cwd, env)
    # The stack is healthy afterwards.
    _healthy(cwd, env)


def _vary_images(cwd: Path, env: dict[str, str]) -> None:
    """kill-primary on two gateway images back to back; the stack's own image after."""
    own = image("tyk-gateway").local
    first, second = (VARY_IMAGES.split(",") if VARY_IMAGES
                     else (own, image("tyk-gateway-as-released").local))
    run = stackctl(cwd, env, *VARY, "--vary", f"images.gateway={first},{second}",
                   "--out", str(cwd / "vary"), timeout=900)
    print(run.stderr[-3000:])
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads(run.stdout)
    assert [r["vary"]["images.gateway"] for r in report["runs"]] == [first, second]
    for r in report["runs"]:
        gw = r["gateway"]  # read from the running container: its image, release, client
        print("vary image:", gw, {k: r[k] for k in ("recovery_s", "error_window_s")})
        assert gw["image"] == r["vary"]["images.gateway"]
        assert gw["release"] and gw["release_from"] in ("label", "tag", "hello")
        assert gw["go_redis"] and gw["client"].startswith("go-redis ")
        assert isinstance(gw["dial_lock"], bool)
        assert r["restore"]["healthy"] is True and r["keys"]["valid"] == r["keys"]["total"]
        for f in r["findings"]:  # the dial queue only where the client has the lock
            if f["kind"] != "reload-tail":  # (the reload tail is any go-redis v9's)
                assert (f["kind"] == "dial-queue") is gw["dial_lock"]
    if not VARY_IMAGES:  # the two local builds: read from their labels, one with the lock
        gws = [r["gateway"] for r in report["runs"]]
        assert [(g["release"], g["release_from"], g["go_redis"], g["dial_lock"])
                for g in gws] == [("v5.8.1", "label", "v9.13.0", False),
                                  ("v5.8.1", "label", "v9.7.0", True)]
    entry, = report["comparison"]["images"]
    assert {entry["image"], entry["against"]} == {first, second}
    windows = {r["vary"]["images.gateway"]: r["error_window_s"] for r in report["runs"]}
    assert entry["shortened_by_s"] == round(windows[entry["against"]]
                                            - windows[entry["image"]], 3) >= 0
    md = (cwd / "vary" / "drill.md").read_text()
    assert f"- {image_line(entry)}" in md and f"{entry['image']} (Tyk " in md
    assert f"Gateway image {own}: Tyk " in md  # the stack's own, read before the vary
    # The stack's own image runs again.
    running = container_image(f"{PROJECT}-gateway-1")
    assert running is not None and running.ref == own


def _healthy(cwd: Path, env: dict[str, str]) -> None:
    status = stackctl(cwd, env, "status", "--json", timeout=120)
    assert status.returncode == 0, status.stdout[-2000:]
    data = json.loads(status.stdout)
    assert data["healthy"] is True and data["cluster"]["primaries"] == 3
    assert data["cluster"]["replicas"] == 3
