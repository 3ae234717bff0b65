"""The rendered profile-pro compose file as Docker Compose reads it (`compose config`):
valid, the store network internal, the password a file secret, the dashboard on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackctl.context.render import render_stack
from stackctl.engine.factory import stack_context
from stackctl.model import build_model
from stackctl.settings import load_settings, nested

pytestmark = pytest.mark.docker

LICENCE = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln"


@pytest.mark.parametrize("form", ["files", "env"])
def test_compose_reads_the_pro_file(tmp_path: Path, form: str) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "secrets.json").write_text(json.dumps({"licence": LICENCE}))
    settings = load_settings(None, nested({
        "state_dir": str(state), "certs_dir": str(tmp_path / "certs"), "profile": "pro",
        "project": "stackctl-test-pro-config", "config_form": form,
        "dashboard.port": 13001}))
    ctx = stack_context(build_model(settings))
    render_stack(ctx)
    doc = ctx.compose.config()
    assert doc["networks"]["store"]["internal"] is True
    assert doc["secrets"]["postgres_password"]["file"].endswith("rendered/postgres-password")
    ports = doc["services"]["dashboard"]["ports"]
    assert [(p["host_ip"], str(p["published"]), p["target"]) for p in ports] == [
        ("127.0.0.1", "13001", 3000)]
    assert "store" not in doc["services"]["gateway"]["networks"]
