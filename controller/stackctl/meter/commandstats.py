"""Every Redis node's `INFO commandstats` (calls per command since start) and connections
received, through a `NodeExec` with the stack's redis-cli helper (lib.sh)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.errors import ToolError
from stackctl.runtime.docker_cli import ExecResult
from stackctl.runtime.usage import Unavailable

TARGET_ENV = "STACKCTL_TARGET"
"""The node a script reads (host:port); unset: the container's own node."""
COMMANDSTATS_SCRIPT = f""". {SCRIPTS_MOUNT}/lib.sh
rcli "${{{TARGET_ENV}:-127.0.0.1:${{STACKCTL_PORT:-6379}}}}" info replication stats commandstats
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
CONNECTIONS_FIELD = "total_connections_received"


NodeExec = Callable[[str, Sequence[str], Mapping[str, str]], ExecResult]
"""Runs a command against one Redis node (by node name): `Engine.exec_node` (in the
node's container on compose, in a local task container on swarm)."""


def parse_connections_received(text: str) -> int | None:
    """`INFO stats`' total_connections_received (None when absent)."""
    for line in text.replace("\r", "").splitlines():
        name, _, value = line.partition(":")
        if name == CONNECTIONS_FIELD and value.strip().isdigit():
            return int(value.strip())
    return None


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


def read_node_counts(run: NodeExec, node: str) -> tuple[NodeCommands, int | None]:
    """One node's commandstats and connections received (None: unread). A replica has none:
    its counts replay its primary's writes (Tyk sends it nothing), so they would count twice."""
    result = run(node, ["sh", "-c", COMMANDSTATS_SCRIPT], {"STACKCTL_CLI_TIMEOUT": CLI_TIMEOUT_S})
    received = parse_connections_received(result.stdout) if result.ok else None
    if result.ok and "role:slave" in (line.strip() for line in result.stdout.splitlines()):
        return {}, received
    calls = parse_commandstats(result.stdout) if result.ok else {}
    if calls:
        return calls, received
    why = (result.stderr.strip().splitlines() or [result.stdout.strip()[:80] or "no answer"])
    return Unavailable(f"{node}: INFO commandstats: {why[-1]}"), received


NodeCounts = tuple[NodeCommands, int | None]


def submit_reads(pool: ThreadPoolExecutor, run: NodeExec, nodes: Sequence[str]
                 ) -> dict[str, Future[NodeCounts]]:
    """Start reading every node's counts on `pool` (collected later with `collect`)."""
    return {n: pool.submit(read_node_counts, run, n) for n in nodes}


def collect(futures: Mapping[str, Future[NodeCounts]]
            ) -> tuple[dict[str, NodeCommands], dict[str, int]]:
    """The reads' answers: commands by node (failed: Unavailable), connections by node answering."""
    commands: dict[str, NodeCommands] = {}
    received: dict[str, int] = {}
    for node, future in futures.items():
        try:
            commands[node], count = future.result()
        except ToolError as exc:  # docker failed: an answer, not a traceback
            commands[node], count = Unavailable(f"{node}: INFO commandstats: {exc}"), None
        if count is not None:
            received[node] = count
    return commands, received
