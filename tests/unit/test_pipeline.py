"""The step runner and progress reporters, with fake steps (no Docker)."""

from __future__ import annotations

import io
import json

import pytest

from stackctl.engine.factory import stack_context
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
    from stackctl.cli.plan import up_steps

    names = [s.name for s in up_steps(smoke=True)]
    assert names[:8] == ["preflight", "certificates", "render", "deploy", "redis-cluster",
                         "pro-services", "tyk", "health"]
    assert names.index("bootstrap") < names.index("record") < names.index("smoke")
    assert "smoke" not in [s.name for s in up_steps(smoke=False)]
    assert "bootstrap" in [s.name for s in up_steps(smoke=False)]


def _deferred_plan() -> tuple[list[object], object]:
    """tyk fails (deferred), health is skipped, the fallback sees the failure."""
    from stackctl.context import StackContext
    from stackctl.fallback.step import Deferred
    from stackctl.model import build_model
    from stackctl.settings import Settings

    class Boom:
        name = "tyk"

        def run(self, ctx: StackContext) -> str:
            raise StepError("tyk", "gateway exited with code 1", "see logs")

    class Never:
        name = "health"

        def run(self, ctx: StackContext) -> str:
            raise AssertionError("a skipped step ran")

    class Seen:
        name = "fallback"

        def run(self, ctx: StackContext) -> str:
            failure = ctx.results.start_failure
            assert failure is not None
            return f"saw {failure.step}"

    ctx = stack_context(build_model(Settings()))
    return [Deferred(Boom()), Deferred(Never()), Seen()], ctx


def test_a_deferred_failure_is_failed_in_both_views_and_later_steps_see_it() -> None:
    steps, ctx = _deferred_plan()
    out, rec = io.StringIO(), Recorder()
    results = run_steps(steps, ctx, JsonProgress(out))  # type: ignore[arg-type]
    assert [(r.name, r.status) for r in results] == [
        ("tyk", "failed"), ("health", "skipped"), ("fallback", "ok")]
    assert "gateway exited with code 1" in results[0].detail
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    done = [(e["step"], e["status"]) for e in events if e["status"] != "start"]
    assert done == [("tyk", "failed"), ("health", "skipped"), ("fallback", "ok")]
    steps, ctx = _deferred_plan()
    run_steps(steps, ctx, rec)  # type: ignore[arg-type]
    assert [e.status for e in rec.events if e.status != "start"] == ["failed", "skipped", "ok"]


def test_the_failed_step_is_in_the_results_it_raised_from() -> None:
    results: list[object] = []
    with pytest.raises(StepError):
        run_steps([FakeStep("a"), FakeStep("b", ConfigError("x", "bad", "fix"))], [],
                  Recorder(), results)  # type: ignore[arg-type]
    assert [(r.name, r.status) for r in results] == [  # type: ignore[attr-defined]
        ("a", "ok"), ("b", "failed")]


def test_steps_that_do_not_apply_say_skipped() -> None:
    from stackctl.fallback.step import Fallback
    from stackctl.model import build_model
    from stackctl.settings import Settings
    from stackctl.steps.certs import Certificates

    ctx = stack_context(build_model(Settings()))  # tls off, no start failure
    results = run_steps([Certificates(), Fallback()], ctx, Recorder())
    assert [(r.name, r.status) for r in results] == [("certificates", "skipped"),
                                                     ("fallback", "skipped")]
