"""Sweep logic: options, recommendation arithmetic, median/spread, idle A/B."""

from __future__ import annotations

import pytest

from stackctl.errors import ConfigError
from stackctl.sweep.idle import idle_ab
from stackctl.sweep.overrides import point_env
from stackctl.sweep.points import IDLE_B, Point, SweepOptions, fingerprint, parse_list
from stackctl.sweep.recommend import Candidate, recommend, worst_case
from stackctl.sweep.stats import spread, summarize_repeats


@pytest.mark.unit
def test_worst_case_is_pools_times_gateways_plus_pump_times_size() -> None:
    assert worst_case(500, 1) == (4 * 1 + 1) * 500 == 2500
    assert worst_case(1000, 3) == 13_000


@pytest.mark.unit
def test_recommend_smallest_within_two_percent_under_maxclients() -> None:
    cands = [Candidate(16, 900.0), Candidate(64, 985.0), Candidate(256, 1000.0),
             Candidate(1000, 995.0)]
    rec = recommend(cands, gateways=1, maxclients=10_000)
    assert rec.best_rps == 1000.0 and rec.threshold_rps == 980.0
    assert rec.max_active == 64
    assert any("(4 pools x 1 gateway(s) + 1 pump pool) x 64 = 320 < 10000: ok" in line
               for line in rec.lines)
    assert any(line.startswith("max_active 16") and "too slow" in line for line in rec.lines)


@pytest.mark.unit
def test_recommend_ignores_unstable_points() -> None:
    # 256 was fastest but sagged within a repeat: it neither wins nor sets the bar.
    cands = [Candidate(16, 900.0), Candidate(64, 985.0), Candidate(256, 2000.0, stable=False)]
    rec = recommend(cands, gateways=1, maxclients=10_000)
    assert rec.best_rps == 985.0 and rec.max_active == 64
    assert any(line.startswith("max_active 256") and "unstable: ignored" in line
               for line in rec.lines)
    assert recommend([Candidate(64, 985.0, stable=False)], 1, 10_000).max_active is None


@pytest.mark.unit
def test_recommend_skips_sizes_over_maxclients() -> None:
    # 3 gateways: (4*3+1) x 1000 = 13000 >= 10000, so the fast 1000 is out.
    cands = [Candidate(256, 500.0), Candidate(1000, 1000.0)]
    rec = recommend(cands, gateways=3, maxclients=10_000)
    assert rec.max_active is None
    assert any("13000 >= 10000: over maxclients" in line for line in rec.lines)
    assert rec.lines[-1].startswith("no pool size qualifies")


@pytest.mark.unit
def test_spread_median_and_range() -> None:
    s = spread([100.0, 110.0, 90.0])
    assert (s.median, s.min, s.max, s.n) == (100.0, 90.0, 110.0, 3)
    assert s.spread_pct == 20.0
    assert spread([]).n == 0 and spread([5.0]).spread_pct == 0.0
    assert spread([1.0, 2.0, 3.0, 4.0]).median == 2.5


