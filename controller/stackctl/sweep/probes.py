"""What the sweep reads from the stack besides the load: Redis clients per node and the
live maxclients (through the node containers), pool timeouts in the gateway logs (the
tables' signature), the gateways' CPU and memory (docker stats)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from stackctl.cluster.readiness import parse_info
from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.cluster.status import split_report
from stackctl.model import StackModel
from stackctl.runtime.compose import Compose

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


def redis_clients(compose: Compose, model: StackModel) -> list[NodeClients]:
    """Every node's clients, read in parallel."""

    def read(name: str) -> NodeClients:
        return parse_clients(name, compose.exec(name, ["sh", "-c", CLIENTS_SCRIPT]).stdout)

    names = [n.name for n in model.nodes]
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        return list(pool.map(read, names))


def pool_timeout_texts() -> tuple[str, ...]:
    """The gateway's pool-timeout log lines, from the tables."""
    from stackctl.tyk.lookup import all_signatures

    return tuple(s.text for s in all_signatures("gateway") if s.meaning == "pool-timeout")


def count_pool_timeouts(log: str) -> int:
    """Log lines carrying a pool-timeout signature."""
    texts = pool_timeout_texts()
    return sum(1 for line in log.splitlines() if any(t in line for t in texts))


def pool_timeouts(compose: Compose, services: list[str]) -> int:
    """Pool-timeout lines in the gateways' logs so far."""
    return sum(count_pool_timeouts(compose.logs([s])) for s in services)


def gateway_usage(compose: Compose, services: list[str]) -> tuple[float, int]:
    """(CPU percent of one core, memory bytes), summed over the gateways."""
    from stackctl.runtime.stats import container_stats

    stats = container_stats([compose.container(s) for s in services])
    return round(sum(s.cpu_percent for s in stats), 1), sum(s.mem_bytes for s in stats)
