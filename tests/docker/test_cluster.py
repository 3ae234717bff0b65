"""The cluster becomes ready in every TLS mode, runs as the redis user, keeps the password
off every command line, and an `up` with kept volumes rejoins the same cluster."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.cluster.wait import start_cluster
from stackctl.names import GATE_SERVICE, INIT_SERVICE

if TYPE_CHECKING:
    from conftest import Cluster, ClusterFactory

UP_TIMEOUT = 120

pytestmark = pytest.mark.docker

SUBNETS = {"off": "172.31.201.0/24", "tls": "172.31.202.0/24", "insecure": "172.31.203.0/24"}




def assert_ready(cluster: Cluster) -> None:
    result = cluster.ready()
    assert result.ok, result.stderr
    status = cluster.status()
    assert status.ready, status.problems
    assert status.summary == {"state": "ok", "slots_covered": 16384, "primaries": 3,
                              "replicas": 3}
    assert sorted(n.slots for n in status.nodes if n.role == "primary")[0] >= 5461
    assert all(n.master_link == "up" for n in status.nodes if n.role == "replica")


def assert_gate_latches(cluster: Cluster) -> None:
    """The gate's healthcheck passes on a ready cluster and leaves its marker behind."""
    check = cluster.compose.exec(GATE_SERVICE, ["sh", f"{SCRIPTS_MOUNT}/gate-health.sh"])
    assert check.ok, check.stderr
    marker = cluster.compose.exec(GATE_SERVICE, ["test", "-f", "/data/cluster-formed"])
    assert marker.ok, "gate-health.sh leaves /data/cluster-formed"


def node_ids(cluster: Cluster) -> dict[str, str]:
    return {n.name: n.id for n in cluster.status().nodes}


def secret_free(cluster: Cluster) -> None:
    """Neither `docker inspect` of any container nor the compose model holds the password."""
    ids = subprocess.run(
        ["/usr/bin/docker", "ps", "-aq", "--filter",
         f"label=com.docker.compose.project={cluster.model.settings.project}"],
        check=True, capture_output=True, text=True).stdout.split()
    inspect = subprocess.run(["/usr/bin/docker", "inspect", *ids], check=True,
                             capture_output=True, text=True).stdout
    assert cluster.password not in inspect
    assert cluster.password not in json.dumps(cluster.compose.config())


def volume_mounts(cluster: Cluster) -> dict[str, list[str]]:
    """Per service, where a Docker volume is mounted (the nodes' data; nothing else)."""
    states = cluster.compose.ps()
    out = subprocess.run(
        ["/usr/bin/docker", "inspect", "--format",
         '{{index .Config.Labels "com.docker.compose.service"}} '
         '{{range .Mounts}}{{if eq .Type "volume"}}{{.Destination}},{{end}}{{end}}',
         *(s.name for s in states)], check=True, capture_output=True, text=True).stdout
    mounts = {}
    for line in out.splitlines():
        service, _, where = line.partition(" ")
        if where.strip(","):
            mounts[service] = where.strip(",").split(",")
    return mounts


@pytest.mark.parametrize("mode", ["off", "tls", "insecure"])
def test_cluster_ready(cluster_up: ClusterFactory, tmp_path: Path, mode: str) -> None:
    with cluster_up(tmp_path, mode, SUBNETS[mode], tls=mode) as cluster:
        print(f"{mode}: ready after {cluster.up_seconds:.1f} s")
        assert_ready(cluster)
        assert_gate_latches(cluster)
        secret_free(cluster)
        uid = cluster.compose.exec("redis-1", ["sh", "-c", "grep ^Uid /proc/1/status"])
        assert uid.stdout.split()[1] == "999", "redis-server must not run as root"
        if mode == "off":
            assert volume_mounts(cluster) == {
                f"redis-{i}": ["/data"] for i in range(1, 7)}, "no anonymous volumes"
            before = node_ids(cluster)
            cluster.compose.down(volumes=False)
            start_cluster(cluster.compose, UP_TIMEOUT)
            assert "cluster exists" in cluster.compose.logs([INIT_SERVICE])
            assert node_ids(cluster) == before
            assert_ready(cluster)
