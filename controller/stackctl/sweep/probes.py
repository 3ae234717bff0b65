"""What the sweep reads from the stack besides the load: Redis clients per node and the
live maxclients (through the node containers), pool timeouts in the gateway logs (the
tables' signature). Through the engine: on swarm, the local task containers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from stackctl.cluster.external import oneshot_runner, probe_preflight
from stackctl.cluster.readiness import parse_info
from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.cluster.status import split_report
from stackctl.context import StackContext
from stackctl.errors import ToolError
from stackctl.images.select import stack_images
from stackctl.model import StackModel
from stackctl.secrets import load_secrets

CLIENTS_SCRIPT = f""". {SCRIPTS_MOUNT}/lib.sh
self="127.0.0.1:${{STACKCTL_PORT:-6379}}"
echo "## clients"; rcli "$self" info clients
echo "## maxclients"; rcli "$self" config get maxclients
"""


@dataclass(frozen=True)
class NodeClients:
    """One node's connected clients and its maxclients (0: not read)."""

    node: str
    connected: int
    maxclients: int


def parse_clients(node: str, text: str) -> NodeClients:
    """The script's output -> NodeClients."""
    parts = split_report(text)
    info = parse_info(parts.get("clients", ""))
    lines = [ln.strip() for ln in parts.get("maxclients", "").splitlines() if ln.strip()]
    maxclients = int(lines[1]) if len(lines) >= 2 and lines[1].isdigit() else 0
    connected = info.get("connected_clients", "0")
    return NodeClients(node, int(connected) if connected.isdigit() else 0, maxclients)


def external_clients(model: StackModel) -> list[NodeClients]:
    """External mode: every discovered node's clients and maxclients, read by one probe
    container on the user's network (no node containers to exec into)."""
    ext = model.settings.redis.external
    password = load_secrets(model.settings.state_dir, create=False).redis_password
    probe = probe_preflight(ext, password.get_secret_value(),
                            oneshot_runner(stack_images(model.settings)["redis"], ext.network),
                            model.topology, [])
    out: list[NodeClients] = []
    for node in probe.nodes:
        connected, limit = node.fields.get("connected_clients", ""), node.fields.get(
            "maxclients", "")
        out.append(NodeClients(node.addr, int(connected) if connected.isdigit() else 0,
                               int(limit) if limit.isdigit() else 0))
    return out


def node_clients(ctx: StackContext) -> list[NodeClients]:
    """Every node's clients, read in parallel through the engine (on swarm a node whose
    task runs on another machine is left out: no `docker exec` reaches it); external
    mode: `external_clients`."""
    if ctx.model.external:
        return external_clients(ctx.model)

    def read(name: str) -> NodeClients | None:
        try:
            result = ctx.engine.exec(name, ["sh", "-c", CLIENTS_SCRIPT])
        except ToolError:
            return None
        return parse_clients(name, result.stdout)

    names = [n.name for n in ctx.model.nodes]
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        return [c for c in pool.map(read, names) if c is not None]
