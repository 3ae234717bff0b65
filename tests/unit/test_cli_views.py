"""Human views: `config show` as stackctl.toml, `status` and the `up` summary as text a
person reads, each built from the document `--json` prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from stackctl.cli.stack_view import status_view, up_view

pytestmark = pytest.mark.unit

REPR_MARKS = ("{'", "['", "': ", "None", "PosixPath")


def stackctl(*args: str, cwd: Path, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    return subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd,
                          env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=60)


def _no_repr(text: str) -> None:
    for mark in REPR_MARKS:
        assert mark not in text, f"{mark!r} in:\n{text}"


def test_config_show_is_a_stackctl_toml_that_reads_back(tmp_path: Path) -> None:
    (tmp_path / "stackctl.toml").write_text('[redis]\nshards = 5\ntls = "mtls"\n')
    env = {"STACKCTL_GATEWAY__MAX_ACTIVE": "64", "STACKCTL_IMAGES__GATEWAY": "tyk:test"}
    out = stackctl("config", "show", cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    shown = tomllib.loads(out.stdout)
    as_json = json.loads(stackctl("config", "show", "--json", cwd=tmp_path, env=env).stdout)
    del as_json["secrets"]
    # the same settings, but for the unset (null) values TOML cannot hold
    assert shown == {k: ({kk: vv for kk, vv in v.items() if vv is not None}
                         if isinstance(v, dict) else v)
                     for k, v in as_json.items() if v is not None}
    assert (shown["redis"]["shards"], shown["redis"]["tls"]) == (5, "mtls")
    assert (shown["gateway"]["max_active"], shown["images"]["gateway"]) == (64, "tyk:test")
    assert "# pump = (not set)" in out.stdout
    # as a stackctl.toml of its own (no environment), it resolves to the same settings
    again = tmp_path / "again"
    again.mkdir()
    (again / "stackctl.toml").write_text(out.stdout)
    reread = json.loads(stackctl("config", "show", "--json", cwd=again).stdout)
    del reread["secrets"]
    assert reread == as_json
    _no_repr(out.stdout)


def test_config_show_never_prints_a_secret_unless_asked(tmp_path: Path) -> None:
    from stackctl.secrets import load_secrets

    secrets = load_secrets(tmp_path / ".stackctl").dump()
    out = stackctl("config", "show", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert not any(v in out.stdout for v in secrets.values())
    assert "# redis_password = \"********\"" in out.stdout
    assert ".stackctl/secrets.json" in out.stdout
    assert "secrets" not in tomllib.loads(out.stdout)  # comments: not a setting
    shown = stackctl("config", "show", "--show-secrets", cwd=tmp_path)
    for name, value in secrets.items():
        assert f'# {name} = "{value}"' in shown.stdout


def test_config_show_says_when_there_are_no_secrets_yet(tmp_path: Path) -> None:
    out = stackctl("config", "show", cwd=tmp_path)
    assert "(none yet" in out.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing generated


def _node(name: str, role: str, ident: str, master: str = "", slots: int = 0,
          links: str = "connected", master_link: str = "", memory: str = "2.41M",
          reachable: bool = True, error: str = "") -> dict[str, Any]:
    return {"name": name, "addr": f"172.31.250.1{name[-1]}:6379", "id": ident,
            "master_id": master, "reachable": reachable, "role": role, "slots": slots,
            "links": links, "master_link": master_link, "memory": memory,
            "memory_bytes": 2527000, "error": error}


def _render(renderable: Any) -> str:
    buffer = StringIO()
    Console(file=buffer, width=160, highlight=False, color_system=None).print(renderable)
    return buffer.getvalue()


def _status(healthy: bool = True) -> dict[str, Any]:
    nodes = [_node("redis-1", "primary", "a" * 40, slots=5461),
             _node("redis-2", "primary", "b" * 40, slots=5462),
             _node("redis-3", "primary", "c" * 40, slots=5461),
             _node("redis-4", "replica", "d" * 40, master="b" * 40, master_link="up"),
             _node("redis-5", "replica", "e" * 40, master="c" * 40, master_link="up"),
             _node("redis-6", "unknown", "", reachable=False, links="unreachable",
                   memory="", error="container is not running")]
    return {
        "engine": "compose",
        "services": [{"service": "redis-1", "state": "running", "health": "healthy",
                      "running": 1, "wanted": 1, "detail": ""},
                     {"service": "gateway", "state": "running", "health": "healthy",
                      "running": 2, "wanted": 2, "detail": ""},
                     {"service": "pump", "state": "exited", "health": "", "running": 0,
                      "wanted": 1, "detail": "p-pump-1 exited (exit 137)"}],
        "cluster": {"state": "ok", "slots_covered": 16384, "primaries": 3, "replicas": 3,
                    "ready": healthy},
        "nodes": nodes,
        "problems": [] if healthy else ["redis-6: not reachable"],
        "gateway": {"version": "v5.8.0-e65eff00608a", "redis": "pass"},
        "healthy": healthy,
    }


def _row(text: str, name: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(name + " "))
    return line.split()


def test_status_prints_services_and_a_table_per_node() -> None:
    text = _render(status_view(_status()))
    _no_repr(text)
    assert "cluster  ok: 16384/16384 slots covered, 3 primaries, 3 replicas" in text
    assert "gateway  v5.8.0-e65eff00608a, Redis pass" in text
    assert text.rstrip().endswith("healthy")
    header = next(ln for ln in text.splitlines() if ln.startswith("node "))
    assert header.split() == ["node", "address", "role", "slots", "links", "primary", "link",
                              "memory"]
    assert _row(text, "redis-2") == ["redis-2", "172.31.250.12:6379", "primary", "5462",
                                     "connected", "-", "2.41M"]
    assert _row(text, "redis-4") == ["redis-4", "172.31.250.14:6379", "replica", "of",
                                     "redis-2", "-", "connected", "up", "2.41M"]
    assert _row(text, "redis-6") == ["redis-6", "172.31.250.16:6379", "unknown", "-",
                                     "unreachable", "(container", "is", "not", "running)",
                                     "-", "-"]
    assert _row(text, "gateway") == ["gateway", "running", "healthy", "2/2"]
    assert _row(text, "pump") == ["pump", "exited", "-", "0/1", "p-pump-1", "exited",
                                  "(exit", "137)"]


def test_status_names_the_problems_when_unhealthy() -> None:
    data = _status(healthy=False)
    data["gateway"] = {"version": "", "redis": "unreachable"}
    text = _render(status_view(data))
    assert "problem: redis-6: not reachable" in text
    assert "gateway  unreachable (Redis unreachable)" in text
    assert text.rstrip().endswith("UNHEALTHY")


def test_up_summary_is_plain_text() -> None:
    summary = {"gateway_url": "http://127.0.0.1:8080",
               "credentials": [".stackctl/secrets.json", ".stackctl/bootstrap.json"],
               "gateway": {"version": "v5.8.0-e65eff00608a", "redis": "pass"},
               "next": ["stackctl status", "stackctl logs gateway", "stackctl down"]}
    text = _render(up_view("stackctl", 42.04, summary))
    _no_repr(text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    assert lines[0] == "Stack stackctl is up (42.0s)"
    assert lines[1].split() == ["gateway", "http://127.0.0.1:8080", "(/hello;", "/smoke/",
                                "with", "the", "key)"]
    assert lines[2] == "v5.8.0-e65eff00608a, Redis pass"
    assert lines[3].split() == ["credentials", ".stackctl/secrets.json,",
                                ".stackctl/bootstrap.json", "(0600;", "never", "printed)"]
    assert [ln.split() for ln in lines[4:]] == [
        ["next", "stackctl", "status"], ["stackctl", "logs", "gateway"], ["stackctl", "down"]]
