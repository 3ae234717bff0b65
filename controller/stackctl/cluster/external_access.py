"""An existing cluster (`redis.mode = external`), asked from one-shot probe containers
(`cluster.external`): never started, stopped or reconfigured; what the stack wrote goes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from pydantic import SecretStr

from stackctl.cluster.access import Feature, NodeClients, NodeKeys, to_int
from stackctl.cluster.external import (
    LIB,
    Runner,
    discover,
    external_status,
    oneshot_runner,
    probe_env,
    probe_mounts,
    probe_preflight,
    purge_keys,
    scan_nodes,
)
from stackctl.cluster.status import ClusterStatus
from stackctl.errors import StackctlError
from stackctl.images.select import stack_images
from stackctl.model import StackModel
from stackctl.runtime.docker_cli import ExecResult
from stackctl.state import read_json
from stackctl.tyk.tables import TYK_RUNTIME_RECORDS

BASELINE_FILE = "external-baseline.json"
"""`<state_dir>/external-baseline.json`: Tyk's own records on the cluster before this
stack's first `up` (`down` deletes only the ones the stack added)."""
NOT_OURS = "redis.mode is external: stackctl does not own that cluster"
REASONS: dict[Feature, str] = {
    "start": "external cluster: stackctl starts no Redis",
    "pki": "not needed: the external cluster has its own (redis.external)",
    "redis-faults": f"{NOT_OURS}, so it never kills, stops, pauses or fails over its nodes",
    "redis-config": NOT_OURS,
    "gate": f"{NOT_OURS}: there is no gate to ask it through",
    "own-data": f"{NOT_OURS}: what the stack writes there is deleted when it is done",
}
CLI_SCRIPT = LIB + r"""
set --
while IFS= read -r arg; do set -- "$@" "$arg"; done <<EOF
$PROBE_ARGS
EOF
r "$PROBE_ADDRS" "$@"
"""


@dataclass(frozen=True)
class ExternalAccess:
    """The user's cluster, asked from probe containers on `redis.external.network`."""

    model: StackModel
    password: Callable[[], SecretStr]

    @cached_property
    def run(self) -> Runner:
        """One-shot containers of the stack's Redis image on the user's network."""
        settings = self.model.settings
        return oneshot_runner(stack_images(settings)["redis"], settings.redis.external.network)

    @property
    def _secret(self) -> str:
        return self.password().get_secret_value()

    def unsupported(self, feature: Feature) -> str:
        """Whatever would act on the nodes themselves."""
        return REASONS[feature]

    def nodes(self) -> list[str]:
        """Every node discovery found (host:port)."""
        return list(self.model.topology)

    def cli(self, node: str, args: Sequence[str]) -> ExecResult:
        """redis-cli in a probe container (one argument per line: none holds a newline)."""
        ext = self.model.settings.redis.external
        env = {**probe_env(ext, [node]), "PROBE_ARGS": "\n".join(args)}
        return self.run(CLI_SCRIPT, probe_mounts(ext), env, (self._secret + "\n").encode())

    def wait_ready(self, timeout: float, step: str) -> float:
        """Nothing to wait for: stackctl never touched the cluster."""
        return 0.0

    def status(self) -> ClusterStatus:
        """One discovery: the topology as the answering node sees it, its CLUSTER INFO."""
        return external_status(discover(self.model.settings.redis.external, self._secret,
                                        self.run))

    def clients(self) -> list[NodeClients]:
        """Every node's INFO clients and CONFIG GET maxclients, from one probe."""
        probe = probe_preflight(self.model.settings.redis.external, self._secret, self.run,
                                self.nodes(), [])
        return [NodeClients(n.addr, to_int(n.fields.get("connected_clients", "")),
                            to_int(n.fields.get("maxclients", ""))) for n in probe.nodes]

    def probe_keys(self, patterns: Sequence[str]) -> list[NodeKeys]:
        """Every node's ROLE and SCAN, from one probe."""
        found = scan_nodes(self.model.settings.redis.external, self._secret, self.run,
                           self.nodes(), patterns)
        return [NodeKeys(addr, role, frozenset(keys), "" if role else "no answer to ROLE")
                for addr, (role, keys) in found.items()]

    def forget(self, names: Sequence[str]) -> list[str]:
        """Delete, on the primaries, every key whose name holds one of `names`."""
        if not names:
            return []
        try:
            purge_keys(self.model.settings.redis.external, self._secret, self.run,
                       self.nodes(), [f"*{n}*" for n in names])
        except StackctlError as exc:
            return [f"purging this run's records: {exc}"]
        return []

    def leave(self) -> str:
        """Nothing of the cluster is stopped; the Tyk records this stack added are deleted."""
        path = self.model.settings.state_dir / BASELINE_FILE
        baseline = read_json(path)
        if not isinstance(baseline, dict) or not self.model.topology:
            return "the external cluster was not touched (no record of what was there before)"
        try:
            removed = purge_keys(self.model.settings.redis.external, self._secret, self.run,
                                 self.nodes(), [p for p, _ in TYK_RUNTIME_RECORDS],
                                 [str(k) for k in baseline.get("existing", [])])
        except StackctlError as exc:
            return f"the external cluster was left running; its records were not cleaned: {exc}"
        path.unlink(missing_ok=True)
        return (f"the external cluster was left running; {removed} record(s) Tyk wrote "
                "during this stack's life removed, none that were there before")
