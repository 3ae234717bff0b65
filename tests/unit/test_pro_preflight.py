"""Profile pro's bad input before anything starts: no licence, a malformed or expired
licence, a PostgreSQL outside the Dashboard's range: one line naming the fix, exit 2,
nothing written (these fail before any engine call, so no engine is needed)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from stackctl.errors import ConfigError
from stackctl.settings import load_settings, nested
from stackctl.tyk.licence import check_licence, licence_expiry
from stackctl.tyk.pro_checks import check_dashboard_image, check_postgres
from stackenv import clean_stackctl as stackctl

pytestmark = pytest.mark.unit


def jwt(payload: dict[str, object]) -> str:
    """An unsigned JWT-shaped string (stackctl reads exp without verifying)."""
    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(payload)}.c2ln"


def with_licence(tmp_path: Path, licence: str | None) -> Path:
    state = tmp_path / ".stackctl"
    if licence is not None:
        state.mkdir()
        (state / "secrets.json").write_text(json.dumps({"licence": licence}))
    return state


@pytest.mark.parametrize(("licence", "needle"), [
    (None, "licence: the Tyk Dashboard (profile pro) needs a licence"),
    ("not-a-jwt", "licence: is not a JWT"),
    (jwt({"exp": 1_600_000_000}), "licence: expired on 2020-09-13"),
])
def test_up_pro_bad_licence_is_one_line_exit_2_nothing_started(
        tmp_path: Path, licence: str | None, needle: str) -> None:
    state = with_licence(tmp_path, licence)
    before = sorted(p.name for p in state.iterdir()) if state.exists() else []
    out = stackctl("up", "--profile", "pro", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    last = out.stderr.strip().splitlines()[-1]  # above it: the step table's failed row
    assert last.startswith("stackctl: error: preflight: ") and needle in last, out.stderr
    assert "Traceback" not in out.stderr
    if licence:
        assert licence not in out.stderr + out.stdout  # never printed
    after = sorted(p.name for p in state.iterdir()) if state.exists() else []
    assert after == before  # no secrets generated, nothing rendered


def test_licence_from_the_environment(tmp_path: Path) -> None:
    out = stackctl("doctor", "--json", cwd=tmp_path,
                   env={"STACKCTL_PROFILE": "pro",
                        "STACKCTL_LICENCE": jwt({"exp": time.time() + 86400})})
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["licence"]["status"] == "pass"
    assert checks["licence"]["detail"].startswith("licence valid until")
    assert checks["postgres-version"]["status"] == "pass"


def test_up_pro_postgres_outside_the_range(tmp_path: Path) -> None:
    with_licence(tmp_path, jwt({"exp": time.time() + 86400}))
    out = stackctl("up", "--profile", "pro", cwd=tmp_path,
                   env={"STACKCTL_IMAGES__POSTGRES": "postgres:12.19"})
    assert out.returncode == 2
    line = out.stderr.strip().splitlines()[-1]
    assert "images.postgres: postgres:12.19 is PostgreSQL 12, outside" in line
    assert "(14-17)" in line


def test_licence_reading() -> None:
    assert licence_expiry(SecretStr(jwt({"sub": "x"}))) is None
    assert licence_expiry(SecretStr(jwt({"exp": 4102444800}))) == 4102444800.0
    with pytest.raises(ConfigError, match="not a number"):
        licence_expiry(SecretStr(jwt({"exp": "soon"})))
    with pytest.raises(ConfigError, match="not a JWT"):
        licence_expiry(SecretStr("a.%%%.c"))
    assert check_licence(SecretStr(jwt({"exp": 200})), now=100) == (
        "licence valid until 1970-01-01")
    with pytest.raises(ConfigError, match="expired"):
        check_licence(SecretStr(jwt({"exp": 100})), now=100)


def test_dashboard_image_absent_and_postgres_tags(tmp_path: Path) -> None:
    settings = load_settings(None, nested({"state_dir": str(tmp_path), "profile": "pro"}))
    with pytest.raises(ConfigError, match=r"images.dashboard: tykio/tyk-dashboard:v5\.8\.15 "
                                          r"is not present"):
        check_dashboard_image(settings, lambda ref: False)
    assert check_dashboard_image(settings, lambda ref: True).endswith("present")
    assert check_postgres(settings) == "PostgreSQL 15 (supported: 14-17)"
    mirror = load_settings(None, nested({"state_dir": str(tmp_path), "profile": "pro",
                                         "images.postgres": "mirror/pg:latest"}))
    assert "version not in its tag" in check_postgres(mirror)
