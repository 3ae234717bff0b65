"""Shared e2e assertion: a Tyk container runs under the official images' contract, as a
non-root user and with no shell to exec (tyk-facts §15)."""

from __future__ import annotations

import json
import subprocess

from stackctl.errors import ConfigError
from stackctl.smoke.slo import parse_slo
from stackctl.smoke.step import INFORMATIVE
from stackenv import DOCKER


def assert_shell_less_non_root(container: str) -> str:
    """`container` runs as a numeric non-root uid and `docker exec … sh` cannot start a
    shell in it; returns its `Config.User`."""
    out = subprocess.run([DOCKER, "inspect", "--type", "container", container],
                         capture_output=True, text=True, check=True, timeout=30)
    user = str(json.loads(out.stdout)[0]["Config"]["User"])
    uid = user.partition(":")[0]
    assert uid.isdigit() and uid != "0", f"{container} runs as {user!r}"
    shell = subprocess.run([DOCKER, "exec", container, "sh", "-c", "true"],
                           capture_output=True, text=True, timeout=30)
    assert shell.returncode != 0, f"{container} has a shell"
    assert "executable file not found" in shell.stdout + shell.stderr, shell.stderr
    return user


def short_smoke_passed(detail: str) -> bool:
    """Whether `up`'s short smoke (its step detail) passed every functional check: the
    checks the step itself calls informative (steady, latency, connection reuse: 3 s at
    20 req/s cannot judge them, and a busy machine fails them) and the objectives (`--slo`,
    by default p99<=250ms), which the step reports but does not judge, do not count."""
    if detail.endswith("; all checks pass"):
        return True
    failed = detail.rpartition("; FAILED: ")[2].split(", ")
    return "; FAILED: " in detail and all(name in INFORMATIVE or _is_objective(name)
                                          for name in failed)


def _is_objective(name: str) -> bool:
    try:
        parse_slo(name)
    except ConfigError:
        return False
    return True
