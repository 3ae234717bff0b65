"""The human view of a diagnosis: the most likely cause, its fix, then the evidence."""

from __future__ import annotations

from stackctl.diagnose.probes import AddrProbe
from stackctl.diagnose.run import Diagnosis


def _tally(probes: list[AddrProbe]) -> str:
    n = len(probes)
    resolved = sum(p.resolved for p in probes)
    tcp = sum(bool(p.tcp) for p in probes)
    pong = sum(p.client_kind == "pong" for p in probes)
    speaks = sorted({p.speaks for p in probes if p.tcp})
    return (f"{resolved}/{n} resolve, {tcp}/{n} accept TCP, Redis speaks "
            f"{'/'.join(speaks) or '?'}, PING with its settings {pong}/{n} PONG")


def report_lines(diagnosis: Diagnosis) -> list[str]:
    """Cause, fix, evidence: one line each."""
    top = diagnosis.top
    where = f"[{top.component}] " if top.component else ""
    lines = [f"most likely cause: {where}{top.summary}", f"fix: {top.fix}",
             f"evidence: {top.evidence}"]
    for client in diagnosis.clients:
        tls = "on" if client.use_ssl else "off"
        lines.append(f"  {client.component}: tls {tls}; "
                     f"{_tally(diagnosis.probes.get(client.component, []))}")
    if diagnosis.cluster is not None:
        s = diagnosis.cluster.summary
        lines.append(f"  cluster: state {s.get('state')}, {s.get('slots_covered')} slots, "
                     f"{'ready' if diagnosis.cluster.ready else 'not ready'}")
    for other in diagnosis.findings[1:4]:
        where = f"[{other.component}] " if other.component else ""
        lines.append(f"  also: {where}{other.summary} ({other.evidence})")
    lines.extend(f"  probe error: {e}" for e in diagnosis.errors)
    return lines
