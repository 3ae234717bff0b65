"""Expected errors through the CLI: one line with a fix and a non-zero exit, never a
traceback (unless --verbose)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from stackenv import clean_stackctl as stackctl

pytestmark = pytest.mark.unit




def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unwritable_render_out_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    out = stackctl("render", "--out", "/proc/x", cwd=tmp_path)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("stackctl: error: /proc/x: ")
    assert "check that the path exists" in lines[0]
    verbose = stackctl("--verbose", "render", "--out", "/proc/x", cwd=tmp_path)
    assert verbose.returncode == out.returncode
    assert "Traceback" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1] == lines[0]


def test_gateway_nothing_listens_on_is_one_line(tmp_path: Path) -> None:
    """The smoke's first gateway call, to a port nothing listens on: one line naming the
    URL and the fix (no stack: a rendered compose file stands in for `up`)."""
    assert stackctl("render", cwd=tmp_path).returncode == 0
    (tmp_path / ".stackctl" / "compose.json").write_text('{"services": {}}')
    port = _free_port()
    out = stackctl("smoke", "--duration", "1", cwd=tmp_path,
                   env={"STACKCTL_GATEWAY__PORT": str(port)})
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert f"http://127.0.0.1:{port}/tyk/apis" in lines[0]
    assert "cannot connect" in lines[0] and "`stackctl status`" in lines[0]


def test_a_malformed_state_file_names_itself(tmp_path: Path) -> None:
    from stackctl.errors import BadFileError
    from stackctl.state import read_json

    bad = tmp_path / "compose.json"
    bad.write_text("{not json")
    with pytest.raises(BadFileError) as info:
        read_json(bad)
    assert isinstance(info.value, ValueError)  # callers that skip bad files still do
    assert str(info.value).startswith(f"{bad}: is not valid JSON (")
    assert "\n" not in str(info.value) and info.value.exit_code == 2


def test_expected_errors_map_to_one_line() -> None:
    import errno
    import json as json_mod

    from python_on_whales.exceptions import DockerException

    from stackctl.cli.main import expected_error

    perm = expected_error(PermissionError(errno.EACCES, "Permission denied", "/etc/x"))
    assert perm == ("/etc/x: permission denied; check its permissions, or choose another "
                    "path", 1)
    bad = expected_error(json_mod.JSONDecodeError("Expecting value", "x", 0))
    assert bad is not None and bad[1] == 2 and "not valid JSON" in bad[0]
    docker = expected_error(DockerException(["docker", "ps"], 1, b"", b"Cannot connect "
                                            b"to the Docker daemon\n"))
    assert docker is not None and "Cannot connect to the Docker daemon" in docker[0]
    assert "\n" not in docker[0] and "stackctl doctor" in docker[0]
    assert expected_error(KeyError("bug")) is None
