"""`stackctl doctor --json` against the real engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker


def test_doctor_reports_the_engine(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "stackctl", "doctor", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    data = json.loads(out.stdout)
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["docker-engine"]["status"] == "pass"
    assert checks["docker-engine"]["detail"].startswith("engine ")
    assert checks["compose-plugin"]["status"] == "pass"
    assert set(checks["docker-engine"]) == {"name", "status", "detail", "fix"}
    expected_rc = 1 if any(c["status"] == "fail" for c in data["checks"]) else 0
    assert out.returncode == expected_rc
