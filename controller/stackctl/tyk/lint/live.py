"""`stackctl lint --against HOST:PORT`: each component's node list and flags compared with
the live topology (`cluster.topology`, read through the probe container): missing and
stale nodes, a configuration endpoint given instead of nodes, enable_cluster and use_ssl
that do not match the server."""

from __future__ import annotations

from collections.abc import Sequence

from stackctl.cluster.topology import Topology
from stackctl.tyk.lint.findings import Finding, finding
from stackctl.tyk.lint.views import View


def _aliases(topology: Topology) -> dict[str, str]:
    """Every way a config may name a node (endpoint, IP, hostname, port) -> its endpoint."""
    return {f"{host}:{n.port}": n.addr for n in topology.nodes
            for host in (n.endpoint, n.ip, n.hostname) if host}


def check_live(views: Sequence[View], topology: Topology, against: str,
               tls: bool) -> list[Finding]:
    """Findings for every component view against the live cluster reached at `against`."""
    aliases = _aliases(topology)
    expected = ",".join(topology.addrs)
    out: list[Finding] = []
    for view in views:
        cluster = bool(view.get("enable_cluster"))
        if not cluster:
            out.append(finding("live-cluster-flag", view.file, view.label("enable_cluster"),
                               value=view.get("enable_cluster"), against=against))
        use_ssl = bool(view.get("use_ssl"))
        if use_ssl != tls:
            out.append(finding("live-tls-flag", view.file, view.label("use_ssl"),
                               value=view.get("use_ssl"), against=against,
                               speaks="speaks TLS" if tls else "speaks plain text",
                               want="true" if tls else "false"))
        addrs = [str(a).strip() for a in view.get("addrs") or []]
        listed = {aliases[a] for a in addrs if a in aliases}
        others = [a for a in addrs if a not in aliases]
        if not listed and len(others) == 1 and others[0] == against:
            out.append(finding("live-config-endpoint", view.file, view.label("addrs"),
                               addr=against, count=len(topology.nodes)))
            continue
        stale = [a for a in others if a != against]
        if stale:
            out.append(finding("live-stale-nodes", view.file, view.label("addrs"),
                               stale=", ".join(stale), expected=expected))
        missing = [a for a in topology.addrs if a not in listed]
        if missing:
            out.append(finding("live-missing-nodes", view.file, view.label("addrs"),
                               count=len(missing), missing=", ".join(missing),
                               expected=expected))
    return out
