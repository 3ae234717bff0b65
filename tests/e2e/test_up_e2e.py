"""`stackctl up` end to end, per TLS mode, with the real gateway and pump built here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stackenv import project_objects, stack_env, stackctl

pytestmark = pytest.mark.e2e

MODES = ("off", "tls", "insecure", "mtls")
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


def test_up_serves_through_gateway_and_down_leaves_nothing(stack: Any) -> None:
    mode, project, env, cwd = stack
    up = stackctl(cwd, env, "up", "--tls", mode, "--no-smoke", "--json")
    assert up.returncode == 0, up.stderr + up.stdout
    done = {e["step"]: e["status"] for e in events(up.stdout)
            if e.get("event") == "step" and e["status"] != "start"}
    assert list(done)[:3] == ["preflight", "certificates", "render"]
    # True in the JSON view: steps that do not apply say so.
    assert done["certificates"] == ("skipped" if mode == "off" else "ok")
    assert done["fallback"] == "skipped" and done["bootstrap"] == "ok"
    assert {s for s in done.values()} <= {"ok", "skipped"}
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
    key = json.loads((cwd / ".stackctl" / "bootstrap.json").read_text())["key"]
    base = f"http://127.0.0.1:{env['STACKCTL_GATEWAY__PORT']}"
    ok = httpx.get(f"{base}/smoke/", headers={"Authorization": key}, timeout=10)
    assert ok.status_code == 200 and ok.json() == {"upstream": "ok"}
    denied = httpx.get(f"{base}/smoke/", headers={"Authorization": "wrong"}, timeout=10)
    assert denied.status_code in (401, 403)
    # down --volumes leaves no container, network or volume of the project.
    down = stackctl(cwd, env, "down", "--volumes")
    assert down.returncode == 0, down.stderr
    assert project_objects(project) == []


def test_second_up_recreates_nothing(tmp_path: Path) -> None:
    project = "stackctl-e2e-reup"
    env = stack_env(project, "172.31.170.0/24", "172.31.171.0/24")
    try:
        first = stackctl(tmp_path, env, "up", "--tls", "mtls", "--no-smoke")
        assert first.returncode == 0, first.stderr
        assert f"Stack {project} is up" in first.stdout and "['" not in first.stdout
        assert ".stackctl/secrets.json, .stackctl/bootstrap.json" in first.stdout
        ids = sorted(project_objects(project, ("container",)))
        second = stackctl(tmp_path, env, "up", "--tls", "mtls", "--no-smoke", "--json")
        assert second.returncode == 0, second.stderr
        details = {e["step"]: e["detail"] for e in events(second.stdout)
                   if e.get("status") == "ok"}
        assert details["redis-cluster"].startswith("unchanged")
        assert details["tyk"].startswith("unchanged")
        assert sorted(project_objects(project, ("container",))) == ids
    finally:
        stackctl(tmp_path, env, "down", "--volumes", timeout=120)
