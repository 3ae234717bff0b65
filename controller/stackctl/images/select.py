"""Which image each service runs: official by default, local with `offline`."""

from __future__ import annotations

from stackctl import versions
from stackctl.settings import Settings

SERVICE_IMAGES = {
    "redis": "redis",
    "gateway": "tyk-gateway",
    "pump": "tyk-pump",
    "upstream": "upstream",
}


def stack_images(settings: Settings) -> dict[str, str]:
    """service -> image:tag for this settings' profile and mode (overrides win)."""
    wanted = dict(SERVICE_IMAGES)
    if settings.profile == "pro":
        wanted["dashboard"] = "tyk-dashboard"
        wanted["postgres"] = "postgres"
    overrides = {
        "redis": settings.images.redis,
        "gateway": settings.images.gateway,
        "pump": settings.images.pump,
        "dashboard": settings.images.dashboard,
        "postgres": settings.images.postgres,
    }
    out: dict[str, str] = {}
    for service, name in wanted.items():
        spec = versions.image(name)
        default = spec.local if settings.images.offline or spec.official is None else spec.official
        out[service] = overrides.get(service) or default
    return out
