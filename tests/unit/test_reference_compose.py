"""compose/ is the renderer's output: any drift fails here."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from stackctl.cluster.redis_conf import render_redis
from stackctl.model import build_model
from stackctl.render.reference import (
    PLACEHOLDER,
    REFERENCE_DIR,
    REFERENCE_OVERRIDES,
    SECRET_NAME,
    SECRET_PATH,
    render_reference,
)
from stackctl.render.stack import stack_compose
from stackctl.render.tyk import TykFiles
from stackctl.secrets import Secrets
from stackctl.settings import load_settings
from stackctl.state import atomic_write
from stackctl.tyk.bundle import render_files

pytestmark = pytest.mark.unit

HAND_WRITTEN = {"redis/node-start-env.sh", "README.md"}


def test_compose_dir_matches_the_renderer(tmp_path: Path) -> None:
    written = render_reference(tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in written}
    committed = {p.relative_to(REFERENCE_DIR).as_posix(): p.read_text()
                 for p in REFERENCE_DIR.rglob("*") if p.is_file()
                 and p.relative_to(REFERENCE_DIR).as_posix() not in HAND_WRITTEN
                 and p.name != ".env"}
    assert sorted(committed) == sorted(fresh), "run `stackctl render --format reference`"
    for name, text in fresh.items():
        assert committed[name] == text, f"compose/{name} drifted: re-render it"


# "Real" secrets, planted wherever a renderer could pick one up.
REAL = Secrets(redis_password=SecretStr("RealRedisPw-4f9c2a7d0b1e8c3a"),
               gateway_secret=SecretStr("RealGatewaySecret-7e1d9b3c5a2f"))
VARIABLE = {"redis_password": "REDIS_PASSWORD", "gateway_secret": "GATEWAY_SECRET"}
"""Where compose/.env supplies each secret from."""


def _plant_real_secrets(where: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A state dir with a secrets file in the working directory, the same values in the
    environment, and secret generation returning them; every form a secret could leak in
    (the value, the SHA-256 the ACL file holds)."""
    values = REAL.dump()
    atomic_write(where / ".stackctl" / "secrets.json", json.dumps(values), 0o600)
    monkeypatch.chdir(where)
    monkeypatch.setattr("stackctl.secrets._generate", lambda: dict(values))
    for name, variable in VARIABLE.items():
        monkeypatch.setenv(variable, values[name])
    return [form for v in values.values()
            for form in (v, hashlib.sha256(v.encode()).hexdigest())]


def _leaves(doc: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(doc, dict):
        return {k: v for key, value in doc.items() for k, v in _leaves(value, (*path, key)).items()}
    return {path: doc}


def _compose_doc(out: Path) -> dict[str, Any]:
    """compose.yaml is JSON after its comment header."""
    text = (out / "compose.yaml").read_text()
    doc: dict[str, Any] = json.loads("\n".join(
        line for line in text.splitlines() if not line.startswith("#")))
    return doc


def test_no_real_secret_reaches_compose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forms = _plant_real_secrets(tmp_path, monkeypatch)
    out = tmp_path / "compose"
    render_reference(out)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"compose.yaml", ".env.example", "tyk.conf", "pump.conf",
                                       "redis-1.conf"}
    for path in files:
        text = path.read_text()
        for form in forms:
            assert form not in text, f"{path.relative_to(out)} holds a real secret"
    # the committed compose/ as well (it is what users run)
    for path in (p for p in REFERENCE_DIR.rglob("*") if p.is_file()):
        text = path.read_text()
        assert not any(form in text for form in forms), path


def test_placeholder_stands_where_each_secret_goes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack rendered with the real secrets says where each one goes (config keys,
    env overrides, secret-bearing mounts); at each place the reference holds the
    placeholder, the variable from compose/.env, or the Compose secret."""
    _plant_real_secrets(tmp_path, monkeypatch)
    out = tmp_path / "compose"
    render_reference(out)
    settings = load_settings(Path(os.devnull), {
        "state_dir": str(tmp_path / "real"), "certs_dir": str(tmp_path / "real" / "certs"),
        **REFERENCE_OVERRIDES})
    model = build_model(settings)
    values = REAL.dump()
    placed: dict[str, int] = dict.fromkeys(values, 0)

    # 1. config files: every key holding a secret holds the placeholder
    for f in render_files(model, REAL, "json"):
        real = _leaves(json.loads(f.text))
        ref = _leaves(json.loads((out / "tyk" / f.name).read_text()))
        for key, value in real.items():
            for name, secret in values.items():
                if value == secret:
                    assert ref[key] == PLACEHOLDER, f"{f.name}: {'.'.join(key)}"
                    placed[name] += 1
    # 2. env overrides: every variable carrying a secret is read from compose/.env
    doc = _compose_doc(out)
    for f in render_files(model, REAL, "env"):
        env = doc["services"][f.component]["environment"]
        for line in f.text.splitlines():
            key, _, value = line.partition("=")
            for name, secret in values.items():
                if value == secret:
                    variable = VARIABLE[name]
                    assert env[key] == f"${{{variable}:?set {variable} in compose/.env}}", key
                    placed[name] += 1
    assert all(placed.values()), placed  # every secret was found somewhere
    # 3. Redis: no secret-bearing file is mounted; the password is the Compose secret
    redis = render_redis(model, REAL)
    tyk = TykFiles(gateway_conf=tmp_path / "real" / "tyk.conf",
                   pump_conf=tmp_path / "real" / "pump.conf", apps=tmp_path, policies=tmp_path,
                   analytics=tmp_path)
    real_doc = stack_compose(model, redis, tyk)
    password = values["redis_password"]
    forms = (password, hashlib.sha256(password.encode()).hexdigest())
    bearing = 0
    for name, service in real_doc["services"].items():
        private = {m["target"] for m in service.get("volumes", [])
                   if m.get("type") == "bind" and Path(m["source"]).is_file()
                   and any(form in Path(m["source"]).read_text() for form in forms)}
        env = service.get("environment")
        if not private:
            continue
        bearing += 1
        ref = doc["services"][name]
        assert not private & {m["target"] for m in ref.get("volumes", [])}, name
        assert ref["secrets"] == [SECRET_NAME], name
        if isinstance(env, dict) and "STACKCTL_PASSWORD_FILE" in env:
            assert ref["environment"]["STACKCTL_PASSWORD_FILE"] == SECRET_PATH, name
    assert bearing >= len(model.nodes)  # every node mounts its ACL and auth files
    assert doc["secrets"] == {SECRET_NAME: {"environment": VARIABLE["redis_password"]}}
    assert {line.partition("=")[0] for line in (out / ".env.example").read_text().splitlines()
            if line and not line.startswith("#")} == set(VARIABLE.values())


def test_reference_publishes_only_the_gateway_on_loopback(tmp_path: Path) -> None:
    render_reference(tmp_path)
    doc = _compose_doc(tmp_path)
    published = {name: s["ports"] for name, s in doc["services"].items() if s.get("ports")}
    assert published == {"gateway": ["127.0.0.1:${GATEWAY_PORT:-8080}:8080"]}
    redis_net = next(n for n in doc["networks"].values() if n.get("internal"))
    assert redis_net["internal"] is True
