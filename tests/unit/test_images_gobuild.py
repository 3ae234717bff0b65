"""Go module builds: go directive check, refusal messages, checksum pinning."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from stackctl import versions
from stackctl.errors import ToolError
from stackctl.images import gobuild
from stackctl.tools import go

pytestmark = pytest.mark.unit

GO_MOD = """module github.com/TykTechnologies/tyk-pump

go 1.24.6

require (
\tgithub.com/example/dep v1.2.3
)

// go 9.9 in a comment does not count
"""


@pytest.fixture
def go_mod(tmp_path: Path) -> Path:
    path = tmp_path / "go.mod"
    path.write_text(GO_MOD)
    return path


def test_go_directive_from_fixture(go_mod: Path) -> None:
    assert gobuild.go_directive(go_mod.read_text()) == (1, 24, 6)
    assert gobuild.go_directive("module x\n\ngo 1.21\n") == (1, 21)
    assert gobuild.go_directive("module x\n") == (1, 0)


def test_older_toolchain_is_refused_with_one_line(go_mod: Path) -> None:
    need = gobuild.go_directive(go_mod.read_text())
    with pytest.raises(ToolError) as err:
        gobuild.check_toolchain((1, 23, 4), need, "github.com/TykTechnologies/tyk-pump@v1.14.0")
    text = str(err.value)
    assert "\n" not in text
    assert "go 1.23.4 is older than go 1.24.6" in text
    assert "github.com/TykTechnologies/tyk-pump@v1.14.0" in text


@pytest.mark.parametrize("have", [(1, 24, 6), (1, 25), (1, 26, 8), (2, 0)])
def test_equal_or_newer_toolchain_passes(have: tuple[int, ...]) -> None:
    gobuild.check_toolchain(have, (1, 24, 6), "m@v")


def test_patch_level_counts() -> None:
    with pytest.raises(ToolError):
        gobuild.check_toolchain((1, 24, 5), (1, 24, 6), "m@v")


def _module() -> versions.GoModule:
    return dataclasses.replace(versions.GATEWAY_MODULE, version="abc123", sum="", nosumdb=False)


def test_refused_module_names_module_and_proxy() -> None:
    module = _module()
    error = (f"{module.path}@abc123: invalid version: reading https://proxy.golang.org/x/@v/"
             "abc123.info: 403 Forbidden\n\tserver response: This module version is not available.")
    err = gobuild.download_error(module, go.ModuleDownload(module.path, "abc123", error=error))
    assert str(err) == f"{module.path}@abc123: refused by the Go module proxy (403 Forbidden)"


def test_refused_dependency_names_both() -> None:
    module = _module()
    dep = go.ModuleDownload("github.com/TykTechnologies/gorm", "v1.20.7-0.2026",
                            error="reading https://proxy.golang.org/...: 403 Forbidden")
    text = str(gobuild.download_error(module, dep))
    assert "github.com/TykTechnologies/gorm@v1.20.7-0.2026" in text
    assert f"{module.path}@abc123" in text
    assert "refused by the Go module proxy" in text


def test_sumdb_404_is_explained() -> None:
    module = _module()
    error = ("verifying go.mod: reading https://proxy.golang.org/sumdb/sum.golang.org/lookup/"
             "x@abc123: 404 Not Found")
    text = str(gobuild.download_error(module, go.ModuleDownload(module.path, "abc123",
                                                                error=error)))
    assert "unknown to the Go checksum database" in text
    assert "\n" not in text


def test_pinned_sum_is_checked() -> None:
    module = dataclasses.replace(_module(), sum="h1:good=", nosumdb=True)
    gobuild.check_sum(module, "h1:good=")
    with pytest.raises(ToolError, match="checksum mismatch"):
        gobuild.check_sum(module, "h1:evil=")
    with pytest.raises(ToolError, match="pinned sum"):
        gobuild.check_sum(dataclasses.replace(module, sum=""), "h1:any=")
    assert gobuild.sumdb_env(module) == {"GONOSUMDB": module.path}
    assert gobuild.sumdb_env(_module()) == {}


def test_download_json_stream_is_decoded() -> None:
    text = ('{\n\t"Path": "a", "Version": "v1", "Zip": "/z/a.zip", "Sum": "h1:x="\n}\n'
            '{\n\t"Path": "b", "Version": "v2", "Error": "b@v2: 403 Forbidden"\n}\n')
    entries = [go._as_download(o) for o in go._decode_stream(text)]
    assert [(e.path, e.version, e.error) for e in entries] == [
        ("a", "v1", ""), ("b", "v2", "b@v2: 403 Forbidden")]
    assert entries[0].sum == "h1:x=" and entries[0].zip == "/z/a.zip"


def test_pinned_modules_name_their_binaries() -> None:
    assert versions.PUMP_MODULE.binary == "tyk-pump"
    assert versions.GATEWAY_MODULE.binary == "tyk"
    assert "templates" in versions.GATEWAY_MODULE.assets


RELEASED = """module github.com/TykTechnologies/tyk

go 1.23.4

require github.com/single/line v0.1.0

require (
\tgithub.com/TykTechnologies/storage v1.2.2
\tgithub.com/redis/go-redis/v9 v9.7.0 // pinned
\tgolang.org/x/sys v0.31.0 // indirect
\tgithub.com/gone/away v1.0.0
)

replace github.com/replaced/mod => github.com/other/mod v1.0.0

exclude (
\tgithub.com/excluded/mod v0.0.1
)
"""
EDITED = (RELEASED.replace("go 1.23.4", "go 1.25.0")
          .replace("storage v1.2.2", "storage v1.3.4")
          .replace("go-redis/v9 v9.7.0", "go-redis/v9 v9.13.0")
          .replace("\tgithub.com/gone/away v1.0.0\n", "\tgithub.com/new/dep v0.2.0 // indirect\n"))


def test_requirements_read_single_and_block_lines_only() -> None:
    assert gobuild.requirements(RELEASED) == {
        "github.com/single/line": "v0.1.0", "github.com/TykTechnologies/storage": "v1.2.2",
        "github.com/redis/go-redis/v9": "v9.7.0", "golang.org/x/sys": "v0.31.0",
        "github.com/gone/away": "v1.0.0"}


def test_moved_lists_changed_added_removed_lines_and_the_go_directive() -> None:
    assert [str(m) for m in gobuild.moved(RELEASED, EDITED)] == [
        "go 1.23.4->1.25.0",
        "github.com/TykTechnologies/storage v1.2.2->v1.3.4",
        "github.com/gone/away v1.0.0->-",
        "github.com/new/dep -->v0.2.0",
        "github.com/redis/go-redis/v9 v9.7.0->v9.13.0"]
    assert gobuild.moved(RELEASED, RELEASED) == ()


def test_edited_and_released_builds_use_separate_folders(tmp_path: Path) -> None:
    edited = gobuild.build_dir(tmp_path, versions.GATEWAY_MODULE)
    released = gobuild.build_dir(tmp_path, versions.GATEWAY_AS_RELEASED)
    assert edited != released and edited.parent == released.parent
    assert versions.GATEWAY_MODULE.requires == (
        (versions.GO_REDIS, "v9.13.0"), (versions.TYK_STORAGE, "v1.3.4"))
    assert versions.GATEWAY_AS_RELEASED.requires == ()
    assert versions.GATEWAY_MODULE.release == versions.GATEWAY_AS_RELEASED.release == "v5.8.1"
