"""The one version table: official images, local equivalents, Go modules, support matrix;
a new Tyk or Redis version is an edit here. Default release: the Tyk 5.8 LTS line
(v5.8.15; LTS lines get fixes for two years, what a production evaluation should
load-test). Pump: see PUMP_MODULE."""

from __future__ import annotations

from dataclasses import dataclass, replace

GO_MIN_VERSION = (1, 25)
"""The go directive of the pinned Gateway and Pump modules (both say 1.25.0)."""


@dataclass(frozen=True)
class GoModule:
    """A Tyk component's Go module at a pinned release."""

    path: str
    version: str  # what `go mod download` takes (a tag, or a pseudo-version)
    release: str  # the human release the binary reports
    version_symbol: str  # the -X ldflag target that carries the release
    sum: str = ""  # pinned h1: hash; checked when the checksum database cannot vouch
    nosumdb: bool = False  # the checksum database has no entry: verify `sum` instead
    binary: str = ""  # the file name the built binary gets in its image
    assets: tuple[str, ...] = ()  # module folders copied into the build context
    # `go get path@version` applied to the module's own requirements before the build (the
    # build records which requirement lines moved); empty: built as released
    requires: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ImageSpec:
    """One image of the stack: its official name and its locally built equivalent."""

    name: str  # short name used by `images build --only`
    official: str | None  # registry image:tag, None where none exists
    local: str  # image:tag built by `stackctl images build`
    recipe: str  # folder under stack/images/
    module: GoModule | None = None
    depends_on: tuple[str, ...] = ()
    build_args: tuple[tuple[str, str], ...] = ()  # passed to the recipe's Dockerfile
    shared: tuple[str, ...] = ()  # other folders under stack/images/ the recipe COPYs


GO_REDIS = "github.com/redis/go-redis/v9"
"""The Redis client module of the Gateway (through TYK_STORAGE) and of the Pump."""
TYK_STORAGE = "github.com/TykTechnologies/storage"
"""Tyk's storage module: the Gateway's Redis connection handler, on top of go-redis."""

GATEWAY_AS_RELEASED = GoModule(
    path="github.com/TykTechnologies/tyk",
    # This pseudo-version is commit e65eff00608a, which is the v5.8.1 tag (2025-05-09,
    # "Update goreleaser.yml"; swagger.yml still says 5.8.0). Release tags are not module
    # versions (no /v5 suffix), and the module proxy refuses (403) every later 5.8 commit
    # tried: v5.8.2, v5.8.5, v5.8.6, v5.8.13 and v5.8.15 (301579e685f8). The checksum
    # database has no entry for it, so its h1 hash is pinned here and checked instead.
    # As released it requires go-redis v9.7.0 and storage v1.2.2.
    version="v1.9.2-0.20250509162946-e65eff00608a",
    release="v5.8.1",
    version_symbol="github.com/TykTechnologies/tyk/internal/build.Version",
    sum="h1:dqLZCFF2Vc24DrLMtMC2QJncnRD9kj/Ey3Ib8f7Qwec=",
    nosumdb=True,
    binary="tyk",
    assets=("templates",),  # the gateway panics without its error templates
)

GATEWAY_CLIENT = ((GO_REDIS, "v9.13.0"), (TYK_STORAGE, "v1.3.4"))
"""The Redis client the default official release (v5.8.15) ships: its go.mod requires
go-redis v9.13.0 and storage v1.3.4 (the bump came in v5.8.6, TT-15662 #7347), past the
dial lock of v9.7.0 (`tyk.tables.DIAL_LOCK`: the lock, its lines and its fix)."""

GATEWAY_MODULE = replace(GATEWAY_AS_RELEASED, requires=GATEWAY_CLIENT)
"""The default local gateway: the v5.8.1 module with the default release's Redis client."""

GATEWAY_OFFICIAL_TAG = "v5.8.15"
"""The official image's tag: the 5.8 LTS line's latest patch (registry users get the fixes
v5.8.2-v5.8.15 brought, which the local v5.8.1 builds lack; both read the same configuration
names)."""

PUMP_MODULE = GoModule(
    path="github.com/TykTechnologies/tyk-pump",
    # v1.14.0 is the newest release whose whole dependency graph the module proxy serves:
    # v1.14.1 and later replace gorm with github.com/TykTechnologies/gorm
    # v1.20.7-0.20260417144542-d6d1a2e12d9d, which the proxy refuses (403). Its source
    # still says "v1.12.0", so the release is injected with -ldflags -X.
    version="v1.14.0",
    release="v1.14.0",
    version_symbol="github.com/TykTechnologies/tyk-pump/pumps.Version",
    binary="tyk-pump",
)

