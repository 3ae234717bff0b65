"""Counting the pump's csv records for one API id; the bounded wait; the check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stackctl.meter.delivered import count_in_text, count_records, wait_delivered
from stackctl.smoke.checks import analytics_check

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "smoke"


@pytest.fixture
def sink(tmp_path: Path) -> Path:
    for name in ("analytics-a.csv", "analytics-b.csv", "header-only.csv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return tmp_path


def test_counts_rows_of_one_api_across_files(sink: Path) -> None:
    # a.csv: 2 rows of aaaa (one with a quoted multi-line field) and 1 of bbbb;
    # b.csv: 1 more of aaaa; header-only.csv: none.
    assert count_records(sink, "stackctl-smoke-aaaa") == 3
    assert count_records(sink, "stackctl-smoke-bbbb") == 1
    assert count_records(sink, "stackctl-smoke-cccc") == 0


def test_the_sink_as_one_text_counts_as_its_files(sink: Path) -> None:
    """On swarm the files come as one `cat` from the pump's container: every file's
    header repeats in the middle, a quoted multi-line field stays one row."""
    text = "".join(p.read_text() for p in sorted(sink.glob("*.csv")))
    for api in ("stackctl-smoke-aaaa", "stackctl-smoke-bbbb", "stackctl-smoke-cccc"):
        assert count_in_text(text, api) == count_records(sink, api)
    assert count_in_text(text, "stackctl-smoke-aaaa") == 3
    assert count_in_text("", "x") == 0


def test_empty_or_missing_sink(tmp_path: Path) -> None:
    assert count_records(tmp_path, "x") == 0
    assert count_records(tmp_path / "nope", "x") == 0


def test_wait_stops_when_all_arrived() -> None:
    seen = iter([0, 5, 10, 10])
    delivered, waited = wait_delivered(lambda: next(seen), 10, timeout_s=5, poll_s=0.01)
    assert delivered == 10 and waited < 1


def test_wait_is_bounded() -> None:
    delivered, waited = wait_delivered(lambda: 3, 10, timeout_s=0.2, poll_s=0.05)
    assert delivered == 3 and 0.2 <= waited < 1


def test_check() -> None:
    assert analytics_check(100, 100, 1.0).passed
    lost = analytics_check(100, 0, 10.0)
    assert not lost.passed and "100 lost" in lost.detail
    assert analytics_check(100, 104, 1.0, unanswered=4).passed  # timed out, yet served
    extra = analytics_check(100, 105, 1.0, unanswered=4)
    assert not extra.passed and "1 extra" in extra.detail
    assert not analytics_check(0, 0, 1.0).passed


def test_sql_count_query_and_its_answers() -> None:
    """Profile pro: rows of tyk_analytics counted by psql (a FAKE exec answers)."""
    from stackctl.errors import ToolError
    from stackctl.runtime.docker_cli import ExecResult
    from stackctl.smoke.analytics_sql import count_query, count_sql_records

    assert count_query("stackctl-smoke-1a2b") == (
        "SELECT count(*) FROM tyk_analytics WHERE apiid = 'stackctl-smoke-1a2b'")
    with pytest.raises(ValueError):
        count_query("x'; DROP TABLE tyk_analytics; --")

    class FakeExec:
        def __init__(self, result: ExecResult) -> None:
            self.result = result
            self.command: list[str] = []

        def exec(self, service: str, command: list[str], env: dict[str, str] | None = None,
                 index: int = 1, timeout: float | None = None) -> ExecResult:
            self.command = command
            return self.result

    fake = FakeExec(ExecResult(0, "42\n", ""))
    assert count_sql_records(fake, "stackctl-smoke-1") == 42
    assert fake.command[:5] == ["psql", "-U", "tyk", "-d", "tyk_analytics"]
    missing = 'ERROR:  relation "tyk_analytics" does not exist'
    assert count_sql_records(FakeExec(ExecResult(1, "", missing)), "a") == 0
    with pytest.raises(ToolError, match="psql in postgres: FATAL"):
        count_sql_records(FakeExec(ExecResult(2, "", "FATAL: no such role")), "a")
