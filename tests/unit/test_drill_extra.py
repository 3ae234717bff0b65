"""The drill's newer arithmetic without Docker: the pre-fault rate check, the analytics
backlog and drain, the session-cache timing, the --vary values, combinations and their
comparison (on runs whose figures the test states), and the new scenarios' targets."""

from __future__ import annotations

from typing import Any

import pytest

from stackctl.drill import backlog, rate
from stackctl.drill import vary as vy
from stackctl.drill.logs import count_signatures
from stackctl.drill.measure import session_cache
from stackctl.drill.report import comparison_rows, render_markdown
from stackctl.drill.scenarios import SCENARIOS
from stackctl.drill.target import choose
from stackctl.errors import ConfigError
from stackctl.settings import Settings

pytestmark = pytest.mark.unit


def test_rate_check_window_and_verdict() -> None:
    assert rate.window(8.0) == (1.0, 7.95)
    assert rate.window(1.5) == (0.2, 1.45)
    assert rate.window(0.6) is None  # too short to judge
    # 100 req/s asked; 686 sent in 6.95 s = 98.7 req/s: within 2 %.
    ok = rate.held(100.0, 100, 1001.0, 786, 1007.95, 1000.0)
    assert ok.held == 98.7 and ok.passed and ok.short_by == 0.013
    assert (ok.start_s, ok.end_s, ok.sent) == (1.0, 7.95, 686)
    # 670 in 6.95 s = 96.4 req/s: 3.6 % short, refused in one line naming --rate.
    bad = rate.held(100.0, 100, 1001.0, 770, 1007.95, 1000.0)
    assert not bad.passed and bad.short_by == 0.036
    err = rate.refuse(bad, "kill-primary")
    assert isinstance(err, ConfigError) and err.exit_code == 2
    assert str(err).startswith("--rate: 100 req/s is not held here: the load sent 96.4")
    assert "kill-primary was not injected" in str(err) and "\n" not in str(err)
    # Exactly 2 % short still passes; just over does not.
    assert rate.held(100.0, 0, 0.0, 980, 10.0, 0.0).passed
    assert not rate.held(100.0, 0, 0.0, 979, 10.0, 0.0).passed


def test_live_count_stops_the_engine(tmp_path: Any) -> None:
    """The engine counts each send and stops taking requests once told to (a closed
    port: every request fails fast, still counted as sent)."""
    import socket
    import threading

    from stackctl.load.builtin import Live, run_builtin
    from stackctl.load.plan import LoadPlan

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens: connection refused at once
    live = Live()
    plan = LoadPlan(f"http://127.0.0.1:{port}/", ("k",), 20.0, 4, 200.0, timeout_s=0.5)
    box: dict[str, Any] = {}
    t = threading.Thread(target=lambda: box.update(r=run_builtin(plan, live)))
    t.start()
    import time

    time.sleep(1.0)
    sent_at_1s = live.sent
    live.stop = True
    t.join(10)
    assert not t.is_alive()
    result = box["r"]
    assert 150 <= sent_at_1s <= 215  # ~200 req/s actually sent
    assert len(result.timeline) == live.sent < 400  # stopped long before 20 s x 200
    assert result.elapsed_s < 3


def test_backlog_lengths_and_drain_figures() -> None:
    # Three primaries answer the lists they serve, MOVED for the others; a replica
    # answers MOVED for all.
    text = "\n".join(["5", "MOVED 1 10.0.0.2:6379", "0", "12", "MOVED 2 10.0.0.3:6379",
                      "3", "MOVED 9 10.0.0.1:6379", "0", "0", "7", "1", "2", "4", "0"])
    assert backlog.parse_lengths(text) == (34, 11)
    assert len(backlog.LISTS) == 11 and backlog.LISTS[1].endswith("_0")
    samples = [(101.0, 0), (102.0, 150), (104.0, 450)]
    fig = backlog.drain_figures(samples, 600, 110.0, 113.5, 100.0)
    assert fig == {"max": 600, "at_restart": 600, "growth_per_s": 150.0,
                   "restarted_s": 10.0, "drained_s": 13.5, "drain_s": 3.5, "samples": 3}
    never = backlog.drain_figures([], None, 110.0, None, 100.0)
    assert never["drain_s"] is None and never["max"] is None


