"""The builtin engine against an in-process server on 127.0.0.1: statuses per key,
the open-model schedule, and its bounds."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from stackctl.load.builtin import run_builtin
from stackctl.load.plan import LoadPlan

pytestmark = pytest.mark.unit


@pytest.fixture
def server() -> Iterator[str]:
    async def handle(request: web.Request) -> web.Response:
        status = 429 if request.headers.get("Authorization") == "limited" else 200
        return web.Response(status=status, text="{}")

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/x/"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.run_until_complete(runner.cleanup())
        loop.close()


def test_constant_rate_statuses_per_key(server: str) -> None:
    plan = LoadPlan(server, ("ok", "limited"), duration_s=1.0, connections=4, rate=200)
    result = run_builtin(plan)
    assert result.requests == plan.budget == 200  # every due request went out, no more
    assert result.statuses[0] == {200: 100} and result.statuses[1] == {429: 100}
    assert result.corrected and 0.9 < result.elapsed_s < 2.0
    assert set(result.latencies_ms) == {"p50", "p95", "p99"}
    assert result.latencies_ms["p99"] >= result.uncorrected_ms["p99"] - 0.01


def test_closed_model_is_bounded_by_time_and_count(server: str) -> None:
    plan = LoadPlan(server, ("ok",), duration_s=0.5, connections=2, max_requests=50)
    result = run_builtin(plan)
    assert result.requests == 50 and not result.corrected


def test_unreachable_target_counts_errors() -> None:
    plan = LoadPlan("http://127.0.0.1:9/", ("ok",), duration_s=0.3, connections=1, rate=20,
                    timeout_s=0.5)
    result = run_builtin(plan)
    assert result.requests == 0 and result.errors > 0
    assert result.statuses[0][0] == result.errors
