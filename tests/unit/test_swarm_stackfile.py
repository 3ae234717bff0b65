"""The swarm stack file: what `docker stack deploy` gets from the model (engine = swarm)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackctl.cluster.pki import ensure_pki
from stackctl.cluster.redis_conf import SCRIPTS, render_redis
from stackctl.errors import ConfigError, ToolError
from stackctl.model import build_model
from stackctl.names import INIT_SERVICE
from stackctl.runtime.swarm import SwarmNode, parse_services, parse_tasks
from stackctl.secrets import load_secrets
from stackctl.settings import load_settings, nested
from stackctl.swarm.placement import decide
from stackctl.swarm.stackfile import (
    SwarmFiles,
    label_value,
    layout,
    render_all,
    replica_plan,
    stack_file,
)
from stackctl.swarm.wait import missing_image, progress

pytestmark = pytest.mark.unit


def files_for(tmp_path: Path, **flags: Any) -> tuple[Any, SwarmFiles]:
    settings = load_settings(None, nested({"state_dir": str(tmp_path / "state"),
                                           "certs_dir": str(tmp_path / "certs"),
                                           "engine": "swarm", **flags}))
    model = build_model(settings)
    if model.tls:
        ensure_pki(model)
    redis = render_redis(model, load_secrets(settings.state_dir))
    conf = tmp_path / "conf"
    conf.mkdir(exist_ok=True)
    for name, text in (("tyk.conf", '{"a": 1}'), ("pump.conf", '{"b": 2}'),
                       ("demo.json", '{"api_id": "demo"}')):
        (conf / name).write_text(text)
    files = SwarmFiles(redis, conf / "tyk.conf", conf / "pump.conf",
                       {"demo.json": conf / "demo.json"}, {}, SCRIPTS)
    return model, files


def render(tmp_path: Path, groups: int | None = None, **flags: Any) -> dict[str, Any]:
    model, files = files_for(tmp_path, **flags)
    return stack_file(model, files, groups)


def test_no_compose_only_keys_and_no_pinned_addresses(tmp_path: Path) -> None:
    doc = render(tmp_path)
    text = json.dumps(doc)
    for banned in ("ipv4_address", "depends_on", "container_name", "restart\":", "build"):
        assert banned not in text, banned
    assert doc["version"] == "3.9"


def test_one_dnsrr_service_with_its_own_volume_per_node(tmp_path: Path) -> None:
    doc = render(tmp_path, **{"redis.shards": 3, "redis.replicas": 1})
    nodes = [n for n, s in doc["services"].items() if s["labels"]["io.stackctl.role"]
             == "redis-node"]
    assert nodes == [f"redis-{i}" for i in range(1, 7)]
    for name in nodes:
        service = doc["services"][name]
        assert service["deploy"]["endpoint_mode"] == "dnsrr"
        assert service["deploy"]["replicas"] == 1
        assert service["networks"] == {"redis": {"aliases": ["clustercfg"]}}
        vols = [v["source"] for v in service["volumes"] if v["type"] == "volume"]
        assert vols == [f"{name}-data"]
        # the nodes are dialled by name: no pinned address is left in the scripts' env
        assert service["environment"]["STACKCTL_NODES"].split()[0] == "redis-1:6379"
    assert sorted(doc["volumes"]) == sorted([*(f"{n}-data" for n in nodes), "pump-csv"])


def test_redis_overlay_internal_pinned_attachable_and_optionally_encrypted(
        tmp_path: Path) -> None:
    doc = render(tmp_path, **{"swarm.redis_subnet": "172.31.242.0/24",
                              "swarm.front_subnet": "172.31.243.0/24"})
    redis, front = doc["networks"]["redis"], doc["networks"]["front"]
    assert redis["driver"] == front["driver"] == "overlay"
    assert redis["internal"] is True and "internal" not in front
    assert redis["attachable"] and front["attachable"]
    assert redis["ipam"]["config"] == [{"subnet": "172.31.242.0/24"}]
    assert front["ipam"]["config"] == [{"subnet": "172.31.243.0/24"}]
    assert "driver_opts" not in redis
    enc = render(tmp_path, **{"swarm.encrypted": True})
    assert enc["networks"]["redis"]["driver_opts"] == {"encrypted": ""}


def test_swarm_forces_hostname_endpoints_and_refuses_ip() -> None:
    assert load_settings(None, {"engine": "swarm"}).redis.endpoints == "hostname"
    assert load_settings(None, {}).redis.endpoints == "ip"
    with pytest.raises(ConfigError, match=r"redis\.endpoints"):
        load_settings(None, {"engine": "swarm", "redis": {"endpoints": "ip"}})


def test_overlapping_swarm_subnets_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"swarm\.front_subnet"):
        load_settings(None, nested({"swarm.redis_subnet": "172.31.242.0/24",
                                    "swarm.front_subnet": "172.31.242.128/25"}))


def test_cluster_init_is_a_job_next_to_the_stack_with_an_explicit_layout(
        tmp_path: Path) -> None:
    model, files = files_for(tmp_path, **{"redis.shards": 3, "redis.replicas": 2,
                                          "redis.tls": "mtls"})
    doc, init = render_all(model, files)
    # Engine 20.10's stack deploy rejects deploy.mode replicated-job: not in the file
    assert INIT_SERVICE not in doc["services"]
    assert init["name"] == INIT_SERVICE and init["network"] == "redis"
    # its secrets are declared in the stack file (the deploy creates them), by Swarm name
    declared = {v["name"] for v in doc["secrets"].values()}
    assert {r["source"] for r in init["secrets"]} <= declared
    assert {r["source"] for r in init["configs"]} <= {v["name"] for v in doc["configs"].values()}
    assert any(r["target"] == "/opt/stackctl/certs/stackctl.key" for r in init["secrets"])
    assert not any("PASSWORD=" in f"{k}={v}" for k, v in init["env"].items())
    env = init["env"]
    assert env["STACKCTL_PRIMARIES"] == "redis-1:6379 redis-2:6379 redis-3:6379"
    pairs = env["STACKCTL_REPLICA_OF"].split()
    assert len(pairs) == 6
    assert "redis-4:6379>redis-1:6379" in pairs and "redis-9:6379>redis-3:6379" in pairs


def test_layout_ranks_and_label_groups_keep_a_shard_apart(tmp_path: Path) -> None:
    model, _ = files_for(tmp_path, **{"redis.shards": 3, "redis.replicas": 2})
    places: dict[int, set[int]] = {}
    for _node, shard, rank in layout(model):
        places.setdefault(shard, set()).add(label_value(shard, rank, 3))
    assert all(len(v) == 3 for v in places.values())  # three copies, three machines
    primaries, pairs = replica_plan(model)
    assert len(primaries) == 3 and len(pairs) == 6


def test_placement_constraints_from_label_groups(tmp_path: Path) -> None:
    doc = render(tmp_path, groups=2, **{"redis.shards": 3, "redis.replicas": 1})
    constraint = {n: s["deploy"]["placement"]["constraints"]
                  for n, s in doc["services"].items() if n.startswith("redis-")}
    assert constraint["redis-1"] == ["node.labels.stackctl.redis == 0"]
    assert constraint["redis-4"] == ["node.labels.stackctl.redis == 1"]  # redis-1's replica
    assert constraint["redis-2"] == ["node.labels.stackctl.redis == 1"]
    assert constraint["redis-5"] == ["node.labels.stackctl.redis == 0"]
    spread = render(tmp_path)
    assert "placement" not in spread["services"]["redis-1"]["deploy"]


def _node(name: str, label: str | None, availability: str = "active") -> SwarmNode:
    return SwarmNode(name, name, "manager", "ready", availability,
                     {"stackctl.redis": label} if label is not None else {})


def test_placement_labels_absent_gap_and_too_few() -> None:
    with pytest.raises(ConfigError, match=r"no active node carries the label stackctl\.redis"):
        decide("labels", [_node("a", None)], 1)
    with pytest.raises(ConfigError, match=r"leave out \[1\]"):
        decide("labels", [_node("a", "0"), _node("b", "2")], 1)
    with pytest.raises(ConfigError, match="not a number"):
        decide("labels", [_node("a", "x")], 1)
    one = decide("labels", [_node("a", "0"), _node("b", "1", "drain")], 1)
    assert one.groups == 1 and "may share a machine" in one.warning
    two = decide("labels", [_node("a", "0"), _node("b", "1")], 1)
    assert two.groups == 2 and two.warning == ""
    assert decide("spread", [], 1).groups is None


def test_secrets_are_swarm_secrets_never_environment(tmp_path: Path) -> None:
    doc = render(tmp_path, **{"redis.tls": "mtls"})
    password = (tmp_path / "state" / "redis" / "password").read_text()
    assert password not in json.dumps(doc)  # the file's path, never its content
    for name, service in doc["services"].items():
        assert not any("PASSWORD=" in k or k.endswith("PASSWORD") for k in
                       service.get("environment", {})), name
    gateway = doc["services"]["gateway"]
    targets = {s["target"]: s["source"] for s in gateway["secrets"]}
    assert targets["/opt/tyk-gateway/tyk.conf"] == "tyk-conf"  # it holds the password
    assert "/opt/stackctl/certs/gateway.key" in targets
    node = doc["services"]["redis-1"]
    assert {s["target"] for s in node["secrets"]} >= {
        "/opt/stackctl/redis/users.acl", "/opt/stackctl/redis/auth.conf",
        "/opt/stackctl/redis/password", "/opt/stackctl/certs/redis-1.key"}
    assert all(s["mode"] == 0o400 for s in node["secrets"] if s["target"].endswith(".key"))
    assert {c["target"] for c in node["configs"]} >= {"/opt/stackctl/redis/redis.conf"}


def test_object_names_follow_content_so_a_change_rolls_only_its_users(tmp_path: Path) -> None:
    model, files = files_for(tmp_path)
    before = stack_file(model, files)
    files.gateway_conf.write_text('{"a": 2}')
    after = stack_file(model, files)
    changed = {k for k in before["secrets"] if before["secrets"][k] != after["secrets"][k]}
    assert changed == {"tyk-conf"}
    from stackctl.swarm.render import changed_services

    assert changed_services(before, after) == ["gateway"]
    assert [n for n, s in after["services"].items()
            if any(r["source"] == "tyk-conf" for r in s.get("secrets", []))] == ["gateway"]
    assert all(v["name"].startswith("stackctl-") for kind in ("secrets", "configs")
               for v in after[kind].values())
    for name, service in before["services"].items():
        if name != "gateway":
            assert service == after["services"][name], name


def test_gateway_replicas_are_one_service_and_publishing_is_explicit(tmp_path: Path) -> None:
    doc = render(tmp_path, **{"gateway.replicas": 3})
    gateway = doc["services"]["gateway"]
    assert gateway["deploy"]["replicas"] == 3
    assert not any(n.startswith("gateway-") for n in doc["services"])
    assert not any("ports" in s for s in doc["services"].values())
    published = render(tmp_path, **{"swarm.publish_gateway": True, "gateway.port": 18090})
    assert published["services"]["gateway"]["ports"] == [
        {"target": 8080, "published": 18090, "protocol": "tcp", "mode": "host"}]


def test_parse_stack_ps_and_service_inspect() -> None:
    rows = [
        {"ID": "t1", "Name": "st_redis-1.1", "Node": "n1", "DesiredState": "Running",
         "CurrentState": "Running 5 seconds ago", "Error": ""},
        {"ID": "t0", "Name": " \\_ st_gateway.1", "Node": "n1", "DesiredState": "Shutdown",
         "CurrentState": "Rejected 9 seconds ago", "Error": "No such image: x:1"},
        {"ID": "t2", "Name": "st_gateway.1", "Node": "n1", "DesiredState": "Running",
         "CurrentState": "Starting 1 second ago", "Error": ""},
    ]
    tasks = parse_tasks("\n".join(json.dumps(r) for r in rows), "st")
    assert [(t.service, t.slot, t.state, t.desired) for t in tasks] == [
        ("redis-1", "1", "running", "running"), ("gateway", "1", "rejected", "shutdown"),
        ("gateway", "1", "starting", "running")]
    now = progress(tasks, {"redis-1": 1, "gateway": 1})
    assert now.running == {"redis-1": 1, "gateway": 0}
    assert missing_image(now.errors) == "gateway: No such image: x:1"
    text = ('"st_cluster-init"\t{"ReplicatedJob":{"MaxConcurrent":1,"TotalCompletions":1}}'
            '\n"st_gateway"\t{"Replicated":{"Replicas":2}}')
    services = parse_services(text, "st")
    assert [(s.name, s.mode, s.replicas) for s in services] == [
        ("cluster-init", "replicated-job", 1), ("gateway", "replicated", 2)]


def test_changed_services_ignore_a_new_replica_count(tmp_path: Path) -> None:
    from stackctl.swarm.render import changed_services

    model, files = files_for(tmp_path)
    one = stack_file(model, files)
    _, two_files = files_for(tmp_path, **{"gateway.replicas": 2})
    two = stack_file(build_model(load_settings(None, nested({
        "state_dir": str(tmp_path / "state"), "certs_dir": str(tmp_path / "certs"),
        "gateway.replicas": 2}))), two_files)
    assert two["services"]["gateway"]["deploy"]["replicas"] == 2
    assert changed_services(one, two) == []  # scaled, not replaced
    files.gateway_conf.write_text('{"a": 3}')
    assert changed_services(one, stack_file(model, files)) == ["gateway"]
    assert changed_services({}, one) == sorted(one["services"])


def test_load_tasks_share_the_plan_and_merge_their_results() -> None:
    from collections import Counter

    from stackctl.load.plan import LoadPlan, LoadResult
    from stackctl.swarm.load import merge, task_plan

    plan = LoadPlan("http://gateway:8080/smoke/", ("a", "b", "c"), 5.0, 16, 100.0)
    share = task_plan(plan, 2)
    assert share.connections == 8 and share.rate == 50.0 and share.keys == plan.keys
    assert task_plan(plan, 8).connections == 3  # at least one connection per key thread

    def one(n: int, p99: float, elapsed: float) -> LoadResult:
        return LoadResult("wrk", [Counter({200: n}), Counter({200: n, 429: 1})],
                          {"p50": 1.0, "p95": 2.0, "p99": p99}, elapsed, 10.0,
                          10.0 + elapsed, False)

    merged = merge([one(10, 3.0, 5.0), one(20, 7.5, 5.2)])
    assert merged.requests == 62 and merged.statuses[1][429] == 2
    assert merged.latencies_ms["p99"] == 7.5 and merged.elapsed_s == 5.2
    assert merged.engine == "wrk x 2 tasks"
    with pytest.raises(ToolError):
        merge([])
