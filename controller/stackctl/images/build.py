"""`stackctl images build`: each local image from its recipe, skipped when its
`io.stackctl.inputs` label (a digest of recipe files, version entry, base image id, Go
version) matches unless forced. A Tyk or Redis image is checked against its official
image's contract before it is tagged; images are built under a temporary tag, so a
failure never leaves a half-built one, and one failing stops only those built on it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from stackctl import assets, versions
from stackctl.errors import ConfigError, StackctlError, ToolError
from stackctl.images import digest as digests
from stackctl.images.contract import CONTRACT_OF, violations
from stackctl.images.gobuild import fetch_and_build, ref
from stackctl.names import (
    GO_MOD_LABEL,
    GO_REDIS_LABEL,
    INPUTS_LABEL,
    RELEASE_LABEL,
    STAGE_LABEL,
    STORAGE_LABEL,
)
from stackctl.runtime.engine import engine_version
from stackctl.runtime.images import (
    build_image,
    image_facts,
    image_store_dir,
    import_rootfs,
    prune_stages,
    remove_image,
    tag_image,
)
from stackctl.tools.debootstrap import SLIM_DPKG_CFG, rootfs_tarball
from stackctl.tools.go import go_version
from stackctl.versions import GoModule, ImageSpec

if TYPE_CHECKING:
    from stackctl.images.gobuild import GoBinary

Status = Literal["built", "skipped", "failed"]
MIN_FREE_BYTES = 5 * 1024**3
Progress = Callable[[str], None]


@dataclass
class ImageResult:
    """The outcome for one image."""

    name: str
    tag: str
    status: Status
    size_bytes: int | None = None
    seconds: float = 0.0
    detail: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # release and client (Tyk builds)
    go_mod_moved: list[str] = field(default_factory=list)  # requirement lines edited

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        out = asdict(self)
        out["seconds"] = round(self.seconds, 2)
        return out


@dataclass
class BuildReport:
    """The outcome of one `images build`."""

    results: list[ImageResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ImageResult]:
        """The images that failed."""
        return [r for r in self.results if r.status == "failed"]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: {"images": [...]}."""
        return {"images": [r.as_dict() for r in self.results]}


def cache_dir() -> Path:
    """stackctl's build cache: $STACKCTL_CACHE_DIR, else $XDG_CACHE_HOME/stackctl."""
    if explicit := os.environ.get("STACKCTL_CACHE_DIR"):
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "stackctl"


def select(only: Sequence[str]) -> tuple[list[ImageSpec], set[str]]:
    """The specs to consider (the named ones plus what they are built on) and the named set;
    ConfigError (exit 2) for a name that is not a buildable image."""
    valid = versions.BUILDABLE
    named: set[str] = set()
    for raw in only:
        for name in filter(None, (n.strip() for n in raw.split(","))):
            if name not in valid:
                why = ("has no local build (closed source)"
                       if name in {s.name for s in versions.IMAGES} else "is not an image")
                raise ConfigError("--only", f"{name!r} {why}", f"valid names: {', '.join(valid)}")
            named.add(name)
    named = named or set(valid)
    wanted = set(named)
    for spec in reversed(versions.IMAGES):
        if spec.name in wanted:
            wanted.update(spec.depends_on)
    return [s for s in versions.IMAGES if s.name in wanted and s.recipe], named


def temp_tag(spec: ImageSpec, what: str = "building") -> str:
    """A per-process tag in the image's own repository."""
    return f"{spec.local.rsplit(':', 1)[0]}:stackctl-{what}-{os.getpid()}"


def check_disk(paths: Sequence[Path], need: int = MIN_FREE_BYTES) -> None:
    """Raise when any existing path has less than `need` bytes free."""
    for path in paths:
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        free = shutil.disk_usage(probe).free
        if free < need:
            raise StackctlError(
                f"disk: {free / 1024**3:.1f} GiB free at {probe}; `images build` needs "
                f"{need / 1024**3:.0f} GiB (free some space, e.g. `docker image prune`)")


def build_labels(module: GoModule, built: GoBinary) -> dict[str, str]:
    """A Tyk image's labels: its release, its Redis client's versions and the moved requirements."""
    labels = {RELEASE_LABEL: module.release}
    labels |= {key: built.clients[path] for path, key in (
        (versions.GO_REDIS, GO_REDIS_LABEL), (versions.TYK_STORAGE, STORAGE_LABEL))
        if path in built.clients}
    if built.moved:
        labels[GO_MOD_LABEL] = "; ".join(map(str, built.moved))
    return labels


