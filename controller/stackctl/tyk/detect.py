"""One component's start-up verdict from its container state and log: failed when it
exited, restarts, is unhealthy or not healthy in time, or its last known log signature
(tyk.tables) means failure and it did not recover within a grace period."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from stackctl.errors import StepError
from stackctl.runtime.docker_cli import ServiceState
from stackctl.tyk.lookup import all_signatures, signatures
from stackctl.tyk.schema import Component, LogSignature

Outcome = Literal["healthy", "exited", "restarting", "unhealthy", "missing", "signature",
                  "timeout", "pending"]

FAILURE_MEANINGS = frozenset({"timeout", "cluster-init-failed", "storage-failed"})
"""Signature meanings that say the Redis connection failed."""
STALL_MEANINGS = frozenset({"cluster-mode"})
"""Meanings that are fatal only as the last word of a component that is not healthy
(the reference page's `Using clustered mode` hang)."""


@dataclass(frozen=True)
class SignatureHit:
    """The last log line that matched a known signature."""

    text: str  # the signature
    meaning: str
    line: str  # the log line itself
    in_release: bool  # the table lists it for the running release

    def describe(self) -> str:
        """`"<text>" (<meaning>)`, flagging a signature of another release line."""
        other = "" if self.in_release else ", a signature of other releases"
        return f'"{self.text}" ({self.meaning}{other})'


@dataclass(frozen=True)
class Detection:
    """How one component's start went."""

    component: str
    ok: bool
    outcome: Outcome
    detail: str
    signature: SignatureHit | None = None
    last_line: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


class StartupFailure(StepError):
    """A step saw components fail to start; keeps their detections."""

    def __init__(self, step: str, detections: list[Detection]) -> None:
        self.detections = detections
        failed = [d for d in detections if not d.ok and d.outcome != "pending"]
        super().__init__(step, "; ".join(f"{d.component} {d.detail}" for d in failed),
                         "the fallback step climbs REDIGOCLUSTER_SHARDCOUNT and diagnoses")


def last_signature(component: Component, release: str, log: str) -> SignatureHit | None:
    """The last log line matching a signature of `release`, else of any release."""
    for table, in_release in ((signatures(component, release), True),
                              (all_signatures(component), False)):
        hit = _last_hit(table, log, in_release)
        if hit is not None:
            return hit
    return None


def _last_hit(table: tuple[LogSignature, ...], log: str, in_release: bool
              ) -> SignatureHit | None:
    for line in reversed(log.splitlines()):
        for sig in table:
            if sig.text in line:
                return SignatureHit(sig.text, sig.meaning, line.strip(), in_release)
    return None


def last_line(log: str) -> str:
    """The last non-empty log line."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def classify(component: Component, release: str, state: ServiceState | None, log: str,
             elapsed: float, timeout: float, grace: float) -> Detection | None:
    """The verdict now, or None while the component may still come up."""
    hit = last_signature(component, release, log)
    tail = last_line(log)

    def verdict(ok: bool, outcome: Outcome, detail: str) -> Detection:
        if hit is not None and not ok:
            detail += f"; last signature {hit.describe()}"
        return Detection(component, ok, outcome, detail, hit, tail)

    if state is None:
        return verdict(False, "missing", "has no container")
    if state.state in ("exited", "dead"):
        return verdict(False, "exited", f"exited with code {state.exit_code}")
    if state.state == "restarting":
        return verdict(False, "restarting", "keeps restarting")
    if state.health == "unhealthy":
        return verdict(False, "unhealthy", "is unhealthy")
    failing = hit is not None and hit.meaning in FAILURE_MEANINGS
    healthy = state.state == "running" and state.health in ("healthy", "")
    if healthy and not failing:
        return verdict(True, "healthy", "healthy")
    if failing and elapsed >= grace:
        return verdict(False, "signature", f"logs a start-up failure after {elapsed:.0f}s")
    if elapsed >= timeout:
        stalled = hit is not None and hit.meaning in STALL_MEANINGS
        why = "stalled" if stalled else "not healthy"
        return verdict(False, "timeout", f"{why} after {timeout:.0f}s")
    return None
