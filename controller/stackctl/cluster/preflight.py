"""Pre-flight findings against an existing cluster before any Tyk component starts (check,
pass | warn | fail, what was seen, the fix): pure logic over what discovery read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from stackctl.cluster.external import Discovery, PreflightProbe
from stackctl.cluster.readiness import CLUSTER_SLOTS
from stackctl.cluster.topology import Topology
from stackctl.cluster.tyk_presence import Peer, heard_peers, judge_drain, listened
from stackctl.errors import ConfigError
from stackctl.settings import ExternalRedisSettings, Settings
from stackctl.tyk.tables import (
    DRL_CHANNEL,
    DRL_THRESHOLD,
    LIVENESS_KEY,
    REDIS_COMMANDS,
    REDIS_POOLS,
)

Verdict = Literal["pass", "warn", "fail"]
PREFLIGHT_FILE = "external-preflight.json"
"""`<state_dir>/external-preflight.json`: the last pre-flight's findings and `shared`."""
TLS_FAILURES = ("TLS", "SSL", "certificate", "handshake")


@dataclass(frozen=True)
class Finding:
    """One pre-flight check's outcome."""

    check: str
    status: Verdict
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)

    def as_error(self) -> ConfigError:
        """A failed finding as the bad-input line it is."""
        return ConfigError(f"pre-flight {self.check}", self.detail, self.fix)


@dataclass(frozen=True)
class WorstCase:
    """The most connections the Tyk side may open to one node, and how it is made up."""

    per_node: int
    nodes: int
    formula: str

    @property
    def total(self) -> int:
        """Across the whole cluster."""
        return self.per_node * self.nodes


def _ok(check: str, detail: str) -> Finding:
    return Finding(check, "pass", detail)


def reachable(topology: Topology, probe: PreflightProbe) -> Finding:
    """Every node of the live topology announces an endpoint and answers PONG as Tyk will."""
    unnamed = [f"{n.ip}:{n.port}" for n in topology.nodes if n.endpoint in ("?", "")]
    if unnamed:
        return Finding("reachable", "fail", f"{', '.join(unnamed)} announce(s) no endpoint "
                       "('?': the cluster prefers hostnames but the node has none); go-redis "
                       "would dial '?' verbatim", "set cluster-announce-hostname on every "
                       "node, or cluster-preferred-endpoint-type ip")
    seen = {n.addr: n for n in probe.nodes}
    bad = [f"{a} ({seen[a].ping if a in seen else 'not probed'})" for a in topology.addrs
           if a not in seen or not seen[a].reachable]
    if bad:
        return Finding("reachable", "fail", f"{len(bad)} of {len(topology.addrs)} nodes do "
                       f"not answer PONG: {'; '.join(bad)}",
                       "Tyk must reach every primary and replica: check the network, "
                       "security groups and the endpoints the cluster announces")
    return _ok("reachable", f"all {len(topology.addrs)} nodes answer PONG")


def cluster_enabled(probe: PreflightProbe) -> Finding:
    """Every node runs in cluster mode (Tyk's enable_cluster is on)."""
    off = [n.addr for n in probe.nodes if n.reachable and n.fields.get("cluster_enabled") != "1"]
    if off:
        return Finding("cluster-enabled", "fail", f"cluster_enabled:0 on {', '.join(off)} "
                       "while every component renders enable_cluster = true",
                       "use a cluster-mode-enabled Redis (`cluster-enabled yes`)")
    return _ok("cluster-enabled", "cluster_enabled:1 on every node; enable_cluster = true "
               "in every component")


def version(probe: PreflightProbe, tyk: str, supported: Sequence[str],
            allow_unsupported: bool) -> Finding:
    """Every node's server version is a line the Tyk release supports."""
    versions = sorted({n.fields.get("redis_version", "?") for n in probe.nodes if n.reachable})
    outside = [v for v in versions if ".".join(v.split(".")[:2]) not in supported]
    if outside:
        status: Verdict = "warn" if allow_unsupported else "fail"
        return Finding("version", status, f"Redis {', '.join(outside)} is outside Tyk {tyk}'s "
                       f"support matrix ({', '.join(supported) or 'none'})",
                       "upgrade the cluster, or set allow_unsupported = true")
    return _ok("version", f"Redis {', '.join(versions)} (Tyk {tyk} supports "
               f"{', '.join(supported)})")


