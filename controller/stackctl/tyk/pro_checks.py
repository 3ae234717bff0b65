"""Profile pro's checks before anything starts: the licence, the Dashboard image, and the
PostgreSQL version against the Dashboard's supported range (versions.DASHBOARD_POSTGRES)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stackctl import versions
from stackctl.errors import ConfigError
from stackctl.images.select import stack_images
from stackctl.model import build_model
from stackctl.secrets import read_licence
from stackctl.settings import Settings
from stackctl.tyk.licence import check_licence
from stackctl.tyk.render_dashboard import missing_licence


def check_postgres(settings: Settings) -> str:
    """ConfigError for a PostgreSQL image whose tag names a version outside the range."""
    ref = stack_images(settings)["postgres"]
    major = versions.postgres_major(ref)
    supported = versions.DASHBOARD_POSTGRES
    span = f"{supported[0]}-{supported[-1]}"
    if major is None:
        return f"{ref}: version not in its tag (the Dashboard supports PostgreSQL {span})"
    if major not in supported:
        raise ConfigError("images.postgres", f"{ref} is PostgreSQL {major}, outside the Tyk "
                          f"Dashboard's supported range ({span})",
                          f"use a PostgreSQL {span} image, e.g. "
                          f"postgres:{versions.POSTGRES_VERSION}")
    return f"PostgreSQL {major} (supported: {span})"


def check_dashboard_image(settings: Settings, present: Callable[[str], bool]) -> str:
    """ConfigError when the Dashboard image is absent and may not be pulled (offline, --no-pull)."""
    ref = stack_images(settings)["dashboard"]
    if present(ref):
        return f"{ref} present"
    raise ConfigError("images.dashboard", f"{ref} is not present, and the Dashboard has no "
                      "local build (closed source)",
                      f"`docker pull {ref}` where a registry answers (`stackctl up` "
                      "without --offline and --no-pull does it), `docker load` it, or set "
                      "images.dashboard to an image that is here")


def check_pro(settings: Settings, state_dir: Path) -> list[str]:
    """The pro checks needing no engine (licence, PostgreSQL version); the first failure raised."""
    licence = read_licence(state_dir)
    if licence is None:
        raise missing_licence(build_model(settings))
    return [check_licence(licence), check_postgres(settings)]
