"""The official images' runtime contract, as data (user, workdir, entrypoint, cmd, shell,
paths with owner, mode and writability, and where each was read), and the check of a
local image against it. A local image may differ only where a row leaves a field open
(None), and each such place says why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from stackctl import versions
from stackctl.runtime.image_files import (
    ImageFile,
    Kind,
    can_exec,
    can_read,
    can_write,
    image_config,
    image_files,
    image_user,
    resolve,
)

SHELLS = ("sh", "bash", "dash", "busybox", "ash")
"""A shell under any of these names in a BIN_DIRS folder counts as a shell."""
COREUTILS = ("cat", "ls", "printenv", "env", "id", "wget", "curl")
"""What a shell-less image must lack too: the commands a probe or `docker exec` would use."""
BIN_DIRS = ("/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin")


@dataclass(frozen=True)
class PathRule:
    """One path of an image: its kind, owner, mode, and whether the image's user writes it."""

    path: str
    kind: Kind
    uid: int = 0
    gid: int = 0
    mode: int | None = None  # exact permission bits; None: not part of the contract
    writable: bool | None = False  # can the contract's user write it; None: not checked
    tree_readable: bool = False  # everything below: files a+r, directories a+rx


@dataclass(frozen=True)
class Contract:
    """The runtime contract of one official image."""

    image: str  # short name in versions.IMAGES
    official: str
    source: str  # where each fact was read
    uid: int
    gid: int
    workdir: str
    entrypoint: tuple[str, ...] | None  # None: the local image differs on purpose (note)
    cmd: tuple[str, ...]
    shell: bool
    paths: tuple[PathRule, ...]
    note: str = ""


NONROOT = 65532
"""distroless `:nonroot`: uid and gid 65532, passwd name `nonroot`."""

_GW = "/opt/tyk-gateway"
_PUMP = "/opt/tyk-pump"
_DISTROLESS_FILES = (  # what distroless base/static ship that the binaries read
    PathRule("/etc/passwd", "file", mode=0o644),
    PathRule("/etc/group", "file", mode=0o644),
    PathRule("/etc/ssl/certs/ca-certificates.crt", "file", writable=None),
    PathRule("/usr/share/zoneinfo", "dir", writable=None),
    PathRule("/tmp", "dir", mode=0o1777, writable=True),
)

GATEWAY = Contract(
    image="tyk-gateway",
    official=f"tykio/tyk-gateway:{versions.GATEWAY_OFFICIAL_TAG}",
    source=("TykTechnologies/tyk ci/Dockerfile.distroless at v5.8.15 (FROM "
            "gcr.io/distroless/base-debian13:nonroot; the .deb unpacked, `chmod -R a+rX "
            "/opt/tyk-gateway/`, `a+rwX` on middleware/ and middleware/bundles); the .deb "
            "layout from ci/goreleaser/goreleaser.yml nfpms contents (apps/, policies/, "
            "templates/, middleware/, tyk.conf as a config file)"),
    uid=NONROOT, gid=NONROOT,
    workdir=f"{_GW}/",
    entrypoint=(f"{_GW}/tyk",),
    cmd=(f"--conf={_GW}/tyk.conf",),
    shell=False,
    paths=(
        PathRule(_GW, "dir", mode=0o755, tree_readable=True),
        PathRule(f"{_GW}/tyk", "file", mode=0o755),
        PathRule(f"{_GW}/tyk.conf", "file", mode=0o644),
        PathRule(f"{_GW}/templates", "dir", mode=0o755),
        PathRule(f"{_GW}/apps", "dir", mode=0o755),
        PathRule(f"{_GW}/policies", "dir", mode=0o755),
        PathRule(f"{_GW}/middleware", "dir", mode=0o777, writable=True),
        PathRule(f"{_GW}/middleware/bundles", "dir", mode=0o777, writable=True),
        *_DISTROLESS_FILES,
    ),
)

