"""The cluster as stackctl sees it during a drill: every node's CLUSTER INFO and CLUSTER
NODES read at once through the gate container (as `cluster/wait.py` reads readiness; on
swarm the drill's probe container on the Redis overlay), the target left out when it is
down or hanging, polled until the cluster has recovered: a new primary serves the
target's slots, every surviving node says `cluster_state:ok` and
`cluster_slots_ok:16384`, and every link among the survivors is connected. On swarm a
killed or stopped node comes back by itself (Swarm starts a new task): the cluster has
also recovered when that new task serves the target's slots again, connected to every
survivor, before any failover."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from stackctl.cluster.readiness import (
    BAD_FLAGS,
    CLUSTER_SLOTS,
    ClusterNode,
    parse_info,
    parse_nodes,
)
from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.names import GATE_SERVICE
from stackctl.runtime.docker_cli import Exec

POLL_S = 0.1
CLI_TIMEOUT_S = "1"
VIEWS_SCRIPT = f""". {SCRIPTS_MOUNT}/lib.sh
dir=$(mktemp -d)
for n in $STACKCTL_NODES; do
  [ "$n" = "${{DRILL_SKIP:-}}" ] && continue
  printf 'CLUSTER INFO\\nCLUSTER NODES\\n' | rcli "$n" >"$dir/$n" 2>&1 &
done
wait
for n in $STACKCTL_NODES; do
  [ -f "$dir/$n" ] && {{ echo "## $n"; cat "$dir/$n"; }}
done
rm -rf "$dir"
"""


@dataclass(frozen=True)
class View:
    """One node's answer: its CLUSTER INFO fields and CLUSTER NODES lines."""

    addr: str
    info: dict[str, str]
    nodes: list[ClusterNode]
    raw: dict[str, str] = field(default_factory=dict)
    """For views asked by name: each node's name:port -> the ip:port this view has."""


def parse_views(text: str) -> list[View]:
    """The gate script's output (`## ip:port` then that node's answer) as views."""
    out: list[View] = []
    addr, lines = "", []  # type: str, list[str]
    for line in [*text.replace("\r", "").splitlines(), "## "]:
        if line.startswith("## "):
            if addr:
                body = "\n".join(lines)
                out.append(View(addr, parse_info(body), parse_nodes(body)))
            addr, lines = line[3:].strip(), []
        else:
            lines.append(line)
    return out


def _is_ip(addr: str) -> bool:
    try:
        ipaddress.ip_address(addr.rpartition(":")[0])
    except ValueError:
        return False
    return True


def by_name(views: list[View]) -> list[View]:
    """When the nodes are asked by name (swarm: STACKCTL_NODES holds `redis-i:port`, and
    a node's overlay address changes with each new task), every node in every view is
    given as `hostname:port` (its announced hostname), so the addresses the drill
    compares are the same names; views asked by address are returned as they are."""
    if not views or all(_is_ip(v.addr) for v in views):
        return views
    out = []
    for v in views:
        named = [replace(n, addr=f"{n.hostname}:{n.addr.rpartition(':')[2]}")
                 if n.hostname else n for n in v.nodes]
        out.append(View(v.addr, v.info, named,
                        {m.addr: n.addr for m, n in zip(named, v.nodes, strict=True)}))
    return out


def read_views(gate: Exec, skip: str = "", only: str = "") -> list[View]:
    """Every node's view (but `skip`'s; `only`: that node's alone), read through the
    gate in one `docker exec`."""
    env = {"STACKCTL_CLI_TIMEOUT": CLI_TIMEOUT_S, "DRILL_SKIP": skip}
    if only:
        env["STACKCTL_NODES"] = only
    result = gate.exec(GATE_SERVICE, ["sh", "-c", VIEWS_SCRIPT], env=env, timeout=10)
    return by_name(parse_views(result.stdout))


def primary_of_slots(view: View, excluded: str) -> list[ClusterNode]:
    """Primaries serving slots in `view`, other than `excluded`."""
    return [n for n in view.nodes if n.primary and n.slot_count and n.addr != excluded
            and not n.flags & BAD_FLAGS]


def promoted(views: Sequence[View], target_addr: str, slots: tuple[str, ...]) -> str:
    """The address of the node that now serves the target's first slot range (`slots`:
    the target's ranges before the fault), once every view agrees; "" before."""
    if not views or not slots:
        return ""
    found = set()
    for v in views:
        new = [n.addr for n in v.nodes if n.primary and n.addr != target_addr
               and slots[0] in n.slots and not n.flags & BAD_FLAGS]
        if not new:
            return ""
        found.add(new[0])
    return found.pop() if len(found) == 1 else ""


def recovery_problems(views: Sequence[View], total: int, shards: int, skip: str,
                      target_addr: str = "", must_move: bool = False) -> list[str]:
    """Why the surviving nodes do not yet see a recovered cluster (empty: recovered).
    `must_move`: the target must no longer serve slots (a primary fault)."""
    expected = total - (1 if skip else 0)
    if len(views) != expected:
        return [f"{len(views)} of {expected} nodes answered"]
    problems = []
    for v in views:
        if not v.nodes:
            problems.append(f"{v.addr}: no answer")
            continue
        if v.info.get("cluster_state") != "ok":
            problems.append(f"{v.addr}: cluster_state:{v.info.get('cluster_state', '?')}")
        if v.info.get("cluster_slots_ok") != str(CLUSTER_SLOTS):
            problems.append(f"{v.addr}: cluster_slots_ok:{v.info.get('cluster_slots_ok')}")
        bad = [n.addr for n in v.nodes if n.addr != skip
               and (n.link != "connected" or n.flags & BAD_FLAGS)]
        if bad:
            problems.append(f"{v.addr} sees {' '.join(bad)} not connected")
        serving = primary_of_slots(v, target_addr if must_move else "")
        if len(serving) != shards:
            problems.append(f"{v.addr}: {len(serving)} primaries serve slots, want {shards}")
    return problems


