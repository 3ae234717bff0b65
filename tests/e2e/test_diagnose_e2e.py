"""`stackctl doctor --stack` against REAL faults injected into one shared stack.

Faults are written into the rendered files the supported way (the component is then
recreated through compose, so it really fails) and restored after each test. The
cluster fault removes slots with CLUSTER DELSLOTSRANGE through `docker exec`. The last
test re-creates the stack in plain text for the TLS-mismatch fault.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from stackctl.state import atomic_write
from stackenv import DOCKER, stack_env, stackctl

pytestmark = pytest.mark.e2e

PROJECT = "stackctl-e2e-diag"
SUBNETS = ("172.31.190.0/24", "172.31.191.0/24")


def compose(cwd: Path, *args: str) -> None:
    cmd = [DOCKER, "compose", "-p", PROJECT, "-f", str(cwd / ".stackctl" / "compose.json"),
           *args]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    cwd = tmp_path_factory.mktemp("diag")
    env = stack_env(PROJECT, SUBNETS[0], SUBNETS[1])
    try:
        up = stackctl(cwd, env, "up", "--tls", "mtls", "--no-smoke")
        assert up.returncode == 0, up.stderr + up.stdout
        yield cwd, env
    finally:
        stackctl(cwd, env, "down", "--volumes", timeout=120)


@contextmanager
def fault(cwd: Path, conf: str, service: str, mutate: Callable[[dict[str, Any]], None]
          ) -> Iterator[None]:
    """Write a bad value into a rendered config, recreate the service; restore after."""
    path = cwd / ".stackctl" / "rendered" / conf
    good = path.read_text()
    doc = json.loads(good)
    mutate(doc)
    atomic_write(path, json.dumps(doc, indent=2) + "\n", 0o600)
    compose(cwd, "up", "-d", "--no-deps", "--force-recreate", service)
    try:
        yield
    finally:
        atomic_write(path, good, 0o600)
        compose(cwd, "up", "-d", "--no-deps", "--force-recreate", service)


def diagnose(cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    result = stackctl(cwd, env, "doctor", "--stack", "--json", timeout=180)
    assert result.returncode in (0, 1), result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def other_ca(path: Path) -> None:
    """A real CA certificate that is not the stack's (as if copied from another stack)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stackctl CA (another stack)")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def test_gateway_with_the_wrong_ca(stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack
    other_ca(cwd / "certs" / "other-ca.crt")

    def wrong_ca(doc: dict[str, Any]) -> None:
        doc["storage"]["ca_file"] = "/opt/stackctl/certs/other-ca.crt"

    with fault(cwd, "tyk.conf", "gateway", wrong_ca):
        data = diagnose(cwd, env)
        human = stackctl(cwd, env, "doctor", "--stack", timeout=180)
    assert data["cause"]["cause"] == "ca-mismatch", data["cause"]
    assert data["cause"]["component"] == "gateway"
    assert "certificate verify failed" in data["cause"]["evidence"]
    assert human.returncode == 1
    assert "fix: set storage.ca_file to the stack CA" in human.stdout


def test_wrong_password(stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack

    def wrong_password(doc: dict[str, Any]) -> None:
        doc["storage"]["password"] = "not-the-stack-password"

    with fault(cwd, "tyk.conf", "gateway", wrong_password):
        data = diagnose(cwd, env)
    assert data["cause"]["cause"] == "wrong-password", data["cause"]
    assert data["cause"]["component"] == "gateway"
    assert "WRONGPASS" in data["cause"]["evidence"]
    assert "not-the-stack-password" not in json.dumps(data)


def test_every_address_on_a_wrong_port(stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack

    def wrong_port(doc: dict[str, Any]) -> None:
        block = doc["analytics_storage_config"]
        block["addrs"] = [a.replace(":6379", ":6380") for a in block["addrs"]]

    with fault(cwd, "pump.conf", "pump", wrong_port):
        data = diagnose(cwd, env)
    assert data["cause"]["cause"] == "wrong-port", data["cause"]
    assert data["cause"]["component"] == "pump"


def _gate(cwd: Path, script: str) -> str:
    cmd = [DOCKER, "exec", f"{PROJECT}-cluster-gate-1", "sh", "-c",
           f". /opt/stackctl/bin/lib.sh; {script}"]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


def test_slots_left_uncovered(stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack
    nodes = _gate(cwd, 'rcli "${STACKCTL_NODES%% *}" cluster nodes')
    owner = next(line.split()[1].split("@")[0] for line in nodes.splitlines()
                 if "master" in line and " 0-" in line)
    _gate(cwd, 'for n in $STACKCTL_NODES; do rcli "$n" cluster delslotsrange 0 99; done')
    try:
        data = diagnose(cwd, env)
    finally:
        _gate(cwd, f"rcli {owner} cluster addslotsrange 0 99")
    assert data["cause"]["cause"] == "cluster-not-ready", data["cause"]
    assert "16284 of 16384" in data["cause"]["evidence"]


def test_tls_on_in_the_gateway_while_redis_speaks_plain_text(
        stack: tuple[Path, dict[str, str]]) -> None:
    cwd, env = stack
    down = stackctl(cwd, env, "down", "--volumes", timeout=120)
    assert down.returncode == 0, down.stderr
    up = stackctl(cwd, env, "up", "--tls", "off", "--no-smoke")
    assert up.returncode == 0, up.stderr + up.stdout

    def tls_on(doc: dict[str, Any]) -> None:
        doc["storage"]["use_ssl"] = True

    with fault(cwd, "tyk.conf", "gateway", tls_on):
        data = diagnose(cwd, env)
    assert data["cause"]["cause"] == "tls-on-plain", data["cause"]
    assert data["cause"]["component"] == "gateway"
