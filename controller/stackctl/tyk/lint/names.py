"""Name checks: wrong, unknown, deprecated, version-bound names; env value formats."""

from __future__ import annotations

import difflib
from typing import Any

from stackctl.tyk.envconfig import parse_bool
from stackctl.tyk.lint.findings import Finding, finding
from stackctl.tyk.lint.sources import Source, redis_env_prefixes
from stackctl.tyk.lookup import by_env, find_option, misnamed_env, misnamed_key, options
from stackctl.tyk.schema import Component, Option
from stackctl.tyk.tables import SPECS, STANDALONE_ENVS

GATEWAY_STORAGE_BLOCKS = ("storage", "cache_storage", "analytics_storage")
"""Gateway blocks of the same Go type (StorageOptionsConf)."""

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "bool": (bool,), "list": (list,), "map": (dict,),
    "duration": (int,),
}


def _version(opt: Option, label: str, release: str, file: str) -> list[Finding]:
    if not opt.exists.contains(release):
        return [finding("not-in-version", file, label, component=opt.component,
                        range=opt.exists.describe(), release=release)]
    if not opt.effective(release):
        return [finding("no-effect", file, label, component=opt.component, release=release,
                        note=opt.note or "nothing reads it")]
    return []


def _known(opt: Option, label: str, release: str, file: str) -> list[Finding]:
    out = _version(opt, label, release, file)
    if opt.deprecated:
        out.append(finding("deprecated", file, label, right=opt.deprecated))
    return out


def _misnamed(component: Component, label: str, right: Option, why: str, release: str,
              file: str, env: bool) -> list[Finding]:
    out = [finding("wrong-name", file, label, component=component, why=why,
                   right=right.env if env else right.label)]
    if not right.effective(release):
        out.append(finding("no-effect", file, right.env if env else right.label,
                           component=component, release=release,
                           note=right.note or "nothing reads it"))
    return out


def _close(candidates: list[str], key: str) -> str:
    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    return f"did you mean {match[0]}?" if match else "remove it"


def _json_type(opt: Option, label: str, value: Any, file: str) -> list[Finding]:
    want = _JSON_TYPES[opt.kind]
    ok = isinstance(value, want) and not (opt.kind == "int" and isinstance(value, bool))
    if ok or value is None:
        return []
    return [finding("bad-type", file, label, kind=opt.kind, got=type(value).__name__)]


def check_json_names(src: Source, release: str) -> list[Finding]:
    """Names in a JSON config's Redis block(s)."""
    spec = SPECS[src.component]
    blocks: list[tuple[str, dict[str, Any]]] = []
    if src.component == "gateway":
        blocks = [(b, src.data[b]) for b in GATEWAY_STORAGE_BLOCKS
                  if isinstance(src.data.get(b), dict)]
    elif spec.block:
        block = src.data.get(spec.block[0])
        blocks = [(spec.block[0], block)] if isinstance(block, dict) else []
    else:
        blocks = [("", {k: v for k, v in src.data.items()
                        if k.startswith("redis_") or find_option(src.component, k)})]
    known = [o.key for o in options(src.component, redis=True)]
    out: list[Finding] = []
    for prefix, block in blocks:
        for key, value in block.items():
            label = f"{prefix}.{key}" if prefix else key
            opt = find_option(src.component, key)
            if opt is not None and (opt.redis or not prefix):
                out += _known(opt, label, release, src.file)
                out += _json_type(opt, label, value, src.file)
            elif (wrong := misnamed_key(src.component, key)) is not None:
                out += _misnamed(src.component, label, wrong.right, wrong.why, release,
                                 src.file, env=False)
            else:
                out.append(finding("unknown-key", src.file, label, component=src.component,
                                   close=_close(known, key)))
    return out


def _env_value(opt: Option, key: str, raw: str, file: str) -> list[Finding]:
    if opt.kind == "bool":
        if raw == "":
            return [finding("empty-bool", file, key, effect=opt.spec.empty_bool)]
        if parse_bool(raw) is None:
            return [finding("bad-value", file, key, value=raw, kind="bool")]
    if opt.kind == "int" and raw.strip() and not raw.strip().lstrip("-").isdigit():
        return [finding("bad-value", file, key, value=raw, kind="int")]
    if opt.kind == "list" and any(p != p.strip() for p in raw.split(",")):
        bad = ", ".join(repr(p) for p in raw.split(",") if p != p.strip())
        fixed = ",".join(p.strip() for p in raw.split(","))
        return [finding("list-spaces", file, key, bad=bad, fixed=fixed)]
    return []


def check_env_names(src: Source, release: str) -> list[Finding]:
    """Variables of one component in an env file."""
    prefixes = redis_env_prefixes(src.component)
    known = [o.env for o in options(src.component, redis=True)]
    out: list[Finding] = []
    for key, raw in src.data.items():
        opt = by_env(key)
        if opt is not None:
            out += _known(opt, key, release, src.file) + _env_value(opt, key, raw, src.file)
        elif (wrong := misnamed_env(key)) is not None:
            out += _misnamed(src.component, key, wrong.right, wrong.why, release, src.file,
                             env=True)
        elif key.startswith(prefixes):
            out.append(finding("unknown-key", src.file, key, component=src.component,
                               close=_close(known, key)))
    return out


def check_standalone(src: Source, releases: dict[Component, str]) -> list[Finding]:
    """Prefix-less variables (REDIGOCLUSTER_SHARDCOUNT) the target releases do not read."""
    out = []
    for entry in STANDALONE_ENVS:
        if entry.name not in src.standalone:
            continue
        readers = [(c, r) for c, r in entry.readers if c in releases]
        if any(r.contains(releases[c]) for c, r in readers):
            continue
        out.append(finding(
            "standalone-no-effect", src.file, entry.name, note=entry.note,
            readers=" and ".join(f"{c} {r.describe()}" for c, r in entry.readers),
            targets=" nor ".join(f"{c} {releases[c]}" for c, _ in readers)))
    return out
