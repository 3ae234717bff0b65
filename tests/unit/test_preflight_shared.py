"""External mode's pre-flight sees another Tyk deployment on the cluster (issue 25,
tyk-facts §15): DRL subscribers beyond this stack's own running gateways, a fresh
liveness key with none of ours running, host-checker records; a warning that says what
follows (rate limits divided among the gateways, analytics drained by another pump)."""

from __future__ import annotations

import pytest

from stackctl.cluster.external import parse_preflight
from stackctl.cluster.preflight import shared_cluster

pytestmark = pytest.mark.unit


def probe_text(subs: tuple[str, ...], live: str = "0", hosts: str = "") -> str:
    """The pre-flight script's output for three nodes (a replica answers MOVED)."""
    return "".join(
        f"## node 10.0.0.{i}:6379\nping=PONG\nmaxclients=10000\nredis_version=7.0.15\n"
        f"cluster_enabled=1\ndrl_subscribers={s}\nliveness_key={live if i == 1 else 'MOVED 1 x'}"
        f"\nhost_checker={hosts if i == 1 else ''}\n"
        for i, s in enumerate(subs, 1)) + "## dryrun\n"


def test_a_cluster_of_its_own_passes() -> None:
    found = shared_cluster(parse_preflight(probe_text(("0", "0", "0"))))
    assert found.status == "pass" and "no other Tyk seen (0 DRL subscriber(s)" in found.detail
    # a re-up: this stack's own gateway is the one subscriber, its liveness key fresh
    again = shared_cluster(parse_preflight(probe_text(("1", "0", "0"), live="1")), 1)
    assert again.status == "pass"


def test_another_deployment_is_named_with_its_consequences() -> None:
    found = shared_cluster(parse_preflight(probe_text(("1", "1", "0"), live="1",
                                                      hosts="host-checker:PollerActiveInstanceID")))
    assert found.status == "warn" and found.check == "shared-cluster"
    assert ("2 subscriber(s) of tyk.cluster.notifications besides this stack's 0 running "
            "gateway(s) (DRL peers)") in found.detail
    assert "tyk-liveness-probe written within 10 s" in found.detail
    assert "host-checker records" in found.detail
    assert "divides it by the gateways it hears" in found.detail
    assert "its pump drains this stack's analytics" in found.detail
    assert found.fix.startswith("give this stack a cluster of its own")
    # NOPERM or no answer: not a number, counted as none
    assert shared_cluster(parse_preflight(probe_text(("NOPERM", "", "0")))).status == "pass"
