"""Percentiles."""

from __future__ import annotations

import pytest

from stackctl.load.stats import percentile, summarize

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
