"""External Redis: reach the existing cluster through the user's network, read its
topology and record it, so the render step gives every Tyk component every node (or only
the configuration endpoint). Bad input (no such network, no answer, not a cluster) is one
line, exit 2, before any container of the stack starts."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

from stackctl.cluster import preflight as pf
from stackctl.cluster.external import (
    Discovery,
    Runner,
    discover,
    discovery_problem,
    oneshot_runner,
    probe_preflight,
    runtime_records,
    watch_for,
)
from stackctl.cluster.external_access import BASELINE_FILE
from stackctl.cluster.preflight import PREFLIGHT_FILE
from stackctl.cluster.tls_check import relay_opener, verify
from stackctl.context import StackContext
from stackctl.errors import ConfigError, ConfigErrors, ToolError
from stackctl.images.select import stack_images
from stackctl.model import TOPOLOGY_FILE
from stackctl.runtime.engine import network_exists
from stackctl.state import atomic_write_json
from stackctl.tyk.support import sliding_log_refuses, target_versions
from stackctl.versions import SUPPORT_MATRIX, parse_release


class ExternalRedis:
    """Discovery (`cluster.external`) from a one-shot probe container."""

    name = "external-redis"

    def run(self, ctx: StackContext) -> str:
        settings = ctx.model.settings
        ext = settings.redis.external
        if not network_exists(ext.network):
            raise ConfigError(f"redis.external.network = {ext.network}",
                              "no such Docker network",
                              "name one that reaches the cluster (`docker network ls`)")
        run = oneshot_runner(stack_images(settings)["redis"], ext.network)
        found = discover(ext, ctx.secrets.redis_password.get_secret_value(), run)
        problem = discovery_problem(found)
        if problem is not None:
            raise problem
        assert found.topology is not None
        topology = found.topology
        findings, shared = _preflight(ctx, found, run)
        ctx.results.shared = shared
        atomic_write_json(ctx.state_dir / PREFLIGHT_FILE,
                          {"findings": [f.as_dict() for f in findings],
                           "shared": shared.as_dict()})
        failed = pf.failures(findings)
        if failed:
            raise ConfigErrors(failed)
        atomic_write_json(ctx.state_dir / TOPOLOGY_FILE, topology.as_dict())
        baseline = ctx.state_dir / BASELINE_FILE
        if not baseline.exists():  # the stack's first up: what Tyk's records were before
            atomic_write_json(baseline, {"existing": runtime_records(
                ext, ctx.secrets.redis_password.get_secret_value(), run, topology.addrs)})
        ctx.model = dataclasses.replace(ctx.model, topology=tuple(topology.addrs))
        given = ("the configuration endpoint only" if ext.use_configuration_endpoint
                 else f"{len(topology.addrs)} addrs")
        warned = [f"{f.check}: {f.detail}" for f in findings if f.status == "warn"]
        return (f"{topology.source} ({topology.command}, Redis {topology.version}): "
                f"{len(topology.primaries)} primaries + {len(topology.replicas)} replicas "
                f"[{' '.join(topology.addrs)}]; Tyk gets {given}; pre-flight "
                f"{sum(f.status == 'pass' for f in findings)}/{len(findings)} pass"
                + "".join(f"; warn {w}" for w in warned))


def _preflight(ctx: StackContext, found: Discovery, run: Runner
               ) -> tuple[list[pf.Finding], pf.SharedCluster]:
    """Every pre-flight finding against the live cluster (`cluster.preflight`), and what
    it found of other Tyk deployments."""
    settings = ctx.model.settings
    ext = settings.redis.external
    assert found.topology is not None
    topology = found.topology
    gateways, pump = _own_running(ctx)
    probe = probe_preflight(ext, ctx.secrets.redis_password.get_secret_value(), run,
                            topology.addrs, pf.dryrun_commands(), watch_for(gateways, pump))
    shared = pf.assess_shared(probe, gateways, pump)
    tyk, _ = target_versions(settings)
    release = parse_release(tyk)
    lines = next((row.redis_lines for row in SUPPORT_MATRIX if release >= row.tyk_min
                  and (row.tyk_max is None or release <= row.tyk_max)), ())
    return [pf.reachable(topology, probe), pf.cluster_enabled(probe),
            pf.version(probe, tyk, lines, settings.allow_unsupported),
            pf.tls(ext, found, probe), pf.acl(ext.user, probe),
            pf.maxclients(probe, pf.worst_case(settings, len(topology.nodes))),
            pf.slots(found), pf.node_list(ext, topology),
            pf.shared_cluster(probe, gateways, pump, shared,
                              sliding_log_refuses(settings, ext.tls)),
            *([pf.tls_names(_tls_names(ctx, topology.addrs))]
              if ext.tls in ("tls", "mtls") and all(n.reachable for n in probe.nodes)
              else [])], shared


def _own_running(ctx: StackContext) -> tuple[int, bool]:
    """This stack's gateway containers or tasks running now (a re-up: they subscribe to
    the DRL channel too) and whether its pump runs (it drains the analytics lists); none
    when the engine cannot tell."""
    try:
        rows = ctx.engine.services()
    except ToolError:
        return 0, False
    own = set(ctx.engine.gateway_services())
    return (sum(r.running for r in rows if r.service in own),
            any(r.running for r in rows if r.service == "pump"))


def _tls_names(ctx: StackContext, nodes: list[str]) -> dict[str, str]:
    """Go's TLS check against every address Tyk dials: the configured ones and every node's."""
    settings = ctx.model.settings
    ext = settings.redis.external
    opener = relay_opener(stack_images(settings)["redis"], ext.network)
    addrs = list(dict.fromkeys([*ext.addrs, *nodes]))

    def one(addr: str) -> str:
        return verify(addr, ext.ca_file, opener, ext.cert_file, ext.key_file)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(addrs, pool.map(one, addrs), strict=True))
