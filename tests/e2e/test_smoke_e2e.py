"""`stackctl smoke` end to end on one shared mtls 3 x 1 stack: every check passes with
real figures; a revoked key fails the auth check; a stopped pump fails analytics."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stackenv import DOCKER, stack_env, stackctl

pytestmark = pytest.mark.e2e

PROJECT = "stackctl-e2e-smoke"


@dataclass(frozen=True)
class Stack:
    cwd: Path
    env: dict[str, str]
    up: dict[str, Any]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    cwd = tmp_path_factory.mktemp("smoke")
    env = stack_env(PROJECT, "172.31.180.0/24", "172.31.181.0/24")
    try:
        up = stackctl(cwd, env, "up", "--tls", "mtls", "--json", timeout=600)
        assert up.returncode == 0, up.stderr + up.stdout[-3000:]
        events = [json.loads(x) for x in up.stdout.splitlines() if x.startswith("{")]
        yield Stack(cwd, env, events[-1])
    finally:
        stackctl(cwd, env, "down", "--volumes", timeout=120)


def smoke(stack: Stack, *args: str) -> tuple[int, dict[str, Any]]:
    proc = stackctl(stack.cwd, stack.env, "smoke", "--json", *args, timeout=180)
    assert proc.stdout.startswith("{"), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


def test_up_ran_the_short_smoke(stack: Stack) -> None:
    steps = [s["name"] for s in stack.up["steps"]]
    assert steps.index("smoke") > steps.index("bootstrap")
    assert "all checks pass" in stack.up["steps"][steps.index("smoke")]["detail"]


@pytest.mark.parametrize("engine", ["builtin", "wrk"])
def test_every_check_passes_with_real_figures(stack: Stack, engine: str) -> None:
    code, report = smoke(stack, "--engine", engine, "--duration", "3", "--rate",
                         "50" if engine == "builtin" else "0", "--connections", "8",
                         "--slo", "success>=99%")
    failed = [c for c in report["checks"] if not c["passed"]]
    print(json.dumps({k: report[k] for k in ("requests", "rps", "latency_ms", "analytics",
                                             "statuses", "redis")}))
    print("\n".join(f"{c['name']}: {c['detail']}" for c in report["checks"]))
    assert code == 0 and not failed, json.dumps(failed, indent=1)
    assert report["requests"] > 30 and report["rps"] > 0
    assert 0 < report["latency_ms"]["p50"] <= report["latency_ms"]["p99"]
    limited = report["statuses"].get("429", 0)
    assert limited > 0  # the over-limit keys were refused ...
    assert report["statuses"]["200"] > limited / 10  # ... and the others served
    served, delivered = report["analytics"]["served"], report["analytics"]["delivered"]
    assert served <= delivered <= served + report["analytics"]["unanswered_max"]
    assert len(report["redis"]["per_primary"]) == 3
    assert all(n > 0 for n in report["redis"]["per_primary"].values())


def test_revoked_key_fails_the_auth_check(stack: Stack, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    from stackctl.clients.gateway import GatewayClient
    from stackctl.model import build_model
    from stackctl.settings import load_settings
    from stackctl.smoke.run import SmokeOptions, run_smoke
    from stackctl.smoke.setup import SmokeSetup
    from stackctl.steps.context import StepContext

    for key, value in stack.env.items():
        if key.startswith("STACKCTL_"):
            monkeypatch.setenv(key, value)
    monkeypatch.chdir(stack.cwd)
    ctx = StepContext(build_model(load_settings()))

    def revoke(gw: GatewayClient, made: SmokeSetup) -> None:
        # A key no request has used yet: Tyk v5.8.0 caches a used session under a murmur64
        # hash but evicts the murmur32 one on DELETE, so a used key keeps working for up
        # to 10 s after it is revoked.
        victim = [k for k in made.keys if not k.limited][-1]
        gw.delete_key(victim.key.get_secret_value())

    report = run_smoke(ctx, SmokeOptions(duration_s=2, rate=50, connections=4),
                       after_setup=revoke).as_dict()
    found = checks(report)
    assert found["auth"]["passed"] is False
    assert "refused" in found["auth"]["detail"] and "(1 keys)" in found["auth"]["detail"]
    assert report["passed"] is False


def test_stopped_pump_fails_the_analytics_check(stack: Stack) -> None:
    pump = f"{PROJECT}-pump-1"
    subprocess.run([DOCKER, "stop", "-t", "2", pump], check=True, capture_output=True)
    try:
        code, report = smoke(stack, "--duration", "2", "--rate", "50", "--connections", "4")
    finally:
        subprocess.run([DOCKER, "start", pump], check=True, capture_output=True)
    found = checks(report)
    assert code == 1
    assert found["analytics"]["passed"] is False
    assert report["analytics"]["delivered"] == 0 and report["analytics"]["served"] > 0
    assert "lost" in found["analytics"]["detail"]
    assert found["auth"]["passed"] is True  # only analytics is to blame
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # leave the shared stack healthy
        state = subprocess.run([DOCKER, "inspect", "-f", "{{.State.Health.Status}}", pump],
                               capture_output=True, text=True).stdout.strip()
        if state == "healthy":
            break
        time.sleep(1)
