"""Diagnosis: reply classification, probe parsing, config reading and cause ranking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from stackctl.cluster.status import ClusterStatus
from stackctl.diagnose.causes import CAUSES, Facts, rank
from stackctl.diagnose.config import ClientConfig, Mount, read_client
from stackctl.diagnose.probes import AddrProbe, parse_probe, reply_kind
from stackctl.model import build_model
from stackctl.settings import Settings

pytestmark = pytest.mark.unit

MODEL = build_model(Settings())
ADDRS = tuple(MODEL.addrs)
NOAUTH = "NOAUTH Authentication required."
RESET = "Error: Connection reset by peer"


@pytest.mark.parametrize(("text", "kind"), [
    ("PONG", "pong"), (NOAUTH, "noauth"), (RESET, "reset"), ("timeout", "timeout"),
    ("AUTH failed: WRONGPASS invalid username-password pair or user is disabled. " + NOAUTH,
     "wrongpass"),
    ("Could not connect to Redis at redis-1:6379: SSL_connect failed: certificate verify "
     "failed", "verify-failed"),
    ("Could not connect to Redis at redis-1:6380: Connection refused", "refused"),
    ("Error: Server closed the connection", "reset"), ("", "none"),
])
def test_reply_kind(text: str, kind: str) -> None:
    assert reply_kind(text) == kind


def test_parse_probe_keeps_address_order_and_ignores_noise() -> None:
    text = ("resolve\tredis-2:6379\tok 172.31.250.12\ntcp\tredis-2:6379\tok\n"
            f"plain\tredis-2:6379\t{RESET}\ntls\tredis-2:6379\t{RESET}\n"
            f"mtls\tredis-2:6379\t{NOAUTH}\nclient\tredis-2:6379\tPONG\n"
            "resolve\tredis-1:6379\tfail\nwarning: noise\n")
    probes = parse_probe(text, ("redis-1:6379", "redis-2:6379"))
    assert [p.addr for p in probes] == ["redis-1:6379", "redis-2:6379"]
    assert not probes[0].resolved and probes[0].tcp is None
    assert probes[1].ip == "172.31.250.12" and probes[1].speaks == "mtls"
    assert probes[1].client_kind == "pong"


def client(**kw: object) -> ClientConfig:
    base: dict[str, object] = {"component": "gateway", "addrs": ADDRS, "username": "tyk",
                               "password": SecretStr("x")}
    base.update(kw)
    return ClientConfig(**base)  # type: ignore[arg-type]


def probes(client_reply: str = "PONG", speaks: str = "plain", tcp: bool = True,
           addrs: tuple[str, ...] = ADDRS) -> list[AddrProbe]:
    replies = {"plain": (NOAUTH, RESET, RESET), "tls": (RESET, NOAUTH, NOAUTH),
               "mtls": (RESET, RESET, NOAUTH)}[speaks]
    out = []
    for a in addrs:
        p = AddrProbe(a, resolved=True, ip="172.31.250.11", tcp=tcp)
        if tcp:
            p.plain, p.tls, p.mtls = replies
            p.client = client_reply
        out.append(p)
    return out


READY = ClusterStatus([], {"state": "ok", "slots_covered": 16384})


def top(c: ClientConfig, ps: list[AddrProbe], cluster: ClusterStatus | None = READY) -> str:
    findings = rank([Facts(MODEL, c, ps, cluster)])
    return findings[0].cause if findings else "none"


def test_healthy_stack_has_no_cause() -> None:
    assert top(client(), probes()) == "none"


def test_wrong_ca() -> None:
    reply = ("Could not connect to Redis at redis-1:6379: SSL_connect failed: "
             "certificate verify failed")
    c = client(use_ssl=True, ca_file="/opt/stackctl/certs/other.crt")
    assert top(c, probes(reply, "mtls")) == "ca-mismatch"


def test_wrong_password() -> None:
    reply = "AUTH failed: WRONGPASS invalid username-password pair or user is disabled."
    assert top(client(), probes(reply)) == "wrong-password"


def test_every_address_on_a_wrong_port() -> None:
    wrong = tuple(a.replace(":6379", ":6380") for a in ADDRS)
    assert top(client(addrs=wrong), probes(tcp=False, addrs=wrong)) == "wrong-port"
    # the right port refused everywhere is a node problem, not a port typo
    assert top(client(), probes(tcp=False)) == "unreachable"


def test_tls_on_while_redis_speaks_plain_text_outranks_the_handshake_error() -> None:
    c = client(use_ssl=True)
    assert top(c, probes("Error: Connection reset by peer", "plain")) == "tls-on-plain"


def test_tls_off_while_redis_speaks_tls() -> None:
    assert top(client(), probes(RESET, "tls")) == "tls-off"


def test_missing_client_certificate() -> None:
    c = client(use_ssl=True, ca_file="/opt/stackctl/certs/ca.crt")
    assert top(c, probes(RESET, "mtls")) == "missing-client-cert"


def test_uncovered_slots() -> None:
    broken = ClusterStatus([], {"state": "fail", "slots_covered": 16284},
                           ["redis-1: cluster_state:fail"])
    findings = rank([Facts(MODEL, client(), probes(), broken),
                     Facts(MODEL, client(component="pump"), probes(), broken)])
    assert [f.cause for f in findings] == ["cluster-not-ready"]  # once for the stack
    assert "16284 of 16384" in findings[0].evidence


def test_database_not_zero_and_cluster_disabled_rank_low() -> None:
    assert top(client(database=2), probes()) == "database-not-zero"
    assert top(client(enable_cluster=False), probes()) == "cluster-disabled"
    ids = [c.id for c in CAUSES]
    assert ids.index("wrong-password") < ids.index("cluster-not-ready") < ids.index(
        "database-not-zero")


def test_fix_names_the_component_option_from_the_tables() -> None:
    c = client(component="pump", use_ssl=True, ca_file="/x/ca.crt")
    reply = "SSL_connect failed: certificate verify failed"
    finding = rank([Facts(MODEL, c, probes(reply, "tls"), READY)])[0]
    assert "analytics_storage_config.ssl_ca_file" in finding.fix


def test_read_client_from_rendered_file_with_env_override(tmp_path: Path) -> None:
    (tmp_path / "rendered").mkdir()
    doc = {"storage": {"addrs": ["redis-1:6379"], "username": "tyk", "password": "s3cret",
                       "use_ssl": True, "ca_file": "/opt/stackctl/certs/ca.crt",
                       "database": 0, "enable_cluster": True}}
    (tmp_path / "rendered" / "tyk.conf").write_text(json.dumps(doc))
    compose = {"services": {"gateway": {
        "environment": {"TYK_GW_STORAGE_DATABASE": "3", "TYK_GW_STORAGE_USESSL": "false"},
        "volumes": [{"type": "bind", "source": "/h/certs", "target": "/opt/stackctl/certs"}]}}}
    c = read_client(tmp_path, compose, "gateway")
    assert c.addrs == ("redis-1:6379",) and c.database == 3 and c.use_ssl is False
    assert c.mounts == (Mount("/h/certs", "/opt/stackctl/certs"),)
    assert c.host_path("/opt/stackctl/certs/ca.crt") == Path("/h/certs/ca.crt")
    assert "s3cret" not in json.dumps(c.public())
