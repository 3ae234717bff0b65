"""`load.keys.delete_keys`, shared by the smoke, the sweep and the drill: every key is
tried, an already revoked one (404) is no problem, and a problem never shows a key."""

from __future__ import annotations

from typing import Any, cast

import pytest
from pydantic import SecretStr

from stackctl.clients.gateway import GatewayClient, GatewayError
from stackctl.load.keys import SmokeKey, delete_keys

pytestmark = pytest.mark.unit


class FakeGateway:
    """A test double: the answer per key of DELETE /tyk/keys/{key}."""

    def __init__(self, answers: dict[str, int]) -> None:
        self.answers = answers
        self.deleted: list[str] = []

    def delete_key(self, key: str) -> None:
        self.deleted.append(key)
        status = self.answers.get(key, 200)
        if status != 200:
            raise GatewayError(f"DELETE /tyk/keys/{key}: HTTP {status}", "http://gw", status)


def _keys(*raw: str) -> list[SmokeKey]:
    return [SmokeKey(SecretStr(r), f"hash-{r}", 1000, 1.0, False) for r in raw]


def test_every_key_tried_404_tolerated_and_keys_masked() -> None:
    gw = FakeGateway({"k-gone": 404, "k-broken": 500})
    problems = delete_keys(cast(GatewayClient, gw), _keys("k-ok", "k-gone", "k-broken"))
    assert gw.deleted == ["k-ok", "k-gone", "k-broken"]
    assert len(problems) == 1 and "HTTP 500" in problems[0]
    assert "k-broken" not in problems[0] and "<key>" in problems[0]


def test_no_keys_no_calls() -> None:
    gw: Any = FakeGateway({})
    assert delete_keys(gw, []) == [] and gw.deleted == []
