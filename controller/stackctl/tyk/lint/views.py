"""What a component will actually use: Redis values by role, env over file (as Tyk does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stackctl.tyk.envconfig import parse_bool, parse_list
from stackctl.tyk.lint.sources import Source
from stackctl.tyk.lookup import by_env, find_option
from stackctl.tyk.schema import Component, Option, Role
from stackctl.tyk.tables import SPECS


@dataclass
class View:
    """One component's effective Redis settings, each with the name it was given under."""

    component: Component
    file: str
    values: dict[Role, tuple[Any, str]] = field(default_factory=dict)
    general: dict[str, tuple[Any, str]] = field(default_factory=dict)  # non-Redis, by key
    from_file: bool = False  # a JSON config file was read (absent keys take Tyk's defaults)

    def get(self, role: Role, default: Any = None) -> Any:
        """The value carried by `role`, or `default`."""
        return self.values.get(role, (default, ""))[0]

    def label(self, role: Role) -> str:
        """The name `role` was given under (for findings)."""
        return self.values.get(role, (None, role))[1]


def _from_env(opt: Option, raw: str) -> Any:
    if opt.kind == "bool":
        return parse_bool(raw)
    if opt.kind == "int":
        try:
            return int(raw)
        except ValueError:
            return None
    return parse_list(raw) if opt.kind == "list" else raw


def _put(view: View, opt: Option, value: Any, label: str) -> None:
    if value is None:
        return
    if opt.role is not None and opt.redis:
        if opt.role in ("use_ssl", "skip_verify") and view.get(opt.role):
            return  # the pump ORs its deprecated TLS flags with the current ones
        view.values[opt.role] = (value, label)
    elif not opt.redis:
        view.general[opt.key] = (value, label)


def _json_into(view: View, src: Source) -> None:
    spec = SPECS[src.component]
    block = src.data.get(spec.block[0], {}) if spec.block else src.data
    if isinstance(block, dict):
        for key, value in block.items():
            opt = find_option(src.component, key)
            if opt is not None and opt.redis:
                _put(view, opt, value, ".".join((*spec.block, key)))
    for key, value in _dotted(src.data, spec.block[:1]):
        opt = find_option(src.component, key)
        if opt is not None and not opt.redis:
            _put(view, opt, value, key)


def _dotted(doc: dict[str, Any], skip: tuple[str, ...], prefix: str = ""
            ) -> list[tuple[str, Any]]:
    """(dotted key, value) of every leaf and every object, outside the `skip` block."""
    out: list[tuple[str, Any]] = []
    for key, value in doc.items():
        if not prefix and key in skip:
            continue
        out.append((prefix + key, value))
        if isinstance(value, dict):
            out += _dotted(value, skip, f"{prefix}{key}.")
    return out


def build_views(sources: list[Source]) -> dict[Component, View]:
    """One view per component: JSON files first, then env files on top."""
    views: dict[Component, View] = {}
    for src in sorted(sources, key=lambda s: s.form == "env"):
        view = views.setdefault(src.component, View(src.component, src.file))
        if src.form == "json":
            view.from_file = True
            _json_into(view, src)
            continue
        for key, raw in src.data.items():
            opt = by_env(key)
            if opt is not None and opt.component == src.component:
                _put(view, opt, _from_env(opt, raw), key)
    return views
