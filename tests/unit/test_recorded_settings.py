"""Later commands use the settings the stack was brought up with (`context.recorded`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackctl.context.recorded import APPLIED_FILE, for_running_stack, settings_record
from stackctl.errors import ConfigErrors
from stackctl.settings import Settings
from stackctl.state import atomic_write_json

pytestmark = pytest.mark.unit


def _record(state: Path, settings: Settings) -> None:
    atomic_write_json(state / APPLIED_FILE, {"digest": "d", "settings": settings_record(settings)})


def test_a_later_command_runs_on_what_up_was_told(tmp_path: Path) -> None:
    state = tmp_path / ".stackctl"
    _record(state, Settings(state_dir=state, images={"offline": True}, redis={"tls": "mtls"},
                            gateway={"port": 18080}))
    later = for_running_stack(Settings(state_dir=state))  # no flags: defaults
    assert later.images.offline is True and later.redis.tls == "mtls"
    assert later.gateway.port == 18080 and later.state_dir == state


def test_an_explicit_conflicting_setting_is_named_not_applied(tmp_path: Path) -> None:
    state = tmp_path / ".stackctl"
    _record(state, Settings(state_dir=state, redis={"tls": "mtls", "shards": 3}))
    same = for_running_stack(Settings(state_dir=state, redis={"tls": "mtls"}))
    assert same.redis.tls == "mtls"  # given explicitly, and equal: fine
    with pytest.raises(ConfigErrors) as err:
        for_running_stack(Settings(state_dir=state, redis={"tls": "off", "shards": 4}))
    text = str(err.value)
    assert "redis.tls" in text and "'mtls'" in text and "redis.shards" in text
    assert "stackctl up" in text


def test_no_record_or_an_unreadable_one_means_the_current_settings(tmp_path: Path) -> None:
    state = tmp_path / ".stackctl"
    current = Settings(state_dir=state, redis={"tls": "tls"})
    assert for_running_stack(current) is current
    atomic_write_json(state / APPLIED_FILE, {"digest": "d", "settings": {"bogus": 1}})
    assert for_running_stack(current) is current
