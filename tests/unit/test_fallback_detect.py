"""Start-up detection against recorded logs, and the watch loop with a fake runtime."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from stackctl.runtime.docker_cli import ServiceState
from stackctl.tyk.detect import classify, last_signature
from stackctl.tyk.watch import watch

pytestmark = pytest.mark.unit

LOGS = Path(__file__).parent / "fixtures" / "logs"
GW = "v5.8.0-e65eff00608a"
PUMP = "v1.14.0"


def log(name: str) -> str:
    return (LOGS / name).read_text()


def state(service: str, st: str = "running", health: str = "healthy",
          code: int = 0) -> ServiceState:
    return ServiceState(service, f"p-{service}-1", st, health, code)


def test_healthy_gateway_is_ok() -> None:
    d = classify("gateway", GW, state("gateway"), log("gateway-v5.8-healthy.log"), 5, 60, 10)
    assert d is not None and d.ok and d.outcome == "healthy"


def test_wrong_ca_gateway_fails_on_its_signature_after_the_grace() -> None:
    text = log("gateway-v5.8-wrong-ca.log")
    starting = state("gateway", health="starting")
    assert classify("gateway", GW, starting, text, 3, 60, 10) is None
    d = classify("gateway", GW, starting, text, 11, 60, 10)
    assert d is not None and not d.ok and d.outcome == "signature"
    assert d.signature is not None and d.signature.meaning == "storage-failed"
    assert d.signature.in_release


def test_pump_healthy_endpoint_but_failing_purge_loop_fails() -> None:
    d = classify("pump", PUMP, state("pump"), log("pump-v1.14-wrongpass.log"), 12, 60, 10)
    assert d is not None and not d.ok
    assert "Error on Purge Loop" in (d.signature.text if d.signature else "")
    ok = classify("pump", PUMP, state("pump"), log("pump-v1.14-healthy.log"), 12, 60, 10)
    assert ok is not None and ok.ok


def test_exited_test_double_names_the_old_release_signature() -> None:
    d = classify("gateway", GW, state("gateway", "exited", "", 1),
                 log("gateway-test-double-exit.log"), 1, 60, 10)
    assert d is not None and d.outcome == "exited"
    assert "exited with code 1" in d.detail
    assert d.signature is not None and not d.signature.in_release
    assert "signature of other releases" in d.detail


def test_old_gateway_stalled_on_clustered_mode_times_out_as_stalled() -> None:
    text = 'level=info msg="--> Using clustered mode"\n'
    hit = last_signature("gateway", "v2.9.2", text)
    assert hit is not None and hit.in_release and hit.meaning == "cluster-mode"
    d = classify("gateway", "v2.9.2", state("gateway", health="starting"), text, 61, 60, 10)
    assert d is not None and d.outcome == "timeout" and "stalled" in d.detail


def test_missing_and_restarting_containers_fail() -> None:
    assert classify("pump", PUMP, None, "", 0, 60, 10).outcome == "missing"  # type: ignore[union-attr]
    d = classify("pump", PUMP, state("pump", "restarting", ""), "", 0, 60, 10)
    assert d is not None and d.outcome == "restarting"


class FakeObservable:
    """A fake runtime: scripted states and logs per poll (the watch reads them from
    threads, so each kind of read counts its own rounds)."""

    def __init__(self, rounds: list[dict[str, tuple[ServiceState, str]]]) -> None:
        self.rounds = rounds
        self.i = 0
        self.log_reads: dict[str, int] = {}

    def states(self, services: Sequence[str]) -> list[ServiceState]:
        current = self.rounds[min(self.i, len(self.rounds) - 1)]
        self.i += 1
        return [s for name, (s, _) in current.items() if name in services]

    def service_log(self, service: str, tail: int | None = None) -> str:
        n = self.log_reads.get(service, 0)
        self.log_reads[service] = n + 1
        return self.rounds[min(n, len(self.rounds) - 1)][service][1]


def test_watch_returns_on_first_exit_and_marks_others_pending() -> None:
    fake = FakeObservable([
        {"gateway": (state("gateway", health="starting"), ""),
         "pump": (state("pump", health="starting"), "")},
        {"gateway": (state("gateway", "exited", "", 1), log("gateway-test-double-exit.log")),
         "pump": (state("pump", health="starting"), "")},
    ])
    now = [0.0]
    got = watch(fake, {"gateway": GW, "pump": PUMP}, timeout=60,
                clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert [(d.component, d.outcome) for d in got] == [("gateway", "exited"),
                                                       ("pump", "pending")]


def test_watch_keeps_reading_a_component_for_its_settle_time() -> None:
    healthy = {"gateway": (state("gateway"), log("gateway-v5.8-healthy.log")),
               "pump": (state("pump"), log("pump-v1.14-healthy.log"))}
    fake = FakeObservable([healthy] * 6)
    now = [0.0]
    got = watch(fake, {"gateway": GW, "pump": PUMP}, timeout=60, poll=0.5,
                settle={"pump": 3.0}, clock=lambda: now[0],
                sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert all(d.ok for d in got)
    assert now[0] == 3.0 and fake.i == 7  # rounds at 0, 0.5, ..., 3.0


def test_watch_without_settle_returns_on_the_first_healthy_round() -> None:
    fake = FakeObservable([
        {"gateway": (state("gateway"), log("gateway-v5.8-healthy.log")),
         "pump": (state("pump"), log("pump-v1.14-healthy.log"))},
    ])
    got = watch(fake, {"gateway": GW, "pump": PUMP}, timeout=60, sleep=lambda s: None)
    assert all(d.ok for d in got) and fake.i == 1


def test_a_failure_logged_during_the_settle_time_is_caught() -> None:
    healthy = {"gateway": (state("gateway"), log("gateway-v5.8-healthy.log")),
               "pump": (state("pump"), log("pump-v1.14-healthy.log"))}
    failing = dict(healthy, pump=(state("pump"), log("pump-v1.14-healthy.log")
                                  + log("pump-v1.14-wrongpass.log")))
    fake = FakeObservable([healthy, failing])
    now = [0.0]
    got = watch(fake, {"gateway": GW, "pump": PUMP}, timeout=60, grace=2.0, poll=0.5,
                settle={"pump": 3.0}, clock=lambda: now[0],
                sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert [(d.component, d.ok) for d in got] == [("gateway", True), ("pump", False)]


def test_a_container_started_long_enough_ago_needs_no_more_settle_time() -> None:
    pump = ServiceState("pump", "p-pump-1", "running", "healthy", 0, started_at=1000.0)
    fake = FakeObservable([
        {"gateway": (state("gateway"), log("gateway-v5.8-healthy.log")),
         "pump": (pump, log("pump-v1.14-healthy.log"))},
    ])
    got = watch(fake, {"gateway": GW, "pump": PUMP}, timeout=60, settle={"pump": 3.0},
                sleep=lambda s: None, wall=lambda: 1003.5)
    assert all(d.ok for d in got) and fake.i == 1
