"""Rendering gateway, pump and dashboard configs from the one connection model."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from stackctl.cli.main import app
from stackctl.errors import ConfigError
from stackctl.model import build_model
from stackctl.secrets import Secrets
from stackctl.settings import Settings
from stackctl.tyk import lookup
from stackctl.tyk.bundle import flatten, render_files, write_files
from stackctl.tyk.lint.run import lint_paths
from stackctl.tyk.render_dashboard import render_dashboard
from stackctl.tyk.render_gateway import render_gateway
from stackctl.tyk.render_pump import render_pump
from stackctl.tyk.schema import Component, Role
from stackctl.tyk.support import check_support

pytestmark = pytest.mark.unit

SECRETS = Secrets(redis_password=SecretStr("redis-pw-xyz"),
                  gateway_secret=SecretStr("gw-secret-xyz"), licence=SecretStr("lic-jwt-xyz"),
                  node_secret=SecretStr("node-secret-xyz"),
                  dashboard_admin_secret=SecretStr("admin-secret-xyz"),
                  postgres_password=SecretStr("pg-pw-xyz"))
RENDER = {"gateway": render_gateway, "pump": render_pump, "dashboard": render_dashboard}
RELEASE = {"gateway": "v5.8.15", "pump": "v1.14.0", "dashboard": "v5.8.15"}
COMPONENTS: tuple[Component, ...] = ("gateway", "pump", "dashboard")
EXPECTED_ROLES: dict[str, set[Role]] = {
    "off": set(),
    "tls": {"ca_file", "tls_min", "tls_max"},
    "insecure": {"skip_verify"},
    "mtls": {"ca_file", "tls_min", "tls_max", "cert_file", "key_file"},
}
TLS_ROLES: set[Role] = {"skip_verify", "ca_file", "cert_file", "key_file", "tls_min", "tls_max"}


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(state_dir=tmp_path / "state", **kw)


def _get(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@pytest.mark.parametrize("component", COMPONENTS)
@pytest.mark.parametrize("mode", ["off", "tls", "insecure", "mtls"])
def test_tls_modes(tmp_path: Path, component: Component, mode: str) -> None:
    model = build_model(_settings(tmp_path, redis={"tls": mode}))
    doc = RENDER[component](model, SECRETS, RELEASE[component])
    as_json, as_env = doc.as_json(), doc.as_env()
    use_ssl = lookup.by_role(component, "use_ssl")
    assert _get(as_json, use_ssl.json_path) is (mode != "off")
    assert as_env[use_ssl.env] == ("false" if mode == "off" else "true")
    for role in TLS_ROLES:
        opt = lookup.by_role(component, role)
        assert (opt.env in as_env) == (role in EXPECTED_ROLES[mode]), (role, mode)
    if mode == "mtls":
        cert = lookup.by_role(component, "cert_file")
        assert as_env[cert.env].endswith(f"/{component}.crt")


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_connection_role_rendered_in_both_forms(tmp_path: Path,
                                                      component: Component) -> None:
    model = build_model(_settings(tmp_path, redis={"tls": "mtls", "replicas": 2}))
    doc = RENDER[component](model, SECRETS, RELEASE[component])
    as_json, as_env = doc.as_json(), doc.as_env()
    for role in ("addrs", "enable_cluster", "database", "username", "password",
                 "max_active", "timeout", "use_ssl"):
        opt = lookup.by_role(component, role)
        assert opt.env in as_env
        _get(as_json, opt.json_path)
    addrs = lookup.by_role(component, "addrs")
    assert as_env[addrs.env] == ",".join(model.addrs) and len(model.addrs) == 9
    assert _get(as_json, addrs.json_path) == model.addrs
    assert as_env[lookup.by_role(component, "enable_cluster").env] == "true"
    assert as_env[lookup.by_role(component, "database").env] == "0"
    assert lookup.by_role(component, "master_name").env not in as_env


def test_gateway_essentials(tmp_path: Path) -> None:
    doc = render_gateway(build_model(_settings(tmp_path)), SECRETS, "v5.8.15")
    conf, env = doc.as_json(), doc.as_env()
    assert conf["listen_port"] == 8080 and conf["secret"] == "gw-secret-xyz"
    assert conf["policies"] == {"policy_source": "file",
                                "policy_path": "/opt/tyk-gateway/policies"}
    assert conf["template_path"] == "/opt/tyk-gateway/templates"
    assert conf["storage"]["type"] == "redis"
    assert conf["enable_analytics"] is True
    assert conf["analytics_config"]["enable_multiple_analytics_keys"] is True
    assert conf["liveness_check"]["check_duration"] == 2_000_000_000  # time.Duration in ns
    assert env["TYK_GW_LIVENESSCHECK_CHECKDURATION"] == "2s"
    assert conf["health_check"]["enable_health_checks"] is False  # as Tyk ships it
    assert conf["max_idle_connections_per_host"] == 500
    assert env["TYK_GW_MAXIDLECONNSPERHOST"] == "500"
    assert "omit_config_file" not in conf and "TYK_GW_OMITCONFIGFILE" not in env
    assert conf["storage"]["optimisation_max_active"] == 500


def _covered(key: str, rows: set[str]) -> str | None:
    parts = key.split(".")
    return next((".".join(parts[:i]) for i in range(len(parts), 0, -1)
                 if ".".join(parts[:i]) in rows), None)


def test_every_difference_from_tyks_shipped_config_is_a_deviation_row(tmp_path: Path) -> None:
    """Render every TLS mode, limiter and form; each key that differs from (or is not in)
    Tyk's shipped standalone config needs a DEVIATIONS row, and every row is used."""
    from stackctl.tyk.tables import DEVIATIONS, SHIPPED_GATEWAY

    shipped = dict(SHIPPED_GATEWAY.values)
    rows = {d.key for d in DEVIATIONS if d.component == "gateway"}
    used: set[str] = set()
    for mode, limiter, idle, profile in (
            ("off", "default", 500, "oss"), ("mtls", "default", 64, "oss"),
            ("off", "fixed-window", 500, "oss"), ("insecure", "redis-rolling", 500, "oss"),
            ("off", "sentinel", 500, "oss"), ("mtls", "default", 500, "pro")):
        settings = _settings(tmp_path, redis={"tls": mode}, profile=profile, gateway={
            "rate_limiter": limiter, "max_idle_connections_per_host": idle})
        doc = render_gateway(build_model(settings), SECRETS, "v5.8.15")
        rendered = flatten(doc.as_json())
        for key in set(rendered) | set(shipped):
            zero = shipped.get(key) in ("", [], 0) and not isinstance(shipped.get(key), bool)
            if key not in rendered and zero:
                continue  # Go's zero value left out: nothing changes
            if rendered.get(key, "<absent>") != shipped.get(key, "<absent>"):
                row = _covered(key, rows)
                assert row is not None, f"{key}: {shipped.get(key)!r} -> {rendered.get(key)!r}"
                used.add(row)
    assert used == rows, f"rows no rendering needs: {rows - used}"


