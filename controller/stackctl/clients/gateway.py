"""The Tyk Gateway API: /hello, API definitions, keys, reloads.

The only module that speaks HTTP to the gateway. Errors become `ToolError` with one line.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from pydantic import SecretStr

from stackctl.errors import ToolError

AUTH_HEADER = "x-tyk-authorization"
DEFAULT_TIMEOUT = 10.0


class GatewayClient:
    """A client for one gateway's API on the host (published port, loopback)."""

    def __init__(self, base_url: str, secret: SecretStr, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._secret = secret
        self._http = httpx.Client(base_url=base_url, timeout=timeout, trust_env=False)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, *, auth: bool = True,
                 json: Any = None, params: dict[str, str] | None = None) -> Any:
        headers = {AUTH_HEADER: self._secret.get_secret_value()} if auth else {}
        try:
            resp = self._http.request(method, path, headers=headers, json=json, params=params)
        except httpx.HTTPError as exc:
            raise ToolError(f"gateway {method} {path}: {exc.__class__.__name__}: {exc}") from None
        if resp.status_code >= 400:
            raise ToolError(f"gateway {method} {path}: HTTP {resp.status_code}: "
                            f"{resp.text.strip()[:200]}")
        try:
            return resp.json()
        except ValueError:
            return resp.text

    def hello(self) -> dict[str, Any]:
        """GET /hello (no auth): status, version and per-dependency details."""
        data = self._request("GET", "/hello", auth=False)
        if not isinstance(data, dict):
            raise ToolError(f"gateway /hello: not JSON: {str(data)[:100]}")
        return data

    def create_api(self, definition: dict[str, Any]) -> str:
        """POST /tyk/apis; the API serves only after a reload."""
        data = self._request("POST", "/tyk/apis", json=definition)
        return str(data.get("key", "")) if isinstance(data, dict) else ""

    def delete_api(self, api_id: str) -> None:
        """DELETE /tyk/apis/{id}."""
        self._request("DELETE", f"/tyk/apis/{api_id}")

    def reload(self) -> None:
        """GET /tyk/reload?block=true: reload this node and wait for it."""
        self._request("GET", "/tyk/reload", params={"block": "true"})

    def create_key(self, session: dict[str, Any]) -> str:
        """POST /tyk/keys/create; returns the new key."""
        data = self._request("POST", "/tyk/keys/create", json=session)
        key = data.get("key") if isinstance(data, dict) else None
        if not key:
            raise ToolError(f"gateway /tyk/keys/create: no key in answer: {str(data)[:200]}")
        return str(key)

    def create_key_hashed(self, session: dict[str, Any]) -> tuple[str, str]:
        """POST /tyk/keys/create; returns (key, key_hash): the hash names its Redis
        records (`apikey-<hash>`, `rate-limit-<hash>...`) when hash_keys is on."""
        data = self._request("POST", "/tyk/keys/create", json=session)
        key = data.get("key") if isinstance(data, dict) else None
        if not key:
            raise ToolError(f"gateway /tyk/keys/create: no key in answer: {str(data)[:200]}")
        return str(key), str(data.get("key_hash") or key)

    def delete_key(self, key: str) -> None:
        """DELETE /tyk/keys/{key}."""
        self._request("DELETE", f"/tyk/keys/{key}")


def redis_health(hello: dict[str, Any]) -> str:
    """The Redis status in a /hello answer: pass | warn | fail | unknown (not checked yet)."""
    details = hello.get("details") or {}
    redis = details.get("redis") if isinstance(details, dict) else None
    if isinstance(redis, dict) and isinstance(redis.get("status"), str):
        return str(redis["status"])
    return "unknown"


def wait_redis_pass(gw: GatewayClient, timeout: float, poll: float = 0.5) -> dict[str, Any]:
    """Poll /hello until it reports Redis `pass` (checks run every liveness interval);
    return that answer, or raise ToolError with the last state seen."""
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
            raise ToolError(f"gateway /hello never reported Redis pass within "
                            f"{timeout:.0f} s ({last})")
        time.sleep(poll)
