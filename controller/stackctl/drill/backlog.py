"""The analytics backlog: records the gateway pushed to Redis that the pump has not yet
taken, summed over the analytics lists (names from the Tyk tables) as every node
answers for the lists it serves; and the drain arithmetic of stop-pump."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.errors import ToolError
from stackctl.names import GATE_SERVICE
from stackctl.tyk.tables import ANALYTICS_LISTS

if TYPE_CHECKING:
    from stackctl.runtime.docker_cli import Exec

LISTS = ANALYTICS_LISTS
POLL_S = 0.2
DRAIN_TIMEOUT_S = 60.0
_COMMANDS = "".join(f"LLEN {k}\\n" for k in LISTS)
SCRIPT = f""". {SCRIPTS_MOUNT}/lib.sh
for n in $STACKCTL_NODES; do
  printf '{_COMMANDS}' | rcli "$n" 2>/dev/null
done
"""
"""Every node is asked for every list's length; a primary answers a number for the
lists whose slots it serves, MOVED for the others (a replica: MOVED for all)."""


def parse_lengths(text: str) -> tuple[int, int]:
    """(records, lists answered) from the script's output: the integer lines."""
    numbers = [int(line) for line in (x.strip() for x in text.splitlines())
               if line.isdigit()]
    return sum(numbers), len(numbers)


def read_backlog(gate: Exec) -> int:
    """Records waiting in the analytics lists; ToolError unless every list answered
    exactly once (a node down or in the middle of a failover)."""
    result = gate.exec(GATE_SERVICE, ["sh", "-c", SCRIPT],
                          env={"STACKCTL_CLI_TIMEOUT": "2"}, timeout=10)
    records, answered = parse_lengths(result.stdout)
    if answered != len(LISTS):
        raise ToolError(f"analytics backlog: {answered} of {len(LISTS)} lists answered")
    return records


@dataclass
class Drain:
    """What the backlog did: sampled while the pump was down, at its restart, and the
    time until it was empty (wall clock, time.time)."""

    samples: list[tuple[float, int]]
    at_restart: int | None = None
    restarted_at: float | None = None
    drained_at: float | None = None

    def as_dict(self, origin: float) -> dict[str, Any]:
        """JSON view, times as offsets from `origin`."""
        return drain_figures(self.samples, self.at_restart, self.restarted_at,
                             self.drained_at, origin)


def drain_figures(samples: Sequence[tuple[float, int]], at_restart: int | None,
                  restarted_at: float | None, drained_at: float | None,
                  origin: float) -> dict[str, Any]:
    """The backlog's peak, its size when the pump came back, how fast it grew while the
    pump was down (records/s between the first and last sample), and the drain time
    from the restart until the lists were empty (None: not within the wait)."""
    def off(t: float | None) -> float | None:
        return None if t is None else round(t - origin, 3)

    peak = max([n for _, n in samples] + ([at_restart] if at_restart is not None else []),
               default=None)
    growth = None
    if len(samples) >= 2 and samples[-1][0] > samples[0][0]:
        growth = round((samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0]), 1)
    drain = (None if restarted_at is None or drained_at is None
             else round(drained_at - restarted_at, 3))
    return {"max": peak, "at_restart": at_restart, "growth_per_s": growth,
            "restarted_s": off(restarted_at), "drained_s": off(drained_at),
            "drain_s": drain, "samples": len(samples)}


def wait_drained(gate: Exec, timeout: float = DRAIN_TIMEOUT_S) -> float | None:
    """Poll until the backlog is 0; when it was (time.time), None after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if read_backlog(gate) == 0:
                return time.time()
        except ToolError:
            pass
        time.sleep(POLL_S)
    return None
