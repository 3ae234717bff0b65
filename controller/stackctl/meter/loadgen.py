"""The load generator's own CPU seconds (user + system), for `read_snapshot`."""

from __future__ import annotations

import resource


def self_cpu_seconds() -> float:
    """This process's CPU seconds, every thread (the in-process load engine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu_seconds() -> float:
    """CPU seconds of this process's exited and waited-for children (wrk run to completion)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_and_children_cpu_seconds() -> float:
    """Both of the above."""
    return self_cpu_seconds() + children_cpu_seconds()
