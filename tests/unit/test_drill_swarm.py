"""The drill on the swarm engine without Docker: views asked by name compared by name, the
target chosen among named nodes, the swarm recovery rule (a failover, or Swarm's new task back
in the cluster, never the moment before the survivors notice the fault), the refusals
(scenarios that cannot exist on swarm, --vary, a container on another node), the
service-level states and the pump's csv read from a task. Fakes stand in for the probe
and the stack (named so); the rules are the product's."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from stackctl.drill.observe import by_name, cluster_check, parse_views
from stackctl.drill.options import DrillOptions
from stackctl.drill.restore import role_of
from stackctl.drill.run import check_engine
from stackctl.drill.scenarios import SCENARIOS
from stackctl.drill.scenarios.base import Target
from stackctl.drill.target import acted_on, choose, primaries, refuse_here, service_of
from stackctl.drill.vary import parse_varies
from stackctl.engine.swarm import SwarmEngine
from stackctl.errors import ConfigError
from stackctl.meter.delivered import count_in_text, count_records
from stackctl.model import RedisNode
from stackctl.runtime.docker_cli import ExecResult
from stackctl.runtime.swarm import (
    ServiceInfo,
    Task,
    parse_addresses,
    parse_attachments,
    parse_started,
)

pytestmark = pytest.mark.unit

IDS = {i: f"{i:040x}" for i in range(1, 7)}
IPS = {i: f"172.31.224.{20 + i}" for i in range(1, 7)}
SLOTS = {1: "0-5460", 2: "5461-10922", 3: "10923-16383"}
INFO_OK = "cluster_state:ok\ncluster_slots_ok:16384\n"


def nodes_line(i: int, primary: bool, of: int = 0, flags: str = "", link: str = "connected",
               slots: str | None = None, ip: str | None = None) -> str:
    role = "master" if primary else "slave"
    return (f"{IDS[i]} {ip or IPS[i]}:6379@16379,redis-{i} {role}{flags} "
            f"{'-' if primary else IDS[of]} 0 0 1 {link} "
            f"{(slots if slots is not None else SLOTS.get(i, '')) if primary else ''}").strip()


def healthy_lines(target_flags: str = "", target_link: str = "connected",
                  failed_over: bool = False) -> list[str]:
    """redis-1..3 primaries, redis-4..6 their replicas; redis-1 (the target) as given;
    `failed_over`: redis-4 took redis-1's slots and redis-1 is gone from the primaries."""
    lines = []
    for i in range(1, 7):
        if i == 1:
            lines.append(nodes_line(1, not failed_over, 4, flags=target_flags,
                                    link=target_link, slots="" if failed_over else None))
        elif i == 4:
            lines.append(nodes_line(4, failed_over, 1, slots=SLOTS[1]))
        else:
            lines.append(nodes_line(i, i <= 3, i - 3))
    return lines


def views_text(lines: list[str], skip: str = "", info: str = INFO_OK) -> str:
    out = []
    for i in range(1, 7):
        addr = f"redis-{i}:6379"
        if addr == skip:
            continue
        out += [f"## {addr}", info, *lines]
    return "\n".join(out)


@dataclass
class FakeGate:
    """Stands in for the probe container: answers the views script with stated text (the
    survivors' views; `own`: a read of the target alone, STACKCTL_NODES=target)."""

    texts: list[str]
    own: str = ""
    calls: list[dict[str, str]] = field(default_factory=list)

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        self.calls.append(dict(env or {}))
        if "STACKCTL_NODES" in (env or {}):
            return ExecResult(0, self.own, "")
        return ExecResult(0, self.texts.pop(0) if len(self.texts) > 1 else self.texts[0], "")


def named(text: str) -> list[Any]:
    """The views as `read_views` returns them."""
    return by_name(parse_views(text))


def model_nodes() -> list[RedisNode]:
    # On swarm the model's IPs are not the tasks' (Swarm drops ipv4_address).
    return [RedisNode(i, ipaddress.IPv4Address(f"172.31.226.{10 + i}")) for i in range(1, 7)]


