"""`stackctl drill` on engine = swarm, on a single-node swarm this module creates and leaves:
kill-primary under keyed load through the local access proxy, the fault on the primary's
task container, Swarm's new task, the clients' failures and their end, the cluster whole
afterwards; pause-primary (the task kept, a failover); a scenario that cannot exist on
swarm refused before anything is touched; and nothing of the stack (or the drill's probe)
left after `down --volumes` and the leave.

Its own address pool (172.30.0.0/16, as test_swarm_e2e) and pinned overlays
(172.31.234.0/24, 172.31.235.0/24: no other test's). Run it only under the heavy lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stackenv import stack_env, stackctl

pytestmark = pytest.mark.e2e

PROJECT = "stackctl-swarm-drill-e2e"
POOL = "172.30.0.0/16"
REDIS_SUBNET, FRONT_SUBNET = "172.31.234.0/24", "172.31.235.0/24"
DURATION_S, AT_S = 25, 9
"""The fault 1 s before the gateway's local session cache expires for every load key (10 s
after the load starts, tyk-facts: drill notes), so the keys on the target's shard are read
from Redis while it is down."""
DRILL = ("drill", "kill-primary", "pause-primary", "--rate", "100", "--duration", str(DURATION_S),
         "--at", str(AT_S), "--json")


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh single-node swarm; in the end the stack, the proxy and the probe removed,
    the swarm left, and nothing of the stack left."""
    from stackctl.engine.swarm import probe_name
    from stackctl.runtime.swarm import (
        Stack,
        container_running,
        init_swarm,
        leave_swarm,
        remove_container,
        swarm_info,
    )

    work = tmp_path_factory.mktemp("swarm-drill")
    env = stack_env(PROJECT, "172.31.236.0/24", "172.31.237.0/24",
                    STACKCTL_ENGINE="swarm", STACKCTL_SWARM__REDIS_SUBNET=REDIS_SUBNET,
                    STACKCTL_SWARM__FRONT_SUBNET=FRONT_SUBNET, STACKCTL_REDIS__TLS="off",
                    STACKCTL_REDIS__SHARDS="3", STACKCTL_REDIS__REPLICAS="1",
                    STACKCTL_STATE_DIR=str(work / "state"),
                    STACKCTL_CERTS_DIR=str(work / "certs"))
    assert swarm_info().state == "inactive", "the engine is already in a swarm: not ours"
    init_swarm("127.0.0.1", POOL)
    stack = Stack(PROJECT)
    try:
        yield {"work": work, "env": env, "stack": stack}
    finally:
        try:
            if stack.exists():
                stack.remove()
            for name in (f"{PROJECT}-access", probe_name(PROJECT)):
                remove_container(name)
            left = stack.wait_removed(volumes=True)
        finally:
            leave_swarm()
        assert swarm_info().state == "inactive"
        assert not any(left.values()), left
        assert not container_running(probe_name(PROJECT))


def test_kill_primary_on_swarm(swarm: dict[str, Any]) -> None:
    from stackctl.engine.swarm import probe_name
    from stackctl.runtime.swarm import container_running

    work, env, stack = swarm["work"], swarm["env"], swarm["stack"]
    up = stackctl(work, env, "up", "--no-smoke", "--json", timeout=600)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-2000:]

    # Refused before anything is touched: one line, exit 2, no probe started.
    refused = stackctl(work, env, "drill", "partition-primary", timeout=60)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "not on engine = swarm" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert not container_running(probe_name(PROJECT))
    before = {t.service: t.id for t in stack.tasks()
              if t.desired == "running" and t.state == "running"}

    run = stackctl(work, env, *DRILL, timeout=400)
    print(run.stderr[-3000:])
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    report = json.loads(run.stdout)
    assert report["engine"] == "swarm" and report["complete"] is True
    r, paused = report["runs"]
    for one in (r, paused):
        print("swarm drill:", one["scenario"],
              {k: one[k] for k in ("fault_s", "recovery_s", "error_window_s",
                                   "errors_until_after_fault_s", "failed_after_fault")},
              one["cluster"], one["task"], one["restore"], one["analytics"])
    target = r["target"]
    assert r["engine"] == "swarm" and target["role"] == "primary"
    assert target["service"].startswith("redis-") and target["addr"] == \
        f"{target['service']}:6379"
    # The fault acted on the primary's task container; Swarm replaced the task.
    task = r["task"]
    assert task["before"]["task_id"] == before[target["service"]]
    assert task["replaced"] is True and task["after"]["task_id"] != task["before"]["task_id"]
    assert task["before"]["ip"].startswith("172.31.234.")
    # The load held its rate and the clients saw the fault, then stopped failing.
    assert r["rate_check"]["passed"] is True
    assert AT_S - 0.1 <= r["fault_s"] <= AT_S + 1.0
    assert r["failed_after_fault"] > 0 and r["failed_before_fault"] == 0
    assert r["error_window"] is not None and r["error_window_open"] is False
    # The cluster recovered (a failover, or the new task back first) and is whole again.
    assert r["recovery_s"] is not None and 0 < r["recovery_s"] < DURATION_S
    assert r["restore"]["healthy"] is True
    assert len(r["restore"]["primaries_after"]) == 3
    assert r["keys"]["valid"] == r["keys"]["total"]
    assert r["analytics"]["delivered"] is not None and r["analytics"]["delivered"] > 0
    assert set(r["logs"]) == {"gateway", "pump"}
    # pause-primary: the same task thawed at the restore (not replaced), after a failover.
    assert paused["scenario"] == "pause-primary" and paused["task"]["replaced"] is False
    assert paused["cluster"]["promoted"].startswith("redis-")
    assert paused["cluster"]["promoted"] != paused["target"]["service"]
    assert paused["recovery_s"] is not None and paused["restore"]["healthy"] is True
    assert paused["restore"]["target_role_after"] == "replica"
    assert not container_running(probe_name(PROJECT))  # the drill removed its probe
    status = stackctl(work, env, "status", "--json", timeout=120)
    data = json.loads(status.stdout)
    assert status.returncode == 0 and data["healthy"], status.stdout
    running = {s["service"]: [t for t in s["tasks"] if t["state"] == "running"]
               for s in data["services"]}
    assert all(len(running[f"redis-{i}"]) == 1 for i in range(1, 7)), running

    down = stackctl(work, env, "down", "--volumes", "--json", timeout=180)
    assert down.returncode == 0 and json.loads(down.stdout)["down"] is True, down.stdout
    assert not any(stack.leftovers().values()), stack.leftovers()
