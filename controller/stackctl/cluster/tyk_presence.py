"""Signs of another Tyk deployment read off a cluster (issue 25): the DRL heartbeats heard on
its channel (who they are, how many the DRL counts), and the analytics lists sampled over a
short window (records waiting; a list that shrank before its TTL ran out: a pump took
them). Pure parsing and judging of what the pre-flight probe printed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from stackctl.tyk.tables import ANALYTICS_LISTS, DRL_NOTICE

SEP = "--"
"""ECHOed after every command: a reply may take more than one line (an error's does in
redis-cli's raw output), so replies are told apart by it, not by position."""
WATCH_COMMANDS = "".join(f"{c} {k}\\nECHO {SEP}\\n" for k in ANALYTICS_LISTS
                         for c in ("LLEN", "TTL"))
"""printf format: LLEN and TTL of every analytics list, each reply followed by SEP."""
TTL_SLACK_S = 1.0
"""TTL is whole seconds: a list whose TTL was within the gap + this may have expired."""


def replies(text: str) -> list[str]:
    """Each command's reply (its first line, "" for none), split at the SEP lines."""
    out: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip() == SEP:
            out.append(next((x.strip() for x in current if x.strip()), ""))
            current = []
        else:
            current.append(line)
    return out


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else None


@dataclass(frozen=True)
class Peer:
    """A gateway heard on the DRL channel."""

    host: str
    node_id: str
    tag_hash: str

    def __str__(self) -> str:
        return f"{self.host or '?'} ({self.node_id or 'no node id'})"


def heard_peers(text: str) -> list[Peer]:
    """The distinct gateways whose DRL heartbeat (tables.DRL_NOTICE) is in `text`, the raw
    output of redis-cli SUBSCRIBE, in the order first heard."""
    seen: dict[tuple[str, str], Peer] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{") or DRL_NOTICE not in line:
            continue
        try:
            note = json.loads(line)
            server = json.loads(note.get("payload", ""))
        except (ValueError, AttributeError):
            continue
        if note.get("command") != DRL_NOTICE or not isinstance(server, dict):
            continue
        peer = Peer(str(server.get("HostName", "")), str(server.get("ID", "")),
                    str(server.get("TagHash", "")))
        seen.setdefault((peer.host, peer.node_id), peer)
    return list(seen.values())


def listened(text: str) -> bool:
    """Whether the SUBSCRIBE took (redis-cli printed the subscription's confirmation)."""
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return "subscribe" in lines[:3]  # after "Reading messages..." where redis-cli says it


@dataclass(frozen=True)
class Sample:
    """Every analytics list a primary served at one moment: name -> (records, TTL s;
    -1 none)."""

    at: float
    lists: dict[str, tuple[int, int]]

    @property
    def records(self) -> int:
        """Records waiting across the lists."""
        return sum(n for n, _ in self.lists.values())


def parse_sample(text: str) -> Sample:
    """One `## analytics i` section: `t=<epoch s>`, then per node `@ addr` and its replies
    (LLEN, TTL per list in tables.ANALYTICS_LISTS order; MOVED where another node serves it)."""
    at = 0.0
    lists: dict[str, tuple[int, int]] = {}
    chunks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("t="):
            try:
                at = float(line[2:].strip())
            except ValueError:
                at = 0.0
        elif line.startswith("@ "):
            chunks.append([])
        elif chunks:
            chunks[-1].append(line)
    for chunk in chunks:
        answers = replies("\n".join(chunk))
        for i, name in enumerate(ANALYTICS_LISTS):
            pair = answers[2 * i:2 * i + 2]
            if len(pair) < 2:
                break
            n, ttl = _int(pair[0]), _int(pair[1])
            if n is not None and ttl is not None and ttl != -2 and n > 0:
                lists[name] = (n, ttl)  # served here and holding records
    return Sample(at, lists)


@dataclass(frozen=True)
class Drain:
    """What the analytics lists did over the watch: records waiting at the start, the
    evidence of a drain ("" none), of lists that expired, and how long it watched."""

    waiting: int
    drained: str
    expired: str
    watched_s: float
    samples: int


def judge_drain(samples: Sequence[Sample]) -> Drain:
    """A list that lost records between two samples was drained by a pump, unless it is
    gone and its TTL had run out by then (the gateway's purger gives every list a TTL:
    tables.ANALYTICS_EXPIRY_S)."""
    if not samples:
        return Drain(0, "", "", 0.0, 0)
    drained: list[str] = []
    expired: list[str] = []
    for before, after in pairwise(samples):
        gap = max(0.0, after.at - before.at)
        for name, (n, ttl) in before.lists.items():
            now = after.lists.get(name, (0, -2))[0]
            if now >= n:
                continue
            if now == 0 and 0 <= ttl <= gap + TTL_SLACK_S:
                expired.append(f"{name} ({n} records, TTL {ttl} s)")
            else:
                drained.append(f"{name} {n} -> {now} records in {gap:.1f} s (TTL {ttl} s)")
    watched = samples[-1].at - samples[0].at if len(samples) > 1 else 0.0
    return Drain(samples[0].records, "; ".join(drained[:2]), "; ".join(expired[:2]),
                 round(max(0.0, watched), 1), len(samples))
