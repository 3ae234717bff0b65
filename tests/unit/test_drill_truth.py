"""Issue 25's arithmetic on stated inputs: the window's three phases (they add up to the
fault-to-last-failure time and to the window), the valid keys' rejection class, the
seconds a probe said pass while clients failed, the restarts a chart liveness probe
would have made, which gateway releases serve /ready, and how long analytics survive a
pump outage (parsed from a gate's real output shape). The health client and the prober
against a real local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stackctl.clients.health import HealthClient
from stackctl.drill.buckets import CLASSES
from stackctl.drill.logs import count_signatures, line_time
from stackctl.drill.phases import evidence, phases, rejected
from stackctl.drill.probe_flags import liveness_restarts, lying, probe_figures
from stackctl.drill.probes import Prober, ProbeTarget, ready_served, series
from stackctl.drill.report_truth import headline, phase_lines, probe_lines, survival_line
from stackctl.drill.survival import ListState, NodeMemory, parse, survival
from stackctl.tyk.tables import ANALYTICS_EXPIRY_S, CHART_LIVENESS, HELLO, PUMP_HEALTH

pytestmark = pytest.mark.unit


def bucket(**counts: int) -> dict[str, int]:
    out = dict.fromkeys(CLASSES, 0)
    out.update({k.replace("r4", "401/403"): v for k, v in counts.items()})
    return out


# -- the window's phases ----------------------------------------------------------------

def test_phases_add_up_to_the_fault_to_last_failure_time() -> None:
    # kill-primary at 8.03 s, failures 8.0-20.1 s (the fault's bucket counts from it),
    # the cluster recovered at 11.9 s.
    window = {"start_s": 8.0, "end_s": 20.1, "seconds": 12.1}
    p = phases(8.03, window, 11.9)
    assert p["to_first_failure_s"] == 0.0
    assert p["until_recovery_s"] == pytest.approx(3.87)
    assert p["after_recovery_s"] == pytest.approx(8.2)
    assert p["total_s"] == pytest.approx(20.1 - 8.03)
    assert p["recovered_in_window"] is True


def test_phases_with_a_session_cache_delay_and_no_tail() -> None:
    # first failure 2 s after the fault (cached sessions), all over before the recovery
    p = phases(8.0, {"start_s": 10.0, "end_s": 12.0, "seconds": 2.0}, 15.5)
    assert (p["to_first_failure_s"], p["until_recovery_s"], p["after_recovery_s"]) == (
        2.0, 2.0, 0.0)
    assert p["total_s"] == 4.0 and p["recovered_in_window"] is False
    # the cluster never recovered within the run: every failure counts before it
    p = phases(8.0, {"start_s": 8.5, "end_s": 30.0, "seconds": 21.5}, None)
    assert (p["until_recovery_s"], p["after_recovery_s"]) == (21.5, 0.0)
    # no failure after the fault at all
    assert phases(8.0, None, 11.0)["to_first_failure_s"] is None


def test_evidence_places_log_times_and_probe_samples_in_their_phase() -> None:
    p = phases(8.0, {"start_s": 9.0, "end_s": 20.0, "seconds": 11.0}, 12.0)
    events = {"key-not-found": [9.5, 10.2, 11.9], "storage-failed": [13.0], "connected": [1.0]}
    rows = [[8.5, 200, "pass", 1.0], [10.0, 200, "pass", 1.2], [14.0, 200, "fail", 1.1]]
    ev = evidence(p, 8.0, 12.0, events, {"hello": rows})
    assert ev["until_recovery"]["logs"]["key-not-found"] == {
        "count": 3, "first_s": 9.5, "last_s": 11.9}
    assert ev["after_recovery"]["logs"] == {"storage-failed": {
        "count": 1, "first_s": 13.0, "last_s": 13.0}}
    assert ev["to_first_failure"]["probes"] == {"hello": {"samples": 1, "pass": 1}}
    assert ev["after_recovery"]["probes"] == {"hello": {"samples": 1, "pass": 0}}
    lines = phase_lines({"phases": {**p, "evidence": ev}})
    assert lines[0].startswith("- window taken apart: fault -> first failure 1.0 s; "
                               "failing until the cluster recovered 3.0 s; failing after "
                               "the recovery 8.0 s (together 12.0 s")
    assert "key-not-found x3 (10-12 s)" in lines[2]


# -- valid keys rejected ----------------------------------------------------------------

def test_valid_key_rejections_share_and_span() -> None:
    # 100 ms buckets, fault at 0.2 s: rejections in buckets 3 and 5, timeouts in 4
    buckets = [bucket(**{"2xx": 10}), bucket(**{"2xx": 10, "r4": 1}), bucket(**{"2xx": 10}),
               bucket(**{"2xx": 5, "r4": 5}), bucket(**{"2xx": 6, "error": 4}),
               bucket(**{"2xx": 8, "r4": 2})]
    r = rejected(buckets, 0.2)
    assert r["requests"] == 7  # the one before the fault does not count
    assert r["share"] == round(7 / 40, 4) and r["share_of_failed"] == round(7 / 11, 4)
    assert (r["start_s"], r["end_s"], r["seconds"]) == (0.3, 0.6, 0.3)
    assert "**valid keys rejected for 0.3 s**" in headline({"valid_key_rejections": r})
    assert rejected([bucket(**{"2xx": 10})], 0.0)["seconds"] == 0.0


# -- what the probes said ---------------------------------------------------------------

def test_a_probe_that_says_pass_while_clients_fail_is_flagged() -> None:
    # 3 s at 10 requests per 100 ms; second 1 loses 5 of 100 (5%), second 2 one (1%)
    buckets = [bucket(**{"2xx": 10}) for _ in range(30)]
    for i in range(10, 15):
        buckets[i] = bucket(**{"2xx": 9, "r4": 1})
    buckets[25] = bucket(**{"2xx": 9, "error": 1})
    rows = [[i / 10, 200, "pass", 0.8] for i in range(30)]
    got = lying(rows, buckets)
    assert got == {"seconds": 1, "at_s": [1], "flag": True, "failing_seconds": 1}
    rows[12] = [1.2, 200, "fail", 0.8]  # one honest sample in that second: no flag
    assert lying(rows, buckets)["flag"] is False


def test_chart_liveness_restarts_from_a_series() -> None:
    assert (CHART_LIVENESS.period_s, CHART_LIVENESS.failure_threshold) == (2, 2)
    ok = [[i / 10, 200, "fail", 1.0] for i in range(300)]  # 5.8.1: 200 with redis fail
    assert liveness_restarts(ok, 30.0)["restarts"] == 0
    # no answer from 10.0 to 13.9 s, then 3.5 s answers (over the 3 s timeout) 20-24 s
    rows = [[i / 10, 0 if 100 <= i < 140 else 200, "pass", 1.0] for i in range(300)]
    for i in range(200, 250):
        rows[i] = [i / 10, 200, "pass", 3500.0]
    got = liveness_restarts(rows, 30.0)
    # ticks 10 and 12 fail -> restart at 12; quiet until 17; ticks 20, 22 -> restart at
    # 22; quiet until 27 (tick 24 is inside that delay)
    assert got["at_s"] == [12.0, 22.0] and got["restarts"] == 2
    assert got["failed_probes"] == 4


def test_ready_decided_from_the_release_then_asked() -> None:
    assert ready_served("v5.8.1") == (False, "Tyk v5.8.1 has no /ready (release table)")
    assert ready_served("v5.8.15")[0] is True and ready_served("v5.13.0")[0] is True
    assert ready_served("v5.10.0") == (False, "Tyk v5.10.0: /ready not asked")


HELLO_BODY = {"status": "pass", "details": {"redis": {"status": "fail"}}}
"""5.8.1's /hello in a Redis outage: HTTP 200, status pass, the Redis detail fail."""


