"""The secrets file and atomic writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from stackctl.errors import ConfigError
from stackctl.secrets import load_secrets, secrets_path
from stackctl.state import atomic_write, atomic_write_json, read_json

pytestmark = pytest.mark.unit


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_generated_once_and_kept_0600(tmp_path: Path) -> None:
    first = load_secrets(tmp_path)
    path = secrets_path(tmp_path)
    assert mode(path) == 0o600
    second = load_secrets(tmp_path)
    assert first.redis_password.get_secret_value() == second.redis_password.get_secret_value()
    assert len(first.gateway_secret.get_secret_value()) >= 32
    assert first.redis_password.get_secret_value() != first.gateway_secret.get_secret_value()


def test_secrets_masked_in_repr(tmp_path: Path) -> None:
    s = load_secrets(tmp_path)
    assert s.redis_password.get_secret_value() not in repr(s)
    assert s.redis_password.get_secret_value() not in str(s)


def test_loose_mode_is_tightened(tmp_path: Path) -> None:
    load_secrets(tmp_path)
    path = secrets_path(tmp_path)
    os.chmod(path, 0o644)
    load_secrets(tmp_path)
    assert mode(path) == 0o600


def test_missing_secret_is_added_others_kept(tmp_path: Path) -> None:
    path = secrets_path(tmp_path)
    path.write_text('{"redis_password": "kept-value-123"}')
    s = load_secrets(tmp_path)
    assert s.redis_password.get_secret_value() == "kept-value-123"
    assert s.gateway_secret.get_secret_value()


def test_corrupt_secrets_file_is_an_error_and_untouched(tmp_path: Path) -> None:
    path = secrets_path(tmp_path)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"secrets\.json"):
        load_secrets(tmp_path)
    assert path.read_text() == "{not json"


def test_no_create_refuses_to_generate(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="has no secrets yet"):
        load_secrets(tmp_path, create=False)
    assert not secrets_path(tmp_path).exists()


def test_atomic_write_sets_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "key.pem"
    atomic_write(target, b"secret", 0o600)
    assert target.read_bytes() == b"secret" and mode(target) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["key.pem"]


def test_atomic_write_failure_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "data.json"
    atomic_write_json(target, {"a": 1})

    class Boom:
        pass

    with pytest.raises(TypeError):
        atomic_write_json(target, {"a": Boom()})
    assert read_json(target) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_read_json_missing_is_none(tmp_path: Path) -> None:
    assert read_json(tmp_path / "none.json") is None
