"""Redis probe parsing and placement; the report's JSON shape and verdict."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from pydantic import SecretStr

from stackctl.cluster.access import parse_keys as parse_probe
from stackctl.cluster.preflight import SharedCluster
from stackctl.load.keys import SmokeKey, SmokeSetup
from stackctl.load.plan import LoadResult
from stackctl.meter.cost import Cost
from stackctl.smoke.options import SmokeOptions
from stackctl.smoke.redis_probe import placement
from stackctl.smoke.report import build_report
from stackctl.smoke.run import default_keys
from stackctl.smoke.shared import sharing
from stackctl.smoke.slo import parse_slos
from stackctl.tyk import lookup

pytestmark = pytest.mark.unit

T0 = 1_800_000_010.0
PROBE_OUT = """## role
{role}
## keys
{keys}
"""


def probe(node: str, role: str, *keys: str) -> object:
    return parse_probe(node, PROBE_OUT.format(role=role, keys="\n".join(keys)))


def test_parse_probe() -> None:
    node = parse_probe("redis-1", "## role\nmaster\n## keys\napikey-aa\nrate-limit-aa/1\n")
    assert node.role == "master" and node.keys == {"apikey-aa", "rate-limit-aa/1"}
    down = parse_probe("redis-2", "", "Could not connect")
    assert down.role == "" and down.error == "Could not connect"


def test_placement_counts_primaries_only_and_unions_samples() -> None:
    first = [probe("redis-1", "master", "apikey-aa", "rate-limit-aa/17"),
             probe("redis-2", "master", "apikey-bb"),
             probe("redis-3", "slave", "apikey-aa", "apikey-bb", "rate-limit-bb/17")]
    second = [probe("redis-1", "master", "apikey-aa"),
              probe("redis-2", "master", "apikey-bb", "rate-limit-bb/18"),
              probe("redis-3", "slave")]
    placed = placement([first, second], ["aa", "bb"])  # type: ignore[list-item]
    assert placed.passed, placed.detail()
    assert placed.per_primary == {"redis-1": 2, "redis-2": 2}
    only_first = placement([first], ["aa", "bb"])  # type: ignore[list-item]
    assert not only_first.passed and "counters 1/2" in only_first.detail()
    drl = placement([first], ["aa", "bb"], counters_expected=False)  # type: ignore[list-item]
    assert drl.passed and "gateway memory" in drl.detail()


def test_placement_fails_when_a_primary_holds_none() -> None:
    sample = [probe("redis-1", "master", "apikey-aa", "apikey-bb"), probe("redis-2", "master")]
    placed = placement([sample], ["aa", "bb"], counters_expected=False)  # type: ignore[list-item]
    assert not placed.passed and "redis-2 hold none" in placed.detail()


def make_cost(new_per_request: float = 0.001) -> Cost:
    return Cost(seconds=2.0, requests=200, cores=2, pool_timeouts=0,
                gateway_cpu_us_per_request=400.0, gateway_cores=0.04, gateway_memory_mib=60.0,
                redis_commands_per_request=3.0, redis_commands_per_node={"redis-1": 3.0},
                redis_top_commands=(("get", 2.0),), redis_cores_per_node={"redis-1": 0.01},
                new_connections_per_request=new_per_request, time_wait_upstream=3,
                loadgen_cores=0.05, loadgen_cpu_us_per_request=50.0, machine_busy_pct=20.0,
                shares_pct={}, saturated="none", reasons=())


def even_timeline(n: int, seconds: float, latency: float = 0.003
                  ) -> list[tuple[float, float, int]]:
    return [((i + 1) * seconds / n, latency, 200) for i in range(n)]


def make_report(**kw: object) -> object:
    keys = (SmokeKey(SecretStr("k0"), "aa", 10, 60.0, True),
            SmokeKey(SecretStr("k1"), "bb", 1_000_000, 60.0, False))
    made = SmokeSetup("stackctl-smoke-1234", "/stackctl-smoke-1234/", keys)
    result = LoadResult("builtin", [Counter({200: 10, 429: 90}), Counter({200: 100})],
                        {"p50": 1.0, "p95": 2.0, "p99": 3.0}, 2.0, T0, T0 + 2.0, True,
                        uncorrected_ms={"p50": 0.9, "p95": 1.9, "p99": 2.9},
                        timeline=even_timeline(200, 2.0))
    sample = [probe("redis-1", "master", "apikey-aa"), probe("redis-2", "master", "apikey-bb")]
    args: dict[str, object] = {
        "options": SmokeOptions(duration_s=2, slos=parse_slos(["p99<50ms", "rps>=1000"])),
        "rate": 100.0, "made": made, "result": result, "redis_samples": [sample],
        "hello": ["pass", "pass"], "unauthorized": [401, 403], "served": 203,
        "delivered": 203, "waited_s": 0.5, "cleanup_problems": [],
        "limiter": lookup.rate_limiter("default"), "cost": make_cost()}
    args.update(kw)
    return build_report(**args)  # type: ignore[arg-type]


def test_json_shape() -> None:
    report = make_report()
    data = json.loads(json.dumps(report.as_dict()))  # type: ignore[attr-defined]
    assert {"checks", "requests", "rps", "latency_ms", "analytics", "slos",
            "passed"} <= set(data)
    assert data["requests"] == 200 and data["rps"] == 100.0
    assert set(data["latency_ms"]) == {"p50", "p95", "p99"}
    assert data["analytics"]["served"] == 203 and data["analytics"]["delivered"] == 203
    names = [c["name"] for c in data["checks"]]
    assert names == ["success", "latency", "steady", "connection-reuse", "auth", "rate-limits",
                     "redis-keys", "gateway-health", "analytics"]
    assert data["cost"]["gateway_cpu_us_per_request"] == 400.0 and data["fifths"]
    assert all(set(c) == {"name", "passed", "detail"} for c in data["checks"])
    assert all(c["passed"] for c in data["checks"]), data["checks"]
    # every check passes but the rps objective (100 < 1000): the verdict is a failure
    assert [s["passed"] for s in data["slos"]] == [True, False]
    assert [s["slo"] for s in data["slos"]] == ["p99<50ms", "rps>=1000"]  # p99 given: no default
    assert data["passed"] is False
    assert "k0" not in json.dumps(data) and "k1" not in json.dumps(data)  # no key leaks


def test_failed_check_fails_the_report() -> None:
    report = make_report(delivered=0, options=SmokeOptions())
    assert report.passed is False  # type: ignore[attr-defined]
    assert "FAILED: analytics" in report.summary()  # type: ignore[attr-defined]


def test_another_pump_on_the_cluster_makes_delivery_not_judged_not_failed() -> None:
    """The puzzle of issue 25 ("63 served, 0 delivered"): with another deployment's pump
    on the cluster the analytics check is not judged, and the report says why."""
    other = SharedCluster(1, ("gw (solo-5)",), ("1 other gateway(s)",),
                          "another pump drains the analytics lists (x 12 -> 0)")
    shares = sharing(other, 1, lookup.rate_limiter("default"))
    report = make_report(delivered=0, options=SmokeOptions(), sharing=shares)
    data = report.as_dict()  # type: ignore[attr-defined]
    names = [c["name"] for c in data["checks"]]
    assert "analytics" not in names and "rate-limits" in names
    assert report.passed is True, data["checks"]  # type: ignore[attr-defined]
    assert data["not_checked"] == ["analytics delivered: not judged: another pump drains "
                                   "the analytics lists (x 12 -> 0)"]
    assert data["analytics"]["delivered"] == 0 and data["drl_gateways"] == 2
    summary = report.summary()  # type: ignore[attr-defined]
    assert summary.endswith("; not judged: analytics delivered; all checks pass"), summary
    rate = next(c for c in data["checks"] if c["name"] == "rate-limits")
    assert "the DRL hears 2 gateway(s)" in rate["detail"]
    unknown = sharing(SharedCluster(None, (), ("liveness",), "may drain"), 1,
                      lookup.rate_limiter("default"))
    blind = make_report(delivered=0, options=SmokeOptions(), sharing=unknown).as_dict()  # type: ignore[attr-defined]
    assert "rate-limits" not in [c["name"] for c in blind["checks"]]
    assert blind["not_checked"][0].startswith("rate-limits: not judged")


def test_default_latency_objective_applies_unless_the_user_names_p99() -> None:
    slow = LoadResult("builtin", [Counter({200: 10, 429: 90}), Counter({200: 100})],
                      {"p50": 100.0, "p95": 200.0, "p99": 300.0}, 2.0, T0, T0 + 2.0, True,
                      timeline=even_timeline(200, 2.0, 0.3))
    report = make_report(result=slow, options=SmokeOptions(duration_s=2))
    assert [(s.slo.text, s.passed) for s in report.slos] == [  # type: ignore[attr-defined]
        ("p99<=250ms", False)]
    relaxed = make_report(result=slow, options=SmokeOptions(slos=parse_slos(["p99<1s"])))
    assert relaxed.passed  # type: ignore[attr-defined]


def test_connection_churn_fails_connection_reuse_and_a_sagging_run_fails_steady() -> None:
    churn = make_report(cost=make_cost(new_per_request=0.9))
    check = {c.name: c for c in churn.checks}  # type: ignore[attr-defined]
    assert not check["connection-reuse"].passed and "0.9000 new" in check["connection-reuse"].detail
    sag = [*even_timeline(100, 1.0), *((1.0 + (i + 1) / 30, 0.003, 200) for i in range(30))]
    tail = LoadResult("builtin", [Counter({200: 10, 429: 90}), Counter({200: 30})],
                      {"p50": 1.0, "p95": 2.0, "p99": 3.0}, 2.0, T0, T0 + 2.0, True,
                      timeline=sag)
    steady = {c.name: c for c in make_report(result=tail).checks}[  # type: ignore[attr-defined]
        "steady"]
    assert not steady.passed and "throughput x0.33" in steady.detail
    unmetered = make_report(cost=None, unmetered="docker inspect: no such container")
    check = {c.name: c for c in unmetered.checks}  # type: ignore[attr-defined]
    assert not check["connection-reuse"].passed and "no such container" in check[
        "connection-reuse"].detail


def test_an_engine_without_a_timeline_says_steady_was_not_judged() -> None:
    wrk = LoadResult("wrk", [Counter({200: 10, 429: 90}), Counter({200: 100})],
                     {"p50": 1.0, "p95": 2.0, "p99": 3.0}, 2.0, T0, T0 + 2.0, False)
    report = make_report(result=wrk)
    assert "steady" not in [c.name for c in report.checks]  # type: ignore[attr-defined]
    assert any("not judged: the wrk engine" in line
               for line in report.cost_lines())  # type: ignore[attr-defined]


def test_markdown_carries_the_checks_and_the_cost() -> None:
    md = make_report().markdown()  # type: ignore[attr-defined]
    assert "| steady | pass |" in md and "gateway 400 µs CPU/request" in md
    assert "## Fifths of the run" in md


def test_options_validate_and_default_keys() -> None:
    from stackctl.errors import ConfigError

    with pytest.raises(ConfigError, match="--engine"):
        SmokeOptions(engine="locust").validate()
    with pytest.raises(ConfigError, match="--keys"):
        SmokeOptions(keys=1).validate()
    assert default_keys(3) == 18 and default_keys(16) == 96


def test_a_node_that_answers_once_is_enough() -> None:
    silent = parse_probe("redis-1", "## role\n\n## keys\n")
    assert silent.error.startswith("no answer to ROLE")
    later = [probe("redis-1", "master", "apikey-aa"), probe("redis-2", "master", "apikey-bb")]
    placed = placement([[silent, later[1]], later], ["aa", "bb"],  # type: ignore[list-item]
                       counters_expected=False)
    assert placed.passed, placed.detail()
    never = placement([[silent, later[1]]], ["aa", "bb"],  # type: ignore[list-item]
                      counters_expected=False)
    assert not never.passed and "redis-1: no answer to ROLE" in never.detail()


def test_up_lists_what_it_reports_only_apart_from_what_failed() -> None:
    """`up`'s short smoke names its informative misses (and any objective) as reported only,
    never as FAILED; a functional check that fails still reads FAILED."""
    from stackctl.smoke.step import INFORMATIVE

    slow = LoadResult("builtin", [Counter({200: 10, 429: 90}), Counter({200: 100})],
                      {"p50": 100.0, "p95": 200.0, "p99": 300.0}, 2.0, T0, T0 + 2.0, True,
                      timeline=even_timeline(200, 2.0, 0.3))
    report = make_report(result=slow, options=SmokeOptions(duration_s=2))
    assert report.passed is False  # type: ignore[attr-defined]
    assert "; FAILED: p99<=250ms" in report.summary()  # type: ignore[attr-defined]
    line = report.summary(INFORMATIVE)  # type: ignore[attr-defined]
    assert "FAILED" not in line and "; the checks it judges pass" in line, line
    assert line.endswith("; reported only, not judged: p99<=250ms"), line
    broken = make_report(result=slow, delivered=0, options=SmokeOptions(duration_s=2))
    line = broken.summary(INFORMATIVE)  # type: ignore[attr-defined]
    assert "; FAILED: analytics; reported only, not judged: p99<=250ms" in line, line