class _Tyk(BaseHTTPRequestHandler):

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.5)
        body, code = {"/hello": (HELLO_BODY, 200), "/ready": ({"status": "fail"}, 503),
                      "/health": ({"status": "ok"}, 200)}.get(self.path, ({}, 404))
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Tyk)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_health_client_reads_what_each_endpoint_claims(server: str) -> None:
    with HealthClient(server, 2.0) as c:
        hello, ready, health = c.sample("/hello"), c.sample("/ready"), c.sample("/health")
        missing = c.sample("/nothing")
    assert (hello.status, hello.says) == (200, "fail")  # HTTP 200, Redis detail fail
    assert (ready.status, ready.says) == (503, "fail")
    assert (health.status, health.says) == (200, "pass")
    assert missing.status == 404
    with HealthClient(server, 0.2) as c:
        slow = c.sample("/slow")
    assert slow.status == 0 and slow.latency_s >= 0.2
    assert ready_served("v5.10.0", HealthClient(server, 1.0))[0] is True


def test_prober_is_bounded_in_count_and_time(server: str) -> None:
    prober = Prober([ProbeTarget(HELLO, server), ProbeTarget(PUMP_HEALTH, server)], 0.5)
    origin = time.time()
    prober.start(origin)
    time.sleep(1.0)
    got = prober.stop()
    assert set(got) == {"hello", "pump-health"}
    for samples in got.values():
        assert 3 <= len(samples) <= 6  # slots 0.0 .. 0.5 s
        assert all(origin - 0.05 <= s.at <= origin + 0.6 for s in samples)
    figures = probe_figures(got, {"ready": "not served"}, origin,
                            [bucket(**{"2xx": 10}) for _ in range(5)], 0.5)
    hello = figures["endpoints"]["hello"]
    assert hello["says"] == {"fail": len(got["hello"])} and "liveness" in hello
    assert "liveness" not in figures["endpoints"]["pump-health"]
    assert series(got["hello"], origin)[0][1] == 200
    lines = probe_lines({"probes": figures})
    assert lines[0].startswith("- probe /hello (gateway, every 0.1 s): ")
    assert any("would have restarted the gateway 0 time(s)" in x for x in lines)
    assert "- probe ready not sampled: not served" in lines


