"""Every benchmark imports: its stackctl names still exist (a benchmark is run by hand, so
nothing else would notice a name that moved), and its imports sit at the module top."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

BENCHMARKS = sorted((Path(__file__).resolve().parents[2] / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.stem)
def test_benchmark_imports(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(path.parent))  # as `python benchmarks/x.py` has it
    nested = [node.lineno for node in ast.walk(ast.parse(path.read_text()))
              if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("stackctl")
              and node.col_offset > 0]
    assert not nested, f"{path.name}: stackctl imports inside functions at lines {nested}"
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # main() is not run


def test_there_are_benchmarks() -> None:
    assert len(BENCHMARKS) >= 5
