"""Lower layers never import higher ones; actions never import one another; imports sit at
the module top; no import cycles (the design notes' layers, by package).

A module's layer is its package's (`stackctl.<package>...`, or the top-level module's):
one layer per package. OVERRIDES places single modules elsewhere, each with its reason;
a package or override that is not in the tables fails the test, so a new one is placed
on purpose. Every checker takes module sources, so the tests below also feed it
synthetic ones and see it fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import stackctl

pytestmark = pytest.mark.unit

LAYERS: dict[str, int] = {
    # 1: foundations: settings, the model, state files, versions, stackctl's own names
    "stackctl": 1, "_version": 1, "errors": 1, "names": 1, "settings": 1, "model": 1,
    "state": 1, "rung": 1, "versions": 1, "secrets": 1, "assets": 1, "pipeline": 1,
    # 2: wrappers of the outside world (only runtime drives Docker, only tools runs other
    # programs, only clients speak HTTP to Tyk)
    "runtime": 2, "tools": 2, "clients": 2,
    # 3: domain libraries: Redis Cluster facts, Tyk render and lint, compose rendering,
    # images, load engines, meters, the dashboard's bootstrap, doctor's checks
    "cluster": 3, "tyk": 3, "render": 3, "images": 3, "load": 3, "meter": 3,
    "dashboard": 3, "doctor": 3,
    # 4: the shared context and typed results of a run
    "context": 4,
    # 5: the swarm helpers (stack file, placement, waits, access proxy, the swarm meter)
    "swarm": 5,
    # 6: the engines, compose and swarm side by side, and the factory that picks one; the
    # actions run a stack through them
    "engine": 6,
    # 7: actions (and the up pipeline's steps); they never import one another
    "steps": 7, "smoke": 7, "sweep": 7, "drill": 7, "fallback": 7, "diagnose": 7,
    # 8: the command line (it picks the engine once)
    "cli": 8, "__main__": 8,
}
OVERRIDES: dict[str, tuple[int, str]] = {
    "stackctl.tyk.tables": (1, "Tyk knowledge as data: read by settings-level code and "
                               "clients alike (design notes, layer 1: the Tyk tables)"),
    "stackctl.tyk.schema": (1, "the tables' record types"),
    "stackctl.tyk.releases": (1, "the tables' release list"),
    "stackctl.tyk.lookup": (1, "reads the tables (endpoints, auth headers) for clients"),
    "stackctl.tyk.envconfig": (1, "Tyk's env-variable naming rule, data for the tables"),
    "stackctl.engine.base": (4, "the Engine interface: the context carries the engine the "
                                "CLI picked (engine.factory.stack_context); the interface "
                                "imports nothing above the domain libraries"),
}
ACTIONS = frozenset({"steps", "smoke", "sweep", "drill", "fallback", "diagnose"})
KNOWN_ACTION_IMPORTS: dict[tuple[str, str], str] = {
    # (importer, imported module): what removes it. The test fails when one is gone, so
    # the list only shrinks.
}
LOCAL_IMPORTS: dict[tuple[str, str], str] = {
    # (module, imported stackctl module) allowed inside a function, with the reason
}
CYCLES_ALLOWED: dict[frozenset[str], str] = {}

ROOT = Path(stackctl.__file__).parent


def package_of(module: str) -> str:
    """`stackctl.render.tyk` -> `render`; `stackctl` -> `stackctl`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer(module: str) -> int:
    """The layer of `module`: its override, else its package's (KeyError: unplaced)."""
    if module in OVERRIDES:
        return OVERRIDES[module][0]
    return LAYERS[package_of(module)]


def sources() -> dict[str, str]:
    """Every stackctl module's source, by module name."""
    out: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        if "_stack" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = path.read_text()
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def imports(source: str, known: set[str]) -> Iterator[tuple[str, bool, bool]]:
    """(stackctl module imported, inside a function, under TYPE_CHECKING) per import; for
    `from a import b`, `a.b` when that is a module."""

    def walk(body: list[ast.stmt], in_fn: bool, in_tc: bool) -> Iterator[tuple[str, bool, bool]]:
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    yield alias.name, in_fn, in_tc
            elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
                subs = [f"{stmt.module}.{a.name}" for a in stmt.names
                        if f"{stmt.module}.{a.name}" in known]
                for name in subs or [stmt.module]:
                    yield name, in_fn, in_tc
                if subs and len(subs) < len(stmt.names):
                    yield stmt.module, in_fn, in_tc
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(stmt.body, True, in_tc)
            elif isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
                yield from walk(stmt.body, in_fn, True)
                yield from walk(stmt.orelse, in_fn, in_tc)
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    for part in getattr(stmt, field, None) or []:
                        if isinstance(part, ast.stmt):
                            yield from walk([part], in_fn, in_tc)
                        elif hasattr(part, "body"):
                            yield from walk(part.body, in_fn, in_tc)

    for name, in_fn, in_tc in walk(ast.parse(source).body, False, False):
        if name == "stackctl" or name.startswith("stackctl."):
            yield name, in_fn, in_tc


