"""Profile pro end to end on one mtls 3 x 1 stack: a real PostgreSQL (stackctl's Debian
build), the real Tyk Gateway in Dashboard mode and the real Pump with its sql pumps. The
Dashboard itself is closed source and cannot be had here: the TEST DOUBLE
`dashboard-contract-double` (stack/test-images) stands in for it, built here through
runtime/ and set as images.dashboard (nothing in the product refers to it)."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from contract import assert_shell_less_non_root

from stackctl import versions
from stackctl.runtime.images import build_image, remove_image
from stackenv import DOCKER, free_port, project_objects, stack_env, stackctl, up_result

pytestmark = pytest.mark.e2e

PROJECT = "stackctl-e2e-pro"
SUBNETS = ("172.31.63.0/24", "172.31.64.0/24", "172.31.65.0/24")
DOUBLE_IMAGE = "stackctl/test-dashboard-contract-double:e2e"
RECIPE = (Path(__file__).resolve().parents[2] / "stack" / "test-images"
          / "dashboard-contract-double")
REQUESTS = 25
"""Keyed requests sent by the rows test (bounded)."""


def made_up_licence() -> str:
    """An unsigned JWT-shaped licence with exp in 2100 (the double only needs one)."""
    def part(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none'})}.{part({'exp': 4102444800})}.c2ln"


@dataclass(frozen=True)
class Stack:
    cwd: Path
    env: dict[str, str]
    up: dict[str, Any]

    @property
    def state(self) -> Path:
        return self.cwd / ".stackctl"

    def json(self, name: str) -> Any:
        return json.loads((self.state / name).read_text())

    def docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=60)

    def psql(self, sql: str) -> str:
        out = self.docker("exec", f"{PROJECT}-postgres-1", "psql", "-U", "tyk", "-d",
                          "tyk_analytics", "-tAc", sql)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    build_image(RECIPE, DOUBLE_IMAGE, {"BASE_IMAGE": versions.BASE_IMAGE},
                {"io.stackctl.test-double": "dashboard-contract-double"})
    cwd = tmp_path_factory.mktemp("pro")
    (cwd / ".stackctl").mkdir()
    (cwd / ".stackctl" / "secrets.json").write_text(json.dumps({"licence": made_up_licence()}))
    env = stack_env(PROJECT, SUBNETS[0], SUBNETS[1], STACKCTL_PROFILE="pro",
                    STACKCTL_DASHBOARD__STORE_SUBNET=SUBNETS[2],
                    STACKCTL_DASHBOARD__PORT=str(free_port()),
                    STACKCTL_IMAGES__DASHBOARD=DOUBLE_IMAGE)
    try:
        yield Stack(cwd, env, up_result(cwd, env, "--tls", "mtls"))
    finally:
        stackctl(cwd, env, "down", "--volumes", timeout=120)
        remove_image(DOUBLE_IMAGE)


def test_up_bootstrapped_through_the_dashboard_and_the_smoke_counted_postgres(
        stack: Stack) -> None:
    steps = {s["name"]: s for s in stack.up["steps"]}
    assert steps["pro-services"]["status"] == "ok"
    assert "through the Dashboard" in steps["bootstrap"]["detail"]
    # every functional check passed, analytics (rows in PostgreSQL = served) among them;
    # latency, steady and connection-reuse are reported only (a busy shared machine)
    assert steps["smoke"]["status"] == "ok", steps["smoke"]
    assert "analytics" not in steps["smoke"]["detail"].partition("FAILED")[2]
    assert stack.up["dashboard_url"].startswith("http://127.0.0.1:")
    creds = stack.state / "dashboard-admin.json"
    assert ".stackctl/dashboard-admin.json" in stack.up["credentials"]
    assert creds.stat().st_mode & 0o777 == 0o600
    secrets = stack.json("secrets.json")
    assert secrets["dashboard_admin_secret"] not in json.dumps(stack.up)


def test_postgres_healthy_and_out_of_the_gateways_reach(stack: Stack) -> None:
    ps = stack.docker("inspect", "--format", "{{.State.Health.Status}}",
                      f"{PROJECT}-postgres-1")
    healthy = ps.stdout.strip() == "healthy" or stack.docker(
        "exec", f"{PROJECT}-postgres-1", "pg_isready", "-q", "-h", "127.0.0.1").returncode == 0
    assert healthy, ps.stdout
    dial = ("exec 3<>/dev/tcp/{host}/5432 && echo reached")

    def dial_from(service: str, host: str) -> subprocess.CompletedProcess[str]:
        # The Tyk images have no shell: a helper shares the container's network namespace
        # (its interfaces, routes and resolver), so it reaches exactly what the Tyk
        # container reaches.
        return stack.docker("run", "--rm", "--network", f"container:{PROJECT}-{service}-1",
                            versions.image("redis").local, "timeout", "5", "bash", "-c",
                            dial.format(host=host))

    from_gateway = dial_from("gateway", SUBNETS[2].replace("0/24", "10"))
    assert "reached" not in from_gateway.stdout  # no route: the store network is internal
    from_pump = dial_from("pump", "postgres")
    assert "reached" in from_pump.stdout, from_pump.stderr
    for service in ("gateway", "pump", "dashboard"):  # the contract: non-root, no shell
        assert_shell_less_non_root(f"{PROJECT}-{service}-1")
    for service in ("dashboard", "postgres"):
        env = stack.docker("inspect", "--format", "{{json .Config.Env}}",
                           f"{PROJECT}-{service}-1").stdout
        secrets = stack.json("secrets.json")
        for key in ("licence", "postgres_password", "dashboard_admin_secret", "node_secret"):
            assert secrets[key] not in env, (service, key)


def test_dashboard_mode_gateway_serves_the_bootstrap_api_with_its_key(stack: Stack) -> None:
    made = stack.json("bootstrap.json")
    reply = httpx.get(f"{stack.up['gateway_url']}{made['listen_path']}",
                      headers={"Authorization": made["key"]}, timeout=10)
    assert reply.status_code == 200 and '"upstream"' in reply.text
    assert httpx.get(f"{stack.up['gateway_url']}{made['listen_path']}", timeout=10
                     ).status_code in (400, 401, 403)
    admin = stack.json("secrets.json")["dashboard_admin_secret"]
    calls = httpx.get(f"{stack.up['dashboard_url']}/stackctl-double/calls",
                      headers={"admin-auth": admin}, timeout=10).json()["calls"]
    node_calls = [c for c in calls if c["who"].startswith("node ")]
    assert {(c["method"], c["path"]) for c in node_calls if c["status"] == 200} >= {
        ("GET", "/register/node"), ("GET", "/register/ping"), ("GET", "/system/apis"),
        ("GET", "/system/policies")}
    assert ("POST", "/api/keys", 200) in {(c["method"], c["path"], c["status"]) for c in calls}
    log = stack.docker("logs", f"{PROJECT}-gateway-1")
    assert "Node Registered" in log.stdout + log.stderr
    assert "cannot unmarshal" not in log.stdout + log.stderr  # the double's answers decode


def test_sql_pump_rows_equal_the_requests_served(stack: Stack) -> None:
    made = stack.json("bootstrap.json")
    count = f"SELECT count(*) FROM tyk_analytics WHERE apiid = '{made['api_id']}'"
    purge = 2 * 2.0  # two purge_delays: the pump has written what was served before
    time.sleep(purge)
    before = int(stack.psql(count))
    url = f"{stack.up['gateway_url']}{made['listen_path']}"
    with httpx.Client(timeout=10) as client:
        served = sum(client.get(url, headers={"Authorization": made["key"]}).status_code == 200
                     for _ in range(REQUESTS))
    assert served == REQUESTS
    deadline = time.monotonic() + 30
    rows = before
    while rows < before + served and time.monotonic() < deadline:
        time.sleep(0.5)
        rows = int(stack.psql(count))
    time.sleep(purge)  # and no more than that arrives
    assert int(stack.psql(count)) - before == served
    assert int(stack.psql("SELECT count(*) FROM tyk_aggregated")) >= 1


def test_smoke_counts_analytics_in_postgres(stack: Stack) -> None:
    proc = stackctl(stack.cwd, stack.env, "smoke", "--json", "--duration", "3", timeout=240)
    assert proc.stdout.startswith("{"), proc.stderr
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["analytics"]["passed"], checks["analytics"]
    assert "to PostgreSQL (tyk_analytics)" in checks["analytics"]["detail"]
    assert "nothing lost" in checks["analytics"]["detail"]


def test_down_volumes_leaves_nothing(stack: Stack) -> None:
    down = stackctl(stack.cwd, stack.env, "down", "--volumes", timeout=120)
    assert down.returncode == 0, down.stderr
    assert project_objects(PROJECT) == []
