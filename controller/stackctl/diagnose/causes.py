"""The causes a diagnosis can name; the table order IS the ranking (most specific, most
blocking first). Each row: a test returning its evidence or None, a summary and a fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from stackctl.cluster.status import ClusterStatus
from stackctl.diagnose import certs
from stackctl.diagnose.config import ClientConfig
from stackctl.diagnose.probes import AddrProbe, ReplyKind
from stackctl.model import CERTS_MOUNT, StackModel
from stackctl.tyk.lookup import by_role
from stackctl.tyk.tables import SPECS


@dataclass(frozen=True)
class Facts:
    """What was learnt about one component (the cluster status is the stack's)."""

    model: StackModel
    client: ClientConfig
    probes: list[AddrProbe]
    cluster: ClusterStatus | None


@dataclass(frozen=True)
class Cause:
    """One row of the ranking table."""

    id: str
    summary: str  # str.format fields: see `_fields`
    fix: str
    test: Callable[[Facts], str | None]
    scope: Literal["component", "stack"] = "component"


@dataclass(frozen=True)
class Finding:
    """A cause that applies, with its evidence."""

    cause: str
    rank: int
    component: str  # "" for the stack
    summary: str
    fix: str
    evidence: str

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def _addrs(probes: list[AddrProbe], kinds: set[ReplyKind]) -> list[AddrProbe]:
    return [p for p in probes if p.client_kind in kinds]


def _first(probes: list[AddrProbe], what: str, total: int) -> str:
    p = probes[0]
    return f"{len(probes)} of {total} addresses: {p.addr} {what}: {p.client}"


def no_addrs(f: Facts) -> str | None:
    """No address configured."""
    return "no address configured" if not f.client.addrs else None


def unresolvable(f: Facts) -> str | None:
    """Addresses that do not resolve on the Redis network."""
    bad = [p.addr for p in f.probes if not p.resolved]
    return f"{', '.join(bad)} do not resolve on the Redis network" if bad else None


def wrong_port(f: Facts) -> str | None:
    """Every address resolves, none accepts TCP, and the ports are not the nodes'."""
    resolved = [p for p in f.probes if p.resolved]
    ports = {n.port for n in f.model.nodes}
    wrong = [p for p in resolved if p.tcp is False and int(p.addr.rsplit(":", 1)[1]) not in ports]
    if not resolved or len(wrong) != len(resolved):
        return None
    return (f"{len(wrong)} of {len(f.probes)} addresses refuse TCP ({wrong[0].addr}, ...); "
            f"the nodes listen on {', '.join(map(str, sorted(ports)))}")


def unreachable(f: Facts) -> str | None:
    """Some addresses resolve but refuse TCP (a node down)."""
    bad = [p.addr for p in f.probes if p.resolved and p.tcp is False]
    return f"{', '.join(bad)} refuse TCP" if bad else None


def tls_on_plain(f: Facts) -> str | None:
    """The component speaks TLS to a Redis that speaks plain text."""
    plain = [p for p in f.probes if p.speaks == "plain"]
    if not f.client.use_ssl or not plain:
        return None
    p = plain[0]
    return (f"use_ssl is true, but {p.addr} answers plain text ({p.plain}); "
            f"the component's TLS PING got: {p.client}")


def tls_off_on_tls(f: Facts) -> str | None:
    """The component speaks plain text to a Redis that speaks TLS."""
    tls = [p for p in f.probes if p.speaks in ("tls", "mtls")]
    if f.client.use_ssl or not tls:
        return None
    p = tls[0]
    return f"use_ssl is false, but {p.addr} speaks {p.speaks} (plain PING got: {p.plain})"


def ca_mismatch(f: Facts) -> str | None:
    """The component's CA does not verify the nodes' certificates."""
    bad = _addrs(f.probes, {"verify-failed"})
    if not f.client.use_ssl or f.client.skip_verify or not bad:
        return None
    static = certs.ca_signs_nodes(f.client, f.model)
    return _first(bad, "TLS with the component's CA", len(f.probes)) + (
        f"; {static}" if static else "")


def missing_client_cert(f: Facts) -> str | None:
    """Redis wants client certificates and the component has none."""
    bad = _addrs(f.probes, {"reset", "ssl-error"})
    if not f.client.use_ssl or f.client.cert_file or not bad:
        return None
    if not any(p.speaks == "mtls" for p in f.probes):
        return None
    return (_first(bad, "TLS without a client certificate", len(f.probes))
            + "; with stackctl's client certificate Redis answers")


def untrusted_client_cert(f: Facts) -> str | None:
    """The component's client certificate is not from the CA Redis trusts."""
    static = certs.client_cert_trusted(f.client, f.model) if f.client.cert_file else None
    bad = _addrs(f.probes, {"reset", "ssl-error"})
    if not f.client.use_ssl or not static or not bad:
        return None
    return _first(bad, "TLS with the component's certificate", len(f.probes)) + f"; {static}"


def san_mismatch(f: Facts) -> str | None:
    """A node's certificate does not name the host the component dials."""
    if not f.client.use_ssl or f.client.skip_verify:
        return None
    for p in f.probes:
        if p.resolved:
            found = certs.san_mismatch(f.model, p.host, p.ip)
            if found:
                return found
    return None


def wrong_password(f: Facts) -> str | None:
    """AUTH with the component's user and password is refused."""
    bad = _addrs(f.probes, {"wrongpass"})
    return _first(bad, f"AUTH as {f.client.username}", len(f.probes)) if bad else None


def no_password(f: Facts) -> str | None:
    """The component sends no credentials to a Redis that requires them."""
    bad = _addrs(f.probes, {"noauth"})
    return _first(bad, "PING", len(f.probes)) if bad else None


def no_permission(f: Facts) -> str | None:
    """The ACL user lacks a permission."""
    bad = _addrs(f.probes, {"noperm"})
    return _first(bad, f"PING as {f.client.username}", len(f.probes)) if bad else None


def cluster_not_ready(f: Facts) -> str | None:
    """The cluster's state, slot coverage or links are not healthy."""
    if f.cluster is None or f.cluster.ready:
        return None
    s = f.cluster.summary
    return (f"cluster_state {s.get('state')}, {s.get('slots_covered')} of 16384 slots "
            f"covered; {'; '.join(f.cluster.problems[:2])}")


def cluster_disabled(f: Facts) -> str | None:
    """The component does not use cluster mode."""
    return None if f.client.enable_cluster else "enable_cluster is false"


def database_not_zero(f: Facts) -> str | None:
    """A database other than 0 (a cluster has only database 0)."""
    db = f.client.database
    return None if db == 0 else f"database is {db}"


def other_failure(f: Facts) -> str | None:
    """The component's own PING fails for a reason no row above explains."""
    bad = [p for p in f.probes if p.client is not None and p.client_kind != "pong"]
    return _first(bad, "PING with the component's settings", len(f.probes)) if bad else None


CAUSES: tuple[Cause, ...] = (
    Cause("no-addrs", "{component} lists no Redis address",
          "set {addrs} to the nodes: {nodes}", no_addrs),
    Cause("unresolvable", "{component} lists addresses that do not resolve",
          "set {addrs} to the stack's node names: {nodes}", unresolvable),
    Cause("wrong-port", "{component} dials Redis on the wrong port",
          "fix the ports in {addrs}: {nodes}", wrong_port),
    Cause("unreachable", "some Redis nodes refuse connections",
          "start the stopped nodes: `stackctl status`, then `stackctl up`", unreachable),
    Cause("tls-on-plain", "{component} uses TLS but Redis speaks plain text",
          "set {use_ssl} to false in {conf} (or run `stackctl up --tls tls`)", tls_on_plain),
    Cause("tls-off", "{component} speaks plain text but Redis speaks TLS",
          "set {use_ssl} to true with {ca_file} {ca}", tls_off_on_tls),
    Cause("ca-mismatch", "{component}'s CA does not verify the Redis certificates",
          "set {ca_file} to the stack CA {ca} in {conf}", ca_mismatch),
    Cause("missing-client-cert", "Redis requires a client certificate {component} lacks",
          "set {cert_file} and {key_file} ({cert}, {key})", missing_client_cert),
    Cause("untrusted-client-cert", "{component}'s client certificate is not trusted by Redis",
          "use {cert} and {key}, issued by the stack CA (`stackctl certs`)",
          untrusted_client_cert),
    Cause("san-mismatch", "a Redis certificate does not name the host {component} dials",
          "list the nodes by their certificate names ({nodes}) or re-issue (`stackctl certs`)",
          san_mismatch),
    Cause("wrong-password", "Redis refuses {component}'s user or password",
          "set {password} in {conf} to the stack's Redis password (`stackctl render` rewrites"
          " it from the secrets file)", wrong_password),
    Cause("no-password", "{component} sends no credentials",
          "set {username} and {password} in {conf}", no_password),
    Cause("no-permission", "{component}'s ACL user lacks a permission",
          "grant the user +@all ~* &* (the stack's ACL file does)", no_permission),
    Cause("cluster-not-ready", "the Redis Cluster is not ready",
          "cover every slot (`redis-cli --cluster fix` from the gate) or recreate it: "
          "`stackctl down --volumes && stackctl up`", cluster_not_ready, scope="stack"),
    Cause("cluster-disabled", "{component} does not use cluster mode",
          "set {enable_cluster} to true", cluster_disabled),
    Cause("database-not-zero", "{component} selects a database other than 0",
          "set {database} to 0 (a cluster has only database 0)", database_not_zero),
    Cause("other", "{component}'s connection to Redis fails",
          "see `stackctl logs {component}`", other_failure),
)
NO_CAUSE = Cause("none", "no fault found from inside the Redis network",
                 "see `stackctl logs gateway pump` and `stackctl status`", lambda f: None,
                 scope="stack")


def _fields(f: Facts) -> dict[str, str]:
    c = f.client.component

    def label(role: Any) -> str:
        try:
            return by_role(c, role).label
        except KeyError:
            return str(role)

    return {"component": c, "conf": SPECS[c].conf_file,
            "nodes": ", ".join(f.model.addrs), "ca": f"{CERTS_MOUNT}/ca.crt",
            "cert": f"{CERTS_MOUNT}/{c}.crt", "key": f"{CERTS_MOUNT}/{c}.key",
            **{r: label(r) for r in ("addrs", "use_ssl", "ca_file", "cert_file", "key_file",
                                     "password", "username", "enable_cluster", "database")}}


def rank(facts: list[Facts]) -> list[Finding]:
    """Every cause that applies, most likely first (stack-wide causes once)."""
    findings: list[Finding] = []
    for index, cause in enumerate(CAUSES, start=1):
        for f in facts:
            evidence = cause.test(f)
            if evidence is None:
                continue
            fields = _fields(f)
            findings.append(Finding(
                cause.id, index, "" if cause.scope == "stack" else f.client.component,
                cause.summary.format(**fields), cause.fix.format(**fields), evidence))
            if cause.scope == "stack":
                break
    return findings
