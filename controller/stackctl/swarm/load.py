"""Load from the swarm: wrk in the tasks of a `load` replicated-job service, each with its
share of connections and rate and every key (a Swarm secret, never on a command line);
results read from the service's logs and merged. A `TaskMeter` is told when every task
runs and when all have ended."""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from stackctl.errors import ToolError
from stackctl.load.plan import LoadPlan, LoadResult
from stackctl.load.stats import merge_counts
from stackctl.load.wrk import (
    MARKER,
    parse_wrk_output,
    script_file,
    write_keys_file,
    wrk_args,
    wrk_call,
)
from stackctl.names import FRONT_NETWORK, ROLE_LABEL
from stackctl.runtime.swarm import Stack
from stackctl.swarm.wait import FAILED

SERVICE = "load"
KEYS_TARGET = "/run/secrets/stackctl-load-keys"
SCRIPT_TARGET = "/opt/stackctl/load/smoke.lua"
SLACK_S = 90.0
"""Beyond the load's own deadline: scheduling, start-up and the logs."""
POLL_S = 0.5
"""Task-state polls while the tasks start and once they should have ended (none while
they run: each `docker stack ps` takes CPU from the run)."""


class TaskMeter(Protocol):
    """Told about the load job's progress (`stackctl.swarm.meter.SwarmMeter`)."""

    def running(self, started: float, running: float) -> None:
        """Every task runs (the job made at `started`, all seen running at `running`); may block."""

    def complete(self) -> None:
        """Every task has ended."""


def task_plan(plan: LoadPlan, tasks: int) -> LoadPlan:
    """One task's share: connections and rate split, every key (one wrk thread each)."""
    return replace(plan, connections=max(len(plan.keys), math.ceil(plan.connections / tasks)),
                   rate=plan.rate / tasks if plan.rate > 0 else 0.0,
                   max_requests=max(1, plan.max_requests // tasks))


def merge(results: Sequence[LoadResult]) -> LoadResult:
    """One result from the tasks': statuses, errors, answers per slice and CPU summed, the
    slowest elapsed, per percentile the highest task's (an upper bound)."""
    if not results:
        raise ToolError("load: no task reported a result")
    keys = max(len(r.statuses) for r in results)
    statuses: list[Counter[int]] = [Counter() for _ in range(keys)]
    for result in results:
        for i, counts in enumerate(result.statuses):
            statuses[i].update(counts)
    latencies = {p: max(r.latencies_ms.get(p, 0.0) for r in results)
                 for p in results[0].latencies_ms}
    cpu = [r.engine_cpu_s for r in results]
    return LoadResult(
        engine=f"wrk x {len(results)} tasks", statuses=statuses, latencies_ms=latencies,
        elapsed_s=max(r.elapsed_s for r in results),
        started_at=min(r.started_at for r in results), ended_at=max(r.ended_at for r in results),
        corrected=False, errors=sum(r.errors for r in results),
        unanswered_max=sum(r.unanswered_max for r in results),
        note=f"{len(results)} load tasks; percentiles: the highest task's (an upper bound)",
        answers=merge_counts([r.answers for r in results]),
        engine_cpu_s=None if None in cpu else sum(c for c in cpu if c is not None))


def _parse_tasks(text: str, keys: int, started: float, connections: int
                 ) -> list[LoadResult]:
    """Each task's result; `connections`: requests a task may leave in flight (served, unseen)."""
    return [parse_wrk_output(line, keys, started, connections) for line in text.splitlines()
            if line.startswith(MARKER)]


def _wait_for(stack: Stack, tasks: int, states: tuple[str, ...], timeout: float) -> None:
    """Until `tasks` load tasks are in `states`; ToolError if one failed, or at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        found = [t for t in stack.tasks() if t.service == SERVICE]
        done = sum(t.state in states for t in found)
        failed = [t for t in found if t.state in FAILED]
        if done >= tasks:
            return
        if failed:
            raise ToolError(f"load task failed: {failed[0].error or failed[0].state}")
        if time.monotonic() >= deadline:
            raise ToolError(f"load: {done} of {tasks} tasks {states[-1]} after "
                            f"{timeout:.0f} s")
        time.sleep(POLL_S)


def run_load_tasks(stack: Stack, plan: LoadPlan, tasks: int, image: str, work_dir: Path,
                   project: str, meter: TaskMeter | None = None
                   ) -> tuple[LoadResult, list[LoadResult]]:
    """Run the plan from `tasks` load tasks against `plan.url` on the front overlay; the merged
    result and each task's (`meter` hears when all run and when all ended)."""
    share = task_plan(plan, tasks)
    keys_path = write_keys_file(work_dir, plan.keys)
    script = script_file(work_dir)
    digest = hashlib.sha256(keys_path.read_bytes() + script.read_bytes()).hexdigest()[:12]
    secret, config = f"{project}-load-keys-{digest}", f"{project}-load-script-{digest}"
    call = wrk_call(share)
    args = ["timeout", f"{share.deadline_s:.0f}", "wrk",
            *wrk_args(share, call, plan.url, SCRIPT_TARGET, KEYS_TARGET)]
    spec = {"name": SERVICE, "image": image, "args": args, "network": FRONT_NETWORK,
            "replicas": tasks, "restart": "none", "max_attempts": 0,
            "placement_prefs": ["spread=node.id"], "labels": {ROLE_LABEL: SERVICE},
            "secrets": [{"source": secret, "target": KEYS_TARGET, "mode": 0o400}],
            "configs": [{"source": config, "target": SCRIPT_TARGET, "mode": 0o444}]}
    try:
        stack.create_object("secret", secret, keys_path)
        stack.create_object("config", config, script)
        started = time.time()
        stack.run_job(spec)
        _wait_for(stack, tasks, ("running", "complete"), SLACK_S)
        running = time.time()
        if meter is not None:
            meter.running(started, running)
        # Every task started before `running`: none ends before its duration from then.
        time.sleep(max(0.0, running + share.duration_s - time.time()))
        _wait_for(stack, tasks, ("complete",), share.deadline_s + SLACK_S)
        if meter is not None:
            meter.complete()
        results: list[LoadResult] = []
        deadline = time.monotonic() + 15.0  # service logs trail the tasks' end a little
        while len(results) < tasks and time.monotonic() < deadline:
            results = _parse_tasks(stack.raw_logs(SERVICE), len(plan.keys), started,
                                   call.connections)
            if len(results) < tasks:
                time.sleep(1.0)
        if len(results) < tasks:
            raise ToolError(f"load: {len(results)} of {tasks} tasks reported a result")
    finally:
        keys_path.unlink(missing_ok=True)
        stack.remove_service(SERVICE)
        for _ in range(10):  # the job's tasks release the objects a moment later
            stack.remove_object("secret", secret)
            stack.remove_object("config", config)
            if not any(n in (secret, config) for names in (
                    stack.leftovers()["secrets"], stack.leftovers()["configs"]) for n in names):
                break
            time.sleep(1.0)
    return merge(results), results