def test_session_cache_expiry_after_the_fault() -> None:
    """The first drill's failures began 2.0 s after a fault at 8 s for every key: the
    keys' cached sessions expired at 10 s from the load's start (Tyk's fixed 10 s TTL);
    with the fault at 5 s they began 5 s after it, at the same 10 s."""
    at8 = session_cache(True, 7.97, {"start_s": 10.0})
    assert at8 == {"on": True, "ttl_s": 10, "next_expiry_s": 10, "expiry_after_fault_s": 2.03,
                   "first_failure_after_fault_s": 2.03}
    at5 = session_cache(True, 4.97, {"start_s": 10.0})
    assert at5["expiry_after_fault_s"] == at5["first_failure_after_fault_s"] == 5.03
    assert session_cache(True, 12.0, None)["next_expiry_s"] == 20
    off = session_cache(False, 8.0, {"start_s": 8.1})
    assert off["ttl_s"] is None and off["first_failure_after_fault_s"] == 0.1


def test_new_log_signatures_counted_by_kind() -> None:
    log = "\n".join([
        'level=error msg="EXECABORT Transaction discarded because of previous errors."',
        'level=error msg="redis: can\'t parse int reply: \\"*0\\""',
        'level=error msg="storage: Redis is either down or was not configured"',
        'level=warning msg="key lookup: Redis is either down"',
        'level=error msg="redis: connection pool timeout"',
        'level=error msg="http: proxy error: context canceled"',
        'level=info msg="nothing"'])
    got = count_signatures(log, "gateway")
    assert got["kinds"] == {"bad-reply": 1, "client-canceled": 1, "pool-timeout": 1,
                            "storage-failed": 2, "transaction-aborted": 1}
    assert got["error_lines"] == 5


def test_vary_values_parse_against_the_settings_model() -> None:
    v = vy.parse_vary("redis.node_timeout_ms=2000, 5000,15000,5000")
    assert v.knob.touches == "redis" and v.values == (2000, 5000, 15000)
    c = vy.parse_vary("gateway.local_session_cache=on,off")
    assert c.values == (True, False) and c.knob.touches == "gateways"
    for text, msg in (("redis.node_timeout_ms=100", "out of range"),
                      ("gateway.max_active=0", "out of range"),
                      ("gateway.storage_timeout_s=x", "not a whole number"),
                      ("gateway.port=1,2", "cannot be varied"),
                      ("gateway.max_active=", "no values"),
                      ("=1", "not SETTING=LIST")):
        with pytest.raises(ConfigError, match=msg):
            vy.parse_vary(text)
    with pytest.raises(ConfigError, match="given twice"):
        vy.parse_varies(["gateway.max_active=1", "gateway.max_active=2"])


def test_vary_combinations_settings_and_what_they_touch() -> None:
    varies = vy.parse_varies(["redis.node_timeout_ms=2000,5000",
                              "gateway.local_session_cache=on,off"])
    combos = vy.combinations(varies)
    assert combos == [
        {"redis.node_timeout_ms": 2000, "gateway.local_session_cache": True},
        {"redis.node_timeout_ms": 2000, "gateway.local_session_cache": False},
        {"redis.node_timeout_ms": 5000, "gateway.local_session_cache": True},
        {"redis.node_timeout_ms": 5000, "gateway.local_session_cache": False}]
    assert vy.combinations(()) == [{}]
    base = Settings()
    own = vy.current(base, varies)
    assert own == {"redis.node_timeout_ms": 2000, "gateway.local_session_cache": True}
    assert vy.touched(own, combos[2]) == {"redis"}
    assert vy.touched(combos[0], combos[1]) == {"gateways"}
    assert vy.touched(own, combos[0]) == set()
    s = vy.with_values(base, combos[3])
    assert s.redis.node_timeout_ms == 5000 and s.gateway.local_session_cache is False
    assert s.redis.shards == base.redis.shards and base.redis.node_timeout_ms == 2000
    assert vy.label(combos[3]) == ("redis.node_timeout_ms=5000, "
                                   "gateway.local_session_cache=off")


def _run(scenario: str, combo: dict[str, Any], window: float, recovery: float | None,
         repeat: int = 1, open_: bool = False) -> dict[str, Any]:
    return {"scenario": scenario, "vary": combo, "repeat": repeat, "error_window_s": window,
            "recovery_s": recovery, "error_window_open": open_}


