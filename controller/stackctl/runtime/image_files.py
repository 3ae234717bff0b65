"""An image's files and user, read without running it: `docker create` (never started),
`docker export` streamed as a tar, `docker cp` for single files; the container is always
removed. `can_read`, `can_write` and `can_exec` are the kernel's DAC rules for one file
as a container user meets them (root passes read and write, and exec where any x bit is
set)."""

from __future__ import annotations

import posixpath
import stat
import subprocess
import tarfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Literal, TypeVar

from stackctl.errors import ToolError
from stackctl.names import ROLE_IMAGE_FILES, ROLE_LABEL
from stackctl.runtime._client import docker_client, tool_errors
from stackctl.runtime.images import image_exists

Kind = Literal["file", "dir", "link", "other"]
T = TypeVar("T")


@dataclass(frozen=True)
class ImageFile:
    """One file of an image, as its tar member says."""

    path: str  # absolute, e.g. "/opt/tyk-gateway/tyk"
    uid: int
    gid: int
    mode: int  # permission bits incl. setuid/setgid/sticky (stat.S_IMODE)
    kind: Kind
    target: str = ""  # link target (symlink; a hard link names the file it shares)


def _norm(name: str) -> str:
    """A tar member name as an absolute path: "./etc/passwd/" -> "/etc/passwd"."""
    name = name.strip("/")
    while name.startswith("./"):
        name = name[2:]
    name = name.strip("/")
    return "/" + name if name not in ("", ".") else "/"


def _under(path: str, prefixes: Sequence[str]) -> bool:
    """Whether `path` is one of `prefixes` or lies below one (all when none given)."""
    if not prefixes:
        return True
    for prefix in prefixes:
        root = _norm(prefix)
        if root == "/" or path == root or path.startswith(root + "/"):
            return True
    return False


def _kind(member: tarfile.TarInfo) -> Kind:
    if member.isdir():
        return "dir"
    if member.issym():
        return "link"
    if member.isfile() or member.islnk():  # a hard link is a regular file
        return "file"
    return "other"


def files_from_tar(stream: IO[bytes], prefixes: Sequence[str] = ()) -> dict[str, ImageFile]:
    """The members of a tar stream (read once, front to back) as `ImageFile`s by path."""
    out: dict[str, ImageFile] = {}
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            path = _norm(member.name)
            if not _under(path, prefixes):
                continue
            target = member.linkname if member.issym() or member.islnk() else ""
            if member.islnk():
                target = _norm(target)
            out[path] = ImageFile(path, member.uid, member.gid, stat.S_IMODE(member.mode),
                                  _kind(member), target)
    return out


def _missing(ref: str) -> ToolError:
    return ToolError(f"image {ref} is not present: build it (stackctl images build) or "
                     f"pull it (docker pull {ref})")


@contextmanager
def _created(ref: str) -> Iterator[str]:
    """A container of `ref` created (never started) for reading; removed on exit."""
    from python_on_whales.utils import run

    if not image_exists(ref):
        raise _missing(ref)
    docker = [str(c) for c in docker_client().client_config.docker_cmd]
    # A command is given so that an image with neither ENTRYPOINT nor CMD can be created.
    with tool_errors(f"docker create {ref}"):
        cid = str(run([*docker, "create", "--label", f"{ROLE_LABEL}={ROLE_IMAGE_FILES}",
                       ref, "stackctl-image-files"])).strip()
    try:
        yield cid
    finally:
        subprocess.run([*docker, "rm", "--force", "--volumes", cid], capture_output=True,
                       check=False)


def _stream(cmd: list[str], what: str, reader: Callable[[IO[bytes]], T]) -> T:
    """Run `cmd`, hand its stdout to `reader`, and map a failure to a `ToolError`."""
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise ToolError(f"{what}: {cmd[0]} not found; install docker.io") from None
    assert proc.stdout is not None and proc.stderr is not None
    try:
        result = reader(proc.stdout)
    except tarfile.TarError as exc:
        proc.kill()
        err = proc.stderr.read().decode(errors="replace").strip()
        proc.wait()
        raise ToolError(f"{what}: {err.splitlines()[-1] if err else exc}", cmd, err) from None
    finally:
        proc.stdout.close()
    err = proc.stderr.read().decode(errors="replace").strip()
    proc.stderr.close()
    if proc.wait() != 0:
        raise ToolError(f"{what}: {err.splitlines()[-1] if err else 'failed'}", cmd, err)
    return result


def image_files(ref: str, prefixes: Sequence[str] = ()) -> dict[str, ImageFile]:
    """The files of image `ref` (all, or under `prefixes`), exported from an unstarted container."""
    docker = [str(c) for c in docker_client().client_config.docker_cmd]
    with _created(ref) as cid:
        return _stream([*docker, "export", cid], f"docker export {ref}",
                       lambda out: files_from_tar(out, prefixes))


def _read_member(stream: IO[bytes]) -> bytes:
    """The content of the first regular file in a tar stream (`docker cp CID:PATH -`)."""
    with tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            if member.isfile():
                data = tar.extractfile(member)
                return data.read() if data is not None else b""
    return b""


