"""Test tiers and the CI policy.

Every test carries exactly one tier marker: `unit` (no Docker), `docker` (a real engine),
`e2e` (the full stack, locally built images). With CI=true a missing engine FAILS the
docker and e2e tiers; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import functools
import os

import pytest

TIERS = ("unit", "docker", "e2e")


def in_ci() -> bool:
    """Whether this run is CI's (CI=true)."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@functools.cache
def engine_problem() -> str | None:
    """None when a Docker engine answers, else why not."""
    from stackctl.errors import ToolError
    from stackctl.runtime.engine import engine_version

    try:
        engine_version()
    except ToolError as exc:
        return str(exc)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Reject a test without exactly one tier marker."""
    for item in items:
        tiers = [t for t in TIERS if item.get_closest_marker(t) is not None]
        if len(tiers) != 1:
            raise pytest.UsageError(
                f"{item.nodeid}: needs exactly one tier marker of {TIERS}, has {tiers}"
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Docker tiers need a real engine: a failure in CI, a skip elsewhere."""
    if item.get_closest_marker("docker") is None and item.get_closest_marker("e2e") is None:
        return
    problem = engine_problem()
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"CI=true and no Docker engine: {problem}", pytrace=False)
    pytest.skip(f"no Docker engine: {problem}")


@pytest.fixture(autouse=True)
def _no_inherited_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start from stackctl's defaults: STACKCTL_* settings of the shell that runs
    pytest are removed (tool knobs such as STACKCTL_DOCKER are not settings and stay)."""
    from stackctl.settings import Settings

    fields = {f"STACKCTL_{name.upper()}" for name in Settings.model_fields}
    for key in list(os.environ):
        if key.partition("__")[0] in fields:
            monkeypatch.delenv(key)
