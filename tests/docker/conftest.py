"""Redis Cluster projects for the docker tier.

Each cluster is its own Compose project (`stackctl-test-<name>-<pid>`) with its state and
PKI in a temporary directory and its own pinned subnet in 172.31.x.0/24 (x distinct per
test), and is always removed with its volumes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stackctl.cluster.pki import ensure_pki
from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.cluster.status import ClusterStatus, cluster_status
from stackctl.cluster.wait import start_cluster
from stackctl.errors import StepError, ToolError
from stackctl.model import StackModel, build_model
from stackctl.names import GATE_SERVICE
from stackctl.render.cluster import write_cluster_project
from stackctl.runtime.compose import Compose
from stackctl.runtime.docker_cli import ExecResult
from stackctl.secrets import load_secrets
from stackctl.settings import Settings
from stackctl.versions import image

REDIS_IMAGE = image("redis").local
UP_TIMEOUT = 120


@dataclass
class Cluster:
    """A running test cluster and the ways to probe it from inside its network."""

    model: StackModel
    compose: Compose
    up_seconds: float

    @property
    def password(self) -> str:
        """The Redis password (tests only)."""
        path = self.model.settings.state_dir / "redis" / "password"
        return path.read_text()

    def ready(self) -> ExecResult:
        """stack/redis/cluster-ready.sh, run in the gate container."""
        return self.compose.exec(GATE_SERVICE, ["sh", f"{SCRIPTS_MOUNT}/cluster-ready.sh"])

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until cluster-ready.sh passes; fails the test after `timeout`."""
        start = time.monotonic()
        while True:
            result = self.ready()
            if result.ok:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                pytest.fail(f"cluster not ready after {timeout:.0f} s: {result.stderr.strip()}")
            time.sleep(0.5)

    def status(self) -> ClusterStatus:
        """`cluster_status`, each node read by `docker exec` in its own container."""
        return cluster_status(lambda node, command, env: self.compose.exec(node, command,
                                                                          dict(env)),
                              self.model)

    def probe(self, script: str, env: dict[str, str] | None = None) -> ExecResult:
        """Run a shell snippet in the gate container (lib.sh sourced)."""
        return self.compose.exec(
            GATE_SERVICE, ["sh", "-c", f". {SCRIPTS_MOUNT}/lib.sh; {script}"], env=env)


def cluster_settings(tmp: Path, name: str, subnet: str, **redis: Any) -> Settings:
    """Settings of one test cluster: its own project, state, PKI and subnet."""
    return Settings(
        project=f"stackctl-test-{name}-{os.getpid()}",
        state_dir=tmp / "state", certs_dir=tmp / "certs",
        redis={"subnet": subnet, **redis},
    )  # type: ignore[arg-type]


@contextmanager
def running_cluster(settings: Settings) -> Iterator[Cluster]:
    """Bring the cluster up as `stackctl up` does (`cluster.wait.start_cluster`: Docker's
    once-a-minute healthchecks would keep `up --wait` waiting), yield it, and always
    `down --volumes`."""
    model = build_model(settings)
    if model.tls:
        ensure_pki(model)
    path = write_cluster_project(model, load_secrets(settings.state_dir), REDIS_IMAGE)
    compose = Compose(settings.project, [path])
    try:
        start = time.monotonic()
        try:
            start_cluster(compose, UP_TIMEOUT)
        except (ToolError, StepError) as exc:
            pytest.fail(f"{exc}\n{compose.logs(tail=20)}", pytrace=False)
        yield Cluster(model, compose, time.monotonic() - start)
    finally:
        compose.down(volumes=True)


@pytest.fixture(scope="session")
def redis_image() -> str:
    """The local Redis image; its absence fails in CI and skips elsewhere."""
    from stackctl.runtime.images import image_exists

    if not image_exists(REDIS_IMAGE):
        message = f"{REDIS_IMAGE} missing; run `stackctl images build --only redis`"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return REDIS_IMAGE


ClusterFactory = Callable[..., AbstractContextManager[Cluster]]


@pytest.fixture(scope="session")
def cluster_up(redis_image: str) -> ClusterFactory:
    """`cluster_up(tmp, name, subnet, **redis)`: a context manager running one cluster."""
    del redis_image  # requested only for its check

    def make(tmp: Path, name: str, subnet: str, **redis: Any) -> AbstractContextManager[Cluster]:
        return running_cluster(cluster_settings(tmp, name, subnet, **redis))

    return make
