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
from stackctl.tyk.envconfig import parse_bool
from stackctl.tyk.lookup import by_env
from stackctl.tyk.render_dashboard import render_dashboard
from stackctl.tyk.render_gateway import render_gateway
from stackctl.tyk.render_pump import render_pump
from stackctl.tyk.schema import Form
from stackctl.tyk.support import gateway_release, pump_release
from stackctl.tyk.tables import SPECS

RENDERED_DIR = "rendered"


@dataclass(frozen=True)
class RenderedFile:
    """One file to write; each holds a secret (gateway secret, Redis password, licence): 0600."""

    name: str
    component: str
    text: str
    keys: int
    mode: int = SECRET_MODE


def render_docs(model: StackModel, secrets: Secrets) -> list[ConfigDoc]:
    """Every component's configuration for this stack (the dashboard in pro only)."""
    tyk = gateway_release(model.settings)
    docs = [render_gateway(model, secrets, tyk),
            render_pump(model, secrets, pump_release(model.settings))]
    if model.settings.profile == "pro":
        docs.append(render_dashboard(model, secrets, tyk))
    return docs


def render_files(model: StackModel, secrets: Secrets, form: Form) -> list[RenderedFile]:
    """One form's files: the configs, or per component a secrets file and a secret-free *.env."""
    out = []
    for doc in render_docs(model, secrets):
        spec = SPECS[doc.component]
        if form == "json":
            keys = len([o for o, _ in doc.entries if not o.env_only])
            out.append(RenderedFile(spec.conf_file, doc.component, doc.text("json"), keys))
            continue
        rest, only = split_secrets(doc)
        out.append(RenderedFile(secrets_file(doc.component), doc.component,
                                only.text("json"), len(only.entries)))
        out.append(RenderedFile(spec.env_file, doc.component, rest.text("env"),
                                len(rest.as_env())))
    return out


SECRETS_FILE_SUFFIX = "-secrets.conf"
"""Env form: `<component>-secrets.conf`, the component's secret options alone as JSON, which
it mounts at its config path (tyk.conf, pump.conf, tyk_analytics.conf): an env file's values
show in `docker inspect`, a secret's must not. Tyk reads that file, then the environment on
top of it; no omit_config_file, so keys the file lacks stay Go's zero values, as before."""


def secrets_file(component: str) -> str:
    """The env form's secrets-only config file of `component`."""
    return f"{component}{SECRETS_FILE_SUFFIX}"


def split_secrets(doc: ConfigDoc) -> tuple[ConfigDoc, ConfigDoc]:
    """(the config without its secret options, a config holding only those)."""
    rest = tuple(e for e in doc.entries if not e[0].secret)
    only = tuple(e for e in doc.entries if e[0].secret)
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
    """The gateway configuration `up` rendered in `form`, as dotted JSON keys (gateway.env with
    booleans parsed and its secrets file, else tyk.conf); {} when it cannot be read."""
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
            secret = json.loads((state_dir / RENDERED_DIR / secrets_file("gateway")).read_text())
            return {**out, **(flatten(secret) if isinstance(secret, dict) else {})}
        doc = json.loads(conf.read_text())
    except (OSError, ValueError):
        return {}
    return flatten(doc) if isinstance(doc, dict) else {}
