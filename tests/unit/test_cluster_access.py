"""ClusterAccess: one interface for the managed and the external cluster. The probe
scripts run for real in `sh` on this machine, with a stand-in redis-cli (and lib.sh) that
reports what it was asked; no container is started."""

from __future__ import annotations

import ast
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import SecretStr

import stackctl
from stackctl.cluster.access import Feature, parse_clients, parse_keys
from stackctl.cluster.external_access import BASELINE_FILE, ExternalAccess
from stackctl.cluster.managed import ManagedAccess
from stackctl.cluster.open import open_access
from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.errors import ToolError
from stackctl.model import TOPOLOGY_FILE, StackModel, build_model
from stackctl.runtime.docker_cli import Exec, ExecResult
from stackctl.settings import load_settings

pytestmark = pytest.mark.unit

FAKE_CLI = """#!/bin/sh
# the stand-in redis-cli: one line per argument, and who it authenticated as
for a in "$@"; do printf 'arg=%s\\n' "$a"; done
printf 'auth=%s\\n' "${REDISCLI_AUTH:-}"
"""
FAKE_LIB = """rcli() { a=$1; shift; printf 'node=%s\\n' "$a"; for x in "$@"; do
  printf 'arg=%s\\n' "$x"; done; }
"""


def model_of(tmp: Path, external: bool) -> StackModel:
    redis: dict[str, Any] = ({"mode": "external", "external": {
        "addrs": ["clustercfg:6379"], "network": "elasti"}} if external else {})
    return build_model(load_settings(overrides={"state_dir": str(tmp / "state"),
                                                "redis": redis}))


class LocalEngine:
    """Runs a node's command in `sh` here (the container's lib.sh is FAKE_LIB); the gate
    is not asked in these tests."""

    def __init__(self, tmp: Path) -> None:
        (tmp / "lib.sh").write_text(FAKE_LIB)
        self.tmp = tmp
        self.calls: list[tuple[str, list[str], dict[str, str]]] = []

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        self.calls.append((node, list(command), dict(env)))
        argv = [c.replace(f"{SCRIPTS_MOUNT}/lib.sh", str(self.tmp / "lib.sh"))
                for c in command]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.tmp,
                              env={"PATH": os.environ["PATH"], **env}, check=False)
        return ExecResult(done.returncode, done.stdout, done.stderr)

    def gate(self) -> AbstractContextManager[Exec]:
        raise AssertionError("not asked here")


class LocalRunner:
    """Runs the probe script in `sh` here, a fake redis-cli first on PATH."""

    def __init__(self, tmp: Path) -> None:
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "redis-cli").write_text(FAKE_CLI)
        (bin_dir / "redis-cli").chmod(0o755)
        self.path = f"{bin_dir}:{os.environ['PATH']}"
        self.calls: list[tuple[str, dict[str, str], bytes]] = []

    def __call__(self, script: str, mounts: Sequence[tuple[str, str]], env: Mapping[str, str],
                 stdin: bytes) -> ExecResult:
        self.calls.append((script, dict(env), stdin))
        done = subprocess.run(["sh", "-c", script], input=stdin, capture_output=True,
                              env={"PATH": self.path, **env}, check=False)
        return ExecResult(done.returncode, done.stdout.decode(), done.stderr.decode())


def test_the_factory_is_where_the_mode_is_decided(tmp_path: Path) -> None:
    def pw() -> SecretStr:
        raise AssertionError("the password is read only when a probe runs")

    managed = open_access(model_of(tmp_path, False), pw, LocalEngine(tmp_path))
    external = open_access(model_of(tmp_path, True), pw, LocalEngine(tmp_path))
    assert isinstance(managed, ManagedAccess) and isinstance(external, ExternalAccess)
    features: tuple[Feature, ...] = get_args(Feature)
    assert all(managed.unsupported(f) == "" for f in features)
    refusals = {f: external.unsupported(f) for f in features}
    assert all(refusals.values()), refusals
    assert "redis.mode is external" in refusals["redis-faults"]
    assert managed.nodes()[0] == "redis-1" and external.nodes() == []
    assert external.wait_ready(1, "s") == 0.0 and external.forget([]) == []


def test_managed_cli_runs_against_the_node_in_its_container(tmp_path: Path) -> None:
    services = LocalEngine(tmp_path)
    access = ManagedAccess(model_of(tmp_path, False), services)
    out = access.cli("redis-3", ["config", "get", "max clients"]).stdout
    assert services.calls[0][0] == "redis-3"
    assert out.splitlines() == ["node=127.0.0.1:6379", "arg=config", "arg=get",
                                "arg=max clients"]


def test_managed_key_probe_passes_globs_through_unexpanded(tmp_path: Path) -> None:
    (tmp_path / "apikey-on-disk").write_text("")  # what `*` would expand to in the cwd
    services = LocalEngine(tmp_path)
    access = ManagedAccess(model_of(tmp_path, False), services)
    (first, *_) = access.probe_keys(["apikey-*", "quota-*"])
    _, _, env = services.calls[0]
    assert env["STACKCTL_PATTERNS"] == "apikey-* quota-*"
    # the stand-in rcli answers its arguments: ROLE's answer is "node=...", no role
    assert first.role == "" and "arg=apikey-*" in first.keys and "arg=quota-*" in first.keys
    assert len(services.calls) == len(access.nodes())


