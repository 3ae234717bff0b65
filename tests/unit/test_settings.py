"""Settings: precedence, validation messages, unknown keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackctl.errors import ConfigError
from stackctl.settings import Settings, load_settings, nested

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("STACKCTL_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_are_laptop_safe() -> None:
    s = load_settings()
    assert s.redis.shards == 3 and s.redis.replicas == 1
    assert str(s.network.bind) == "127.0.0.1"
    assert s.published_ports() == {"gateway": 8080}


def test_precedence_flags_over_env_over_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(tmp_path / "s.toml", "[redis]\nshards = 4\nreplicas = 2\ntls = 'tls'\n")
    monkeypatch.setenv("STACKCTL_REDIS__SHARDS", "5")
    monkeypatch.setenv("STACKCTL_REDIS__REPLICAS", "0")
    s = load_settings(cfg, nested({"redis.shards": 6, "redis.tls": None}))
    assert s.redis.shards == 6  # flag
    assert s.redis.replicas == 0  # env
    assert s.redis.tls == "tls"  # toml (flag None means not given)


def test_default_config_file_is_read_from_cwd(tmp_path: Path) -> None:
    write(tmp_path / "stackctl.toml", "profile = 'pro'\n")
    assert load_settings().profile == "pro"


def test_unknown_toml_key_names_closest(tmp_path: Path) -> None:
    cfg = write(tmp_path / "s.toml", "[redis]\nshard = 3\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert "redis.shard" in str(err.value) and "did you mean 'redis.shards'" in str(err.value)


def test_unknown_top_level_section(tmp_path: Path) -> None:
    cfg = write(tmp_path / "s.toml", "[gatway]\nport = 1\n")
    with pytest.raises(ConfigError, match="did you mean 'gateway'"):
        load_settings(cfg)


def test_malformed_toml_names_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "s.toml", "[redis\nshards = 3\n")
    with pytest.raises(ConfigError, match=r"s\.toml: is not valid TOML"):
        load_settings(cfg)


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("flags", "setting"),
    [
        ({"redis.shards": 2}, "redis.shards"),
        ({"redis.replicas": -1}, "redis.replicas"),
        ({"redis.replicas": 6}, "redis.replicas"),
        ({"gateway.port": 0}, "gateway.port"),
        ({"gateway.port": 70000}, "gateway.port"),
        ({"redis.tls": "ssl"}, "redis.tls"),
        ({"redis.shards": "three"}, "redis.shards"),
        ({"profile": "enterprise"}, "profile"),
    ],
)
def test_bad_values_name_the_setting(flags: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(None, nested(flags))
    line = str(err.value)
    assert line.startswith(setting) and "\n" not in line


def test_two_services_on_one_port() -> None:
    with pytest.raises(ConfigError, match=r"gateway\.port and dashboard\.port are both 8080"):
        load_settings(None, nested({"profile": "pro", "dashboard.port": 8080}))


def test_every_problem_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKCTL_REDIS__SHARDS", "1")
    with pytest.raises(ConfigError) as err:
        load_settings(None, nested({"gateway.port": 0}))
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert {line.split(" ")[0] for line in lines} == {"redis.shards", "gateway.port"}


def test_wrong_type_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKCTL_GATEWAY__PORT", "eighty")
    with pytest.raises(ConfigError, match=r"^gateway\.port = 'eighty'"):
        load_settings()


def test_overlapping_subnets_rejected() -> None:
    with pytest.raises(ConfigError, match=r"network\.subnet"):
        load_settings(None, nested({"network.subnet": "172.31.250.0/25"}))


def test_settings_are_frozen() -> None:
    s = load_settings()
    with pytest.raises(Exception, match="frozen"):
        s.redis.shards = 9  # type: ignore[misc]
    assert isinstance(s, Settings)


def test_nested_drops_unset_flags() -> None:
    assert nested({"a.b": 1, "a.c": None, "d": 2}) == {"a": {"b": 1}, "d": 2}
