"""`cluster.wait.wait_ready` with a fake gate: it polls until the rule passes, and on
timeout names the rule's last word."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stackctl.cluster.wait import READY_SCRIPT, wait_ready
from stackctl.errors import StepError
from stackctl.runtime.docker_cli import ExecResult

pytestmark = pytest.mark.unit


class FakeGate:
    def __init__(self, answers: Sequence[ExecResult]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, list[str]]] = []

    def exec(self, service: str, command: list[str], env: dict[str, str] | None = None,
             index: int = 1) -> ExecResult:
        self.calls.append((service, command))
        return self.answers[min(len(self.calls) - 1, len(self.answers) - 1)]


NOT_READY = ExecResult(1, "", "not ready: 172.31.1.11:6379: cluster_state:fail\n")


def test_polls_the_gate_until_the_rule_passes() -> None:
    gate = FakeGate([NOT_READY, NOT_READY, ExecResult(0, "ready\n", "")])
    now = [0.0]
    took = wait_ready(gate, 10, poll=0.25, clock=lambda: now[0],
                      sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert took == 0.5 and len(gate.calls) == 3
    assert gate.calls[0] == ("cluster-gate", ["sh", READY_SCRIPT])


def test_timeout_names_what_is_missing() -> None:
    now = [0.0]
    with pytest.raises(StepError) as err:
        wait_ready(FakeGate([NOT_READY]), 2, clock=lambda: now[0],
                   sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert str(err.value).startswith("redis-cluster: Redis Cluster not ready after 2 s: "
                                     "not ready: 172.31.1.11:6379: cluster_state:fail")


def test_a_stopped_gate_fails_at_once() -> None:
    gone = ExecResult(1, "", "Error response from daemon: Container abc is not running\n")
    with pytest.raises(StepError, match="cluster-gate stopped while the cluster formed"):
        wait_ready(FakeGate([NOT_READY, gone]), 60, sleep=lambda s: None)
