"""The drill's finding when clients keep failing long after the cluster recovered (a
vanished primary's address, go-redis v9.3.1-v9.7.0's serialized dials): on runs whose
figures the test states, the k1/k3/k4 runs of notes-drill2 among them; the dial queue
named only for a gateway whose Redis client has the lock (issue 23)."""

from __future__ import annotations

from typing import Any

import pytest
from test_drill_extra import _full_run

from stackctl.drill.findings import (
    LAG_MARGIN_S,
    client_lag,
    findings,
    reload_tail,
    storage_timeout,
)
from stackctl.drill.report import build_report, render_markdown
from stackctl.drill.scenarios import SCENARIOS
from stackctl.tyk.gateway_version import version_of
from stackctl.tyk.tables import (
    DIAL_QUEUE,
    GO_REDIS_STATE_RELOAD_S,
    RELOAD_TAIL,
    RELOAD_TAIL_MARGIN_S,
    VERSION_LABELS,
)

pytestmark = pytest.mark.unit
SETTINGS = {"shards": 3, "replicas": 1, "tls": "off", "node_timeout_ms": 5000,
            "max_active": 500, "storage_timeout_s": 5}


AS_RELEASED = version_of("stackctl/tyk-gateway:v5.8.1").as_dict()
WITH_9_13 = version_of("stackctl/tyk-gateway:v5.8.1-go-redis-v9.13.0", {
    VERSION_LABELS["release"]: "v5.8.1", VERSION_LABELS["go_redis"]: "v9.13.0",
    VERSION_LABELS["storage"]: "v1.3.4"}).as_dict()


def _run(scenario: str, recovery: float | None, until: float | None, *,
         opened: bool = False, combo: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"scenario": scenario, "recovery_s": recovery, "errors_until_after_fault_s": until,
            "error_window_open": opened, "vary": combo or {}}


def test_the_fact_names_real_scenarios_and_a_real_setting() -> None:
    from stackctl.drill.vary import KNOBS

    assert set(DIAL_QUEUE.scenarios) <= set(SCENARIOS)
    assert "pause-primary" not in DIAL_QUEUE.scenarios  # its address stays: dials answer
    assert DIAL_QUEUE.setting in KNOBS  # the user can --vary it
    assert LAG_MARGIN_S == GO_REDIS_STATE_RELOAD_S == 10


def test_a_window_far_past_the_recovery_names_the_dial_queue() -> None:
    # k1: kill-primary, recovery 7.57 s after the fault, last failure 29.0 s after it.
    found = client_lag(_run("kill-primary", 7.57, 29.035), SETTINGS, AS_RELEASED)
    assert found is not None and found["kind"] == "dial-queue" and found["lag_s"] == 21.465
    assert found["setting"] == "gateway.storage_timeout_s" and found["storage_timeout_s"] == 5
    assert found["dial_lock"] is True
    text = found["text"]
    assert text.startswith("clients kept failing 21.5 s after the cluster recovered")
    # It says which client it read, and where from.
    assert ("the gateway image stackctl/tyk-gateway:v5.8.1 (Tyk v5.8.1, image tag) runs "
            "go-redis v9.7.0 (release table), storage v1.2.2 (release table): likely the "
            "dial lock of go-redis v9.3.1-v9.7.0") in text
    assert "dialHook" in text and "Each dial waits 5 s" in text
    assert "--vary gateway.storage_timeout_s=1,5" in text and "v9.7.1" in text
    # A window still open at the end of the load is a lower bound, and says so.
    assert "at least 25.0 s" in client_lag(_run("stop-primary", 8.0, 33.0, opened=True),
                                           SETTINGS, AS_RELEASED)["text"]  # type: ignore[index]


def test_a_client_without_the_lock_is_not_blamed_on_it() -> None:
    found = client_lag(_run("kill-primary", 4.4, 20.0), SETTINGS, WITH_9_13)
    assert found is not None and found["kind"] == "client-lag" and found["dial_lock"] is False
    text = found["text"]
    assert ("runs go-redis v9.13.0 (image label), storage v1.3.4 (image label), without the "
            "dial lock") in text
    assert "dial lock (v9.3.1-v9.7.0, fixed in go-redis v9.7.1" in text
    assert "not the dial queue" in text and "likely" not in text and "dialHook" not in text
    assert "CLUSTER SLOTS reload" in text and "analytics records buffer" in text
    # The same figures on the as-released client name the lock.
    assert client_lag(_run("kill-primary", 4.4, 20.0), SETTINGS, AS_RELEASED)[  # type: ignore[index]
        "kind"] == "dial-queue"


def test_a_client_not_read_is_hedged() -> None:
    found = client_lag(_run("kill-primary", 4.4, 20.0), SETTINGS)  # an older report
    assert found is not None and found["dial_lock"] is None
    assert "Redis client was not read: possibly, if it is go-redis v9.3.1-v9.7.0" in (
        found["text"])
    unknown = version_of("tykio/tyk-gateway:v5.2.0").as_dict()
    assert client_lag(_run("kill-primary", 4.4, 20.0), SETTINGS, unknown)[  # type: ignore[index]
        "text"].count("possibly") == 1


