"""Sweep logic: options, recommendation arithmetic, median/spread, idle A/B."""

from __future__ import annotations

import pytest

from stackctl.errors import ConfigError
from stackctl.sweep.idle import idle_ab
from stackctl.sweep.overrides import point_env
from stackctl.sweep.points import AA, IDLE_B, Point, SweepOptions, fingerprint, parse_list
from stackctl.sweep.project import TargetLoad, demand, must_wait, project
from stackctl.sweep.recommend import Candidate, Noise, knee, recommend, worst_case
from stackctl.sweep.stats import spread, summarize_repeats, t_interval


@pytest.mark.unit
def test_worst_case_is_pools_times_gateways_plus_pump_times_size() -> None:
    assert worst_case(500, 1) == (4 * 1 + 1) * 500 == 2500
    assert worst_case(1000, 3) == 13_000


def _c(size: int, *rps: float, **kw: object) -> Candidate:
    return Candidate(size, t_interval(rps), **kw)  # type: ignore[arg-type]


@pytest.mark.unit
def test_t_interval_of_three_repeats() -> None:
    # The issue's own repeats: 5,408 / 5,659 / 4,704 req/s.
    i = t_interval([5408.0, 5659.0, 4704.0])
    assert i.mean == pytest.approx(5257.0) and i.n == 3
    assert i.sd == pytest.approx(495.1, abs=0.1)
    assert i.high - i.mean == pytest.approx(4.303 * 495.1 / 3 ** 0.5, abs=0.5)
    one = t_interval([6352.0])
    assert not one.measured and one.low == one.high == 6352.0


@pytest.mark.unit
def test_the_issue_s_two_points_are_indistinguishable_not_a_winner() -> None:
    # 6,352 vs 6,299 req/s from one repeat each: the 2% rule said "50"; this says the
    # two cannot be told apart, and recommends the smallest safe one of the group.
    rec = recommend([_c(50, 6352.0), _c(500, 6299.0)], gateways=1, maxclients=10_000)
    assert rec.group == [50, 500] and rec.slower == [] and rec.max_active == 50
    assert any("no pool is called slower" in line for line in rec.lines)


@pytest.mark.unit
def test_slower_needs_the_interval_to_clear_the_best_and_the_aa_noise() -> None:
    best = _c(64, 1000.0, 1010.0, 990.0)
    far = _c(4, 800.0, 810.0, 790.0)     # interval clears the best's
    near = _c(16, 985.0, 995.0, 975.0)   # overlaps it
    rec = recommend([far, near, best], gateways=1, maxclients=10_000)
    assert rec.slower == [4] and rec.group == [16, 64] and rec.max_active == 16
    # the knee is the mechanism's (no waits or timeouts anywhere): throughput alone
    # does not move it
    assert rec.knee == 4 and "nothing below it swept" in rec.lines[-2]
    # A wide A/A noise (250 req/s between two identical runs) swallows the 200 gap.
    noise = Noise(64, (1000.0, 1010.0, 990.0), (750.0, 760.0, 740.0))
    assert noise.outliers == [] and noise.pct == pytest.approx(28.57, abs=0.01)
    assert noise.band == 250.0  # 28.57% of the pair's mean, 875
    rec = recommend([far, near, best], gateways=1, maxclients=10_000, noise=noise)
    assert rec.slower == [] and rec.max_active == 4
    assert any(line.startswith("A/A noise: max_active 64 twice") for line in rec.lines)


@pytest.mark.unit
def test_unsafe_pools_stay_in_the_group_but_are_never_recommended() -> None:
    cands = [_c(1, 1000.0, 1005.0, 995.0, waits=True),
             _c(2, 1000.0, 1002.0, 998.0, pool_timeouts=3),
             _c(8, 1001.0, 1003.0, 999.0, waits=False),
             _c(64, 2000.0, 2100.0, 1900.0, stable=False)]
    rec = recommend(cands, gateways=1, maxclients=10_000)
    assert rec.group == [1, 2, 8] and rec.max_active == 8 and rec.knee == 8
    assert any(line.endswith("below it: 1 (waits), 2 (3 pool timeouts)")
               for line in rec.lines), rec.lines
    assert rec.unsafe[1] == ["waits: the commands in flight per node exceed 4 pools x 1 "
                             "(Little's law)"]
    assert rec.unsafe[2] == ["3 pool timeout(s)"]
    assert rec.best_max_active == 8  # the unstable 2000 neither wins nor sets the bar
    assert any("unstable: ignored" in line for line in rec.lines)
    assert rec.lines[-1].startswith("recommended optimisation_max_active = 8")


@pytest.mark.unit
def test_pools_over_maxclients_are_not_safe() -> None:
    # 3 gateways: (4*3+1) x 1000 = 13000 >= 10000, so the 1000 is out.
    rec = recommend([_c(1000, 1000.0, 1001.0, 999.0)], gateways=3, maxclients=10_000)
    assert rec.max_active is None
    assert any("13000 >= maxclients 10000: over maxclients" in line for line in rec.lines)
    assert rec.lines[-1].startswith("no pool size qualifies")


