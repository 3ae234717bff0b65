"""Per-node redis.conf, ACL and auth files for every TLS mode, and the Compose services."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from stackctl.cluster.redis_conf import acl_file, auth_conf, node_conf, render_redis
from stackctl.errors import ConfigError
from stackctl.model import StackModel, build_model
from stackctl.render.cluster import cluster_services, write_cluster_compose
from stackctl.secrets import Secrets
from stackctl.settings import TLS_MODES, Settings

pytestmark = pytest.mark.unit

PASSWORD = "s3cret-Pass_word"
SECRETS = Secrets(redis_password=SecretStr(PASSWORD), gateway_secret=SecretStr("gw"))
IMAGE = "stackctl/redis:7.0.15"


def model_for(tmp: Path, **redis: Any) -> StackModel:
    return build_model(Settings(certs_dir=tmp / "certs", state_dir=tmp / "state",
                                redis=redis))  # type: ignore[arg-type]


def conf_lines(model: StackModel, index: int = 1) -> list[str]:
    return node_conf(model, model.nodes[index - 1]).splitlines()


def test_plain_mode(tmp_path: Path) -> None:
    lines = conf_lines(model_for(tmp_path))
    assert "port 6379" in lines
    assert not [line for line in lines if line.startswith("tls")]
    assert "cluster-enabled yes" in lines
    assert "cluster-node-timeout 2000" in lines
    assert "aclfile /run/stackctl/users.acl" in lines
    assert "include /run/stackctl/auth.conf" in lines
    assert not [line for line in lines if line.startswith(("user ", "requirepass"))]


@pytest.mark.parametrize(("mode", "auth_clients"),
                         [("tls", "no"), ("insecure", "no"), ("mtls", "yes")])
def test_tls_modes(tmp_path: Path, mode: str, auth_clients: str) -> None:
    lines = conf_lines(model_for(tmp_path, tls=mode), 2)
    assert "port 0" in lines and "tls-port 6379" in lines
    assert f"tls-auth-clients {auth_clients}" in lines
    assert {"tls-cluster yes", "tls-replication yes"} <= set(lines)
    assert "tls-cert-file /opt/stackctl/certs/redis-2.crt" in lines
    assert "tls-key-file /run/stackctl/redis-2.key" in lines
    assert "tls-ca-cert-file /opt/stackctl/certs/ca.crt" in lines


def test_node_timeout_from_settings(tmp_path: Path) -> None:
    assert "cluster-node-timeout 2500" in conf_lines(model_for(tmp_path, node_timeout_ms=2500))


def test_acl_file_turns_default_off_and_hashes_the_password(tmp_path: Path) -> None:
    text = acl_file(model_for(tmp_path, user="svc"), PASSWORD)
    lines = text.splitlines()
    assert lines[0].startswith("user default off resetpass")
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    assert lines[1] == f"user svc on #{digest} ~* &* +@all"
    assert PASSWORD not in text


def test_auth_conf_gives_replicas_credentials(tmp_path: Path) -> None:
    text = auth_conf(model_for(tmp_path), PASSWORD)
    assert text == f'masteruser tyk\nmasterauth "{PASSWORD}"\n'


@pytest.mark.parametrize("bad", ["", "has space", "tab\there"])
def test_unusable_password_is_a_config_error(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError, match="redis_password"):
        auth_conf(model_for(tmp_path), bad)


def test_render_writes_secrets_0600_and_drops_stale_nodes(tmp_path: Path) -> None:
    big = model_for(tmp_path, shards=4)
    render_redis(big, SECRETS)
    files = render_redis(model_for(tmp_path), SECRETS)
    assert sorted(p.name for p in files.root.glob("redis-*.conf")) == [
        f"redis-{i}.conf" for i in range(1, 7)]
    for secret in (files.password, files.acl, files.auth):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert files.password.read_text() == PASSWORD
    assert stat.S_IMODE((files.scripts / "cluster-ready.sh").stat().st_mode) == 0o755
    assert not list(files.root.glob(".*.tmp"))
    for conf in files.node_confs.values():
        assert PASSWORD not in conf.read_text()


def services_for(tmp_path: Path, **redis: Any) -> tuple[StackModel, dict[str, Any]]:
    model = model_for(tmp_path, **redis)
    return model, cluster_services(model, render_redis(model, SECRETS), IMAGE)


def test_compose_shape_network_and_addresses(tmp_path: Path) -> None:
    _, doc = services_for(tmp_path, shards=3, replicas=2, subnet="172.31.77.0/24")
    services = doc["services"]
    assert len([s for s in services if s.startswith("redis-")]) == 9
    net = doc["networks"]["redis"]
    assert net["internal"] is True
    assert net["ipam"]["config"] == [{"subnet": "172.31.77.0/24"}]
    assert services["redis-9"]["networks"]["redis"]["ipv4_address"] == "172.31.77.19"
    assert services["cluster-init"]["networks"]["redis"]["ipv4_address"] == "172.31.77.250"
    assert services["cluster-gate"]["networks"]["redis"]["ipv4_address"] == "172.31.77.251"
    assert services["cluster-init"]["environment"]["STACKCTL_REPLICAS"] == "2"
    assert set(doc["volumes"]) == {f"redis-{i}-data" for i in range(1, 10)}


def test_gate_waits_for_init_and_init_for_started_nodes(tmp_path: Path) -> None:
    _, doc = services_for(tmp_path)
    services = doc["services"]
    assert services["cluster-gate"]["depends_on"] == {
        "cluster-init": {"condition": "service_completed_successfully"}}
    assert services["cluster-init"]["depends_on"]["redis-6"] == {"condition": "service_started"}
    assert services["cluster-gate"]["healthcheck"]["test"][-1].endswith("gate-health.sh")
    for service in services.values():
        assert "start_interval" not in service.get("healthcheck", {})


@pytest.mark.parametrize("mode", TLS_MODES)
def test_password_never_on_a_command_line(tmp_path: Path, mode: str) -> None:
    _, doc = services_for(tmp_path, tls=mode)
    assert PASSWORD not in json.dumps(doc)


def test_each_container_mounts_only_its_own_key(tmp_path: Path) -> None:
    _, doc = services_for(tmp_path, tls="mtls")
    for name, service in doc["services"].items():
        keys = [v["target"] for v in service["volumes"] if v["target"].endswith(".key")]
        identity = name if name.startswith("redis-") else "stackctl"
        assert keys == [f"/opt/stackctl/certs/{identity}.key"], name
        assert all(v.get("read_only") for v in service["volumes"] if v["type"] == "bind")


def test_plain_mode_mounts_no_certificates(tmp_path: Path) -> None:
    _, doc = services_for(tmp_path)
    targets = [v["target"] for s in doc["services"].values() for v in s["volumes"]]
    assert not [t for t in targets if t.startswith("/opt/stackctl/certs")]


def test_write_cluster_compose(tmp_path: Path) -> None:
    model = model_for(tmp_path)
    path = write_cluster_compose(model, render_redis(model, SECRETS), IMAGE)
    doc = json.loads(path.read_text())
    assert doc["name"] == "stackctl"
    assert doc["services"]["redis-1"]["image"] == IMAGE
