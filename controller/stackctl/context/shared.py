"""Other Tyk deployments on an external cluster, as pre-flight found them: this run's
finding (`up`), else the last `up`'s record in the state directory (`stackctl smoke`)."""

from __future__ import annotations

from stackctl.cluster.preflight import PREFLIGHT_FILE, SharedCluster
from stackctl.context.stack import StackContext
from stackctl.state import read_json


def shared_cluster(ctx: StackContext) -> SharedCluster | None:
    """What pre-flight found of other deployments; None outside external mode or unread."""
    if ctx.results.shared is not None:
        return ctx.results.shared
    if ctx.model.settings.redis.mode != "external":
        return None
    try:
        data = read_json(ctx.state_dir / PREFLIGHT_FILE)
    except (OSError, ValueError):
        return None
    return SharedCluster.from_dict(data.get("shared") if isinstance(data, dict) else None)
