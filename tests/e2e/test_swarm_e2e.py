"""engine = swarm end to end, on a single-node swarm this module creates and leaves.

The swarm gets its own address pool (172.30.0.0/16: not the repo's 172.31.x, not the
engine's 172.29.0.0/16); the stack's overlays are pinned (swarm.*_subnet). In a finally:
`docker stack rm`, wait, `docker swarm leave --force`, `docker_gwbridge` removed, and
nothing of the stack left. Run it only under the heavy lock: the swarm is the engine's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stackenv import stack_env, stackctl

pytestmark = pytest.mark.e2e

PROJECT = "stackctl-swarm-e2e"
POOL = "172.30.0.0/16"
REDIS_SUBNET, FRONT_SUBNET = "172.31.244.0/24", "172.31.245.0/24"


def _env(**extra: str) -> dict[str, str]:
    return stack_env(PROJECT, "172.31.246.0/24", "172.31.247.0/24",
                     STACKCTL_ENGINE="swarm", STACKCTL_SWARM__REDIS_SUBNET=REDIS_SUBNET,
                     STACKCTL_SWARM__FRONT_SUBNET=FRONT_SUBNET,
                     STACKCTL_SWARM__PLACEMENT="labels", STACKCTL_REDIS__TLS="mtls",
                     STACKCTL_REDIS__SHARDS="3", STACKCTL_REDIS__REPLICAS="1", **extra)


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _result(proc: Any) -> dict[str, Any]:
    events = _lines(proc.stdout)
    assert events and events[-1].get("event") == "result", proc.stdout + proc.stderr
    return events[-1]


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh single-node swarm; before it exists, `up --engine swarm` must refuse."""
    from stackctl.runtime.swarm import Stack, init_swarm, leave_swarm, swarm_info

    work = tmp_path_factory.mktemp("swarm")
    base = {"STACKCTL_STATE_DIR": str(work / "state"),
            "STACKCTL_CERTS_DIR": str(work / "certs")}
    env = _env(**base)
    assert swarm_info().state == "inactive", "the engine is already in a swarm: not ours"
    refused = stackctl(work, env, "up", "--no-smoke", timeout=120)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "not a swarm manager" in refused.stderr and "docker swarm init" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    init_swarm("127.0.0.1", POOL)
    stack = Stack(PROJECT)
    try:
        yield {"work": work, "env": env, "base": base, "stack": stack}
    finally:
        try:
            if stack.exists():
                stack.remove()
            from stackctl.runtime.swarm import remove_container

            remove_container(f"{PROJECT}-access")
            left = stack.wait_removed(volumes=True)
        finally:
            leave_swarm()
        assert swarm_info().state == "inactive"
        assert not any(left.values()), left


def _serves_in_each_task(stack: Any, key: str) -> list[str]:
    """The status line of one keyed request to every gateway task, sent by a helper
    container on the front overlay to the task's address (the gateway has no shell)."""
    from stackctl.runtime.oneshot import run_oneshot
    from stackctl.runtime.swarm import task_addresses
    from stackctl.swarm.stackfile import FRONT_NETWORK
    from stackctl.tyk.apidef import KEY_HEADER
    from stackctl.versions import image

    network = stack.network(FRONT_NETWORK)
    out = []
    for task in stack.tasks():
        if task.service != "gateway" or task.state != "running":
            continue
        addr = task_addresses(task.id)[network]
        script = (f'exec 3<>/dev/tcp/{addr}/8080 && printf "GET /smoke/ HTTP/1.0\\r\\n'
                  f'{KEY_HEADER}: {key}\\r\\n\\r\\n" >&3 && head -n 1 <&3')
        out.append(run_oneshot(image("redis").local, ["bash", "-c", script],
                               network).stdout.strip())
    return out


