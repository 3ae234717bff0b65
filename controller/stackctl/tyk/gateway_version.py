"""Which Tyk a gateway image is and which Redis client it carries: the image's labels (a
local build's), its tag (an official image's), or the running gateway's /hello; the client
from the labels, else tables.GATEWAY_CLIENTS; then its known behaviours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from stackctl.clients.gateway import GatewayClient, GatewayError
from stackctl.errors import ToolError
from stackctl.runtime.images import container_image, image_facts
from stackctl.tyk.releases import Range, looks_like_release, release_tag
from stackctl.tyk.tables import (
    CLIENT_BEHAVIOURS,
    DIAL_LOCK,
    GATEWAY_CLIENTS,
    VERSION_LABELS,
    ClientBehaviour,
    GatewayRedisClient,
)

Source = Literal["label", "tag", "hello", "table", "unknown"]
T = TypeVar("T")
SOURCE_TEXT: dict[str, str] = {
    "label": "image label", "tag": "image tag", "hello": "the gateway's /hello",
    "table": "release table", "unknown": "unknown"}


@dataclass(frozen=True)
class GatewayVersion:
    """A gateway image's release and Redis client, each with where it was read."""

    image: str
    release: str | None
    release_from: Source
    go_redis: Range | None
    go_redis_from: Source
    storage: str | None
    storage_from: Source

    def client(self) -> str:
        """`go-redis v9.13.0 (image label), storage v1.3.4 (image label)`."""
        if self.go_redis is None:
            return "Redis client unknown (release not in the table)"
        text = f"go-redis {self.go_redis.describe()} ({SOURCE_TEXT[self.go_redis_from]})"
        if self.storage:
            text += f", storage {self.storage} ({SOURCE_TEXT[self.storage_from]})"
        return text

    def describe(self) -> str:
        """`stackctl/tyk-gateway:v5.8.1: Tyk v5.8.1 (image label), go-redis ...`."""
        release = (f"Tyk {self.release} ({SOURCE_TEXT[self.release_from]})"
                   if self.release else "Tyk release unknown")
        return f"{self.image}: {release}, {self.client()}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"image": self.image, "release": self.release,
                "release_from": self.release_from,
                "go_redis": None if self.go_redis is None else self.go_redis.describe(),
                "go_redis_from": self.go_redis_from, "storage": self.storage,
                "storage_from": self.storage_from, "client": self.client(),
                "dial_lock": has(self, DIAL_LOCK)}


def release_client(release: str) -> GatewayRedisClient | None:
    """The row of GATEWAY_CLIENTS for `release`; None when no row covers it."""
    return next((row for row in GATEWAY_CLIENTS if row.releases.contains(release)), None)


def version_of(image: str, labels: Mapping[str, str] | None = None,
               hello_version: str | None = None) -> GatewayVersion:
    """Labels, then the tag, then /hello's version; the client from labels, else the release."""
    labels = labels or {}

    def label(name: str) -> str | None:
        value = labels.get(VERSION_LABELS[name], "").strip()
        return value if looks_like_release(value) else None

    release, release_from = _first((label("release"), "label"),
                                   (release_tag(image), "tag"),
                                   (_release(hello_version), "hello"))
    row = release_client(release) if release else None
    lab = label("go_redis")
    go_redis, go_from = _first((None if lab is None else Range.exact(lab), "label"),
                               (None if row is None else row.go_redis, "table"))
    storage, storage_from = _first((label("storage"), "label"),
                                   (None if row is None else row.storage, "table"))
    return GatewayVersion(image, release, release_from, go_redis, go_from, storage,
                          storage_from)


def _release(text: str | None) -> str | None:
    return text.strip() if text and looks_like_release(text) else None


def _first(*options: tuple[T | None, Source]) -> tuple[T | None, Source]:
    """The first value given, with its source; (None, "unknown") when none is."""
    return next(((v, src) for v, src in options if v is not None), (None, "unknown"))


def has(version: GatewayVersion, behaviour: ClientBehaviour) -> bool | None:
    """Whether this gateway behaves so: True, False, or None when the table cannot tell."""
    if behaviour.releases is not None:
        return None if version.release is None else behaviour.releases.contains(
            version.release)
    assert behaviour.go_redis is not None
    if version.go_redis is None:
        return None
    if version.go_redis.within(behaviour.go_redis):
        return True
    return None if version.go_redis.overlaps(behaviour.go_redis) else False


def behaviours(version: GatewayVersion) -> list[tuple[ClientBehaviour, bool | None]]:
    """Every known behaviour that applies (True) or may apply (None) to this gateway."""
    found = [(b, has(version, b)) for b in CLIENT_BEHAVIOURS]
    return [(b, v) for b, v in found if v is not False]


def image_version(image: str, hello_version: str | None = None) -> GatewayVersion:
    """A local image's version: its labels when the engine has it, else its tag alone."""
    try:
        facts = image_facts(image)
    except ToolError:
        facts = None
    return version_of(image, facts.labels if facts else None, hello_version)


def container_version(container: str, fallback_image: str,
                      hello_version: str | None = None) -> GatewayVersion:
    """The version of a running container's image (`fallback_image` when there is none)."""
    facts = container_image(container)
    if facts is None:
        return image_version(fallback_image, hello_version)
    return version_of(facts.ref, facts.labels, hello_version)


def hello_version(base_url: str) -> str | None:
    """The running gateway's /hello `version` (apidef/health_check.go:21); None without answer."""
    try:
        with GatewayClient(base_url, timeout=2.0) as gw:
            value = gw.hello().get("version")
    except GatewayError:
        return None
    return str(value) if value else None