PUMP = Contract(
    image="tyk-pump",
    official=f"tykio/tyk-pump-docker-pub:{versions.PUMP_MODULE.release}",
    source=("TykTechnologies/tyk-pump ci/Dockerfile.distroless at v1.14.0 (FROM "
            "gcr.io/distroless/static-debian12:nonroot; /opt/tyk-pump from the .deb, no "
            "chmod); .deb layout from ci/goreleaser/goreleaser.yml (pump.conf a config file)"),
    uid=NONROOT, gid=NONROOT,
    workdir=f"{_PUMP}/",
    entrypoint=(f"{_PUMP}/tyk-pump",),
    cmd=(f"--conf={_PUMP}/pump.conf",),
    shell=False,
    paths=(
        PathRule(_PUMP, "dir", mode=0o755, tree_readable=True),
        PathRule(f"{_PUMP}/tyk-pump", "file", mode=0o755),
        PathRule(f"{_PUMP}/pump.conf", "file", mode=0o644),
        *_DISTROLESS_FILES,
    ),
)

REDIS = Contract(
    image="redis",
    official=f"redis:{versions.REDIS_VERSION}",
    source=("docker-library/redis 7.0 debian Dockerfile: user and group `redis` 999:999, "
            "`mkdir /data && chown redis:redis /data`, WORKDIR /data, VOLUME /data, "
            "ENTRYPOINT docker-entrypoint.sh (gosu redis), CMD redis-server"),
    uid=999, gid=999,
    workdir="/data",
    entrypoint=None,
    cmd=("redis-server",),
    shell=True,
    paths=(PathRule("/data", "dir", uid=999, gid=999, mode=0o755, writable=True),),
    note=("The official image starts as root and its entrypoint drops to redis (999) with "
          "gosu; the local one has no entrypoint script and sets USER redis: redis-server "
          "runs as 999 either way (the stack starts it as 0:0 and node-start.sh drops to "
          "999 itself)."),
)

DASHBOARD = Contract(
    image="dashboard-contract-double",
    official=f"tykio/tyk-dashboard:{versions.GATEWAY_OFFICIAL_TAG}",
    source=("tyk-charts components/tyk-dashboard/values.yaml securityContext (runAsUser "
            "65532 since 5.5.0); the image is distroless (closed Dockerfile), binary "
            "/opt/tyk-dashboard/tyk-analytics"),
    uid=NONROOT, gid=NONROOT,
    workdir="/opt/tyk-dashboard",
    entrypoint=None,
    cmd=("--conf=/opt/tyk-dashboard/tyk_analytics.conf",),
    shell=False,
    paths=(PathRule("/opt/tyk-dashboard", "dir", mode=0o755, tree_readable=True),),
    note=("A test double (stack/test-images/dashboard-contract-double): a Python "
          "service, so its entrypoint is python3, not tyk-analytics."),
)

CONTRACTS: tuple[Contract, ...] = (GATEWAY, PUMP, REDIS, DASHBOARD)


CONTRACT_OF: dict[str, Contract] = {
    "tyk-gateway": GATEWAY, "tyk-gateway-as-released": GATEWAY, "tyk-pump": PUMP,
    "redis": REDIS,
}
"""The contract each local image of versions.IMAGES keeps (the others have none: base,
load and the Debian nginx and PostgreSQL images start as root like their official ones)."""


def local_subjects() -> list[tuple[str, Contract]]:
    """(local tag, contract) of every buildable image that has a contract."""
    return [(spec.local, CONTRACT_OF[spec.name]) for spec in versions.IMAGES
            if spec.recipe and spec.name in CONTRACT_OF]


@dataclass
class Facts:
    """What the check reads of an image: its config, its resolved user, some of its files."""

    user: tuple[int, int]
    workdir: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    files: dict[str, ImageFile] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (fixtures)."""
        return {"user": list(self.user), "workdir": self.workdir,
                "entrypoint": list(self.entrypoint), "cmd": list(self.cmd),
                "files": [asdict(f) for f in sorted(self.files.values(),
                                                    key=lambda f: f.path)]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Facts:
        """Read the JSON form back."""
        files = {f["path"]: ImageFile(**f) for f in data["files"]}
        uid, gid = data["user"]
        return cls((int(uid), int(gid)), str(data["workdir"]), tuple(data["entrypoint"]),
                   tuple(data["cmd"]), files)


def _keep(path: str, contract: Contract) -> bool:
    """The files a check (and a fixture) needs: the rules' trees and the command names."""
    head, _, name = path.rpartition("/")
    return (any(path == r.path or (r.tree_readable and path.startswith(r.path + "/"))
                for r in contract.paths)
            or path in BIN_DIRS or (head in BIN_DIRS and name in (*SHELLS, *COREUTILS)))


