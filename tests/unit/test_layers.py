"""Lower layers never import higher ones (the design notes' layers, by module).

Every `stackctl` module is given a layer by the longest prefix in LAYERS; a module that
matches none fails the test, so a new package has to be placed on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import stackctl

pytestmark = pytest.mark.unit

LAYERS: dict[str, int] = {
    # 1: settings, the model, state, versions and the Tyk tables (knowledge as data)
    "stackctl": 1, "stackctl._version": 1, "stackctl.errors": 1, "stackctl.settings": 1,
    "stackctl.model": 1, "stackctl.state": 1, "stackctl.versions": 1, "stackctl.secrets": 1,
    "stackctl.assets": 1, "stackctl.pipeline": 1,
    "stackctl.tyk.tables": 1, "stackctl.tyk.schema": 1, "stackctl.tyk.releases": 1,
    "stackctl.tyk.lookup": 1, "stackctl.tyk.envconfig": 1,
    "stackctl.fallback.state": 1,  # the fallback's recorded rung: a state file renderers read
    # 2: wrappers of the outside world
    "stackctl.runtime": 2, "stackctl.tools": 2, "stackctl.clients": 2,
    # 3: domain libraries (render, lint, cluster facts, images, load engines, meters)
    "stackctl.cluster": 3, "stackctl.tyk": 3, "stackctl.images": 3, "stackctl.load": 3,
    "stackctl.meter": 3, "stackctl.dashboard": 3, "stackctl.stack_compose": 3,
    "stackctl.stack_compose_pro": 3, "stackctl.external_compose": 3,
    "stackctl.reference": 3, "stackctl.doctor": 3,
    "stackctl.swarm": 3,  # the swarm helpers the swarm engine wraps
    # 4: the engines (below the context, which hands them out) and the shared context
    "stackctl.engine": 4,
    # 4: the shared context and typed results of a run
    "stackctl.context": 4,
    # 5: actions and pipelines
    "stackctl.steps": 5, "stackctl.smoke": 5, "stackctl.sweep": 5, "stackctl.drill": 5,
    "stackctl.fallback": 5, "stackctl.diagnose": 5,
    "stackctl.swarm.render": 4,  # renders from the context, for the swarm engine (moves to render/)
    # 6: the command line
    "stackctl.cli": 6, "stackctl.__main__": 6,
}

ROOT = Path(stackctl.__file__).parent


def layer(module: str) -> int:
    """The layer of `module` by the longest matching prefix."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = LAYERS.get(".".join(parts[:end]))
        if found is not None:
            return found
    raise KeyError(module)


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = path
    return out


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n == "stackctl" or n.startswith("stackctl.")}


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for module in _modules():
        try:
            layer(module)
        except KeyError:
            unplaced.append(module)
    assert not unplaced, f"give these a layer in LAYERS: {unplaced}"


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{module} (layer {layer(module)}) imports {name} (layer {layer(name)})"
        for module, path in _modules().items()
        for name in sorted(_imports(path))
        if layer(name) > layer(module)
    ]
    assert not upward, "\n".join(upward)


def test_the_check_sees_an_upward_import() -> None:
    assert layer("stackctl.cli.main") > layer("stackctl.context.stack") > layer(
        "stackctl.tyk.render_gateway") > layer("stackctl.runtime.compose") > layer(
        "stackctl.tyk.tables")
    assert "stackctl.errors" in _imports(ROOT / "settings.py")
