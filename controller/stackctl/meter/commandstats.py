"""Every Redis node's `INFO commandstats` (calls per command since start), read through
the node containers with the stack's redis-cli helper (user, password, TLS from lib.sh)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.errors import ToolError
from stackctl.model import StackModel
from stackctl.runtime.compose import Compose
from stackctl.runtime.usage import Unavailable

COMMANDSTATS_SCRIPT = f""". {SCRIPTS_MOUNT}/lib.sh
rcli "127.0.0.1:${{STACKCTL_PORT:-6379}}" info replication commandstats
"""
CLI_TIMEOUT_S = "5"
"""Seconds the one redis-cli call may take (a node under load answers slowly)."""
PROBE_COMMANDS = ("info", "role", "scan", "config", "client", "command|docs")
"""stackctl's own probe commands (a name, or a `command|subcommand`), left out of the
per-request Redis counts so that they describe Tyk: this meter's INFO, the smoke's ROLE
and SCAN, the sweep's INFO clients and CONFIG GET maxclients, CLIENT from the probes'
connections, and the COMMAND DOCS every redis-cli 7 sends on start (measured here: about
1 ms of Redis CPU each). Tyk's own CLIENT calls (if any) go with them. Still counted: the
healthchecks' PING and AUTH and the gate's CLUSTER INFO/NODES (a few per node per second,
under 0.005 per request at 1,000 req/s)."""
CMDSTAT = "cmdstat_"

NodeCommands = Mapping[str, int] | Unavailable
"""One node's calls per command, or why they could not be read."""


def parse_commandstats(text: str) -> dict[str, int]:
    """`INFO commandstats` -> {command: calls}; Redis 7 subcommands stay `cluster|slots`."""
    out: dict[str, int] = {}
    for line in text.replace("\r", "").splitlines():
        if not line.startswith(CMDSTAT) or ":" not in line:
            continue
        name, _, stats = line[len(CMDSTAT):].partition(":")
        fields = dict(part.partition("=")[::2] for part in stats.split(","))
        calls = fields.get("calls", "")
        if calls.isdigit():
            out[name.lower()] = int(calls)
    return out


def is_probe(command: str) -> bool:
    """Whether a command (`config|get` counts as `config`) is one of stackctl's probes."""
    return command in PROBE_COMMANDS or command.partition("|")[0] in PROBE_COMMANDS


def is_replica(text: str) -> bool:
    """Whether an INFO answer's replication section says `role:slave`."""
    return any(line.strip() == "role:slave" for line in text.splitlines())


def read_node(compose: Compose, node: str) -> NodeCommands:
    """One node's commandstats through its container; none for a replica: its counts are
    the writes it replays from its primary (Tyk sends replicas nothing), and counting them
    would count every write twice."""
    result = compose.exec(node, ["sh", "-c", COMMANDSTATS_SCRIPT],
                          env={"STACKCTL_CLI_TIMEOUT": CLI_TIMEOUT_S})
    if result.ok and is_replica(result.stdout):
        return {}
    calls = parse_commandstats(result.stdout) if result.ok else {}
    if calls:
        return calls
    why = (result.stderr.strip().splitlines() or [result.stdout.strip()[:80] or "no answer"])
    return Unavailable(f"{node}: INFO commandstats: {why[-1]}")


def submit_reads(pool: ThreadPoolExecutor, compose: Compose, model: StackModel
                 ) -> dict[str, Future[NodeCommands]]:
    """Start reading every node's commandstats on `pool` (the caller reads other things
    meanwhile and collects with `collect`)."""
    return {n.name: pool.submit(read_node, compose, n.name) for n in model.nodes}


def collect(futures: Mapping[str, Future[NodeCommands]]) -> dict[str, NodeCommands]:
    """The submitted reads' answers; a failed read becomes Unavailable."""
    out: dict[str, NodeCommands] = {}
    for node, future in futures.items():
        try:
            out[node] = future.result()
        except ToolError as exc:  # docker failed: an answer, not a traceback
            out[node] = Unavailable(f"{node}: INFO commandstats: {exc}")
    return out
