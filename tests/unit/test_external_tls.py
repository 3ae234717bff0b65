"""`cluster.tls_check.verify`: Go's check (chain and a SAN naming the dialled host) made by
the controller's ssl over a byte relay. Here the relay is a small local process to a TLS
server on 127.0.0.1 (in the product it is a one-shot container on the user's network)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackctl.cluster.pki import ensure_pki
from stackctl.cluster.tls_check import verify
from stackctl.model import build_model
from stackctl.settings import Settings

pytestmark = pytest.mark.unit

RELAY = """
import socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def back():
    while (d := s.recv(65536)):
        sys.stdout.buffer.write(d); sys.stdout.buffer.flush()
threading.Thread(target=back, daemon=True).start()
while (d := sys.stdin.buffer.read1(65536)):
    s.sendall(d)
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server presenting redis-1's hostname-mode certificate (DNS SANs only)."""
    model = build_model(Settings(certs_dir=tmp_path / "certs", state_dir=tmp_path / "s",
                                 redis={"tls": "tls", "endpoints": "hostname"}))  # type: ignore[arg-type]
    ensure_pki(model)
    certs = tmp_path / "certs"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "redis-1.crt", certs / "redis-1.key")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], certs
    stop.set()
    listener.close()


def opener(port: int):  # type: ignore[no-untyped-def]
    def open_relay(host: str, _port: str) -> subprocess.Popen[bytes]:
        del host  # every name reaches the one local server
        return subprocess.Popen([sys.executable, "-c", RELAY, str(port)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    return open_relay


def test_a_name_the_certificate_carries_passes(server: tuple[int, Path]) -> None:
    port, certs = server
    assert verify(f"redis-1:{port}", str(certs / "ca.crt"), opener(port)) == ""
    assert verify(f"clustercfg:{port}", str(certs / "ca.crt"), opener(port)) == ""


def test_another_name_or_an_ip_fails_as_go_would(server: tuple[int, Path]) -> None:
    port, certs = server
    assert "Hostname mismatch" in verify(f"redis-2:{port}", str(certs / "ca.crt"),
                                         opener(port))
    assert "IP address mismatch" in verify(f"172.31.250.11:{port}", str(certs / "ca.crt"),
                                           opener(port))


def test_a_wrong_ca_fails(server: tuple[int, Path], tmp_path: Path) -> None:
    port, _ = server
    other = build_model(Settings(certs_dir=tmp_path / "other", state_dir=tmp_path / "o",
                                 redis={"tls": "tls"}))  # type: ignore[arg-type]
    ensure_pki(other)
    why = verify(f"redis-1:{port}", str(tmp_path / "other" / "ca.crt"), opener(port))
    assert "unable to get local issuer certificate" in why or "certificate" in why
