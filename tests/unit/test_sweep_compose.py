"""The compose hooks the sweep uses: extra env per service, gateway replicas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackctl.model import build_model
from stackctl.names import FRONT_NETWORK, REDIS_NETWORK
from stackctl.render.tyk import ENV_OVERRIDES_FILE, gateway_replicas, service_env
from stackctl.rung import write_shardcount
from stackctl.settings import Settings


@pytest.mark.unit
def test_service_env_merges_the_fallback_rung_and_the_overrides(tmp_path: Path) -> None:
    assert service_env(tmp_path, "gateway") == {}
    write_shardcount(tmp_path, 128)
    (tmp_path / ENV_OVERRIDES_FILE).write_text(json.dumps(
        {"gateway": {"TYK_GW_STORAGE_MAXACTIVE": 64}, "pump": {"X": "1"}}))
    assert service_env(tmp_path, "gateway") == {"REDIGOCLUSTER_SHARDCOUNT": "128",
                                                "TYK_GW_STORAGE_MAXACTIVE": "64"}
    assert service_env(tmp_path, "pump")["X"] == "1"
    (tmp_path / ENV_OVERRIDES_FILE).write_text("{broken")
    assert service_env(tmp_path, "gateway") == {"REDIGOCLUSTER_SHARDCOUNT": "128"}


@pytest.mark.unit
def test_gateway_replicas_get_their_own_addresses_and_no_port(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, gateway={"replicas": 3})  # type: ignore[arg-type]
    model = build_model(settings)
    gateway = {"image": "gw", "hostname": "gateway", "ports": ["127.0.0.1:8080:8080"],
               "networks": {}}
    extra = gateway_replicas(model, gateway)
    assert list(extra) == ["gateway-2", "gateway-3"]
    g3 = extra["gateway-3"]
    assert "ports" not in g3 and g3["hostname"] == "gateway-3" and g3["image"] == "gw"
    assert g3["networks"][FRONT_NETWORK]["ipv4_address"] == "172.31.251.12"
    assert g3["networks"][REDIS_NETWORK]["ipv4_address"] == "172.31.250.202"
    one = build_model(Settings(state_dir=tmp_path))
    assert gateway_replicas(one, gateway) == {}