@pytest.mark.unit
def test_summarize_repeats_totals_and_peaks() -> None:
    rep = [{"closed": {"rps": 10.0, "p50_ms": 1.0, "p99_ms": 5.0, "errors": 1, "non_2xx": 0},
            "fixed": {"rps": 5.0, "p50_ms": 1.0, "p99_ms": 3.0, "errors": 0, "non_2xx": 2},
            "pool_timeouts": 3, "redis_clients": {"redis-1": 7},
            "gateway_cpu_us_per_request": 400.0, "gateway_mem_mib": 40.0,
            "cost": {"redis_commands_per_request": 1.0, "new_connections_per_request": 0.01},
            "steady": {"passed": True}, "saturated": "gateway-cpu"},
           {"closed": {"rps": 30.0, "p50_ms": 2.0, "p99_ms": 9.0, "errors": 0, "non_2xx": 0},
            "fixed": {"rps": 5.0, "p50_ms": 1.0, "p99_ms": 4.0, "errors": 0, "non_2xx": 0},
            "pool_timeouts": 1, "redis_clients": {"redis-1": 9, "redis-2": 2},
            "gateway_cpu_us_per_request": 500.0, "gateway_mem_mib": 42.0,
            "cost": {"redis_commands_per_request": 3.0, "new_connections_per_request": 0.03},
            "steady": {"passed": False}, "saturated": "gateway-cpu"}]
    s = summarize_repeats(rep)
    assert s["rps"]["median"] == 20.0 and s["rps"]["spread_pct"] == 100.0
    assert (s["errors"], s["non_2xx"], s["pool_timeouts"]) == (1, 2, 4)
    assert s["redis_clients_max"] == {"redis-1": 9, "redis-2": 2}
    assert s["gateway_cpu_us_per_request"]["median"] == 450.0 and s["gateway_mem_mib"] == 41.0
    assert s["redis_commands_per_request"] == 2.0 and s["new_connections_per_request"] == 0.02
    assert s["stable"] is False and s["unstable_repeats"] == 1  # one repeat sagged
    assert s["saturated"] == "gateway-cpu"


@pytest.mark.unit
def test_points_sorted_with_idle_b_at_the_smallest_pool() -> None:
    points = SweepOptions(max_active=(256, 16, 64, 16)).points()
    assert points == [Point(16), Point(64), Point(256), Point(16, IDLE_B)]
    assert points[-1].slug == "active-16-idle-2000"
    assert SweepOptions(max_active=(8,), idle_ab=False).points() == [Point(8)]


@pytest.mark.unit
def test_options_validation_and_list_parsing() -> None:
    assert parse_list("16, 64,256") == (16, 64, 256)
    with pytest.raises(ConfigError, match="--max-active"):
        parse_list("16,lots")
    with pytest.raises(ConfigError, match="--gateways"):
        SweepOptions(gateways=9).validate()
    with pytest.raises(ConfigError, match="--max-active"):
        SweepOptions(max_active=(0,)).validate()


@pytest.mark.unit
def test_fingerprint_ignores_point_list_and_budget_not_load_shape() -> None:
    stack = {"shards": 3, "tls": "off"}
    base = fingerprint(SweepOptions(), stack)
    assert fingerprint(SweepOptions(max_active=(1, 2), budget_s=60), stack) == base
    assert fingerprint(SweepOptions(duration_s=3), stack) != base
    assert fingerprint(SweepOptions(), {**stack, "tls": "mtls"}) != base


@pytest.mark.unit
def test_point_env_uses_the_tables_names() -> None:
    env = point_env(Point(64, 2000))
    assert env["gateway"] == {"TYK_GW_STORAGE_MAXACTIVE": "64", "TYK_GW_STORAGE_MAXIDLE": "2000"}
    assert env["pump"]["TYK_PMP_ANALYTICSSTORAGECONFIG_MAXACTIVE"] == "64"
    assert "TYK_GW_STORAGE_MAXIDLE" not in point_env(Point(64))["gateway"]


@pytest.mark.unit
def test_idle_ab_verdicts() -> None:
    def s(median: float, pct: float, n: int = 3) -> dict[str, float]:
        return {"median": median, "spread_pct": pct, "n": n}

    within = idle_ab(s(1000, 5.0), s(1020, 3.0), "v5.8.0")
    assert within["diff_pct"] == 2.0 and within["verdict"].startswith("no measurable effect")
    assert within["read_by_release"] is False
    beyond = idle_ab(s(1000, 1.0), s(1100, 1.0), "v5.8.0")
    assert "exceeds the noise" in beyond["verdict"]
    single = idle_ab(s(1000, 0.0, 1), s(900, 0.0, 1), "v5.8.0")
    assert "noise not measured" in single["verdict"]