def test_views_asked_by_name_are_compared_by_name() -> None:
    views = named(views_text(healthy_lines()))
    assert {n.addr for n in views[0].nodes} == {f"redis-{i}:6379" for i in range(1, 7)}
    assert views[0].addr == "redis-1:6379"
    # Asked by address (compose), the addresses stay the pinned ones.
    by_ip = parse_views(views_text(healthy_lines()).replace("## redis-", "## 172.31.9."))
    assert by_name(by_ip) == by_ip
    assert {n.addr for n in by_ip[0].nodes} == {f"{IPS[i]}:6379" for i in range(1, 7)}
    # A node still in handshake (no hostname yet) keeps its address.
    raw = views_text([*healthy_lines(), f"{'f' * 40} 172.31.224.99:6379@16379 handshake - "
                      "0 0 0 disconnected"])
    assert "172.31.224.99:6379" in {n.addr for n in named(raw)[0].nodes}


def test_target_chosen_among_named_nodes_and_mapped_to_its_service() -> None:
    view = named(views_text(healthy_lines()))[0].nodes
    nodes = model_nodes()
    target = choose(SCENARIOS["kill-primary"], view, nodes)
    assert (target.service, target.addr, target.replica_service) == (
        "redis-1", "redis-1:6379", "redis-4")
    assert choose(SCENARIOS["kill-replica"], view, nodes).service == "redis-4"
    assert primaries(view, nodes) == ["redis-1", "redis-2", "redis-3"]
    assert service_of("redis-5:6379", nodes) == "redis-5"
    assert service_of("172.31.226.12:6379", nodes) == "redis-2"  # compose: pinned address
    assert service_of("10.0.0.1:6379", nodes) == "10.0.0.1:6379"
    # Names sort by number: redis-10 after redis-2 (the old sort split on dots only).
    many = [RedisNode(i, ipaddress.IPv4Address(f"172.31.226.{10 + i}")) for i in range(1, 13)]
    lines = [f"{i:040x} 172.31.224.{i}:6379@16379,redis-{i} master - 0 0 1 connected "
             f"{i * 100}-{i * 100 + 50}" for i in (10, 2)]
    lines += [f"{i + 20:040x} 172.31.224.{i + 20}:6379@16379,redis-{i + 2} slave "
              f"{i:040x} 0 0 1 connected" for i in (10, 2)]
    picked = choose(SCENARIOS["kill-primary"], named(
        "## redis-1:6379\n" + INFO_OK + "\n".join(lines))[0].nodes, many)
    assert picked.service == "redis-2"


def test_role_after_read_by_name() -> None:
    views = named(views_text(healthy_lines(failed_over=True)))
    assert role_of(views, "redis-1:6379") == "replica"
    assert role_of(views, "redis-4:6379") == "primary"
    assert role_of(views, "redis-9:6379") == "unknown"


NEW_IP = "172.31.224.40"


def own_view(state: str = "ok") -> str:
    """The target's own answer, asked by name: the new task, at its new address."""
    lines = healthy_lines()
    lines[0] = nodes_line(1, True, ip=NEW_IP).replace(" master ", " myself,master ")
    return "\n".join(["## redis-1:6379", f"cluster_state:{state}\ncluster_slots_ok:16384",
                      *lines])


def check(texts: list[str], replaced: list[str] | None, own: str = ""
          ) -> tuple[Any, list[int]]:
    calls: list[int] = []

    def new_task() -> str:
        calls.append(1)
        assert replaced is not None
        return replaced.pop(0) if len(replaced) > 1 else replaced[0]
    gate = FakeGate(texts, own or own_view())
    return cluster_check(gate, 6, 3, "redis-1:6379", "redis-1:6379", (SLOTS[1],), True,
                         None if replaced is None else new_task), calls


def at_new_address(lines: list[str]) -> list[str]:
    return [lines[0].replace(IPS[1], NEW_IP), *lines[1:]]


