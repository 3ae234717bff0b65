"""The start-up fallback climbing its ladder on a gateway that really fails to start until
REDIGOCLUSTER_SHARDCOUNT reaches 256: a TEST DOUBLE image wrapping the real gateway
(stack/test-images/shardcount-gate-gateway), built here through runtime/ and removed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackctl import versions
from stackctl.runtime.images import build_image, remove_image
from stackenv import stack_env, stackctl

pytestmark = pytest.mark.e2e

PROJECT = "stackctl-e2e-ladder"
SUBNETS = ("172.31.192.0/24", "172.31.193.0/24")
THRESHOLD = 256
TEST_IMAGE = (f"stackctl/test-shardcount-gate-gateway:"
              f"{versions.GATEWAY_MODULE.release}-min{THRESHOLD}")
RECIPE = Path(__file__).resolve().parents[2] / "stack" / "test-images" / "shardcount-gate-gateway"


def events(stdout: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "step" and event["status"] != "start":
                out[event["step"]] = event
    return out


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    real = versions.image("tyk-gateway").local
    build_image(RECIPE, TEST_IMAGE, {"BASE_IMAGE": real, "MIN_SHARDCOUNT": str(THRESHOLD)},
                {"io.stackctl.test-double": "shardcount-gate"})
    env = stack_env(PROJECT, SUBNETS[0], SUBNETS[1], STACKCTL_IMAGES__GATEWAY=TEST_IMAGE)
    try:
        yield tmp_path, env
    finally:
        stackctl(tmp_path, env, "down", "--volumes", timeout=120)
        remove_image(TEST_IMAGE)


def test_ladder_climbs_to_the_threshold_and_the_next_up_starts_there(
        gated: tuple[Path, dict[str, str]]) -> None:
    cwd, env = gated
    first = stackctl(cwd, env, "up", "--tls", "off", "--no-smoke", "--json")
    assert first.returncode == 0, first.stderr + first.stdout
    steps = events(first.stdout)
    assert steps["tyk"]["status"] == "failed", steps["tyk"]  # true in the JSON view
    assert "gateway exited with code 1" in steps["tyk"]["detail"]
    assert "Using clustered mode" in steps["tyk"]["detail"]
    assert steps["health"]["status"] == "skipped"
    assert steps["fallback"]["status"] == "ok"
    result = [json.loads(x) for x in first.stdout.splitlines() if x.startswith("{")][-1]
    assert result["ok"] is True and result["recovered"] == ["tyk"]
    ladder = steps["fallback"]["detail"]
    print(ladder)  # the report, for the record
    assert "cannot help here" in ladder
    assert "attempt 1: REDIGOCLUSTER_SHARDCOUNT=128 on gateway, pump: fails" in ladder
    assert "attempt 2: REDIGOCLUSTER_SHARDCOUNT=256 on gateway, pump: works" in ladder
    assert "attempt 3" not in ladder
    assert steps["record"]["status"] == "ok"  # the fallback re-ran health: /hello passes
    state = json.loads((cwd / ".stackctl" / "fallback.json").read_text())
    assert state["shardcount"] == THRESHOLD
    assert [a["rung"] for a in state["last_report"]["ladder"]["attempts"]] == [128, 256]
    services = json.loads((cwd / ".stackctl" / "compose.json").read_text())["services"]
    for component in ("gateway", "pump"):
        assert services[component]["environment"] == {"REDIGOCLUSTER_SHARDCOUNT": "256"}

    second = stackctl(cwd, env, "up", "--tls", "off", "--no-smoke", "--json")
    assert second.returncode == 0, second.stderr + second.stdout
    again = events(second.stdout)
    assert again["fallback"]["status"] == "skipped"
    assert json.loads((cwd / ".stackctl" / "fallback.json").read_text())["shardcount"] == 256
