"""`stackctl lint`: every finding class, the clean case and the reference page examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackctl.cli.main import app
from stackctl.tyk import lookup
from stackctl.tyk.lint.findings import KINDS, Finding
from stackctl.tyk.lint.run import lint_paths, lint_sources
from stackctl.tyk.lint.sources import Source, parse_env
from stackctl.tyk.schema import Component, Option
from stackctl.tyk.tables import OPTIONS, WRONG_NAMES

pytestmark = pytest.mark.unit

FIX = Path(__file__).parent / "fixtures" / "lint"
RELEASES: dict[Component, str] = {"gateway": "v5.8.15", "pump": "v1.14.0",
                                  "dashboard": "v5.8.15"}
N6 = [f"redis-{i}:6379" for i in range(1, 7)]


def _lint(*names: str, releases: dict[Component, str] | None = None,
          expected: list[str] | None = None) -> list[Finding]:
    return lint_paths([FIX / n for n in names], releases or RELEASES, expected)


def _kinds(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.kind, f.key) for f in findings}


def test_clean_fixtures_have_no_findings() -> None:
    names = ["clean/tyk.conf", "clean/pump.conf", "clean/tyk_analytics.conf"]
    assert _lint(*names) == []
    assert _lint(*names, expected=N6) == []
    assert _lint("clean/stack.env", "clean/tyk.conf") == []


@pytest.mark.parametrize(("fixture", "kind", "key"), [
    ("classes/cluster_database.conf", "cluster-database", "storage.database"),
    ("classes/sentinel.conf", "sentinel-wins", "storage.master_name"),
    ("classes/few_nodes.conf", "few-nodes", "storage.addrs"),
    ("classes/cluster_off.conf", "cluster-off", "storage.addrs"),
    ("classes/tls_off.conf", "tls-off", "storage.ca_file"),
    ("classes/unknown_key.conf", "unknown-key", "storage.enable_clustr"),
    ("classes/bad_type.conf", "bad-type", "storage.enable_cluster"),
    ("classes/deprecated.conf", "deprecated", "analytics_storage_config.type"),
    ("classes/purge_zero.conf", "purge-delay", "purge_delay"),
    ("classes/purge_absent.conf", "purge-delay", "purge_delay"),
    ("classes/addrs_spaces.env", "list-spaces", "TYK_GW_STORAGE_ADDRS"),
    ("classes/empty_bool.env", "empty-bool", "TYK_GW_STORAGE_USESSL"),
    ("classes/bad_int.env", "bad-value", "TYK_GW_STORAGE_MAXACTIVE"),
    ("classes/unknown_var.env", "unknown-key", "TYK_GW_STORAGE_ENABLECLUSTERS"),
    ("classes/shardcount.env", "standalone-no-effect", "REDIGOCLUSTER_SHARDCOUNT"),
    ("classes/pump_purge_zero.env", "purge-delay", "TYK_PMP_PURGEDELAY"),
    ("classes/unknown_component.conf", "unknown-component", ""),
    ("classes/not_a_config.env", "unknown-component", ""),
    ("classes/unreadable.conf", "unreadable", ""),
    ("page/gateway_cluster.conf", "no-effect", "storage.optimisation_max_idle"),
])
def test_each_finding_class(fixture: str, kind: str, key: str) -> None:
    findings = _lint(fixture)
    assert (kind, key) in _kinds(findings)
    severity = KINDS[kind][0]
    assert any(f.severity == severity for f in findings if f.kind == kind)


def test_not_in_version() -> None:
    findings = _lint("clean/tyk.conf", releases={**RELEASES, "gateway": "v5.2.0"})
    assert ("not-in-version", "storage.ca_file") in _kinds(findings)


def test_shardcount_read_by_old_releases() -> None:
    old: dict[Component, str] = {"gateway": "v2.9.2", "pump": "v0.8.3", "dashboard": "v1.9.3"}
    assert _lint("classes/shardcount.env", releases=old) == []


def test_node_list_against_the_stack() -> None:
    seven = [*N6, "redis-7:6379"]
    kinds = _kinds(_lint("clean/tyk.conf", expected=seven))
    assert ("missing-nodes", "storage.addrs") in kinds
    kinds = _kinds(_lint("clean/tyk.conf", expected=N6[:5]))
    assert ("extra-nodes", "storage.addrs") in kinds


def test_drift_across_components() -> None:
    findings = _lint("clean/tyk.conf", "classes/drift_pump.conf")
    drift = {f.key for f in findings if f.kind == "drift"}
    assert drift == {"addrs", "use_ssl", "password"}
    message = next(f.message for f in findings if f.key == "password")
    assert "pw" not in message.replace("password", "") and "other" not in message


def test_env_overrides_file_before_drift() -> None:
    assert _lint("clean/tyk.conf", "clean/pump.conf", "clean/stack.env") == []


def test_unset_idle_pool_and_the_uptime_checker_are_flagged() -> None:
    kinds = _kinds(_lint("classes/idle_unset_uptime_on.conf"))
    assert ("upstream-idle-unset", "max_idle_connections_per_host") in kinds
    assert ("uptime-checks", "health_check.enable_health_checks") in kinds


def test_idle_pool_below_the_expected_concurrency() -> None:
    low = _lint("classes/idle_low.env")
    assert [(f.kind, f.key) for f in low if f.kind.startswith("upstream")] == [
        ("upstream-idle-low", "TYK_GW_MAXIDLECONNSPERHOST")]
    assert "below the expected concurrency of 64" in low[0].message or any(
        "below the expected concurrency of 64" in f.message for f in low)
    relaxed = lint_paths([FIX / "classes/idle_low.env"], RELEASES, None, concurrency=2)
    assert not [f for f in relaxed if f.kind.startswith("upstream")]


def test_reference_page_examples() -> None:
    kinds = _kinds(_lint("page/gateway_tls.conf"))
    for key in ("ssl_secure_skip_verify", "max_version", "min_version"):
        assert ("wrong-name", f"storage.{key}") in kinds
    kinds = _kinds(_lint("page/pump_tls.conf"))
    for key in ("ssl_secure_skip_verify", "max_version", "min_version", "ca_file",
                "cert_file", "key_file"):
        assert ("wrong-name", f"analytics_storage_config.{key}") in kinds
    kinds = _kinds(_lint("page/pump_cluster.conf"))
    assert ("no-effect", "analytics_storage_config.optimisation_max_idle") in kinds
    kinds = _kinds(_lint("page/docker.env"))
    assert ("wrong-name", "TYK_GW_STORAGE_OPTIMISATION_MAX_IDLE") in kinds
    assert ("no-effect", "TYK_GW_STORAGE_MAXIDLE") in kinds
    assert ("standalone-no-effect", "REDIGOCLUSTER_SHARDCOUNT") in kinds


def _redis_options() -> list[Option]:
    return [o for o in OPTIONS if o.redis]


def _sample(opt: Option) -> object:
    return {"str": "x", "int": 1, "bool": False, "list": ["a:1"], "map": {"a": "1"},
            "duration": 1}[opt.kind]


@pytest.mark.parametrize("opt", _redis_options(), ids=lambda o: f"{o.component}:{o.key}")
def test_lint_recognises_every_redis_name(opt: Option) -> None:
    block: dict[str, object] = {opt.key: _sample(opt)}
    data = {opt.spec.block[0]: block} if opt.spec.block else dict(block)
    for src in (Source("f", opt.component, "json", data),
                Source("f", opt.component, "env", {opt.env: "x" if opt.kind == "str" else
                                                   "1" if opt.kind == "int" else "false"})):
        bad = {f.kind for f in lint_sources([src], RELEASES)} & {"wrong-name", "unknown-key"}
        assert not bad, (src.form, bad)


@pytest.mark.parametrize("wrong", [w for w in WRONG_NAMES if w.form == "json"],
                         ids=lambda w: f"{w.component}:{w.wrong}")
def test_lint_flags_every_wrong_name(wrong: object) -> None:
    from stackctl.tyk.schema import WrongName

    assert isinstance(wrong, WrongName)
    spec = lookup.option(wrong.component, wrong.right).spec
    block = {wrong.wrong: "x"}
    data = {spec.block[0]: block} if spec.block else dict(block)
    findings = lint_sources([Source("f", wrong.component, "json", data)], RELEASES)
    hit = [f for f in findings if f.kind == "wrong-name"]
    assert hit and wrong.right in hit[0].suggestion


def test_parse_env_forms() -> None:
    env = parse_env("# c\nexport A=1\nB='x y'\nC=\"q\"\n\nD=\nnoequals\n")
    assert env == {"A": "1", "B": "x y", "C": "q", "D": ""}


def test_cli_exit_codes_and_json() -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["lint", str(FIX / "clean/tyk.conf")])
    assert ok.exit_code == 0 and "no findings" in ok.output
    bad = runner.invoke(app, ["lint", "--json", str(FIX / "page/gateway_tls.conf")])
    assert bad.exit_code == 1
    data = json.loads(bad.output)
    assert data["findings"] and set(data["findings"][0]) >= {
        "file", "key", "severity", "message", "suggestion"}
    warn_only = runner.invoke(app, ["lint", str(FIX / "page/gateway_cluster.conf")])
    assert warn_only.exit_code == 0
    old = runner.invoke(app, ["lint", "--version", "v5.2.0", str(FIX / "clean/tyk.conf")])
    assert old.exit_code == 1 and "exists in gateway v5.3.0+ only" in old.output


def test_a_redis_limiter_with_tls_files_by_the_gateway_release(tmp_path: Path) -> None:
    """TT-14564: the limiter's own client ignores the TLS files before 5.8.6 (and in
    5.9.x); the default v5.8.15 uses them."""
    conf = {"enable_sentinel_rate_limiter": True,
            "storage": {"type": "redis", "enable_cluster": True, "use_ssl": True,
                        "ca_file": "/ca.pem", "addrs": [f"10.0.0.{i}:6379" for i in range(6)]}}
    path = tmp_path / "tyk.conf"
    path.write_text(json.dumps(conf))
    for release, expect in (("v5.8.1", True), ("v5.9.3", True), ("v5.8.15", False),
                            ("v5.10.0", False)):
        found = [f for f in lint_paths([path], {**RELEASES, "gateway": release}, None)
                 if f.kind == "limiter-tls"]
        assert bool(found) is expect, release
    found = [f for f in lint_paths([path], {**RELEASES, "gateway": "v5.8.1"}, None)
             if f.kind == "limiter-tls"]
    assert found[0].key == "enable_sentinel_rate_limiter" and found[0].severity == "error"
    assert "storage.ca_file" in found[0].message and "v5.8.6-v5.8, v5.10.0+" in (
        found[0].suggestion)
