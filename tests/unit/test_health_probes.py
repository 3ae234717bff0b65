"""Health decided by the services' own healthchecks while Docker says `starting`: the
probe helpers, the start-up watch, the warm re-up's check, the gate's latch and the
healthcheck timings of the stack and of the reference stack."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from stackctl import assets
from stackctl.cluster.redis_conf import render_redis
from stackctl.context import StackContext
from stackctl.context.render import _all_up
from stackctl.engine.factory import stack_context
from stackctl.model import build_model
from stackctl.render.reference import reference_compose
from stackctl.render.stack import stack_compose
from stackctl.render.tyk import TykFiles
from stackctl.runtime.docker_cli import ExecResult, ServiceState
from stackctl.runtime.health import Check, exec_argv, healthchecks, probed
from stackctl.secrets import load_secrets
from stackctl.settings import load_settings, nested
from stackctl.tyk.watch import watch

pytestmark = pytest.mark.unit

GW = "v5.8.0-e65eff00608a"
PUMP = "v1.14.0"
LOGS = Path(__file__).parent / "fixtures" / "logs"
OK, FAIL = ExecResult(0, "", ""), ExecResult(1, "", "connection refused")


def st(service: str, health: str = "starting", state: str = "running",
       name: str = "") -> ServiceState:
    return ServiceState(service, name or f"p-{service}-1", state, health, 0)


class FakeDocker:
    """States and logs as scripted; `exec` answers per service from `passing`."""

    def __init__(self, states: list[ServiceState], passing: set[str],
                 logs: dict[str, str] | None = None) -> None:
        self._states = states
        self.passing = passing
        self.logs = logs or {}
        self.execs: list[tuple[str, list[str], int]] = []

    def states(self, services: Sequence[str]) -> list[ServiceState]:
        return [s for s in self._states if s.service in services]

    def ps(self) -> list[ServiceState]:
        return list(self._states)

    def service_log(self, service: str, tail: int | None = None) -> str:
        return self.logs.get(service, "")

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        assert timeout is not None, "a probe is always bounded"
        self.execs.append((service, list(command), index))
        return OK if service in self.passing else FAIL


def render(tmp_path: Path) -> dict[str, Any]:
    settings = load_settings(None, nested({"state_dir": str(tmp_path / "state"),
                                           "certs_dir": str(tmp_path / "certs")}))
    model = build_model(settings)
    redis = render_redis(model, load_secrets(settings.state_dir))
    tyk = TykFiles(*(tmp_path / n for n in ("tyk.conf", "pump.conf", "apps", "pol", "an")))
    return stack_compose(model, redis, tyk)


def test_exec_argv_of_each_test_form() -> None:
    assert exec_argv(["CMD", "sh", "/x.sh"]) == ["sh", "/x.sh"]
    assert exec_argv(["CMD-SHELL", "redis-cli ping"]) == ["sh", "-c", "redis-cli ping"]
    assert exec_argv("curl -f localhost") == ["sh", "-c", "curl -f localhost"]
    assert exec_argv(["NONE"]) is None and exec_argv(None) is None and exec_argv(["CMD"]) is None


def test_healthchecks_of_the_stack(tmp_path: Path) -> None:
    doc = render(tmp_path)
    checks = healthchecks(doc)
    assert "upstream" not in checks and "cluster-init" not in checks
    assert checks["cluster-gate"].argv[-1].endswith("gate-health.sh")
    assert checks["redis-1"].argv[-1].endswith("node-health.sh")
    assert checks["redis-1"].via is None
    # Tyk images have no shell: no Docker healthcheck, an HTTP probe run from the gate
    # (the Redis image: bash) to the service's own address on the Redis network.
    for name, path in (("gateway", "/hello"), ("pump", "/health")):
        assert "healthcheck" not in doc["services"][name]
        gate_side = doc["services"][name]["networks"]["redis"]["ipv4_address"]
        assert checks[name].via == "cluster-gate"
        assert checks[name].argv[:2] == ("bash", "-c")
        assert f"/dev/tcp/{gate_side}/" in checks[name].argv[2] and path in checks[name].argv[2]
    assert healthchecks({"services": {"a": {"healthcheck": {"test": ["CMD", "true"],
                                                            "disable": True}}}}) == {}


def test_probed_marks_only_starting_services_whose_test_passes() -> None:
    states = [st("gateway", ""), st("pump", ""), st("redis-1", "healthy"), st("upstream", ""),
              st("gateway-2", "", name="p-gateway-2-3"), st("redis-2", state="exited"),
              st("redis-3")]
    fake = FakeDocker(states, passing={"gate", "redis-1", "redis-2", "redis-3"})
    checks = {s: Check(("probe", s), "gate") for s in ("gateway", "gateway-2")}
    checks["pump"] = Check(("probe", "pump"), "elsewhere")  # its prober fails
    checks.update({s: Check(("probe", s)) for s in ("redis-1", "redis-2", "redis-3")})
    got = {s.service: s.health for s in probed(fake, states, checks)}
    assert got == {"gateway": "healthy", "pump": "starting", "redis-1": "healthy",
                   "upstream": "", "gateway-2": "healthy", "redis-2": "starting",
                   "redis-3": "healthy"}
    # probed services run in their prober's container; the others in their own replica
    assert sorted(fake.execs) == [("elsewhere", ["probe", "pump"], 1),
                                  ("gate", ["probe", "gateway"], 1),
                                  ("gate", ["probe", "gateway-2"], 1),
                                  ("redis-3", ["probe", "redis-3"], 1)]


def test_probed_asks_again_where_docker_says_unhealthy() -> None:
    """Docker's verdict can be a minute old (a node the drill paused): the service's own
    test decides now; a failing one stays `unhealthy`, never softened to `starting`."""
    states = [st("redis-1", "unhealthy"), st("redis-2", "unhealthy"), st("redis-3", "healthy")]
    fake = FakeDocker(states, passing={"redis-1", "redis-3"})
    checks = {s: Check(("probe", s)) for s in ("redis-1", "redis-2", "redis-3")}
    got = {s.service: s.health for s in probed(fake, states, checks)}
    assert got == {"redis-1": "healthy", "redis-2": "unhealthy", "redis-3": "healthy"}
    assert sorted(e[0] for e in fake.execs) == ["redis-1", "redis-2"]


def test_watch_decides_healthy_from_the_probe_while_docker_says_starting() -> None:
    fake = FakeDocker([st("gateway"), st("pump")], passing={"gateway", "pump"},
                      logs={"gateway": (LOGS / "gateway-v5.8-healthy.log").read_text(),
                            "pump": (LOGS / "pump-v1.14-healthy.log").read_text()})
    now = [0.0]
    got = watch(fake, {"gateway": GW, "pump": PUMP}, timeout=60,
                checks={"gateway": Check(("g",)), "pump": Check(("p",))},
                clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert [(d.component, d.outcome) for d in got] == [("gateway", "healthy"),
                                                       ("pump", "healthy")]
    assert now[0] == 0.0  # decided in the first round


def test_watch_waits_while_the_probe_fails_and_then_times_out() -> None:
    fake = FakeDocker([st("gateway"), st("pump")], passing={"gateway"})
    now = [0.0]
    got = watch(fake, {"gateway": GW, "pump": PUMP}, timeout=5, poll=0.5,
                checks={"gateway": Check(("g",)), "pump": Check(("p",))},
                clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert {d.component: d.outcome for d in got} == {"gateway": "healthy", "pump": "timeout"}
    assert now[0] == 5.0
    assert sum(1 for call in fake.execs if call[0] == "pump") == 11  # every round, 0 to 5 s


def _ctx(tmp_path: Path, fake: FakeDocker) -> StackContext:
    settings = load_settings(None, nested({"state_dir": str(tmp_path / "state"),
                                           "certs_dir": str(tmp_path / "certs")}))
    ctx = stack_context(build_model(settings))
    ctx.state_dir.mkdir(parents=True)
    ctx.compose_file.write_text(json.dumps(render(tmp_path)))
    ctx.__dict__["compose"] = fake  # the cached property, faked
    return ctx


def test_warm_re_up_counts_starting_services_healthy_by_their_own_test(tmp_path: Path) -> None:
    names = [f"redis-{i}" for i in range(1, 7)] + ["cluster-gate"]
    states = [st(n) for n in names] + [st("gateway", ""), st("pump", ""), st("upstream", "")]
    ctx = _ctx(tmp_path, FakeDocker(states, passing=set(names)))
    assert _all_up(ctx)  # gateway and pump probed from the gate, which answers
    ctx = _ctx(tmp_path / "b", FakeDocker(states, passing=set(names) - {"cluster-gate"}))
    assert not _all_up(ctx)  # Docker says nothing about them: the failed probe decides


def test_gate_health_latches_after_the_first_full_pass(tmp_path: Path) -> None:
    (tmp_path / "gate-health.sh").write_bytes(assets.read_bytes("redis", "gate-health.sh"))
    calls, verdict = tmp_path / "calls", tmp_path / "verdict"
    (tmp_path / "cluster-ready.sh").write_text(
        f'echo x >>"{calls}"\nexit "$(cat "{verdict}")"\n')
    env = {"PATH": "/usr/bin:/bin", "STACKCTL_GATE_MARKER": str(tmp_path / "formed")}

    def check(ready: int) -> int:
        verdict.write_text(str(ready))
        return subprocess.run(["sh", str(tmp_path / "gate-health.sh")], env=env,
                              timeout=10).returncode

    assert check(1) == 1 and not (tmp_path / "formed").exists()
    assert check(0) == 0
    assert check(1) == 0  # latched: the rule is not run again
    assert calls.read_text().count("x") == 2


def test_stack_probes_once_a_minute_and_the_reference_every_5_s(tmp_path: Path) -> None:
    stack = render(tmp_path / "stack")["services"]
    settings = load_settings(None, nested({"state_dir": str(tmp_path / "ref"),
                                           "certs_dir": str(tmp_path / "ref" / "certs")}))
    reference = reference_compose(settings, tmp_path / "ref")["services"]
    for services, interval in ((stack, "60s"), (reference, "5s")):
        checked = {n: s["healthcheck"] for n, s in services.items() if "healthcheck" in s}
        assert len(checked) == 7  # 6 nodes, gate (the Tyk images have no shell)
        assert {h["interval"] for h in checked.values()} == {interval}
        assert all("start_interval" not in h for h in checked.values())