def _read_in(cid: str, ref: str, path: str) -> bytes | None:
    docker = [str(c) for c in docker_client().client_config.docker_cmd]
    try:
        return _stream([*docker, "cp", "--follow-link", f"{cid}:{path}", "-"],
                       f"docker cp {ref}:{path}", _read_member)
    except ToolError as exc:
        if "Could not find the file" in str(exc) or "No such" in exc.output:
            return None
        raise


@dataclass(frozen=True)
class ImageConfig:
    """The run-time part of an image's config (`docker image inspect` .Config)."""

    user: str
    workdir: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]


def image_config(ref: str) -> ImageConfig:
    """Config.User, WorkingDir, Entrypoint and Cmd of local image `ref`."""
    from python_on_whales.exceptions import NoSuchImage

    with tool_errors(f"docker image inspect {ref}"):
        try:
            img = docker_client().image.inspect(ref)
        except NoSuchImage:
            raise _missing(ref) from None
    config = img.config
    if config is None:
        return ImageConfig("", "", (), ())
    return ImageConfig(str(config.user or ""), str(config.working_dir or ""),
                       tuple(str(x) for x in config.entrypoint or ()),
                       tuple(str(x) for x in config.cmd or ()))


def _table(text: str) -> list[list[str]]:
    """The colon-separated rows of /etc/passwd or /etc/group (comments and blanks skipped)."""
    return [line.split(":") for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def resolve_user(ref: str, user: str, passwd: str, group: str) -> tuple[int, int]:
    """`user` ("", "uid", "uid:gid", "name[:group]") as (uid, gid) as Docker resolves it: an
    unknown numeric uid gets gid 0, an unknown name is an error."""
    if not user:
        return 0, 0
    name, _, grp = user.partition(":")
    rows = [r for r in _table(passwd) if len(r) >= 4]
    if name.isdigit():
        uid = int(name)
        row = next((r for r in rows if r[2] == name), None)
        gid = int(row[3]) if row is not None and row[3].isdigit() else 0
    else:
        row = next((r for r in rows if r[0] == name), None)
        if row is None or not row[2].isdigit() or not row[3].isdigit():
            raise ToolError(f"image {ref}: user '{name}' is not in its /etc/passwd")
        uid, gid = int(row[2]), int(row[3])
    if grp:
        if grp.isdigit():
            gid = int(grp)
        else:
            grow = next((r for r in _table(group) if len(r) >= 3 and r[0] == grp), None)
            if grow is None or not grow[2].isdigit():
                raise ToolError(f"image {ref}: group '{grp}' is not in its /etc/group")
            gid = int(grow[2])
    return uid, gid


def image_user(ref: str) -> tuple[int, int]:
    """Config.User as (uid, gid) through the image's /etc/passwd and /etc/group ("" -> (0, 0);
    an unknown uid gets gid 0; an unknown name is a `ToolError`)."""
    user = image_config(ref).user
    name, _, grp = user.partition(":")
    if not user or (name.isdigit() and grp.isdigit()):
        return resolve_user(ref, user, "", "")
    with _created(ref) as cid:
        passwd = _read_in(cid, ref, "/etc/passwd") or b""
        group = (_read_in(cid, ref, "/etc/group") or b"") if grp and not grp.isdigit() else b""
    return resolve_user(ref, user, passwd.decode(errors="replace"),
                        group.decode(errors="replace"))


def _bits(f: ImageFile, uid: int, gids: Collection[int]) -> int:
    """The rwx triplet that applies to (uid, gids): owner, else group, else other."""
    if uid == f.uid:
        return (f.mode >> 6) & 7
    if f.gid in gids:
        return (f.mode >> 3) & 7
    return f.mode & 7


def can_read(f: ImageFile, uid: int, gids: Collection[int]) -> bool:
    """Whether (uid, gids) may read (list) `f`; resolve a symlink first (its own bits are 0777)."""
    return uid == 0 or bool(_bits(f, uid, gids) & 4)


def can_write(f: ImageFile, uid: int, gids: Collection[int]) -> bool:
    """Whether (uid, gids) may write `f` (create and remove entries, for a directory)."""
    return uid == 0 or bool(_bits(f, uid, gids) & 2)


def can_exec(f: ImageFile, uid: int, gids: Collection[int]) -> bool:
    """Whether (uid, gids) may execute (search) `f`; root needs one x bit on a file."""
    if uid == 0:
        return f.kind == "dir" or bool(f.mode & 0o111)
    return bool(_bits(f, uid, gids) & 1)


def resolve(files: Mapping[str, ImageFile], path: str, hops: int = 40) -> ImageFile | None:
    """The file `path` names in `files`, symlinks followed in every component as the kernel
    does; None when it names nothing or a loop runs past `hops`."""
    parts = [p for p in path.split("/") if p]
    current = "/"
    while parts and hops >= 0:
        name = parts.pop(0)
        if name == ".":
            continue
        if name == "..":
            current = posixpath.dirname(current) or "/"
            continue
        candidate = posixpath.join(current, name)
        found = files.get(candidate)
        if found is None:
            return None
        if found.kind == "link":
            hops -= 1
            base = "/" if found.target.startswith("/") else current
            parts = [p for p in posixpath.join(base, found.target).split("/") if p] + parts
            current = "/"
            continue
        current = candidate
    if hops < 0:
        return None
    return files.get(current) if current != "/" else files.get("/")
