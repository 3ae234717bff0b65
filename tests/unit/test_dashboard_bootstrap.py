"""The pro bootstrap through the Dashboard's Admin API, against recorded responses
(tests/unit/fixtures/dashboard) replayed by a FAKE transport: idempotence, the headers
each call carries, and the error paths."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from stackctl.clients.dashboard import DashboardClient, DashboardError
from stackctl.dashboard.bootstrap import bootstrap
from stackctl.dashboard.credentials import AdminCredentials, load_credentials, save_credentials
from stackctl.errors import ToolError
from stackctl.tyk.apidef import api_definition

pytestmark = pytest.mark.unit

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "dashboard" / "responses.json")
                      .read_text())
ADMIN = "admin-secret-xyz"
USER_KEY = RECORDED["user_created"]["Meta"]["access_key"]
ORG = RECORDED["org_created"]["Meta"]
USER_ID = RECORDED["user_created"]["Meta"]["id"]
Route = tuple[str, str]


class RecordedDashboard:
    """A FAKE Dashboard: (method, path) -> (status, recorded answer name); every request
    kept for the assertions."""

    def __init__(self, routes: dict[Route, tuple[int, str]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, name = self.routes.get((request.method, request.url.path), (404, "forbidden"))
        if name == "<html>":
            return httpx.Response(status, text="<html>proxy error</html>")
        return httpx.Response(status, json=RECORDED[name])

    def calls(self) -> list[Route]:
        return [(r.method, r.url.path) for r in self.requests]


FRESH: dict[Route, tuple[int, str]] = {
    ("GET", "/hello"): (200, "hello"),
    ("GET", "/admin/organisations"): (200, "orgs_empty"),
    ("POST", "/admin/organisations"): (200, "org_created"),
    ("POST", "/admin/users"): (200, "user_created"),
    ("POST", f"/api/users/{USER_ID}/actions/reset"): (200, "password_reset"),
    ("GET", f"/api/users/{USER_ID}"): (200, "user"),
    ("GET", "/api/apis"): (200, "apis_empty"),
    ("POST", "/api/apis"): (200, "api_created"),
    ("GET", "/api/portal/policies"): (200, "policies_empty"),
    ("POST", "/api/portal/policies"): (200, "policy_created"),
    ("POST", "/api/keys"): (200, "key_created"),
}
DONE = {**FRESH, ("GET", "/admin/organisations"): (200, "orgs_one"),
        ("GET", "/api/apis"): (200, "apis_smoke"),
        ("GET", "/api/portal/policies"): (200, "policies_smoke")}


class FakeGateway:
    """A FAKE gateway: reloads counted; serves the keys in `good` (200), else 403."""

    def __init__(self, good: set[str]) -> None:
        self.good = good
        self.reloads = 0

    def reload(self) -> None:
        self.reloads += 1

    def get_with_key(self, path: str, key: str) -> tuple[int, str]:
        return (200, "ok") if key in self.good else (403, '{"error": "Key not authorised"}')


def run(tmp_path: Path, fake: RecordedDashboard, gateway: FakeGateway,
        saved_key: str | None = None, admin: str = ADMIN) -> Any:
    transport = httpx.MockTransport(fake)
    serving: Callable[[int, str], bool] = lambda status, body: status == 200  # noqa: E731
    with DashboardClient("http://127.0.0.1:3000", SecretStr(admin), transport=transport
                         ) as dash:
        return bootstrap(dash, gateway, tmp_path, api_definition("stackctl-smoke", "/smoke/"),
                         "/smoke/", saved_key, serving, serve_timeout=0.2, poll=0.01)


def test_fresh_dashboard_gets_everything_with_the_right_headers(tmp_path: Path) -> None:
    fake = RecordedDashboard(FRESH)
    key = RECORDED["key_created"]["key_id"]
    done = run(tmp_path, fake, FakeGateway({key}))
    assert done.created == ("organisation", "admin user", "API", "policy", "key")
    assert done.org_id == ORG and done.policy_id == RECORDED["policy_created"]["Message"]
    assert done.key.get_secret_value() == key
    for request in fake.requests:
        path = request.url.path
        if path.startswith("/admin/"):
            assert request.headers["admin-auth"] == ADMIN
            assert "authorization" not in request.headers
        elif path.startswith("/api/"):
            assert request.headers["authorization"] == USER_KEY
            assert "admin-auth" not in request.headers  # the admin secret stays on /admin
    created_api = next(r for r in fake.requests if r.method == "POST"
                       and r.url.path == "/api/apis")
    assert json.loads(created_api.content)["api_definition"]["org_id"] == ORG
    key_body = json.loads(next(r for r in fake.requests if r.url.path == "/api/keys").content)
    assert key_body["apply_policies"] == [done.policy_id] and key_body["org_id"] == ORG
    creds = load_credentials(tmp_path)
    assert creds is not None and creds.access_key.get_secret_value() == USER_KEY
    assert (tmp_path / "dashboard-admin.json").stat().st_mode & 0o777 == 0o600
    reset = next(r for r in fake.requests if r.url.path.endswith("/actions/reset"))
    assert json.loads(reset.content)["new_password"] == creds.password.get_secret_value()


def test_second_run_creates_nothing(tmp_path: Path) -> None:
    save_credentials(tmp_path, AdminCredentials(ORG, USER_ID, "a@b.example",
                                                SecretStr(USER_KEY), SecretStr("pw")))
    fake = RecordedDashboard(DONE)
    gateway = FakeGateway({"saved-key"})
    done = run(tmp_path, fake, gateway, saved_key="saved-key")
    assert done.created == ()
    assert done.key.get_secret_value() == "saved-key"
    assert done.policy_id == RECORDED["policies_smoke"]["Data"][0]["_id"]
    assert not [c for c in fake.calls() if c[0] == "POST"]
    assert gateway.reloads == 1


def test_a_saved_key_that_no_longer_works_is_replaced(tmp_path: Path) -> None:
    save_credentials(tmp_path, AdminCredentials(ORG, USER_ID, "a@b.example",
                                                SecretStr(USER_KEY), SecretStr("pw")))
    key = RECORDED["key_created"]["key_id"]
    done = run(tmp_path, RecordedDashboard(DONE), FakeGateway({key}), saved_key="revoked")
    assert done.created == ("key",) and done.key.get_secret_value() == key


def test_wrong_admin_secret_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    fake = RecordedDashboard({**FRESH, ("GET", "/admin/organisations"): (403, "forbidden")})
    with pytest.raises(DashboardError) as err:
        run(tmp_path, fake, FakeGateway(set()), admin="wrong")
    message = str(err.value)
    assert "HTTP 403" in message and "admin_secret" in message and "\n" not in message
    assert "wrong" not in message  # the secret is never in an error
    assert not (tmp_path / "dashboard-admin.json").exists()


def test_lost_credentials_with_an_existing_admin_names_the_fix(tmp_path: Path) -> None:
    fake = RecordedDashboard({**DONE, ("POST", "/admin/users"): (400, "user_exists")})
    with pytest.raises(DashboardError, match=r"down --volumes"):
        run(tmp_path, fake, FakeGateway(set()))
    assert ("POST", "/admin/organisations") not in fake.calls()  # found by name


def test_gateway_that_never_serves_the_key_fails_the_step(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"never served /smoke/ .*HTTP 403"):
        run(tmp_path, RecordedDashboard(FRESH), FakeGateway(set()))


def test_an_answer_that_is_not_json_is_named(tmp_path: Path) -> None:
    fake = RecordedDashboard({**FRESH, ("POST", "/api/apis"): (200, "<html>")})
    with pytest.raises(DashboardError, match=r"POST http://127.0.0.1:3000/api/apis: not JSON"):
        run(tmp_path, fake, FakeGateway(set()))


def test_dashboard_mode_gateway_finds_the_dashboard_id_to_delete() -> None:
    from stackctl.dashboard.apis import DashboardModeGateway

    dash_id = RECORDED["apis_smoke"]["apis"][0]["api_definition"]["id"]
    fake = RecordedDashboard({**DONE, ("DELETE", f"/api/apis/{dash_id}"): (200, "password_reset")})
    dash = DashboardClient("http://127.0.0.1:3000", None, SecretStr(USER_KEY),
                           transport=httpx.MockTransport(fake))
    # a second client (e.g. the cleanup's) never saw the create: it looks the id up
    with DashboardModeGateway("http://127.0.0.1:8080", SecretStr("s"), dash, ORG) as gw:
        gw.delete_api("stackctl-smoke")
        with pytest.raises(DashboardError, match="no API stackctl-other"):
            gw.delete_api("stackctl-other")
    assert ("DELETE", f"/api/apis/{dash_id}") in fake.calls()
