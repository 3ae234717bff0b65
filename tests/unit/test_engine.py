"""The engine seam without Docker: the factory names the engine once, both engines give
one service row shape, the refusals come from `unsupported` with one line each, and the
load's place and API are decided by the engine. Fakes stand in for `docker ps` and the
stack (named so); the rules are the product's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from stackctl.engine.base import refuse
from stackctl.engine.compose import ComposeEngine, service_rows
from stackctl.engine.factory import engine_for
from stackctl.engine.swarm import UNSUPPORTED, SwarmEngine
from stackctl.errors import ConfigError
from stackctl.model import build_model
from stackctl.runtime.docker_cli import ServiceState
from stackctl.runtime.swarm import ServiceInfo, Task
from stackctl.settings import Settings

pytestmark = pytest.mark.unit


def model(tmp_path: Path, engine: str = "compose") -> Any:
    return build_model(Settings.model_validate({"engine": engine,
                                                "state_dir": str(tmp_path)}))


def test_the_factory_picks_the_engine_settings_name(tmp_path: Path) -> None:
    compose = engine_for(model(tmp_path))
    swarm = engine_for(SimpleNamespace(model=model(tmp_path, "swarm")))
    assert isinstance(compose, ComposeEngine) and compose.name == "compose"
    assert isinstance(swarm, SwarmEngine) and swarm.name == "swarm"
    assert compose.rendered_file.parent == swarm.rendered_file.parent == tmp_path
    assert compose.rendered_file != swarm.rendered_file


def test_the_load_site_and_api_are_decided_by_the_engine(tmp_path: Path) -> None:
    here = engine_for(model(tmp_path)).load_site()
    assert (here.tasks, here.api.own) == (0, True) and here.url.startswith("http://127.")
    away = engine_for(model(tmp_path, "swarm")).load_site()
    assert away.tasks >= 1 and not away.api.own
    assert (away.api.api_id, away.api.listen_path) == ("stackctl-smoke", "/smoke/")
    assert away.url.startswith("http://gateway:")


def test_compose_rows_one_per_service() -> None:
    states = [ServiceState("gateway", "p-gateway-1", "running", "", 0),
              ServiceState("redis-1", "p-redis-1-1", "running", "healthy", 0),
              ServiceState("cluster-init", "p-cluster-init-1", "exited", "", 0),
              ServiceState("pump", "p-pump-1", "exited", "", 137),
              ServiceState("upstream", "p-upstream-1", "running", "starting", 0)]
    rows = {r.service: r for r in service_rows(states)}
    assert rows["gateway"].as_dict() == {"service": "gateway", "state": "running",
                                         "health": "", "running": 1, "wanted": 1,
                                         "detail": ""}
    assert rows["cluster-init"].state == "complete" and rows["cluster-init"].detail == ""
    assert rows["pump"].state == "exited" and "exit 137" in rows["pump"].detail
    assert rows["upstream"].health == "starting" and rows["redis-1"].health == "healthy"


@dataclass
class FakeStack:
    """Stands in for `runtime.swarm.Stack`: stated services and tasks."""

    infos: list[ServiceInfo]
    task_list: list[Task]

    def full(self, service: str) -> str:
        return f"p_{service}"

    def services(self) -> list[ServiceInfo]:
        return self.infos

    def tasks(self) -> list[Task]:
        return self.task_list


def test_swarm_rows_have_the_same_shape(tmp_path: Path) -> None:
    engine = SwarmEngine(model(tmp_path, "swarm"))
    engine.stack = cast(Any, FakeStack(
        [ServiceInfo("gateway", "replicated", 2),
         ServiceInfo("cluster-init", "replicated-job", 1),
         ServiceInfo("pump", "replicated", 1)],
        [Task("a", "gateway", "1", "n1", "running", "running"),
         Task("b", "gateway", "2", "n2", "running", "starting"),
         Task("c", "cluster-init", "1", "n1", "complete", "complete"),
         Task("d", "pump", "1", "n1", "shutdown", "failed", "no such image")]))
    rows = {r.service: r for r in engine.services()}
    assert set(rows["gateway"].as_dict()) == {"service", "state", "health", "running",
                                              "wanted", "detail"}
    assert (rows["gateway"].state, rows["gateway"].running, rows["gateway"].wanted) == (
        "starting", 1, 2)
    assert "2@n2:starting" in rows["gateway"].detail
    assert rows["cluster-init"].state == "complete"
    assert rows["pump"].state == "missing"  # its only task is shut down
    engine.stack.task_list[1] = Task("b", "gateway", "2", "n2", "running", "running")
    assert engine.services()[0].state == "running"  # sorted as the stack lists them


def test_refusals_are_one_line_and_name_the_setting(tmp_path: Path) -> None:
    swarm = SwarmEngine(model(tmp_path, "swarm"))
    for feature in UNSUPPORTED:
        with pytest.raises(ConfigError) as info:
            refuse(swarm, feature, "the setting")
        text = str(info.value)
        assert text.startswith("the setting: not on engine = swarm: ") and "\n" not in text
        assert "engine = compose" in text
    with pytest.raises(ConfigError, match=r"^--follow: not on engine = swarm: .*; name one "
                       r"service, e\.g\. `stackctl logs -f gateway`"):
        swarm.follow_logs(["gateway", "pump"])  # refused before any Docker call
    compose = ComposeEngine(model(tmp_path))
    for feature in UNSUPPORTED:
        assert compose.unsupported(feature) is None
        refuse(compose, feature, "the setting")  # nothing refused


def test_compose_is_running_only_with_its_gateway_and_pump(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = ComposeEngine(model(tmp_path))
    up = [ServiceState("gateway", "p-gateway-1", "running", "", 0)]
    monkeypatch.setattr(engine, "ps", lambda: up)
    with pytest.raises(ConfigError, match=r"not running \(pump down\).*stackctl up"):
        engine.require_running()
    up.append(ServiceState("pump", "p-pump-1", "running", "", 0))
    engine.require_running()


@dataclass
class FakeCompose:
    """Stands in for `runtime.compose.Compose`: stated `docker ps` rounds, one per poll."""

    rounds: list[list[ServiceState]]
    asked: list[str] | None = None

    def ps(self) -> list[ServiceState]:
        return self.rounds.pop(0) if len(self.rounds) > 1 else self.rounds[0]

    def states(self, services: Any) -> list[ServiceState]:
        self.asked = list(services)
        return [s for s in self.ps() if s.service in services]


def test_compose_waits_until_running_and_fails_fast_on_a_stopped_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stackctl.engine import compose as engine_compose

    monkeypatch.setattr(engine_compose, "POLL_S", 0.0)
    engine = ComposeEngine(model(tmp_path))
    init = ServiceState("cluster-init", "p-cluster-init-1", "exited", "", 0)
    gw = ServiceState("gateway", "p-gateway-1", "running", "healthy", 0)
    fake = FakeCompose([[init, ServiceState("gateway", "p-gateway-1", "created", "", 0)],
                        [init, gw]])
    monkeypatch.setattr(engine, "ps", fake.ps)
    monkeypatch.setattr(engine, "states", fake.states)
    engine.wait_running(5.0)  # the second round: running, cluster-init complete
    fake.rounds = [[init, gw]]
    engine.wait_running(5.0, services=["gateway"])
    assert fake.asked == ["gateway"]
    fake.rounds = [[gw]]
    with pytest.raises(Exception, match=r"not running and healthy after 0 s: pump"):
        engine.wait_running(0.0, services=["gateway", "pump"])  # pump has no container
    fake.rounds = [[init, ServiceState("gateway", "p-gateway-1", "exited", "", 1)]]
    with pytest.raises(Exception, match=r"p-gateway-1 exited \(exit 1\).*stackctl logs gateway"):
        engine.wait_running(60.0)
