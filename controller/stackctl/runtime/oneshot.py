"""One-shot containers on a project's network (`docker run --rm`), e.g. diagnosis probes;
secrets go in on stdin, never on the command line."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

from stackctl.runtime._client import docker_client, tool_errors
from stackctl.runtime.docker_cli import ExecResult, binds, flags


def _docker_run(image: str, command: Sequence[str], network: str, user: str,
                mounts: Sequence[tuple[str, str]], env: Mapping[str, str] | None,
                entrypoint: str | None, labels: Mapping[str, str] | None,
                volumes: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The `docker run --rm -i` command line of a one-shot container."""
    args = ["run", "--rm", "--interactive", "--network", network, "--user", user,
            *binds(mounts), *binds(volumes, "volume"), *flags("--env", env),
            *flags("--label", labels)]
    if entrypoint:
        args += ["--entrypoint", entrypoint]
    return [*docker_client().client_config.docker_cmd, *args, image, *command]


def run_oneshot(image: str, command: Sequence[str], network: str,
                mounts: Sequence[tuple[str, str]] = (), env: Mapping[str, str] | None = None,
                stdin: bytes | None = None, entrypoint: str | None = None,
                user: str = "0:0", labels: Mapping[str, str] | None = None,
                volumes: Sequence[tuple[str, str]] = ()) -> ExecResult:
    """Run `command` in a fresh container of `image` on `network`, removed after; the exit code
    in the result. `mounts` / `volumes`: read-only binds / named volumes; secrets via `stdin`."""
    from python_on_whales.exceptions import DockerException
    from python_on_whales.utils import run

    cmd = _docker_run(image, command, network, user, mounts, env, entrypoint, labels, volumes)
    with tool_errors(f"docker run {image}"):
        try:
            out, err = run(cmd, return_stderr=True, input=stdin or b"")
        except DockerException as exc:
            return ExecResult(exc.return_code, exc.stdout or "", exc.stderr or "")
    return ExecResult(0, str(out), str(err))


def open_oneshot(image: str, command: Sequence[str], network: str,
                 env: Mapping[str, str] | None = None, entrypoint: str | None = None,
                 labels: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `command` in a fresh `image` container on `network` with stdin and stdout as pipes
    (a byte relay, e.g. for a TLS handshake); the caller closes stdin and waits."""
    cmd = _docker_run(image, command, network, "0:0", (), env, entrypoint, labels)
    with tool_errors(f"docker run {image}"):
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
