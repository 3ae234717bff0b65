"""runtime.image_files: tar parsing, user resolution and the permission rules, on tar
streams built here (no Docker)."""

from __future__ import annotations

import io
import tarfile

import pytest

from stackctl.errors import ToolError
from stackctl.runtime.image_files import (
    ImageFile,
    can_exec,
    can_read,
    can_write,
    files_from_tar,
    resolve_user,
)

pytestmark = pytest.mark.unit


def _tar(*members: tuple[str, int, int, int, bytes, str]) -> io.BytesIO:
    """A tar of (name, type, uid, gid+mode packed as (gid<<16|mode), data, linkname)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, uid, gidmode, data, link in members:
            info = tarfile.TarInfo(name)
            info.type = bytes([kind]) if isinstance(kind, int) else kind
            info.uid, info.gid, info.mode = uid, gidmode >> 16, gidmode & 0o7777
            info.linkname = link
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    buf.seek(0)
    return buf


REG, DIR, SYM, LNK, FIFO = (tarfile.REGTYPE[0], tarfile.DIRTYPE[0], tarfile.SYMTYPE[0],
                            tarfile.LNKTYPE[0], tarfile.FIFOTYPE[0])


def _export() -> io.BytesIO:
    """What `docker export` of a small distroless-like image looks like."""
    return _tar(
        ("etc/", DIR, 0, 0o755, b"", ""),
        ("etc/passwd", REG, 0, 0o644, b"root:x:0:0::/root:/sbin/nologin\n", ""),
        ("tmp/", DIR, 0, 0o1777, b"", ""),
        ("opt/tyk-gateway/", DIR, 0, 0o755, b"", ""),
        ("opt/tyk-gateway/tyk", REG, 0, 0o755, b"\x7fELF", ""),
        ("opt/tyk-gateway/tyk.conf", REG, 0, (0 << 16) | 0o640, b"{}", ""),
        ("opt/tyk-gateway/middleware/", DIR, 0, 0o777, b"", ""),
        ("usr/bin/su", REG, 0, 0o4755, b"", ""),
        ("bin", SYM, 0, 0o777, b"", "usr/bin"),
        ("usr/bin/tyk-hard", LNK, 0, 0o755, b"", "opt/tyk-gateway/tyk"),
        ("run/fifo", FIFO, 5, (7 << 16) | 0o600, b"", ""),
    )


def test_members_become_absolute_paths_with_owner_mode_and_kind() -> None:
    files = files_from_tar(_export())
    assert files["/tmp"] == ImageFile("/tmp", 0, 0, 0o1777, "dir")
    assert files["/opt/tyk-gateway/tyk"].kind == "file"
    assert files["/usr/bin/su"].mode == 0o4755  # setuid kept
    assert files["/bin"] == ImageFile("/bin", 0, 0, 0o777, "link", "usr/bin")
    assert files["/usr/bin/tyk-hard"] == ImageFile(
        "/usr/bin/tyk-hard", 0, 0, 0o755, "file", "/opt/tyk-gateway/tyk")
    assert files["/run/fifo"] == ImageFile("/run/fifo", 5, 7, 0o600, "other")


def test_prefixes_select_a_subtree_not_a_name_prefix() -> None:
    buf = _tar(("opt/tyk-gateway/", DIR, 0, 0o755, b"", ""),
               ("opt/tyk-gateway/apps/", DIR, 0, 0o755, b"", ""),
               ("opt/tyk-gateway-old/x", REG, 0, 0o644, b"", ""),
               ("./etc/group", REG, 0, 0o644, b"", ""))
    files = files_from_tar(buf, ["/opt/tyk-gateway/", "etc/group"])
    assert sorted(files) == ["/etc/group", "/opt/tyk-gateway", "/opt/tyk-gateway/apps"]


def test_a_stream_that_is_no_tar_is_an_error() -> None:
    with pytest.raises(tarfile.TarError):
        files_from_tar(io.BytesIO(b"not a tar archive at all" * 40))


@pytest.mark.parametrize(("uid", "gids", "read", "write", "exe"), [
    (0, [0], True, True, False),       # root: DAC override, but exec needs an x bit
    (100, [100], True, True, False),   # owner bits rw-
    (200, [300], True, False, False),  # group bits r--
    (200, [9], False, False, False),   # other bits ---
])
def test_permission_rules_owner_then_group_then_other(
        uid: int, gids: list[int], read: bool, write: bool, exe: bool) -> None:
    f = ImageFile("/opt/x.conf", 100, 300, 0o640, "file")
    assert (can_read(f, uid, gids), can_write(f, uid, gids), can_exec(f, uid, gids)) == (
        read, write, exe)


def test_owner_bits_apply_even_when_other_bits_are_wider() -> None:
    f = ImageFile("/x", 65532, 0, 0o077, "file")  # owner ---, others rwx
    assert not can_read(f, 65532, [65532])
    assert can_read(f, 1, [1])


def test_directories_search_and_world_writable() -> None:
    files = files_from_tar(_export())
    mw, opt = files["/opt/tyk-gateway/middleware"], files["/opt/tyk-gateway"]
    assert can_write(mw, 65532, [65532]) and can_exec(mw, 65532, [65532])
    assert not can_write(opt, 65532, [65532]) and can_exec(opt, 65532, [65532])
    assert can_exec(ImageFile("/d", 5, 5, 0o700, "dir"), 0, [0])  # root searches any dir
    conf = files["/opt/tyk-gateway/tyk.conf"]
    assert not can_read(conf, 65532, [65532]) and can_read(conf, 65532, [0])


PASSWD = """root:x:0:0:root:/root:/sbin/nologin
# comment
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
redis:x:999:999::/data:/usr/sbin/nologin
"""
GROUP = "root:x:0:\nnonroot:x:65532:\ntyk:x:4242:\n"


@pytest.mark.parametrize(("user", "want"), [
    ("", (0, 0)),
    ("65532", (65532, 65532)),      # the passwd gid
    ("12345", (12345, 0)),          # a uid passwd lacks: gid 0, as Docker does
    ("65532:0", (65532, 0)),
    ("nonroot", (65532, 65532)),
    ("redis:tyk", (999, 4242)),
    ("redis:7", (999, 7)),
])
def test_user_resolution(user: str, want: tuple[int, int]) -> None:
    assert resolve_user("img:1", user, PASSWD, GROUP) == want


def test_unknown_user_or_group_names_the_image() -> None:
    with pytest.raises(ToolError, match=r"^image img:1: user 'foo' is not in its /etc/passwd$"):
        resolve_user("img:1", "foo", PASSWD, GROUP)
    with pytest.raises(ToolError, match=r"^image img:1: group 'bar' is not in its /etc/group$"):
        resolve_user("img:1", "nonroot:bar", PASSWD, GROUP)


def test_resolve_follows_links_in_every_component() -> None:
    from stackctl.runtime.image_files import resolve

    files = files_from_tar(_tar(
        ("usr/", DIR, 0, 0o755, b"", ""), ("usr/bin/", DIR, 0, 0o755, b"", ""),
        ("bin", SYM, 0, 0o777, b"", "usr/bin"),
        ("usr/bin/dash", REG, 0, 0o755, b"", ""),
        ("usr/bin/sh", SYM, 0, 0o777, b"", "dash"),
        ("usr/bin/abs", SYM, 0, 0o777, b"", "/usr/bin/../bin/dash"),
        ("usr/bin/loop", SYM, 0, 0o777, b"", "loop"),
        ("usr/bin/gone", SYM, 0, 0o777, b"", "nowhere")))
    dash = files["/usr/bin/dash"]
    assert resolve(files, "/bin/sh") == dash
    assert resolve(files, "/usr/bin/abs") == dash
    assert resolve(files, "/usr/bin/loop") is None
    assert resolve(files, "/usr/bin/gone") is None
    assert resolve(files, "/opt/x") is None
