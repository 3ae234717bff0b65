"""`stackctl smoke`: load through the gateway, with checks and objectives."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from stackctl.cli._common import JSON_OPTION, print_json

if TYPE_CHECKING:
    from stackctl.context import StackContext
    from stackctl.smoke.run import SmokeOptions


def smoke(
    ctx: typer.Context,
    duration: float = typer.Option(
        20.0, "--duration", help="Seconds of load (the steady check compares its first "
        "and last fifths)."),
    connections: int = typer.Option(16, "--connections", help="Concurrent connections."),
    rate: float | None = typer.Option(
        None, "--rate", help="Requests/s (0: flat out; default 500 builtin, 0 wrk)."),
    keys: int | None = typer.Option(
        None, "--keys", help="API keys (a third rate-limited; default max(18, 6 x shards))."),
    engine: str = typer.Option("builtin", "--engine", help="builtin | wrk"),
    slo: list[str] = typer.Option(
        [], "--slo", help="Objective, e.g. p99<50ms, success>=99.9%, rps>=1000 (repeatable; "
        "without a p99 one, p99<=250ms applies)."),
    markdown: Path | None = typer.Option(
        None, "--markdown", help="Also write the report as Markdown to this file."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Send real, keyed load through the gateway and verify auth, rate limits, Redis,
    health, analytics, a steady state and connection reuse, with what each request cost
    (gateway CPU, Redis commands, new connections, the load generator's CPU) and who
    saturated. Exits 1 when a check or an objective fails."""
    from stackctl.cli.stack_cmd import _context
    from stackctl.smoke.run import SmokeOptions, run_smoke
    from stackctl.smoke.slo import parse_slos

    options = SmokeOptions(duration_s=duration, connections=connections, rate=rate,
                           keys=keys, engine=engine, slos=parse_slos(slo))
    options.validate()
    step_ctx = _context(ctx)
    if step_ctx.model.settings.engine == "swarm":
        _swarm_smoke(step_ctx, options, as_json)
        return
    report = run_smoke(step_ctx, options)
    if markdown is not None:
        from stackctl.errors import ConfigError
        from stackctl.state import atomic_write

        try:
            atomic_write(markdown, report.markdown() + "\n")
        except OSError as exc:
            raise ConfigError("--markdown", f"cannot write {markdown} ({exc.strerror})",
                              "give a writable path") from None
    if as_json:
        print_json(report.as_dict())
    else:
        from rich.console import Console

        report.print(Console())
    if not report.passed:
        raise typer.Exit(1)


def _swarm_smoke(step_ctx: StackContext, options: SmokeOptions, as_json: bool) -> None:
    """engine = swarm: wrk from the load service's tasks (see smoke.swarm_run)."""
    from stackctl.smoke.run import default_keys
    from stackctl.smoke.swarm_run import run_swarm_smoke

    keys = min(options.keys or default_keys(step_ctx.model.settings.redis.shards), 64)
    report = run_swarm_smoke(step_ctx, options.duration_s, options.connections,
                             options.rate or 0.0, keys)
    if as_json:
        print_json(report.as_dict())
    else:
        typer.echo(report.summary())
        for check in report.checks:
            typer.echo(f"  {'ok  ' if check['passed'] else 'FAIL'} {check['name']}: "
                       f"{check['detail']}")
        for line in report.cost_lines():
            typer.echo(f"  {line}")
        if report.not_checked:
            typer.echo("  not checked: " + "; ".join(report.not_checked))
    if not report.passed:
        raise typer.Exit(1)
