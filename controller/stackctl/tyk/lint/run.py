"""Lint a set of files together: names per file, values per component, drift across."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from stackctl.tyk.lint.findings import Finding
from stackctl.tyk.lint.live import check_live
from stackctl.tyk.lint.names import check_env_names, check_json_names, check_standalone
from stackctl.tyk.lint.pairing import check_pairing
from stackctl.tyk.lint.sources import Source, read_sources
from stackctl.tyk.lint.values import (
    DEFAULT_CONCURRENCY,
    check_drift,
    check_limiter_tls,
    check_view,
)
from stackctl.tyk.lint.views import build_views
from stackctl.tyk.schema import Component

if TYPE_CHECKING:
    from stackctl.cluster.topology import Topology

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def lint_sources(sources: Sequence[Source], releases: dict[Component, str],
                 expected_addrs: Sequence[str] | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY) -> list[Finding]:
    """Findings for sources read together (`releases` per component; `concurrency` per gateway)."""
    out: list[Finding] = []
    for src in sources:
        release = releases[src.component]
        out += (check_json_names if src.form == "json" else check_env_names)(src, release)
        out += check_standalone(src, releases)
    views = build_views(list(sources))
    for view in views.values():
        out += check_view(view, expected_addrs, concurrency)
        out += check_limiter_tls(view, releases["gateway"])
    out += check_drift(list(views.values()))
    out += check_pairing(list(views.values()))
    return _unique(out)


def lint_paths(paths: Iterable[Path], releases: dict[Component, str],
               expected_addrs: Sequence[str] | None = None,
               concurrency: int = DEFAULT_CONCURRENCY,
               live: tuple[Topology, str, bool] | None = None) -> list[Finding]:
    """Read and lint the files at `paths` together; `live`: compare with the live cluster too."""
    sources: list[Source] = []
    out: list[Finding] = []
    for path in paths:
        found, problems = read_sources(path)
        sources += found
        out += problems
    if live is not None:
        out += check_live(list(build_views(sources).values()), *live)
    return _unique(out + lint_sources(sources, releases, expected_addrs, concurrency))


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: dict[Finding, None] = dict.fromkeys(findings)
    return sorted(seen, key=lambda f: (SEVERITY_ORDER[f.severity], f.file, f.key))


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error (exit 1)."""
    return any(f.severity == "error" for f in findings)
