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
        up = stackctl(tmp_path, env, "up", "--tls", mode, "--no-smoke")
        assert up.returncode == 0, up.stderr
        status = json.loads(stackctl(tmp_path, env, "status", "--json").stdout)
        assert status["gateway"]["redis"] == "pass"
        assert {s["name"]: s["health"] for s in status["services"]}["pump"] == "healthy"
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
        for name in ("gateway.env", "gateway-secrets.conf", "pump.env", "pump-secrets.conf"):
            assert (state / "rendered" / name).stat().st_mode & 0o777 == 0o600
    finally:
        stackctl(tmp_path, env, "down", "--volumes", timeout=120)