@pytest.mark.parametrize("limiter, flag", [
    ("default", None), ("fixed-window", "enable_fixed_window_rate_limiter"),
    ("redis-rolling", "enable_redis_rolling_limiter"),
    ("sentinel", "enable_sentinel_rate_limiter")])
def test_rate_limiter_setting_selects_one_flag(tmp_path: Path, limiter: str,
                                               flag: str | None) -> None:
    settings = _settings(tmp_path, gateway={"rate_limiter": limiter})
    conf = render_gateway(build_model(settings), SECRETS, "v5.8.15").as_json()
    on = {k for k in ("enable_fixed_window_rate_limiter", "enable_redis_rolling_limiter",
                      "enable_sentinel_rate_limiter") if conf[k]}
    assert on == ({flag} if flag else set())
    assert lookup.limiter_in(conf).name == limiter


@pytest.mark.parametrize("mode", ["tls", "mtls"])
@pytest.mark.parametrize("release", ["v5.8.1", "v5.8.5", "v5.9.3", "v5.3.9"])
def test_redis_limiter_refused_where_its_client_cannot_use_tls_files(
        tmp_path: Path, mode: str, release: str) -> None:
    settings = _settings(tmp_path, redis={"tls": mode}, gateway={"rate_limiter": "sentinel"})
    with pytest.raises(ConfigError) as err:
        render_gateway(build_model(settings), SECRETS, release)
    assert "gateway.rate_limiter" in str(err.value) and "lets every request through" in str(
        err.value)
    settings = _settings(tmp_path, redis={"tls": mode})  # the default limiter is in memory
    assert render_gateway(build_model(settings), SECRETS, release).as_json()


