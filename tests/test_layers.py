"""The package's architecture, checked: imports point down the layers, and never in a cycle.

    process → server → net / wsgi / static / observe → http → errors / settings / version

Every import counts, also one inside a function or under TYPE_CHECKING. The
package's own `__init__` is the public façade (it may reach any layer, and
nothing inside imports it).
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "wsgiserver"

# Layer of each module or subpackage, lowest first; a module may import only
# its own layer's modules and lower layers, and in the middle layer only its own
# subpackage (net, wsgi, static and observe never import one another).
LAYERS = {
    "errors": 0, "version": 0, "settings": 0,
    "http": 1,
    "net": 2, "wsgi": 2, "static": 2, "observe": 2,
    "server": 3, "appload": 3,
    "process": 4,
    "cli": 5, "ctl": 5, "pastedeploy": 5, "testing": 5, "__main__": 5, "__init__": 5,
}
SIBLINGS_APART = 2  # the layer whose parts must not import one another


def modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imported(name: str, path: pathlib.Path) -> set[str]:
    """The package's modules that `name` imports (relative to the package)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    known = modules()
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = _base(node, package)
            if base is None:
                continue
            for alias in node.names:
                # `from X import Y`: Y is a module of X, or a name defined in X.
                submodule = ".".join([*base, alias.name])
                targets.add(submodule if submodule in known else ".".join(base) or "__init__")
        elif isinstance(node, ast.Import):
            targets.update(alias.name.removeprefix("wsgiserver.") for alias in node.names
                           if alias.name.startswith("wsgiserver."))
    return {target for target in targets if target in known and target != name}


def _base(node: ast.ImportFrom, package: list[str]):
    if node.level == 0:
        if not (node.module or "").startswith("wsgiserver"):
            return None
        return (node.module or "").split(".")[1:]
    base = package[:len(package) - (node.level - 1)] if node.level > 1 else list(package)
    return base + (node.module.split(".") if node.module else [])


def layer_of(name: str) -> int:
    return LAYERS[name.split(".")[0]]


GRAPH = {name: imported(name, path) for name, path in modules().items()}


def test_every_module_has_a_layer():
    assert not [name for name in GRAPH if name.split(".")[0] not in LAYERS]


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_imports_point_down(name):
    upward = [target for target in GRAPH[name] if layer_of(target) > layer_of(name)]
    assert not upward, f"{name} imports from a higher layer: {upward}"
    if layer_of(name) == SIBLINGS_APART:
        across = [t for t in GRAPH[name]
                  if layer_of(t) == SIBLINGS_APART and t.split(".")[0] != name.split(".")[0]]
        assert not across, f"{name} imports a sibling subpackage: {across}"


def test_nothing_imports_the_facade():
    assert not [name for name, targets in GRAPH.items() if "__init__" in targets]


def test_there_are_no_import_cycles():
    cycles = []

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycles.append(path[path.index(name):] + [name])
            return
        for target in sorted(GRAPH[name]):
            if target not in done:
                visit(target, [*path, name])
        done.add(name)

    done: set[str] = set()
    for name in sorted(GRAPH):
        visit(name, [])
    assert not cycles, f"import cycles: {cycles}"


def test_the_http_core_knows_nothing_of_threads_or_sockets():
    for name, path in modules().items():
        if name.startswith("http"):
            source = path.read_text(encoding="utf-8")
            assert "import threading" not in source and "import socket" not in source, name


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_modules_and_functions_stay_small(name):
    path = modules()[name]
    source = path.read_text(encoding="utf-8")
    assert source.count("\n") <= 500, f"{name} has over 500 lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 60, f"{name}.{node.name} has {length} lines"
