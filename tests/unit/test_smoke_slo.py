"""SLO expressions: strict parsing, one-line errors, evaluation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stackctl.errors import ConfigError
from stackctl.smoke.slo import evaluate, parse_slo, parse_slos

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("text", "metric", "op", "threshold"), [
    ("p99<50ms", "p99", "<", 50.0),
    ("p95<=0.2s", "p95", "<=", 200.0),
    ("p50 < 5ms".replace(" ", ""), "p50", "<", 5.0),
    ("success>=99.9%", "success", ">=", 99.9),
    ("rps>=1000", "rps", ">=", 1000.0),
    ("  rps>12.5 ", "rps", ">", 12.5),
])
def test_parses(text: str, metric: str, op: str, threshold: float) -> None:
    slo = parse_slo(text)
    assert (slo.metric, slo.op, slo.threshold) == (metric, op, threshold)


@pytest.mark.parametrize(("text", "why"), [
    ("p99<<50ms", "not METRIC OP NUMBER"),
    ("p99 < 50ms", "not METRIC OP NUMBER"),
    ("p99<50", "takes 'ms' or 's'"),
    ("p99<50%", "takes 'ms' or 's'"),
    ("success>=99.9", "takes '%'"),
    ("success>=101%", "cannot exceed 100"),
    ("rps>=1000ms", "takes no unit"),
    ("p42<5ms", "unknown metric 'p42'"),
    ("latency<5ms", "unknown metric"),
    ("", "not METRIC OP NUMBER"),
    ("p99=5ms", "not METRIC OP NUMBER"),
    ("p99<-5ms", "not METRIC OP NUMBER"),
])
def test_rejects_with_one_line_naming_it(text: str, why: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_slo(text)
    message = str(err.value)
    assert "\n" not in message
    assert repr(text) in message and why in message
    assert err.value.exit_code == 2


def test_evaluate() -> None:
    slos = parse_slos(["p99<50ms", "success>=99.9%", "rps>=1000"])
    results = evaluate(slos, {"p50": 1, "p95": 2, "p99": 49.9, "success": 99.95,
                              "rps": 999.0})
    assert [r.passed for r in results] == [True, True, False]
    assert results[2].as_dict() == {"slo": "rps>=1000", "value": 999.0, "passed": False}


def test_cli_bad_slo_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    proc = subprocess.run([sys.executable, "-m", "stackctl", "smoke", "--slo", "p99<5",
                           "--slo", "rps>=1"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--slo 'p99<5'" in lines[0], proc.stderr
