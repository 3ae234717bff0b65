"""Rate-limit arithmetic and the rate-limit, auth and success checks."""

from __future__ import annotations

from collections import Counter

import pytest

from stackctl.cluster.preflight import SharedCluster
from stackctl.load.keys import key_limits
from stackctl.smoke.checks import (
    KeyOutcome,
    auth_check,
    rate_limit_check,
    success_check,
    success_pct,
)
from stackctl.smoke.expect import (
    Allowed,
    drl_kind,
    expected_allowed,
    limit_for,
    windows_touched,
)
from stackctl.smoke.shared import sharing
from stackctl.tyk.lookup import rate_limiter

pytestmark = pytest.mark.unit

T0 = 1_800_000_000.0  # a multiple of 60: windows of 60 s start here


def test_windows_touched() -> None:
    assert windows_touched(T0 + 10, T0 + 13, 60) == 1
    assert windows_touched(T0 + 58, T0 + 61, 60) == 2
    assert windows_touched(T0 + 0.2, T0 + 3, 60) == 2  # within the margin of a boundary
    assert windows_touched(T0 + 0.2, T0 + 3, 60, margin=0) == 1
    assert windows_touched(T0 + 10, T0 + 13.2, 1) == 5  # 10..13 plus the margins
    with pytest.raises(ValueError):
        windows_touched(T0, T0 + 1, 0)


def test_expected_allowed_one_window_is_exact_for_the_fixed_window() -> None:
    # 3 s in one 60 s window: a fixed window lets exactly `rate` through; a leaky
    # bucket may refill ceil(10 * 3 / 60) = 1 more.
    assert expected_allowed(150, 10, 60, T0 + 10, T0 + 13) == Allowed(10, 10)
    assert expected_allowed(150, 10, 60, T0 + 10, T0 + 13, "leaky-bucket") == Allowed(10, 11)


def test_expected_allowed_across_a_boundary() -> None:
    assert expected_allowed(150, 10, 60, T0 + 58, T0 + 61) == Allowed(10, 20)
    assert expected_allowed(150, 10, 60, T0 + 58, T0 + 61, "leaky-bucket") == Allowed(10, 21)


def test_sliding_logs_may_stop_short_and_the_sentinel_lets_in_flight_requests_pass() -> None:
    # A 20 s run overlaps at most two 60 s spans of a sliding log.
    assert expected_allowed(150, 10, 60, T0 + 10, T0 + 30, "sliding-log") == Allowed(8, 20)
    assert expected_allowed(150, 10, 60, T0 + 10, T0 + 30, "sentinel", 16) == Allowed(8, 36)
    assert expected_allowed(5, 10, 60, T0 + 10, T0 + 30, "sentinel", 16) == Allowed(3, 5)


def test_expected_allowed_never_above_sent() -> None:
    assert expected_allowed(4, 10, 60, T0 + 10, T0 + 13) == Allowed(4, 4)
    assert 4 in Allowed(4, 4) and 5 not in Allowed(4, 4) and str(Allowed(3, 5)) == "3-5"


def test_limits() -> None:
    assert limit_for(167) == 16 and limit_for(5) == 1
    assert key_limits(6, 3) == [(3, True), (3, True)] + [(1_000_000, False)] * 4
    assert key_limits(2, 3)[0] == (3, True) and key_limits(2, 3)[1][1] is False


def outcome(limited: bool, rate: int = 10, **statuses: int) -> KeyOutcome:
    counts = Counter({int(k[1:]): v for k, v in statuses.items()})
    return KeyOutcome(rate if limited else 1_000_000, 60.0, limited, counts)


def test_rate_limits_pass_when_only_limited_keys_get_the_expected_429s() -> None:
    keys = [outcome(True, s200=10, s429=140), outcome(False, s200=150)]
    check = rate_limit_check(keys, T0 + 10, T0 + 13)
    assert check.passed, check.detail
    assert check.detail.startswith(
        "fixed-window limiter; 1 limited keys: 140 x 429 of 150; 1 unlimited keys: 0")


@pytest.mark.parametrize(("keys", "why"), [
    ([outcome(True, s200=10, s429=140), outcome(False, s200=149, s429=1)],
     "key 1 (unlimited) got 1 x 429"),
    ([outcome(True, s200=150), outcome(False, s200=150)],
     "key 0 (10/60s) let 150 of 150 through, expected 10"),
    ([outcome(True, s200=3), outcome(False, s200=3)],
     "no limited key sent more than its limit (10)"),
])
def test_rate_limits_fail(keys: list[KeyOutcome], why: str) -> None:
    check = rate_limit_check(keys, T0 + 10, T0 + 13)
    assert not check.passed and why in check.detail


