"""The one gateway API client: errors as one ToolError line naming the URL and a fix,
routes and header from the Tyk tables, and everyone building the API and keys with the
one builder. A fake gateway (http.server on loopback) answers like Tyk's."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from stackctl.clients.gateway import GatewayClient, GatewayError, wait_redis_pass
from stackctl.errors import ToolError
from stackctl.tyk import apidef
from stackctl.tyk.lookup import gateway_auth_header

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "controller" / "stackctl"
SECRET = "s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeGateway(ThreadingHTTPServer):
    """Records what it is sent; answers /hello, the /tyk/ routes and served APIs."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posted: dict[str, list[Any]] = {}
        self.apis: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.reloaded = 0
        self.hello: dict[str, Any] = {"status": "pass", "version": "v5.8.0",
                                      "details": {"redis": {"status": "pass"}}}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGateway

    def log_message(self, *_args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        raw = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _admin(self) -> bool:
        if self.headers.get(gateway_auth_header()) != SECRET:
            self._answer(403, {"status": "error", "message": "Attempted administrative "
                               "access with invalid or missing key!"})
            return False
        return True

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/hello":
            return self._answer(200, self.server.hello)
        if path == "/tyk/reload":
            if self._admin():
                self.server.reloaded += 1
                self._answer(200, {"status": "ok"})
            return None
        for api in self.server.apis.values():
            if path.startswith(api["proxy"]["listen_path"]):
                key = self.headers.get(api["auth"]["auth_header_name"])
                if key is None:
                    return self._answer(401, {"error": "Authorization field missing"})
                if key not in self.server.keys:
                    return self._answer(403, {"error": "Access to this API has been "
                                              "disallowed"})
                return self._answer(200, '{"upstream": true}')
        return self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        if not self._admin():
            return
        body = self._body()
        self.server.posted.setdefault(self.path, []).append(body)
        if self.path == "/tyk/apis":
            self.server.apis[body["api_id"]] = body
            return self._answer(200, {"key": body["api_id"], "status": "ok"})
        if self.path == "/tyk/keys/create":
            key = f"k{len(self.server.keys)}"
            self.server.keys[key] = body
            return self._answer(200, {"key": key, "key_hash": f"h-{key}", "status": "ok"})
        return self._answer(404, {"error": "not found"})

    def do_DELETE(self) -> None:
        if not self._admin():
            return
        kind, _, name = self.path.removeprefix("/tyk/").partition("/")
        store = self.server.apis if kind == "apis" else self.server.keys
        if store.pop(name, None) is None:
            return self._answer(404, {"status": "error", "message": "not found"})
        return self._answer(200, {"status": "ok"})


@pytest.fixture
def fake() -> Iterator[FakeGateway]:
    server = FakeGateway()
    # A short poll: `shutdown` waits up to one poll interval (0.5 s by default, per test).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


def test_refused_connection_is_one_tool_error_line_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with GatewayClient(url, SecretStr(SECRET)) as gw:
        for call in (gw.hello, gw.reload, lambda: gw.create_api({}),
                     lambda: gw.delete_key("secret-key"), lambda: gw.through("/x/")):
            with pytest.raises(ToolError) as info:
                call()
            line = one_line(info.value)
            assert url in line and "cannot connect" in line
            assert "stackctl status" in line
            assert "secret-key" not in line
            assert info.value.__suppress_context__  # no httpx exception chained
            assert isinstance(info.value, GatewayError) and info.value.status is None


def test_a_silent_gateway_times_out_as_one_line() -> None:
    with socket.socket() as listener:  # accepts (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with GatewayClient(url, SecretStr(SECRET), timeout=0.3) as gw, \
                pytest.raises(GatewayError) as info:
            gw.hello()
    line = one_line(info.value)
    assert f"{url}/hello" in line and "no answer within 0.3 s" in line


def test_a_bad_url_is_a_tool_error() -> None:
    with pytest.raises(ToolError) as info:
        GatewayClient("http://[::1", SecretStr(SECRET))
    assert "stackctl config show" in one_line(info.value)


def test_bad_status_names_url_status_and_fix(fake: FakeGateway) -> None:
    with GatewayClient(fake.url, SecretStr("wrong")) as gw, \
            pytest.raises(GatewayError) as info:
        gw.reload()
    line = one_line(info.value)
    assert info.value.status == 403 and "HTTP 403" in line
    assert f"{fake.url}/tyk/reload" in line and "`stackctl up`" in line
    with GatewayClient(fake.url, SecretStr(SECRET)) as gw, \
            pytest.raises(GatewayError) as info:
        gw.delete_key("raw-key-value")
    assert info.value.status == 404 and "raw-key-value" not in one_line(info.value)
    assert "/tyk/keys/<key>" in str(info.value)


def test_no_secret_no_admin_call(fake: FakeGateway) -> None:
    with GatewayClient(fake.url) as gw:
        assert gw.hello()["status"] == "pass"
        with pytest.raises(GatewayError, match="no API secret"):
            gw.reload()


def test_routes_and_header_from_the_tables(fake: FakeGateway) -> None:
    with GatewayClient(fake.url, SecretStr(SECRET)) as gw:
        gw.create_api(apidef.api_definition("a1", "/a1/"))
        gw.reload()
        key, key_hash = gw.create_key_hashed(apidef.session("a1", 5, 60.0))
        assert (key, key_hash) == ("k0", "h-k0")
        assert gw.through("/a1/", {apidef.KEY_HEADER: key}).status == 200
        assert gw.through("/a1/").status == 401
        gw.delete_key(key)
        gw.delete_api("a1")
        assert wait_redis_pass(gw, 1)["version"] == "v5.8.0"
    assert fake.reloaded == 1 and not fake.apis and not fake.keys


def test_wait_redis_pass_names_the_url_and_last_state(fake: FakeGateway) -> None:
    fake.hello = {"status": "fail", "details": {"redis": {"status": "fail"}}}
    with GatewayClient(fake.url) as gw, pytest.raises(GatewayError) as info:
        wait_redis_pass(gw, 0.3, poll=0.1)
    line = one_line(info.value)
    assert f"{fake.url}/hello" in line and "redis fail" in line


def test_smoke_and_bootstrap_post_the_builders_definitions(fake: FakeGateway,
                                                           tmp_path: Path) -> None:
    from stackctl.load import keys as smoke_setup
    from stackctl.steps import bootstrap

    with GatewayClient(fake.url, SecretStr(SECRET)) as gw:
        made = smoke_setup.create(gw, 3, 7)
        assert smoke_setup.wait_serving(gw, made) == 1
        assert smoke_setup.unauthorized_statuses(gw, made) == [401, 403]
        fresh = smoke_setup.new_api(gw)  # the sweep's: a fresh API, unlimited keys
        swept = smoke_setup.unlimited_keys(gw, fresh.api_id, fresh.listen_path, 2)
        assert smoke_setup.cleanup(gw, made) == []
        assert smoke_setup.cleanup(gw, swept) == []
    apis = fake.posted["/tyk/apis"]
    assert apis[0] == apidef.api_definition(made.api_id, made.listen_path)
    assert apis[1] == apidef.api_definition(swept.api_id, swept.listen_path)
    sessions = fake.posted["/tyk/keys/create"]
    assert sessions[0] == apidef.session(made.api_id, 7, smoke_setup.LIMIT_PER_S)
    assert sessions[-1] == apidef.session(swept.api_id, smoke_setup.UNLIMITED_RATE,
                                          smoke_setup.LIMIT_PER_S)
    # the bootstrap's API is the smoke's but for its id and path
    assert bootstrap.smoke_api() == apidef.api_definition(bootstrap.API_ID,
                                                          bootstrap.LISTEN_PATH)
    assert bootstrap.smoke_session() == apidef.session(bootstrap.API_ID,
                                                       bootstrap.SMOKE_RATE, 1.0)
    renamed = json.loads(json.dumps(apis[0]).replace(made.listen_path, bootstrap.LISTEN_PATH)
                         .replace(made.api_id, bootstrap.API_ID))
    assert renamed == bootstrap.smoke_api()


def test_bootstrap_through_gateway_maps_errors(tmp_path: Path) -> None:
    from stackctl.steps import bootstrap

    with pytest.raises(ToolError, match="cannot connect"):
        bootstrap._through_gateway(f"http://127.0.0.1:{free_port()}", "k")
    assert bootstrap._works(f"http://127.0.0.1:{free_port()}", "k") is False


def _py_files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        yield from (p for p in root.rglob("*.py") if ".venv" not in p.parts)


def test_httpx_is_imported_only_in_clients() -> None:
    pattern = re.compile(r"^\s*(import httpx|from httpx\b)", re.MULTILINE)
    offenders = [str(p.relative_to(ROOT)) for p in _py_files(PACKAGE, ROOT / "benchmarks")
                 if pattern.search(p.read_text())
                 and p.parent != PACKAGE / "clients"]
    assert offenders == []
    other_http = re.compile(r"^\s*(import|from) (requests|aiohttp|urllib3|http\.client|"
                            r"urllib\.request)\b", re.MULTILINE)
    assert [str(p) for p in _py_files(PACKAGE) if other_http.search(p.read_text())] == []


def test_the_builder_is_the_only_place_an_api_definition_is_written() -> None:
    pattern = re.compile(r"[\"'](target_url|access_rights|auth_header_name)[\"']")
    where = {p.relative_to(PACKAGE).as_posix() for p in _py_files(PACKAGE)
             if pattern.search(p.read_text())}
    assert where == {"tyk/apidef.py"}
