"""The step runner and progress reporters, with fake steps (no Docker)."""

from __future__ import annotations

import io
import json

import pytest

from stackctl.errors import ConfigError, StepError
from stackctl.pipeline import JsonProgress, StepEvent, run_steps

pytestmark = pytest.mark.unit


class FakeStep:
    def __init__(self, name: str, fail: Exception | None = None) -> None:
        self.name = name
        self.fail = fail
        self.ran = False

    def run(self, ctx: list[str]) -> str:
        self.ran = True
        ctx.append(self.name)
        if self.fail:
            raise self.fail
        return f"{self.name} done"


class Recorder:
    def __init__(self) -> None:
        self.events: list[StepEvent] = []

    def emit(self, event: StepEvent) -> None:
        self.events.append(event)


def test_steps_run_in_order_with_results() -> None:
    ctx: list[str] = []
    rec = Recorder()
    results = run_steps([FakeStep("a"), FakeStep("b")], ctx, rec)
    assert ctx == ["a", "b"]
    assert [r.detail for r in results] == ["a done", "b done"]
    assert [(e.step, e.status) for e in rec.events] == [
        ("a", "start"), ("a", "ok"), ("b", "start"), ("b", "ok")]


def test_failure_stops_and_names_the_step() -> None:
    later = FakeStep("c")
    rec = Recorder()
    with pytest.raises(StepError) as err:
        run_steps([FakeStep("a"), FakeStep("b", ConfigError("x", "bad", "fix it")), later],
                  [], rec)
    assert err.value.step == "b" and "x: bad; fix it" in str(err.value)
    assert not later.ran
    assert rec.events[-1].status == "failed"


def test_step_error_passes_through_unwrapped() -> None:
    original = StepError("health", "gateway never passed", "see logs")
    with pytest.raises(StepError) as err:
        run_steps([FakeStep("health", original)], [], Recorder())
    assert err.value is original


def test_json_progress_is_one_object_per_line() -> None:
    out = io.StringIO()
    run_steps([FakeStep("a"), FakeStep("b")], [], JsonProgress(out))
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    events = [json.loads(line) for line in lines]
    assert events[1] == {"event": "step", "step": "a", "status": "ok",
                         "seconds": events[1]["seconds"], "detail": "a done"}


def test_up_plan_order() -> None:
    from stackctl.steps.plan import up_steps

    names = [s.name for s in up_steps(smoke=True)]
    assert names[:6] == ["preflight", "certificates", "render", "redis-cluster", "tyk",
                         "health"]
    assert names.index("bootstrap") < names.index("record") < names.index("smoke")
    assert "smoke" not in [s.name for s in up_steps(smoke=False)]
    assert "bootstrap" in [s.name for s in up_steps(smoke=False)]
