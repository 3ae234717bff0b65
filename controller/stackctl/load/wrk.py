"""The wrk engine: the command, the keys file, and the parsing of its JSON summary. wrk runs
on the host when installed there, else from the `load` image on the front network. One
thread per key (a thread knows which request an answer belongs to), so the script counts
statuses per key, answers per slice of wall-clock time, and wrk's own CPU. wrk is a
closed model: `rate` becomes a pause per connection, latencies are not corrected."""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackctl import assets
from stackctl.errors import ToolError
from stackctl.load.plan import LoadPlan, LoadResult, SliceCounts
from stackctl.names import ROLE_LOAD, role_labels
from stackctl.runtime.oneshot import run_oneshot
from stackctl.state import atomic_write
from stackctl.tools.wrk import run_wrk

NAME = "wrk"
MARKER = "STACKCTL_WRK_JSON "
SCRIPT_NAME = "smoke.lua"
"""The Lua script (stack/load/smoke.lua), copied into the work directory for each run."""
CONTAINER_DIR = "/opt/stackctl/load"


@dataclass(frozen=True)
class WrkCall:
    """A wrk invocation: its arguments, given the script and keys file paths it sees."""

    threads: int
    connections: int
    delay_ms: int
    budget_per_thread: int


def wrk_call(plan: LoadPlan) -> WrkCall:
    """Threads (one per key), connections (at least one per thread), pause and budget."""
    threads = max(1, len(plan.keys))
    connections = max(plan.connections, threads)
    delay_ms = math.floor(connections * 1000 / plan.rate) if plan.rate > 0 else 0
    return WrkCall(threads, connections, delay_ms, max(1, plan.budget // threads))


def wrk_args(plan: LoadPlan, call: WrkCall, url: str, script: str, keys_file: str
             ) -> list[str]:
    """The argument list (no secret on it: keys are read from `keys_file`)."""
    return ["-t", str(call.threads), "-c", str(call.connections),
            "-d", f"{max(1, math.ceil(plan.duration_s))}s",
            "--timeout", f"{max(1, math.ceil(plan.timeout_s))}s", "-s", script, url,
            "--", keys_file, plan.header, str(call.delay_ms), str(call.budget_per_thread)]


def parse_wrk_output(text: str, keys: int, started_at: float = 0.0, connections: int = 0
                     ) -> LoadResult:
    """The LoadResult in wrk's output (the script's JSON line); ToolError without one."""
    line = next((x for x in text.splitlines() if x.startswith(MARKER)), None)
    if line is None:
        raise ToolError(f"wrk: no {MARKER.strip()} line in its output "
                        f"(last line: {text.strip().splitlines()[-1:] or ['none']})")
    data: dict[str, Any] = json.loads(line[len(MARKER):])
    statuses: list[Counter[int]] = [Counter() for _ in range(max(1, keys))]
    for thread in data["threads"]:
        target = statuses[int(thread["key"]) % len(statuses)]
        target.update({int(s): int(n) for s, n in thread["codes"].items()})
    errs = data["errors"]
    failed = int(errs["connect"]) + int(errs["read"]) + int(errs["write"]) + int(
        errs["timeout"])
    if failed:
        statuses[0][0] += failed
    elapsed = int(data["duration_us"]) / 1e6
    lat = data["latency_us"]
    cpu_us = int(data.get("cpu_us", -1))
    return LoadResult(
        engine=NAME, statuses=statuses,
        latencies_ms={p: round(int(lat[p]) / 1000, 3) for p in ("p50", "p95", "p99")},
        elapsed_s=elapsed, started_at=started_at, ended_at=started_at + elapsed,
        corrected=False, errors=failed, unanswered_max=failed + connections,
        note="closed model: latency from the actual send (not corrected)",
        answers=parse_slices(data.get("slices")),
        engine_cpu_s=cpu_us / 1e6 if cpu_us >= 0 else None)


def parse_slices(data: Any) -> SliceCounts | None:
    """The script's `slices` ({width_ms, first, counts}) -> SliceCounts; None if absent/empty."""
    if not isinstance(data, dict) or not data.get("counts"):
        return None
    width = int(data["width_ms"]) / 1000
    return SliceCounts(int(data["first"]) * width, width,
                       tuple(int(n) for n in data["counts"]))


def script_file(directory: Path, name: str = SCRIPT_NAME) -> Path:
    """The Lua script, written into `directory` (a real file wrk, or a container, reads)."""
    path = directory / name
    data = assets.read_bytes(*assets.WRK_SCRIPT)
    if not path.is_file() or path.read_bytes() != data:
        atomic_write(path, data)
    return path


def write_keys_file(directory: Path, keys: tuple[str, ...]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=directory, prefix=".wrk-keys-",
                                     delete=False) as handle:  # 0600
        handle.write("".join(f"{k}\n" for k in keys))
    return Path(handle.name)


Runner = Callable[[list[str]], str]


def run_wrk_plan(plan: LoadPlan, url: str, work_dir: Path, runner: Runner,
                 script: str | None = None, keys_dir: str | None = None) -> LoadResult:
    """Write the script and the keys file (0600) into `work_dir`, run wrk through `runner`,
    parse, remove both; `script` / `keys_dir` are the paths wrk sees."""
    keys_path = write_keys_file(work_dir, plan.keys)
    local_script = script_file(work_dir, f"{keys_path.name}.lua")  # one per run, as the keys
    try:
        seen_keys = f"{keys_dir}/{keys_path.name}" if keys_dir else str(keys_path)
        seen_script = f"{keys_dir}/{local_script.name}" if keys_dir else str(local_script)
        args = wrk_args(plan, wrk_call(plan), url, script or seen_script, seen_keys)
        started = time.time()
        out = runner(args)
    finally:
        keys_path.unlink(missing_ok=True)
        local_script.unlink(missing_ok=True)
    return parse_wrk_output(out, len(plan.keys), started, wrk_call(plan).connections)


def run_host(plan: LoadPlan, work_dir: Path) -> LoadResult:
    """wrk on the host against `plan.url` (the published port on 127.0.0.1)."""
    return run_wrk_plan(plan, plan.url, work_dir,
                        lambda args: run_wrk(args, timeout=plan.deadline_s))


def run_in_network(plan: LoadPlan, url: str, work_dir: Path, image: str, network: str
                   ) -> LoadResult:
    """wrk from the `load` image on `network`, against `url` (a service name there)."""
    def runner(args: list[str]) -> str:
        result = run_oneshot(image, ["timeout", f"{plan.deadline_s:.0f}", "wrk", *args],
                             network,
                             mounts=[(str(work_dir.resolve()), f"{CONTAINER_DIR}/keys")],
                             labels=role_labels(ROLE_LOAD))
        if not result.ok:
            last = result.last_error(f"exit {result.returncode}")
            raise ToolError(f"wrk in {image}: {last}")
        return result.stdout

    return run_wrk_plan(plan, url, work_dir, runner, keys_dir=f"{CONTAINER_DIR}/keys")
