"""Lint's profile-pro pairing rules on rendered files: node secret, API secret and
hash_keys must agree between tyk.conf and tyk_analytics.conf (either form)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from stackctl.model import build_model
from stackctl.secrets import Secrets
from stackctl.settings import load_settings, nested
from stackctl.tyk.bundle import render_files, write_files
from stackctl.tyk.lint.run import lint_paths

pytestmark = pytest.mark.unit

SECRETS = Secrets(redis_password=SecretStr("r"), gateway_secret=SecretStr("gw-secret"),
                  licence=SecretStr("lic"), node_secret=SecretStr("node-secret"),
                  dashboard_admin_secret=SecretStr("adm"), postgres_password=SecretStr("pg"))
RELEASES = {"gateway": "v5.8.0", "pump": "v1.14.0", "dashboard": "v5.8.0"}


def rendered(tmp_path: Path, form: str) -> list[Path]:
    settings = load_settings(None, nested({"state_dir": str(tmp_path), "profile": "pro"}))
    return write_files(render_files(build_model(settings), SECRETS, form),  # type: ignore[arg-type]
                       tmp_path / "out")


def pairing(paths: list[Path]) -> list[str]:
    return sorted(f.key for f in lint_paths(paths, dict(RELEASES))  # type: ignore[arg-type]
                  if f.kind == "pairing")


@pytest.mark.parametrize("form", ["json", "env"])
def test_rendered_pair_is_clean(tmp_path: Path, form: str) -> None:
    assert pairing(rendered(tmp_path, form)) == []


def test_each_broken_pair_is_an_error_without_the_secret(tmp_path: Path) -> None:
    paths = rendered(tmp_path, "json")
    dash = next(p for p in paths if p.name == "tyk_analytics.conf")
    doc = json.loads(dash.read_text())
    doc["shared_node_secret"] = "other-node-secret"
    doc["tyk_api_config"]["Secret"] = "other-api-secret"
    doc["hash_keys"] = False
    dash.write_text(json.dumps(doc))
    findings = [f for f in lint_paths(paths, dict(RELEASES))  # type: ignore[arg-type]
                if f.kind == "pairing"]
    assert sorted(f.key for f in findings) == ["hash_keys", "shared_node_secret",
                                               "tyk_api_config.Secret"]
    assert all(f.severity == "error" for f in findings)
    text = " ".join(f.message for f in findings)
    assert "other-node-secret" not in text and "node-secret" not in text
    assert "gateway hash_keys=true; dashboard hash_keys=false" in text


def test_env_form_pairs_too(tmp_path: Path) -> None:
    paths = rendered(tmp_path, "env")
    env = next(p for p in paths if p.name == "dashboard.env")
    assert "node-secret" not in env.read_text()  # env form: secrets in their own file
    env.write_text(env.read_text() + "TYK_DB_NODESECRET=changed\n")
    assert pairing(paths) == ["shared_node_secret"]
