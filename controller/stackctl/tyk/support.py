"""The support matrix gate: checked before anything starts."""

from __future__ import annotations

from stackctl.errors import ConfigError
from stackctl.images.select import stack_images
from stackctl.settings import Settings
from stackctl.tyk.gateway_version import GatewayVersion, image_version
from stackctl.tyk.lookup import rate_limiter
from stackctl.tyk.releases import release_tag
from stackctl.tyk.render_gateway import check_limiter
from stackctl.tyk.tables import LIMITER_CLIENT_TLS_FILES
from stackctl.versions import (
    GATEWAY_MODULE,
    PUMP_MODULE,
    REDIS_VERSION,
    SUPPORT_MATRIX,
    parse_release,
    supported,
)


def target_versions(settings: Settings) -> tuple[str, str]:
    """(Tyk release, Redis version) by the tags of the images run; the pinned release otherwise."""
    images = stack_images(settings)
    return (release_tag(images["gateway"]) or GATEWAY_MODULE.release,
            release_tag(images["redis"]) or REDIS_VERSION)


def target_gateway(settings: Settings) -> GatewayVersion:
    """The stack's gateway image, its release and Redis client (labels if present, else tag)."""
    return image_version(stack_images(settings)["gateway"])


def gateway_release(settings: Settings) -> str:
    """The gateway release: its image's label, else its tag, else the pinned local release."""
    return target_gateway(settings).release or target_versions(settings)[0]


def sliding_log_refuses(settings: Settings, tls: str) -> bool:
    """With Redis `tls` (the mode Tyk dials: managed or external), the gateway's Redis
    sliding log (the DRL's fallback below drl_threshold) cannot verify the cluster: its
    client ignores the CA and client certificate before tables.LIMITER_CLIENT_TLS_FILES,
    so every request it judges is refused (internal/rate/sliding_log.go Do: an error
    blocks)."""
    return tls in ("tls", "mtls") and not LIMITER_CLIENT_TLS_FILES.contains(
        gateway_release(settings))


def pump_release(settings: Settings) -> str:
    """The pump release this stack runs, honouring an image override."""
    return release_tag(settings.images.pump) or PUMP_MODULE.release


def _lines(tyk: str) -> str:
    major_minor = parse_release(tyk)
    for row in SUPPORT_MATRIX:
        if major_minor >= row.tyk_min and (row.tyk_max is None or major_minor <= row.tyk_max):
            return ", ".join(row.redis_lines)
    return "none"


def check_support(settings: Settings) -> None:
    """Raise ConfigError for a Tyk/Redis pair outside the matrix, unless allowed, and for
    a rate limiter the release cannot run with this TLS mode."""
    tyk, redis = target_versions(settings)
    limiter = rate_limiter(settings.gateway.rate_limiter)
    if limiter.in_redis and settings.redis_tls in ("tls", "mtls"):  # read the image's labels
        check_limiter(limiter, settings.redis_tls, gateway_release(settings))
    if settings.allow_unsupported or supported(tyk, redis):
        return
    raise ConfigError(
        "allow_unsupported",
        f"Tyk {tyk} with Redis {redis} is outside the support matrix"
        f" (Tyk {tyk} supports Redis {_lines(tyk)})",
        "use a supported pair, or set allow_unsupported = true to run it anyway")
