"""The Tyk Dashboard's Admin API and Dashboard API (profile pro): the only module speaking
HTTP to the Dashboard; routes and auth headers come from the Tyk tables. Every failure is
a one-line `DashboardError` (a `ToolError`) naming the method, the URL and a fix, never a
secret: cannot connect, no answer in time, an answer >= 400 ("HTTP <status>: <body>",
`status` set), or not the JSON object the route answers."""

from __future__ import annotations

import time
from typing import Any

import httpx
from pydantic import SecretStr

from stackctl.errors import ToolError
from stackctl.tyk.lookup import dashboard_auth_headers, dashboard_endpoint

__all__ = ["DEFAULT_TIMEOUT", "DashboardClient", "DashboardError", "wait_hello"]

DEFAULT_TIMEOUT = 10.0
STACK_FIX = "is the stack up? `stackctl status`"
LOGS_FIX = "see `stackctl logs dashboard`"
SECRET_FIX = ("the dashboard refused the secret: `stackctl up` re-renders the dashboard's "
              "admin_secret from the secrets file")


class DashboardError(ToolError):
    """A Dashboard call failed: `url` it went to, `status` of the answer (None: none)."""

    def __init__(self, message: str, url: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


class DashboardClient:
    """A client for one Dashboard (on the host: its published port): `admin_secret` for Admin
    API calls, `user_key` for Dashboard API calls (`with_user_key`), either None until needed."""

    def __init__(self, base_url: str, admin_secret: SecretStr | None = None,
                 user_key: SecretStr | None = None, timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._admin = admin_secret
        self._user = user_key
        self._timeout = timeout
        self._base = base_url.rstrip("/")
        self._transport = transport
        try:
            self._http = httpx.Client(base_url=self._base, timeout=timeout, trust_env=False,
                                      transport=transport)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise DashboardError(f"dashboard {base_url}: not a usable URL ({exc}); check "
                                 "dashboard.port and network.bind", base_url) from None

    @property
    def base_url(self) -> str:
        """Where this client sends its requests."""
        return self._base

    def with_user_key(self, key: SecretStr) -> DashboardClient:
        """This client's twin acting as the user whose access key is `key`."""
        return DashboardClient(self._base, self._admin, key, self._timeout, self._transport)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> DashboardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, route: str, *, json: Any = None, text_ok: bool = False,
             **names: str) -> dict[str, Any]:
        """One call on the tables' route `route`: its JSON object (`text_ok`: or {"text": ...})."""
        end = dashboard_endpoint(route)
        path = end.path.format(**names)
        shown = f"{end.method} {self._base}{path}"
        headers: dict[str, str] = {}
        if end.auth in ("admin", "user"):
            secret = self._admin if end.auth == "admin" else self._user
            if secret is None:
                raise DashboardError(f"dashboard {shown}: no {end.auth} secret given",
                                     self._base + path)
            headers[dashboard_auth_headers()[end.auth]] = secret.get_secret_value()
        try:
            resp = self._http.request(end.method, path, headers=headers, json=json)
        except httpx.TimeoutException:
            raise DashboardError(f"dashboard {shown}: no answer within {self._timeout:g} s; "
                                 f"{LOGS_FIX}", self._base + path) from None
        except httpx.ConnectError as exc:
            raise DashboardError(f"dashboard {shown}: cannot connect "
                                 f"({_one_line(str(exc), 80) or 'connection refused'}); "
                                 f"{STACK_FIX}", self._base + path) from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise DashboardError(f"dashboard {shown}: {exc.__class__.__name__}: "
                                 f"{_one_line(str(exc), 120)}; {STACK_FIX}",
                                 self._base + path) from None
        if resp.status_code >= 400:
            fix = SECRET_FIX if resp.status_code in (401, 403) else LOGS_FIX
            raise DashboardError(f"dashboard {shown}: HTTP {resp.status_code}: "
                                 f"{_one_line(resp.text)}; {fix}", self._base + path,
                                 resp.status_code)
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) and text_ok:
            return {"text": resp.text}
        if not isinstance(data, dict):
            raise DashboardError(f"dashboard {shown}: not JSON: {_one_line(resp.text, 100)}; "
                                 f"{LOGS_FIX}", self._base + path, resp.status_code)
        return data

    def hello(self) -> dict[str, Any]:
        """GET /hello (no auth); any 2xx answer means the Dashboard is up."""
        return self.call("hello", text_ok=True)

    def organisations(self) -> list[dict[str, Any]]:
        """GET /admin/organisations: every organisation."""
        return _list(self.call("orgs"), "organisations")

    def create_organisation(self, owner_name: str, slug: str) -> str:
        """POST /admin/organisations; the new organisation's id."""
        data = self.call("org-create", json={"owner_name": owner_name, "owner_slug": slug,
                                             "cname_enabled": False})
        return _required(data, "Meta", "org-create")

    def create_user(self, org_id: str, email: str, first: str, last: str
                    ) -> tuple[str, SecretStr]:
        """POST /admin/users (an admin user of `org_id`); (user id, access key)."""
        data = self.call("user-create", json={
            "org_id": org_id, "first_name": first, "last_name": last, "email_address": email,
            "active": True, "user_permissions": {"IsAdmin": "admin"}})
        meta = data.get("Meta") if isinstance(data.get("Meta"), dict) else {}
        assert isinstance(meta, dict)
        user_id = str(meta.get("id") or "")
        key = str(meta.get("access_key") or data.get("Message") or "")
        if not user_id or not key:
            raise self._missing("user-create", "id and access_key")
        return user_id, SecretStr(key)

    def user(self, user_id: str) -> dict[str, Any]:
        """GET /api/users/{id} (as the user)."""
        return self.call("user", user_id=user_id)

    def reset_password(self, user_id: str, password: SecretStr) -> None:
        """POST /api/users/{id}/actions/reset (as the user)."""
        self.call("user-reset", user_id=user_id, json={
            "new_password": password.get_secret_value(),
            "user_permissions": {"IsAdmin": "admin"}})

    def apis(self) -> list[dict[str, Any]]:
        """GET /api/apis: each API's `api_definition`."""
        return [a.get("api_definition", {}) for a in _list(self.call("apis"), "apis")]

    def create_api(self, definition: dict[str, Any]) -> str:
        """POST /api/apis; the Dashboard's id of the new API."""
        data = self.call("api-create", json={"api_definition": definition})
        return _required(data, "Meta", "api-create")

    def delete_api(self, dashboard_id: str) -> None:
        """DELETE /api/apis/{id} (the Dashboard's id, not the api_id)."""
        self.call("api-delete", id=dashboard_id)

    def policies(self) -> list[dict[str, Any]]:
        """GET /api/portal/policies: every policy (with its `_id`)."""
        return _list(self.call("policies"), "Data")

    def create_policy(self, policy: dict[str, Any]) -> str:
        """POST /api/portal/policies; the new policy's id."""
        return _required(self.call("policy-create", json=policy), "Message", "policy-create")

    def create_key(self, session: dict[str, Any]) -> tuple[SecretStr, str]:
        """POST /api/keys; (key, key_hash)."""
        data = self.call("key-create", json=session)
        key = data.get("key_id")
        if not key:
            raise self._missing("key-create", "key_id")
        return SecretStr(str(key)), str(data.get("key_hash") or "")

    def _missing(self, route: str, what: str) -> DashboardError:
        end = dashboard_endpoint(route)
        url = self._base + end.path
        return DashboardError(f"dashboard {end.method} {url}: no {what} in the answer; "
                              f"{LOGS_FIX}", url)


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key) or []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _required(data: dict[str, Any], key: str, route: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        end = dashboard_endpoint(route)
        raise DashboardError(f"dashboard {end.method} {end.path}: no {key} in the answer: "
                             f"{_one_line(str(data), 120)}; {LOGS_FIX}", end.path)
    return value


def wait_hello(client: DashboardClient, timeout: float, poll: float = 1.0) -> dict[str, Any]:
    """Poll /hello until the Dashboard answers; DashboardError with the last failure."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.hello()
        except DashboardError as exc:
            if time.monotonic() >= deadline:
                raise DashboardError(f"dashboard never answered /hello within {timeout:.0f} s"
                                     f" ({exc})", exc.url, exc.status) from None
        time.sleep(poll)
