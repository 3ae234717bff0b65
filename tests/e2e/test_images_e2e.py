"""The locally built images, started for real: each does its job on a private network.

Every container and network made here is removed when its test ends. Traffic stays on an
internal Docker network the test creates (no published ports).
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stackctl import versions
from stackctl.names import INPUTS_LABEL
from stackctl.runtime import docker_binary, docker_client

pytestmark = pytest.mark.e2e

Run = Callable[..., Any]


def _tag(name: str) -> str:
    return versions.image(name).local


@pytest.fixture(scope="module")
def docker() -> Any:
    client = docker_client()
    try:
        client.version()
    except Exception as exc:
        pytest.fail(f"docker engine unreachable: {exc}")
    return client


def require(docker: Any, name: str) -> str:
    """The image's tag; fails (does not skip) when it was not built."""
    tag = _tag(name)
    if not docker.image.exists(tag):
        pytest.fail(f"{tag} not present: run `stackctl images build --only {name}`")
    return tag


@pytest.fixture
def net(docker: Any) -> Iterator[str]:
    """A fresh internal network, removed afterwards with everything attached to it."""
    name = f"stackctl-e2e-images-{uuid.uuid4().hex[:8]}"
    binary = docker_binary()
    assert binary
    # python-on-whales has no --internal: the CLI makes it.
    subprocess.run([binary, "network", "create", "--internal", name], check=True,
                   capture_output=True, timeout=60)
    try:
        yield name
    finally:
        for container in docker.container.list(all=True, filters=[("network", name)]):
            container.remove(force=True, volumes=True)
        docker.network.remove(name)


@pytest.fixture
def start(docker: Any, net: str) -> Iterator[Run]:
    """Start a detached container on the test network; all are removed at the end."""
    started: list[Any] = []

    def _start(image: str, command: list[str] | None = None, alias: str = "",
               **kwargs: Any) -> Any:
        container = docker.run(image, command or [], detach=True, networks=[net],
                               network_aliases=[alias] if alias else [],
                               name=f"stackctl-e2e-{uuid.uuid4().hex[:8]}", **kwargs)
        started.append(container)
        return container

    try:
        yield _start
    finally:
        for container in started:
            container.remove(force=True, volumes=True)


@pytest.fixture
def once(docker: Any, net: str) -> Run:
    """Run a one-shot command on the test network; returns its stdout (raises on failure)."""

    def _once(image: str, command: list[str], **kwargs: Any) -> str:
        return str(docker.run(image, command, remove=True, networks=[net], **kwargs))

    return _once


def http_get(once: Run, host: str, path: str) -> str:
    """HTTP/1.0 GET from inside a container (bash /dev/tcp): the raw response."""
    script = (f'exec 3<>/dev/tcp/{host}/80 && printf "GET {path} HTTP/1.0\\r\\nHost: {host}'
              f'\\r\\n\\r\\n" >&3 && timeout 5 cat <&3')
    return once(_tag("base"), ["timeout", "10", "bash", "-c", script])