def test_vary_comparison_names_the_shortest_window_and_its_gap() -> None:
    t2, t5, t15 = ({"redis.node_timeout_ms": n} for n in (2000, 5000, 15000))
    runs = [_run("kill-primary", t2, 4.0, 2.9), _run("kill-primary", t2, 5.0, 3.1, 2),
            _run("kill-primary", t5, 12.0, 7.4), _run("kill-primary", t15, 22.0, 17.0,
                                                      open_=True),
            _run("pause-primary", t2, 6.0, None), _run("pause-primary", t5, 6.0, 7.5)]
    cmp = vy.compare(runs)
    first = cmp["rows"][0]
    assert first == {"scenario": "kill-primary", "combination": "redis.node_timeout_ms=2000",
                     "vary": t2, "runs": 2, "error_window_s": 4.5, "recovery_s": 3.0,
                     "window_minus_recovery_s": 1.5, "open": False,
                     "failed_after_fault": None}
    assert cmp["rows"][2]["open"] is True
    best = cmp["best"]
    assert best["kill-primary"]["vary"] == t2
    assert vy.best_line("kill-primary", best["kill-primary"]) == (
        "kill-primary: shortest client error window with redis.node_timeout_ms=2000: 4.5 s, "
        "1.5 s longer than the cluster's own recovery (3.0 s)")
    # A tie on the window: the smaller gap to the recovery wins (6.0 vs 7.5: 1.5 s).
    assert best["pause-primary"]["vary"] == t5
    assert "1.5 s shorter than the cluster's own recovery (7.5 s)" in vy.best_line(
        "pause-primary", best["pause-primary"])
    report = {"comparison": cmp, "files": {"vary_plot": "/x/drill-vary.png"}}
    rows = comparison_rows(report)
    assert rows[2][3] == ">= 22.0 s" and rows[3][4] == "not within the run"


