"""Stacks shared across e2e modules, to keep CI's time down.

- `shared_stack`: ONE compose stack (mtls, 3 x 1, brought up with `up --json` and its short
  smoke) for the checks that leave it as they found it: the up checks in mtls, the second
  up, the smoke module, the sweep module (it puts the stack's settings back), then the
  drill (it restores the stack and checks it healthy), and last the two-engine e2e (its
  `down` ends the stack).
- `swarm`: ONE single-node swarm (its own address pool, pinned overlays) for the swarm life
  cycle, the swarm drill, and last the two-engine e2e (its `down` ends the stack); then the
  swarm is left and the engine is as it was.

CI runs the compose stack's users in two processes, one after the other (`serial`, then
`paired` beside the swarm's: scripts/test), so each process brings up its own shared
compose stack and ends it. A shared stack lives from its first user to its last:
`pytest_collection_modifyitems` runs each stack's users in a row (the two-engine e2e
last), and `pytest_runtest_teardown` ends the stack after its last user, so no stack or
swarm outlives its tests (a teardown problem is reported as that test's teardown error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from shared import SHARED_PROJECT, SWARM_POOL, SWARM_PROJECT, Stack, shared_env, swarm_env

from stackenv import project_objects, stackctl, up_result

PAIRED = ("test_drill_e2e.py", "test_engines_e2e.py", "test_swarm_e2e.py")
"""Modules whose shared-stack tests are `paired`, not `serial`: 100 req/s drills, one-point
sweeps, short smokes and deploys, judged on behaviour rather than on load figures. CI runs
the compose ones in a row beside the swarm ones in a row (`shared_swarm`), after the
`serial` tests (scripts/test); the compose lane brings up its own shared stack."""
LAST = ("test_engines_e2e.py",)
"""Modules whose tests end a shared stack (`down`): run after its other users."""
ORDER = ("test_drill_e2e.py", "test_swarm_e2e.py", *LAST)
"""Within a group, later in this tuple runs later; other modules first, in their order."""
SERIAL: tuple[str, ...] = ()
"""Modules that measure load without a shared stack (their tests are `serial` too)."""


@dataclass
class Shared:
    """One shared stack: `open` on first use, `close` after its last user (idempotent)."""

    name: str
    start: Callable[[], tuple[Any, Callable[[], None]]]
    value: Any = None
    stop: Callable[[], None] | None = None
    closed: bool = False

    def open(self) -> Any:
        if self.closed:
            raise RuntimeError(f"the shared {self.name} was closed: its users must run in a row")
        if self.stop is None:
            self.value, self.stop = self.start()
        return self.value

    def close(self) -> None:
        stop, self.stop, self.closed = self.stop, None, True
        if stop is not None:
            stop()


SHARED: dict[str, Shared] = {}


def group_of(item: pytest.Item) -> str | None:
    """Which shared stack a test uses: the fixture it requests, or its `engine` parameter."""
    names = getattr(item, "fixturenames", ())
    if "shared_stack" in names:
        return "shared_stack"
    if "swarm" in names:
        return "swarm"
    callspec = getattr(item, "callspec", None)
    engine = callspec.params.get("engine") if callspec is not None else None
    if item.path.name in LAST and engine in ("compose", "swarm"):
        return "shared_stack" if engine == "compose" else "swarm"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A shared stack's users are `paired` (PAIRED's modules) or `serial` (the others, and
    SERIAL's modules), the swarm's also `shared_swarm`, all marked before `-m` selects;
    each shared stack's users in a row, where its first user was; the drill and the
    two-engine e2e (it runs `down`) last in their group."""
    del config
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        group = group_of(item)
        if group == "swarm":
            item.add_marker(pytest.mark.shared_swarm)
        if group is not None and item.path.name in PAIRED:
            item.add_marker(pytest.mark.paired)
        elif group is not None or item.path.name in SERIAL:
            item.add_marker(pytest.mark.serial)
        if group is not None:
            groups.setdefault(group, []).append(item)
    rank = {name: i + 1 for i, name in enumerate(ORDER)}
    out: list[pytest.Item] = []
    for item in items:
        group = group_of(item)
        if group is None:
            out.append(item)
        elif group in groups:
            members = groups.pop(group)
            out += sorted(members, key=lambda it: rank.get(it.path.name, 0))
    items[:] = out


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """End a shared stack once its last user is done."""
    group = group_of(item)
    if group is not None and group in SHARED and (nextitem is None or group_of(nextitem) != group):
        SHARED[group].close()


def _shared(name: str, start: Callable[[], tuple[Any, Callable[[], None]]]) -> Iterator[Any]:
    shared = SHARED.setdefault(name, Shared(name, start))
    try:
        yield shared.open()
    finally:
        shared.close()


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The shared mtls 3 x 1 compose stack (see the module's docstring)."""

    def start() -> tuple[Stack, Callable[[], None]]:
        cwd = tmp_path_factory.mktemp("shared")
        env = shared_env()

        def stop() -> None:
            stackctl(cwd, env, "down", "--volumes", timeout=180)
            left = project_objects(SHARED_PROJECT)
            assert left == [], left

        try:
            return Stack(cwd, env, up_result(cwd, env)), stop
        except BaseException:
            stop()
            raise

    yield from _shared("shared_stack", start)


@pytest.fixture(scope="session")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh single-node swarm (before it exists, `up` on swarm must refuse with one
    line); nothing deployed. Its users keep `env` current (the settings the stack runs
    with). In the end: the stack, the access proxy and the drill's probe removed, the swarm
    left, nothing of the stack left."""
    from stackctl.engine.swarm import probe_name
    from stackctl.runtime.swarm import (
        Stack as SwarmStack,
    )
    from stackctl.runtime.swarm import (
        container_running,
        init_swarm,
        leave_swarm,
        remove_container,
        swarm_info,
    )

    def start() -> tuple[dict[str, Any], Callable[[], None]]:
        work = tmp_path_factory.mktemp("swarm")
        base = {"STACKCTL_STATE_DIR": str(work / "state"),
                "STACKCTL_CERTS_DIR": str(work / "certs")}
        env = swarm_env(**base)
        assert swarm_info().state == "inactive", "the engine is already in a swarm: not ours"
        refused = stackctl(work, env, "up", "--no-smoke", timeout=120)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "not a swarm manager" in refused.stderr and "docker swarm init" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        init_swarm("127.0.0.1", SWARM_POOL)
        stack = SwarmStack(SWARM_PROJECT)

        def stop() -> None:
            try:
                if stack.exists():
                    stack.remove()
                for name in (f"{SWARM_PROJECT}-access", probe_name(SWARM_PROJECT)):
                    remove_container(name)
                left = stack.wait_removed(volumes=True)
            finally:
                leave_swarm()
            assert swarm_info().state == "inactive"
            assert not any(left.values()), left
            assert not container_running(probe_name(SWARM_PROJECT))

        return {"work": work, "env": env, "base": base, "stack": stack}, stop

    yield from _shared("swarm", start)
