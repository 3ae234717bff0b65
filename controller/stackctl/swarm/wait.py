"""When a swarm stack is up: its tasks running, the init job complete, and the cluster
ready by the compose gate's rule (cluster-ready.sh in a one-shot on the Redis overlay)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stackctl.cluster.pki import STACKCTL_CLIENT
from stackctl.cluster.redis_conf import PASSWORD_FILE, SCRIPTS_MOUNT, redis_dir
from stackctl.errors import ConfigError, ToolError
from stackctl.model import StackModel, tls_paths
from stackctl.names import REDIS_NETWORK
from stackctl.runtime.docker_cli import ExecResult
from stackctl.runtime.oneshot import run_oneshot
from stackctl.runtime.swarm import Stack, Task
from stackctl.swarm.stackfile import swarm_env

POLL_S = 1.0
FAILED = ("failed", "rejected", "orphaned")
MISSING_IMAGE = ("no such image", "not found", "pull access denied")


@dataclass(frozen=True)
class Progress:
    """How far the wanted services are: running tasks and the last task error per service."""

    running: Mapping[str, int]
    errors: Mapping[str, str]


def progress(tasks: Sequence[Task], wanted: Mapping[str, int]) -> Progress:
    """Count running tasks per wanted service; keep each service's latest error."""
    running = {name: 0 for name in wanted}
    errors: dict[str, str] = {}
    for task in tasks:
        if task.service not in wanted:
            continue
        if task.desired == "running" and task.state == "running":
            running[task.service] += 1
        if task.error and (task.state in FAILED or task.desired == "shutdown"):
            errors.setdefault(task.service, task.error)
    return Progress(running, errors)


def missing_image(errors: Mapping[str, str]) -> str | None:
    """The first task error that says an image is missing on its node."""
    for service, error in sorted(errors.items()):
        if any(m in error.lower() for m in MISSING_IMAGE):
            return f"{service}: {error}"
    return None


def wait_running(stack: Stack, wanted: Mapping[str, int], timeout: float,
                 what: str = "services", fresh: Mapping[str, frozenset[str]] | None = None
                 ) -> None:
    """Until every wanted service runs its tasks (in `fresh`: other than those listed); ConfigError
    when a node lacks an image, ToolError naming laggards and last errors at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = stack.tasks()
        old = fresh or {}
        now = progress([t for t in tasks if t.id not in old.get(t.service, frozenset())],
                       wanted)
        image = missing_image(now.errors)
        if image:
            raise ConfigError("images", f"missing on a node given a task ({image})",
                              "get them onto every node: `stackctl images save` here, "
                              "`stackctl images load` there (see README)")
        late = {n: f"{now.running[n]}/{want}" for n, want in wanted.items()
                if now.running[n] < want}
        if not late:
            return
        if time.monotonic() >= deadline:
            detail = ", ".join(f"{n} {c} running"
                               + (f" ({now.errors[n]})" if n in now.errors else "")
                               for n, c in sorted(late.items()))
            raise ToolError(f"{what} not running after {timeout:.0f} s: {detail}")
        time.sleep(POLL_S)


def wait_job(stack: Stack, service: str, timeout: float) -> None:
    """Until the job's task completed; ToolError with its log tail when it failed or timed out."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = [t for t in stack.tasks() if t.service == service]
        if any(t.state == "complete" for t in tasks):
            return
        failed = [t for t in tasks if t.state in FAILED]
        live = [t for t in tasks if t.state not in (*FAILED, "shutdown", "complete")
                and t.desired != "shutdown"]
        image = missing_image({service: failed[0].error} if failed else {})
        if image:
            raise ConfigError("images", f"missing on a node given a task ({image})",
                              "`stackctl images save` here, `stackctl images load` there")
        if (failed and not live) or time.monotonic() >= deadline:
            tail = _log_tail(stack, service)
            why = f"failed ({failed[0].error})" if failed and not live else \
                f"not complete after {timeout:.0f} s"
            raise ToolError(f"{service} {why}" + (f": {tail}" if tail else ""))
        time.sleep(POLL_S)


def _log_tail(stack: Stack, service: str, lines: int = 3) -> str:
    try:
        text = stack.logs(service, tail=20)
    except ToolError:
        return ""
    kept = [line.split("|", 1)[-1].strip() for line in text.splitlines() if line.strip()]
    return " / ".join(kept[-lines:])


def probe_mounts(model: StackModel) -> list[tuple[str, str]]:
    """What a one-shot probe mounts read-only: password, scripts, with TLS the client cert."""
    root = redis_dir(model).resolve()
    mounts = [(str(root / "password"), PASSWORD_FILE), (str(root / "bin"), SCRIPTS_MOUNT)]
    if model.tls:
        certs, paths = model.certs_dir.resolve(), tls_paths(STACKCTL_CLIENT)
        mounts += [(str(certs / "ca.crt"), paths.ca),
                   (str(certs / f"{STACKCTL_CLIENT}.crt"), paths.cert),
                   (str(certs / f"{STACKCTL_CLIENT}.key"), paths.key)]
    return mounts


def run_script(model: StackModel, stack: Stack, image: str,
               script: str, timeout_s: int = 20) -> ExecResult:
    """One stack/redis script in a fresh container on the Redis overlay."""
    return run_oneshot(image, ["timeout", str(timeout_s), "sh", f"{SCRIPTS_MOUNT}/{script}"],
                       stack.network(REDIS_NETWORK), probe_mounts(model),
                       env=swarm_env(model, STACKCTL_CLIENT))


def wait_cluster_ready(model: StackModel, stack: Stack, image: str,
                       timeout: float) -> str:
    """Until cluster-ready.sh passes (its last line); ToolError with its verdict at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = run_script(model, stack, image, "cluster-ready.sh")
        if result.ok:
            return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "ready"
        if time.monotonic() >= deadline:
            raise ToolError(f"redis cluster not ready after {timeout:.0f} s: "
                            f"{result.last_error('no answer')}")
        time.sleep(2 * POLL_S)
