"""`stackctl smoke`: load through the gateway, with checks and objectives."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from stackctl.cli._common import JSON_OPTION, print_json, running_context
from stackctl.errors import ConfigError
from stackctl.smoke.options import SmokeOptions
from stackctl.smoke.run import run_smoke
from stackctl.smoke.slo import parse_slos
from stackctl.state import atomic_write


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
    engine: str | None = typer.Option(
        None, "--engine", help="builtin | wrk (default: builtin from this host; on "
        "engine = swarm wrk from the load service's tasks, builtin from this host through "
        "the access proxy)."),
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
    saturated. Exits 1 when a check or an objective fails. The same checks and report on
    both engines; on swarm the default load is wrk from the load service's tasks."""
    options = SmokeOptions(duration_s=duration, connections=connections, rate=rate,
                           keys=keys, engine=engine, slos=parse_slos(slo))
    options.validate()
    step_ctx = running_context(ctx)
    report = run_smoke(step_ctx, options)
    if markdown is not None:
        try:
            atomic_write(markdown, report.markdown() + "\n")
        except OSError as exc:
            raise ConfigError("--markdown", f"cannot write {markdown} ({exc.strerror})",
                              "give a writable path") from None
    if as_json:
        print_json(report.as_dict())
    else:
        report.print(Console())
    if not report.passed:
        raise typer.Exit(1)