def facts(ref: str, contract: Contract) -> Facts:
    """The facts of local image `ref` that `contract` is checked on (no container runs)."""
    config = image_config(ref)
    files = image_files(ref)  # all: the folders above the kept paths are needed too
    kept = {p: f for p, f in files.items() if _keep(p, contract)}
    # keep what the command names resolve to (e.g. /usr/bin/dash)
    targets = [resolve(files, p) for p, f in kept.items() if f.kind == "link"]
    kept.update({t.path: t for t in targets if t is not None})
    for path in list(kept):  # and every folder on the way, so that links resolve
        while path != "/":
            path = path.rsplit("/", 1)[0] or "/"
            if path in files:
                kept[path] = files[path]
    return Facts(image_user(ref), config.workdir, config.entrypoint, config.cmd, kept)


def _who(uid: int, gid: int) -> str:
    return f"{uid}:{gid}"


def _path_violations(rule: PathRule, facts: Facts, gids: Sequence[int],
                     as_root_reported: bool) -> list[str]:
    uid = facts.user[0]
    found = resolve(facts.files, rule.path)
    if found is None:
        return [f"{rule.path}: missing (contract: {rule.kind})"]
    out = []
    if found.kind != rule.kind:
        out.append(f"{rule.path}: is a {found.kind} (contract: {rule.kind})")
    if (found.uid, found.gid) != (rule.uid, rule.gid):
        out.append(f"{rule.path}: owned by {_who(found.uid, found.gid)} "
                   f"(contract: {_who(rule.uid, rule.gid)})")
    if rule.mode is not None and found.mode != rule.mode:
        out.append(f"{rule.path}: mode {found.mode:04o} (contract: {rule.mode:04o})")
    if rule.writable is not None and not (uid == 0 and as_root_reported):
        can = can_write(found, uid, gids) and (found.kind != "dir" or can_exec(found, uid, gids))
        if can != rule.writable:
            out.append(f"{rule.path}: {'writable' if can else 'not writable'} by the image's "
                       f"user {_who(*facts.user)} (contract: "
                       f"{'writable' if rule.writable else 'read-only'})")
    if rule.tree_readable:
        for path, f in sorted(facts.files.items()):
            if not path.startswith(rule.path + "/") or f.kind not in ("file", "dir"):
                continue
            other = 10**9  # a uid and gid that own nothing: "any user"
            readable = can_read(f, other, [other]) and (
                f.kind == "file" or can_exec(f, other, [other]))
            if not readable:
                out.append(f"{path}: mode {f.mode:04o} is not world-readable (contract: "
                           f"a+rX below {rule.path})")
    return out


def check(contract: Contract, facts: Facts) -> list[str]:
    """Where `facts` break `contract`, one line each (empty: it keeps the contract)."""
    out: list[str] = []
    want = (contract.uid, contract.gid)
    if facts.user[0] == 0 and contract.uid != 0:
        out.append(f"runs as root (contract: {_who(*want)})")
    elif facts.user != want:
        out.append(f"runs as {_who(*facts.user)} (contract: {_who(*want)})")
    if facts.workdir.rstrip("/") != contract.workdir.rstrip("/"):
        out.append(f"workdir {facts.workdir or '(none)'} (contract: {contract.workdir})")
    if contract.entrypoint is not None and facts.entrypoint != contract.entrypoint:
        out.append(f"entrypoint {list(facts.entrypoint)} (contract: {list(contract.entrypoint)})")
    if facts.cmd != contract.cmd:
        out.append(f"cmd {list(facts.cmd)} (contract: {list(contract.cmd)})")
    if not contract.shell:
        for name in (*SHELLS, *COREUTILS):
            for folder in BIN_DIRS:
                found = resolve(facts.files, f"{folder}/{name}")
                if found is not None and found.kind == "file":
                    out.append(f"has {'a shell' if name in SHELLS else 'a command'}: "
                               f"{folder}/{name} (contract: no shell, no coreutils)")
                    break
    for rule in contract.paths:
        out.extend(_path_violations(rule, facts, [facts.user[1]], bool(out) and out[0].startswith(
            "runs as root")))
    return out


def violations(ref: str, contract: Contract | None = None) -> list[str]:
    """Where local image `ref` breaks its contract (looked up by tag when not given)."""
    if contract is None:
        contract = dict(local_subjects())[ref]
    return check(contract, facts(ref, contract))
