"""The Tyk Gateway API (/hello, API definitions, keys, reloads, requests through it): the
only module speaking HTTP to the gateway (the load engines excepted); routes and the auth
header come from the Tyk tables. Every failure is a one-line `GatewayError` (a
`ToolError`) naming the method, the URL and a fix: cannot connect ("is the stack up?"),
no answer in time, another transport failure, or a control-API answer >= 400 ("HTTP
<status>: <body>", `status` set). Requests `through` the gateway answer any status."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from stackctl.errors import ToolError
from stackctl.tyk.lookup import gateway_auth_header, gateway_endpoint

__all__ = [
    "DEFAULT_TIMEOUT",
    "GatewayClient",
    "GatewayError",
    "Reply",
    "gateway_state",
    "redis_health",
    "wait_redis_pass",
]

DEFAULT_TIMEOUT = 10.0
"""Seconds one request may take (connect, read, write, pool each)."""
STACK_FIX = "is the stack up? `stackctl status`"
LOGS_FIX = "see `stackctl logs gateway`"
SECRET_FIX = "the gateway secret differs from the stack's: `stackctl up` re-renders it"


class GatewayError(ToolError):
    """A gateway call failed: `url` it went to, `status` of the answer (None: no answer)."""

    def __init__(self, message: str, url: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Reply:
    """An answer from an API the gateway serves (any status)."""

    status: int
    text: str


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


def _transport_error(method: str, url: str, exc: Exception, timeout: float) -> GatewayError:
    if isinstance(exc, httpx.TimeoutException):
        why = f"no answer within {timeout:g} s; {STACK_FIX}, or a busy gateway: {LOGS_FIX}"
    elif isinstance(exc, httpx.ConnectError):
        why = f"cannot connect ({_one_line(str(exc), 80) or 'connection refused'}); {STACK_FIX}"
    else:
        why = f"{exc.__class__.__name__}: {_one_line(str(exc), 120)}; {STACK_FIX}"
    return GatewayError(f"gateway {method} {url}: {why}", url)


class GatewayClient:
    """A client for one gateway's API (published port or front address; `secret` may be None)."""

    def __init__(self, base_url: str, secret: SecretStr | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self._secret = secret
        self._timeout = timeout
        self._base = base_url.rstrip("/")
        try:
            self._http = httpx.Client(base_url=self._base, timeout=timeout, trust_env=False)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            raise GatewayError(f"gateway {base_url}: not a usable URL ({exc}); check "
                               "gateway.port and network.bind (`stackctl config show`)",
                               base_url) from None

    @property
    def base_url(self) -> str:
        """Where this client sends its requests (scheme, host, port)."""
        return self._base

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, *, headers: dict[str, str] | None = None,
              json: Any = None, params: dict[str, str] | None = None,
              timeout: float | None = None, shown: str | None = None) -> httpx.Response:
        """One request; transport failures become GatewayError naming `shown` (masked) or `path`."""
        url = self._base + (shown or path)
        wait = self._timeout if timeout is None else timeout
        try:
            return self._http.request(method, path, headers=headers, json=json,
                                      params=params, timeout=wait)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise _transport_error(method, url, exc, wait) from None

    def _call(self, route: str, *, json: Any = None, params: dict[str, str] | None = None,
              **names: str) -> Any:
        """A control-API call on the route `route` of the tables; its JSON (or text)."""
        end = gateway_endpoint(route)
        path = end.path.format(**names)
        shown = end.path.format(**{k: ("<key>" if k == "key" else v)
                                   for k, v in names.items()})
        headers = {}
        if end.auth:
            if self._secret is None:
                raise GatewayError(f"gateway {end.method} {self._base}{shown}: no API "
                                   "secret given", self._base + shown)
            headers[gateway_auth_header()] = self._secret.get_secret_value()
        resp = self._send(end.method, path, headers=headers, json=json, params=params,
                          shown=shown)
        if resp.status_code >= 400:
            fix = SECRET_FIX if resp.status_code in (401, 403) else LOGS_FIX
            raise GatewayError(f"gateway {end.method} {self._base}{shown}: HTTP "
                               f"{resp.status_code}: {_one_line(resp.text)}; {fix}",
                               self._base + shown, resp.status_code)
        try:
            return resp.json()
        except ValueError:
            return resp.text

    def hello(self) -> dict[str, Any]:
        """GET /hello (no auth): status, version and per-dependency details."""
        data = self._call("hello")
        if not isinstance(data, dict):
            url = self._base + gateway_endpoint("hello").path
            raise GatewayError(f"gateway GET {url}: not JSON: {_one_line(str(data), 100)}; "
                               f"{LOGS_FIX}", url)
        return data

    def create_api(self, definition: dict[str, Any]) -> str:
        """POST /tyk/apis; the API serves only after a reload."""
        data = self._call("apis", json=definition)
        return str(data.get("key", "")) if isinstance(data, dict) else ""

    def delete_api(self, api_id: str) -> None:
        """DELETE /tyk/apis/{id}."""
        self._call("api", api_id=api_id)

    def reload(self) -> None:
        """GET /tyk/reload?block=true: reload this node and wait for it."""
        self._call("reload", params={"block": "true"})

    def create_key(self, session: dict[str, Any]) -> str:
        """POST /tyk/keys/create; returns the new key."""
        return self.create_key_hashed(session)[0]

    def create_key_hashed(self, session: dict[str, Any]) -> tuple[str, str]:
        """POST /tyk/keys/create; (key, key_hash): the hash names its Redis records (hash_keys)."""
        data = self._call("keys-create", json=session)
        key = data.get("key") if isinstance(data, dict) else None
        if not key:
            url = self._base + gateway_endpoint("keys-create").path
            raise GatewayError(f"gateway POST {url}: no key in the answer: "
                               f"{_one_line(str(data))}; {LOGS_FIX}", url)
        return str(key), str(data.get("key_hash") or key)

    def delete_key(self, key: str) -> None:
        """DELETE /tyk/keys/{key} (the key never appears in an error)."""
        self._call("key", key=key)

    def through(self, path: str, headers: dict[str, str] | None = None, *,
                timeout: float | None = None) -> Reply:
        """GET `path` on an API the gateway serves (`headers`: e.g. the key); any status answers."""
        resp = self._send("GET", path, headers=headers, timeout=timeout)
        return Reply(resp.status_code, resp.text)


