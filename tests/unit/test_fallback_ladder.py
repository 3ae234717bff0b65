"""The ladder's logic with a fake runner, and the remembered rung on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackctl.fallback.ladder import climb, ladder_lines, variable_note
from stackctl.rung import (
    FALLBACK_FILE,
    read_shardcount,
    rungs_after,
    shardcount_env,
    write_last_report,
    write_shardcount,
)
from stackctl.tyk.detect import Detection

pytestmark = pytest.mark.unit

MODERN = {"gateway": "v5.8.0-e65eff00608a", "pump": "v1.14.0"}


class FakeRungRunner:
    """A fake runner: components start once the rung reaches `threshold`."""

    def __init__(self, threshold: int | None) -> None:
        self.threshold = threshold
        self.applied: list[int] = []

    def apply(self, shardcount: int) -> None:
        self.applied.append(shardcount)

    def wait(self) -> list[Detection]:
        ok = self.threshold is not None and self.applied[-1] >= self.threshold
        return [Detection("gateway", ok, "healthy" if ok else "exited",
                          "healthy" if ok else "exited with code 1"),
                Detection("pump", True, "healthy", "healthy")]


def test_climbs_and_stops_at_the_first_rung_that_works() -> None:
    runner = FakeRungRunner(256)
    ticks = iter(range(100))
    report = climb(runner, MODERN, (128, 256), clock=lambda: float(next(ticks)))
    assert runner.applied == [128, 256]
    assert report.chosen == 256 and report.worked
    assert [(a.rung, a.outcome) for a in report.attempts] == [(128, "fails"), (256, "works")]
    assert report.attempts[0].components == ("gateway", "pump")
    assert report.attempts[0].seconds == 1.0
    assert "gateway exited with code 1" in report.attempts[0].detail


def test_stops_at_128_when_it_works() -> None:
    runner = FakeRungRunner(100)
    report = climb(runner, MODERN, (128, 256))
    assert runner.applied == [128] and report.chosen == 128


def test_no_rung_works() -> None:
    report = climb(FakeRungRunner(None), MODERN, (128, 256))
    assert report.chosen is None and len(report.attempts) == 2
    assert ladder_lines(report)[-1] == "no REDIGOCLUSTER_SHARDCOUNT rung helped"


def test_the_report_says_when_the_running_versions_do_not_read_the_variable() -> None:
    readers, note = variable_note(MODERN)
    assert readers == [] and "cannot help here" in note
    assert "gateway v2.3.2-v2.9.2" in note and "pump v0.4.2-v0.8.3" in note
    readers, note = variable_note({"gateway": "v2.9.2", "pump": "v1.14.0"})
    assert readers == ["gateway"] and note.startswith("only gateway")
    readers, _ = variable_note({"gateway": "v2.9.0", "pump": "v0.8.3"})
    assert readers == ["gateway", "pump"]


def test_rungs_after_the_remembered_one() -> None:
    assert rungs_after(None) == (128, 256)
    assert rungs_after(128) == (256,)
    assert rungs_after(256) == ()


def test_state_round_trip_is_atomic_and_keeps_the_report(tmp_path: Path) -> None:
    assert read_shardcount(tmp_path) is None and shardcount_env(tmp_path) == {}
    write_shardcount(tmp_path, 128)
    write_last_report(tmp_path, {"ladder": {"chosen": 128}})
    write_shardcount(tmp_path, 256)
    data = json.loads((tmp_path / FALLBACK_FILE).read_text())
    assert data == {"shardcount": 256, "last_report": {"ladder": {"chosen": 128}}}
    assert shardcount_env(tmp_path) == {"REDIGOCLUSTER_SHARDCOUNT": "256"}
    assert [p.name for p in tmp_path.iterdir()] == [FALLBACK_FILE]  # no temp file left
    write_shardcount(tmp_path, None)
    assert read_shardcount(tmp_path) is None


def test_corrupt_state_reads_as_unset(tmp_path: Path) -> None:
    (tmp_path / FALLBACK_FILE).write_text("{not json")
    assert read_shardcount(tmp_path) is None


def test_the_compose_renderer_sets_the_rung_on_every_redis_client(tmp_path: Path) -> None:
    from stackctl.model import build_model
    from stackctl.render.tyk import TykFiles, tyk_services
    from stackctl.settings import Settings

    model = build_model(Settings(state_dir=tmp_path / "state"))
    files = TykFiles(*(tmp_path / n for n in ("tyk.conf", "pump.conf", "apps", "pol", "csv")))
    assert "environment" not in tyk_services(model, files)["gateway"]
    write_shardcount(model.settings.state_dir, 128)
    services = tyk_services(model, files)
    for name in ("gateway", "pump"):
        assert services[name]["environment"] == {"REDIGOCLUSTER_SHARDCOUNT": "128"}
    assert "environment" not in services["upstream"]