def check_contract(spec: ImageSpec, ref: str) -> None:
    """Raise when a freshly built image breaks its official image's runtime contract."""
    contract = CONTRACT_OF.get(spec.name)
    broken = violations(ref, contract) if contract is not None else []
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        raise ToolError(f"{spec.name}: breaks the official image's contract: {broken[0]}{more}",
                        (), "\n".join(broken))


@contextlib.contextmanager
def _scratch(parent: Path, prefix: str) -> Iterator[Path]:
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Builder:
    """Builds the selected images in table order on the local engine."""

    def __init__(self, cache: Path, recipes: Path, progress: Progress | None = None) -> None:
        self.cache = cache
        self.recipes = recipes
        self.progress = progress or (lambda _msg: None)
        self._disk_checked = False
        self._go_version: str | None = None
        self.detail = ""  # a note from the current build for its result
        self._deps: dict[str, dict[str, str]] = {}  # image -> {dep: id} its digest used
        self._ids: dict[str, str] = {}  # image -> id, as this run left it

    # inputs ---------------------------------------------------------------

    def go_version(self) -> str:
        """The host Go version as text (raises ToolError when there is no toolchain)."""
        if self._go_version is None:
            self._go_version = ".".join(map(str, go_version()))
        return self._go_version

    def dep_ids(self, spec: ImageSpec) -> dict[str, str]:
        """Image id of each image `spec` is built on; raises when one is missing."""
        out = {}
        for dep in spec.depends_on:
            if dep not in self._ids:
                ref = versions.image(dep).local
                facts = image_facts(ref)
                if facts is None:
                    raise ToolError(f"needs {ref}, which is not present (build `{dep}` first)")
                self._ids[dep] = facts.id
            out[dep] = self._ids[dep]
        return out

    def input_digest(self, spec: ImageSpec) -> str:
        """The digest this image's label must carry to count as up to date."""
        go_version = self.go_version() if spec.module is not None else None
        self._deps[spec.name] = self.dep_ids(spec)
        return digests.image_digest(spec, self.recipes / spec.recipe, self._deps[spec.name],
                                    go_version, [self.recipes / d for d in spec.shared])

    # building -------------------------------------------------------------

    def _ensure_disk(self) -> None:
        if not self._disk_checked:
            check_disk([self.cache, image_store_dir()])
            self._disk_checked = True

    def _build_args(self, spec: ImageSpec) -> dict[str, str]:
        args = dict(spec.build_args)
        if spec.depends_on:  # FROM the very image id the digest was computed with
            dep = spec.depends_on[0]
            args["BASE_IMAGE"] = self._deps.get(spec.name, {}).get(dep) or versions.image(
                dep).local
        return args

    def _docker_build(self, spec: ImageSpec, context: Path, label: str, tag: str,
                      no_cache: bool, extra_args: dict[str, str] | None = None,
                      labels: dict[str, str] | None = None) -> str:
        args = self._build_args(spec) | (extra_args or {})
        return build_image(context, tag, args, {INPUTS_LABEL: label, **(labels or {})},
                           no_cache)

    def _rootfs(self) -> Path:
        """The cached debootstrap tarball (made when missing, ~30 s)."""
        key = hashlib.sha256(
            f"{versions.DEBIAN_SUITE}|{versions.DEBIAN_MIRROR}|{versions.DEBOOTSTRAP_VARIANT}|"
            f"{SLIM_DPKG_CFG}".encode()).hexdigest()[:16]
        tarball = self.cache / "base" / f"rootfs-{versions.DEBIAN_SUITE}-{key}.tar"
        if not tarball.exists():
            self.progress(f"base: debootstrap --variant={versions.DEBOOTSTRAP_VARIANT} "
                          f"{versions.DEBIAN_SUITE} (about 30 s)")
            rootfs_tarball(versions.DEBIAN_SUITE, versions.DEBIAN_MIRROR,
                           versions.DEBOOTSTRAP_VARIANT, tarball)
        return tarball

    def _build_base(self, spec: ImageSpec, label: str, tag: str, no_cache: bool) -> str:
        rootfs_tag = temp_tag(spec, "rootfs")
        try:
            import_rootfs(self._rootfs(), rootfs_tag)
            return self._docker_build(spec, self.recipes / spec.recipe, label, tag, no_cache,
                                      {"ROOTFS": rootfs_tag})
        finally:
            remove_image(rootfs_tag)

    def _build_go(self, spec: ImageSpec, label: str, tag: str, no_cache: bool) -> str:
        assert spec.module is not None
        self.progress(f"{spec.name}: go build {ref(spec.module)} on the host")
        built = fetch_and_build(spec.module, self.cache)
        self.detail = f"Go module graph {built.download_bytes / 1024**2:.0f} MiB"
        if built.moved:
            self.detail += f"; go get moved {len(built.moved)} requirements"
        with _scratch(self.cache / "contexts", f"{spec.name}.") as context:
            shutil.copytree(self.recipes / spec.recipe, context, dirs_exist_ok=True)
            for shared in spec.shared:
                shutil.copytree(self.recipes / shared, context / shared)
            shutil.copy2(built.binary, context / built.binary.name)
            for asset in spec.module.assets:
                source = built.src / asset
                if not source.is_dir():
                    raise ToolError(f"{ref(spec.module)}: the module has no {asset}/ folder")
                shutil.copytree(source, context / asset)
            return self._docker_build(spec, context, label, tag, no_cache,
                                      labels=build_labels(spec.module, built))

    def build_one(self, spec: ImageSpec, label: str, no_cache: bool) -> str:
        """Build `spec` under a temporary tag, retag on success; returns the image id."""
        self._ensure_disk()
        self.progress(f"{spec.name}: building {spec.local}")
        old = image_facts(spec.local)
        tag = temp_tag(spec)
        try:
            if spec.name == "base":
                new_id = self._build_base(spec, label, tag, no_cache)
            elif spec.module is not None:
                new_id = self._build_go(spec, label, tag, no_cache)
            else:
                new_id = self._docker_build(spec, self.recipes / spec.recipe, label, tag,
                                            no_cache)
            facts = image_facts(tag)
            if facts is None or facts.labels.get(INPUTS_LABEL) != label:
                raise ToolError(f"docker build {spec.name}: the built image lacks its label")
            check_contract(spec, tag)
            tag_image(new_id, spec.local)
        finally:
            remove_image(tag)
            with contextlib.suppress(ToolError):  # a builder stage left dangling: disk only
                prune_stages(f"{STAGE_LABEL}=rootfs")
        if old is not None and old.id != new_id:
            with contextlib.suppress(ToolError):  # still used by a container or a child
                remove_image(old.id)
        return new_id

    def run(self, specs: Sequence[ImageSpec], force: set[str]) -> BuildReport:
        """Build or skip each spec in order; failures are recorded, not raised."""
        report = BuildReport()
        failed: set[str] = set()
        self._ids.clear()  # image ids are read afresh each run
        for spec in specs:
            start = time.monotonic()
            self.detail = ""
            result = ImageResult(spec.name, spec.local, "failed")
            try:
                broken = [d for d in spec.depends_on if d in failed]
                if broken:
                    raise ToolError(f"not built: it is built on {', '.join(broken)}, which failed")
                label = self.input_digest(spec)
                current = image_facts(spec.local)
                if (spec.name not in force and current is not None
                        and current.labels.get(INPUTS_LABEL) == label):
                    result.status, result.detail = "skipped", "inputs unchanged"
                else:
                    self.build_one(spec, label, no_cache=spec.name in force)
                    result.status = "built"
                    result.detail = self.detail or ("forced" if spec.name in force else
                                                    "inputs changed" if current else "new")
                    current = image_facts(spec.local)
                result.size_bytes = current.size_bytes if current else None
                if current is not None:
                    self._ids[spec.name] = current.id
                    result.labels = {k: v for k, v in current.labels.items()
                                     if k in (RELEASE_LABEL, GO_REDIS_LABEL, STORAGE_LABEL)}
                    edits = current.labels.get(GO_MOD_LABEL, "")
                    result.go_mod_moved = edits.split("; ") if edits else []
            except ToolError as exc:
                failed.add(spec.name)
                result.detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.progress(f"{spec.name}: failed: {result.detail}")
            result.seconds = time.monotonic() - start
            report.results.append(result)
        return report


def build_images(only: Sequence[str] = (), force: bool = False, progress: Progress | None = None,
                 cache: Path | None = None) -> BuildReport:
    """Build the named images (default: every buildable one) and what they are built on; raises
    for what stops every image, per-image failures are in the report."""
    specs, named = select(only)
    engine_version()
    with assets.as_directory(*assets.IMAGE_RECIPES) as recipes:  # stack/images
        builder = Builder(cache or cache_dir(), recipes, progress)
        return builder.run(specs, named if force else set())