def test_vary_plot_draws_the_rows(tmp_path: Any) -> None:
    from stackctl.drill.plot import plot_vary

    cmp = vy.compare([_run("kill-primary", {"gateway.max_active": n}, w, r)
                      for n, w, r in ((50, 9.0, 7.0), (500, 6.0, 7.2))])
    path = plot_vary(cmp, tmp_path / "v.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_markdown_carries_the_comparison(tmp_path: Any) -> None:
    from stackctl.drill.report import build_report

    runs = [_full_run({"redis.node_timeout_ms": n}, w, r)
            for n, w, r in ((2000, 3.0, 2.5), (5000, 9.0, 7.0))]
    meta = {"project": "p", "release": "v5.8.15",
            "settings": {"shards": 3, "replicas": 1, "tls": "off", "node_timeout_ms": 5000,
                         "max_active": 500},
            "options": {"rate": 100, "duration_s": 30, "keys": 4, "timeout_s": 2.0,
                        "at_s": 8.0, "bucket_s": 0.1,
                        "vary": [{"setting": "redis.node_timeout_ms",
                                  "values": [2000, 5000]}]},
            "files": {"vary_plot": str(tmp_path / "drill-vary.png")}}
    report = build_report(runs, (), meta)
    md = render_markdown(report)
    assert "| kill-primary | redis.node_timeout_ms=2000 | 1 | 3.0 s | 2.5 s | 0.5 s |" in md
    assert ("- kill-primary: shortest client error window with redis.node_timeout_ms=2000: "
            "3.0 s, 0.5 s longer") in md
    assert "## kill-primary #1 [redis.node_timeout_ms=5000]" in md
    assert "live count 1.00-7.95 s: 1.0% short, within 2%" in md
    assert "the load's keys next re-read Redis 2.0 s after the fault" in md
    assert "5 failed requests after the fault, 0 before; the last failure 5.0 s after" in md


def _full_run(combo: dict[str, Any], window: float, recovery: float) -> dict[str, Any]:
    return {
        "scenario": "kill-primary", "summary": "", "repeat": 1, "vary": combo,
        "target": {"service": "redis-1", "role": "primary", "addr": "10.0.0.1:6379"},
        "cluster": {"promoted": "redis-4", "promoted_after_fault_s": recovery,
                    "polls": 10, "recovered_s": 8.0 + recovery},
        "fault_s": 8.0, "fault_took_s": 0.1, "recovery_s": recovery,
        "error_window": {"start_s": 10.0, "end_s": 10.0 + window, "failed": 5,
                         "seconds": window},
        "error_window_s": window, "error_window_open": False, "failed_after_fault": 5,
        "errors_until_after_fault_s": 2.0 + window,
        "failed_before_fault": 0, "p99_recovery_s": 3.0, "baseline_p99_ms": 3.0,
        "p99_back_within_ms": 6.0, "classes": {"2xx": 10, "error": 5},
        "rate_held_before_fault": 99.0,
        "rate_check": {"start_s": 1.0, "end_s": 7.95, "short_by": 0.01, "tolerance": 0.02},
        "session_cache": session_cache(True, 8.0, {"start_s": 10.0}),
        "load": {"keys": 4, "keys_on_target": 1, "rate": 100},
        "logs": {"gateway": {"kinds": {"transaction-aborted": 2}, "error_lines": 2},
                 "pump": {"kinds": {}, "error_lines": 0}},
        "analytics": {"served": 10, "delivered": 10, "lost": 0},
        "keys": {"valid": 4, "total": 4, "valid_at_once": 4, "waited_s": 0.0},
        "restore": {"target_role_after": "replica", "seconds": 5.0}, "plot": "x.png",
        "pump": None,
    }


def test_new_scenarios_and_their_targets() -> None:
    from stackctl.cluster.readiness import parse_nodes
    from stackctl.model import build_model

    part, pump = SCENARIOS["partition-primary"], SCENARIOS["stop-pump"]
    assert part.loses_primary and part.redis and part.role == "primary"
    assert pump.role == "pump" and not pump.redis and not pump.loses_primary
    nodes = build_model(Settings()).nodes
    a, b, c, d, e, f = (f"{n.ip}:{n.port}" for n in nodes)
    text = "\n".join([
        f"id1 {a}@16379 myself,master - 0 0 1 connected 0-5460",
        f"id2 {b}@16379 master - 0 0 2 connected 5461-10922",
        f"id3 {c}@16379 master - 0 0 3 connected 10923-16383",
        f"id4 {d}@16379 slave id1 0 0 1 connected",
        f"id5 {e}@16379 slave id2 0 0 2 connected",
        f"id6 {f}@16379 slave id3 0 0 3 connected"])
    view = parse_nodes(text)
    t = choose(part, view, nodes)
    assert (t.service, t.role, t.replica_service) == ("redis-1", "primary", "redis-4")
    from stackctl.drill.scenarios.partition_primary import pinned_ip

    assert pinned_ip(t) == str(nodes[0].ip)
    assert choose(pump, view, nodes).as_dict()["service"] == "pump"


def test_gateway_settings_for_vary_render_in_both_forms(tmp_path: Any) -> None:
    from pydantic import SecretStr

    from stackctl.model import build_model
    from stackctl.secrets import Secrets
    from stackctl.tyk.render_gateway import render_gateway

    secrets = Secrets(redis_password=SecretStr("pw"), gateway_secret=SecretStr("gs"),
                      licence=SecretStr(""))
    shipped = render_gateway(build_model(Settings(state_dir=tmp_path)), secrets, "v5.8.15")
    conf, env = shipped.as_json(), shipped.as_env()
    assert conf["storage"]["timeout"] == 5 and env["TYK_GW_STORAGE_TIMEOUT"] == "5"
    assert "local_session_cache" not in conf  # on, as shipped: Go's zero value left out
    varied = render_gateway(build_model(Settings(state_dir=tmp_path, gateway={
        "storage_timeout_s": 1, "local_session_cache": False})), secrets, "v5.8.15")
    conf, env = varied.as_json(), varied.as_env()
    assert conf["storage"]["timeout"] == 1 and env["TYK_GW_STORAGE_TIMEOUT"] == "1"
    assert conf["local_session_cache"] == {"disable_cached_session_state": True}
    assert env["TYK_GW_LOCALSESSIONCACHE_DISABLECACHESESSIONSTATE"] == "true"


def test_vary_of_the_node_timeout_refused_on_an_external_cluster() -> None:
    from types import SimpleNamespace
    from typing import cast

    from pydantic import SecretStr

    from stackctl.cluster.external_access import ExternalAccess
    from stackctl.drill.options import DrillOptions
    from stackctl.drill.run import check_input

    engine = SimpleNamespace(name="compose", unsupported=lambda _feature: None,
                             require_running=lambda: None)  # a running stack, stated
    model = SimpleNamespace(settings=SimpleNamespace(
        project="p", engine="compose", redis=SimpleNamespace(replicas=1)), external=True)
    ctx = SimpleNamespace(engine=engine, model=model,
                          cluster=ExternalAccess(cast(Any, model), lambda: SecretStr("")))
    node = DrillOptions(("stop-pump",), varies=vy.parse_varies(["redis.node_timeout_ms=2000"]))
    with pytest.raises(ConfigError, match=r"--vary redis.node_timeout_ms: .*external"):
        check_input(cast(Any, ctx), node)
    gw = DrillOptions(("stop-pump",), varies=vy.parse_varies(["gateway.max_active=50,500"]))
    assert [s.name for s in check_input(cast(Any, ctx), gw)] == ["stop-pump"]


A, B = "stackctl/tyk-gateway:v5.8.1-go-redis-v9.13.0", "stackctl/tyk-gateway:v5.8.1"
GW = {A: {"image": A, "release": "v5.8.1", "client": "go-redis v9.13.0 (image label)"},
      B: {"image": B, "release": "v5.8.1", "client": "go-redis v9.7.0 (image label)"}}


def _img_run(scenario: str, image: str, window: float, open_: bool = False,
             **more: Any) -> dict[str, Any]:
    run = _run(scenario, {"images.gateway": image, **more}, window, 4.0, open_=open_)
    return {**run, "gateway": GW[image]}


def test_vary_images_parse_settings_and_touch_only_the_gateways() -> None:
    v = vy.parse_vary(f"images.gateway={A}, {B},{A}")
    assert v.values == (A, B) and v.knob.touches == "gateways"
    own = vy.current(Settings(), (v,))
    assert own == {"images.gateway": None}  # the stack's own: the default image
    assert vy.touched(own, {"images.gateway": A}) == {"gateways"}
    s = vy.with_values(Settings(), {"images.gateway": B})
    assert s.images.gateway == B and s.images.offline is False and s.redis == Settings().redis
    for bad in ("UPPER/case:1", "sp ace", "x;rm", "name:"):
        with pytest.raises(ConfigError, match="is not an image reference"):
            vy.parse_vary(f"images.gateway={bad}")


def test_vary_images_names_the_image_that_shortened_the_window() -> None:
    runs = [_img_run("kill-primary", A, 5.0), _img_run("kill-primary", B, 20.0, open_=True),
            _img_run("pause-primary", A, 12.3), _img_run("pause-primary", B, 7.0)]
    cmp = vy.compare(runs)
    kill, pause = cmp["images"]
    assert (kill["image"], kill["against"], kill["shortened_by_s"]) == (A, B, 15.0)
    assert kill["gateway"] == GW[A] and kill["against_gateway"] == GW[B]
    assert vy.image_line(kill) == (
        f"kill-primary: {A} (Tyk v5.8.1, go-redis v9.13.0 (image label)) shortened the client "
        f"error window by at least 15.0 s against {B} (Tyk v5.8.1, go-redis v9.7.0 (image "
        "label)): 5.0 s against >= 20.0 s")
    assert (pause["image"], pause["shortened_by_s"]) == (B, 5.3)
    # With another varied setting: one comparison per value of it.
    more = [_img_run("kill-primary", img, w, **{"redis.node_timeout_ms": t})
            for img, w, t in ((A, 5.0, 2000), (B, 20.0, 2000), (A, 13.0, 5000),
                              (B, 13.0, 5000))]
    two = vy.compare(more)["images"]
    assert [e["others"] for e in two] == ["redis.node_timeout_ms=2000",
                                         "redis.node_timeout_ms=5000"]
    assert vy.image_line(two[1]).startswith(
        "kill-primary [redis.node_timeout_ms=5000]: neither image shortened")
    # Two windows both open at the load's end: lower bounds; the failed requests differ.
    tie = vy.compare([{**_img_run("kill-primary", img, 10.0, open_=True),
                       "failed_after_fault": n} for img, n in ((B, 499), (A, 290))])
    entry, = tie["images"]
    assert entry["image"] == A and entry["shortened_by_s"] == 0.0
    assert vy.image_line(entry).endswith(
        ">= 10.0 s (both still open at the load's end: lower bounds, rerun with a longer "
        "--duration); failed requests after the fault 290 against 499")
    assert vy.compare([_run("kill-primary", {"gateway.max_active": 5}, 1.0, 1.0)])[
        "images"] == []


def test_vary_images_report_names_each_runs_gateway_and_a_safe_png() -> None:
    from stackctl.drill.report import comparison_markdown, png_name

    run = _img_run("kill-primary", A, 5.0)
    run["repeat"] = 1
    assert png_name(run) == ("drill-kill-primary-stackctl_tyk-gateway_v5.8.1-go-redis-"
                             "v9.13.0-1.png")
    runs = [_img_run("kill-primary", A, 5.0), _img_run("kill-primary", B, 20.0)]
    md = "\n".join(comparison_markdown({"comparison": vy.compare(runs), "files": {}}))
    assert f"- kill-primary: {A} (Tyk v5.8.1" in md and "by 15.0 s against" in md
