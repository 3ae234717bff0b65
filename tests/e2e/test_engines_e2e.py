"""Every command the same on both engines: up, status, smoke (`--slo`, `--markdown`), sweep
(one point), the drill (kill-primary and pause-primary) and down, on compose and on swarm,
with one `status --json` schema (the same keys, the same types).

No stack of its own: it runs last on the shared compose stack and on the shared swarm
stack (tests/e2e/conftest.py), so `up` finds each running with its settings (nothing to
do), and its `down --volumes` is the one that ends each (nothing of the stack left). Each
command runs once per engine, so the sweep and the drill steps also run each engine's
detailed checks on their reports (swarm_sweep.py; drill_detail.py: the compose drill's
every field, files and plots; the swarm's tasks). Every step runs even when an earlier one
failed (down above all); the failures are reported together at the end.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from drill_detail import DRILL, check_compose, check_swarm
from schema import schema_differences, status_schema
from swarm_sweep import DURATION, SIZES, SWEEP, check_sweep, running_tasks

from stackctl.engine.swarm import probe_name
from stackctl.runtime.swarm import container_running, label_node, swarm_info
from stackenv import project_objects, stackctl

pytestmark = pytest.mark.e2e

SMOKE = ("smoke", "--json", "--duration", "6", "--rate", "100", "--connections", "8",
         "--slo", "success>=99%", "--slo", "rps>=1000000")
"""6 s: swarm judges its load from 5 s. The second objective cannot be met: `--slo` honoured
means exit 1 with it failed and the first passed."""
SCHEMAS: dict[str, Any] = {}
"""`status --json`'s shape per engine, compared by whichever engine runs second."""


class Steps:
    """Runs each step, keeps its failure, and goes on."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def run(self, name: str, step: Callable[[], None]) -> None:
        start = time.monotonic()
        try:
            step()
        except Exception as exc:
            self.failures.append(f"{name}: {type(exc).__name__}: {str(exc)[-1500:]}")
        print(f"step {name}: {time.monotonic() - start:.1f} s")


def _json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.stdout.strip().startswith("{"), proc.stdout[-1000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("engine", ["compose", "swarm"])
def test_every_command_on_both_engines(engine: str, request: pytest.FixtureRequest,
                                       tmp_path: Path) -> None:
    if engine == "compose":
        shared = request.getfixturevalue("shared_stack")
        cwd, env, project = shared.cwd, shared.env, shared.project
        swarm_stack = None
    else:
        swarm = request.getfixturevalue("swarm")
        cwd, env, swarm_stack = swarm["work"], swarm["env"], swarm["stack"]
        project = env["STACKCTL_PROJECT"]
        label_node(swarm_info().node_id, {"stackctl.redis": "0"})  # placement = labels
    steps = Steps()

    def up() -> None:
        proc = stackctl(cwd, env, "up", "--no-smoke", "--json", timeout=900)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        result = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")][-1]
        assert result["ok"] is True, result

    def status() -> None:
        proc = stackctl(cwd, env, "status", "--json", timeout=120)
        data = _json(proc)
        assert proc.returncode == 0 and data["healthy"] is True, proc.stdout[-3000:]
        SCHEMAS[engine] = status_schema(data)
        other = next((e for e in SCHEMAS if e != engine), None)
        if other is not None:
            diff = schema_differences(SCHEMAS[other], SCHEMAS[engine], f"{other}|{engine}")
            assert not diff, "status --json differs:\n" + "\n".join(diff)

    def smoke() -> None:
        md = tmp_path / "smoke.md"
        proc = stackctl(cwd, env, *SMOKE, "--markdown", str(md), timeout=300)
        report = _json(proc)
        assert report["requests"] > 0, report
        slos = {s["slo"]: s["passed"] for s in report.get("slos", [])}
        assert slos.get("success>=99%") is True and slos.get("rps>=1000000") is False, (
            "--slo not honoured", report.get("slos"))
        assert proc.returncode == 1 and report["passed"] is False, proc.returncode
        assert md.is_file(), "--markdown wrote nothing"
        text = md.read_text()
        assert "rps>=1000000" in text and "success>=99%" in text, text[:2000]

    def sweep() -> None:
        before = running_tasks(swarm_stack) if swarm_stack is not None else {}
        out = tmp_path / "sweep"
        proc = stackctl(cwd, env, *SWEEP, *DURATION[engine], "--out", str(out), timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        report = _json(proc)
        assert report["engine"] == engine and report["complete"] is True, report.get("stopped")
        (point,) = report["points"]
        assert point["point"]["max_active"] == SIZES[0]
        (repeat,) = point["repeats"]
        assert repeat["closed"]["requests"] > 0 and repeat["closed"]["errors"] == 0, repeat
        assert not (Path(env.get("STACKCTL_STATE_DIR", cwd / ".stackctl"))
                    / "env-overrides.json").exists()  # the stack's own settings again
        again = _json(stackctl(cwd, env, "status", "--json", timeout=120))
        assert again["healthy"] is True, again
        if swarm_stack is not None:
            check_sweep(report, swarm_stack, before, replicas=1, out=out)

    def drill() -> None:
        before: dict[str, str] = {}
        if swarm_stack is not None:  # refused before anything is touched: one line, exit 2
            refused = stackctl(cwd, env, "drill", "partition-primary", timeout=60)
            assert refused.returncode == 2, refused.stdout + refused.stderr
            assert "not on engine = swarm" in refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
            assert not container_running(probe_name(project))
            before = {t.service: t.id for t in swarm_stack.tasks()
                      if t.desired == "running" and t.state == "running"}
        out = tmp_path / "drill"
        proc = stackctl(cwd, env, *DRILL[engine], "--out", str(out), timeout=600)
        print(proc.stderr[-3000:])
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
        report = _json(proc)
        assert report["engine"] == engine and report["complete"] is True
        runs = report["runs"]
        assert [r["scenario"] for r in runs] == ["kill-primary", "pause-primary"]
        for run in runs:
            assert run["target"]["role"] == "primary" and run["requests_sent"] > 0
            assert run["recovery_s"] is not None and run["restore"]["healthy"] is True, run
        again = _json(stackctl(cwd, env, "status", "--json", timeout=120))
        assert again["healthy"] is True, again
        if swarm_stack is None:
            check_compose(report, out)
        else:
            check_swarm(report, before, again)

    def down() -> None:
        proc = stackctl(cwd, env, "down", "--volumes", "--json", timeout=300)
        assert proc.returncode == 0 and _json(proc)["down"] is True, proc.stdout + proc.stderr
        if swarm_stack is None:
            assert project_objects(project) == [], project_objects(project)
        else:
            assert not any(swarm_stack.leftovers().values()), swarm_stack.leftovers()
            assert not container_running(f"{project}-access")  # the local proxy went too

    for name, step in (("up", up), ("status", status), ("smoke", smoke), ("sweep", sweep),
                       ("drill", drill), ("down", down)):
        steps.run(name, step)
    assert not steps.failures, f"on {engine}:\n" + "\n\n".join(steps.failures)