# -- log times --------------------------------------------------------------------------

def test_log_lines_carry_their_time() -> None:
    line = ('time="2026-12-07T00:17:16Z" level=info msg="Attempted access with '
            'non-existent key." prefix=auth-mw')
    at = line_time(line)
    assert at is not None
    got = count_signatures(line + "\nno time here\n", "gateway", at - 5.0)
    assert got["kinds"] == {"key-not-found": 1} and got["times"] == {"key-not-found": [5.0]}
    # the text logs' own format: "Jan 02 15:04:05", UTC, no year
    text = ('time="Dec 07 00:33:01" level=error msg="storage: Redis is either down or was '
            'not configured" prefix=main')
    assert line_time(text, 2026) == at + 945  # 00:17:16 -> 00:33:01
    got = count_signatures(text, "gateway", at)
    assert got["times"] == {"storage-failed": [945.0]}


# -- analytics survival -----------------------------------------------------------------

def gate_output() -> str:
    """Two nodes as redis-cli's raw output answers the script: an error takes two lines
    (its text, then an empty one), a nil an empty line, each reply followed by `--`."""
    moved = "MOVED 1 172.31.1.13:6379\n\n--\n"

    def trio(*values: str) -> str:
        return "".join(f"{v}\n--\n" if v != "MOVED" else moved for v in values)

    node1 = trio("MOVED", "MOVED", "MOVED", "600", "42", "540000") + moved * 27
    node2 = trio("0", "-2", "") + moved * 3 + trio("400", "55", "360000") + moved * 24
    return ("## 172.31.1.11:6379\nused_memory:2000000\nmaxmemory:3000000\n"
            "maxmemory_policy:noeviction\n##lists\n" + node1
            + "## 172.31.1.12:6379\nused_memory:1500000\nmaxmemory:0\n"
            "maxmemory_policy:noeviction\n##lists\n" + node2)


def test_survival_from_the_gate_output() -> None:
    nodes, lists = parse(gate_output())
    assert nodes == [NodeMemory("172.31.1.11:6379", 2000000, 3000000, "noeviction"),
                     NodeMemory("172.31.1.12:6379", 1500000, 0, "noeviction")]
    names = [(x.node, x.name, x.records, x.ttl_s) for x in lists]
    assert names == [("172.31.1.11:6379", "analytics-tyk-system-analytics_0", 600, 42),
                     ("172.31.1.12:6379", "analytics-tyk-system-analytics", 0, -2),
                     ("172.31.1.12:6379", "analytics-tyk-system-analytics_1", 400, 55)]
    sv = survival(100.0, nodes, lists)
    assert sv["records"] == 1000 and sv["bytes_per_record"] == 900.0
    # node 1: 60 of 100 records/s x 900 B = 54000 B/s into 1 MB of headroom
    assert sv["maxmemory_full_in_s"] == round(1000000 / 54000, 1) == 18.5
    assert sv["first_expiry_in_s"] == 42.0
    assert (sv["first_loss_in_s"], sv["maxmemory_node"]) == (18.5, "172.31.1.11:6379")
    assert sv["first_loss_cause"] == "172.31.1.11:6379 reaches maxmemory"
    assert sv["expiry_s"] == ANALYTICS_EXPIRY_S == 60


def test_survival_without_maxmemory_is_the_list_ttl() -> None:
    lists = [ListState("a", "l_0", 300, 51, 270000), ListState("b", "l_1", 100, 12, 90000)]
    sv = survival(50.0, [NodeMemory("a", 10, 0, "noeviction")], lists)
    assert (sv["first_loss_in_s"], sv["first_loss_cause"]) == (
        12.0, "a list expires (storage_expiration_time)")
    line = survival_line({"survival": {**sv, "first_loss_after_stop_s": 20.0}})[0]
    assert "records survive at most 60 s" in line and "lost 12 s after the reading" in line
    assert survival(None, [], [])["first_loss_in_s"] is None
