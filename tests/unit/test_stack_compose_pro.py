"""Profile pro's compose services: the dashboard published on loopback only, PostgreSQL on
an internal network the gateway has no address on, no secret in any environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackctl.context.render import render_stack
from stackctl.engine.factory import stack_context
from stackctl.model import build_model
from stackctl.render.pro import PRO_SERVICES
from stackctl.secrets import secrets_path
from stackctl.settings import load_settings, nested

pytestmark = pytest.mark.unit

LICENCE = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9."  # exp 2100-01-01, unsigned


def render(tmp_path: Path, **flags: Any) -> tuple[dict[str, Any], Path]:
    state = tmp_path / "state"
    state.mkdir(parents=True, exist_ok=True)
    secrets_path(state).write_text(json.dumps({"licence": LICENCE}))
    settings = load_settings(None, nested({
        "state_dir": str(state), "certs_dir": str(tmp_path / "certs"), "profile": "pro",
        "dashboard.port": 13000, "gateway.port": 18080, **flags}))
    ctx = stack_context(build_model(settings))
    render_stack(ctx)
    return json.loads((state / "compose.json").read_text()), state


def test_dashboard_published_on_loopback_only(tmp_path: Path) -> None:
    doc, _ = render(tmp_path)
    published = {n: s["ports"] for n, s in doc["services"].items() if s.get("ports")}
    assert published == {"gateway": ["127.0.0.1:18080:8080"],
                         "dashboard": ["127.0.0.1:13000:3000"]}


def test_store_network_internal_and_the_gateway_not_on_it(tmp_path: Path) -> None:
    doc, _ = render(tmp_path, **{"dashboard.store_subnet": "172.31.60.0/24",
                                 "gateway.replicas": 2})
    store = doc["networks"]["store"]
    assert store["internal"] is True
    assert store["ipam"]["config"] == [{"subnet": "172.31.60.0/24"}]
    on_store = {n for n, s in doc["services"].items() if "store" in s.get("networks", {})}
    assert on_store == {"postgres", "dashboard", "pump"}
    assert doc["services"]["postgres"]["networks"] == {
        "store": {"ipv4_address": "172.31.60.10"}}
    for name in ("gateway", "gateway-2"):
        assert doc["services"][name]["depends_on"]["dashboard"] == {
            "condition": "service_started"}
    assert doc["services"]["pump"]["depends_on"]["postgres"] == {
        "condition": "service_healthy"}


def test_postgres_volume_healthcheck_and_password_as_a_secret(tmp_path: Path) -> None:
    doc, state = render(tmp_path)
    pg = doc["services"]["postgres"]
    assert pg["volumes"] == [{"type": "volume", "source": "postgres-data",
                              "target": "/var/lib/postgresql/data"}]
    assert "postgres-data" in doc["volumes"]
    assert pg["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert pg["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    source = Path(doc["secrets"]["postgres_password"]["file"])
    secrets = json.loads(secrets_path(state).read_text())
    assert source.read_text() == secrets["postgres_password"]
    assert source.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("form", ["files", "env"])
def test_no_licence_in_any_environment_of_the_pro_services(tmp_path: Path, form: str) -> None:
    doc, state = render(tmp_path, config_form=form)
    secrets = json.loads(secrets_path(state).read_text())
    for name in PRO_SERVICES:
        service = doc["services"][name]
        env_text = json.dumps(service.get("environment", {}))
        for path in service.get("env_file", []):
            env_text += Path(path).read_text()
        # The env form carries the other secrets in TYK_DB_* (as gateway.env and pump.env
        # do); the licence never.
        keys = ("licence",) if form == "env" else ("licence", "postgres_password",
                                                    "dashboard_admin_secret", "node_secret")
        for key in keys:
            assert secrets[key] not in env_text, (name, key)
    mounted = {v["target"]: Path(v["source"]) for v in doc["services"]["dashboard"]["volumes"]}
    conf = json.loads(mounted["/opt/tyk-dashboard/tyk_analytics.conf"].read_text())
    assert conf["license_key"] == LICENCE  # the licence reaches the dashboard as a file


def test_gateway_in_dashboard_mode_only_in_pro(tmp_path: Path) -> None:
    _, state = render(tmp_path / "pro")
    gw = json.loads((state / "rendered" / "tyk.conf").read_text())
    dash = json.loads((state / "rendered" / "tyk_analytics.conf").read_text())
    assert gw["use_db_app_configs"] is True
    assert gw["db_app_conf_options"]["connection_string"] == "http://dashboard:3000"
    assert gw["policies"]["policy_source"] == "service"
    assert gw["node_secret"] == dash["shared_node_secret"]
    assert gw["secret"] == dash["tyk_api_config"]["Secret"]
    assert gw["hash_keys"] == dash["hash_keys"]
    for part in ("main", "analytics", "uptime"):
        assert dash["storage"][part]["type"] == "postgres"
        assert "host=postgres port=5432" in dash["storage"][part]["connection_string"]
    pump = json.loads((state / "rendered" / "pump.conf").read_text())
    assert pump["pumps"]["sql"]["meta"]["type"] == "postgres"
    assert pump["pumps"]["sqlaggregate"]["type"] == "sql_aggregate"
    assert pump["pumps"]["csv"]["type"] == "csv"  # the local sink stays
    assert pump["uptime_pump_config"]["uptime_type"] == "sql"

    oss_state = tmp_path / "oss" / "state"
    settings = load_settings(None, nested({"state_dir": str(oss_state),
                                           "certs_dir": str(tmp_path / "oss" / "certs")}))
    render_stack(stack_context(build_model(settings)))
    oss = json.loads((oss_state / "rendered" / "tyk.conf").read_text())
    assert oss["use_db_app_configs"] is False and "node_secret" not in oss
    doc = json.loads((oss_state / "compose.json").read_text())
    assert not set(PRO_SERVICES) & set(doc["services"]) and "secrets" not in doc
