"""Render the whole stack's Tyk configuration and write it atomically (0600: secrets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackctl.model import StackModel
from stackctl.secrets import SECRET_MODE, Secrets
from stackctl.state import atomic_write
from stackctl.tyk.document import ConfigDoc
from stackctl.tyk.render_dashboard import render_dashboard
from stackctl.tyk.render_gateway import render_gateway
from stackctl.tyk.render_pump import render_pump
from stackctl.tyk.schema import Form
from stackctl.tyk.support import pump_release, target_versions
from stackctl.tyk.tables import SPECS

RENDERED_DIR = "rendered"


@dataclass(frozen=True)
class RenderedFile:
    """One file to write: every one holds a secret (gateway secret, Redis password,
    licence), so every one is 0600."""

    name: str
    component: str
    text: str
    keys: int
    mode: int = SECRET_MODE


def render_docs(model: StackModel, secrets: Secrets) -> list[ConfigDoc]:
    """Every component's configuration for this stack (the dashboard in pro only)."""
    tyk, _ = target_versions(model.settings)
    docs = [render_gateway(model, secrets, tyk),
            render_pump(model, secrets, pump_release(model.settings))]
    if model.settings.profile == "pro":
        docs.append(render_dashboard(model, secrets, tyk))
    return docs


def render_files(model: StackModel, secrets: Secrets, form: Form) -> list[RenderedFile]:
    """The files of one form: tyk.conf/pump.conf/tyk_analytics.conf or *.env."""
    out = []
    for doc in render_docs(model, secrets):
        spec = SPECS[doc.component]
        name = spec.conf_file if form == "json" else spec.env_file
        if form == "env" and doc.component == "dashboard":
            doc, licence = split_licence(doc)
            out.append(RenderedFile(DASHBOARD_LICENCE_FILE, doc.component, licence.text("json"),
                                    1))
        keys = len(doc.as_env() if form == "env" else [o for o, _ in doc.entries if not o.env_only])
        out.append(RenderedFile(name, doc.component, doc.text(form), keys))
    return out


DASHBOARD_LICENCE_FILE = "dashboard-licence.conf"
"""Env form: the licence alone, in a config file the dashboard mounts (an env file's values
show in `docker inspect`; a licence must not)."""


def split_licence(doc: ConfigDoc) -> tuple[ConfigDoc, ConfigDoc]:
    """(the dashboard's config without license_key, a config holding only it)."""
    from stackctl.tyk.render_dashboard import LICENCE_KEY

    rest = tuple(e for e in doc.entries if e[0].key != LICENCE_KEY)
    only = tuple(e for e in doc.entries if e[0].key == LICENCE_KEY)
    return (ConfigDoc(doc.component, doc.release, rest),
            ConfigDoc(doc.component, doc.release, only))


def write_files(files: list[RenderedFile], out_dir: Path) -> list[Path]:
    """Write atomically, each file created with its mode before any byte lands."""
    paths = []
    for f in files:
        path = out_dir / f.name
        atomic_write(path, f.text, f.mode)
        paths.append(path)
    return paths


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested JSON config as dotted keys (`{"a": {"b": 1}}` -> `{"a.b": 1}`)."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def rendered_gateway(state_dir: Path, form: Form) -> dict[str, Any]:
    """The stack's gateway configuration as dotted JSON keys, read from what `up`
    rendered in `form` (gateway.env for env, booleans parsed; else tyk.conf); empty when
    it cannot be read."""
    from stackctl.tyk.envconfig import parse_bool
    from stackctl.tyk.lookup import by_env

    spec = SPECS["gateway"]
    env = state_dir / RENDERED_DIR / spec.env_file
    conf = state_dir / RENDERED_DIR / spec.conf_file
    try:
        if form == "env":
            out: dict[str, Any] = {}
            for line in env.read_text().splitlines():
                name, _, raw = line.partition("=")
                opt = by_env(name.strip())
                if opt is not None:
                    value = raw.strip().strip("'")
                    out[opt.label] = parse_bool(value) if opt.kind == "bool" else value
            return out
        doc = json.loads(conf.read_text())
    except (OSError, ValueError):
        return {}
    return flatten(doc) if isinstance(doc, dict) else {}
