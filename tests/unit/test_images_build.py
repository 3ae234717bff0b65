"""`images build` orchestration: selection, result shape, failure isolation, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackctl import versions
from stackctl.cli.main import app, run
from stackctl.errors import ConfigError, StackctlError, ToolError
from stackctl.images import build as b
from stackctl.names import INPUTS_LABEL
from stackctl.runtime import images as rt

pytestmark = pytest.mark.unit


def test_default_selection_is_every_buildable_image() -> None:
    specs, named = b.select([])
    assert [s.name for s in specs] == list(versions.BUILDABLE)
    assert named == set(versions.BUILDABLE)
    assert "tyk-dashboard" not in named


def test_only_adds_what_an_image_is_built_on_and_leaves_gateway_alone() -> None:
    specs, named = b.select(["redis", "tyk-pump,load"])
    assert named == {"redis", "tyk-pump", "load"}
    assert [s.name for s in specs] == ["base", "redis", "tyk-pump", "load"]


def test_unknown_name_is_a_config_error_listing_valid_names() -> None:
    with pytest.raises(ConfigError) as err:
        b.select(["redis", "nginx"])
    assert err.value.exit_code == 2
    assert "'nginx'" in str(err.value)
    for name in versions.BUILDABLE:
        assert name in str(err.value)


def test_dashboard_has_no_local_build() -> None:
    with pytest.raises(ConfigError, match="closed source"):
        b.select(["tyk-dashboard"])


def test_result_json_shape() -> None:
    report = b.BuildReport([
        b.ImageResult("base", "stackctl/base:bookworm", "skipped", 91_000_000, 0.1234, "x"),
        b.ImageResult("tyk-gateway", "stackctl/tyk-gateway:v5", "failed", None, 1.0, "refused"),
    ])
    doc = json.loads(json.dumps(report.as_dict()))
    assert list(doc) == ["images"]
    for item in doc["images"]:
        assert set(item) == {"name", "tag", "status", "size_bytes", "seconds", "detail", "labels",
                             "go_mod_moved"}
        assert item["status"] in {"built", "skipped", "failed"}
    assert doc["images"][0]["seconds"] == 0.12
    assert [r.name for r in report.failed] == ["tyk-gateway"]


def test_temp_tag_stays_in_the_image_repository() -> None:
    tag = b.temp_tag(versions.image("redis"))
    assert tag.startswith("stackctl/redis:stackctl-building-")
    assert tag != versions.image("redis").local


def test_low_disk_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(StackctlError) as err:
        b.check_disk([tmp_path / "not" / "yet"], need=1 << 60)
    assert "GiB free at" in str(err.value) and "\n" not in str(err.value)
    b.check_disk([tmp_path], need=1)


class FakeEngine:
    """Image facts in memory; build_one swapped for a stub."""

    def __init__(self) -> None:
        self.images: dict[str, rt.ImageFacts] = {}
        self.built: list[str] = []

    def facts(self, ref: str) -> rt.ImageFacts | None:
        return self.images.get(ref)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    fake = FakeEngine()
    monkeypatch.setattr(b, "image_facts", fake.facts)

    def build_one(self: b.Builder, spec: versions.ImageSpec, label: str, no_cache: bool) -> str:
        if spec.name == "tyk-gateway":
            raise ToolError(f"{spec.module.path}@x: refused by the Go module proxy (403)"
                            if spec.module else "x")
        fake.built.append(spec.name)
        fake.images[spec.local] = rt.ImageFacts(spec.local, f"id-{spec.name}", 10,
                                                {INPUTS_LABEL: label}, "")
        return f"id-{spec.name}"

    monkeypatch.setattr(b.Builder, "build_one", build_one)
    monkeypatch.setattr(b.Builder, "go_version", lambda self: "1.26.8")
    yield fake


def test_gateway_failure_does_not_stop_the_others(engine: FakeEngine, tmp_path: Path) -> None:
    recipes = Path(__file__).resolve().parents[2] / "stack" / "images"
    builder = b.Builder(tmp_path, recipes)
    specs, _ = b.select([])
    report = builder.run(specs, force=set())
    status = {r.name: r.status for r in report.results}
    assert status == {"base": "built", "redis": "built", "tyk-gateway": "failed",
                      "tyk-gateway-as-released": "built", "tyk-pump": "built",
                      "postgres": "built", "upstream": "built", "load": "built"}
    assert "refused by the Go module proxy" in report.failed[0].detail

    engine.built.clear()
    again = builder.run(specs, force=set())
    assert {r.name: r.status for r in again.results if r.name != "tyk-gateway"} == {
        "base": "skipped", "redis": "skipped", "tyk-gateway-as-released": "skipped",
        "tyk-pump": "skipped", "postgres": "skipped", "upstream": "skipped",
        "load": "skipped"}
    assert engine.built == []

    forced = builder.run(b.select(["redis"])[0], force={"redis"})
    assert {r.name: r.status for r in forced.results} == {"base": "skipped", "redis": "built"}


def test_dependents_of_a_failed_base_fail_too(engine: FakeEngine, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    original = b.Builder.build_one

    def no_debootstrap(self: b.Builder, spec: versions.ImageSpec, label: str,
                       no_cache: bool) -> str:
        if spec.name == "base":
            raise ToolError("debootstrap not found; install it (apt-get install debootstrap)")
        return original(self, spec, label, no_cache)

    monkeypatch.setattr(b.Builder, "build_one", no_debootstrap)
    recipes = Path(__file__).resolve().parents[2] / "stack" / "images"
    report = b.Builder(tmp_path, recipes).run(b.select(["redis"])[0], force=set())
    assert [(r.name, r.status) for r in report.results] == [("base", "failed"),
                                                             ("redis", "failed")]
    assert "debootstrap not found" in report.results[0].detail
    assert "built on base, which failed" in report.results[1].detail
    assert engine.images == {}


def test_cli_unknown_only_exits_2_listing_names(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["stackctl", "images", "build", "--only", "nope"])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "'nope'" in err[0] and "valid names: base, redis, tyk-gateway" in err[0]


def test_cli_json_and_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_build(only: list[str], force: bool, progress: object) -> b.BuildReport:
        seen.update(only=only, force=force)
        return b.BuildReport([b.ImageResult("redis", "stackctl/redis:7.0.15", "built", 1, 1.0),
                              b.ImageResult("tyk-gateway", "t", "failed", None, 0.5, "refused")])

    monkeypatch.setattr("stackctl.cli.images_cmd.build_images", fake_build)
    result = CliRunner().invoke(app, ["images", "build", "--only", "redis", "load", "--force",
                                      "--json"])
    assert result.exit_code == 1
    assert seen == {"only": ["redis", "load"], "force": True}
    doc = json.loads(result.stdout)
    assert [i["status"] for i in doc["images"]] == ["built", "failed"]


def test_build_starts_from_the_base_id_its_digest_used(engine: FakeEngine,
                                                       tmp_path: Path) -> None:
    recipes = Path(__file__).resolve().parents[2] / "stack" / "images"
    builder = b.Builder(tmp_path, recipes)
    base = versions.image("base")
    engine.images[base.local] = rt.ImageFacts(base.local, "sha256:b1", 1, {}, "")
    redis = versions.image("redis")
    first = builder.input_digest(redis)
    args = builder._build_args(redis)
    assert args["BASE_IMAGE"] == "sha256:b1"
    assert args["REDIS_VERSION"] == versions.REDIS_VERSION
    engine.images[base.local] = rt.ImageFacts(base.local, "sha256:b2", 1, {}, "")
    builder = b.Builder(tmp_path, recipes)  # a new run reads the ids afresh
    assert builder.input_digest(redis) != first
    assert builder._build_args(redis)["BASE_IMAGE"] == "sha256:b2"


def test_a_built_image_that_breaks_its_contract_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(b, "violations", lambda ref, c: [
        "runs as root (contract: 65532:65532)", "has a shell: /bin/sh"])
    with pytest.raises(ToolError, match=r"^tyk-pump: breaks the official image's contract: "
                                        r"runs as root \(contract: 65532:65532\) \(and 1 more\)$"):
        b.check_contract(versions.image("tyk-pump"), "stackctl/tyk-pump:stackctl-building-1")
    b.check_contract(versions.image("load"), "stackctl/load:x")  # no contract: nothing read
