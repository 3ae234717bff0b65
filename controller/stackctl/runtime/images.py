"""Images on the local engine: presence, labels, build, import, tag, removal."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from stackctl.runtime._client import docker_client, tool_errors


@dataclass(frozen=True)
class ImageFacts:
    """What stackctl reads from a local image."""

    ref: str
    id: str
    size_bytes: int
    labels: Mapping[str, str]
    created: str


def image_exists(ref: str) -> bool:
    """Whether `ref` is present on the local engine."""
    client = docker_client()
    with tool_errors(f"docker image inspect {ref}"):
        return bool(client.image.exists(ref))


def images_present(refs: Sequence[str]) -> dict[str, bool]:
    """Which of `refs` are present (one `docker image inspect`; ToolError without an engine)."""
    from python_on_whales.exceptions import DockerException
    from python_on_whales.utils import run

    if not refs:
        return {}
    cmd = [*docker_client().client_config.docker_cmd, "image", "inspect", "--format",
           "{{.Id}}", *refs]
    with tool_errors("docker image inspect"):
        try:
            run([str(c) for c in cmd])
        except DockerException as exc:
            lines = (exc.stderr or "").strip().splitlines()
            missing = {line.split("No such image:", 1)[1].strip()
                       for line in lines if "No such image:" in line}
            if not missing or len(missing) < len(lines):
                raise
            return {ref: ref not in missing for ref in refs}
    return dict.fromkeys(refs, True)


def image_facts(ref: str) -> ImageFacts | None:
    """Id, size and labels of `ref`, or None when it is not present."""
    from python_on_whales.exceptions import NoSuchImage

    client = docker_client()
    with tool_errors(f"docker image inspect {ref}"):
        try:
            img = client.image.inspect(ref)
        except NoSuchImage:
            return None
    labels = dict(img.config.labels or {}) if img.config is not None else {}
    return ImageFacts(ref=ref, id=str(img.id), size_bytes=int(img.size or 0), labels=labels,
                      created=img.created.isoformat() if img.created else "")


def container_image(container: str) -> ImageFacts | None:
    """The image a container runs: the reference it was created from, with the labels of the
    image it runs (by id: a moved tag does not mislead); None without such a container."""
    from python_on_whales.exceptions import NoSuchContainer

    client = docker_client()
    with tool_errors(f"docker inspect {container}"):
        try:
            found = client.container.inspect(container)
        except NoSuchContainer:
            return None
    ref = str(found.config.image) if found.config is not None else str(found.image)
    facts = image_facts(str(found.image))
    return None if facts is None else ImageFacts(ref=ref, id=facts.id,
                                                 size_bytes=facts.size_bytes,
                                                 labels=facts.labels, created=facts.created)


def build_image(context: Path, tag: str, build_args: Mapping[str, str],
                labels: Mapping[str, str], no_cache: bool = False) -> str:
    """`docker build` (classic builder) of `context` tagged `tag`; returns the image id."""
    client = docker_client()
    with tool_errors(f"docker build {context.name}"):
        img = client.image.legacy_build(
            context, build_args=dict(build_args), labels=dict(labels), tags=[tag],
            cache=not no_cache, quiet=True,
        )
    return str(img.id)


def prune_stages(label: str) -> None:
    """Remove the dangling images carrying `label` (a multi-stage build's builder stages)."""
    client = docker_client()
    with tool_errors("docker image prune"):
        client.image.prune(filters={"label": label})


def import_rootfs(tarball: Path, tag: str, changes: tuple[str, ...] = ()) -> str:
    """`docker import` a rootfs tarball as `tag`; returns the image id."""
    client = docker_client()
    with tool_errors(f"docker import {tarball.name}"):
        img = client.image.import_(tarball, tag=tag, changes=changes)
    return str(img.id)


def tag_image(source: str, ref: str) -> None:
    """Point `ref` at `source` (an id or a ref)."""
    client = docker_client()
    with tool_errors(f"docker tag {ref}"):
        client.image.tag(source, ref)


def remove_image(ref: str, missing_ok: bool = True) -> None:
    """Remove a tag (or an untagged image by id); keeps images other tags or children use."""
    client = docker_client()
    with tool_errors(f"docker rmi {ref}"):
        if missing_ok and not client.image.exists(ref):
            return
        client.image.remove(ref, prune=True)


def image_store_dir() -> Path:
    """Where the engine keeps its images (`docker info` DockerRootDir)."""
    client = docker_client()
    with tool_errors("docker info"):
        info = client.system.info()
    return Path(info.docker_root_dir or "/var/lib/docker")


# --- moving images between engines (engine = swarm: every node needs them) -----------


def save_images(refs: Sequence[str], path: Path) -> None:
    """`docker save` of `refs` into one tar at `path`, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with tool_errors("docker save"):
            docker_client().image.save(list(refs), output=tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def load_images(path: Path) -> list[str]:
    """`docker load` of a tar written by `save_images`; the image names it held."""
    with tool_errors(f"docker load {path}"):
        loaded = docker_client().image.load(str(path), quiet=True)
    return [str(x) for x in loaded or []]


# --- pulling (`stackctl up` gets the official images it lacks) -----------------------

PULL_TIMEOUT_S = 600.0
"""At most this long per image (a slow registry); an unreachable one fails in seconds."""


def pull_image(ref: str, show: bool = True, timeout: float = PULL_TIMEOUT_S) -> str | None:
    """`docker pull ref` (progress on stderr if `show`); None when pulled, else Docker's why."""
    cmd = [*(str(c) for c in docker_client().client_config.docker_cmd), "pull", ref]
    try:
        proc = subprocess.run(cmd, stdout=sys.stderr if show else subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"no answer in {timeout:.0f} s"
    except FileNotFoundError:
        return "docker not found; install docker.io"
    if proc.returncode == 0:
        return None
    lines = proc.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"docker pull exited {proc.returncode}"
