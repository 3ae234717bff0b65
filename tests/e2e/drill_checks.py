"""What every drill run's JSON must hold since issue 25, checked on a run of any drill e2e
(a plain function of the run, so any test that has a drill report can call it): the probe
series, the valid keys' rejection class, and the window's three phases adding up."""

from __future__ import annotations

from typing import Any

PHASE_TOLERANCE_S = 0.2


def check_truth(run: dict[str, Any], pump_probed: bool = True) -> None:
    """Assert the probes, the valid-key class and the phases of one run."""
    duration = run["load"]["duration_s"]
    probes = run["probes"]
    assert probes["every_s"] == 0.1
    names = set(probes["endpoints"])
    assert "hello" in names and ("pump-health" in names) is pump_probed, names
    assert "ready_decided" in probes["not_probed"]
    assert ("ready" in names) is ("ready" not in probes["not_probed"])
    for name, ep in probes["endpoints"].items():
        rows = ep["series"]
        # Sampled through the load (a busy 2-core machine may skip slots, never add).
        assert 0.5 * duration / 0.1 <= len(rows) <= duration / 0.1 + 1, (name, len(rows))
        assert all(len(r) == 4 and -0.5 <= r[0] <= duration + 0.5 for r in rows), name
        assert ep["samples"] == len(rows) == sum(ep["says"].values())
        lie = ep["pass_while_failing"]
        assert lie["seconds"] == len(lie["at_s"]) <= lie["failing_seconds"]
    live = probes["endpoints"]["hello"]["liveness"]
    assert live["restarts"] == len(live["at_s"]) >= 0
    assert live["probe"]["period_s"] == 2 and live["probe"]["failure_threshold"] == 2
    # Valid keys rejected: the 401/403 class after the fault, its share and its span.
    rej = run["valid_key_rejections"]
    lo = int(run["fault_s"] / run["bucket_s"] + 1e-9)
    assert rej["requests"] == sum(b["401/403"] for b in run["buckets"][lo:])
    assert (rej["seconds"] > 0) is (rej["requests"] > 0)
    assert 0.0 <= rej["share"] <= 1.0 and 0.0 <= rej["share_of_failed"] <= 1.0
    # The window taken apart: the phases add up (fault -> last failure, and the window).
    ph = run["phases"]
    if run["error_window"] is None:
        assert ph["to_first_failure_s"] is None
        return
    parts = ph["to_first_failure_s"] + ph["until_recovery_s"] + ph["after_recovery_s"]
    assert abs(parts - run["errors_until_after_fault_s"]) <= PHASE_TOLERANCE_S, ph
    assert abs(ph["until_recovery_s"] + ph["after_recovery_s"] - run["error_window_s"]) \
        <= PHASE_TOLERANCE_S, ph
    assert set(ph["evidence"]) == {"to_first_failure", "until_recovery", "after_recovery"}


def check_survival(run: dict[str, Any]) -> None:
    """stop-pump: the survival estimate read every list the backlog counted (the same
    moment, so within two seconds of growth), its TTL within the gateway's expiry, and
    the first loss from it."""
    p = run["pump"]
    sv = p["survival"]
    assert abs(sv["records"] - p["at_restart"]) <= 2 * (p["growth_per_s"] or 0) + 5, (sv, p)
    assert sv["bytes_per_record"] is not None and sv["bytes_per_record"] > 100
    assert sv["expiry_s"] == 60 and 0 <= sv["first_expiry_in_s"] <= 60
    assert sv["first_loss_in_s"] == min(x for x in (sv["first_expiry_in_s"],
                                                     sv["maxmemory_full_in_s"]) if x is not None)
    assert abs(sv["first_loss_after_stop_s"] - sv["pump_down_s"] - sv["first_loss_in_s"]) \
        <= 0.002
