"""`stackctl smoke`: load through the gateway, with checks and objectives."""

from __future__ import annotations

import typer

from stackctl.cli._common import JSON_OPTION, print_json


def smoke(
    ctx: typer.Context,
    duration: float = typer.Option(5.0, "--duration", help="Seconds of load."),
    connections: int = typer.Option(16, "--connections", help="Concurrent connections."),
    rate: float | None = typer.Option(
        None, "--rate", help="Requests/s (0: flat out; default 500 builtin, 0 wrk)."),
    keys: int | None = typer.Option(
        None, "--keys", help="API keys (a third rate-limited; default max(10, 3 x shards))."),
    engine: str = typer.Option("builtin", "--engine", help="builtin | wrk"),
    slo: list[str] = typer.Option(
        [], "--slo", help="Objective, e.g. p99<50ms, success>=99.9%, rps>=1000 (repeatable)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Send real, keyed load through the gateway and verify auth, rate limits, Redis,
    health and analytics. Exits 1 when a check or an objective fails."""
    from stackctl.cli.stack_cmd import _context
    from stackctl.smoke.run import SmokeOptions, run_smoke
    from stackctl.smoke.slo import parse_slos

    options = SmokeOptions(duration_s=duration, connections=connections, rate=rate,
                           keys=keys, engine=engine, slos=parse_slos(slo))
    options.validate()
    report = run_smoke(_context(ctx), options)
    if as_json:
        print_json(report.as_dict())
    else:
        from rich.console import Console

        report.print(Console())
    if not report.passed:
        raise typer.Exit(1)
