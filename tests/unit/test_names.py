"""stackctl's own names live in one module: the labels are written nowhere else, and the
derived names are the ones Docker and the renderers use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import stackctl
from stackctl import names
from stackctl.model import build_model
from stackctl.runtime.compose import Compose
from stackctl.settings import Settings

pytestmark = pytest.mark.unit

ROOT = Path(stackctl.__file__).parent


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.body and isinstance(n.body[0], ast.Expr)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_stackctl_labels_are_written_only_in_names() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {value!r}"
             for path in sorted(ROOT.rglob("*.py"))
             if "_stack" not in path.relative_to(ROOT).parts and path.name != "names.py"
             for line, value in _string_literals(path)
             if value.startswith(names.LABEL_PREFIX) and " " not in value]
    assert not found, "use stackctl.names:\n" + "\n".join(found)


def test_every_label_has_the_prefix_and_no_two_share_a_value() -> None:
    labels = {k: v for k, v in vars(names).items() if k.endswith("_LABEL")}
    assert all(v.startswith(names.LABEL_PREFIX) for k, v in labels.items()
               if k != "NODE_LABEL"), labels
    assert len(set(labels.values())) == len(labels)


def test_roles_round_trip_through_a_rendered_service() -> None:
    service = {"image": "x", "labels": names.role_labels(names.ROLE_GATEWAY)}
    assert names.role_of(service) == "gateway"
    assert names.role_of({"image": "x"}) is None
    assert names.role_of({"labels": None}) is None


def test_derived_names_match_what_compose_and_the_model_use(tmp_path: Path) -> None:
    model = build_model(Settings(project="demo", state_dir=tmp_path))
    compose = Compose("demo", [tmp_path / "compose.json"], project_dir=tmp_path)
    assert compose.network(names.REDIS_NETWORK) == names.network_name("demo", "redis") \
        == "demo_redis"
    assert compose.container("gateway") == "demo-gateway-1"
    assert [n.name for n in model.nodes][:2] == [names.redis_node(1), names.redis_node(2)] \
        == ["redis-1", "redis-2"]
    assert [names.gateway_replica(i) for i in range(3)] == ["gateway", "gateway-2",
                                                            "gateway-3"]
    assert names.swarm_service("demo", "pump") == "demo_pump"
