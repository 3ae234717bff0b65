"""The real gateway and pump configured by the env form (TYK_GW_*, TYK_PMP_*) against the
tls and mtls clusters: /hello reports Redis pass and the pump is healthy, with no secret in
`docker inspect`'s Config.Env (they come from a mounted secrets-only config file). (The
files form is what `up` uses by default: tests/e2e/test_up_e2e.py covers it in every TLS
mode.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from contract import assert_shell_less_non_root

from stackenv import DOCKER, stack_env, stackctl

pytestmark = pytest.mark.e2e

CASES = {"tls": ("172.31.142.0/24", "172.31.143.0/24"),
         "mtls": ("172.31.144.0/24", "172.31.145.0/24")}


def mounts_and_env(container: str) -> tuple[list[str], list[str]]:
    """Mount destinations and `docker inspect`'s Config.Env entries (NAME=value)."""
    out = subprocess.run([DOCKER, "inspect", container], capture_output=True, text=True,
                         check=True)
    info = json.loads(out.stdout)[0]
    return [m["Destination"] for m in info["Mounts"]], list(info["Config"]["Env"])


@pytest.mark.parametrize("mode", sorted(CASES))
def test_env_form_gateway_and_pump_reach_the_cluster(mode: str, tmp_path: Path) -> None:
    project = f"stackctl-e2e-envform-{mode}"
    env = stack_env(project, *CASES[mode], STACKCTL_CONFIG_FORM="env")
    try:
        # mtls: with up's own short smoke (every check, analytics included)
        smoke = ["--json"] if mode == "mtls" else ["--no-smoke"]
        up = stackctl(tmp_path, env, "up", "--tls", mode, *smoke)
        assert up.returncode == 0, up.stderr + up.stdout
        if mode == "mtls":
            result = [json.loads(line) for line in up.stdout.splitlines()
                      if line.startswith("{")][-1]
            steps = {s["name"]: s for s in result["steps"]}
            assert steps["smoke"]["status"] == "ok", steps["smoke"]
            assert "all checks pass" in steps["smoke"]["detail"]
        status = json.loads(stackctl(tmp_path, env, "status", "--json").stdout)
        assert status["gateway"]["redis"] == "pass"
        assert {s["service"]: s["health"] for s in status["services"]}["pump"] == "healthy"
        state = tmp_path / ".stackctl"
        secrets = [v for v in json.loads((state / "secrets.json").read_text()).values()
                   if isinstance(v, str) and v]
        assert secrets
        for service, conf, prefix in (("gateway", "/opt/tyk-gateway/tyk.conf", "TYK_GW_"),
                                      ("pump", "/opt/tyk-pump/pump.conf", "TYK_PMP_")):
            mounts, env_entries = mounts_and_env(f"{project}-{service}-1")
            names = [e.split("=", 1)[0] for e in env_entries]
            assert conf in mounts  # the secrets-only file, read before the env
            assert f"{prefix}OMITCONFIGFILE" not in names
            assert any(n.endswith("ENABLECLUSTER") for n in names)
            assert not [e.split("=", 1)[0] for e in env_entries
                        if any(v in e.split("=", 1)[1] for v in secrets)]
            assert_shell_less_non_root(f"{project}-{service}-1")
        # The env files are read by Compose on the host (0600); the secrets-only files
        # are mounted: readable by the containers' group (the image's user runs with the
        # host user's group), by nobody else.
        for name, want in (("gateway.env", 0o600), ("gateway-secrets.conf", 0o640),
                           ("pump.env", 0o600), ("pump-secrets.conf", 0o640)):
            assert (state / "rendered" / name).stat().st_mode & 0o777 == want, name
    finally:
        stackctl(tmp_path, env, "down", "--volumes", timeout=120)
