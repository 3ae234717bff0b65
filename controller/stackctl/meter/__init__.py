"""What a load figure cost and who saturated: snapshots of the stack's counters and the
`Cost` between two of them. Reads through `runtime`; never imports an action."""

from stackctl.meter.commandstats import PROBE_COMMANDS
from stackctl.meter.cost import UPSTREAM_PORT, Cost, cost
from stackctl.meter.loadgen import (
    children_cpu_seconds,
    self_and_children_cpu_seconds,
    self_cpu_seconds,
)
from stackctl.meter.saturation import (
    CHURN_MAX,
    CORE_MAX,
    GATEWAY_SHARE_MAX,
    MACHINE_BUSY_MAX,
    SATURATIONS,
)
from stackctl.meter.snapshot import Snapshot

__all__ = ["CHURN_MAX", "CORE_MAX", "GATEWAY_SHARE_MAX", "MACHINE_BUSY_MAX",
           "PROBE_COMMANDS", "SATURATIONS", "UPSTREAM_PORT", "Cost", "Snapshot",
           "children_cpu_seconds", "cost", "self_and_children_cpu_seconds",
           "self_cpu_seconds"]