@dataclass
class Observation:
    """What the poller saw, in wall-clock seconds (time.time)."""

    polls: int = 0
    promoted_at: float | None = None
    promoted_addr: str = ""
    recovered_at: float | None = None
    degraded_at: float | None = None
    last_problem: str = ""
    samples: list[tuple[float, bool]] = field(default_factory=list)

    def as_dict(self, origin: float) -> dict[str, Any]:
        """JSON view, times as offsets from `origin`."""
        def off(t: float | None) -> float | None:
            return None if t is None else round(t - origin, 3)

        return {"polls": self.polls, "promoted_s": off(self.promoted_at),
                "promoted_addr": self.promoted_addr, "recovered_s": off(self.recovered_at),
                "degraded_s": off(self.degraded_at), "last_problem": self.last_problem}


Check = Callable[[], tuple[bool, str, str]]
"""One poll: (recovered, why not, promoted address or "")."""


def seen_back(views: Sequence[View], target_addr: str, new_ip: str,
              own: Sequence[View]) -> list[str]:
    """Why the cluster does not (yet) have the target back as its new task at `new_ip`
    (empty: back): every survivor lists it at that address, connected, with no failure
    flag, and the target itself (`own`: its view, asked by name, so of the new task)
    says cluster_state:ok with every slot served. Before the survivors notice the
    fault, their line for it is the old task's address, still "connected"."""
    want = f"{new_ip}:{target_addr.rpartition(':')[2]}"
    problems = []
    for v in views:
        me = next((n for n in v.nodes if n.addr == target_addr), None)
        if me is None or me.link != "connected" or me.flags & BAD_FLAGS:
            problems.append(f"{v.addr} does not see {target_addr} back")
        elif v.raw.get(target_addr, want) != want:
            problems.append(f"{v.addr} has {target_addr} at {v.raw[target_addr]}, its new "
                            f"task is at {want}")
    mine = next((v for v in own if v.addr == target_addr and v.nodes), None)
    if mine is None:
        problems.append(f"{target_addr} does not answer")
    elif mine.info.get("cluster_state") != "ok" or \
            mine.info.get("cluster_slots_ok") != str(CLUSTER_SLOTS):
        problems.append(f"{target_addr}: cluster_state:{mine.info.get('cluster_state', '?')}")
    return problems


def cluster_check(gate: Exec, total: int, shards: int, skip: str, target_addr: str,
                  slots: tuple[str, ...], must_move: bool,
                  replaced: Callable[[], str] | None = None) -> Check:
    """The poll of a Redis scenario (`slots`: the target's ranges before the fault).
    `replaced` (swarm): the address of the new task now running the target ("" while
    there is none); then a primary fault has also recovered when the cluster is whole
    with that new task in it (`seen_back`: no failover happened)."""
    def check() -> tuple[bool, str, str]:
        views = read_views(gate, skip)
        moved = promoted(views, target_addr, slots) if must_move else ""
        problems = recovery_problems(views, total, shards, skip, target_addr, must_move)
        if problems and must_move and replaced is not None and not moved and not \
                recovery_problems(views, total, shards, skip, target_addr, False):
            new_ip = replaced()
            if new_ip:
                back = seen_back(views, target_addr, new_ip,
                                 read_views(gate, only=target_addr))
                if not back:
                    return True, "", ""
                problems = back
        return not problems, (problems[0] if problems else ""), moved
    return check


class Poller:
    """Polls `check` in a thread from `start()` until it passes (after a failing poll
    when `expect_degraded`), `stop()`, or `limit_s`."""

    def __init__(self, check: Check, limit_s: float, poll_s: float = POLL_S,
                 settle_s: float = 0.0) -> None:
        self.check = check
        self.limit_s = limit_s
        self.poll_s = poll_s
        self.settle_s = settle_s
        self.seen = Observation()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="drill-poll")

    def start(self) -> None:
        """Begin polling (right after the fault)."""
        self._started = time.time()
        self._thread.start()

    def _run(self) -> None:
        seen = self.seen
        while not self._stop.is_set() and time.time() - self._started < self.limit_s:
            at = time.time()
            try:
                ok, why, moved = self.check()
            except Exception as exc:
                ok, why, moved = False, str(exc), ""
            seen.polls += 1
            seen.samples.append((at, ok))
            if moved and seen.promoted_at is None:
                seen.promoted_at, seen.promoted_addr = at, moved
            if not ok:
                seen.last_problem = why
                seen.degraded_at = seen.degraded_at or at
                seen.recovered_at = None
            elif seen.recovered_at is None:
                seen.recovered_at = at
            if seen.recovered_at is not None and at - self._started >= self.settle_s:
                return
            self._stop.wait(self.poll_s)

    def alive(self) -> bool:
        """Still polling."""
        return self._thread.is_alive()

    def stop(self) -> Observation:
        """Stop polling and return what was seen."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)
        return self.seen
