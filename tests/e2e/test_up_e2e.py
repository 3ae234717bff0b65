"""`stackctl up` end to end, per TLS mode, with the real gateway and pump built here.

off, tls and insecure: a stack each, up, checked, and `down --volumes` leaves nothing; the
tls stack is then switched to the env form and checked again (tests/e2e/envform.py) before
its down: one stack per mode for both checks. mtls: the same checks on the shared mtls
stack (tests/e2e/conftest.py), whose `down --volumes` is checked to leave nothing by the
two-engine e2e; the second up (nothing recreated) on it too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from envform import check_env_form
from shared import Stack

from stackenv import project_objects, stack_env, stackctl

pytestmark = pytest.mark.e2e

MODES = ("off", "tls", "insecure")
SUBNET_BASE = 160
"""Each mode gets its own pinned subnets: 172.31.16x.0/24."""


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


@pytest.fixture(params=MODES)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    mode: str = request.param
    index = MODES.index(mode)
    project = f"stackctl-e2e-up-{mode}"
    env = stack_env(project, f"172.31.{SUBNET_BASE + 2 * index}.0/24",
                    f"172.31.{SUBNET_BASE + 2 * index + 1}.0/24")
    try:
        yield mode, project, env, tmp_path
    finally:
        stackctl(tmp_path, env, "down", "--volumes", timeout=120)


def check_steps(mode: str, done: dict[str, str]) -> None:
    """up's steps in order, in the JSON view: those that do not apply say so."""
    assert list(done)[:3] == ["preflight", "certificates", "render"]
    assert done["certificates"] == ("skipped" if mode == "off" else "ok")
    assert done["fallback"] == "skipped" and done["bootstrap"] == "ok"
    assert {s for s in done.values()} <= {"ok", "skipped"}


def check_serving(cwd: Path, env: dict[str, str], state_dir: Path) -> None:
    """status (JSON and the human table) and a keyed request through the gateway."""
    status = stackctl(cwd, env, "status", "--json")
    assert status.returncode == 0, status.stderr
    state = json.loads(status.stdout)
    assert state["healthy"] is True
    assert state["cluster"]["state"] == "ok"
    assert state["cluster"]["slots_covered"] == 16384
    assert (state["cluster"]["primaries"], state["cluster"]["replicas"]) == (3, 3)
    assert state["gateway"]["redis"] == "pass"
    assert state["gateway"]["version"].startswith("v5.8")
    # Docker's checks run once a minute; right after up, status runs them itself.
    health = {s["service"]: s["health"] for s in state["services"]}
    assert health["gateway"] == health["pump"] == health["redis-1"] == "healthy", health
    # The human view is a table per node from the same figures, not a Python repr.
    shown = stackctl(cwd, env, "status")
    assert shown.returncode == 0, shown.stderr
    assert "{'" not in shown.stdout and "cluster  ok: 16384/16384 slots" in shown.stdout
    lines = shown.stdout.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("node ")) + 1:]
    rows = {line.split()[0]: line.split() for line in table if line.startswith("redis-")}
    assert sorted(rows) == sorted(n["name"] for n in state["nodes"])
    for node in state["nodes"]:
        row = rows[node["name"]]
        assert row[1] == node["addr"] and row[-1][-1] in "KMG", row  # memory, e.g. 2.17M
        assert (row[2:4] == ["replica", "of"] if node["role"] == "replica"
                else row[2:4] == ["primary", str(node["slots"])]), row
    # A request through the gateway with the created key gets the upstream's answer.
    key = json.loads((state_dir / "bootstrap.json").read_text())["key"]
    base = f"http://127.0.0.1:{env['STACKCTL_GATEWAY__PORT']}"
    ok = httpx.get(f"{base}/smoke/", headers={"Authorization": key}, timeout=10)
    assert ok.status_code == 200 and ok.json() == {"upstream": "ok"}
    denied = httpx.get(f"{base}/smoke/", headers={"Authorization": "wrong"}, timeout=10)
    assert denied.status_code in (401, 403)


def test_up_serves_through_gateway_and_down_leaves_nothing(stack: Any) -> None:
    mode, project, env, cwd = stack
    up = stackctl(cwd, env, "up", "--tls", mode, "--no-smoke", "--json")
    assert up.returncode == 0, up.stderr + up.stdout
    check_steps(mode, {e["step"]: e["status"] for e in events(up.stdout)
                       if e.get("event") == "step" and e["status"] != "start"})
    check_serving(cwd, env, cwd / ".stackctl")
    if mode == "tls":  # the same stack by the env form (only gateway and pump recreated)
        env_form = {**env, "STACKCTL_CONFIG_FORM": "env"}
        again = stackctl(cwd, env_form, "up", "--tls", mode, "--no-smoke", "--json")
        assert again.returncode == 0, again.stderr + again.stdout
        check_env_form(project, cwd, env_form)
    # down --volumes leaves no container, network or volume of the project.
    down = stackctl(cwd, env, "down", "--volumes")
    assert down.returncode == 0, down.stderr
    assert project_objects(project) == []


def test_up_mtls_serves_through_gateway(shared_stack: Stack) -> None:
    """mtls on the shared stack (brought up with its short smoke)."""
    check_steps("mtls", {s["name"]: s["status"] for s in shared_stack.up["steps"]})
    check_serving(shared_stack.cwd, shared_stack.env, shared_stack.cwd / ".stackctl")


def test_second_up_recreates_nothing(shared_stack: Stack) -> None:
    cwd, env, project = shared_stack.cwd, shared_stack.env, shared_stack.project
    ids = sorted(project_objects(project, ("container",)))
    shown = stackctl(cwd, env, "up", "--no-smoke")
    assert shown.returncode == 0, shown.stderr
    assert f"Stack {project} is up" in shown.stdout and "['" not in shown.stdout
    assert ".stackctl/secrets.json, .stackctl/bootstrap.json" in shown.stdout
    second = stackctl(cwd, env, "up", "--no-smoke", "--json")
    assert second.returncode == 0, second.stderr
    details = {e["step"]: e["detail"] for e in events(second.stdout)
               if e.get("status") == "ok"}
    assert details["redis-cluster"].startswith("unchanged")
    assert details["tyk"].startswith("unchanged")
    assert sorted(project_objects(project, ("container",))) == ids
