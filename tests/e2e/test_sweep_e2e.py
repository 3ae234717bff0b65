"""`stackctl sweep` end to end on the shared mtls stack (tests/e2e/conftest.py), brought up
(again: nothing to do) with `up --offline` and swept with no image setting (the recorded
settings apply), Tyk's local session cache off for the sweep (every request reads its
session from Redis: a workload with a knee; back on after): pools 1 and 2 at 64
connections and the stack's own pool (500) as the large one and the A/A pair,
interleaved, two short repeats each; the knee shows (pool timeouts or waits at the small
pools, none at the large) and the report names it; the report, plot and recommendation
agree with the JSON figures, a rerun resumes from the stored points, and the stack is
put back."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shared import SHARED_PROJECT, Stack

from stackctl.sweep.recommend import worst_case
from stackctl.sweep.report import build_report
from stackenv import DOCKER, stackctl

pytestmark = pytest.mark.e2e

PROJECT = SHARED_PROJECT
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SWEEP = ("sweep", "--max-active", "1,2", "--repeat", "2", "--duration", "3",
         "--warmup", "0", "--connections", "64", "--rate", "50", "--budget", "900",
         "--no-idle-ab", "--json")


def running(project: str) -> list[str]:
    cmd = [DOCKER, "ps", "--filter", f"label=com.docker.compose.project={project}",
           "--format", "{{.Names}}"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()


SESSION_CACHE_OFF = {"STACKCTL_GATEWAY__LOCAL_SESSION_CACHE": "false"}
"""A workload with a knee: with Tyk's local session cache on, a request's only Redis
command is the analytics RPUSH, which the analytics workers (2 here) send, so about 3-4
connections per node are in use at any pool, and pool 1 (4 pools x 1) waited only when a
burst came (one e2e run: 5.5 in flight with a burst in the A/A twin, 3.5 without). With
the cache off, every request reads its session from Redis on the request path."""


@pytest.fixture
def stack(shared_stack: Stack) -> Iterator[tuple[dict[str, str], Path]]:
    # As the README's user does: `up --offline`, then `sweep` with no image setting at all:
    # the sweep recreates the gateway with the images the stack was brought up with. The
    # session cache is off for the sweep and back on after it (the next tests' stack).
    env = {k: v for k, v in shared_stack.env.items() if k != "STACKCTL_IMAGES__OFFLINE"}
    try:
        yield {**env, **SESSION_CACHE_OFF}, shared_stack.cwd
    finally:
        back = stackctl(shared_stack.cwd, env, "up", "--offline", "--no-smoke", timeout=600)
        assert back.returncode == 0, back.stderr


def test_sweep_report_agrees_with_its_json(stack: Any, tmp_path: Path) -> None:
    env, cwd = stack
    out = tmp_path / "report"
    before = stackctl(tmp_path, env, *SWEEP, "--out", str(out))  # no stack here
    assert before.returncode == 2 and "stackctl up" in before.stderr, before.stderr
    up = stackctl(cwd, env, "up", "--offline", "--no-smoke", timeout=600)
    assert up.returncode == 0, up.stderr + up.stdout
    run = stackctl(cwd, env, *SWEEP, "--out", str(out), timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["complete"] is True
    points = report["points"]
    own = report["own_max_active"]
    assert [(p["point"]["max_active"], p["point"]["arm"]) for p in points] == [
        *((m, "") for m in sorted({1, 2, own})), (own, "aa")]
    for p in points:
        assert p["env"]["TYK_GW_STORAGE_MAXACTIVE"] == str(p["point"]["max_active"])
        assert p["summary"]["rps_ci"]["n"] == 2 and p["summary"]["rps_ci"]["sd"] is not None
        assert len(p["summary"]["redis_clients_max"]) == 6
        assert p["worst_case"] == worst_case(p["point"]["max_active"], 1)
        assert 0 < p["summary"]["gateway_cpu_us_per_request"]["median"] < 10_000
        assert p["summary"]["redis_commands_per_request"] > 0
        # the mechanism: three primaries with Tyk's commands and the gateway's connections
        assert len(p["mechanism"]) == 3, p["mechanism"]
        assert all(m["commands_per_s"] > 0 and m["gateway_connections"] > 0
                   for m in p["mechanism"].values()), p["mechanism"]
        # in use (idle at the loop's end within 2 s): some, never more than were open
        assert all(0 < m["in_use_connections"] <= m["gateway_connections"]
                   for m in p["mechanism"].values()), p["mechanism"]
        for r in p["repeats"]:
            assert r["cost"]["requests"] == r["closed"]["requests"] > 0
            assert r["cost"]["new_connections_per_request"] < 0.05  # keep-alive upstream
    by_size = {p["point"]["max_active"]: p for p in points if not p["point"]["arm"]}
    rec = report["recommendation"]
    # The knee: pool timeouts or waits at the small pools, none at the large ones.
    small = [by_size[m]["waits"] or by_size[m]["summary"]["pool_timeouts"] > 0 for m in (1, 2)]
    print("knee", rec["knee"], "waits", {m: p["waits"] for m, p in by_size.items()},
          "in use/open", {(p["point"]["max_active"], p["point"]["arm"]): {
              n: (m["in_use_connections"], m["gateway_connections"])
              for n, m in p["mechanism"].items()} for p in points},
          "little", report["little"]["here"]["lines"], rec["lines"])
    assert small[0], (by_size[1]["waits"], report["little"])
    assert not by_size[own]["waits"] and by_size[own]["summary"]["pool_timeouts"] == 0
    assert rec["knee"] is not None and rec["knee"] > 1, rec["lines"]
    assert report["little"]["check"]["agrees"] is True, report["little"]["check"]
    md = (out / "sweep.md").read_text()
    assert f"Knee: max_active {rec['knee']}." in md
    assert report["little"]["check"]["line"] in md
    # The noise was measured and the judgement says which pools cannot be told apart.
    assert rec["noise"]["max_active"] == own and rec["noise"]["band"] >= 0
    assert any(line.startswith("indistinguishable from the best: max_active")
               for line in rec["lines"])
    # The files exist and say what the JSON says; the judgement is the rule's.
    assert json.loads((out / "sweep.json").read_text())["points"] == points
    assert (out / "sweep.png").read_bytes()[:8] == PNG_MAGIC
    again = build_report(json.loads(json.dumps(points)), {
        k: v for k, v in report.items()
        if k not in ("points", "recommendation", "little", "projection", "idle_ab")})
    assert again["recommendation"] == rec
    if rec["max_active"] is not None:
        assert rec["max_active"] in rec["group"] and rec["max_active"] not in rec["unsafe"]
        assert f"**optimisation_max_active = {rec['max_active']}**" in md
    assert report["maxclients"]["live"] == 10000
    # The stack is back to its own settings.
    assert not (cwd / ".stackctl" / "env-overrides.json").exists()
    names = running(PROJECT)
    assert f"{PROJECT}-gateway-1" in names and f"{PROJECT}-gateway-2-1" not in names
    image = subprocess.run([DOCKER, "inspect", "-f", "{{.Config.Image}}", f"{PROJECT}-gateway-1"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert image.startswith("stackctl/tyk-gateway:"), image  # still the offline build
    # A rerun reuses every stored point and sends no load.
    rerun = stackctl(cwd, env, *SWEEP, "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert rerun.stderr.count("reusing the stored result") == len(points)
    assert json.loads(rerun.stdout)["recommendation"] == rec
