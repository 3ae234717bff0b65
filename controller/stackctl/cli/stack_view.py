"""Human views of `up` and `status`, each built from the document its `--json` prints."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

TOTAL_SLOTS = 16384


def console() -> Console:
    """stdout; a pipe gets wide lines instead of rich's 80 columns."""
    return Console(width=None if sys.stdout.isatty() else 200, highlight=False)


def _services(services: list[dict[str, Any]]) -> Table:
    table = Table("service", "state", "health", "running", "detail", box=None,
                  pad_edge=False)
    for s in services:
        table.add_row(Text(s["service"]), Text(s["state"]), Text(s["health"] or "-"),
                      Text(f"{s['running']}/{s['wanted']}"), Text(s["detail"]))
    return table


def _cluster_line(summary: dict[str, Any]) -> Text:
    return Text(f"cluster  {summary['state']}: {summary['slots_covered']}/{TOTAL_SLOTS} slots "
                f"covered, {summary['primaries']} primaries, {summary['replicas']} replicas")


def _nodes(nodes: list[dict[str, Any]]) -> Table:
    """One row per node: role (a replica names its primary), slots, links, memory."""
    names = {n["id"]: n["name"] for n in nodes if n["id"]}
    table = Table("node", "address", "role", "slots", "links", "primary link", "memory",
                  box=None, pad_edge=False)
    for n in nodes:
        role = n["role"]
        if role == "replica" and n["master_id"]:
            role = f"replica of {names.get(n['master_id'], n['master_id'][:8])}"
        slots = str(n["slots"]) if n["role"] == "primary" else "-"
        links = n["links"] + (f" ({n['error']})" if n.get("error") else "")
        table.add_row(Text(n["name"]), Text(n["addr"]), Text(role), Text(slots),
                      Text(links), Text(n["master_link"] or "-"), Text(n["memory"] or "-"))
    return table


def status_view(data: dict[str, Any]) -> RenderableType:
    """`stackctl status` from its JSON document."""
    gateway = data["gateway"]
    gw = (Text(f"gateway  {gateway['version']}, Redis {gateway['redis']}")
          if gateway.get("version") else Text(f"gateway  unreachable (Redis {gateway['redis']})"))
    parts: list[RenderableType] = [_services(data["services"]), Text(""),
                                   _cluster_line(data["cluster"]), _nodes(data["nodes"])]
    parts += [Text(f"  problem: {p}") for p in data.get("problems", [])]
    parts += [Text(""), gw, Text("healthy" if data["healthy"] else "UNHEALTHY",
                                 style="green" if data["healthy"] else "bold red")]
    return Group(*parts)


def up_view(project: str, seconds: float, summary: dict[str, Any]) -> RenderableType:
    """The end of `stackctl up` from its JSON result's fields."""
    gateway = summary.get("gateway") or {}
    rows = [("gateway", f"{summary['gateway_url']}  (/hello; /smoke/ with the key)")]
    if gateway.get("version"):
        rows.append(("", f"{gateway['version']}, Redis {gateway.get('redis', '?')}"))
    if summary.get("dashboard_url"):
        rows.append(("dashboard", f"{summary['dashboard_url']}  (admin: see the last "
                                  "credentials file)"))
    rows.append(("credentials", ", ".join(summary["credentials"]) + "  (0600; never printed)"))
    rows += [("next" if i == 0 else "", step) for i, step in enumerate(summary["next"])]
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return Group(Text(""), Text.assemble(("Stack ", "bold"), (project, "bold"),
                                         (" is up", "bold"), f" ({seconds:.1f}s)"), table)
