"""`stackctl sweep` end to end on the shared mtls stack (tests/e2e/conftest.py), brought up
(again: nothing to do) with `up --offline` and swept with no image setting (the recorded
settings apply): two pool points and the idle A/B,
one short repeat each; the report, plot and recommendation agree with the JSON figures,
a rerun resumes from the stored points, and the stack is put back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from shared import SHARED_PROJECT, Stack

from stackctl.sweep.recommend import Candidate, recommend, worst_case
from stackenv import DOCKER, stackctl

pytestmark = pytest.mark.e2e

PROJECT = SHARED_PROJECT
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SWEEP = ("sweep", "--max-active", "4,32", "--repeat", "1", "--duration", "3",
         "--connections", "16", "--rate", "50", "--budget", "900", "--json")


def running(project: str) -> list[str]:
    cmd = [DOCKER, "ps", "--filter", f"label=com.docker.compose.project={project}",
           "--format", "{{.Names}}"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()


@pytest.fixture
def stack(shared_stack: Stack) -> tuple[dict[str, str], Path]:
    # As the README's user does: `up --offline`, then `sweep` with no image setting at all:
    # the sweep recreates the gateway with the images the stack was brought up with.
    env = {k: v for k, v in shared_stack.env.items() if k != "STACKCTL_IMAGES__OFFLINE"}
    return env, shared_stack.cwd


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
    assert [(p["point"]["max_active"], p["point"]["max_idle"]) for p in points] == [
        (4, None), (32, None), (4, 2000)]
    for p in points:
        assert p["env"]["TYK_GW_STORAGE_MAXACTIVE"] == str(p["point"]["max_active"])
        assert p["summary"]["rps"]["median"] > 0
        assert len(p["summary"]["redis_clients_max"]) == 6
        assert p["worst_case"] == worst_case(p["point"]["max_active"], 1)
        # What each point cost, measured: CPU per request, Redis commands, connections.
        assert 0 < p["summary"]["gateway_cpu_us_per_request"]["median"] < 10_000
        assert p["summary"]["redis_commands_per_request"] > 0
        assert p["summary"]["saturated"] in ("none", "machine", "gateway-cpu",
                                             "load-generator", "redis", "redis-pool")
        for r in p["repeats"]:
            assert r["cost"]["requests"] == r["closed"]["requests"] > 0
            assert len(r["steady"]["fifths"]) == 5
            assert r["cost"]["new_connections_per_request"] < 0.05  # keep-alive upstream
    # The files exist and say what the JSON says.
    assert json.loads((out / "sweep.json").read_text())["points"] == points
    assert (out / "sweep.png").read_bytes()[:8] == PNG_MAGIC
    md = (out / "sweep.md").read_text()
    for p in points:
        assert f"| {p['summary']['rps']['median']:.1f} |" in md
        assert f"| {p['summary']['saturated']} |" in md
    rec = report["recommendation"]
    curve = [p for p in points if p["point"]["max_idle"] is None]
    again = recommend([Candidate(p["point"]["max_active"], p["summary"]["rps"]["median"],
                                 p["summary"]["stable"]) for p in curve],
                      1, report["maxclients"]["used"], report["maxclients"]["source"])
    assert again.as_dict() == rec
    stable = [p["point"]["max_active"] for p in curve if p["summary"]["stable"]]
    print("stable points:", stable, [p["repeats"][0]["steady"]["detail"] for p in curve])
    if stable:  # an unstable point is never the recommendation
        assert rec["max_active"] in stable
        assert f"**optimisation_max_active = {rec['max_active']}**" in md
    else:
        assert rec["max_active"] is None and "No pool size qualifies." in md
    assert report["maxclients"]["live"] == 10000
    assert report["idle_ab"]["verdict"] in md
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
    assert rerun.stderr.count("reusing the stored result") == 3
    assert json.loads(rerun.stdout)["recommendation"] == rec
