"""Which Tyk and which Redis client a gateway image is (labels, then tag, then /hello),
and the known behaviours the release table gives them (issue 23): the dial lock, the
limiter TLS fix, TT-17486's probe regression, the bounded dials not drilled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackctl.tyk.gateway_version import behaviours, has, release_client, version_of
from stackctl.tyk.releases import AnyOf, Range
from stackctl.tyk.tables import (
    BOUNDED_DIALS,
    DIAL_LOCK,
    GATEWAY_CLIENTS,
    LIMITER_CLIENT_TLS_FILES,
    LIMITER_TLS_IGNORED,
    PROBE_PASS_IN_OUTAGE,
)

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parent / "fixtures" / "images"


def _inspect(name: str) -> tuple[str, dict[str, str]]:
    """(first tag, labels) of a recorded `docker image inspect`."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())[0]
    return data["RepoTags"][0], data["Config"]["Labels"] or {}


def test_ranges_and_unions() -> None:
    fixed = AnyOf((Range("v5.8.6", "v5.8"), Range(since="v5.10.0")))
    assert [fixed.contains(r) for r in ("v5.8.5", "v5.8.6", "v5.8.15", "v5.9.3", "v5.10.0",
                                         "v5.14.0")] == [False, True, True, False, True, True]
    assert fixed.describe() == "v5.8.6-v5.8, v5.10.0+"
    assert Range.exact("v9.7.0").within(Range("v9.3.1", "v9.7.0"))
    assert not Range.exact("v9.7.1").overlaps(Range("v9.3.1", "v9.7.0"))
    assert Range("v9.7.1", "v9.17").within(Range("v9.7.1", "v9.17"))
    assert Range("v9.7.1", "v9.17").contains("v9.17.3")
    assert Range("v9.0.0", "v9.7.1").overlaps(Range("v9.3.1", "v9.7.0"))
    assert Range.exact("v9.7.0").describe() == "v9.7.0"


@pytest.mark.parametrize(("release", "go_redis", "storage"), [
    ("v5.8.1", "v9.7.0", "v1.2.2"), ("v5.8.5", "v9.7.0", "v1.2.2"),
    ("v5.8.6", "v9.13.0", "v1.3.4"), ("v5.8.15", "v9.13.0", "v1.3.4"),
    ("v5.9.3", "v9.3.1-v9.7.0", None), ("v5.3.12", "v9.3.1-v9.7.0", None),
    ("v5.12.1", "v9.18.0+", None)])
def test_release_table(release: str, go_redis: str, storage: str | None) -> None:
    row = release_client(release)
    assert row is not None and row.go_redis.describe() == go_redis
    assert row.storage == storage and row.source


def test_release_rows_do_not_overlap_and_every_row_has_a_source() -> None:
    for release in ("v5.3.0", "v5.8.0", "v5.8.5", "v5.8.6", "v5.9.0", "v5.10.0", "v5.12.0",
                    "v5.12.1", "v5.14.0"):
        assert sum(r.releases.contains(release) for r in GATEWAY_CLIENTS) == 1, release
    assert release_client("v5.2.0") is None  # not in the table: unknown, not guessed


def test_limiter_fix_and_the_refusal_are_complements() -> None:
    for release in ("v5.3.0", "v5.8.1", "v5.8.5", "v5.8.6", "v5.8.15", "v5.9.0", "v5.9.3",
                    "v5.10.0", "v5.13.0"):
        ignored = LIMITER_TLS_IGNORED.releases
        assert ignored is not None
        assert LIMITER_CLIENT_TLS_FILES.contains(release) != ignored.contains(release), release


def _kinds(release: str) -> dict[str, bool | None]:
    return {b.kind: v for b, v in behaviours(version_of(f"tykio/tyk-gateway:{release}"))}


def test_behaviours_by_release() -> None:
    assert _kinds("v5.8.1") == {"dial-lock": True, "limiter-tls": True}
    assert _kinds("v5.8.6") == {}
    assert _kinds("v5.8.15") == {}
    assert _kinds("v5.9.3") == {"dial-lock": True, "limiter-tls": True}
    assert _kinds("v5.8.14") == {"probe-regression": True}
    assert _kinds("v5.13.0") == {"probe-regression": True, "bounded-dials": True}
    assert _kinds("v5.10.0") == {}  # v9.7.1-v9.17: no lock, bounded dials not yet
    unknown = version_of("tykio/tyk-gateway:v5.2.0")  # release known, client not
    assert has(unknown, DIAL_LOCK) is None and has(unknown, BOUNDED_DIALS) is None
    assert has(unknown, PROBE_PASS_IN_OUTAGE) is False


def test_labels_override_the_tag_and_the_release_table() -> None:
    ref, labels = _inspect("gateway-v5.8.1-go-redis-v9.13.0")
    v = version_of(ref, labels)
    assert (v.release, v.release_from) == ("v5.8.1", "label")
    assert v.go_redis == Range.exact("v9.13.0") and v.go_redis_from == "label"
    assert (v.storage, v.storage_from) == ("v1.3.4", "label")
    assert has(v, DIAL_LOCK) is False  # the release table says v9.7.0: the label wins
    assert has(v, LIMITER_TLS_IGNORED) is True  # v5.8.1's own code: still no limiter TLS
    assert v.client() == "go-redis v9.13.0 (image label), storage v1.3.4 (image label)"
    ref, labels = _inspect("gateway-v5.8.1")
    as_released = version_of(ref, labels)
    assert has(as_released, DIAL_LOCK) is True and as_released.as_dict()["dial_lock"] is True


def test_a_label_under_any_tag_wins() -> None:
    _, labels = _inspect("gateway-v5.8.1-go-redis-v9.13.0")
    v = version_of("stackctl/tyk-gateway:vary-test-b", labels)
    assert v.release == "v5.8.1" and v.go_redis == Range.exact("v9.13.0")


def test_the_tag_then_hello() -> None:
    ref, labels = _inspect("tykio-gateway-v5.8.15")
    v = version_of(ref, labels, hello_version="v5.8.99")
    assert (v.release, v.release_from) == ("v5.8.15", "tag")
    assert v.go_redis_from == "table" and v.storage == "v1.3.4"
    # The old local image: no version labels, a tag that starts like a release.
    ref, labels = _inspect("gateway-v5.8.0-e65eff00608a")
    old = version_of(ref, labels)
    assert (old.release, old.release_from) == ("v5.8.0-e65eff00608a", "tag")
    assert old.go_redis == Range.exact("v9.7.0") and has(old, DIAL_LOCK) is True
    # No label, no release in the tag: /hello's version.
    hello = version_of("stackctl/tyk-gateway:vary-test-b", labels, hello_version="v5.8.1")
    assert (hello.release, hello.release_from) == ("v5.8.1", "hello")
    assert hello.go_redis_from == "table"
    nothing = version_of("registry.local:5000/gw", {}, hello_version="dev")
    assert nothing.release is None and nothing.release_from == "unknown"
    assert nothing.go_redis is None and has(nothing, DIAL_LOCK) is None
    assert "unknown" in nothing.describe()