def tls(ext: ExternalRedisSettings, found: Discovery, probe: PreflightProbe) -> Finding:
    """The TLS handshake with the configured CA (mtls: the client certificate required)."""
    if ext.tls == "off":
        return _ok("tls", "off (redis.external.tls)")
    failures = {a: why for a, why in found.tried.items()
                if why != "PONG" and any(t in why for t in TLS_FAILURES)}
    failures.update({n.addr: n.ping for n in probe.nodes
                     if not n.reachable and any(t in n.ping for t in TLS_FAILURES)})
    if failures:
        addr, why = next(iter(failures.items()))
        fix = ("give the CA that signed the nodes' certificates (redis.external.ca_file)"
               if "verify" in why else "check redis.external.tls and the certificate files")
        return Finding("tls", "fail", f"TLS handshake with {addr} failed: {why}", fix)
    detail = f"{ext.tls}: handshake verified with {ext.ca_file or 'no CA (insecure)'}"
    if ext.tls == "mtls":
        open_nodes = [n.addr for n in probe.nodes if n.fields.get("nocert") == "PONG"]
        if open_nodes:
            return Finding("client-cert", "warn", f"{', '.join(open_nodes)} accept clients "
                           "without a certificate too (tls-auth-clients no|optional)",
                           "set tls-auth-clients yes if client certificates are meant to "
                           "be required")
        detail += "; the client certificate is accepted and required"
    return _ok("tls", detail)


def acl(user: str, probe: PreflightProbe) -> Finding:
    """ACL DRYRUN of every command the gateway and pump send."""
    if not probe.dryrun:
        return Finding("acl", "warn", "no node answered: ACL DRYRUN not run", "")
    refused_dryrun = [r for r in probe.dryrun.values()
                      if "NOPERM" in r and "dryrun" in r.lower()]
    if refused_dryrun:
        return Finding("acl", "warn", f"user {user} may not run ACL DRYRUN, so its "
                       "permissions cannot be checked here",
                       f"check that {user} can run every command in tyk.tables.REDIS_COMMANDS")
    denied = [cmd for cmd, reply in probe.dryrun.items() if reply != "OK"]
    if denied:
        first = probe.dryrun[denied[0]]
        return Finding("acl", "fail", f"user {user} cannot run {len(denied)} command(s) "
                       f"Tyk sends: {', '.join(denied)} ({first})",
                       f"grant them, e.g. ACL SETUSER {user} "
                       + " ".join(f"+{c.split()[0].lower()}" for c in denied))
    return _ok("acl", f"user {user} may run all {len(probe.dryrun)} commands the gateway "
               "and pump send (ACL DRYRUN)")


def maxclients(probe: PreflightProbe, worst: WorstCase) -> Finding:
    """Every node's maxclients is above the worst case of connections to it."""
    low: list[str] = []
    unknown: list[str] = []
    for node in (n for n in probe.nodes if n.reachable):
        value = node.fields.get("maxclients", "")
        if not value.isdigit():
            unknown.append(node.addr)
        elif int(value) <= worst.per_node:
            low.append(f"{node.addr} maxclients {value}")
    if low:
        return Finding("maxclients", "fail", f"{'; '.join(low)} <= the worst case "
                       f"{worst.per_node} per node ({worst.formula}; {worst.total} across "
                       f"{worst.nodes} nodes)",
                       "raise maxclients, or lower gateway.max_active / pump.max_active")
    if unknown:
        return Finding("maxclients", "warn", f"maxclients unreadable on {', '.join(unknown)}",
                       f"make sure it is above {worst.per_node} ({worst.formula})")
    return _ok("maxclients", f"above the worst case {worst.per_node} per node "
               f"({worst.formula})")


def slots(found: Discovery) -> Finding:
    """cluster_state:ok and all 16384 slots covered."""
    state = found.cluster_info.get("cluster_state", "?")
    covered = found.cluster_info.get("cluster_slots_ok", "?")
    if state != "ok" or covered != str(CLUSTER_SLOTS):
        return Finding("cluster-state", "fail", f"cluster_state:{state}, cluster_slots_ok:"
                       f"{covered} (want ok, {CLUSTER_SLOTS})",
                       "repair the cluster first (`redis-cli --cluster check`)")
    return _ok("cluster-state", f"cluster_state:ok, {CLUSTER_SLOTS} slots covered")