REDIS_VERSION = "7.0.15"
"""Debian bookworm's redis-server: TLS built in."""

NGINX_VERSION = "1.22"
"""Debian bookworm's nginx (the `upstream` image)."""

WRK_VERSION = "4.1.0"
"""Debian bookworm's wrk (the `load` image)."""

POSTGRES_VERSION = "15"
"""Debian bookworm's postgresql-15 (the `postgres` image: the Dashboard's store in pro)."""

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_VARIANT = "minbase"
BASE_IMAGE = f"stackctl/base:{DEBIAN_SUITE}"
"""The rootfs every local image starts from: `debootstrap --variant=minbase bookworm`."""


IMAGES: tuple[ImageSpec, ...] = (
    ImageSpec("base", None, BASE_IMAGE, "base",
              build_args=(("SUITE", DEBIAN_SUITE), ("MIRROR", DEBIAN_MIRROR))),
    ImageSpec("redis", f"redis:{REDIS_VERSION}", f"stackctl/redis:{REDIS_VERSION}", "redis",
              depends_on=("base",), build_args=(("REDIS_VERSION", REDIS_VERSION),)),
    ImageSpec("tyk-gateway", f"tykio/tyk-gateway:{GATEWAY_OFFICIAL_TAG}",
              f"stackctl/tyk-gateway:{GATEWAY_MODULE.release}-go-redis-"
              f"{dict(GATEWAY_MODULE.requires)[GO_REDIS]}", "tyk-gateway",
              module=GATEWAY_MODULE, depends_on=("base",), shared=("distroless",)),
    # Its official counterpart is the v5.8.1 image, which ran as root (the module's own
    # ci/Dockerfile.distroless: FROM distroless/base-debian12:latest); the local build keeps
    # the v5.8.15 contract (65532, no shell) like the default one.
    ImageSpec("tyk-gateway-as-released", f"tykio/tyk-gateway:{GATEWAY_AS_RELEASED.release}",
              f"stackctl/tyk-gateway:{GATEWAY_AS_RELEASED.release}", "tyk-gateway",
              module=GATEWAY_AS_RELEASED, depends_on=("base",), shared=("distroless",)),
    ImageSpec("tyk-pump", f"tykio/tyk-pump-docker-pub:{PUMP_MODULE.release}",
              f"stackctl/tyk-pump:{PUMP_MODULE.release}", "tyk-pump",
              module=PUMP_MODULE, depends_on=("base",), shared=("distroless",)),
    ImageSpec("tyk-dashboard", f"tykio/tyk-dashboard:{GATEWAY_OFFICIAL_TAG}",
              f"tykio/tyk-dashboard:{GATEWAY_OFFICIAL_TAG}", "", depends_on=()),
    ImageSpec("postgres", f"postgres:{POSTGRES_VERSION}",
              f"stackctl/postgres:{POSTGRES_VERSION}", "postgres", depends_on=("base",),
              build_args=(("POSTGRES_VERSION", POSTGRES_VERSION),)),
    ImageSpec("upstream", f"nginx:{NGINX_VERSION}", f"stackctl/upstream:{NGINX_VERSION}",
              "upstream", depends_on=("base",), build_args=(("NGINX_VERSION", NGINX_VERSION),)),
    ImageSpec("load", None, f"stackctl/load:{WRK_VERSION}", "load", depends_on=("base",),
              build_args=(("WRK_VERSION", WRK_VERSION),)),
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


# --- profile pro: the Dashboard's PostgreSQL --------------------------------------------

DASHBOARD_POSTGRES: tuple[str, ...] = ("14", "15", "16", "17")
"""PostgreSQL major versions the Tyk Dashboard 5.x supports (Tyk's database docs: 14-17;
PostgreSQL is supported from Dashboard 4.0)."""


def postgres_major(image_ref: str) -> str | None:
    """`postgres:15.4` -> "15"; None when the tag does not start with a version."""
    if ":" not in image_ref:
        return None
    tag = image_ref.rsplit(":", 1)[1]
    head = tag.split(".")[0].split("-")[0]
    return head if head.isdigit() else None
