"""How long analytics records survive in Redis while the pump is down (stop-pump): each
node's analytics lists (records, TTL, MEMORY USAGE) and its memory (used, maxmemory,
policy), read through the gate just before the pump comes back, then the arithmetic:
bytes per record, the first list to expire (the gateway's purger puts
storage_expiration_time on it: tyk.tables.ANALYTICS_EXPIRY_S) and the first node to reach
maxmemory at the measured rate, whichever comes first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.cluster.tyk_presence import SEP, replies
from stackctl.drill.backlog import LISTS
from stackctl.names import GATE_SERVICE
from stackctl.tyk.tables import ANALYTICS_EXPIRY_S

if TYPE_CHECKING:
    from stackctl.runtime.docker_cli import Exec

_COMMANDS = "".join(f"{c} {k}\\nECHO {SEP}\\n" for k in LISTS
                    for c in ("LLEN", "TTL", "MEMORY USAGE"))
SCRIPT = f""". {SCRIPTS_MOUNT}/lib.sh
for n in $STACKCTL_NODES; do
  echo "## $n"
  rcli "$n" INFO memory 2>/dev/null | grep -E '^(used_memory|maxmemory|maxmemory_policy):'
  echo "##lists"
  printf '{_COMMANDS}' | rcli "$n" 2>&1
done
"""
"""Per node: its memory fields, then LLEN, TTL and MEMORY USAGE of every list in order,
each reply followed by SEP (a list another node serves answers MOVED)."""


@dataclass(frozen=True)
class ListState:
    """One analytics list as the node serving it answered."""

    node: str
    name: str
    records: int
    ttl_s: int  # -1: no TTL, -2: no such key
    bytes: int


@dataclass(frozen=True)
class NodeMemory:
    """A node's memory (maxmemory 0: no limit)."""

    node: str
    used: int
    maxmemory: int
    policy: str


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def parse(text: str) -> tuple[list[NodeMemory], list[ListState]]:
    """The script's output as node memories and the lists each node serves."""
    nodes: list[NodeMemory] = []
    lists: list[ListState] = []
    for block in text.replace("\r", "").split("## ")[1:]:
        head, _, rest = block.partition("\n")
        node = head.strip()
        mem_text, _, list_text = rest.partition("##lists\n")
        fields = dict(line.split(":", 1) for line in mem_text.splitlines() if ":" in line)
        used, cap = _int(fields.get("used_memory", "")), _int(fields.get("maxmemory", ""))
        if used is not None and cap is not None:
            nodes.append(NodeMemory(node, used, cap, fields.get("maxmemory_policy", "").strip()))
        answers = replies(list_text)
        for i, name in enumerate(LISTS):
            trio = answers[3 * i:3 * i + 3]
            if len(trio) < 3:
                break
            n, ttl, size = (_int(x) for x in trio)
            if n is not None and ttl is not None:  # served here (else MOVED)
                lists.append(ListState(node, name, n, ttl, size or 0))
    return nodes, lists


def read_state(gate: Exec) -> tuple[list[NodeMemory], list[ListState]]:
    """Every node's memory and analytics lists, through the gate in one exec."""
    result = gate.exec(GATE_SERVICE, ["sh", "-c", SCRIPT],
                       env={"STACKCTL_CLI_TIMEOUT": "2"}, timeout=15)
    return parse(result.stdout)


def survival(rate_per_s: float | None, nodes: Sequence[NodeMemory],
             lists: Sequence[ListState], expiry_s: int = ANALYTICS_EXPIRY_S
             ) -> dict[str, Any]:
    """From now (the reading): bytes per record, when the first list expires, when the
    first node reaches maxmemory at `rate_per_s` records/s (shared among the nodes as
    their lists hold the records now), the first loss (the earlier; None: neither in
    sight) and what causes it. Records survive at most `expiry_s` (a list expires that
    long after it was created, whatever arrived since)."""
    held = [x for x in lists if x.records > 0]
    records = sum(x.records for x in held)
    bpr = round(sum(x.bytes for x in held) / records, 1) if records else None
    expiring = [x.ttl_s for x in held if x.ttl_s >= 0]
    expiry_in = float(min(expiring)) if expiring else None
    full: list[tuple[float, str]] = []
    for n in nodes:
        mine = sum(x.records for x in held if x.node == n.node)
        if n.maxmemory <= 0 or not records or not rate_per_s or bpr is None or not mine:
            continue
        per_s = rate_per_s * mine / records * bpr
        full.append((round(max(0.0, n.maxmemory - n.used) / per_s, 1), n.node))
    full_in = min(full) if full else None
    causes = [(expiry_in, "a list expires (storage_expiration_time)")] if expiry_in \
        is not None else []
    if full_in is not None:
        causes.append((full_in[0], f"{full_in[1]} reaches maxmemory"))
    first = min(causes) if causes else None
    return {"records": records, "bytes_per_record": bpr, "rate_per_s": rate_per_s,
            "expiry_s": expiry_s, "first_expiry_in_s": expiry_in,
            "maxmemory_full_in_s": None if full_in is None else full_in[0],
            "maxmemory_node": None if full_in is None else full_in[1],
            "first_loss_in_s": None if first is None else first[0],
            "first_loss_cause": None if first is None else first[1],
            "nodes": [asdict(n) for n in nodes], "lists": [asdict(x) for x in held]}
