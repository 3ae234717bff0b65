"""Little's law on the measured mechanism: the demand for connections per node (what the
gateway had in use at an unconstrained pool), which pools must wait, and the projection to
R req/s over G gateways against `maxclients`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stackctl.errors import ConfigError
from stackctl.sweep.recommend import GATEWAY_POOLS, formula, worst_case

HEADROOM = 2.0
"""The projected pool holds twice the projected commands in flight (bursts, and demand
spread unevenly over the gateway's pools)."""
MODEL = (
    "Little's law per Redis node: commands in flight = commands/s x time each command holds "
    "its connection. Commands/s per node = measured commands per request per node x the "
    "rate each gateway serves (R / G: the load spread evenly over the gateways). The hold "
    "time is this machine's: the connections the gateway had in use on the node at the "
    "largest safe pool (idle at most 2 s at the loop's end, median over its repeats: "
    "go-redis opens one only when none is idle and reuses the latest first, so that is "
    "the peak in flight, and a burst left idle is not counted) / that point's commands/s "
    "(an upper bound of the mean; Redis' own µs per call is the lower bound, the rest is "
    "the round trip). In flight spread over the gateway's "
    f"{GATEWAY_POOLS} pools: a pool of m waits for certain when in flight > "
    f"{GATEWAY_POOLS} x m; the projected pool is {HEADROOM:g} x that bound. Assumes the "
    "same API shape (commands per request), the same network round trip and Redis cost "
    "per command as here, and keys spread over the nodes as here.")


@dataclass(frozen=True)
class NodeDemand:
    """One node at the reference point: commands per request, commands/s per gateway,
    the gateway connections in use per gateway and the hold time they imply (µs)."""

    node: str
    commands_per_request: float
    commands_per_s: float
    connections: int
    hold_us: float
    redis_us: float


def demand(nodes: Mapping[str, Mapping[str, Any]], gateways: int) -> list[NodeDemand]:
    """Per node from a point's mechanism (`mechanism.point_nodes`), per gateway; nodes
    without commands are left out."""
    out = []
    for node, fig in sorted(nodes.items()):
        rate = float(fig["commands_per_s"]) / gateways
        conns = math.ceil(float(fig["in_use_connections"]) / gateways)
        if rate <= 0:
            continue
        out.append(NodeDemand(node, float(fig["commands_per_request"]), round(rate, 1),
                              conns, round(conns / rate * 1e6, 1),
                              float(fig["usec_per_call"])))
    return out


def must_wait(max_active: int, demands: list[NodeDemand]) -> bool:
    """Whether a pool of `max_active` is below the measured in flight on some node
    (more connections in use than the gateway's pools may hold)."""
    return any(d.connections > GATEWAY_POOLS * max_active for d in demands)


def pool_for(in_flight: float) -> tuple[int, int]:
    """The smallest pool that holds `in_flight` (no headroom) and the one with headroom."""
    bare = max(1, math.ceil(in_flight / GATEWAY_POOLS))
    return bare, max(1, math.ceil(HEADROOM * in_flight / GATEWAY_POOLS))


@dataclass(frozen=True)
class TargetLoad:
    """`--target-rate`, `--target-gateways` and `--maxclients` (None: the live one)."""

    rate: float
    gateways: int
    maxclients: int | None = None

    def validate(self) -> None:
        """ConfigError (exit 2, nothing run) on a value out of range."""
        if not self.rate > 0:
            raise ConfigError("--target-rate", f"{self.rate:g} is not above 0",
                              "give the production rate in requests per second, e.g. 5000")
        if self.gateways < 1:
            raise ConfigError("--target-gateways", f"{self.gateways} gateways",
                              "give the number of gateways in production, 1 or more")
        floor = worst_case(1, self.gateways)
        if self.maxclients is not None and self.maxclients <= floor:
            raise ConfigError("--maxclients", f"{self.maxclients} is at or below one "
                              f"connection per pool's worst case ({formula(1, self.gateways)})",
                              f"give more than {floor} (Redis maxclients per node)")


def project(demands: list[NodeDemand], target: TargetLoad, maxclients: int,
            here: bool = False) -> dict[str, Any]:
    """The projection at `target`, node by node, with its arithmetic. `here`: at the
    reference's own rate, where Little's law gives back what was measured, so the
    connections in use are the in flight (recomputing them from a request rate and a
    command rate averaged differently moved 4 in use to 3.9 or 4.2, and a pool across
    the rounding edge: benchmark runs recommended 2 and 4)."""
    per_gw = target.rate / target.gateways
    lines = [f"each gateway serves {target.rate:g} / {target.gateways} = {per_gw:.1f} req/s"]
    worst = 0.0
    for d in demands:
        rate = d.commands_per_request * per_gw
        little = rate * d.hold_us / 1e6
        flight = float(d.connections) if here else little
        worst = max(worst, flight)
        lines.append(f"{d.node}: {d.commands_per_request:.3f} commands/request x "
                     f"{per_gw:.1f} req/s = {rate:.1f} commands/s x {d.hold_us:.0f} µs "
                     f"held = {little:.2f} in flight per gateway"
                     + (f"; taken as {flight:g}, the connections measured in use at this "
                        "rate" if here else "")
                     + f" (in Redis: {rate * d.redis_us / 1e6:.3f})")
    bare, pool = pool_for(worst)
    wc = worst_case(pool, target.gateways)
    fits = wc < maxclients
    lines.append(f"pool: in flight {worst:.2f} / {GATEWAY_POOLS} pools -> at least {bare}; "
                 f"x {HEADROOM:g} headroom -> optimisation_max_active = {pool}")
    lines.append(f"worst case per node {formula(pool, target.gateways)} "
                 f"{'<' if fits else '>='} maxclients {maxclients}"
                 f"{'' if fits else ': raise maxclients or add Redis nodes'}")
    return {"rate": target.rate, "gateways": target.gateways, "maxclients": maxclients,
            "in_flight_per_node": round(worst, 2), "min_pool": bare, "pool": pool,
            "worst_case": wc, "fits": fits, "model": MODEL, "lines": lines}
