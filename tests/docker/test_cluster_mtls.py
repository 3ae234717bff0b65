"""One mtls cluster shared by the refusal tests; the failover test runs last on it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from stackctl.cluster.pki import ensure_pki
from stackctl.cluster.status import ClusterStatus, NodeStatus
from stackctl.model import build_model
from stackctl.settings import Settings

if TYPE_CHECKING:
    from conftest import Cluster, ClusterFactory

pytestmark = pytest.mark.docker

SUBNET = "172.31.204.0/24"
NODE = "172.31.204.11:6379"




@pytest.fixture(scope="module")
def mtls(cluster_up: ClusterFactory, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Cluster]:
    with cluster_up(tmp_path_factory.mktemp("mtls"), "mtls", SUBNET, tls="mtls") as cluster:
        print(f"mtls: ready after {cluster.up_seconds:.1f} s")
        yield cluster


def test_ready(mtls: Cluster) -> None:
    assert mtls.ready().ok
    status = mtls.status()
    assert status.ready, status.problems
    assert status.summary["slots_covered"] == 16384


def test_full_client_gets_pong(mtls: Cluster) -> None:
    assert mtls.probe(f"rcli {NODE} ping").stdout.strip() == "PONG"


def test_client_without_certificate_is_refused(mtls: Cluster) -> None:
    result = mtls.probe(f"STACKCTL_TLS=tls rcli {NODE} ping")
    assert "PONG" not in result.stdout
    assert "error" in result.stderr.lower() or "closed" in result.stderr.lower()


def test_plaintext_client_is_refused(mtls: Cluster) -> None:
    assert "PONG" not in mtls.probe(f"STACKCTL_TLS=off rcli {NODE} ping").stdout


def test_client_without_password_is_refused(mtls: Cluster) -> None:
    no_auth = mtls.probe(f"redis-cli $(tls_args) -h {NODE.split(':')[0]} ping")
    assert no_auth.stdout.strip() == "NOAUTH Authentication required."
    wrong = mtls.probe(f"printf nope > /tmp/pw; STACKCTL_PASSWORD_FILE=/tmp/pw rcli {NODE} ping")
    assert "WRONGPASS" in wrong.stderr and "PONG" not in wrong.stdout


def test_default_user_is_off(mtls: Cluster) -> None:
    result = mtls.probe(f"STACKCTL_REDIS_USER=default rcli {NODE} ping")
    assert "WRONGPASS" in result.stderr and "PONG" not in result.stdout


def test_wrong_ca_fails_verification(mtls: Cluster, tmp_path: Path) -> None:
    other = build_model(Settings(certs_dir=tmp_path / "other"))
    ensure_pki(other)
    wrong_ca = (other.certs_dir / "ca.crt").read_text()
    result = mtls.probe(f'printf "%s" "$WRONG_CA" > /tmp/ca.crt; '
                        f"STACKCTL_CA=/tmp/ca.crt rcli {NODE} ping", env={"WRONG_CA": wrong_ca})
    assert "certificate verify failed" in result.stderr
    assert "PONG" not in result.stdout


Check = Callable[[ClusterStatus, dict[str, NodeStatus]], bool]


def wait_for(cluster: Cluster, check: Check, what: str, timeout: float = 60
             ) -> tuple[float, ClusterStatus]:
    """Poll cluster_status until `check` holds; seconds taken and the last status."""
    start = time.monotonic()
    while True:
        status = cluster.status()
        if check(status, {n.name: n for n in status.nodes}):
            return time.monotonic() - start, status
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what} not true after {timeout:.0f} s: {status.as_dict()}")
        time.sleep(0.5)


def test_failover_then_rejoin(mtls: Cluster) -> None:
    """Runs last in this module: it leaves the roles swapped (the cluster ready)."""
    before = {n.name: n for n in mtls.status().nodes}
    victim = next(n for n in before.values() if n.role == "primary")
    heir = next(n for n in before.values() if n.master_id == victim.id)
    mtls.compose.kill([victim.name])
    failover, status = wait_for(
        mtls, lambda s, n: n[heir.name].role == "primary" and s.summary["state"] == "ok"
        and s.summary["slots_covered"] == 16384, f"{heir.name} promoted")
    print(f"failover: {heir.name} took over from {victim.name} in {failover:.1f} s")
    assert {n.name: n.reachable for n in status.nodes}[victim.name] is False
    mtls.compose.start([victim.name])
    rejoin = mtls.wait_ready()
    print(f"rejoin: {victim.name} back and the cluster ready in {rejoin:.1f} s")
    after = {n.name: n for n in mtls.status().nodes}
    assert after[victim.name].role == "replica"
    assert after[victim.name].master_id == heir.id
    assert after[victim.name].master_link == "up"