def edges(srcs: Mapping[str, str]) -> Iterator[tuple[str, str, bool, bool]]:
    known = set(srcs)
    for module, source in srcs.items():
        for name, in_fn, in_tc in imports(source, known):
            if name != module:
                yield module, name, in_fn, in_tc


def unplaced(srcs: Mapping[str, str]) -> list[str]:
    out = []
    for module in srcs:
        try:
            layer(module)
        except KeyError:
            out.append(module)
    return out


def upward(srcs: Mapping[str, str]) -> list[str]:
    """Imports of a higher layer (function-level and type-only ones count too)."""
    skip = set(unplaced(srcs))  # reported by their own test
    return sorted({f"{m} (layer {layer(m)}) imports {n} (layer {layer(n)})"
                   for m, n, _, _ in edges(srcs)
                   if m not in skip and n not in skip and layer(n) > layer(m)})


def between_actions(srcs: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """Imports from one action package into another: (importer, imported) -> line."""
    return {(m, n): f"{m} imports {n}" for m, n, _, _ in edges(srcs)
            if package_of(m) in ACTIONS and package_of(n) in ACTIONS
            and package_of(m) != package_of(n)}


def local_imports(srcs: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """stackctl imports inside functions: (module, imported) -> line."""
    return {(m, n): f"{m} imports {n} inside a function" for m, n, in_fn, in_tc
            in edges(srcs) if in_fn and not in_tc}


def cycles(srcs: Mapping[str, str], allowed: Mapping[frozenset[str], str] | None = None,
           ) -> list[list[str]]:
    """Import cycles among the modules' run-time imports (top-level and in functions;
    a package's own __init__ is not an edge of its submodules), one per component."""
    allowed = CYCLES_ALLOWED if allowed is None else allowed
    graph: dict[str, set[str]] = {m: set() for m in srcs}
    for m, n, _, in_tc in edges(srcs):
        if not in_tc and n in graph and not m.startswith(n + "."):
            graph[m].add(n)
    found: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()

    def strong(node: str) -> None:  # Tarjan (the graph is small: recursion is fine)
        index[node] = low[node] = len(index)
        stack.append(node)
        on.add(node)
        for dep in sorted(graph[node]):
            if dep not in index:
                strong(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            comp = []
            while True:
                top = stack.pop()
                on.discard(top)
                comp.append(top)
                if top == node:
                    break
            if len(comp) > 1 and frozenset(comp) not in allowed:
                found.append(sorted(comp))

    for node in sorted(graph):
        if node not in index:
            strong(node)
    return found


@pytest.fixture(scope="module")
def srcs() -> dict[str, str]:
    return sources()


def test_every_module_has_a_layer(srcs: dict[str, str]) -> None:
    assert not unplaced(srcs), f"give their packages a layer in LAYERS: {unplaced(srcs)}"


def test_every_override_names_a_module_and_a_reason(srcs: dict[str, str]) -> None:
    for module, (_, reason) in OVERRIDES.items():
        assert module in srcs, f"OVERRIDES names {module}, which is gone"
        assert len(reason) > 20, f"say why {module} is placed apart"


def test_no_module_imports_a_higher_layer(srcs: dict[str, str]) -> None:
    found = upward(srcs)
    assert not found, "\n".join(found)


def test_action_packages_never_import_one_another(srcs: dict[str, str]) -> None:
    found = between_actions(srcs)
    new = [line for key, line in sorted(found.items()) if key not in KNOWN_ACTION_IMPORTS]
    gone = [f"{m} -> {n}" for m, n in KNOWN_ACTION_IMPORTS if (m, n) not in found]
    assert not new, "move what they share down a layer:\n" + "\n".join(new)
    assert not gone, "no longer there: drop from KNOWN_ACTION_IMPORTS:\n" + "\n".join(gone)


def test_imports_sit_at_the_module_top(srcs: dict[str, str]) -> None:
    found = local_imports(srcs)
    new = [line for key, line in sorted(found.items()) if key not in LOCAL_IMPORTS]
    gone = [f"{m} -> {n}" for m, n in LOCAL_IMPORTS if (m, n) not in found]
    assert not new, "hoist them (/work/notes/tidy/hoist.py) or allow with a reason:\n" + \
        "\n".join(new)
    assert not gone, "no longer there: drop from LOCAL_IMPORTS:\n" + "\n".join(gone)


def test_no_import_cycles(srcs: dict[str, str]) -> None:
    found = cycles(srcs)
    assert not found, "\n".join(" <-> ".join(c) for c in found)
    every = {frozenset(c) for c in cycles(srcs, allowed={})}
    gone = [sorted(c) for c in CYCLES_ALLOWED if c not in every]
    assert not gone, f"no longer there: drop from CYCLES_ALLOWED: {gone}"


def test_every_exception_says_why() -> None:
    reasons = [*KNOWN_ACTION_IMPORTS.items(), *LOCAL_IMPORTS.items(), *CYCLES_ALLOWED.items()]
    for key, reason in reasons:
        assert len(reason) > 20, f"{key}: say why"


# --- the checks see what they are meant to see: synthetic modules


def _with(extra: dict[str, str]) -> dict[str, str]:
    base = {"stackctl.errors": "", "stackctl.runtime.fake": "",
            "stackctl.context.fake": "", "stackctl.smoke.fake": "",
            "stackctl.drill.fake": "", "stackctl.cli.fake": "", "stackctl.engine.fake": ""}
    return {**base, **extra}


def test_the_check_sees_an_upward_import() -> None:
    fine = _with({"stackctl.context.fake": "from stackctl.runtime.fake import Compose\n"})
    assert upward(fine) == []
    bad = _with({"stackctl.runtime.fake": "from stackctl.context.fake import Ctx\n"})
    assert upward(bad) == ["stackctl.runtime.fake (layer 2) imports "
                           "stackctl.context.fake (layer 4)"]
    hidden = _with({"stackctl.errors": "def f():\n    import stackctl.cli.fake\n"})
    assert upward(hidden) == ["stackctl.errors (layer 1) imports stackctl.cli.fake (layer 8)"]
    typed = _with({"stackctl.runtime.fake": "from typing import TYPE_CHECKING\n"
                   "if TYPE_CHECKING:\n    from stackctl.engine.fake import Engine\n"})
    assert len(upward(typed)) == 1


def test_the_engine_sits_between_the_context_and_the_actions() -> None:
    assert layer("stackctl.context.fake") < layer("stackctl.engine.fake") < layer(
        "stackctl.drill.fake") < layer("stackctl.cli.fake")
    assert upward(_with({"stackctl.engine.fake": "import stackctl.context.fake\n"})) == []
    assert upward(_with({"stackctl.context.fake": "import stackctl.engine.fake\n"}))
    assert upward(_with({"stackctl.swarm.fake": "import stackctl.engine.fake\n"}))


def test_the_check_sees_one_action_import_another() -> None:
    bad = _with({"stackctl.drill.fake": "from stackctl.smoke.fake import setup\n"})
    assert between_actions(bad) == {("stackctl.drill.fake", "stackctl.smoke.fake"):
                                    "stackctl.drill.fake imports stackctl.smoke.fake"}
    assert between_actions(_with({})) == {}


def test_the_check_sees_an_import_inside_a_function() -> None:
    bad = _with({"stackctl.drill.fake": "def go():\n    from stackctl.errors import X\n"})
    assert list(local_imports(bad)) == [("stackctl.drill.fake", "stackctl.errors")]
    typed = _with({"stackctl.drill.fake": "from typing import TYPE_CHECKING\n"
                   "def go():\n    if TYPE_CHECKING:\n        import stackctl.errors\n"})
    assert local_imports(typed) == {}


def test_the_check_sees_a_cycle() -> None:
    bad = _with({"stackctl.smoke.fake": "import stackctl.drill.fake\n",
                 "stackctl.drill.fake": "def f():\n    import stackctl.smoke.fake\n"})
    assert cycles(bad) == [["stackctl.drill.fake", "stackctl.smoke.fake"]]
    assert cycles(_with({"stackctl.smoke.fake": "import stackctl.drill.fake\n"})) == []


def test_an_unplaced_package_fails() -> None:
    assert unplaced(_with({"stackctl.newthing.x": ""})) == ["stackctl.newthing.x"]