def test_auth_check() -> None:
    good = [outcome(True, s200=10, s429=5), outcome(False, s200=20)]
    assert auth_check(good, [401, 403]).passed
    revoked = [outcome(True, s200=10, s429=5), outcome(False, s403=20)]
    check = auth_check(revoked, [401, 403])
    assert not check.passed and "refused 20 times (1 keys)" in check.detail
    assert not auth_check(good, [200, 403]).passed  # a made-up key got in


def test_success() -> None:
    keys = [outcome(True, s200=10, s429=90), outcome(False, s200=899, s0=1)]
    assert success_pct(keys) == pytest.approx(99.9)
    assert success_check(keys).passed
    keys = [outcome(True, s200=10, s429=90), outcome(False, s200=898, s502=2)]
    check = success_check(keys)
    assert not check.passed and "502: 2" in check.detail


def test_a_limited_key_within_its_limit_is_noted_not_failed() -> None:
    keys = [outcome(True, s200=10, s429=40), outcome(True, s200=4), outcome(False, s200=50)]
    check = rate_limit_check(keys, T0 + 10, T0 + 13)
    assert check.passed and "1 limited keys stayed within their limit" in check.detail


def test_the_drl_shares_a_key_s_rate_or_hands_low_rates_to_the_sliding_log() -> None:
    one = expected_allowed(2, 1, 60.0, 0.0, 3.0, "leaky-bucket")
    two = expected_allowed(2, 1, 60.0, 0.0, 3.0, "leaky-bucket", gateways=2)
    assert 0 not in one and 1 in one  # one gateway: the one allowed request must pass
    assert 0 in two and 1 in two  # two: 1/60 s is under 2 x 5 req/s: the sliding log
    assert 2 in expected_allowed(10, 4, 60.0, 0.0, 3.0, "leaky-bucket", gateways=2)
    assert 1 not in expected_allowed(10, 4, 60.0, 0.0, 3.0, "leaky-bucket", gateways=2)
    # session_manager.go: n <= 1 or rate/per > n x drl_threshold (5): the in-memory bucket
    assert drl_kind(1, 60.0, 1) == "leaky-bucket" and drl_kind(1, 60.0, 2) == "sliding-log"
    assert drl_kind(600, 60.0, 2) == "sliding-log"  # 10 req/s is not above 2 x 5
    assert drl_kind(660, 60.0, 2) == "leaky-bucket"
    # above the threshold each gateway passes max(1, floor(rate / n)) per window
    assert expected_allowed(2000, 1200, 60.0, 0.0, 3.0, "leaky-bucket", gateways=3).low == 400
    assert expected_allowed(2000, 2, 0.1, 0.0, 3.0, "leaky-bucket", gateways=3).low == 1
    # the sliding log's client cannot reach a TLS cluster (TT-14564): it refuses everything
    refused = expected_allowed(4, 1, 60.0, 0.0, 3.0, "leaky-bucket", gateways=2,
                               sliding_refuses=True)
    assert refused == Allowed(0, 0)
    alone = expected_allowed(4, 1, 60.0, 0.0, 3.0, "leaky-bucket", sliding_refuses=True)
    assert 1 in alone and 0 not in alone  # one gateway: the in-memory bucket, no Redis


def test_the_smoke_expects_the_gateways_another_deployment_adds() -> None:
    drl, fixed = rate_limiter("default"), rate_limiter("fixed-window")
    alone = sharing(None, 1, drl)
    assert (alone.gateways, alone.rate_note, alone.not_checked()) == (1, "", [])
    other = SharedCluster(1, ("gw (solo-5)",), ("1 other gateway(s)",), "its pump may drain")
    shared = sharing(other, 1, drl, sliding_refuses=True)
    assert shared.gateways == 2 and shared.sliding_refuses
    assert "the DRL hears 2 gateway(s) (1 of this stack's, 1 other: pre-flight)" in \
        shared.rate_note and "TT-14564" in shared.rate_note
    assert shared.not_checked() == ["analytics delivered: not judged: its pump may drain"]
    # keys limited 1/60 s on two gateways over TLS: all refused, and that passes
    keys = [outcome(True, rate=1, s429=4) for _ in range(3)] + [outcome(False, s200=40)]
    passed = rate_limit_check(keys, T0, T0 + 3, "leaky-bucket", 4, "default",
                              shared.gateways, shared.rate_note, shared.sliding_refuses)
    assert passed.passed, passed.detail
    assert not rate_limit_check(keys, T0, T0 + 3, "leaky-bucket", 4, "default").passed
    unknown = sharing(SharedCluster(None, (), ("liveness",), "may drain"), 1, drl)
    assert unknown.rates_unjudged.startswith("rate-limits: not judged") and \
        len(unknown.not_checked()) == 2
    redis_counted = sharing(other, 1, fixed)
    assert redis_counted.gateways == 1 and not redis_counted.rates_unjudged
    assert "counts each key in Redis" in redis_counted.rate_note
