"""The dashboard-contract-double (a TEST DOUBLE of the closed-source Tyk Dashboard) run on
loopback, driven by the product's own Dashboard client and bootstrap: the secrets and
node headers it checks, and that its names are the tables'."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import SecretStr

from stackctl.clients.dashboard import DashboardClient, DashboardError
from stackctl.dashboard.bootstrap import bootstrap
from stackctl.dashboard.credentials import load_credentials
from stackctl.tyk.apidef import api_definition
from stackctl.tyk.lookup import option
from stackctl.tyk.tables import DASHBOARD_NODE_API, DASHBOARD_NODE_HEADERS
from stackenv import free_port

pytestmark = pytest.mark.unit

DOUBLE = (Path(__file__).resolve().parents[2] / "stack" / "test-images"
          / "dashboard-contract-double" / "double.py")
ADMIN, NODE, GW_SECRET = "admin-secret-1", "node-secret-1", "gw-secret-1"


class FakeGatewayApi(BaseHTTPRequestHandler):
    """A FAKE of the gateway API's /tyk/keys/create (the double makes keys through it)."""

    seen: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.seen.append(self.headers.get("x-tyk-authorization", ""))
        ok = self.headers.get("x-tyk-authorization") == GW_SECRET
        body = json.dumps({"key": "key-1", "key_hash": "hash-1"} if ok else {}).encode()
        self.send_response(200 if ok else 403)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeGateway:
    """A FAKE gateway for the bootstrap: reloads counted, any key served."""

    def __init__(self) -> None:
        self.reloads = 0

    def reload(self) -> None:
        self.reloads += 1

    def get_with_key(self, path: str, key: str) -> tuple[int, str]:
        return (200, '{"upstream": true}') if key == "key-1" else (403, "denied")


@pytest.fixture(scope="module")
def double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    gw_port = free_port()
    server = HTTPServer(("127.0.0.1", gw_port), FakeGatewayApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = free_port()
    conf = tmp_path_factory.mktemp("double") / "tyk_analytics.conf"
    conf.write_text(json.dumps({
        "listen_port": port, "admin_secret": ADMIN, "shared_node_secret": NODE,
        "license_key": "lic", "tyk_api_config": {"Host": "http://127.0.0.1",
                                                  "Port": str(gw_port), "Secret": GW_SECRET}}))
    proc = subprocess.Popen([sys.executable, str(DOUBLE), f"--conf={conf}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/hello", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.shutdown()
        server.server_close()


def test_names_are_the_tables() -> None:
    spec = importlib.util.spec_from_file_location("double", DOUBLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for key, env in module.ENV.items():
        assert option("dashboard", key).env == env
    assert set(module.NODE_ROUTES) == {e.path for e in DASHBOARD_NODE_API}
    assert {module.NODE_ID_HEADER, module.NONCE_HEADER} <= set(DASHBOARD_NODE_HEADERS)


def test_refuses_to_start_without_a_licence(tmp_path: Path) -> None:
    conf = tmp_path / "c.json"
    conf.write_text(json.dumps({"admin_secret": "a", "shared_node_secret": "n"}))
    done = subprocess.run([sys.executable, str(DOUBLE), f"--conf={conf}"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "license_key" in done.stderr


def test_node_calls_need_the_node_secret_and_the_last_nonce(double: str) -> None:
    assert httpx.get(double + "/register/node", headers={"authorization": "wrong"}
                     ).status_code == 403
    reg = httpx.get(double + "/register/node", headers={"authorization": NODE}).json()
    node, nonce = reg["Message"]["NodeID"], reg["Nonce"]
    headers = {"authorization": NODE, "x-tyk-nodeid": node, "x-tyk-nonce": nonce}
    apis = httpx.get(double + "/system/apis", headers=headers)
    assert apis.status_code == 200 and apis.json()["Nonce"] != nonce
    assert httpx.get(double + "/system/apis", headers={**headers, "x-tyk-nonce": "made-up"}
                     ).status_code == 403
    assert httpx.get(double + "/register/ping", headers={**headers, "x-tyk-nodeid": "x"}
                     ).status_code == 403


def test_bootstrap_against_the_double_then_again_reuses_everything(
        double: str, tmp_path: Path) -> None:
    definition = api_definition("stackctl-smoke", "/smoke/")
    gateway = FakeGateway()
    with DashboardClient(double, SecretStr(ADMIN)) as dash:
        first = bootstrap(dash, gateway, tmp_path, definition, "/smoke/", None,
                          lambda s, b: s == 200, poll=0.01)
        assert first.created == ("organisation", "admin user", "API", "policy", "key")
        assert first.key.get_secret_value() == "key-1"
        assert FakeGatewayApi.seen[-1] == GW_SECRET  # the key went through the gateway API
        again = bootstrap(dash, gateway, tmp_path, definition, "/smoke/", "key-1",
                          lambda s, b: s == 200, poll=0.01)
    assert again.created == () and again.policy_id == first.policy_id
    creds = load_credentials(tmp_path)
    assert creds is not None and creds.org_id == first.org_id
    assert (tmp_path / "dashboard-admin.json").stat().st_mode & 0o777 == 0o600
    node = httpx.get(double + "/register/node", headers={"authorization": NODE}).json()
    served = httpx.get(double + "/system/apis", headers={
        "authorization": NODE, "x-tyk-nodeid": node["Message"]["NodeID"],
        "x-tyk-nonce": node["Nonce"]}).json()["Message"]
    assert [a["api_definition"]["org_id"] for a in served] == [first.org_id]
    with DashboardClient(double, SecretStr("wrong")) as bad, pytest.raises(
            DashboardError, match="HTTP 403"):
        bad.organisations()
