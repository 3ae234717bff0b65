"""One GET of a Tyk health endpoint (the gateway's /hello or /ready, the pump's /health),
as a sample: its status, its body's verdict and how long it took. Never raises: a probe
that gets no answer is a sample too (status 0)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from stackctl.clients.gateway import redis_health


@dataclass(frozen=True)
class HealthSample:
    """One probe: `status` 0 = no answer within the timeout (or no connection);
    `says` what the body claims: pass | warn | fail | unknown | "" (no body)."""

    at: float  # time.time() when it was sent
    status: int
    says: str
    latency_s: float


def _verdict(path: str, status: int, body: Any) -> str:
    """What an answer claims: /hello its Redis detail; others their own status field
    (the pump's `ok` is a pass); a 5xx with nothing readable is a fail."""
    if isinstance(body, dict):
        if path.endswith("hello"):
            return redis_health(body)
        value = str(body.get("status", "")).lower()
        if value in ("ok", "pass"):
            return "pass"
        if value in ("warn", "fail"):
            return value
        return "fail" if status >= 500 or value == "error" else "unknown"
    return "pass" if 200 <= status < 300 else "fail" if status else ""


class HealthClient:
    """GETs of one base URL's health paths, each bounded by `timeout` seconds."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                  trust_env=False)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> HealthClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sample(self, path: str) -> HealthSample:
        """GET `path` once."""
        at = time.time()
        started = time.perf_counter()
        try:
            resp = self._http.get(path)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError):
            return HealthSample(at, 0, "", round(time.perf_counter() - started, 4))
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        return HealthSample(at, resp.status_code, _verdict(path, resp.status_code, body),
                            round(time.perf_counter() - started, 4))
