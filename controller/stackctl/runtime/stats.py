"""Containers' CPU and memory right now (`docker stats --no-stream`)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from stackctl.runtime._client import docker_client, tool_errors

_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


@dataclass(frozen=True)
class ContainerStats:
    """One container's CPU (percent of one core) and memory in use (bytes)."""

    name: str
    cpu_percent: float
    mem_bytes: int


def parse_size(text: str) -> int:
    """`45.6MiB` -> bytes (0 when unreadable)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]+)\s*", text)
    if not match:
        return 0
    return int(float(match.group(1)) * _UNITS.get(match.group(2).lower(), 0))


def parse_stats(text: str) -> list[ContainerStats]:
    """`docker stats --format '{{json .}}'` output, one object per line."""
    out = []
    for line in text.splitlines():
        if not line.strip().startswith("{"):
            continue
        row = json.loads(line)
        cpu = str(row.get("CPUPerc", "0")).rstrip("%") or "0"
        used = str(row.get("MemUsage", "")).split("/")[0]
        out.append(ContainerStats(str(row.get("Name", "")), float(cpu), parse_size(used)))
    return out


def container_stats(names: Sequence[str]) -> list[ContainerStats]:
    """One `docker stats --no-stream` sample of the named containers (about 2 s)."""
    from python_on_whales.utils import run

    if not names:
        return []
    cmd = [*docker_client().client_config.docker_cmd, "stats", "--no-stream",
           "--format", "{{json .}}", *names]
    with tool_errors("docker stats"):
        out = run(cmd)
    return parse_stats(str(out))