def test_swarm_recovery_a_new_task_back_before_any_failover() -> None:
    skip = "redis-1:6379"
    unnoticed = views_text(healthy_lines(), skip)  # right after the kill: old address
    down = views_text(healthy_lines(target_flags=",fail?", target_link="disconnected"), skip)
    back = views_text(at_new_address(healthy_lines()), skip)
    # Compose (no replacement): only a failover recovers; the unnoticed moment does not.
    ok, why, _ = check([unnoticed], None)[0]()
    assert not ok and why.endswith("2 primaries serve slots, want 3")
    # Swarm, new task there but the survivors still list the old address "connected"
    # (they have not noticed the fault yet): not recovered.
    poll, calls = check([unnoticed], [NEW_IP])
    ok, why, _ = poll()
    assert not ok and calls == [1]
    assert why == f"redis-2:6379 has redis-1:6379 at {IPS[1]}:6379, its new task is at " \
        f"{NEW_IP}:6379"
    # No new task yet: not recovered.
    poll, calls = check([back], [""])
    assert poll()[0] is False and calls == [1]
    # Noticed (fail?, disconnected): the runtime is not even asked.
    poll, calls = check([down], [NEW_IP])
    ok, why, moved = poll()
    assert not ok and moved == "" and calls == []
    # The new task is back at its address, every survivor has it connected, and it says
    # the cluster is ok: recovered, no promotion.
    poll, calls = check([back], [NEW_IP])
    assert poll() == (True, "", "") and calls == [1]
    # ... but not while the new task itself does not answer, or says fail.
    poll, _ = check([back], [NEW_IP], own="## redis-1:6379\n")
    assert poll()[1] == "redis-1:6379 does not answer"
    poll, _ = check([back], [NEW_IP], own=own_view("fail"))
    assert poll()[1] == "redis-1:6379: cluster_state:fail"
    # A failover recovers whatever the runtime says (and names the new primary).
    poll, calls = check([views_text(healthy_lines(failed_over=True, target_flags=",fail",
                                                  target_link="disconnected"), skip)],
                        [""])
    assert poll() == (True, "", "redis-4:6379") and calls == []


def test_swarm_recovery_needs_the_cluster_whole_too() -> None:
    skip = "redis-1:6379"
    # Back and connected, but a survivor still says cluster_state:fail.
    text = views_text(at_new_address(healthy_lines()), skip,
                      info="cluster_state:fail\ncluster_slots_ok:10923\n")
    poll, calls = check([text], [NEW_IP])
    ok, why, _ = poll()
    assert not ok and "cluster_state:fail" in why and calls == []


def engine_over(stack: Any = None, start_wait_s: float = 90.0) -> SwarmEngine:
    """The swarm engine of a stated model (no Docker: `stack` a fake when given)."""
    settings = SimpleNamespace(engine="swarm", project="stackctl-x", state_dir=Path("/nope"))
    engine = SwarmEngine(cast(Any, SimpleNamespace(settings=settings)), start_wait_s)
    if stack is not None:
        engine.stack = stack
    return engine


