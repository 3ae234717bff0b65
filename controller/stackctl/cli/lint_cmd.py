"""`stackctl lint`: check Tyk configs (JSON or env files) against the Tyk tables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from stackctl.cli._common import JSON_OPTION, print_json, settings_for
from stackctl.cluster.external import discover, discovery_problem, oneshot_runner
from stackctl.errors import ConfigError
from stackctl.images.select import stack_images
from stackctl.model import build_model
from stackctl.runtime.engine import network_exists
from stackctl.secrets import load_secrets
from stackctl.settings import ADDR_PATTERN
from stackctl.tyk.lint.run import has_errors, lint_paths
from stackctl.tyk.releases import looks_like_release
from stackctl.tyk.support import gateway_release, pump_release

if TYPE_CHECKING:
    from stackctl.cluster.topology import Topology

PATHS_ARG = typer.Argument(..., help="tyk.conf, pump.conf, tyk_analytics.conf or env files,"
                           " linted together.")
VERSION_OPTION = typer.Option(None, "--version", help="Gateway/dashboard release to check"
                              " against (default: this stack's gateway image's, read from "
                              "its labels or tag).")
PUMP_VERSION_OPTION = typer.Option(None, "--pump-version",
                                   help="Pump release (default: this stack's).")
CONCURRENCY_OPTION = typer.Option(64, "--concurrency", min=1, max=100_000,
                                  help="Requests a gateway is expected to have in flight to "
                                  "one upstream (checks max_idle_connections_per_host).")
AGAINST_OPTION = typer.Option(False, "--against-stack", help="Compare node lists with this"
                              " stack's Redis nodes (from the settings).")
LIVE_OPTION = typer.Option(None, "--against", metavar="HOST:PORT",
                           help="Compare node lists and flags with the live cluster at "
                           "HOST:PORT, reached through redis.external.network with its tls, "
                           "CA, client certificate and user (password: the secrets file).")


def lint(
    ctx: typer.Context,
    paths: list[Path] = PATHS_ARG,
    as_json: bool = JSON_OPTION,
    version: str | None = VERSION_OPTION,
    pump_version: str | None = PUMP_VERSION_OPTION,
    against_stack: bool = AGAINST_OPTION,
    against: str | None = LIVE_OPTION,
    concurrency: int = CONCURRENCY_OPTION,
) -> None:
    """Report wrong or inert names, drift, and cluster pitfalls. Exit 1 on any error."""
    settings = settings_for(ctx)
    gateway = version or gateway_release(settings)
    pump = pump_version or pump_release(settings)
    for flag, value in (("--version", gateway), ("--pump-version", pump)):
        if not looks_like_release(value):
            raise ConfigError(flag, f"{value!r} is not a release", "give e.g. v5.8.15")
    expected = build_model(settings).addrs if against_stack else None
    live = _live_topology(ctx, against) if against else None
    findings = lint_paths(paths, {"gateway": gateway, "pump": pump, "dashboard": gateway},
                          expected, concurrency, live)
    if as_json:
        print_json({"findings": [f.as_dict() for f in findings]})
    else:
        for f in findings:
            typer.echo(f"{f.file}: {f.severity}: {f.message} ({f.suggestion})")
        if not findings:
            typer.echo("no findings")
    if has_errors(findings):
        raise typer.Exit(1)


def _live_topology(ctx: typer.Context, against: str) -> tuple[Topology, str, bool]:
    """The live topology at `against` (HOST:PORT), read by the probe container on
    redis.external.network; bad input (no network, no answer, not a cluster) exits 2."""

    if not re.match(ADDR_PATTERN, against):
        raise ConfigError(f"--against {against}", "is not HOST:PORT",
                          "give a node or the configuration endpoint, e.g. clustercfg:6379")
    settings = settings_for(ctx)
    ext = settings.redis.external.model_copy(update={"addrs": [against]})
    if not ext.network or not network_exists(ext.network):
        raise ConfigError(f"redis.external.network = {ext.network or '(empty)'}",
                          "no such Docker network",
                          "name the network that reaches the cluster (`docker network ls`)")
    password = load_secrets(settings.state_dir, create=False).redis_password.get_secret_value()
    found = discover(ext, password, oneshot_runner(stack_images(settings)["redis"],
                                                   ext.network))
    problem = discovery_problem(found)
    if problem is not None:
        raise problem
    assert found.topology is not None
    return found.topology, against, ext.tls != "off"
