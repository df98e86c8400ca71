"""The package's layout: every module imports, no import cycle, each package imports only
the layers below it, no module over 600 lines, no function of 50 lines or more, no private
name imported across modules, every package says what it is for.

The layers, bottom to top, are in ``LAYERS`` (docs/architecture.md explains them).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import harness

ROOT = Path(harness.__file__).parent

#: Each package's layer: a package may import packages of lower layers only.
LAYERS: dict[str, int] = {
    "support": 0, "vocabulary": 0, "data": 0,
    "verdicts": 1, "storage": 1,
    "spec": 2,
    "sim": 3,
    "devices": 4,
    "stores": 5,
    "attempt": 6,
    "analysis": 7,
    "runs": 8,
    "cli": 9, "pytest_plugin": 9,
}
#: Modules run by a tool, not imported: Alembic's environment and revisions.
MIGRATIONS = "harness.storage.migrations.versions."
NOT_IMPORTABLE = ("harness.storage.migrations.env", MIGRATIONS)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports_of(name: str, path: Path) -> set[str]:
    """Every harness module ``name`` imports, anywhere in the file (functions and
    ``TYPE_CHECKING`` blocks included); ``from pkg import mod`` counts as ``pkg.mod``."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            submodules = {f"{target}.{a.name}" for a in node.names
                          if f"{target}.{a.name}" in MODULES}
            out |= submodules
            if len(submodules) < len(node.names):
                out.add(target)
    return {m for m in out if m in MODULES and m != name}


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


@pytest.mark.parametrize("name", [m for m in MODULES if not m.startswith(NOT_IMPORTABLE)])
def test_every_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_no_import_cycle() -> None:
    """Tarjan's strongly connected components over the static import graph: any
    component with more than one module is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


def test_a_package_imports_only_lower_layers() -> None:
    wrong = []
    for name, deps in GRAPH.items():
        parts = name.split(".")
        if len(parts) < 2:
            continue
        for dep in deps:
            dparts = dep.split(".")
            if len(dparts) < 2 or dparts[1] == parts[1]:
                continue
            if LAYERS[dparts[1]] >= LAYERS[parts[1]]:
                wrong.append(f"{name} -> {dep}")
    assert wrong == []


def test_every_package_has_a_layer() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages == set(LAYERS)
    assert not [p.name for p in ROOT.glob("*.py") if p.name != "__init__.py"], \
        "modules belong in a package of their layer"


def test_no_module_over_600_lines() -> None:
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text("utf-8").splitlines())) > 600}
    assert long == {}


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_a_package_says_what_it_is_for_and_exports_sorted_names(package: str) -> None:
    module = importlib.import_module(f"harness.{package}")
    if package == "data":
        return  # package data only: CSV and YAML files
    assert module.__doc__ and len(module.__doc__.strip()) > 40
    names = list(module.__all__)
    key = sorted(names, key=lambda n: (not n.isupper(), n))
    assert names == key or names == sorted(names)
    for name in names:
        assert getattr(module, name) is not None


def test_no_function_of_50_lines_or_more() -> None:
    """Long work is cut into named parts (from the ``def`` line to the last, inclusive)."""
    long = []
    for name, path in MODULES.items():
        if name.startswith(MIGRATIONS):
            continue  # a revision is a frozen record of one schema change
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length >= 50:
                    long.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def test_no_private_name_is_imported_from_another_module() -> None:
    taken = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("harness"):
                taken += [f"{name}: {a.name} from {node.module}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert taken == []
