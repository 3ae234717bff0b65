"""The user a Tyk image runs as and whether it can use its own files: read once per image
id and kept in the state directory (a warm render asks Docker for image ids only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from stackctl.errors import ToolError
from stackctl.runtime.image_files import can_exec, can_read, image_files, image_user
from stackctl.runtime.images import image_facts
from stackctl.state import atomic_write_json, read_json

USERS_FILE = "image-users.json"
"""`{image id: [uid, gid]}`: what `image_user` answered for each image seen."""
RUN_AS_FILE = "run-as.json"
"""`{service: {"ref": image, "user": [uid, gid]}}`: the Tyk images' users, as the last
preflight found them; the renderers read it (no Docker call per render)."""


def record_run_as(state_dir: Path, users: Mapping[str, tuple[int, int]],
                  refs: Mapping[str, str] | None = None) -> None:
    """Remember the Tyk services' image users (and images) for the renderers, atomically."""
    atomic_write_json(state_dir / RUN_AS_FILE, {
        s: {"ref": (refs or {}).get(s, ""), "user": list(u)} for s, u in users.items()})


def read_run_as(state_dir: Path, refs: Mapping[str, str] | None = None
                ) -> dict[str, tuple[int, int]]:
    """`record_run_as`'s table ({} when absent or unreadable: the images' USER applies); with
    `refs` (service -> its image now), a service recorded with another image gets that one's."""
    try:
        data = read_json(state_dir / RUN_AS_FILE)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, tuple[int, int]] = {}
    stale: dict[str, str] = {}
    for service, row in data.items():
        if not isinstance(row, dict) or len(row.get("user") or []) != 2:
            continue
        out[str(service)] = (int(row["user"][0]), int(row["user"][1]))
        now = (refs or {}).get(str(service))
        if now and row.get("ref") and now != row["ref"]:
            stale[str(service)] = now
    if stale:
        out.update(image_users(stale, state_dir))
    return out


def _cache(state_dir: Path) -> dict[str, list[int]]:
    try:
        data = read_json(state_dir / USERS_FILE)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return {}
    return {str(k): [int(x) for x in v] for k, v in data.items()
            if isinstance(v, list) and len(v) == 2}


def image_users(refs: Mapping[str, str], state_dir: Path) -> dict[str, tuple[int, int]]:
    """service -> its image's (uid, gid); ToolError naming an absent or unresolvable image."""
    cache = _cache(state_dir)
    out: dict[str, tuple[int, int]] = {}
    changed = False
    for service, ref in refs.items():
        facts = image_facts(ref)
        if facts is None:
            raise ToolError(f"image {ref} is not present")
        if facts.id not in cache:
            cache[facts.id] = list(image_user(ref))
            changed = True
        uid, gid = cache[facts.id]
        out[service] = (uid, gid)
    if changed:
        atomic_write_json(state_dir / USERS_FILE, cache)
    return out


CHECKS_FILE = "image-checks.json"
"""`{"<image id> <uid>:<gids>": [problems]}`: what `unreadable` found, per image and user."""


def unreadable(ref: str, uid: int, gids: Sequence[int], paths: Sequence[str],
               executables: Sequence[str], state_dir: Path) -> list[str]:
    """What (uid, gids) cannot use in image `ref`: paths it cannot read or search, `executables`
    it cannot run, parents it cannot search, missing paths; cached per image id and user."""
    facts = image_facts(ref)
    if facts is None:
        raise ToolError(f"image {ref} is not present")
    key = f"{facts.id} {uid}:{','.join(str(g) for g in gids)}"
    try:
        cache = read_json(state_dir / CHECKS_FILE)
    except ValueError:
        cache = None
    cache = cache if isinstance(cache, dict) else {}
    if isinstance(cache.get(key), list):
        return [str(x) for x in cache[key]]
    wanted = [*paths, *executables]
    parents = {str(p) for w in wanted for p in Path(w).parents}
    files = image_files(ref, [*wanted, *parents])
    bad = [f"{p} (missing)" for p in wanted if p not in files]
    for f in files.values():
        if f.path in parents and f.kind == "dir":
            if not can_exec(f, uid, gids):
                bad.append(f"{f.path} (cannot enter)")
            continue
        if not any(f.path == w or f.path.startswith(w.rstrip("/") + "/") for w in wanted):
            continue  # a sibling of a parent directory
        if f.kind == "link":
            continue
        if f.path in executables:
            if not can_exec(f, uid, gids):
                bad.append(f"{f.path} (cannot run)")
        elif f.kind in ("file", "dir") and not can_read(f, uid, gids):
            bad.append(f"{f.path} (cannot read)")
        elif f.kind == "dir" and not can_exec(f, uid, gids):
            bad.append(f"{f.path} (cannot enter)")
    bad = sorted(set(bad))
    cache[key] = bad
    atomic_write_json(state_dir / CHECKS_FILE, cache)
    return bad