def test_sliding_log_without_tls_files_is_said_to_refuse_not_to_let_through(
        tmp_path: Path) -> None:
    settings = _settings(tmp_path, redis={"tls": "mtls"},
                         gateway={"rate_limiter": "redis-rolling"})
    with pytest.raises(ConfigError) as err:
        render_gateway(build_model(settings), SECRETS, "v5.8.1")
    assert "refuses every request of a limited key" in str(err.value)
    assert "lets every request through" not in str(err.value)


@pytest.mark.parametrize("release", ["v5.8.6", "v5.8.15", "v5.10.0", "v5.14.0"])
def test_redis_limiter_with_tls_accepted_where_tt_14564_is_fixed(tmp_path: Path,
                                                                  release: str) -> None:
    settings = _settings(tmp_path, redis={"tls": "mtls"}, gateway={"rate_limiter": "sentinel"})
    conf = render_gateway(build_model(settings), SECRETS, release).as_json()
    assert conf["enable_sentinel_rate_limiter"] is True


def test_max_idle_connections_setting(tmp_path: Path) -> None:
    settings = _settings(tmp_path, gateway={"max_idle_connections_per_host": 2})
    doc = render_gateway(build_model(settings), SECRETS, "v5.8.15")
    assert doc.as_json()["max_idle_connections_per_host"] == 2
    assert doc.as_env()["TYK_GW_MAXIDLECONNSPERHOST"] == "2"


def test_pump_essentials(tmp_path: Path) -> None:
    doc = render_pump(build_model(_settings(tmp_path, pump={"purge_delay": 3})),
                      SECRETS, "v1.14.0")
    conf, env = doc.as_json(), doc.as_env()
    assert conf["purge_delay"] == 3 and conf["dont_purge_uptime_data"] is True
    assert conf["health_check_endpoint_name"] == "health"
    assert conf["health_check_endpoint_port"] == 8083
    assert conf["pumps"]["csv"] == {"type": "csv", "meta": {"csv_dir": "/opt/tyk-pump/csv"}}
    assert env["TYK_PMP_PUMPS_CSV_META_CSVDIR"] == "/opt/tyk-pump/csv"
    assert "type" not in conf["analytics_storage_config"]  # deprecated


def test_dashboard_needs_licence(tmp_path: Path) -> None:
    model = build_model(_settings(tmp_path, profile="pro"))
    no_licence = SECRETS.model_copy(update={"licence": None})
    with pytest.raises(ConfigError, match="licence"):
        render_files(model, no_licence, "json")
    names = [f.name for f in render_files(model, SECRETS, "json")]
    assert names == ["tyk.conf", "pump.conf", "tyk_analytics.conf"]
    conf = json.loads(render_files(model, SECRETS, "json")[2].text)
    assert conf["license_key"] == "lic-jwt-xyz" and conf["enable_cluster"] is True


def test_oss_has_no_dashboard(tmp_path: Path) -> None:
    model = build_model(_settings(tmp_path))
    assert [f.name for f in render_files(model, SECRETS, "env")] == [
        "gateway-secrets.conf", "gateway.env", "pump-secrets.conf", "pump.env"]


def test_tls_names_need_a_release_that_has_them(tmp_path: Path) -> None:
    model = build_model(_settings(tmp_path, redis={"tls": "tls"}))
    with pytest.raises(ConfigError, match="ca_file"):
        render_gateway(model, SECRETS, "v5.2.0")
    render_gateway(build_model(_settings(tmp_path, redis={"tls": "insecure"})), SECRETS,
                   "v5.2.0")


