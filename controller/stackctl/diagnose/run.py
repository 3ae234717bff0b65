"""Run a diagnosis: one probe container per component on the Redis network, the cluster's
own reports through its nodes, certificate checks on the PKI files, then the ranking."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stackctl.diagnose.causes import NO_CAUSE, Facts, Finding, rank
from stackctl.diagnose.config import ClientConfig, read_client
from stackctl.diagnose.probes import AddrProbe, parse_probe
from stackctl.diagnose.script import PROBE_SCRIPT
from stackctl.errors import ConfigError, ToolError
from stackctl.names import REDIS_NETWORK, ROLE_DIAGNOSE_PROBE, network_name, role_labels
from stackctl.runtime import load_wrapper
from stackctl.runtime.oneshot import run_oneshot
from stackctl.state import read_json
from stackctl.tyk.tables import SPECS

if TYPE_CHECKING:
    from stackctl.cluster.status import ClusterStatus
    from stackctl.context import StackContext

PROBE_DIR = "/opt/stackctl/probe"
"""Where stackctl's own client certificate is mounted in the probe."""
PROBE_LABELS = role_labels(ROLE_DIAGNOSE_PROBE)


@dataclass
class Diagnosis:
    """The ranked findings and the evidence they rest on."""

    findings: list[Finding]
    clients: list[ClientConfig]
    probes: dict[str, list[AddrProbe]]
    cluster: ClusterStatus | None
    errors: list[str] = field(default_factory=list)

    @property
    def top(self) -> Finding:
        """The most likely cause (or `none`)."""
        if self.findings:
            return self.findings[0]
        return Finding(NO_CAUSE.id, 0, "", NO_CAUSE.summary, NO_CAUSE.fix,
                       "every check passed")

    def as_dict(self) -> dict[str, Any]:
        """JSON view (no secrets)."""
        return {
            "cause": self.top.as_dict(),
            "findings": [f.as_dict() for f in self.findings],
            "components": {c.component: {"config": c.public(),
                                         "addrs": [vars(p) | {"speaks": p.speaks}
                                                   for p in self.probes.get(c.component, [])]}
                           for c in self.clients},
            "cluster": self.cluster.as_dict() if self.cluster is not None else None,
            "errors": self.errors,
        }


def _probe_mounts(ctx: StackContext, client: ClientConfig) -> list[tuple[str, str]]:
    """The component's own mounts that hold its TLS files, and stackctl's identity."""
    wanted = [p for p in (client.ca_file, client.cert_file, client.key_file) if p]
    mounts = [(m.source, m.target) for m in client.mounts
              if any(w == m.target or w.startswith(m.target + "/") for w in wanted)]
    certs = ctx.model.certs_dir
    for name in ("crt", "key"):
        path = certs / f"stackctl.{name}"
        if path.exists():
            mounts.append((str(path.resolve()), f"{PROBE_DIR}/id.{name}"))
    return mounts


def probe_client(ctx: StackContext, client: ClientConfig, image: str) -> list[AddrProbe]:
    """Run the probe script for `client` in a one-shot `image` container on the Redis network."""
    env = {"PROBE_ADDRS": " ".join(client.addrs), "PROBE_USER": client.username,
           "PROBE_TLS": "1" if client.use_ssl else "0",
           "PROBE_SKIP_VERIFY": "1" if client.skip_verify else "0",
           "PROBE_CA": client.ca_file, "PROBE_CERT": client.cert_file,
           "PROBE_KEY": client.key_file,
           "PROBE_ID_CERT": f"{PROBE_DIR}/id.crt", "PROBE_ID_KEY": f"{PROBE_DIR}/id.key"}
    network = network_name(ctx.model.settings.project, REDIS_NETWORK)
    result = run_oneshot(image, ["-c", PROBE_SCRIPT],
                         network, _probe_mounts(ctx, client), env,
                         stdin=(client.password.get_secret_value() + "\n").encode(),
                         entrypoint="bash", labels=PROBE_LABELS)
    if not result.ok and not result.stdout.strip():
        raise ToolError(f"diagnosis probe for {client.component}: "
                        f"{(result.stderr.strip().splitlines() or ['no output'])[0]}")
    return parse_probe(result.stdout, client.addrs)


def _cluster(ctx: StackContext) -> ClusterStatus | None:
    try:
        return ctx.cluster.status()
    except ToolError:
        return None


def diagnose_stack(ctx: StackContext) -> Diagnosis:
    """Probe every Redis-connected component of the rendered stack and rank the causes."""
    compose = read_json(ctx.compose_file)
    if not isinstance(compose, dict):
        raise ConfigError(str(ctx.compose_file), "no stack rendered here",
                          "run `stackctl up` first (or pass the same --config)")
    services = compose.get("services", {})
    present = [c for c in SPECS if c in services]
    image = str(services.get(ctx.model.nodes[0].name, {}).get("image", ""))
    clients = [read_client(ctx.state_dir, compose, c) for c in present]
    errors: list[str] = []

    def probe(client: ClientConfig) -> list[AddrProbe]:
        try:
            return probe_client(ctx, client, image)
        except ToolError as exc:
            errors.append(str(exc))
            return parse_probe("", client.addrs)

    load_wrapper()
    with ThreadPoolExecutor(max_workers=len(clients) + 1) as pool:
        cluster_future = pool.submit(_cluster, ctx)
        probes = dict(zip(present, pool.map(probe, clients), strict=True))
        cluster = cluster_future.result()
    facts = [Facts(ctx.model, c, probes[c.component], cluster) for c in clients]
    return Diagnosis(rank(facts), clients, {str(c): p for c, p in probes.items()}, cluster,
                     errors)
