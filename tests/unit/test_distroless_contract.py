"""The stack under the official images' contract (distroless, uid 65532, no shell): the
Tyk containers run as the image's user with the files' group, every mounted file is 0640,
apps/ and the csv sink are writable by that group, nothing needs a shell in them (HTTP
probes from a neighbour), the upstream gets stackctl's nginx.conf; on Swarm the secrets
belong to the image's user; preflight's image and TLS-file decisions."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from stackctl.cluster.pki import ensure_pki
from stackctl.context import StackContext
from stackctl.context.render import render_stack
from stackctl.engine.factory import stack_context
from stackctl.errors import ConfigError
from stackctl.model import build_model
from stackctl.render.reference import reference_compose
from stackctl.runtime.image_user import read_run_as, record_run_as
from stackctl.runtime.swarm import Task
from stackctl.settings import load_settings, nested
from stackctl.steps.image_checks import check_tls_files, decide, ensure_images
from stackctl.steps.preflight import Preflight
from stackctl.swarm.health import parse_verdicts, probe_script

pytestmark = pytest.mark.unit

TYK = ("gateway", "pump")


def settings_for(tmp_path: Path, **flags: Any) -> Any:
    return load_settings(None, nested({"state_dir": str(tmp_path / "state"),
                                       "certs_dir": str(tmp_path / "certs"), **flags}))


def rendered(tmp_path: Path, **flags: Any) -> tuple[dict[str, Any], StackContext]:
    ctx = stack_context(build_model(settings_for(tmp_path, **flags)))
    if ctx.model.tls:
        ensure_pki(ctx.model)
    record_run_as(ctx.state_dir, {"gateway": (65532, 65532), "pump": (65532, 65532)})
    render_stack(ctx)
    return json.loads(ctx.compose_file.read_text()), ctx


def mode(path: str | Path) -> int:
    return stat.S_IMODE(Path(path).stat().st_mode)


@pytest.mark.parametrize("form", ["files", "env"])
def test_tyk_runs_as_the_image_user_with_the_files_group(tmp_path: Path, form: str) -> None:
    doc, _ = rendered(tmp_path, config_form=form, **{"redis.tls": "mtls"})
    services = doc["services"]
    for name in TYK:
        svc = services[name]
        assert svc["user"] == f"65532:{os.getgid()}"  # never the host user's uid
        assert "healthcheck" not in svc
        for mount in svc["volumes"]:
            source = Path(mount["source"])
            if source.is_dir():
                writable = not mount["read_only"]
                assert mode(source) == (0o770 if writable else 0o750), mount["target"]
                for child in source.iterdir():
                    if child.is_file() and not child.name.startswith("."):
                        want = 0o660 if writable else 0o640
                        if child.suffix == ".key":
                            want = 0o640 if child.stem in (*TYK, "dashboard") else 0o600
                        if child.suffix == ".crt":
                            want = 0o644
                        assert mode(child) == want, child
            else:
                assert mode(source) == 0o640, mount["target"]
    assert {m["target"] for m in services["pump"]["volumes"]} >= {"/opt/tyk-pump/csv"}
    # redis keeps its user (root, dropping privileges itself) and its shell checks
    assert services["redis-1"]["user"] == "0:0" and "healthcheck" in services["redis-1"]


def test_without_a_recorded_user_the_image_default_applies(tmp_path: Path) -> None:
    ctx = stack_context(build_model(settings_for(tmp_path)))
    render_stack(ctx)
    doc = json.loads(ctx.compose_file.read_text())
    assert read_run_as(ctx.state_dir) == {} and "user" not in doc["services"]["gateway"]


def test_upstream_gets_stackctls_nginx_conf(tmp_path: Path) -> None:
    doc, _ = rendered(tmp_path)
    (mount,) = doc["services"]["upstream"]["volumes"]
    assert mount["target"] == "/etc/nginx/nginx.conf" and mount["read_only"]
    text = Path(mount["source"]).read_text()
    assert "return 200" in text
    # works in Debian's nginx-light and the official image alike: no distribution user
    assert not [line for line in text.splitlines() if line.strip().startswith("user ")]


def test_pro_dashboard_runs_as_its_image_user(tmp_path: Path) -> None:
    from stackctl.secrets import secrets_path

    state = tmp_path / "state"
    state.mkdir(parents=True)
    secrets_path(state).write_text(json.dumps(
        {"licence": "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9."}))
    record_run_as(state, {"gateway": (65532, 0), "pump": (65532, 0), "dashboard": (65532, 0)})
    ctx = stack_context(build_model(settings_for(tmp_path, profile="pro")))
    render_stack(ctx)
    dash = json.loads(ctx.compose_file.read_text())["services"]["dashboard"]
    assert dash["user"] == f"65532:{os.getgid()}"
    assert mode(dash["volumes"][0]["source"]) == 0o640


def test_swarm_secrets_belong_to_the_image_user(tmp_path: Path) -> None:
    from stackctl.cluster.redis_conf import SCRIPTS, render_redis
    from stackctl.secrets import load_secrets
    from stackctl.swarm.stackfile import SwarmFiles, stack_file

    settings = settings_for(tmp_path, engine="swarm", **{"redis.tls": "mtls"})
    model = build_model(settings)
    ensure_pki(model)
    record_run_as(settings.state_dir, {"gateway": (65532, 65532), "pump": (65532, 65532)})
    conf = tmp_path / "conf"
    conf.mkdir()
    for name in ("tyk.conf", "pump.conf", "nginx.conf"):
        (conf / name).write_text("{}")
    files = SwarmFiles(render_redis(model, load_secrets(settings.state_dir)),
                       conf / "tyk.conf", conf / "pump.conf", {}, {}, SCRIPTS,
                       conf / "nginx.conf")
    doc = stack_file(model, files)
    for name in TYK:
        svc = doc["services"][name]
        assert "healthcheck" not in svc
        for ref in svc["secrets"]:
            if ref["mode"] == 0o400:  # the conf and the client key
                assert (ref["uid"], ref["gid"]) == ("65532", "65532"), ref["target"]
    node = doc["services"]["redis-1"]
    assert all(r["uid"] == "0" for r in node["secrets"])  # redis unchanged
    pump_csv = doc["services"]["pump"]["volumes"][0]
    assert pump_csv["type"] == "volume"
    assert "uid=65532,gid=65532" in doc["volumes"][pump_csv["source"]]["driver_opts"]["o"]
    assert doc["services"]["upstream"]["configs"][0]["target"] == "/etc/nginx/nginx.conf"


def test_swarm_probe_script_and_verdicts() -> None:
    gw = Task("t1", "gateway", "1", "n", "running", "running")
    pump = Task("t2", "pump", "1", "n", "running", "running")
    script = probe_script([(gw, "10.0.1.5"), (pump, "10.0.1.6")])
    assert "/dev/tcp/10.0.1.5/8080" in script and "/hello" in script
    assert "/dev/tcp/10.0.1.6/8083" in script and "/health" in script
    assert parse_verdicts("t1 pass\nt2 fail\nnoise\n") == {"t1": True, "t2": False}


def test_reference_tyk_services_user_volumes_and_no_shell(tmp_path: Path) -> None:
    settings = load_settings(Path(os.devnull), {"state_dir": str(tmp_path),
                                                "certs_dir": str(tmp_path / "certs")})
    doc = reference_compose(settings, tmp_path)
    services = doc["services"]
    for name in TYK:
        svc = services[name]
        assert svc["user"].startswith("${TYK_USER:-65532:")
        assert "healthcheck" not in svc and "x-probe" not in svc
        assert svc["depends_on"]["tyk-volumes"] == {
            "condition": "service_completed_successfully"}
    writes = {m["target"]: m for s in TYK for m in services[s]["volumes"]
              if m["type"] == "volume"}
    assert set(writes) == {"/opt/tyk-gateway/apps", "/opt/tyk-pump/csv"}
    job = services["tyk-volumes"]
    assert job["user"] == "0:0" and "chown" in job["entrypoint"][-1]
    assert services["upstream"]["volumes"][0]["source"] == "../stack/images/upstream/nginx.conf"


# --- preflight's decisions -----------------------------------------------------------

def test_pull_decision() -> None:
    assert decide([], offline=False, pull=True) == "none"
    assert decide(["a"], offline=False, pull=True) == "pull"
    assert decide(["a"], offline=False, pull=False) == "refuse"
    assert decide(["a"], offline=True, pull=True) == "build"


def test_ensure_images_pulls_what_is_missing(tmp_path: Path) -> None:
    pulled: list[str] = []
    got = ensure_images(settings_for(tmp_path), {"redis:7.0.15": False, "nginx:1.22": True},
                        lambda ref: pulled.append(ref) or None)
    assert got == pulled == ["redis:7.0.15"]


def test_no_registry_is_one_line_naming_the_images_and_offline(tmp_path: Path) -> None:
    calls: list[str] = []

    def fail(ref: str) -> str:
        calls.append(ref)
        return "dial tcp: lookup registry-1.docker.io: no such host"

    present = {"tykio/tyk-gateway:v5.8.15": False, "redis:7.0.15": False, "nginx:1.22": True}
    with pytest.raises(ConfigError) as err:
        ensure_images(settings_for(tmp_path), present, fail)
    line = str(err.value)
    assert "\n" not in line and err.value.exit_code == 2
    assert "tykio/tyk-gateway:v5.8.15, redis:7.0.15" in line and "--offline" in line
    assert calls == ["tykio/tyk-gateway:v5.8.15"]  # the first failure stops the pulls


def test_no_pull_refuses_naming_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^images: not present: redis:7.0.15; pull them"):
        ensure_images(settings_for(tmp_path, **{"images.pull": False}),
                      {"redis:7.0.15": False}, lambda ref: pytest.fail("pulled"))


def test_absent_override_is_named_by_its_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^images\.gateway: my/gw:1 is not present"):
        ensure_images(settings_for(tmp_path, **{"images.gateway": "my/gw:1"}),
                      {"my/gw:1": False}, lambda ref: pytest.fail("pulled an override"))


def test_missing_tls_file_is_named_first(tmp_path: Path) -> None:
    ext = {"redis.mode": "external", "redis.external.network": "n",
           "redis.external.addrs": ["cfg:6379"], "redis.external.tls": "tls",
           "redis.external.ca_file": str(tmp_path / "nope.crt")}
    settings = settings_for(tmp_path, **ext)
    with pytest.raises(ConfigError, match=r"^redis\.external\.ca_file: .*nope\.crt does not"):
        check_tls_files(settings)
    # preflight names it before any image or engine check (no Docker call happens here)
    with pytest.raises(ConfigError, match=r"^redis\.external\.ca_file"):
        Preflight().run(stack_context(build_model(settings)))
    unreadable = tmp_path / "ca.crt"
    unreadable.write_text("x")
    unreadable.chmod(0)
    if os.geteuid() != 0:  # root reads anything
        with pytest.raises(ConfigError, match=r"cannot be read"):
            check_tls_files(settings_for(tmp_path, **{**ext, "redis.external.ca_file":
                                                      str(unreadable)}))


def test_a_varied_image_gets_its_own_user(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A render with another gateway image than preflight recorded (e.g. the drill's
    `--vary images.gateway`) asks that image for its user; the others are as recorded."""
    from stackctl.runtime import image_user

    state = tmp_path / "state"
    record_run_as(state, {"gateway": (65532, 65532), "pump": (65532, 65532)},
                  {"gateway": "a/gw:1", "pump": "a/pump:1"})
    asked: list[dict[str, str]] = []

    def users(refs: dict[str, str], state_dir: Path) -> dict[str, tuple[int, int]]:
        asked.append(dict(refs))
        return {s: (1000, 1000) for s in refs}

    monkeypatch.setattr(image_user, "image_users", users)
    same = read_run_as(state, {"gateway": "a/gw:1", "pump": "a/pump:1"})
    assert same == {"gateway": (65532, 65532), "pump": (65532, 65532)} and asked == []
    varied = read_run_as(state, {"gateway": "b/gw:2", "pump": "a/pump:1"})
    assert varied == {"gateway": (1000, 1000), "pump": (65532, 65532)}
    assert asked == [{"gateway": "b/gw:2"}]
