"""The builtin engine against a small HTTP server on 127.0.0.1 (a thread per connection):
statuses per key, the open-model schedule, its bounds, and the ways an HTTP/1.1 answer
can end (length, chunks, close) or never come."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from stackctl.load.builtin import run_builtin, target
from stackctl.load.plan import LoadPlan

pytestmark = pytest.mark.unit


class _Handler(socketserver.BaseRequestHandler):
    """Answers by path: /x/ keep-alive with a length, /close/ `Connection: close`,
    /chunked/ chunked, /eof/ a body ended by closing, /silent/ nothing at all."""

    def handle(self) -> None:
        sock: socket.socket = self.request
        buf = b""
        served = 0
        while True:
            while b"\r\n\r\n" not in buf:
                data = sock.recv(65536)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode().split("\r\n")
            path = lines[0].split()[1]
            auth = next((x.split(": ", 1)[1] for x in lines if x.startswith("Authorization")),
                        "")
            status = b"429 Too Many Requests" if auth == "limited" else b"200 OK"
            served += 1
            if path.startswith("/silent/"):
                time.sleep(2)
                return
            if path.startswith("/chunked/"):
                sock.sendall(b"HTTP/1.1 " + status + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"2\r\n{}\r\n0\r\n\r\n")
            elif path.startswith("/eof/"):
                sock.sendall(b"HTTP/1.1 " + status + b"\r\nConnection: close\r\n\r\n{}")
                return
            elif path.startswith("/close/"):
                sock.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n"
                             b"Connection: close\r\n\r\n{}")
                return
            elif path.startswith("/idle-close/") and served == 2:
                return  # a kept-alive connection the server drops without answering
            else:
                sock.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\n{}")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_constant_rate_statuses_per_key(server: str) -> None:
    plan = LoadPlan(server + "/x/", ("ok", "limited"), duration_s=1.0, connections=4,
                    rate=200)
    result = run_builtin(plan)
    assert result.requests == plan.budget == 200  # every due request went out, no more
    assert result.statuses[0] == {200: 100} and result.statuses[1] == {429: 100}
    assert result.corrected and 0.9 < result.elapsed_s < 2.0
    assert set(result.latencies_ms) == {"p50", "p95", "p99"}
    assert result.latencies_ms["p99"] >= result.uncorrected_ms["p99"] - 0.01


def test_closed_model_is_bounded_by_time_and_count(server: str) -> None:
    plan = LoadPlan(server + "/x/", ("ok",), duration_s=0.5, connections=2, max_requests=50)
    result = run_builtin(plan)
    assert result.requests == 50 and not result.corrected


@pytest.mark.parametrize("path", ["/close/", "/chunked/", "/eof/", "/idle-close/"])
def test_every_way_an_answer_ends_is_counted(server: str, path: str) -> None:
    plan = LoadPlan(server + path, ("ok", "limited"), duration_s=0.5, connections=2,
                    rate=40)
    result = run_builtin(plan)
    assert result.errors == 0
    assert result.statuses[0] == {200: 10} and result.statuses[1] == {429: 10}


def test_a_silent_server_times_out_within_the_deadline(server: str) -> None:
    plan = LoadPlan(server + "/silent/", ("ok",), duration_s=0.2, connections=2, rate=10,
                    timeout_s=0.3)
    started = time.monotonic()
    result = run_builtin(plan)
    assert time.monotonic() - started < plan.deadline_s
    assert result.requests == 0 and result.errors == plan.budget == 2


def test_unreachable_target_counts_errors() -> None:
    plan = LoadPlan("http://127.0.0.1:9/", ("ok",), duration_s=0.3, connections=1, rate=20,
                    timeout_s=0.5)
    result = run_builtin(plan)
    assert result.requests == 0 and result.errors > 0
    assert result.statuses[0][0] == result.errors


def test_requests_are_built_once_per_key() -> None:
    tgt = target(LoadPlan("http://127.0.0.1:8080/api/x?y=1", ("k1", "k2"), 1, 1))
    assert (tgt.host, tgt.port, tgt.tls) == ("127.0.0.1", 8080, None)
    assert tgt.requests[1].startswith(b"GET /api/x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
    assert b"\r\nAuthorization: k2\r\n\r\n" in tgt.requests[1]
    assert target(LoadPlan("https://localhost/", (), 1, 1)).port == 443


@pytest.mark.parametrize("url,keys", [("ftp://127.0.0.1/", ("k",)),
                                      ("http://127.0.0.1/", ("k\r\nX: 1",))])
def test_bad_url_or_key_is_refused(url: str, keys: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        target(LoadPlan(url, keys, 1, 1))