def node_list(ext: ExternalRedisSettings, topology: Topology) -> Finding:
    """A given list of nodes (not a configuration endpoint) that misses live nodes."""
    known = {n.addr for n in topology.nodes} | {f"{n.ip}:{n.port}" for n in topology.nodes}
    given = [a for a in ext.addrs if a in known]
    if len(given) < len(ext.addrs) or ext.use_configuration_endpoint:
        return _ok("node-list", "a configuration endpoint: the cluster names its nodes")
    missing = [n.addr for n in topology.nodes
               if n.addr not in given and f"{n.ip}:{n.port}" not in given]
    if missing:
        roles = sorted({n.role for n in topology.nodes if n.addr in missing})
        return Finding("node-list", "warn", f"redis.external.addrs lists {len(given)} of "
                       f"{len(topology.nodes)} nodes; missing {' '.join(missing)} "
                       f"({' and '.join(roles)}s)",
                       "stackctl renders every node it found; list them all in your own "
                       "configs too (Tyk must reach every primary and replica)")
    return _ok("node-list", f"all {len(topology.nodes)} nodes listed")


def failures(findings: Sequence[Finding]) -> list[ConfigError]:
    """The failed findings as bad-input lines."""
    return [f.as_error() for f in findings if f.status == "fail"]


def worst_case(settings: Settings, nodes: int) -> WorstCase:
    """The most connections one node may see: pools x max_active x gateways, pump, Dashboard."""
    gw, pump = settings.gateway, settings.pump
    per_node = REDIS_POOLS["gateway"] * gw.max_active * gw.replicas
    per_node += REDIS_POOLS["pump"] * pump.max_active
    formula = (f"{REDIS_POOLS['gateway']} pools x {gw.max_active} x {gw.replicas} gateways "
               f"+ pump {pump.max_active}")
    if settings.profile == "pro":
        per_node += REDIS_POOLS["dashboard"] * settings.dashboard.max_active
        formula += f" + dashboard {settings.dashboard.max_active}"
    return WorstCase(per_node, nodes, formula)


def dryrun_commands() -> list[str]:
    """`CMD ARG...` lines for ACL DRYRUN: every command of tables.REDIS_COMMANDS once."""
    seen: dict[str, str] = {}
    for use in REDIS_COMMANDS:
        seen.setdefault(use.command, " ".join((use.command, *use.args)))
    return list(seen.values())


def tls_names(results: dict[str, str]) -> Finding:
    """Each address Tyk dials presents a certificate chained to the CA that names it (Go
    sets ServerName from the dialled host: tables.ENDPOINT_FOLLOWING, "TLS name")."""
    bad = {a: why for a, why in results.items() if why}
    if bad:
        addr, why = next(iter(bad.items()))
        return Finding("tls-san", "fail", f"{len(bad)} of {len(results)} addresses fail Go's "
                       f"certificate check: {addr}: {why}",
                       "dial the names the certificates carry (hostname endpoints need DNS "
                       "SANs, IP endpoints IP SANs), or reissue the certificates")
    return _ok("tls-san", f"all {len(results)} addresses Tyk dials are named by their "
               "certificates' SANs and chain to the CA")