@pytest.mark.unit
def test_knee_is_the_smallest_pool_from_which_all_larger_are_good() -> None:
    assert knee([1, 2, 4, 8, 64], {2, 8, 64}) == 8
    assert knee([1, 2, 4], {1, 2, 4}) == 1
    assert knee([1, 2, 4], {1, 2}) is None


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
    # one repeat of two sagged: not most of them, so the point stays steady, and says so
    assert s["stable"] is True and s["unstable_repeats"] == 1
    assert s["saturated"] == "gateway-cpu"


@pytest.mark.unit
def test_points_sorted_with_the_aa_pair_and_idle_b_at_the_own_pool() -> None:
    points = SweepOptions(max_active=(256, 16, 64, 16)).points(own=500)
    assert points == [Point(16), Point(64), Point(256), Point(500), Point(500, arm=AA),
                      Point(500, IDLE_B)]
    assert points[-1].slug == "active-500-idle-2000" and points[-2].slug == "active-500-aa"
    assert SweepOptions(max_active=(8,)).points(own=500) == [Point(8), Point(8, IDLE_B)]
    # the own pool already swept: no extra point, only its second run
    assert SweepOptions(max_active=(1, 64), idle_ab=False).points(own=64) == [
        Point(1), Point(64), Point(64, arm=AA)]
    # one pool asked: nothing to judge, no A/A
    assert SweepOptions(max_active=(8,), idle_ab=False).points(own=500) == [Point(8)]
    assert SweepOptions(max_active=(1, 8), aa=False, idle_ab=False).points(500) == [
        Point(1), Point(8)]


@pytest.mark.unit
def test_options_validation_and_list_parsing() -> None:
    assert parse_list("16, 64,256") == (16, 64, 256)
    with pytest.raises(ConfigError, match="--max-active"):
        parse_list("16,lots")
    with pytest.raises(ConfigError, match="--gateways"):
        SweepOptions(gateways=9).validate()
    with pytest.raises(ConfigError, match="--max-active"):
        SweepOptions(max_active=(0,)).validate()
    with pytest.raises(ConfigError, match="--gateways"):
        SweepOptions(gateways=0).validate()


@pytest.mark.unit
@pytest.mark.parametrize(("options", "flag"), [
    (SweepOptions(target_rate=0.0), "--target-rate"),
    (SweepOptions(target_rate=-5.0), "--target-rate"),
    (SweepOptions(target_rate=100.0, target_gateways=0), "--target-gateways"),
    # 3 gateways: one connection per pool is already (4 x 3 + 1) x 1 = 13 per node
    (SweepOptions(target_rate=100.0, target_gateways=3, maxclients=13), "--maxclients"),
    (SweepOptions(maxclients=10_000), "--target-rate"),
])
def test_bad_projection_input_names_the_setting(options: SweepOptions, flag: str) -> None:
    with pytest.raises(ConfigError) as err:
        options.validate()
    assert flag in str(err.value) and "\n" not in str(err.value)
    SweepOptions(target_rate=100.0, target_gateways=3, maxclients=14).validate()


@pytest.mark.unit
def test_little_s_law_demand_waits_and_projection() -> None:
    # Measured here at the reference pool: 1.02 commands/request on redis-1 at 4,000
    # req/s = 4,080 commands/s, with 7 gateway connections in use (40 open: a burst left
    # idle, which is no demand).
    nodes = {"redis-1": {"commands_per_s": 4080.0, "commands_per_request": 1.02,
                         "usec_per_call": 2.6, "gateway_connections": 40,
                         "in_use_connections": 7.0},
             "redis-2": {"commands_per_s": 0.0, "commands_per_request": 0.0,
                         "usec_per_call": 0.0, "gateway_connections": 0,
                         "in_use_connections": 0.0}}
    (d,) = demand(nodes, gateways=1)
    assert d.hold_us == pytest.approx(7 / 4080 * 1e6, abs=0.1)  # 1715.7 µs held
    assert must_wait(1, [d]) and not must_wait(2, [d])  # 7 > 4 x 1; 7 <= 4 x 2
    here = project([d], TargetLoad(4000.0, 1), maxclients=10_000)
    assert here["in_flight_per_node"] == pytest.approx(7.0, abs=0.01)
    assert (here["min_pool"], here["pool"]) == (2, 4)  # ceil(7/4), ceil(2 x 7 / 4)
    # 40,000 req/s over 4 gateways: 10 x the rate, 4 x the gateways -> 17.5 in flight
    prod = project([d], TargetLoad(40_000.0, 4), maxclients=10_000)
    assert prod["in_flight_per_node"] == pytest.approx(17.5, abs=0.01)
    assert (prod["min_pool"], prod["pool"]) == (5, 9)
    assert prod["worst_case"] == (4 * 4 + 1) * 9 and prod["fits"]
    assert not project([d], TargetLoad(40_000.0, 4), maxclients=100)["fits"]


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
