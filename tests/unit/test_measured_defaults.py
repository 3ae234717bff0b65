"""Defaults chosen by measurement (issue 25): the settings' defaults are the table's
values, every row names a real setting and its evidence, `config show` marks each, and
the README's table lists each with its value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stackctl.settings import Settings
from stackctl.tyk.tables import MEASURED_DEFAULTS

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


def shown(value: object) -> str:
    """A value as stackctl.toml and the README write it."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def default_of(setting: str) -> object:
    section, _, name = setting.partition(".")
    fields = type(getattr(Settings(), section)).model_fields
    assert name in fields, f"{setting} is not a setting"
    return fields[name].default


@pytest.mark.parametrize("row", MEASURED_DEFAULTS, ids=lambda r: r.setting)
def test_the_settings_default_is_the_measured_value(row: object) -> None:
    assert default_of(row.setting) == row.value  # type: ignore[attr-defined]


@pytest.mark.parametrize("row", MEASURED_DEFAULTS, ids=lambda r: r.setting)
def test_each_row_has_its_figures_and_the_readme_lists_it(row: object) -> None:
    evidence = row.evidence  # type: ignore[attr-defined]
    assert "TODO" not in evidence and any(ch.isdigit() for ch in evidence)
    assert "benchmarks/" in evidence, "the figures name the command that measured them"
    line = next((ln for ln in README.read_text().splitlines()
                 if ln.startswith(f"| `{row.setting}` |")), "")  # type: ignore[attr-defined]
    assert f"| {shown(row.value)} |" in line, f"README has no row for {row.setting}"  # type: ignore[attr-defined]


def test_config_show_marks_a_measured_default(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    out = subprocess.run([sys.executable, "-m", "stackctl", "config", "show"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for row in MEASURED_DEFAULTS:
        section, _, name = row.setting.partition(".")
        start = lines.index(f"[{section}]")
        line = next(ln for ln in lines[start:] if ln.startswith(f"{name} = "))
        assert f"(default {shown(row.value)} by measurement; {row.upstream})" in line
    marked = [ln for ln in lines if "by measurement" in ln]
    assert len(marked) == len(MEASURED_DEFAULTS)