def redis_health(hello: dict[str, Any]) -> str:
    """The Redis status in a /hello answer: pass | warn | fail | unknown (not checked yet)."""
    details = hello.get("details") or {}
    redis = details.get("redis") if isinstance(details, dict) else None
    if isinstance(redis, dict) and isinstance(redis.get("status"), str):
        return str(redis["status"])
    return "unknown"


def gateway_state(base: str, secret: SecretStr | None) -> dict[str, str]:
    """`{"version", "redis"}` from /hello; redis `unreachable` (no version) without an answer."""
    try:
        with GatewayClient(base, secret) as gw:
            hello = gw.hello()
    except ToolError:
        return {"version": "", "redis": "unreachable"}
    return {"version": str(hello.get("version", "")), "redis": redis_health(hello)}


def wait_redis_pass(gw: GatewayClient, timeout: float, poll: float = 0.5) -> dict[str, Any]:
    """Poll /hello until Redis `pass`: that answer, or GatewayError with the last state."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        try:
            hello = gw.hello()
        except ToolError as exc:
            last = str(exc)
        else:
            last = f"redis {redis_health(hello)}"
            if redis_health(hello) == "pass":
                return hello
        if time.monotonic() >= deadline:
            url = gw.base_url + gateway_endpoint("hello").path
            raise GatewayError(f"gateway {url} never reported Redis pass within "
                               f"{timeout:.0f} s ({last})", url)
        time.sleep(poll)
