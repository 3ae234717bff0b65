"""The env form's checks (config_form = env), shared by the tls up e2e (its stack, switched
to the env form) and the mtls env-form e2e: the gateway reports Redis `pass`, the pump is
healthy, no secret in `docker inspect`'s Config.Env (they come from a mounted secrets-only
config file), the files' modes, and the images' contract."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from contract import assert_shell_less_non_root

from stackenv import DOCKER, stackctl


def mounts_and_env(container: str) -> tuple[list[str], list[str]]:
    """Mount destinations and `docker inspect`'s Config.Env entries (NAME=value)."""
    out = subprocess.run([DOCKER, "inspect", container], capture_output=True, text=True,
                         check=True)
    info = json.loads(out.stdout)[0]
    return [m["Destination"] for m in info["Mounts"]], list(info["Config"]["Env"])


def check_env_form(project: str, cwd: Path, env: dict[str, str]) -> None:
    """The running stack `project` (in `cwd`, with `env`) is configured by the env form."""
    status = json.loads(stackctl(cwd, env, "status", "--json").stdout)
    assert status["gateway"]["redis"] == "pass"
    assert {s["service"]: s["health"] for s in status["services"]}["pump"] == "healthy"
    state = cwd / ".stackctl"
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
    # The env files are read by Compose on the host (0600); the secrets-only files are
    # mounted: readable by the containers' group (the image's user runs with the host
    # user's group), by nobody else.
    for name, want in (("gateway.env", 0o600), ("gateway-secrets.conf", 0o640),
                       ("pump.env", 0o600), ("pump-secrets.conf", 0o640)):
        assert (state / "rendered" / name).stat().st_mode & 0o777 == want, name
