"""The one context a run's parts receive: settings, model, secrets, the Compose project,
and the typed results they hand each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from stackctl.cluster.access import ClusterAccess
from stackctl.cluster.open import open_access
from stackctl.context.results import Results
from stackctl.engine.base import Engine
from stackctl.model import StackModel
from stackctl.render.stack import COMPOSE_FILE
from stackctl.runtime.compose import Compose
from stackctl.runtime.docker_cli import ServiceState
from stackctl.runtime.health import probed, read_healthchecks
from stackctl.runtime.swarm import Stack
from stackctl.secrets import Secrets, load_secrets


@dataclass
class StackContext:
    """Settings, model, secrets, the Compose project and what the parts hand each other."""

    model: StackModel
    engine: Engine  # picked once, by `engine.factory.stack_context`
    results: Results = field(default_factory=Results)
    _ps: list[ServiceState] | None = field(default=None, repr=False)

    @property
    def state_dir(self) -> Path:
        """The project's state directory."""
        return self.model.settings.state_dir

    @property
    def compose_file(self) -> Path:
        """The rendered compose file."""
        return self.state_dir / COMPOSE_FILE

    @cached_property
    def secrets(self) -> Secrets:
        """The stack's secrets (generated on first use, 0600)."""
        return load_secrets(self.state_dir)

    @cached_property
    def compose(self) -> Compose:
        """The Compose project (the file exists once the render step has run)."""
        return Compose(self.model.settings.project, [self.compose_file],
                       project_dir=self.state_dir)

    def services(self, fresh: bool = False, probe: bool = False) -> list[ServiceState]:
        """`compose ps`, read once and shared by the steps (`fresh`: re-read); `probe` decides
        Docker's `starting` by running the healthchecks now (the verdicts are kept)."""
        if fresh or self._ps is None:
            self._ps = self.compose.ps()
        if probe:
            self._ps = probed(self.compose, self._ps, read_healthchecks(self.compose_file))
        return self._ps

    @property
    def cluster(self) -> ClusterAccess:
        """The stack's Redis Cluster (`cluster.open`), built per use (discovery's last model)."""
        return open_access(self.model, lambda: self.secrets.redis_password, self.engine)

    @cached_property
    def stack(self) -> Stack:
        """The Swarm stack of the same name (engine = swarm)."""
        return Stack(self.model.settings.project)

    @property
    def gateway_url(self) -> str:
        """The gateway as the host reaches it."""
        s = self.model.settings
        return f"http://{s.network.bind}:{s.gateway.port}"