def wait_for(probe: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except Exception:
            pass
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


def test_every_image_carries_its_inputs_label(docker: Any) -> None:
    for name in ("base", "redis", "tyk-pump", "upstream", "load"):
        image = docker.image.inspect(require(docker, name))
        label = (image.config.labels or {}).get(INPUTS_LABEL, "")
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", label), name


def test_base_has_updates_and_security_sources(docker: Any) -> None:
    out = docker.run(require(docker, "base"), ["cat", "/etc/apt/sources.list.d/debian.sources"],
                     remove=True)
    for suite in (f"{versions.DEBIAN_SUITE} {versions.DEBIAN_SUITE}-updates",
                  f"{versions.DEBIAN_SUITE}-security"):
        assert suite in str(out)


def _docker_run(*args: str) -> subprocess.CompletedProcess[str]:
    """`docker run --rm ARGS` with stdout and stderr (Tyk prints --version on stderr)."""
    binary = docker_binary()
    assert binary is not None
    return subprocess.run([binary, "run", "--rm", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def _has_no_shell(tag: str) -> None:
    """The image is shell-less, as the official one: `sh` cannot even start."""
    out = _docker_run("--entrypoint", "sh", tag, "-c", "true")
    assert out.returncode != 0 and "executable file not found" in out.stderr, out.stderr


def test_pump_reports_its_release_and_official_layout(docker: Any) -> None:
    from stackctl.runtime.image_files import image_files

    tag = require(docker, "tyk-pump")
    out = _docker_run(tag, "--version")
    assert (out.stdout + out.stderr).strip() == versions.PUMP_MODULE.release
    config = docker.image.inspect(tag).config
    assert config.entrypoint == ["/opt/tyk-pump/tyk-pump"]
    assert config.cmd == ["--conf=/opt/tyk-pump/pump.conf"]
    assert str(config.working_dir).rstrip("/") == "/opt/tyk-pump"
    files = image_files(tag, ["/opt/tyk-pump", "/etc/ssl/certs"])
    assert {"/opt/tyk-pump/pump.conf", "/opt/tyk-pump/tyk-pump",
            "/etc/ssl/certs/ca-certificates.crt"} <= set(files)
    _has_no_shell(tag)


def _throwaway_tls(folder: Path) -> None:
    """A self-signed ECDSA P-256 CA-and-server cert for host `redis`, world-readable."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redis")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("redis")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    folder.mkdir(mode=0o755)
    (folder / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "tls.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    for item in folder.iterdir():
        item.chmod(0o644)  # throwaway test material, read by uid 999 in the container
    folder.chmod(0o755)


def test_redis_version_and_tls_round_trip(docker: Any, start: Run, once: Run,
                                          tmp_path: Path) -> None:
    tag = require(docker, "redis")
    assert f"v={versions.REDIS_VERSION} " in str(docker.run(tag, ["redis-server", "--version"],
                                                            remove=True))
    assert docker.image.inspect(tag).config.cmd == ["redis-server"]
    certs = tmp_path / "tls"
    _throwaway_tls(certs)
    mount = [(str(certs), "/tls", "ro")]
    server = start(tag, ["redis-server", "--port", "0", "--tls-port", "6379",
                         "--tls-cert-file", "/tls/tls.crt", "--tls-key-file", "/tls/tls.key",
                         "--tls-ca-cert-file", "/tls/tls.crt", "--tls-auth-clients", "no",
                         "--protected-mode", "no", "--save", ""],
                   alias="redis", volumes=mount)
    cli = ["timeout", "10", "redis-cli", "-h", "redis", "-p", "6379", "--tls",
           "--cacert", "/tls/tls.crt"]
    wait_for(lambda: "PONG" in once(tag, [*cli, "ping"], volumes=mount), 20, "redis over TLS")
    out = once(tag, [*cli, "config", "get", "tls-port"], volumes=mount)
    assert out.split() == ["tls-port", "6379"]
    # A plaintext client gets nowhere: the port speaks only TLS.
    plain = once(tag, ["sh", "-c", "timeout 5 redis-cli -h redis -p 6379 ping; true"])
    assert "PONG" not in plain
    assert server.state.running


def test_upstream_answers_json_and_wrk_runs(docker: Any, start: Run, once: Run) -> None:
    upstream = require(docker, "upstream")
    load = require(docker, "load")
    start(upstream, alias="upstream")
    wait_for(lambda: " 200 " in http_get(once, "upstream", "/health"), 20, "nginx /health")
    reply = http_get(once, "upstream", "/some/path")
    head, _, body = reply.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200")
    assert re.search(r"(?im)^content-type: application/json", head)
    assert body.strip() == '{"upstream":"ok"}'
    out = once(load, ["timeout", "30", "wrk", "-t1", "-c8", "-d2s", "http://upstream/"])
    match = re.search(r"(\d+) requests in", out)
    assert match and int(match.group(1)) > 100, out
    assert "Non-2xx" not in out and "Socket errors" not in out, out


def test_gateway_version_and_hello(docker: Any, start: Run, once: Run) -> None:
    tag = require(docker, "tyk-gateway")
    out = _docker_run(tag, "--version")
    assert (out.stdout + out.stderr).strip() == versions.GATEWAY_MODULE.release
    _has_no_shell(tag)
    redis = require(docker, "redis")
    start(redis, ["redis-server", "--protected-mode", "no", "--save", ""], alias="redis")
    gateway = start(tag, alias="gateway")

    def hello() -> bool:
        reply = once(_tag("base"), ["timeout", "10", "bash", "-c",
                                    'exec 3<>/dev/tcp/gateway/8080 && printf "GET /hello '
                                    'HTTP/1.0\\r\\n\\r\\n" >&3 && timeout 5 cat <&3'])
        head, _, body = reply.partition("\r\n\r\n")
        if " 200 " not in head.splitlines()[0]:
            return False
        doc = json.loads(body)
        return bool(doc["status"] == "pass" and doc["details"]["redis"]["status"] == "pass")

    try:
        wait_for(hello, 60, "gateway /hello with a redis check")
    except BaseException:
        print(docker.container.logs(gateway)[-3000:])
        raise
