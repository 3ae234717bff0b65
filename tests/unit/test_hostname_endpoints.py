"""`redis.endpoints = hostname`: nodes announce their names, certificates carry DNS SANs
only, every node answers to the configuration-endpoint alias, the parsers cope with
hostname CLUSTER NODES lines, and the tables say how Tyk's clients treat names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from pydantic import SecretStr

from stackctl.cluster.pki import ensure_pki, verify_pki
from stackctl.cluster.readiness import NodeView, parse_nodes, readiness_problems
from stackctl.cluster.redis_conf import node_conf, render_redis
from stackctl.errors import ConfigErrors
from stackctl.model import CONFIG_ENDPOINT, StackModel, build_model
from stackctl.render.cluster import cluster_services
from stackctl.secrets import Secrets
from stackctl.settings import Settings
from stackctl.tyk.tables import ENDPOINT_FOLLOWING

pytestmark = pytest.mark.unit

SECRETS = Secrets(redis_password=SecretStr("pw-1234"), gateway_secret=SecretStr("gw"))
ANNOUNCE = ("cluster-announce-hostname", "cluster-preferred-endpoint-type")


def model_for(tmp: Path, **redis: Any) -> StackModel:
    return build_model(Settings(certs_dir=tmp / "certs", state_dir=tmp / "state",
                                redis=redis))  # type: ignore[arg-type]


def sans(path: Path) -> tuple[set[str], set[str]]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (set(ext.get_values_for_type(x509.DNSName)),
            {str(ip) for ip in ext.get_values_for_type(x509.IPAddress)})


def test_hostname_nodes_announce_their_names(tmp_path: Path) -> None:
    model = model_for(tmp_path, endpoints="hostname", tls="mtls")
    for node in model.nodes:
        lines = node_conf(model, node).splitlines()
        assert f"cluster-announce-hostname {node.name}" in lines
        assert "cluster-preferred-endpoint-type hostname" in lines


def test_ip_mode_announces_nothing(tmp_path: Path) -> None:
    model = model_for(tmp_path)
    text = node_conf(model, model.nodes[0])
    assert not any(a in text for a in ANNOUNCE)


def test_hostname_certificates_carry_dns_sans_only(tmp_path: Path) -> None:
    model = model_for(tmp_path, endpoints="hostname", tls="tls")
    ensure_pki(model)
    for node in model.nodes:
        dns, ips = sans(tmp_path / "certs" / f"{node.name}.crt")
        assert dns == {node.name, CONFIG_ENDPOINT} and ips == set()
    verify_pki(model)


def test_switching_endpoint_style_reissues_node_certificates(tmp_path: Path) -> None:
    ip_model = model_for(tmp_path, tls="tls")
    ensure_pki(ip_model)
    hostname = model_for(tmp_path, endpoints="hostname", tls="tls")
    with pytest.raises(ConfigErrors, match="SANs changed"):
        verify_pki(hostname)
    result = ensure_pki(hostname)
    reissued = {c.name for c in result.certs if c.action == "reissued"}
    assert reissued == {n.name for n in hostname.nodes}
    assert sans(tmp_path / "certs" / "redis-1.crt")[1] == set()


def test_every_node_carries_the_configuration_alias(tmp_path: Path) -> None:
    model = model_for(tmp_path, endpoints="hostname")
    services = cluster_services(model, render_redis(model, SECRETS), "redis:x")["services"]
    for node in model.nodes:
        net = services[node.name]["networks"]["redis"]
        assert net == {"ipv4_address": str(node.ip), "aliases": [CONFIG_ENDPOINT]}
    ip_model = model_for(tmp_path / "ip")
    ip_services = cluster_services(ip_model, render_redis(ip_model, SECRETS), "x")["services"]
    assert "aliases" not in ip_services["redis-1"]["networks"]["redis"]


# CLUSTER NODES of a 3 x 1 hostname cluster (Redis 7.0.15, as read in the docker test).
NODES = """\
a1 172.31.116.11:6379@16379,redis-1 myself,master - 0 0 1 connected 0-5460
a2 172.31.116.12:6379@16379,redis-2 master - 0 1 2 connected 5461-10922
a3 172.31.116.13:6379@16379,redis-3 master - 0 1 3 connected 10923-16383
b1 172.31.116.14:6379@16379,redis-4 slave a3 0 1 3 connected
b2 172.31.116.15:6379@16379,redis-5 slave a1 0 1 1 connected
b3 172.31.116.16:6379@16379,redis-6 slave a2 0 1 2 connected
"""


def test_parsers_cope_with_hostname_lines() -> None:
    nodes = parse_nodes(NODES)
    assert [n.hostname for n in nodes] == [f"redis-{i}" for i in range(1, 7)]
    assert nodes[0].addr == "172.31.116.11:6379" and nodes[0].slot_count == 5461
    info = {"cluster_state": "ok", "cluster_slots_ok": "16384"}
    views = [NodeView(n.addr, "PONG", info, nodes,
                      {"role": "master" if n.primary else "slave", "master_link_status": "up"})
             for n in nodes]
    assert readiness_problems(views, 3, 1) == []


def test_tables_say_both_clients_follow_hostnames() -> None:
    rows = {(r.component, r.answer): r for r in ENDPOINT_FOLLOWING}
    for component in ("gateway", "pump"):
        for answer in ("CLUSTER SLOTS", "MOVED/ASK", "TLS name"):
            row = rows[(component, answer)]
            assert row.follows_hostnames is True and "go-redis v9.7" in row.client
            assert ".go:" in row.source
    assert rows[("dashboard", "CLUSTER SLOTS")].follows_hostnames is None
