"""`stackctl drill`: faults under load on the running stack, measured from the client's
side and the cluster's, the stack restored after each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from stackctl.cli._common import JSON_OPTION, print_json, running_context
from stackctl.drill.options import DrillOptions
from stackctl.drill.report import HEADER, VARY_HEADER, comparison_rows, gateway_line, rows
from stackctl.drill.run import check_present, run_drill
from stackctl.drill.scenarios import scenarios
from stackctl.drill.slo import parse_slos
from stackctl.drill.vary import best_line, image_line, parse_varies


def drill(
    ctx: typer.Context,
    scenario: list[str] = typer.Argument(
        None, help="Scenarios (default kill-primary): kill-primary, stop-primary, "
        "pause-primary, partition-primary, failover, kill-replica, restart-gateway, "
        "stop-pump."),
    rate: float = typer.Option(200.0, "--rate", help="Requests/s through the gateway "
                               "(open model, keyed)."),
    duration: float = typer.Option(30.0, "--duration", help="Seconds of load per run."),
    at: float = typer.Option(8.0, "--at", help="Seconds into the load when the fault "
                             "comes (inside --duration)."),
    repeat: int = typer.Option(1, "--repeat", help="Runs per scenario."),
    out: Path | None = typer.Option(None, "--out", help="Report directory "
                                    "(default <state_dir>/drill)."),
    slo: list[str] = typer.Option(
        [], "--slo", help="Objective, e.g. error_window<=10s, recovery<=15s, "
        "p99_recovery<=20s, lost<=0 (repeatable; a miss exits 1)."),
    vary: list[str] = typer.Option(
        [], "--vary", help="SETTING=LIST: re-run the scenarios per value (repeatable: "
        "every combination), e.g. redis.node_timeout_ms=2000,5000,15000, "
        "gateway.max_active=50,500, gateway.storage_timeout_s=1,5, "
        "gateway.local_session_cache=on,off, images.gateway=IMAGE1,IMAGE2 (the gateways "
        "recreated with each image, which must be present); the stack's own values are "
        "put back."),
    allow_data_loss: bool = typer.Option(
        False, "--allow-data-loss", help="Allow a primary fault on a cluster with 0 "
        "replicas."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Inject a fault (a primary killed, stopped, paused, partitioned or failed over; a
    replica killed; the gateway restarted; the pump stopped) under constant-rate keyed
    load and measure what the clients saw: outcomes per 100 ms, the client error
    window, p99 recovery, the cluster's own recovery, log signatures, analytics lost
    (and the pump's backlog and drain) and keys still valid; the stack is restored after
    each scenario, also when interrupted. A rate the load cannot hold is refused before
    the fault (exit 2). --vary compares settings. Exits 1 when an objective is missed."""
    options = DrillOptions(scenarios=tuple(scenario or ()), rate=rate, duration_s=duration,
                           at_s=at, repeat=repeat, out=out, slos=parse_slos(slo),
                           allow_data_loss=allow_data_loss, varies=parse_varies(vary))
    scenarios(options.scenarios)
    options.validate()
    check_present(options)

    def say(line: str) -> None:
        typer.echo(line, err=True)

    step_ctx = running_context(ctx)
    report = run_drill(step_ctx, options, say)
    if as_json:
        print_json(report)
    else:
        _print(report)
    if not report["passed"]:
        raise typer.Exit(1)


def _print(report: dict[str, Any]) -> None:

    table = Table(title=f"stackctl drill: {report['project']}",
                  caption=gateway_line(report.get("gateway"), report.get("release", "")))
    for h in HEADER:
        table.add_column(h)
    for r in rows(report):
        table.add_row(*(c.replace("**", "") for c in r))
    console = Console(width=max(Console().width, 180))
    console.print(table)
    for run in report["runs"]:
        for f in run.get("findings", []):
            console.print(f"{run['scenario']} #{run['repeat']}: finding: {f['text']}")
        for r in run["slo"]:
            if not r["passed"]:
                console.print(f"{run['scenario']} #{run['repeat']}: objective {r['slo']} "
                              f"missed ({r['value']})")
    if "comparison" in report:
        vt = Table(title="--vary: client error window against the cluster's recovery")
        for h in VARY_HEADER:
            vt.add_column(h)
        for r in comparison_rows(report):
            vt.add_row(*r)
        console.print(vt)
        for sc, best in report["comparison"]["best"].items():
            console.print(best_line(sc, best))
        for entry in report["comparison"].get("images", []):
            console.print(image_line(entry))
    console.print(f"report: {report['files']['markdown']} (also {report['files']['json']}"
                  ", a PNG per run)")
