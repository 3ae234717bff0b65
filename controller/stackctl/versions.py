"""The one version table: official images, local equivalents, Go modules, support matrix.

Read by `images build`, `up`, `doctor` and the configuration checks alike. A new Tyk or
Redis version is an edit here, not a code hunt.

Default release: the Tyk 5.8 LTS line (v5.8.15). An LTS line gets fixes for two years and
is what a production evaluation should load-test; 5.14 is the latest stable but is
supported only until the next minor. Pump: see PUMP_MODULE.
"""

from __future__ import annotations

from dataclasses import dataclass

GO_MIN_VERSION = (1, 25)
"""The go directive of the pinned Gateway and Pump modules (both say 1.25.0)."""


@dataclass(frozen=True)
class GoModule:
    """A Tyk component's Go module at a pinned release."""

    path: str
    version: str  # what `go mod download` takes (a tag, or a pseudo-version)
    release: str  # the human release the binary reports
    version_symbol: str  # the -X ldflag target that carries the release


@dataclass(frozen=True)
class ImageSpec:
    """One image of the stack: its official name and its locally built equivalent."""

    name: str  # short name used by `images build --only`
    official: str | None  # registry image:tag, None where none exists
    local: str  # image:tag built by `stackctl images build`
    recipe: str  # folder under stack/images/
    module: GoModule | None = None
    depends_on: tuple[str, ...] = ()


GATEWAY_MODULE = GoModule(
    path="github.com/TykTechnologies/tyk",
    # v5.8.15 is not a valid module version (no /v5 suffix): the tag's commit.
    version="301579e685f8b1023bac81dda9b681326eb98969",
    release="v5.8.15",
    version_symbol="github.com/TykTechnologies/tyk/internal/build.Version",
)

PUMP_MODULE = GoModule(
    path="github.com/TykTechnologies/tyk-pump",
    # v1.14.0 is the newest release whose whole dependency graph the module proxy serves:
    # v1.14.1 and later replace gorm with github.com/TykTechnologies/gorm
    # v1.20.7-0.20260417144542-d6d1a2e12d9d, which the proxy refuses (403). Its source
    # still says "v1.12.0", so the release is injected with -ldflags -X.
    version="v1.14.0",
    release="v1.14.0",
    version_symbol="github.com/TykTechnologies/tyk-pump/pumps.Version",
)

REDIS_VERSION = "7.0.15"
"""Debian bookworm's redis-server: TLS built in."""

IMAGES: tuple[ImageSpec, ...] = (
    ImageSpec("base", None, "stackctl/base:bookworm", "base"),
    ImageSpec("redis", f"redis:{REDIS_VERSION}", f"stackctl/redis:{REDIS_VERSION}", "redis",
              depends_on=("base",)),
    ImageSpec("tyk-gateway", f"tykio/tyk-gateway:{GATEWAY_MODULE.release}",
              f"stackctl/tyk-gateway:{GATEWAY_MODULE.release}", "tyk-gateway",
              module=GATEWAY_MODULE, depends_on=("base",)),
    ImageSpec("tyk-pump", f"tykio/tyk-pump-docker-pub:{PUMP_MODULE.release}",
              f"stackctl/tyk-pump:{PUMP_MODULE.release}", "tyk-pump",
              module=PUMP_MODULE, depends_on=("base",)),
    ImageSpec("tyk-dashboard", f"tykio/tyk-dashboard:{GATEWAY_MODULE.release}",
              f"tykio/tyk-dashboard:{GATEWAY_MODULE.release}", "", depends_on=()),
    ImageSpec("upstream", "nginx:1.22", "stackctl/upstream:1.22", "upstream",
              depends_on=("base",)),
    ImageSpec("load", None, "stackctl/load:4.1.0", "load", depends_on=("base",)),
)
"""Every image, in build order. The dashboard is closed source: it has no local build."""

BUILDABLE = tuple(spec.name for spec in IMAGES if spec.recipe)


def image(name: str) -> ImageSpec:
    """The spec of one image by its short name."""
    for spec in IMAGES:
        if spec.name == name:
            return spec
    raise KeyError(name)


@dataclass(frozen=True)
class Support:
    """One row of the support matrix from Tyk's Redis Cluster page."""

    tyk_min: tuple[int, int]
    tyk_max: tuple[int, int] | None  # inclusive; None: no upper bound
    redis_lines: tuple[str, ...]


SUPPORT_MATRIX: tuple[Support, ...] = (
    Support((5, 3), None, ("6.2", "7.0", "7.2")),
    Support((0, 0), (5, 2), ("6.0", "6.2")),
)


def parse_release(release: str) -> tuple[int, int]:
    """`v5.8.15` -> (5, 8)."""
    parts = release.lstrip("v").split(".")
    return int(parts[0]), int(parts[1])


def supported(tyk_release: str, redis_version: str) -> bool:
    """Whether the reference page lists this Tyk release with this Redis line."""
    tyk = parse_release(tyk_release)
    line = ".".join(redis_version.split(".")[:2])
    for row in SUPPORT_MATRIX:
        if tyk >= row.tyk_min and (row.tyk_max is None or tyk <= row.tyk_max):
            return line in row.redis_lines
    return False
