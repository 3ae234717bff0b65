"""Percentiles and the coordinated-omission correction."""

from __future__ import annotations

import pytest

from stackctl.load.stats import corrected_latencies, percentile, summarize

pytestmark = pytest.mark.unit


def test_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 99) == 0.0
    with pytest.raises(ValueError, match="not in"):
        percentile(values, 0)


def test_summarize_in_ms() -> None:
    assert summarize([0.001] * 98 + [0.5, 1.0]) == {"p50": 1.0, "p95": 1.0, "p99": 500.0}


def test_stall_shows_only_when_measured_from_the_intended_time() -> None:
    # 100 requests due every 10 ms, each answered in 1 ms, except that the server stalls
    # for 1 s at request 40: requests 41..99 queue behind it (one connection).
    interval, service, stall = 0.010, 0.001, 1.0
    intended, sent, done = [], [], []
    free_at = 0.0
    for n in range(100):
        due = n * interval
        start = max(due, free_at)
        finish = start + service + (stall if n == 40 else 0.0)
        intended.append(due)
        sent.append(start)
        done.append(finish)
        free_at = finish
    corrected, uncorrected = corrected_latencies(intended, sent, done)
    raw, fixed = summarize(uncorrected), summarize(corrected)
    assert raw["p50"] == pytest.approx(1.0) and raw["p95"] == pytest.approx(1.0)
    # Only the stalled request itself is slow from the actual send...
    assert raw["p99"] == pytest.approx(1.0)
    # ...but most requests waited behind it, measured from when they were due.
    assert fixed["p50"] > 400 and fixed["p99"] > 990


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="same length"):
        corrected_latencies([0.0], [0.0, 1.0], [1.0])