def _count(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class SharedCluster:
    """What pre-flight found of other Tyk deployments on the cluster, as the smoke needs it:
    the gateways besides this stack's whose DRL heartbeats it heard (`drl_peers`: their
    DRL and this stack's count one another; None: not known), the signs seen, and why
    analytics delivery cannot be judged ("" when it can)."""

    drl_peers: int | None = 0
    peers: tuple[str, ...] = ()
    signs: tuple[str, ...] = ()
    analytics: str = ""

    @property
    def seen(self) -> bool:
        """Another deployment was seen."""
        return bool(self.signs)

    def as_dict(self) -> dict[str, Any]:
        """JSON view (external-preflight.json's `shared`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> SharedCluster | None:
        """The record back from JSON; None when it is not one."""
        if not isinstance(data, dict):
            return None
        peers = data.get("drl_peers")
        return cls(peers if isinstance(peers, int) else None,
                   tuple(str(x) for x in data.get("peers") or ()),
                   tuple(str(x) for x in data.get("signs") or ()),
                   str(data.get("analytics") or ""))


def assess_shared(probe: PreflightProbe, own_gateways: int = 0,
                  own_pump: bool = False) -> SharedCluster:
    """Another Tyk deployment on the cluster (tyk-facts §15): subscribers of the DRL's
    channel beyond this stack's running gateways (`own_gateways`) and the heartbeats they
    send (tables.DRL_NOTICE: the gateways the DRL counts), a liveness key written within
    10 s with none of ours running, host-checker records, and analytics records waiting
    or drained while no pump of ours runs (`own_pump`: not judged)."""
    counts = [_count(n.fields.get("drl_subscribers", "")) for n in probe.nodes if n.reachable]
    subs = sum(c or 0 for c in counts)
    live = any(n.fields.get("liveness_key", "").strip() == "1" for n in probe.nodes)
    hosts = any(n.fields.get("host_checker", "").strip() for n in probe.nodes)
    signs: list[str] = []
    others = max(0, subs - own_gateways)
    if others:
        signs.append(f"{others} subscriber(s) of {DRL_CHANNEL} besides this stack's "
                     f"{own_gateways} running gateway(s)")
    peers: list[Peer] = []
    drl_peers: int | None = 0
    if probe.heartbeats is not None:
        if listened(probe.heartbeats):
            # this stack's gateways run no tags: a peer with tags is another DRL group
            peers = [p for p in heard_peers(probe.heartbeats) if not p.tag_hash]
            drl_peers = max(0, len(peers) - own_gateways)
        else:
            drl_peers = None
    if drl_peers:
        named = ", ".join(str(p) for p in peers[:4])
        signs.append(f"{drl_peers} other gateway(s) whose DRL heartbeats were heard "
                     f"(DRL peers: {named}" + (f"; of these {own_gateways} this stack's"
                                               if own_gateways else "") + ")")
    if live and not own_gateways:
        signs.append(f"{LIVENESS_KEY} written within 10 s while none of this stack's "
                     "gateways runs")
    if hosts and (others or not own_gateways):
        signs.append("host-checker records")
    drain = judge_drain(probe.samples)
    analytics = ""
    if drain.drained:
        signs.append(f"an analytics list drained with no pump of ours running: "
                     f"{drain.drained}")
        analytics = f"another pump drains the analytics lists ({drain.drained})"
    elif drain.waiting and not own_gateways and not own_pump:
        signs.append(f"{drain.waiting} analytics record(s) waiting before any gateway of "
                     f"ours runs (not taken in {drain.watched_s:g} s)")
    if signs and not analytics:
        analytics = ("another deployment's pump may drain this stack's analytics lists "
                     "(" + signs[0] + ")")
    if drl_peers is None and signs:
        signs.append(f"the DRL heartbeats on {DRL_CHANNEL} could not be read")
    return SharedCluster(drl_peers, tuple(str(p) for p in peers), tuple(signs), analytics)


def shared_cluster(probe: PreflightProbe, own_gateways: int = 0, own_pump: bool = False,
                   shared: SharedCluster | None = None, sliding_refuses: bool = False
                   ) -> Finding:
    """The shared-cluster finding: pass, or a warning naming what was seen and what follows
    (the DRL divides a key's rate among all the gateways it hears; another pump drains
    this stack's analytics too; `sliding_refuses`: tyk.support.sliding_log_refuses)."""
    shared = shared or assess_shared(probe, own_gateways, own_pump)
    if not shared.seen:
        subs = sum(_count(n.fields.get("drl_subscribers", "")) or 0 for n in probe.nodes)
        return _ok("shared-cluster", f"no other Tyk seen ({subs} DRL subscriber(s), "
                   f"{own_gateways} of them this stack's)")
    follows = ("its pump may drain this stack's analytics list too, so the smoke cannot "
               "judge delivery")
    if shared.drl_peers:
        rate = (f"the DRL hears {shared.drl_peers} more gateway(s), so a key's rate is "
                f"shared by every gateway (each passes max(1, rate / gateways) per period; "
                f"below {DRL_THRESHOLD:g} req/s per gateway the Redis sliding log judges "
                "it instead" + (", and this release's sliding log cannot verify the "
                                "cluster's TLS: it refuses every request (TT-14564)"
                                if sliding_refuses else "")
                + "), and the smoke expects that")
    elif shared.drl_peers is None:
        rate = ("how many gateways the DRL hears is unknown, so the smoke cannot judge "
                "the default limiter")
    else:
        rate = "no other gateway's DRL heartbeat was heard, so rate limits are unaffected"
    return Finding("shared-cluster", "warn",
                   "another Tyk deployment uses this cluster: " + "; ".join(shared.signs)
                   + f". Then {rate}; {follows}",
                   "give this stack a cluster of its own, or expect the smoke's rate-limit "
                   "and analytics checks to see the other deployment")