def test_managed_clients_read_every_node(tmp_path: Path) -> None:
    class Canned(LocalEngine):
        def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                      ) -> ExecResult:
            n = node.split("-")[1]
            return ExecResult(0, f"## clients\nconnected_clients:{n}\n"
                                 "## maxclients\nmaxclients\n10000\n", "")

    access = ManagedAccess(model_of(tmp_path, False), Canned(tmp_path))
    clients = access.clients()
    assert [c.connected for c in clients] == list(range(1, len(access.nodes()) + 1))
    assert {c.maxclients for c in clients} == {10000}


def recorded(tmp: Path, addrs: Sequence[str]) -> StackModel:
    (tmp / "state").mkdir(exist_ok=True)
    (tmp / "state" / TOPOLOGY_FILE).write_text(json.dumps(
        {"nodes": [{"addr": a} for a in addrs]}))
    return model_of(tmp, True)


def test_external_cli_keeps_each_argument_and_the_password_off_argv(tmp_path: Path) -> None:
    access = ExternalAccess(recorded(tmp_path, ["10.0.0.1:6379"]), lambda: SecretStr("s3c"))
    run = LocalRunner(tmp_path)
    object.__setattr__(access, "run", run)  # the cached one-shot runner, run here instead
    out = access.cli("10.0.0.1:6379", ["set", "a key", "*"]).stdout.splitlines()
    assert out == ["arg=-h", "arg=10.0.0.1", "arg=-p", "arg=6379", "arg=--user",
                   "arg=default", "arg=--no-auth-warning", "arg=set", "arg=a key", "arg=*",
                   "auth=s3c"]
    _, env, stdin = run.calls[0]
    assert stdin == b"s3c\n" and "s3c" not in json.dumps(env)


def test_external_forget_purges_what_names_the_run_and_reports_failure(tmp_path: Path
                                                                       ) -> None:
    access = ExternalAccess(recorded(tmp_path, ["a:1", "b:1"]), lambda: SecretStr("pw"))
    seen: list[dict[str, str]] = []

    def run(script: str, mounts: Sequence[tuple[str, str]], env: Mapping[str, str],
            stdin: bytes) -> ExecResult:
        seen.append(dict(env))
        return ExecResult(0, "## node a:1\n2\n## node b:1\n0\n", "")

    object.__setattr__(access, "run", run)
    assert access.forget(["h1", "h2"]) == []
    assert seen[0]["PROBE_PATTERNS"] == "*h1* *h2*" and seen[0]["PROBE_ADDRS"] == "a:1 b:1"

    def broken(*_: object) -> ExecResult:
        raise ToolError("docker run failed")

    object.__setattr__(access, "run", broken)
    assert access.forget(["h1"]) == ["purging this run's records: docker run failed"]


def test_external_leave_deletes_only_what_the_stack_added(tmp_path: Path) -> None:
    access = ExternalAccess(recorded(tmp_path, ["a:1"]), lambda: SecretStr("pw"))
    assert "not touched" in access.leave()  # no baseline: nothing is deleted
    baseline = tmp_path / "state" / BASELINE_FILE
    baseline.write_text(json.dumps({"existing": ["tyk-liveness-probe"]}))
    seen: list[dict[str, str]] = []

    def run(script: str, mounts: Sequence[tuple[str, str]], env: Mapping[str, str],
            stdin: bytes) -> ExecResult:
        seen.append(dict(env))
        return ExecResult(0, "## node a:1\n3\n", "")

    object.__setattr__(access, "run", run)
    assert "3 record(s)" in access.leave() and not baseline.exists()
    assert seen[0]["PROBE_KEEP"] == "tyk-liveness-probe"


def test_parsers_read_what_the_probes_print() -> None:
    node = parse_keys("redis-1", "## role\nmaster\n## keys\napikey-aa\n")
    assert node.role == "master" and node.keys == {"apikey-aa"}
    assert parse_keys("redis-2", "", "Could not connect").error == "Could not connect"
    assert parse_clients("x", "## clients\nconnected_clients:7\n").connected == 7


MODE_DECIDED_IN = {
    "model.py": "derives the nodes, addrs, TLS mode and user of either cluster",
    "settings.py": "defines the mode and checks its settings",
    "cluster/open.py": "the factory: the one ClusterAccess for the mode",
    "render/stack.py": "the render picks the compose model without Redis services",
    "cli/stack_cmd.py": "up's step list, chosen once (external-redis discovery first)",
}


def test_only_the_factory_and_the_documented_places_read_the_mode() -> None:
    root = Path(stackctl.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = str(path.relative_to(root))
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr == "external"
                    and not (isinstance(node.value, ast.Attribute)
                             and node.value.attr == "redis")
                    and rel not in MODE_DECIDED_IN and not rel.startswith("_stack")):
                found.append(f"{rel}:{node.lineno}")
    assert not found, f"ask ctx.cluster (ClusterAccess.unsupported) instead: {found}"