@pytest.mark.parametrize("name", ["partition-primary", "stop-pump"])
def test_scenarios_that_cannot_exist_on_swarm_are_refused_with_one_line(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_engine(engine_over(), [SCENARIOS["kill-primary"], SCENARIOS[name]],
                     DrillOptions(scenarios=("kill-primary", name)))
    text = str(info.value)
    assert text.startswith(f"scenario {name!r}") and "not on engine = swarm" in text
    assert "\n" not in text and "engine = compose" in text


def test_vary_is_refused_on_swarm() -> None:
    options = DrillOptions(scenarios=("kill-primary",),
                           varies=parse_varies(["gateway.max_active=50,500"]))
    with pytest.raises(ConfigError, match=r"^--vary gateway.max_active: not on engine = swarm"):
        check_engine(engine_over(), [SCENARIOS["kill-primary"]], options)


def test_what_a_fault_acts_on_and_the_refusal_for_another_node(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from stackctl.runtime import swarm

    t = Target("redis-1", "primary", "redis-1:6379", "id", "redis-4", "redis-4:6379")
    assert acted_on(SCENARIOS["kill-primary"], t) == "redis-1"
    assert acted_on(SCENARIOS["failover"], t) == "redis-4"
    assert acted_on(SCENARIOS["restart-gateway"], Target("gateway", "gateway")) == ""
    here: set[str] = set()  # this node's task containers, stated
    monkeypatch.setattr(swarm, "local_task", lambda full: swarm.LocalTask(full, "t")
                        if full.removeprefix("stackctl-x_") in here else None)
    engine = engine_over(FakeStack([], [Task("a", "redis-1", "1", "node-b", "running",
                                             "running")]))
    with pytest.raises(ConfigError) as info:
        refuse_here(engine, SCENARIOS["kill-primary"], t)
    err = str(info.value)
    assert err.startswith("scenario 'kill-primary': not on engine = swarm: redis-1's task "
                          "runs on node node-b")
    assert "\n" not in err and "another node's container" in err
    assert "the node that runs it" in err
    with pytest.raises(ConfigError, match="redis-4's task runs nowhere"):
        refuse_here(engine, SCENARIOS["failover"], t)  # the replica it acts on: none
    here.update({"redis-1", "redis-4"})
    refuse_here(engine, SCENARIOS["kill-primary"], t)  # its task runs here: no refusal
    refuse_here(engine, SCENARIOS["restart-gateway"], Target("gateway", "gateway"))


@dataclass
class FakeStack:
    """Stands in for `runtime.swarm.Stack`: stated services and tasks."""

    infos: list[ServiceInfo]
    task_list: list[Task]

    def full(self, service: str) -> str:
        return f"stackctl-x_{service}"

    def network(self, short: str) -> str:
        return f"stackctl-x_{short}"

    def services(self) -> list[ServiceInfo]:
        return self.infos

    def tasks(self) -> list[Task]:
        return self.task_list


def test_service_states_count_the_whole_service() -> None:
    infos = [ServiceInfo("gateway", "replicated", 2), ServiceInfo("pump", "replicated", 1)]
    tasks = [Task("a", "gateway", "1", "n", "running", "running"),
             Task("b", "gateway", "2", "n", "running", "starting"),
             Task("c", "gateway", "2", "n", "shutdown", "shutdown"),
             Task("d", "pump", "1", "n", "running", "running")]
    faults = engine_over(FakeStack(infos, tasks))
    states = {s.service: s.state for s in faults.states(["gateway", "pump"])}
    assert states == {"gateway": "starting", "pump": "running"}
    tasks[1] = Task("b", "gateway", "2", "n", "running", "running")
    assert {s.state for s in faults.states(["gateway"])} == {"running"}


def test_start_waits_for_swarms_new_task() -> None:
    tasks = [Task("old", "redis-1", "1", "n", "shutdown", "failed", "task: non-zero exit"),
             Task("new", "redis-1", "1", "n", "running", "starting")]
    stack = FakeStack([], tasks)
    faults = engine_over(stack, start_wait_s=0.0)
    with pytest.raises(Exception, match="redis-1 0/1 running"):
        faults.start(["redis-1"])
    stack.task_list[1] = Task("new", "redis-1", "1", "n", "running", "running")
    faults.start(["redis-1"])  # returns: the new task runs


def test_pump_records_counted_from_concatenated_csv_files(tmp_path: Path) -> None:
    header = "APIID,OrgID,Path\n"
    one = header + "stackctl-smoke,o,/a\nother,o,/b\n"
    two = header + 'stackctl-smoke,o,"/c,with,commas"\nstackctl-smoke,o,/d\n'
    assert count_in_text(one + two, "stackctl-smoke") == 3
    assert count_in_text(one + two, "other") == 1
    assert count_in_text("", "stackctl-smoke") == 0
    (tmp_path / "1.csv").write_text(one)
    (tmp_path / "2.csv").write_text(two)
    assert count_records(tmp_path, "stackctl-smoke") == 3  # the same rule on files


def test_task_addresses_parsed() -> None:
    text = ('{"stackctl-x_redis":{"IPAddress":"172.31.224.7"},'
            '"stackctl-x_front":{"IPAddress":""}}')
    assert parse_addresses(text) == {"stackctl-x_front": "", "stackctl-x_redis": "172.31.224.7"}
    assert parse_addresses("not json") == {}
    attachments = ('[{"Network":{"Spec":{"Name":"stackctl-x_redis"}},'
                   '"Addresses":["172.31.224.16/24"]},{"Network":{"Spec":{"Name":"ingress"}},'
                   '"Addresses":[]}]')
    assert parse_attachments(attachments) == {"stackctl-x_redis": "172.31.224.16"}
    assert parse_attachments("") == {} and parse_attachments("{bad") == {}
    assert parse_started("2026-12-01T17:05:03.123456789Z") == pytest.approx(
        1796144703.123456789)
    assert parse_started("0001-01-01T00:00:00Z") < 0 and parse_started("") == 0.0


def test_the_report_says_what_swarm_did_with_the_task() -> None:
    from stackctl.drill.report import _task_lines

    before = {"task_id": "a" * 25, "container": "c1", "ip": "172.31.224.5"}
    after = {"task_id": "b" * 25, "container": "c2", "ip": "172.31.224.9"}
    (line,) = _task_lines({"before": before, "after": after, "replaced": True,
                           "ip_changed": True, "new_task_started_after_fault_s": 2.345})
    assert line == (f"- swarm task: {'a' * 12} (172.31.224.5) replaced by {'b' * 12} "
                    "(172.31.224.9, a new address), its container started 2.3 s after the "
                    "fault")
    (kept,) = _task_lines({"before": before, "after": before, "replaced": False,
                           "ip_changed": False, "replaced_seen_after_fault_s": None})
    assert kept.endswith("kept (not replaced)")
    assert _task_lines(None) == []


def test_restart_returns_once_swarm_replaced_every_task(monkeypatch: pytest.MonkeyPatch) -> None:
    from stackctl.runtime import swarm

    stack = FakeStack([], [Task("old", "gateway", "1", "n", "running", "running")])
    updates: list[str] = []

    def fake_update(full: str) -> None:  # Swarm's side, stated: the old task goes, a new one
        updates.append(full)
        stack.task_list = [Task("old", "gateway", "1", "n", "shutdown", "running"),
                           Task("new", "gateway", "1", "n", "running", "starting")]
    monkeypatch.setattr(swarm, "force_update", fake_update)
    engine_over(stack, start_wait_s=5.0).restart(["gateway"])
    assert updates == ["stackctl-x_gateway"]
    # Swarm never replacing it: a clear error at the deadline.
    monkeypatch.setattr(swarm, "force_update", lambda full: None)
    stack.task_list = [Task("old", "gateway", "1", "n", "running", "running")]
    with pytest.raises(Exception, match="gateway: not restarted after 0 s"):
        engine_over(stack, start_wait_s=0.0).restart(["gateway"])


def test_unpause_thaws_the_container_paused_last(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kill then a pause of the same service in one drill (the e2e's order): the unpause
    goes to the container the pause froze, not to the one killed before (gone)."""
    from stackctl.runtime import swarm

    running = {"redis-1": "c-old"}
    paused: set[str] = set()
    done: list[tuple[str, str]] = []

    def fake_local(full: str) -> swarm.LocalTask | None:  # this node's containers, stated
        name = running.get(full.removeprefix("stackctl-x_"))
        return None if name is None else swarm.LocalTask(name, f"t-{name}")

    def fake_action(container: str, action: str, **_kw: Any) -> None:
        done.append((action, container))
        if action == "pause":
            paused.add(container)
        if action == "unpause":
            paused.discard(container)
    monkeypatch.setattr(swarm, "local_task", fake_local)
    monkeypatch.setattr(swarm, "container_action", fake_action)
    monkeypatch.setattr(swarm, "container_paused", lambda name: name in paused)
    faults = engine_over(FakeStack([], []))
    faults.kill(["redis-1"])
    running["redis-1"] = "c-new"  # Swarm's new task
    faults.pause(["redis-1"])
    faults.unpause(["redis-1"])
    assert done == [("kill", "c-old"), ("pause", "c-new"), ("unpause", "c-new")]
    faults.unpause(["redis-1"])  # not paused any more: nothing sent
    assert len(done) == 3


def test_the_task_noted_before_a_fault_and_its_replacement(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the engine tells the drill about Swarm's new task: its Redis address once it
    starts (not the old task's), when it was first seen, and the change in the report."""
    from stackctl.runtime import swarm

    old = swarm.LocalTask("c-old", "t-old", {"stackctl-x_redis": "172.31.224.5"}, 100.0)
    new = swarm.LocalTask("c-new", "t-new", {"stackctl-x_redis": "172.31.224.9"}, 105.0)
    here = {"redis-1": old}
    monkeypatch.setattr(swarm, "local_task",
                        lambda full: here.get(full.removeprefix("stackctl-x_")))
    monkeypatch.setattr(swarm, "task_addresses",
                        lambda task_id: {"stackctl-x_redis": "172.31.224.9"})
    stack = FakeStack([], [Task("t-old", "redis-1", "1", "n", "running", "running")])
    engine = engine_over(stack)
    assert engine.replacement("redis-1") is None  # nothing noted: nothing to replace
    engine.note_task("redis-1")
    check = engine.replacement("redis-1")
    assert check is not None and check() == ""  # only the old task so far
    stack.task_list = [Task("t-old", "redis-1", "1", "n", "shutdown", "failed"),
                       Task("t-new", "redis-1", "1", "n", "running", "starting")]
    assert check() == "172.31.224.9"
    here["redis-1"] = new
    change = engine.task_change("redis-1", redis=True)
    assert change is not None and change["replaced"] and change["ip_changed"]
    assert change["before"]["task_id"] == "t-old" and change["after"]["task_id"] == "t-new"
    assert isinstance(change["replaced_seen_at"], float)
    assert engine.task_change("redis-1", redis=True) is None  # reported once