def test_swarm_stack_life_cycle(swarm: dict[str, Any]) -> None:
    from swarm_sweep import running_tasks

    from stackctl.runtime.swarm import label_node, swarm_info

    work, env, stack = swarm["work"], swarm["env"], swarm["stack"]

    # Bad input: placement by labels with no label on any node; nothing deployed.
    bad = stackctl(work, env, "up", "--no-smoke", timeout=120)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert "no active node carries the label stackctl.redis" in bad.stderr
    assert not stack.exists()
    label_node(swarm_info().node_id, {"stackctl.redis": "0"})
    # The every-node image check (used by preflight when the swarm has several nodes).
    from stackctl.versions import image

    lacking = stack.missing_images([image("base").local, "stackctl/none:0"])
    assert list(lacking.values()) == [["stackctl/none:0"]], lacking
    assert not stack.leftovers()["services"]
    missing = stackctl(work, {**env, "STACKCTL_IMAGES__GATEWAY": "stackctl/none:0"},
                       "up", "--no-smoke", timeout=120)
    assert missing.returncode == 2 and "stackctl/none:0" in missing.stderr, missing.stderr
    assert not stack.exists()

    # Up: healthy, every task running on this node, nothing published on the swarm.
    up = stackctl(work, env, "up", "--json", timeout=900)
    result = _result(up)
    assert up.returncode == 0 and result["ok"], up.stdout[-3000:] + up.stderr[-2000:]
    steps = {s["name"]: s["status"] for s in result["steps"]}
    assert steps["smoke"] == "ok" and steps["health"] == "ok", steps
    assert "from 2 load tasks" in result["steps"][-1]["detail"]
    status = stackctl(work, env, "status", "--json", timeout=120)
    data = json.loads(status.stdout)
    assert status.returncode == 0 and data["healthy"], status.stdout
    assert data["cluster"]["ready"] and data["gateway"]["redis"] == "pass"
    running = {r["service"]: r["running"] for r in data["services"]}
    assert all(running[f"redis-{i}"] == 1 for i in range(1, 7)), running
    assert not any(s.get("ports") for s in json.loads(
        (work / "state" / "stack.json").read_text())["services"].values())
    # The official images' contract: every Tyk task runs as the image's non-root user,
    # with no shell (health, probes, smoke and the csv read above needed none).
    from contract import assert_shell_less_non_root

    for service in ("gateway", "pump"):
        (container,) = stack.local_containers(service)
        assert assert_shell_less_non_root(container).startswith("65532"), container
    assert all(r["health"] == "healthy" and r["running"] == r["wanted"] >= 1
               for r in data["services"] if r["service"] in ("gateway", "pump")), data["services"]
    logs = stackctl(work, env, "logs", "cluster-init", timeout=60)
    assert "creating the cluster" in logs.stdout, logs.stdout[-2000:]

    # Smoke: keyed load from the two load tasks (swarm.load_replicas = 2), merged.
    # The compose smoke's judgements too: steady, connection reuse, the keys' placement,
    # analytics delivered; and what it cost with who saturated. At a rate this machine
    # holds (flat out, its 2 cores' contention makes seconds vary by a fifth or more), with
    # one gateway task: with two and mtls the gateways churned Redis connections here
    # (0.65 new per request; reported, not asserted).
    smoke = stackctl(work, env, "smoke", "--json",
                     "--duration", "10", "--connections", "8", "--rate", "1500", timeout=300)
    report = json.loads(smoke.stdout)
    assert smoke.returncode == 0 and report["passed"], smoke.stdout + smoke.stderr
    assert report["load_tasks"] == 2 and len(report["per_task_rps"]) == 2
    assert all(r > 0 for r in report["per_task_rps"]) and report["requests"] > 0
    checks = {c["name"]: c for c in report["checks"]}
    for name in ("steady", "connection-reuse", "redis-keys", "analytics"):
        assert name in checks and checks[name]["passed"], checks
    assert report["not_checked"] == [], report["not_checked"]
    spent = report["cost"]
    assert spent["gateway_cpu_us_per_request"] > 0 and spent["requests"] > 0, spent
    assert spent["redis_commands_per_request"] > 0, spent
    assert spent["new_connections_per_request"] is not None, spent
    from stackctl.meter import SATURATIONS

    assert spent["saturated"] in SATURATIONS and "saturated" in report["summary"]
    assert len(report["fifths"]) == 5
    assert not any(stack.leftovers()[k] for k in ("secrets", "configs")
                   if any("load-" in n for n in stack.leftovers()[k]))

    # gateway.replicas = 2: two gateway tasks, and each serves the smoke API with the key.
    before = running_tasks(stack)
    two = stackctl(work, {**env, "STACKCTL_GATEWAY__REPLICAS": "2"}, "up", "--json",
                   timeout=600)
    assert two.returncode == 0, two.stdout[-3000:] + two.stderr[-2000:]
    after = running_tasks(stack)
    assert len(after["gateway"]) == 2
    key = json.loads((work / "state" / "bootstrap.json").read_text())["key"]
    answers = _serves_in_each_task(stack, key)
    assert len(answers) == 2 and all(" 200 " in a for a in answers), answers
    for name in [f"redis-{i}" for i in range(1, 7)] + ["upstream", "pump"]:
        assert after[name] == before[name], name

    # A changed pool setting rolls the gateway and the pump, and nothing else.
    pool_env = {**env, "STACKCTL_GATEWAY__REPLICAS": "2", "STACKCTL_GATEWAY__MAX_ACTIVE": "300",
                "STACKCTL_PUMP__MAX_ACTIVE": "300"}
    rolled = stackctl(work, pool_env, "up", "--json", timeout=600)
    assert rolled.returncode == 0, rolled.stdout[-3000:] + rolled.stderr[-2000:]
    now = running_tasks(stack)
    assert now["gateway"].isdisjoint(after["gateway"]) and len(now["gateway"]) == 2
    assert now["pump"].isdisjoint(after["pump"])
    for name in [f"redis-{i}" for i in range(1, 7)] + ["upstream"]:
        assert now[name] == after[name], name

    # Sweep on swarm: points deployed, measured from the load tasks, the stack restored.
    from swarm_sweep import check_sweep

    check_sweep(work, pool_env, stack, replicas=2)

    # Down with volumes: no service, secret, config, network, volume or container left.
    down = stackctl(work, pool_env, "down", "--volumes", "--json", timeout=180)
    assert down.returncode == 0, down.stdout + down.stderr
    assert json.loads(down.stdout)["down"] is True
    assert not any(stack.leftovers().values()), stack.leftovers()
    from stackctl.runtime.swarm import container_running

    assert not container_running(f"{PROJECT}-access")  # the local proxy went too

