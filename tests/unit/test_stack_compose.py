"""The full stack's compose model: laptop-safe publishing, pinned networks, mounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stackctl.cluster.redis_conf import render_redis
from stackctl.model import build_model
from stackctl.render.stack import stack_compose
from stackctl.render.tyk import TykFiles
from stackctl.secrets import load_secrets
from stackctl.settings import load_settings, nested

pytestmark = pytest.mark.unit


def render(tmp_path: Path, **flags: Any) -> dict[str, Any]:
    settings = load_settings(None, nested({"state_dir": str(tmp_path / "state"),
                                           "certs_dir": str(tmp_path / "certs"), **flags}))
    model = build_model(settings)
    secrets = load_secrets(settings.state_dir)
    redis = render_redis(model, secrets)
    tyk = TykFiles(*(tmp_path / n for n in ("tyk.conf", "pump.conf", "apps", "pol", "an")))
    return stack_compose(model, redis, tyk)


def test_only_the_gateway_is_published_on_loopback(tmp_path: Path) -> None:
    doc = render(tmp_path, **{"gateway.port": 18080})
    published = {name: s["ports"] for name, s in doc["services"].items() if s.get("ports")}
    assert published == {"gateway": ["127.0.0.1:18080:8080"]}


def test_redis_network_internal_and_pinned(tmp_path: Path) -> None:
    doc = render(tmp_path, **{"redis.subnet": "172.31.50.0/24",
                              "network.subnet": "172.31.51.0/24"})
    nets = doc["networks"]
    assert nets["redis"]["internal"] is True
    assert nets["redis"]["ipam"]["config"] == [{"subnet": "172.31.50.0/24"}]
    assert nets["front"]["ipam"]["config"] == [{"subnet": "172.31.51.0/24"}]
    gw = doc["services"]["gateway"]["networks"]
    assert gw["front"]["ipv4_address"] == "172.31.51.10"
    assert gw["redis"]["ipv4_address"] == "172.31.50.200"
    for name, service in doc["services"].items():
        for net in service.get("networks", {}).values():
            assert "ipv4_address" in net, name


def test_tyk_waits_for_cluster_gate(tmp_path: Path) -> None:
    services = render(tmp_path)["services"]
    for name in ("gateway", "pump"):
        assert services[name]["depends_on"]["cluster-gate"] == {"condition": "service_healthy"}
        # distroless: no shell for a Docker healthcheck; stackctl probes over HTTP
        assert "healthcheck" not in services[name]
        assert services[name]["x-probe"]["via"] == "cluster-gate"


def test_certs_mounted_only_with_tls(tmp_path: Path) -> None:
    plain = render(tmp_path / "a")["services"]["gateway"]["volumes"]
    assert not any(v["target"] == "/opt/stackctl/certs" for v in plain)
    tls = render(tmp_path / "b", **{"redis.tls": "mtls"})["services"]["gateway"]["volumes"]
    assert any(v["target"] == "/opt/stackctl/certs" and v["read_only"] for v in tls)


def test_offline_uses_local_images(tmp_path: Path) -> None:
    services = render(tmp_path, **{"images.offline": True})["services"]
    assert services["gateway"]["image"].startswith("stackctl/tyk-gateway:")
    assert services["redis-1"]["image"].startswith("stackctl/redis:")
    official = render(tmp_path / "o")["services"]
    assert official["gateway"]["image"].startswith("tykio/tyk-gateway:")


def test_config_digest_label_follows_rendered_files(tmp_path: Path) -> None:
    conf = tmp_path / "tyk.conf"
    conf.write_text('{"a": 1}')
    before = render(tmp_path)["services"]
    conf.write_text('{"a": 2}')
    after = render(tmp_path)["services"]
    label = "io.stackctl.config-digest"
    assert before["gateway"]["labels"][label] != after["gateway"]["labels"][label]
    assert before["pump"]["labels"][label] == after["pump"]["labels"][label]
    assert before["redis-1"]["labels"][label] == after["redis-1"]["labels"][label]


def test_env_form_passes_env_files_over_the_secrets_files(tmp_path: Path) -> None:
    settings = load_settings(None, nested({"state_dir": str(tmp_path / "state"),
                                           "certs_dir": str(tmp_path / "certs")}))
    model = build_model(settings)
    redis = render_redis(model, load_secrets(settings.state_dir))
    tyk = TykFiles(tmp_path / "gateway-secrets.conf", tmp_path / "pump-secrets.conf",
                   tmp_path / "apps", tmp_path / "pol", tmp_path / "an",
                   gateway_env=tmp_path / "gateway.env", pump_env=tmp_path / "pump.env")
    services = stack_compose(model, redis, tyk)["services"]
    for name, conf in (("gateway", "/opt/tyk-gateway/tyk.conf"),
                       ("pump", "/opt/tyk-pump/pump.conf")):
        assert services[name]["env_file"] == [str((tmp_path / f"{name}.env").resolve())]
        mounts = {m["target"]: m["source"] for m in services[name]["volumes"]}
        assert mounts[conf] == str((tmp_path / f"{name}-secrets.conf").resolve())
