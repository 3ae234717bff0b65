"""`stackctl lint`: check Tyk configs (JSON or env files) against the Tyk tables."""

from __future__ import annotations

from pathlib import Path

import typer

from stackctl.cli._common import JSON_OPTION, print_json, settings_for

PATHS_ARG = typer.Argument(..., help="tyk.conf, pump.conf, tyk_analytics.conf or env files,"
                           " linted together.")
VERSION_OPTION = typer.Option(None, "--version", help="Gateway/dashboard release to check"
                              " against (default: this stack's).")
PUMP_VERSION_OPTION = typer.Option(None, "--pump-version",
                                   help="Pump release (default: this stack's).")
CONCURRENCY_OPTION = typer.Option(64, "--concurrency", min=1, max=100_000,
                                  help="Requests a gateway is expected to have in flight to "
                                  "one upstream (checks max_idle_connections_per_host).")
AGAINST_OPTION = typer.Option(False, "--against-stack", help="Compare node lists with this"
                              " stack's Redis nodes (from the settings).")


def lint(
    ctx: typer.Context,
    paths: list[Path] = PATHS_ARG,
    as_json: bool = JSON_OPTION,
    version: str | None = VERSION_OPTION,
    pump_version: str | None = PUMP_VERSION_OPTION,
    against_stack: bool = AGAINST_OPTION,
    concurrency: int = CONCURRENCY_OPTION,
) -> None:
    """Report wrong or inert names, drift, and cluster pitfalls. Exit 1 on any error."""
    from stackctl.errors import ConfigError
    from stackctl.model import build_model
    from stackctl.tyk.lint.run import has_errors, lint_paths
    from stackctl.tyk.releases import looks_like_release
    from stackctl.versions import GATEWAY_MODULE, PUMP_MODULE

    gateway = version or GATEWAY_MODULE.release
    pump = pump_version or PUMP_MODULE.release
    for flag, value in (("--version", gateway), ("--pump-version", pump)):
        if not looks_like_release(value):
            raise ConfigError(flag, f"{value!r} is not a release", "give e.g. v5.8.15")
    expected = build_model(settings_for(ctx)).addrs if against_stack else None
    findings = lint_paths(paths, {"gateway": gateway, "pump": pump, "dashboard": gateway},
                          expected, concurrency)
    if as_json:
        print_json({"findings": [f.as_dict() for f in findings]})
    else:
        for f in findings:
            typer.echo(f"{f.file}: {f.severity}: {f.message} ({f.suggestion})")
        if not findings:
            typer.echo("no findings")
    if has_errors(findings):
        raise typer.Exit(1)
