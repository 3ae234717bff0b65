"""A rendered configuration: (name, value) pairs from the tables, in either form."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from stackctl.errors import ConfigError
from stackctl.tyk.envconfig import env_value
from stackctl.tyk.schema import Component, Form, Option

_PLAIN = re.compile(r"^[A-Za-z0-9_.,:/@%+=-]*$")


@dataclass(frozen=True)
class ConfigDoc:
    """One component's configuration, independent of its form."""

    component: Component
    release: str
    entries: tuple[tuple[Option, Any], ...]

    def __post_init__(self) -> None:
        for opt, _ in self.entries:
            if not opt.exists.contains(self.release):
                raise ConfigError(
                    f"{self.component} {self.release}", f"has no '{opt.label}'"
                    f" (exists in {opt.exists.describe()})", "use a release in that range")

    def as_json(self) -> dict[str, Any]:
        """The nested JSON document (env-only names left out)."""
        doc: dict[str, Any] = {}
        for opt, value in self.entries:
            if opt.env_only:
                continue
            node = doc
            *parents, leaf = opt.json_path
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        return doc

    def as_env(self) -> dict[str, str]:
        """The environment mapping envconfig reads (names from Go fields)."""
        return {opt.env: env_value(opt.kind, value) for opt, value in self.entries}

    def text(self, form: Form) -> str:
        """File contents: indented JSON, or KEY=VALUE lines for compose's env_file."""
        if form == "json":
            return json.dumps(self.as_json(), indent=2) + "\n"
        return "".join(f"{k}={_quote(k, v)}\n" for k, v in self.as_env().items())


def _quote(key: str, value: str) -> str:
    """Single quotes (literal in compose env files) when the value is not plain."""
    if _PLAIN.match(value):
        return value
    if "'" in value or "\n" in value:
        raise ConfigError(key, "value holds a quote or a newline",
                          "choose a value an env file can carry")
    return f"'{value}'"