@pytest.mark.parametrize("form", ["json", "env"])
def test_writes_are_atomic_and_private(tmp_path: Path, form: str) -> None:
    model = build_model(_settings(tmp_path, profile="pro"))
    out = tmp_path / "out"
    paths = write_files(render_files(model, SECRETS, form), out)  # type: ignore[arg-type]
    assert sorted(os.listdir(out)) == sorted(p.name for p in paths)  # no temp files left
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", ["off", "tls", "insecure", "mtls"])
@pytest.mark.parametrize("form", ["json", "env"])
def test_rendered_configs_lint_clean(tmp_path: Path, form: str, mode: str) -> None:
    model = build_model(_settings(tmp_path, profile="pro", redis={"tls": mode}))
    paths = write_files(render_files(model, SECRETS, form), tmp_path / "out")  # type: ignore[arg-type]
    findings = lint_paths(paths, dict(RELEASE), model.addrs)  # type: ignore[arg-type]
    assert findings == []


def test_unsupported_pair(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="support matrix"):
        check_support(_settings(tmp_path, images={"redis": "redis:6.0.20"}))
    check_support(_settings(tmp_path, images={"redis": "redis:6.0.20"}, allow_unsupported=True))
    check_support(_settings(tmp_path))
    with pytest.raises(ConfigError, match=r"Redis 7\.0"):
        check_support(_settings(tmp_path, images={"gateway": "tykio/tyk-gateway:v5.2.1"}))


def test_cli_render_never_prints_secrets(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args in (["render", "--json"], ["render", "--format", "env", "--out", "envs"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        secrets = json.loads((tmp_path / ".stackctl" / "secrets.json").read_text())
        for value in secrets.values():
            assert value not in result.output
    data = json.loads(runner.invoke(app, ["render", "--json"]).output)
    assert {Path(f["path"]).name for f in data["files"]} == {"tyk.conf", "pump.conf"}
    assert all(f["mode"] == "600" for f in data["files"])
    assert (tmp_path / "envs" / "gateway.env").exists()
    bad = runner.invoke(app, ["render", "--format", "yaml"])
    assert bad.exit_code != 0



SECRET_VALUES = ("redis-pw-xyz", "gw-secret-xyz", "lic-jwt-xyz", "node-secret-xyz",
                 "admin-secret-xyz", "pg-pw-xyz")
SECRET_OPTIONS = {
    "gateway": {"secret", "node_secret", "storage.password"},
    "pump": {"analytics_storage_config.password", "pumps.sql.meta.connection_string",
             "pumps.sqlaggregate.meta.connection_string",
             "uptime_pump_config.connection_string"},
    "dashboard": {"license_key", "admin_secret", "shared_node_secret", "tyk_api_config.Secret",
                  "redis_password", "storage.main.connection_string",
                  "storage.analytics.connection_string", "storage.uptime.connection_string"},
}


@pytest.mark.parametrize("mode", ["off", "mtls"])
def test_env_form_keeps_every_secret_out_of_the_env_files(tmp_path: Path, mode: str) -> None:
    """Each env file holds no secret value and no omit_config_file; each component's
    secrets file holds exactly its secret options (what `docker inspect` must not show)."""
    model = build_model(_settings(tmp_path, profile="pro", redis={"tls": mode}))
    files = {f.name: f for f in render_files(model, SECRETS, "env")}
    assert set(files) == {f"{c}{s}" for c in COMPONENTS for s in (".env", "-secrets.conf")}
    for component in COMPONENTS:
        env = files[f"{component}.env"].text
        assert not [v for v in SECRET_VALUES if v in env], component
        assert "OMITCONFIGFILE" not in env
        secret = flatten(json.loads(files[f"{component}-secrets.conf"].text))
        assert set(secret) == SECRET_OPTIONS[component]
        assert all(any(v in str(x) for v in SECRET_VALUES) for x in secret.values())


def test_rendered_gateway_reads_the_env_form_with_its_secrets(tmp_path: Path) -> None:
    from stackctl.tyk.bundle import RENDERED_DIR, rendered_gateway

    model = build_model(_settings(tmp_path))
    for form in ("json", "env"):
        write_files(render_files(model, SECRETS, form), tmp_path / RENDERED_DIR)  # type: ignore[arg-type]
    env, conf = rendered_gateway(tmp_path, "env"), rendered_gateway(tmp_path, "json")
    assert env["secret"] == "gw-secret-xyz" and env["storage.password"] == "redis-pw-xyz"
    assert env["storage.enable_cluster"] is True
    assert set(env) == set(conf)  # the same keys: nothing lost to the split
