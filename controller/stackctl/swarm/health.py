"""The Tyk tasks' health on Swarm, over HTTP. Their images have no shell, so their services
carry no Swarm healthcheck (a task counts `running` once started): a one-shot helper on
the attachable front overlay (the Redis image: bash's /dev/tcp) GETs each running task's
/hello (Redis pass) or the pump's /health at the task's own address."""

from __future__ import annotations

import shlex
import time
from collections.abc import Mapping, Sequence

from stackctl.errors import ToolError
from stackctl.names import FRONT_NETWORK
from stackctl.render.tyk import probe_of
from stackctl.runtime.health import PROBE_KEY, http_argv
from stackctl.runtime.oneshot import run_oneshot
from stackctl.runtime.swarm import Stack, Task, task_addresses

PROBE_TIMEOUT_S = 3
POLL_S = 1.0


def _check(task: Task, addr: str) -> str:
    spec = probe_of(task.service, "", addr)[PROBE_KEY]
    argv = http_argv(addr, int(spec["port"]), str(spec["path"]), str(spec["expect"]))
    return (f"if timeout {PROBE_TIMEOUT_S} {shlex.join(argv)}; then echo {task.id} pass; "
            f"else echo {task.id} fail; fi")


def probe_script(tasks: Sequence[tuple[Task, str]]) -> str:
    """One shell script probing every (task, address), a `<task id> pass|fail` line each."""
    return "\n".join(_check(task, addr) for task, addr in tasks) + "\n"


def parse_verdicts(text: str) -> dict[str, bool]:
    """task id -> passed, from `probe_script`'s output."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] in ("pass", "fail"):
            out[parts[0]] = parts[1] == "pass"
    return out


def healthy_tasks(stack: Stack, image: str, services: Sequence[str]) -> dict[str, list[str]]:
    """service -> the ids of its running tasks that pass their probe now."""
    running = [t for t in stack.tasks() if t.service in services
               and t.desired == "running" and t.state == "running"]
    network = stack.network(FRONT_NETWORK)
    located = [(t, addr) for t in running if (addr := task_addresses(t.id).get(network))]
    out: dict[str, list[str]] = {s: [] for s in services}
    if not located:
        return out
    result = run_oneshot(image, ["bash", "-c", probe_script(located)], network)
    passed = parse_verdicts(result.stdout)
    for task, _ in located:
        if passed.get(task.id):
            out[task.service].append(task.id)
    return out


def wait_healthy(stack: Stack, image: str, wanted: Mapping[str, int], timeout: float,
                 exclude: Mapping[str, frozenset[str]] | None = None) -> None:
    """Until every wanted service has its number of tasks passing their probe (those in
    `exclude` not counted); ToolError naming the laggards at the deadline."""
    deadline = time.monotonic() + timeout
    old = exclude or {}
    while True:
        healthy = healthy_tasks(stack, image, list(wanted))
        counts = {s: len([t for t in ids if t not in old.get(s, frozenset())])
                  for s, ids in healthy.items()}
        late = {s: f"{counts[s]}/{n}" for s, n in wanted.items() if counts[s] < n}
        if not late:
            return
        if time.monotonic() >= deadline:
            raise ToolError(f"not healthy after {timeout:.0f} s: " + ", ".join(
                f"{s} {c} task(s) pass their probe" for s, c in sorted(late.items())))
        time.sleep(POLL_S)
