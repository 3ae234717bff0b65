"""The real gateway and pump configured by the env form (TYK_GW_*, TYK_PMP_*) against the
mtls cluster, with up's own short smoke: /hello reports Redis pass and the pump is healthy,
with no secret in `docker inspect`'s Config.Env (tests/e2e/envform.py). The tls cluster's
env form is checked on the tls stack of tests/e2e/test_up_e2e.py (switched to the env form
after its files-form checks: one stack per mode). The files form is what `up` uses by
default: test_up_e2e covers it in every TLS mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from contract import short_smoke_passed
from envform import check_env_form

from stackenv import stack_env, stackctl

pytestmark = pytest.mark.e2e

PROJECT = "stackctl-e2e-envform-mtls"
SUBNETS = ("172.31.144.0/24", "172.31.145.0/24")


def test_env_form_gateway_and_pump_reach_the_mtls_cluster(tmp_path: Path) -> None:
    env = stack_env(PROJECT, *SUBNETS, STACKCTL_CONFIG_FORM="env")
    try:
        # with up's own short smoke (every check, analytics included)
        up = stackctl(tmp_path, env, "up", "--tls", "mtls", "--json")
        assert up.returncode == 0, up.stderr + up.stdout
        result = [json.loads(line) for line in up.stdout.splitlines()
                  if line.startswith("{")][-1]
        steps = {s["name"]: s for s in result["steps"]}
        assert steps["smoke"]["status"] == "ok", steps["smoke"]
        assert short_smoke_passed(steps["smoke"]["detail"]), steps["smoke"]
        check_env_form(PROJECT, tmp_path, env)
    finally:
        stackctl(tmp_path, env, "down", "--volumes", timeout=120)
