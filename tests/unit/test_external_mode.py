"""`redis.mode = external`: the settings' bad-input lines, the topology parsers (CLUSTER
SHARDS on 7.x, CLUSTER NODES on 6.2), discovery over a fake probe runner (FakeRunner: the
real one is a container, exercised by the e2e), the addrs Tyk gets, and the compose file
with no Redis service and the user's network declared external."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from stackctl.cluster.external import (
    DISCOVER_SCRIPT,
    discover,
    discovery_problem,
    external_status,
    parse_discovery,
)
from stackctl.cluster.topology import build_topology, from_cluster_nodes, parse_shards
from stackctl.engine.factory import stack_context
from stackctl.errors import ConfigError
from stackctl.model import StackModel, build_model
from stackctl.names import EXTERNAL_NETWORK
from stackctl.render.stack import stack_compose
from stackctl.render.tyk import TykFiles
from stackctl.runtime.docker_cli import ExecResult
from stackctl.secrets import Secrets
from stackctl.settings import ExternalRedisSettings, load_settings
from stackctl.tyk.connection import build_connection

pytestmark = pytest.mark.unit

EXT = {"addrs": ["clustercfg:6379"], "network": "elasti_redis"}


def settings_line(**redis: Any) -> str:
    with pytest.raises(ConfigError) as err:
        load_settings(overrides={"redis": redis})
    lines = str(err.value).splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_bad_input_is_one_line_each() -> None:
    line = settings_line(mode="external", shards=5, external=EXT)
    assert line.startswith("redis.shards: is for a cluster stackctl starts")
    line = settings_line(mode="external", external={**EXT, "addrs": ["a:1", "b:2"],
                                                    "use_configuration_endpoint": True})
    assert line.startswith("redis.external.use_configuration_endpoint: needs exactly one")
    assert settings_line(mode="external", external={**EXT, "addrs": []}).startswith(
        "redis.external.addrs: is empty")
    assert "'nohost' is not host:port" in settings_line(
        mode="external", external={**EXT, "addrs": ["nohost"]})
    assert settings_line(mode="external", external={"addrs": ["a:1"]}).startswith(
        "redis.external.network: is empty")
    assert settings_line(mode="external", external={**EXT, "tls": "tls"}).startswith(
        "redis.external.ca_file: is required with tls = tls")
    assert settings_line(external=EXT).startswith("redis.external.addrs: is set but "
                                                  "redis.mode is managed")


# CLUSTER SHARDS as redis-cli 7.0.15 prints it to a pipe (TLS cluster: tls-port only).
SHARDS = """slots
0
5460
nodes
id
aaa1
tls-port
6379
ip
172.31.118.11
endpoint
redis-1
hostname
redis-1
role
master
replication-offset
1234
health
online
id
bbb1
tls-port
6379
ip
172.31.118.15
endpoint
redis-5
hostname
redis-5
role
replica
replication-offset
1234
health
online
slots
5461
10922
nodes
id
aaa2
tls-port
6379
ip
172.31.118.12
endpoint
redis-2
hostname
redis-2
role
master
replication-offset
9
health
online
slots
10923
16383
nodes
id
aaa3
tls-port
6379
ip
172.31.118.13
endpoint
redis-3
hostname
redis-3
role
master
replication-offset
9
health
online
id
bbb3
tls-port
6379
ip
172.31.118.14
endpoint
redis-4
hostname
redis-4
role
replica
replication-offset
9
health
loading
"""

NODES_62 = """\
a1 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-5460
a2 10.0.0.2:6379@16379 master - 0 1 2 connected 5461-10922
a3 10.0.0.3:6379@16379 master - 0 1 3 connected 10923-16383
b1 10.0.0.4:6379@16379 slave a1 0 1 1 connected
b2 10.0.0.5:6379@16379 slave,fail a2 0 1 2 connected
"""


def test_cluster_shards_gives_every_node_by_its_endpoint() -> None:
    nodes = parse_shards(SHARDS, tls=True)
    assert [(n.addr, n.role, n.slots) for n in nodes] == [
        ("redis-1:6379", "primary", 5461), ("redis-5:6379", "replica", 0),
        ("redis-2:6379", "primary", 5462), ("redis-3:6379", "primary", 5461),
        ("redis-4:6379", "replica", 0)]
    assert nodes[1].primary_id == "aaa1" and nodes[4].health == "loading"
    topology = build_topology("clustercfg:6379", "7.0.15", SHARDS, "", tls=True)
    assert topology.command == "CLUSTER SHARDS"
    assert topology.addrs == ["redis-1:6379", "redis-2:6379", "redis-3:6379",
                              "redis-5:6379", "redis-4:6379"]


def test_redis_62_is_read_from_cluster_nodes() -> None:
    topology = build_topology("10.0.0.1:6379", "6.2.14", "ERR unknown subcommand", NODES_62,
                              tls=False)
    assert topology.command == "CLUSTER NODES"
    assert len(topology.primaries) == 3 and len(topology.replicas) == 2
    assert [n.health for n in from_cluster_nodes(NODES_62)][-1] == "failed"


class FakeRunner:
    """Stands in for the probe container: returns a canned script output and records
    what it was given."""

    def __init__(self, stdout: str) -> None:
        self.stdout = stdout
        self.calls: list[tuple[str, dict[str, str], bytes]] = []

    def __call__(self, script: str, mounts: Sequence[tuple[str, str]], env: dict[str, str],
                 stdin: bytes) -> ExecResult:
        self.calls.append((script, env, stdin))
        return ExecResult(0, self.stdout, "")


def answer(addr: str, info: str, shards: str = SHARDS, nodes: str = "") -> str:
    return (f"## try down:6379\nCould not connect to Redis at down:6379: Name or service not "
            f"known\n## try {addr}\nPONG\n## answered\n{addr}\n## info\n{info}\n"
            "## cluster info\ncluster_state:ok\ncluster_slots_ok:16384\n"
            f"## cluster shards\n{shards}## cluster nodes\n{nodes}")


def test_discovery_reads_the_first_answering_address_password_on_stdin() -> None:
    ext = ExternalRedisSettings(addrs=["down:6379", "clustercfg:6379"], network="n",
                                tls="insecure")
    run = FakeRunner(answer("clustercfg:6379", "redis_version:7.0.15\ncluster_enabled:1"))
    found = discover(ext, "s3cret", run)
    assert discovery_problem(found) is None and found.topology is not None
    assert found.topology.source == "clustercfg:6379" and len(found.topology.nodes) == 5
    script, env, stdin = run.calls[0]
    assert script == DISCOVER_SCRIPT and stdin == b"s3cret\n"
    assert "s3cret" not in str(env) and env["PROBE_ADDRS"] == "down:6379 clustercfg:6379"
    status = external_status(found)
    assert status.summary["primaries"] == 3 and status.problems == [
        "redis-4:6379: health loading"]


def test_discovery_problems_are_bad_input() -> None:
    nobody = parse_discovery("## try a:1\nCould not connect to Redis at a:1: refused\n", False)
    problem = discovery_problem(nobody)
    assert problem is not None and problem.exit_code == 2
    assert "no address answers PING (a:1: Could not connect" in str(problem)
    single = parse_discovery(answer("a:1", "redis_version:7.0.15\ncluster_enabled:0",
                                    "ERR This instance has cluster support disabled\n",
                                    "ERR This instance has cluster support disabled"), False)
    assert "is not a Redis Cluster (cluster_enabled:0)" in str(discovery_problem(single))


def external_model(tmp: Path, **ext: Any) -> StackModel:
    settings = load_settings(overrides={"state_dir": str(tmp / "state"), "redis": {
        "mode": "external", "external": {**EXT, **ext}}})
    return build_model(settings)


def test_tyk_gets_every_discovered_node_or_only_the_endpoint(tmp_path: Path) -> None:
    secrets = Secrets(redis_password=SecretStr("pw"), gateway_secret=SecretStr("gw"))
    model = external_model(tmp_path)
    assert model.nodes == () and model.addrs == ["clustercfg:6379"]
    found = build_topology("clustercfg:6379", "7.0.15", SHARDS, "", tls=True)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "external-topology.json").write_text(
        __import__("json").dumps(found.as_dict()))
    model = external_model(tmp_path, user="app")
    assert model.addrs == found.addrs
    conn = build_connection(model, secrets, "gateway")
    assert conn.addrs == tuple(found.addrs) and conn.username == "app"
    only = external_model(tmp_path, use_configuration_endpoint=True)
    assert only.addrs == ["clustercfg:6379"]


def test_compose_has_no_redis_and_the_network_is_external(tmp_path: Path) -> None:
    for name in ("ca.crt", "c.crt", "c.key"):
        (tmp_path / name).write_text(f"pem of {name}")
    (tmp_path / "c.key").chmod(0o600)
    model = external_model(tmp_path, tls="mtls", ca_file=str(tmp_path / "ca.crt"),
                           cert_file=str(tmp_path / "c.crt"), key_file=str(tmp_path / "c.key"))
    files = TykFiles(tmp_path / "tyk.conf", tmp_path / "pump.conf", tmp_path, tmp_path,
                     tmp_path)
    compose = stack_compose(model, None, files)  # type: ignore[arg-type]
    assert set(compose["services"]) == {"upstream", "gateway", "pump"}
    assert compose["networks"][EXTERNAL_NETWORK] == {"external": True, "name": "elasti_redis"}
    gateway = compose["services"]["gateway"]
    assert EXTERNAL_NETWORK in gateway["networks"] and "redis" not in gateway["networks"]
    assert "cluster-gate" not in gateway.get("depends_on", {})
    binds = {m["target"]: Path(m["source"]) for m in gateway["volumes"]}
    # The user's files are copied into the state directory at 0640, so the gateway (the
    # image's user with the host user's group) reads them even when the key is 0600.
    ca, key = binds["/opt/stackctl/certs/ca.crt"], binds["/opt/stackctl/certs/gateway.key"]
    assert ca.read_text() == "pem of ca.crt" and key.read_text() == "pem of c.key"
    assert key.is_relative_to(model.settings.state_dir.resolve())
    assert stat.S_IMODE(key.stat().st_mode) == 0o640
    probe = gateway["x-probe"]
    assert probe["via"] == "upstream"  # no gate in external mode
    assert probe["host"] == gateway["networks"]["front"]["ipv4_address"]
    assert "volumes" not in compose


# --- pre-flight findings ---------------------------------------------------------------

def preflight_text(maxclients: str = "10000", dryrun: str = "OK", enabled: str = "1",
                   nocert: str = "") -> str:
    from stackctl.cluster.preflight import dryrun_commands

    nodes = "".join(
        f"## node redis-{i}:6379\nping=PONG\n"
        + (f"nocert={nocert}\n" if nocert else "")
        + f"maxclients={maxclients}\nredis_version=7.0.15\ncluster_enabled={enabled}\n"
        for i in (1, 2, 3, 5, 4))
    replies = "".join(f"{c}\t{dryrun if c.startswith('EVAL') or c.startswith('ZADD') else 'OK'}\n"
                      for c in dryrun_commands())
    return nodes + "## dryrun\n" + replies


def findings_for(text: str, ext: ExternalRedisSettings | None = None, **settings: Any
                 ) -> dict[str, Any]:
    from stackctl.cluster import preflight as pf
    from stackctl.cluster.external import parse_preflight

    ext = ext or ExternalRedisSettings(addrs=["clustercfg:6379"], network="n")
    found = parse_discovery(answer("clustercfg:6379", "redis_version:7.0.15\n"
                                   "cluster_enabled:1"), ext.tls != "off")
    assert found.topology is not None
    probe = parse_preflight(text)
    s = load_settings(overrides=settings)
    out = [pf.reachable(found.topology, probe), pf.cluster_enabled(probe),
           pf.version(probe, "v5.8.0", ("6.2", "7.0"), False), pf.tls(ext, found, probe),
           pf.acl(ext.user, probe), pf.maxclients(probe, pf.worst_case(s, 5)),
           pf.slots(found), pf.node_list(ext, found.topology)]
    return {f.check: f for f in out}


def test_a_sound_cluster_passes_every_check() -> None:
    found = findings_for(preflight_text())
    assert {k: f.status for k, f in found.items()} == dict.fromkeys(found, "pass")
    assert "above the worst case 2500 per node (4 pools x 500 x 1 gateways + pump 500)" in \
        found["maxclients"].detail


def test_each_refusal_names_its_cause_and_fix() -> None:
    from stackctl.cluster.preflight import failures

    low = findings_for(preflight_text(maxclients="2000"), gateway={"max_active": 500})
    assert low["maxclients"].status == "fail"
    assert "redis-1:6379 maxclients 2000" in low["maxclients"].detail
    wide = findings_for(preflight_text(), gateway={"max_active": 3000, "replicas": 2})
    assert "<= the worst case 24500 per node" in wide["maxclients"].detail
    acl = findings_for(preflight_text(dryrun="This user has no permissions to run the "
                                      "'zadd' command"))["acl"]
    assert acl.status == "fail" and "ZADD" in acl.detail and "+zadd" in acl.fix
    off = findings_for(preflight_text(enabled="0"))["cluster-enabled"]
    assert off.status == "fail" and "enable_cluster = true" in off.detail
    lines = [str(e) for e in failures(low.values())]
    assert lines == [f"pre-flight maxclients: {low['maxclients'].detail}; "
                     f"{low['maxclients'].fix}"]


def test_wrong_ca_is_a_tls_failure() -> None:
    ext = ExternalRedisSettings(addrs=["clustercfg:6379"], network="n", tls="tls",
                                ca_file="/ca.crt")
    text = ("## node redis-1:6379\nping=Could not negotiate a TLS connection: "
            "certificate verify failed\n")
    tls = findings_for(text, ext)["tls"]
    assert tls.status == "fail" and "certificate verify failed" in tls.detail
    assert "redis.external.ca_file" in tls.fix


def test_a_node_list_missing_replicas_is_a_warning() -> None:
    ext = ExternalRedisSettings(addrs=["redis-1:6379", "redis-2:6379", "redis-3:6379"],
                                network="n")
    found = findings_for(preflight_text(), ext)["node-list"]
    assert found.status == "warn"
    assert "lists 3 of 5 nodes; missing redis-5:6379 redis-4:6379 (replicas)" in found.detail


# --- lint --against HOST:PORT ----------------------------------------------------------

def test_lint_against_the_live_topology(tmp_path: Path) -> None:
    import json

    from stackctl.tyk.lint.run import lint_paths

    topology = build_topology("clustercfg:6379", "7.0.15", SHARDS, "", tls=True)
    gw = tmp_path / "tyk.conf"
    gw.write_text(json.dumps({"storage": {"type": "redis", "enable_cluster": True,
                                          "addrs": ["redis-1:6379", "172.31.118.12:6379",
                                                    "old-node:6379"], "use_ssl": False}}))
    pump = tmp_path / "pump.conf"
    pump.write_text(json.dumps({"analytics_storage_config": {
        "type": "redis", "addrs": ["clustercfg:6379"], "enable_cluster": False,
        "use_ssl": True}, "purge_delay": 2}))
    found = lint_paths([gw, pump], {"gateway": "v5.8.0", "pump": "v1.14.0",
                                    "dashboard": "v5.8.0"},
                       live=(topology, "clustercfg:6379", True))
    kinds = {(f.file.rsplit("/", 1)[-1], f.kind): f for f in found if f.kind.startswith("live")}
    missing = kinds[("tyk.conf", "live-missing-nodes")]
    assert "lacks 3 node(s) of the live cluster: redis-3:6379, redis-5:6379, redis-4:6379" \
        in missing.message  # redis-2 is listed by its IP
    assert "old-node:6379" in kinds[("tyk.conf", "live-stale-nodes")].message
    assert "speaks TLS" in kinds[("tyk.conf", "live-tls-flag")].message
    assert kinds[("pump.conf", "live-config-endpoint")].severity == "info"
    assert kinds[("pump.conf", "live-cluster-flag")].severity == "error"
    assert ("pump.conf", "live-missing-nodes") not in kinds


def test_drill_offers_only_client_side_faults_against_an_external_cluster(
        tmp_path: Path) -> None:
    from stackctl.drill.options import DrillOptions
    from stackctl.drill.run import check_input

    ctx = stack_context(external_model(tmp_path))
    for name in ("kill-primary", "failover", "kill-replica"):
        with pytest.raises(ConfigError) as err:
            check_input(ctx, DrillOptions(scenarios=(name,)))
        assert err.value.exit_code == 2
        assert f"scenario '{name}': faults a Redis node, and redis.mode is external" in \
            str(err.value) and "restart-gateway or stop-pump" in str(err.value)
    with pytest.raises(ConfigError, match=r"redis\.mode is external"):  # the default too
        check_input(ctx, DrillOptions(scenarios=()))


def test_a_node_announcing_no_hostname_is_refused() -> None:
    from stackctl.cluster import preflight as pf
    from stackctl.cluster.external import parse_preflight

    shards = SHARDS.replace("endpoint\nredis-4\nhostname\nredis-4", "endpoint\n?")
    topology = build_topology("clustercfg:6379", "7.0.15", shards, "", tls=True)
    found = pf.reachable(topology, parse_preflight(preflight_text()))
    assert found.status == "fail" and "172.31.118.14:6379 announce(s) no endpoint" in \
        found.detail and "cluster-announce-hostname" in found.fix


def test_an_external_tls_cluster_refuses_a_limiter_that_cannot_use_its_files(
        tmp_path: Path) -> None:
    """The limiter check reads the cluster Tyk dials: redis.external.tls in external mode
    (redis.tls, the managed cluster's, stays off there)."""
    from stackctl.tyk.render_gateway import render_gateway

    for name in ("ca.crt", "c.crt", "c.key"):
        (tmp_path / name).write_text(f"pem of {name}")
    (tmp_path / "c.key").chmod(0o600)
    settings = load_settings(overrides={
        "state_dir": str(tmp_path / "state"), "gateway": {"rate_limiter": "redis-rolling"},
        "redis": {"mode": "external", "external": {
            **EXT, "tls": "mtls", "ca_file": str(tmp_path / "ca.crt"),
            "cert_file": str(tmp_path / "c.crt"), "key_file": str(tmp_path / "c.key")}}})
    assert settings.redis.tls == "off" and settings.redis_tls == "mtls"
    secrets = Secrets(redis_password=SecretStr("pw"), gateway_secret=SecretStr("gw"))
    with pytest.raises(ConfigError) as err:
        render_gateway(build_model(settings), secrets, "v5.8.1")
    assert str(err.value).startswith("gateway.rate_limiter: redis-rolling keeps its counters")
    assert "with redis.tls = mtls" in str(err.value)
    render_gateway(build_model(settings), secrets, "v5.8.6")  # its client reads the files
