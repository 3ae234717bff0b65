"""The support matrix gate: checked before anything starts."""

from __future__ import annotations

from stackctl.errors import ConfigError
from stackctl.settings import Settings
from stackctl.tyk.releases import looks_like_release
from stackctl.versions import (
    GATEWAY_MODULE,
    PUMP_MODULE,
    REDIS_VERSION,
    SUPPORT_MATRIX,
    parse_release,
    supported,
)


def _tag(image: str | None) -> str | None:
    """The tag of `name:tag` when it reads as a release number."""
    if image is None or ":" not in image:
        return None
    tag = image.rsplit(":", 1)[1]
    return tag if looks_like_release(tag) else None


def target_versions(settings: Settings) -> tuple[str, str]:
    """(Tyk release, Redis version) this stack runs, honouring image overrides."""
    tyk = _tag(settings.images.gateway) or GATEWAY_MODULE.release
    redis = _tag(settings.images.redis) or REDIS_VERSION
    return tyk, redis


def pump_release(settings: Settings) -> str:
    """The pump release this stack runs, honouring an image override."""
    return _tag(settings.images.pump) or PUMP_MODULE.release


def _lines(tyk: str) -> str:
    major_minor = parse_release(tyk)
    for row in SUPPORT_MATRIX:
        if major_minor >= row.tyk_min and (row.tyk_max is None or major_minor <= row.tyk_max):
            return ", ".join(row.redis_lines)
    return "none"


def check_support(settings: Settings) -> None:
    """Raise ConfigError for a Tyk/Redis pair outside the matrix, unless allowed, and for
    a rate limiter the release cannot run with this TLS mode."""
    from stackctl.tyk.lookup import rate_limiter
    from stackctl.tyk.render_gateway import check_limiter

    tyk, redis = target_versions(settings)
    check_limiter(rate_limiter(settings.gateway.rate_limiter), settings.redis.tls, tyk)
    if settings.allow_unsupported or supported(tyk, redis):
        return
    raise ConfigError(
        "allow_unsupported",
        f"Tyk {tyk} with Redis {redis} is outside the support matrix"
        f" (Tyk {tyk} supports Redis {_lines(tyk)})",
        "use a supported pair, or set allow_unsupported = true to run it anyway")