def test_no_finding_within_the_clients_topology_refresh_or_for_other_faults() -> None:
    # k4: recovery 8.63 s, last failure 14.0 s after the fault: 5.4 s, the normal reload.
    assert client_lag(_run("kill-primary", 8.634, 14.016), SETTINGS) is None
    assert client_lag(_run("kill-primary", 8.0, 8.0 + LAG_MARGIN_S), SETTINGS) is None
    assert client_lag(_run("kill-primary", 8.0, 18.01), SETTINGS) is not None
    # pause-primary's long windows have another cause: not named as this one.
    assert client_lag(_run("pause-primary", 8.7, 30.0), SETTINGS) is None
    # Nothing to compare: no recovery within the run, or no failure at all.
    assert client_lag(_run("kill-primary", None, 30.0), SETTINGS) is None
    assert findings(_run("partition-primary", 8.0, None), SETTINGS) == []


def test_the_timeout_is_the_runs_own_under_vary() -> None:
    run = _run("partition-primary", 8.0, 30.0, combo={"gateway.storage_timeout_s": 1})
    assert storage_timeout(run, SETTINGS) == 1.0
    assert "Each dial waits 1 s" in client_lag(run, SETTINGS, AS_RELEASED)[  # type: ignore[index]
        "text"]
    assert storage_timeout(_run("kill-primary", 1, 2), {}) is None  # an older report


def test_the_report_carries_the_finding_in_json_and_markdown() -> None:
    late, fine = _full_run({}, 27.0, 7.6), _full_run({}, 4.0, 7.6)
    late["repeat"], fine["repeat"] = 1, 2
    meta = {"project": "p", "release": "v5.8.15", "settings": SETTINGS,
            "options": {"rate": 100, "duration_s": 40, "keys": 4, "timeout_s": 2.0,
                        "at_s": 8.0, "bucket_s": 0.1, "vary": []}, "files": {}}
    report = build_report([late, fine], (), meta)
    assert [len(r["findings"]) for r in report["runs"]] == [1, 0]
    assert report["runs"][0]["findings"][0]["lag_s"] == 21.4  # 2.0 + 27.0 - 7.6
    md = render_markdown(report)
    assert md.count("- **finding**: clients kept failing 21.4 s after the cluster") == 1
    assert "Engine " not in md  # compose: the engine has nothing to add
    noted = render_markdown(build_report([late], (), {**meta, "engine": "swarm",
                                                     "engine_note": "faults act here."}))
    assert "\nEngine swarm: faults act here.\n" in noted
    # The report names the gateway image, release and client it read; the finding follows.
    report = build_report([late], (), {**meta, "gateway": WITH_9_13})
    assert report["runs"][0]["findings"][0]["kind"] == "client-lag"
    md = render_markdown(report)
    assert md.startswith("# stackctl drill: p\n\nGateway image stackctl/tyk-gateway:v5.8.1-"
                         "go-redis-v9.13.0: Tyk v5.8.1 (image label), go-redis v9.13.0 "
                         "(image label), storage v1.3.4 (image label); Redis Cluster 3 x 1")


def test_a_tail_past_the_target_names_the_lazy_reload_and_its_lines() -> None:
    # mtls pause-primary, 2026-12-07: recovery 4.03 s, last failure 13.71 s after the fault.
    found = reload_tail(_run("pause-primary", 4.03, 13.71))
    assert found is not None and found["kind"] == "reload-tail" and found["lag_s"] == 9.68
    text = found["text"]
    assert text.startswith("clients kept failing 9.7 s after the cluster recovered (the "
                           "phase after recovery; more than 2 s)")
    assert "clusterStateHolder.Get" in text and "redisv9.go" in text
    assert "no Tyk setting changes the reload" in text
    assert "pause-primary" in RELOAD_TAIL.scenarios and RELOAD_TAIL_MARGIN_S == 2
    # Within the target, or nothing to compare: no finding.
    assert reload_tail(_run("kill-primary", 4.0, 6.0)) is None
    assert reload_tail(_run("kill-primary", 4.0, 6.01)) is not None
    assert reload_tail(_run("kill-primary", None, 20.0)) is None
    assert reload_tail(_run("kill-replica", 4.0, 20.0)) is None
    # A known client defect wins: one finding per run, the dial queue's.
    both = findings(_run("kill-primary", 7.57, 29.035), SETTINGS, AS_RELEASED)
    assert [f["kind"] for f in both] == ["dial-queue"]
    assert [f["kind"] for f in findings(_run("pause-primary", 8.7, 30.0), SETTINGS,
                                        AS_RELEASED)] == ["reload-tail"]
