"""Who saturated during a load run: the first rule that holds, in order, with a sentence
for every rule that holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CHURN_MAX = 0.05
"""New outbound connections per request above which the gateway is churning connections
instead of reusing them: with Go's default of 2 idle upstream connections (Tyk's
`max_idle_connections_per_host` unset) it opens about one per request, and TIME_WAIT
sockets pile up until throughput collapses (tyk-facts §11). Reused pools, healthchecks
included, stay far below 0.01."""
CORE_MAX = 0.9
"""Cores of one single-threaded process at which it is the bottleneck: a Redis node's
main thread, the load generator's event loop (Python's GIL keeps the builtin engine on
one core)."""
GATEWAY_SHARE_MAX = 0.9
"""Fraction of all the machine's cores at which the gateway (Go, every core) is
CPU-bound."""
MACHINE_BUSY_MAX = 90.0
"""Percent of all cores busy at which the machine itself is the limit, whoever uses it."""

SATURATIONS = ("redis-pool", "upstream-connections", "redis", "load-generator",
               "gateway-cpu", "machine", "none")
"""The verdicts, in the order their rules are tried."""


@dataclass(frozen=True)
class Load:
    """The figures the rules read; None where a reading was unavailable."""

    pool_timeouts: int
    new_connections_per_request: float | None
    redis_cores_per_node: Mapping[str, float]
    loadgen_cores: float | None
    gateway_cores: float | None
    cores: int
    machine_busy_pct: float | None
    shares_pct: Mapping[str, float]


def judge(load: Load) -> tuple[str, tuple[str, ...]]:
    """(verdict, reasons): the first rule that holds names it; each holding rule adds a sentence."""
    found: list[tuple[str, str]] = []
    if load.pool_timeouts > 0:
        found.append(("redis-pool", f"{load.pool_timeouts} Redis pool timeouts in the "
                      "gateway log: its connection pool to Redis ran dry"))
    churn = load.new_connections_per_request
    if churn is not None and churn > CHURN_MAX:
        found.append(("upstream-connections", f"the gateways opened {churn:.3f} new "
                      f"connections per request (over {CHURN_MAX}): connections are "
                      "not reused"))
    if load.redis_cores_per_node:
        node, cores = max(load.redis_cores_per_node.items(), key=lambda kv: kv[1])
        if cores >= CORE_MAX:
            found.append(("redis", f"Redis node {node} used {cores:.2f} core "
                          f"(at least {CORE_MAX}): its single thread is the limit"))
    if load.loadgen_cores is not None and load.loadgen_cores >= CORE_MAX:
        found.append(("load-generator", f"the load generator used {load.loadgen_cores:.2f} "
                      f"core (at least {CORE_MAX}): it, not Tyk, set the pace"))
    gateway_max = GATEWAY_SHARE_MAX * load.cores
    if load.gateway_cores is not None and load.gateway_cores >= gateway_max:
        found.append(("gateway-cpu", f"the gateways used {load.gateway_cores:.2f} of "
                      f"{load.cores} cores (at least {gateway_max:.1f})"))
    busy = load.machine_busy_pct
    if busy is not None and busy >= MACHINE_BUSY_MAX:
        found.append(("machine", f"the machine was {busy:.0f}% busy (at least "
                      f"{MACHINE_BUSY_MAX:.0f}%): {shares_text(load.shares_pct)}"))
    if found:
        return found[0][0], tuple(reason for _, reason in found)
    return "none", (f"no limit reached: {_figures(load)}",)


def shares_text(shares: Mapping[str, float]) -> str:
    """`gateway 39%, Redis 12%, load generator 10%, other 10%`."""
    return ", ".join(f"{SHARE_LABELS.get(k, k)} {v:.0f}%" for k, v in shares.items())


SHARE_LABELS = {"gateway": "gateway", "redis": "Redis", "load-generator": "load generator",
                "other": "other"}


def _figures(load: Load) -> str:
    parts = []
    if load.new_connections_per_request is not None:
        parts.append(f"{load.new_connections_per_request:.3f} new connections/request")
    if load.redis_cores_per_node:
        parts.append(f"busiest Redis node {max(load.redis_cores_per_node.values()):.2f} core")
    if load.loadgen_cores is not None:
        parts.append(f"load generator {load.loadgen_cores:.2f} core")
    if load.gateway_cores is not None:
        parts.append(f"gateways {load.gateway_cores:.2f} of {load.cores} cores")
    if load.machine_busy_pct is not None:
        parts.append(f"machine {load.machine_busy_pct:.0f}% busy")
    return ", ".join(parts) or "no figures"
