"""Redis pool waits seen by the gateways: the tables' pool-timeout log lines."""

from __future__ import annotations

from stackctl.tyk.lookup import all_signatures


def pool_timeout_texts() -> tuple[str, ...]:
    """The gateway's pool-timeout log lines, from the tables."""
    return tuple(s.text for s in all_signatures("gateway") if s.meaning == "pool-timeout")


def count_pool_timeouts(log: str) -> int:
    """Log lines carrying a pool-timeout signature."""
    texts = pool_timeout_texts()
    return sum(1 for line in log.splitlines() if any(t in line for t in texts))

