"""How another Tyk deployment on the cluster (pre-flight's `SharedCluster`) changes what the
smoke can expect: the gateways Tyk's DRL hears (a key's rate is shared among them:
tyk.tables.DRL_THRESHOLD), or why the rate-limit and analytics checks cannot be judged."""

from __future__ import annotations

from dataclasses import dataclass

from stackctl.cluster.preflight import SharedCluster
from stackctl.tyk.schema import RateLimiter
from stackctl.tyk.tables import DRL_THRESHOLD


@dataclass(frozen=True)
class Sharing:
    """The smoke's expectations on this cluster: the gateways the DRL hears, a note for
    the rate-limit check, and why a check is not judged ("": it is)."""

    gateways: int
    rate_note: str = ""
    rates_unjudged: str = ""
    analytics_unjudged: str = ""
    sliding_refuses: bool = False

    def not_checked(self) -> list[str]:
        """The lines of the report's "not checked"."""
        return [x for x in (self.rates_unjudged, self.analytics_unjudged) if x]


def sharing(shared: SharedCluster | None, replicas: int, limiter: RateLimiter,
            sliding_refuses: bool = False) -> Sharing:
    """What `shared` (None: nothing known, e.g. managed mode) means for a stack of
    `replicas` gateways limiting with `limiter`; `sliding_refuses`: the release's Redis
    sliding log cannot reach the cluster (tables.LIMITER_TLS_IGNORED)."""
    refused = (" (whose client cannot verify the cluster's TLS on this release: every "
               "request it judges is refused, TT-14564)" if sliding_refuses else "")
    if shared is None or not shared.seen:
        # this stack's own replicas: just started, their DRLs may not count one another
        # yet, so the smoke keeps to what holds either way (expect.expected_allowed)
        return Sharing(replicas)
    analytics = f"analytics delivered: not judged: {shared.analytics}"
    if limiter.kind != "leaky-bucket":
        return Sharing(replicas, f"; the {limiter.name} limiter counts each key in Redis: "
                       "another deployment's gateways do not change it", "", analytics)
    if shared.drl_peers is None:
        return Sharing(replicas, "", "rate-limits: not judged: another Tyk deployment uses "
                       "the cluster and the gateways Tyk's DRL hears could not be counted "
                       "(their heartbeats were not readable), so the default limiter's "
                       "share of each key's rate is unknown", analytics)
    n = replicas + shared.drl_peers
    note = (f"; the DRL hears {n} gateway(s) ({replicas} of this stack's, "
            f"{shared.drl_peers} other: pre-flight)")
    if n > 1:
        note += (f": each passes max(1, rate / {n}) per period, and keys under "
                 f"{DRL_THRESHOLD * n:g} req/s go to Redis's sliding log{refused}")
    return Sharing(n, note, "", analytics, sliding_refuses)
