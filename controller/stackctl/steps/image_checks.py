"""Preflight's checks of what the containers run from, in the order a user fixes them: the
TLS files named in the settings, the images present (the official ones pulled when
missing), the Tyk images' users and, for an override image, whether its user can read
and run its own files. Each failure is one line naming the file or image and the fix."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from stackctl.errors import ConfigError, ToolError
from stackctl.render.tyk import IMAGE_NEEDS
from stackctl.runtime.image_user import image_users, record_run_as, unreadable
from stackctl.settings import Settings

TLS_FILES = ("ca_file", "cert_file", "key_file")
TYK_IMAGES = ("gateway", "pump", "dashboard")
"""The services whose images are distroless, run as the image's own user."""
Decision = Literal["none", "pull", "build", "refuse"]


def check_tls_files(settings: Settings) -> None:
    """Every TLS file the settings name exists and can be read (external mode)."""
    if settings.redis.mode != "external":
        return
    ext = settings.redis.external
    for name in TLS_FILES:
        value = getattr(ext, name, None)
        if not value:
            continue
        path, setting = Path(str(value)), f"redis.external.{name}"
        if not path.is_file():
            raise ConfigError(setting, f"{path} does not exist",
                              "give the path of the PEM file, or remove the setting")
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            raise ConfigError(setting, f"{path} cannot be read ({exc.strerror})",
                              "make it readable by the user running stackctl") from None


def overrides(settings: Settings) -> dict[str, str]:
    """service -> the image the settings name for it (`images.<service>`)."""
    imgs = settings.images
    given = {"gateway": imgs.gateway, "pump": imgs.pump, "dashboard": imgs.dashboard,
             "redis": imgs.redis, "postgres": imgs.postgres}
    return {s: ref for s, ref in given.items() if ref}


def decide(missing: Sequence[str], offline: bool, pull: bool) -> Decision:
    """What to do about absent images: nothing, pull, say to build (offline), or refuse."""
    if not missing:
        return "none"
    if offline:
        return "build"
    return "pull" if pull else "refuse"


def ensure_images(settings: Settings, present: Mapping[str, bool],
                  pull: Callable[[str], str | None]) -> list[str]:
    """The images pulled (none when all are present); ConfigError naming an absent override image
    (by its setting), unbuilt local images, `--no-pull`, or a failed pull; nothing started."""
    given = overrides(settings)
    for service, ref in given.items():
        if not present.get(ref, True):
            raise ConfigError(f"images.{service}", f"{ref} is not present",
                              f"`docker pull {ref}` (or build it), or remove the override")
    missing = [ref for ref, ok in present.items() if not ok]
    what = ", ".join(missing)
    decision = decide(missing, settings.images.offline, settings.images.pull)
    if decision == "build":
        raise ConfigError("images", f"not present: {what}", "run `stackctl images build`")
    if decision == "refuse":
        raise ConfigError("images", f"not present: {what}",
                          "pull them (`stackctl up` without --no-pull), or run "
                          "`stackctl images build` and use --offline")
    for ref in missing:
        why = pull(ref)
        if why is not None:
            raise ConfigError("images", f"cannot pull {what} ({ref}: {why})",
                              "where no registry answers, run `stackctl images build` and "
                              "use --offline")
    return missing


def tyk_users(settings: Settings, images: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """The Tyk services' image users (uid, gid), recorded for the renderers; an override
    image's user must resolve, and read and run its own files as the container will."""
    given = overrides(settings)
    users: dict[str, tuple[int, int]] = {}
    for service in TYK_IMAGES:
        ref = images.get(service)
        if ref is None:
            continue
        setting = f"images.{service}" if service in given else "images"
        try:
            users.update(image_users({service: ref}, settings.state_dir))
        except ToolError as exc:
            raise ConfigError(setting, f"{ref}: its user cannot be found ({exc})",
                              "use an image whose USER is a number or is in its "
                              "/etc/passwd") from None
        if service in given and service in IMAGE_NEEDS:
            reads, runs = IMAGE_NEEDS[service]
            uid = users[service][0]
            bad = unreadable(ref, uid, [os.getgid()], reads, runs, settings.state_dir)
            if bad:
                raise ConfigError(setting, f"{ref}: its user {uid} cannot use "
                                  f"{', '.join(bad[:3])}"
                                  + (f" and {len(bad) - 3} more" if len(bad) > 3 else ""),
                                  "make its files readable by any user (chmod -R a+rX, "
                                  "as Tyk's Dockerfile does), or use another image")
    record_run_as(settings.state_dir, users, images)
    return users
