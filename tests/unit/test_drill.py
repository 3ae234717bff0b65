"""`stackctl drill` without Docker: the window arithmetic on a timeline the test states,
objectives, the target chosen from recorded CLUSTER NODES, the survivors' recovery rule,
and the bad input refused with one line and exit 2 before any stack is touched."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from stackctl.cluster.managed import ManagedAccess
from stackctl.cluster.readiness import parse_info, parse_nodes
from stackctl.cluster.status import split_report
from stackctl.drill import buckets as bk
from stackctl.drill.observe import View, parse_views, promoted, recovery_problems
from stackctl.drill.options import DrillOptions
from stackctl.drill.scenarios import SCENARIOS, scenarios
from stackctl.drill.slo import evaluate, parse_slo, parse_slos
from stackctl.drill.target import choose
from stackctl.errors import ConfigError, ToolError
from stackctl.model import RedisNode
from stackenv import clean_stackctl as stackctl

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "cluster"


def synthetic_timeline() -> list[tuple[float, float, int]]:
    """100 req/s for 10 s, each answered 200 in 5 ms, except: the requests sent in
    [3.0, 4.5) time out after 2 s (status 0), those sent in [4.5, 6.0) get 403 in 5 ms,
    and those sent in [6.0, 7.0) get 200 but in 50 ms; one 403 sent at 1.0 s (before
    the fault at 2.95 s)."""
    out = []
    for n in range(1000):
        sent = n / 100
        status, latency = 200, 0.005
        if 3.0 <= sent < 4.5:
            status, latency = 0, 2.0
        elif 4.5 <= sent < 6.0:
            status = 403
        elif 6.0 <= sent < 7.0:
            latency = 0.05
        if n == 100:
            status = 403
        out.append((sent + latency, latency, status))
    out.sort()
    return out


def test_buckets_count_by_send_time_and_class() -> None:
    buckets = bk.bucketize(synthetic_timeline(), 10.0)
    assert len(buckets) == 100
    assert all(sum(b.values()) == 10 for b in buckets)
    # A timeout is placed where the request was sent, not where it gave up 2 s later.
    assert buckets[30] == {**dict.fromkeys(bk.CLASSES, 0), "error": 10}
    assert buckets[45]["401/403"] == 10
    assert buckets[10]["401/403"] == 1 and buckets[10]["2xx"] == 9
    assert buckets[70]["2xx"] == 10


def test_error_window_runs_from_first_to_last_failing_bucket_after_the_fault() -> None:
    buckets = bk.bucketize(synthetic_timeline(), 10.0)
    window = bk.error_window(buckets, fault_s=2.95)
    assert window is not None
    assert (window.start_s, window.end_s, window.seconds) == (3.0, 6.0, 3.0)
    assert window.failed == 300  # 150 timeouts + 150 403s; the 403 at 1.0 s is before
    assert bk.failed_between(buckets, 0.0, 2.95) == 1
    assert bk.error_window(buckets, fault_s=6.5) is None
    assert bk.classify(429) == "429" and bk.classify(502) == "5xx"
    assert bk.classify(404) == "other" and bk.classify(0) == "error"


def test_p99_recovery_after_the_window() -> None:
    timeline = synthetic_timeline()
    per_s = bk.p99_per_second(timeline, 10.0)
    assert per_s[0] == 5.0 and per_s[3] == 2000.0 and per_s[6] == 50.0 and per_s[9] == 5.0
    base = bk.baseline_p99(timeline, 2.95)
    assert base == 5.0
    # Window ends at 6.0; second 6 is 10x the baseline; 7 and 8 are back: 7 - 2.95.
    assert bk.p99_recovery(per_s, 2.95, 5.0, after_s=6.0) == 4.05
    assert bk.p99_recovery([5.0, 50.0, 50.0], 0.5, 5.0, after_s=0.5) is None
    assert bk.p99_recovery([5.0, 5.0, 9.0], 0.5, 5.0, after_s=0.5) == 0.0
    assert bk.p99_recovery([50.0, 5.0, 9.0], 0.5, 5.0, after_s=0.5) == 0.5
    assert bk.sent_rate(timeline, 1.0, 2.95) == 100.0


def test_slo_parsing_and_judging() -> None:
    assert parse_slo("error_window<=10s").threshold == 10.0
    assert parse_slo("recovery<15000ms").threshold == pytest.approx(15.0)
    assert parse_slo("lost<=0").metric == "lost"
    for bad, why in (("error_window<=10", "takes 's' or 'ms'"), ("lost<=0s", "no unit"),
                     ("speed>3", "unknown metric"), ("recovery=3s", "not METRIC OP")):
        with pytest.raises(ConfigError, match=why):
            parse_slo(bad)
    slos = parse_slos(["error_window<=10s", "recovery<=15s", "lost<=0"])
    judged = evaluate(slos, {"error_window": 12.5, "recovery": None, "lost": 0})
    assert [r["passed"] for r in judged] == [False, False, True]


def nodes_of(subnet: str) -> list[RedisNode]:
    return [RedisNode(i, ipaddress.IPv4Address(f"{subnet}.{10 + i}")) for i in range(1, 7)]


def fixture_nodes(name: str) -> Any:
    return parse_nodes(split_report((FIXTURES / name).read_text())["cluster nodes"])


def test_target_chosen_by_live_role_from_recorded_cluster_nodes() -> None:
    healthy = fixture_nodes("healthy-primary.txt")
    nodes = nodes_of("172.31.210")
    t = choose(SCENARIOS["kill-primary"], healthy, nodes)
    assert (t.service, t.role, t.addr) == ("redis-1", "primary", "172.31.210.11:6379")
    assert (t.replica_service, t.replica_addr) == ("redis-5", "172.31.210.15:6379")
    r = choose(SCENARIOS["kill-replica"], healthy, nodes)
    assert (r.service, r.role) == ("redis-4", "replica")
    assert choose(SCENARIOS["restart-gateway"], healthy, nodes).service == "gateway"
    # After a failover the old primary .11 is failed and .15 has no replica: the first
    # primary with a healthy replica is .12.
    after = fixture_nodes("after-failover.txt")
    f = choose(SCENARIOS["failover"], after, nodes_of("172.31.211"))
    assert (f.service, f.replica_service) == ("redis-2", "redis-6")
    with pytest.raises(ToolError, match="not one of this stack's nodes"):
        choose(SCENARIOS["kill-primary"], healthy, nodes_of("172.31.99"))


def view_of(name: str, addr: str) -> View:
    parts = split_report((FIXTURES / name).read_text())
    return View(addr, parse_info(parts["cluster info"]), parse_nodes(parts["cluster nodes"]))


def test_recovery_rule_ignores_a_stale_ok_and_names_the_new_primary() -> None:
    target, slots = "172.31.211.11:6379", ("0-5460",)
    stale = [view_of("after-kill-stale-ok.txt", "172.31.211.12:6379")]
    problems = recovery_problems(stale, 2, 3, target, target, must_move=True)
    assert problems == ["172.31.211.12:6379: 2 primaries serve slots, want 3"]
    assert promoted(stale, target, slots) == ""
    failed = [view_of("after-kill-primary-failed.txt", "172.31.211.12:6379")]
    assert recovery_problems(failed, 2, 3, target, target, must_move=True)
    done = [view_of("after-failover.txt", "172.31.211.12:6379")]
    assert recovery_problems(done, 2, 3, target, target, must_move=True) == []
    assert promoted(done, target, slots) == "172.31.211.15:6379"
    assert recovery_problems(done, 3, 3, target, target, True) == ["1 of 2 nodes answered"]


def test_hash_slots_and_key_coverage() -> None:
    from stackctl.drill.keys import covered, on_node
    from stackctl.drill.slots import crc16, in_ranges, key_slot

    assert crc16(b"123456789") == 0x31C3  # the CRC16/XMODEM check value
    assert key_slot("foo") == 12182 and key_slot("bar") == 5061  # CLUSTER KEYSLOT
    assert key_slot("{user1000}.following") == key_slot("{user1000}.followers")
    assert in_ranges(5461, ("0-5460", "5461")) and not in_ranges(5462, ("0-5460", "5461"))
    healthy = fixture_nodes("healthy-primary.txt")
    hashes = [f"h{i}" for i in range(40)]
    slots = [key_slot("apikey-" + h) for h in hashes]
    first = next(i for i, s in enumerate(slots) if s <= 5460)
    assert on_node(hashes[first:first + 1], ("0-5460",)) == 1
    assert covered(hashes, healthy)
    assert not covered([h for h, s in zip(hashes, slots, strict=True) if s <= 5460], healthy)


def test_gate_output_parses_into_views() -> None:
    text = ("## 10.0.0.1:6379\ncluster_state:ok\ncluster_slots_ok:16384\n"
            "aa 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-16383\n"
            "## 10.0.0.2:6379\nCould not connect to Redis at 10.0.0.2:6379\n")
    views = parse_views(text)
    assert [v.addr for v in views] == ["10.0.0.1:6379", "10.0.0.2:6379"]
    assert views[0].info["cluster_state"] == "ok" and views[0].nodes[0].slot_count == 16384
    assert views[1].nodes == []


def test_bad_options_and_scenarios_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="valid: kill-primary, stop-primary"):
        scenarios(["kill-primary", "nuke-it"])
    assert [s.name for s in scenarios([])] == ["kill-primary"]
    for opts, what in ((DrillOptions(("kill-primary",), at_s=30), "--at"),
                       (DrillOptions(("kill-primary",), at_s=0), "--at"),
                       (DrillOptions(("kill-primary",), rate=0), "--rate"),
                       (DrillOptions(("kill-primary",), repeat=0), "--repeat")):
        with pytest.raises(ConfigError, match=what):
            opts.validate()
    assert DrillOptions(("kill-primary",), rate=100).connections == 208


def fake_ctx(replicas: int) -> Any:
    settings = SimpleNamespace(project="p", engine="compose",
                               redis=SimpleNamespace(replicas=replicas))
    engine = SimpleNamespace(name="compose", unsupported=lambda _feature: None,
                             require_running=lambda: None)  # a running stack, stated
    model = SimpleNamespace(settings=settings, external=False)
    return SimpleNamespace(engine=engine, model=model,
                           cluster=ManagedAccess(model, SimpleNamespace()))  # type: ignore[arg-type]


def test_primary_fault_on_zero_replicas_is_refused_unless_allowed() -> None:
    from stackctl.drill.run import check_input

    for name in ("kill-primary", "stop-primary", "pause-primary", "partition-primary"):
        with pytest.raises(ConfigError, match=r"0 replicas.*--allow-data-loss"):
            check_input(cast(Any, fake_ctx(0)), DrillOptions((name,)))
    allowed = check_input(cast(Any, fake_ctx(0)),
                          DrillOptions(("kill-primary",), allow_data_loss=True))
    assert [s.name for s in allowed] == ["kill-primary"]
    for name in ("kill-replica", "failover"):
        with pytest.raises(ConfigError, match="0 replicas"):
            check_input(cast(Any, fake_ctx(0)), DrillOptions((name,), allow_data_loss=True))
    assert check_input(cast(Any, fake_ctx(0)), DrillOptions(("restart-gateway",)))
    assert check_input(cast(Any, fake_ctx(0)), DrillOptions(("stop-pump",)))
    assert check_input(cast(Any, fake_ctx(1)), DrillOptions(("pause-primary",)))


@pytest.mark.parametrize(("args", "expected"), [
    (["drill", "nuke-it"], "scenario 'nuke-it': unknown; valid: kill-primary"),
    (["drill", "--duration", "10", "--at", "12"], "--at: 12 s is not inside --duration"),
    (["drill", "--slo", "speed>3"], "unknown metric 'speed'"),
    (["drill", "kill-primary"], "no compose stack rendered here"),
    (["drill", "--vary", "redis.node_timeout_ms=100"], "--vary redis.node_timeout_ms: 100 is "
     "out of range"),
    (["drill", "--vary", "gateway.max_active=ten"], "'ten' is not a whole number"),
    (["drill", "--vary", "gateway.local_session_cache=maybe"], "'maybe' is not on or off"),
    (["drill", "--vary", "redis.shards=3,4"], "cannot be varied; valid: redis.node_timeout_ms"),
    (["drill", "--vary", "gateway.max_active"], "is not SETTING=LIST"),
    (["drill", "--vary", "gateway.max_active=1,2,3,4,5", "--vary",
      "redis.node_timeout_ms=1000,2000,3000"], "15 combinations; at most 12"),
    (["drill", "--vary", "images.gateway=Stackctl/GW:1"], "--vary images.gateway: "
     "'Stackctl/GW:1' is not an image reference; give e.g. images.gateway="),
    (["drill", "--vary", "images.gateway=a b"], "'a b' is not an image reference"),
    (["drill", "--vary", "images.gateway=stackctl/tyk-gateway:"], "is not an image reference"),
    (["drill", "--vary", "images.gateway="], "--vary images.gateway: no values; give e.g. "
     "images.gateway=IMAGE1,IMAGE2"),
    (["drill", "--vary", "images.gateway=stackctl/absent-a:x,stackctl/absent-b:y"],
     "--vary images.gateway: stackctl/absent-a:x, stackctl/absent-b:y not present on this "
     "engine"),
])
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], expected: str
                                      ) -> None:
    out = stackctl(*args, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], out.stderr
    assert not (tmp_path / ".stackctl" / "drill").exists()
