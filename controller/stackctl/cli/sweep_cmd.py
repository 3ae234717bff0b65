"""`stackctl sweep`: load-test the Redis pool size on the running stack and recommend one."""

from __future__ import annotations

from pathlib import Path

import typer

from stackctl.cli._common import JSON_OPTION, print_json, running_context
from stackctl.sweep.points import SweepOptions, parse_list
from stackctl.sweep.run import run_sweep


def sweep(
    ctx: typer.Context,
    max_active: str = typer.Option(
        "1,2,4,8,16,64,256", "--max-active", help="Pool sizes to try (comma-separated; "
        "the stack's own pool joins them for the A/A pair)."),
    gateways: int = typer.Option(1, "--gateways", help="Gateway containers (swarm: gateway "
                                 "tasks) during the sweep."),
    duration: float = typer.Option(10.0, "--duration", help="Seconds of each load run (the "
                                   "steady check compares its first and last fifths)."),
    warmup: float = typer.Option(2.0, "--warmup", help="Seconds of load before each "
                                 "measured run (not measured)."),
    repeat: int = typer.Option(3, "--repeat", help="Repeats per point, run interleaved "
                               "(a 95% t-interval per point needs 2 or more)."),
    out: Path | None = typer.Option(None, "--out", help="Report directory "
                                    "(default <state_dir>/sweep)."),
    budget: float = typer.Option(3600.0, "--budget", help="Total time budget in seconds "
                                "(a resumed sweep goes on where it stopped)."),
    connections: int = typer.Option(64, "--connections", help="Closed-loop connections in "
                                    "total (shared among the gateways; swarm: among the "
                                    "load tasks)."),
    rate: float = typer.Option(200.0, "--rate", help="Fixed-rate run, requests/s (builtin, "
                               "from this host; swarm: through the local access proxy)."),
    idle_ab: bool = typer.Option(True, "--idle-ab/--no-idle-ab",
                                 help="Add the optimisation_max_idle A/B point."),
    aa: bool = typer.Option(True, "--aa/--no-aa", help="Run the stack's own pool twice "
                            "(A/A) to measure the noise the judgement uses."),
    target_rate: float | None = typer.Option(None, "--target-rate", help="Project to this "
                                             "production rate (req/s, over all gateways)."),
    target_gateways: int | None = typer.Option(None, "--target-gateways", help="Gateways "
                                               "in production for the projection (default "
                                               "--gateways)."),
    maxclients: int | None = typer.Option(None, "--maxclients", help="Production Redis "
                                          "maxclients per node for the projection "
                                          "(default: this stack's live value)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set optimisation_max_active (gateway and pump) point by point, interleaved over
    the repeats, load the gateway, and write a report with each point's interval, the A/A
    noise, the mechanism per Redis node (commands/s, µs per call, connections, pool
    timeouts), the knee by Little's law, a recommendation (the smallest safe pool
    indistinguishable from the best) and, with --target-rate, a projection. A sweep cut
    short resumes on rerun. On engine = swarm each point is deployed (only the gateway's
    and pump's tasks roll) and the closed-loop load comes from the load service's tasks."""
    options = SweepOptions(max_active=parse_list(max_active), gateways=gateways,
                           duration_s=duration, repeat=repeat, out=out, budget_s=budget,
                           connections=connections, rate=rate, warmup_s=warmup,
                           idle_ab=idle_ab, aa=aa, target_rate=target_rate,
                           target_gateways=target_gateways, maxclients=maxclients)
    options.validate()

    def say(line: str) -> None:
        typer.echo(line, err=as_json)

    step_ctx = running_context(ctx)
    report = run_sweep(step_ctx, options, say)
    if as_json:
        print_json(report)
        return
    rec = report["recommendation"]
    files = report["files"]
    typer.echo("")
    typer.echo("\n".join(rec["lines"]))
    if report.get("projection"):
        proj = report["projection"]
        typer.echo(f"projection at {proj['rate']:g} req/s over {proj['gateways']} "
                   f"gateway(s): optimisation_max_active = {proj['pool']}, worst case "
                   f"{proj['worst_case']} per node vs maxclients {proj['maxclients']}")
    if report.get("idle_ab"):
        typer.echo(f"optimisation_max_idle A/B: {report['idle_ab']['verdict']}")
    if not report["complete"]:
        typer.echo(f"incomplete: {report['stopped']} Rerun to resume.")
    typer.echo(f"report: {files['markdown']} (also {files['json']}, {files['plot']})")
