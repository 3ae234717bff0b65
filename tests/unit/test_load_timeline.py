"""wrk's timeline: answers per slice of time from the script's summary (a real run's),
merged over load tasks on the span all of them ran, cut into fifths, judged steady on
throughput; answers between two instants for the meter."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackctl.load.plan import SliceCounts
from stackctl.load.stats import (
    answers_between,
    count_slices,
    merge_counts,
    trimmed,
)
from stackctl.load.steady import steadiness
from stackctl.load.wrk import parse_slices, parse_wrk_output

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "load"
SLICED = FIXTURES / "wrk-output-slices.txt"
"""A real `wrk -t3 -c3 -d2s -s stack/load/smoke.lua` run against a local HTTP server."""


def test_real_run_reports_slices_that_add_up_and_its_cpu() -> None:
    result = parse_wrk_output(SLICED.read_text(), keys=3, started_at=0.0)
    answers = result.answers
    assert answers is not None and answers.width_s == pytest.approx(0.1)
    assert sum(answers.counts) == result.requests == 1747
    # 2 s of load in 100 ms slices, the first and last partial: about 21 of them
    assert 20 <= len(answers.counts) <= 22
    assert answers.start == pytest.approx(result.answers.start)
    assert abs(answers.start - 1.796e9) < 1e8  # wall-clock seconds (2026)
    assert result.engine_cpu_s is not None and 0.01 < result.engine_cpu_s < 2.0


def test_older_summary_has_no_slices_and_no_cpu() -> None:
    old = (FIXTURES / "wrk-output.txt").read_text()
    result = parse_wrk_output(old, keys=3)
    assert result.answers is None and result.engine_cpu_s is None
    assert parse_slices({"width_ms": 100, "first": 5, "counts": []}) is None


def test_parse_slices_places_the_first_slice_on_the_clock() -> None:
    counts = parse_slices({"width_ms": 100, "first": 17_000_000_005, "counts": [1, 2, 3]})
    assert counts == SliceCounts(1_700_000_000.5, 0.1, (1, 2, 3))
    assert counts.end == pytest.approx(1_700_000_000.8)
    whole = parse_slices({"width_ms": 1000, "first": 10, "counts": [4]})
    assert whole == SliceCounts(10.0, 1.0, (4,))


def test_trimmed_drops_the_partial_edges() -> None:
    assert trimmed(SliceCounts(10.0, 1.0, (1, 5, 5, 5, 2))) == SliceCounts(11.0, 1.0, (5, 5, 5))
    assert trimmed(SliceCounts(10.0, 1.0, (1, 5, 5, 2))) is None


def test_merge_keeps_only_the_span_every_task_ran() -> None:
    # task a runs slices 100..109, task b 103..112 (it started 0.3 s later)
    a = SliceCounts(10.0, 0.1, (3,) + (10,) * 8 + (4,))
    b = SliceCounts(10.3, 0.1, (2,) + (20,) * 8 + (1,))
    merged = merge_counts([a, b])
    # trimmed: a 101..108, b 104..111 -> overlap 104..108 (five slices)
    assert merged is not None
    assert merged.start == pytest.approx(10.4) and merged.counts == (30,) * 5
    assert merge_counts([a, None]) is None
    assert merge_counts([a, SliceCounts(20.0, 0.1, (1,) * 10)]) is None  # never overlap
    assert merge_counts([a, SliceCounts(10.0, 1.0, (1,) * 10)]) is None  # other widths


def test_fifths_from_counts_and_the_throughput_only_verdict() -> None:
    steady = SliceCounts(0.0, 0.1, (100,) * 50)
    fifths = count_slices(steady)
    assert [f.requests for f in fifths] == [1000] * 5
    assert fifths[0].rps == pytest.approx(1000.0) and fifths[0].p99_ms is None
    verdict = steadiness(fifths)
    assert verdict.passed and "p99 per fifth not measured" in verdict.detail
    decaying = SliceCounts(0.0, 0.1, (100,) * 40 + (50,) * 10)
    verdict = steadiness(count_slices(decaying))
    assert not verdict.passed and "x0.50" in verdict.detail
    assert count_slices(SliceCounts(0.0, 0.1, (1, 2, 3))) == []
    assert count_slices(None) == []


def test_answers_between_counts_cut_slices_pro_rata() -> None:
    counts = SliceCounts(100.0, 1.0, (10, 20, 30))
    assert answers_between(counts, 100.0, 103.0) == pytest.approx(60)
    assert answers_between(counts, 100.5, 102.25) == pytest.approx(5 + 20 + 7.5)
    assert answers_between(counts, 50.0, 60.0) == 0
    assert answers_between(None, 0.0, 1.0) is None
