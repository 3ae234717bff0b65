"""wrk: arguments (no key on the command line) and parsing of the script's summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackctl.errors import ToolError
from stackctl.load.plan import LoadPlan
from stackctl.load.wrk import parse_wrk_output, run_wrk_plan, wrk_args, wrk_call

pytestmark = pytest.mark.unit

FIXTURE = Path(__file__).parent / "fixtures" / "load" / "wrk-output.txt"
GATEWAY_429 = """Running 3s test @ http://127.0.0.1:8080/x/
  2 threads and 4 connections
STACKCTL_WRK_JSON {"requests":1000,"duration_us":3000000,"errors":{"connect":0,"read":1,"write":0,"status":300,"timeout":2},"latency_us":{"p50":1500,"p95":9000,"p99":20500,"mean":2000.0,"max":40000},"threads":[{"key":0,"codes":{"200":10,"429":300}},{"key":1,"codes":{"200":690}}]}
"""  # noqa: E501


def test_parses_recorded_output() -> None:
    result = parse_wrk_output(FIXTURE.read_text(), keys=3, started_at=100.0)
    assert result.requests == 1306
    assert [sum(c.values()) for c in result.statuses] == [684, 354, 268]
    assert result.latencies_ms == {"p50": 2.669, "p95": 63.199, "p99": 92.913}
    assert result.elapsed_s == pytest.approx(1.09617)
    assert result.ended_at == pytest.approx(101.09617)
    assert result.corrected is False and result.errors == 0
    assert result.rps == pytest.approx(1306 / 1.09617)


def test_parses_statuses_per_key_and_socket_errors() -> None:
    result = parse_wrk_output(GATEWAY_429, keys=2, connections=4)
    assert result.statuses[0][429] == 300 and result.statuses[0][200] == 10
    assert result.statuses[1][200] == 690
    assert result.errors == 3 and result.statuses[0][0] == 3  # read + timeout, unanswered
    assert result.requests == 1000
    assert result.unanswered_max == 3 + 4


def test_missing_summary_is_one_line_error() -> None:
    with pytest.raises(ToolError, match="no STACKCTL_WRK_JSON line"):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n", keys=1)


def test_args_one_thread_per_key_and_no_key_in_argv() -> None:
    plan = LoadPlan("http://127.0.0.1:8080/x/", ("secret-a", "secret-b", "secret-c"),
                    duration_s=2.5, connections=2, rate=300)
    call = wrk_call(plan)
    assert (call.threads, call.connections) == (3, 3)  # at least one connection a thread
    assert call.delay_ms == 10  # 3 connections at 300 req/s: one request per 10 ms each
    assert call.budget_per_thread == 750 // 3
    args = wrk_args(plan, call, plan.url, "/s.lua", "/k/keys")
    assert args[:6] == ["-t", "3", "-c", "3", "-d", "3s"]
    assert args[args.index("--") + 1:] == ["/k/keys", "Authorization", "10", "250"]
    assert not any("secret" in a for a in args)


def test_keys_file_is_private_and_removed(tmp_path: Path) -> None:
    plan = LoadPlan("http://127.0.0.1:1/", ("k-one", "k-two"), 1, 2)
    seen: dict[str, object] = {}

    def runner(args: list[str]) -> str:
        keys_file = Path(args[args.index("--") + 1])
        seen["mode"] = keys_file.stat().st_mode & 0o777
        seen["text"] = keys_file.read_text()
        return FIXTURE.read_text()

    result = run_wrk_plan(plan, plan.url, tmp_path, runner)
    assert seen == {"mode": 0o600, "text": "k-one\nk-two\n"}
    assert list(tmp_path.iterdir()) == []
    assert len(result.statuses) == 2  # the fixture's third thread folds onto key 0
