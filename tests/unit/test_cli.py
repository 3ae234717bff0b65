"""The CLI as a user runs it: exit codes, one-line errors, JSON views."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from stackctl.cli.main import app
from stackenv import clean_stackctl as stackctl

pytestmark = pytest.mark.unit




def test_version(tmp_path: Path) -> None:
    from stackctl import __version__

    out = stackctl("--version", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == f"stackctl {__version__}"


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, cmd
    if isinstance(cmd, TyperGroup):  # asked as click asks (the root loads them lazily)
        ctx = typer.Context(cmd)
        for name in sorted(cmd.list_commands(ctx)):
            yield from _commands(cmd.get_command(ctx, name), (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_command_list_is_complete() -> None:
    """The enumeration below walks the app itself: a new command is in it."""
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert paths >= {"", "up", "down", "status", "logs", "smoke", "sweep", "certs", "render",
                     "lint", "doctor", "config", "config show", "images", "images build",
                     "images list"}


@pytest.mark.parametrize(("path", "command"), COMMANDS,
                         ids=[" ".join(p) or "stackctl" for p, _ in COMMANDS])
def test_every_command_has_help(path: tuple[str, ...], command: Any) -> None:
    summary = (command.help or "").split("\n\n")[0]
    assert summary.strip(), f"{' '.join(path)} has no summary (its docstring)"
    out = CliRunner().invoke(app, [*path, "--help"], prog_name="stackctl",
                             terminal_width=100)
    assert out.exit_code == 0, out.output
    text = _words(out.output)
    assert f"Usage: stackctl {' '.join((*path, ''))}".rstrip() in text
    assert _words(summary) in text
    if isinstance(command, TyperGroup):  # a group lists each subcommand
        for name in command.commands:
            assert f"│ {name} " in out.output, name


def test_help_lists_every_command_and_imports_none(tmp_path: Path) -> None:
    """Commands register lazily (cli/main.py COMMANDS): `--help` lists each with its line
    from the table and imports no command module, so start-up stays light."""
    from stackctl.cli.main import COMMANDS as TABLE

    script = ("import json, runpy, sys\nsys.argv = ['stackctl', '--help']\ntry:\n"
              "    runpy.run_module('stackctl', run_name='__main__')\nexcept SystemExit:\n"
              "    pass\nprint(json.dumps(sorted(m for m in sys.modules "
              "if m.startswith('stackctl.'))))")
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, check=True)
    *listing, loaded = out.stdout.strip().splitlines()
    assert not [m for m in json.loads(loaded) if m.endswith("_cmd") or m == "stackctl.settings"]
    text = _words("\n".join(listing).replace("│", " "))
    for name, (_, _, line) in TABLE.items():
        assert f"{name} {_words(line)}" in text, name


def test_help_as_a_user_runs_it(tmp_path: Path) -> None:
    out = stackctl("--help", cwd=tmp_path)
    assert out.returncode == 0 and "Usage:" in out.stdout
    assert _words(app.info.help or "-") in _words(out.stdout)
    assert stackctl("-h", cwd=tmp_path).stdout == out.stdout


def test_config_show_json_masks_secrets(tmp_path: Path) -> None:
    from stackctl.secrets import load_secrets

    secret = load_secrets(tmp_path / ".stackctl").redis_password.get_secret_value()
    out = stackctl("config", "show", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["redis"]["shards"] == 3
    assert secret not in out.stdout
    assert data["secrets"]["values"]["redis_password"] == "********"
    shown = stackctl("config", "show", "--json", "--show-secrets", cwd=tmp_path)
    assert secret in shown.stdout


@pytest.mark.parametrize(
    ("toml", "env", "expect"),
    [
        ("[redis]\nshards = 2\n", {}, "redis.shards"),
        ("[redis\n", {}, "stackctl.toml: is not valid TOML"),
        ("[redis]\nreplicaz = 1\n", {}, "did you mean 'redis.replicas'"),
        ("", {"STACKCTL_REDIS__REPLICAS": "9"}, "redis.replicas"),
        ("[gateway]\nport = 99999\n", {}, "gateway.port"),
        ("profile = 'pro'\n[dashboard]\nport = 8080\n", {}, "both 8080"),
        ("[gateway]\nmax_idle_connections_per_host = 0\n", {},
         "gateway.max_idle_connections_per_host"),
        ("", {"STACKCTL_GATEWAY__MAX_IDLE_CONNECTIONS_PER_HOST": "100001"},
         "gateway.max_idle_connections_per_host"),
        ("[gateway]\nrate_limiter = 'token-bucket'\n", {}, "gateway.rate_limiter"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(
    tmp_path: Path, toml: str, env: dict[str, str], expect: str
) -> None:
    (tmp_path / "stackctl.toml").write_text(toml)
    out = stackctl("config", "show", cwd=tmp_path, env=env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stackctl: error: ")
    assert expect in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stackctl.toml"]


LIMITER_MTLS = "[gateway]\nrate_limiter = 'fixed-window'\n[redis]\ntls = 'mtls'\n"


def test_redis_limiter_that_cannot_use_the_tls_files_is_refused_before_writing(
        tmp_path: Path) -> None:
    (tmp_path / "stackctl.toml").write_text(
        LIMITER_MTLS + "[images]\ngateway = 'tykio/tyk-gateway:v5.8.1'\n")
    out = stackctl("render", "--out", "out", cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "gateway.rate_limiter" in lines[0], out.stderr
    assert "Tyk v5.8.1 ignores" in lines[0] and "v5.8.6-v5.8, v5.10.0+" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stackctl.toml"]


def test_the_default_release_runs_a_redis_limiter_with_tls(tmp_path: Path) -> None:
    """The default official gateway (v5.8.15) has TT-14564's fix: no refusal."""
    (tmp_path / "stackctl.toml").write_text(LIMITER_MTLS)
    out = stackctl("render", "--out", "out", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "enable_fixed_window_rate_limiter" in (tmp_path / "out" / "tyk.conf").read_text()


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    out = stackctl("frobnicate", cwd=tmp_path)
    assert out.returncode == 2

