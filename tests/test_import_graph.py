"""The import graph of archcalc, its TUI and its compiler: no cycle, and a core kept light.

Every import statement in every .py file under archcalc/, tui/, reference/ and specs/ is
read with `ast`: at module level, inside functions and methods, and under
`if TYPE_CHECKING:`. Type-only imports count: they still say that one module needs another,
and moving one out of its guard must not be what turns a cycle real (no file uses the guard
today). An import made from a string (`importlib.import_module`, `__import__`) cannot be
read, so any such call fails the test rather than hide an edge — with one exception that
cannot hide one: a package __init__ that imports every module of its own folder
(`pkgutil.iter_modules(__path__)`, as archcalc/layers/ registers its kinds) is given an
edge to each of them.

Modules carry their installed names: pyproject's package-dir maps tui/, reference/ and
specs/ to archcalc.tui, archcalc.reference and archcalc.specs.

Edges. `import a.b.c` and `from a.b import c` depend on the module named (`a.b.c` when c
is a submodule, else `a.b`). Importing a.b.c also runs a/__init__ and a/b/__init__, so each
package on the way is an edge too, except the importer's own packages: a package's
__init__ importing (re-exporting) its submodules is how a package is built, not a cycle
with them, and a submodule importing a sibling finds its own package already in
sys.modules. So graph/expand.py importing archcalc.spec.model depends on archcalc.spec
(its __init__ runs spec/parser.py) but not on archcalc or archcalc.graph.

Two graphs must be acyclic: modules, and packages (a module's first two name parts:
archcalc.spec, archcalc.graph, …, archcalc.errors, archcalc.cli, archcalc.tui,
archcalc.reference). The core (spec, graph, layers, analysis, render, errors, suggest, formula, notation, num, heap and
the root __init__) imports only the standard library, the required dependencies and
itself: never torch, textual, numpy, the TUI, the compiler or the CLI, not even lazily.

Why not grimp (import-linter's engine): it finds a package's modules by walking its folder,
so it misses tui/ and reference/, installed under archcalc through package-dir, and it
has no edge for the __init__ that an import runs; both matter here.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Module-name prefix -> folder; the test below keeps it equal to pyproject's package-dir.
FOLDERS = {"archcalc": "archcalc", "archcalc.tui": "tui", "archcalc.reference": "reference",
           "archcalc.specs": "specs"}
CORE = {"archcalc", "archcalc.spec", "archcalc.graph", "archcalc.layers", "archcalc.analysis",
        "archcalc.render", "archcalc.errors", "archcalc.suggest", "archcalc.formula",
        "archcalc.notation", "archcalc.num", "archcalc.heap"}
# pyproject's [project.dependencies], by import name: what the core may import from outside.
REQUIRED = {"sympy": "sympy", "rich": "rich", "pyyaml": "yaml", "click": "click"}
# Known cycles, each skipped only while it is exactly this set of modules; once one is gone
# the test fails until its entry is deleted, so the list cannot outlive the cycles.
ALLOWED_CYCLES: set[frozenset[str]] = set()


def scan(folders: dict[str, Path]):
    """(modules: name -> (path, is_package, raw imports), dynamic-import call sites)."""
    modules, dynamic = {}, []
    for prefix, folder in folders.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            package = parts[-1] == "__init__"
            name = ".".join((prefix, *(parts[:-1] if package else parts)))
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            raw = []  # (base module, imported name or None, line)
            discovers = package and _imports_its_folder(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    raw += [(a.name, None, node.lineno) for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:  # relative: from the importer's own package upwards
                        up = name if package else name.rpartition(".")[0]
                        for _ in range(node.level - 1):
                            up = up.rpartition(".")[0]
                        base = f"{up}.{base}" if base else up
                    raw += [(base, a.name, node.lineno) for a in node.names]
                elif isinstance(node, ast.Call) and (
                        getattr(node.func, "id", None) == "__import__"
                        or getattr(node.func, "attr", None) == "import_module"):
                    if not discovers:
                        dynamic.append(_where(path, node.lineno))
            if discovers:
                raw += [(name, sub.stem, 1) for sub in sorted(path.parent.glob("*.py"))
                        if sub.stem != "__init__"]
            modules[name] = (path, package, raw)
    return modules, dynamic


def _imports_its_folder(tree: ast.Module) -> bool:
    """Does this __init__ import its folder's modules by `pkgutil.iter_modules(__path__)`?"""
    return any(isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "iter_modules"
               and len(n.args) == 1 and getattr(n.args[0], "id", None) == "__path__"
               for n in ast.walk(tree))


def module_graph(modules) -> tuple[dict[str, dict[str, str]], dict[str, list[tuple[str, str]]]]:
    """(project edges: module -> {module: 'file:line'}, outside imports: module -> [(top
    name, 'file:line')])."""
    edges = {m: {} for m in modules}
    outside = {m: [] for m in modules}
    for m, (path, package, raw) in modules.items():
        own = _packages_above(m) | ({m} if package else set())
        for base, name, line in raw:
            where = _where(path, line)
            target = f"{base}.{name}" if name and f"{base}.{name}" in modules else base
            while target not in modules and "." in target:  # `import a.b.attr`-like names
                target = target.rpartition(".")[0]
            if target not in modules:
                outside[m].append((base.split(".")[0], where))
                continue
            # The module named, whatever it is, and the packages whose __init__ it runs.
            for t in {target} | (_packages_above(target) & modules.keys()) - own:
                if t != m:
                    edges[m].setdefault(t, where)
    return edges, outside


def _packages_above(module: str) -> set[str]:
    return {module.rsplit(".", k)[0] for k in range(1, module.count(".") + 1)}


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def package_graph(edges) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for m, targets in edges.items():
        out.setdefault(package_of(m), {})
        for t, where in targets.items():
            if package_of(t) != package_of(m):
                out[package_of(m)].setdefault(package_of(t), where)
    return out


def find_cycles(graph) -> list[tuple[frozenset, list[str]]]:
    """Each strongly connected component with a cycle: (its nodes, its shortest cycle
    through its least-named node, a path that ends where it starts). Tarjan's algorithm."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append((frozenset(component), _shortest_cycle(graph, component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _shortest_cycle(graph, component) -> list[str]:
    start = min(component)
    came_from, queue = {}, deque([start])
    while queue:  # breadth first inside the component, back to the start
        v = queue.popleft()
        for w in sorted(graph.get(v, ())):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if w in component and w not in came_from:
                came_from[w] = v
                queue.append(w)
    raise AssertionError("a strongly connected component without a cycle")


def describe(cycle: list[str], graph) -> str:
    return "\n".join(f"  {a} -> {b}   ({graph[a][b]})" for a, b in pairwise(cycle))


class Project:
    """The scanned project; a short repr keeps a failure's report to the message."""

    def __init__(self):
        self.modules, self.dynamic = scan({p: ROOT / d for p, d in FOLDERS.items()})
        self.edges, self.outside = module_graph(self.modules)

    def __repr__(self) -> str:
        return f"<import graph of {len(self.modules)} modules>"


@pytest.fixture(scope="module")
def project():
    return Project()


def test_folders_match_pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert {"archcalc": "archcalc", **config["tool"]["setuptools"]["package-dir"]} == FOLDERS
    deps = {d.split(">")[0].split("=")[0].split("[")[0].strip().lower()
            for d in config["project"]["dependencies"]}
    assert deps == REQUIRED.keys()


def test_scan_sees_the_whole_project(project):
    assert {"archcalc.cli", "archcalc.cli.check", "archcalc.spec.parser", "archcalc.tui.app",
            "archcalc.reference.train", "archcalc.specs"} <= project.modules.keys()
    # The faces' lazy imports are seen: the CLI reaches the TUI from inside a function.
    assert "archcalc.tui" in project.edges["archcalc.cli.explore"]


def test_no_import_is_made_from_a_string(project):
    assert project.dynamic == [], "imports the scan cannot read:\n" + "\n".join(project.dynamic)


def test_no_module_cycle(project):
    edges = project.edges
    cycles = find_cycles(edges)
    bad = [c for nodes, c in cycles if nodes not in ALLOWED_CYCLES]
    assert not bad, "import cycles between modules:\n" + "\n\n".join(
        describe(c, edges) for c in bad)
    stale = ALLOWED_CYCLES - {nodes for nodes, _ in cycles}
    assert not stale, f"allow-listed cycles that no longer exist; delete them: {stale}"


def test_no_package_cycle(project):
    packages = package_graph(project.edges)
    cycles = [c for _, c in find_cycles(packages)]
    assert not cycles, "import cycles between packages:\n" + "\n\n".join(
        describe(c, packages) for c in cycles)


def test_the_core_imports_only_the_core_stdlib_and_required_packages(project):
    edges, outside = project.edges, project.outside
    allowed = set(sys.stdlib_module_names) | set(REQUIRED.values())
    bad = []
    for m in edges:
        if package_of(m) not in CORE:
            continue
        bad += [f"{where}: {m} imports {t}" for t, where in edges[m].items()
                if package_of(t) not in CORE]
        bad += [f"{where}: {m} imports {top}" for top, where in outside[m]
                if top not in allowed]
    assert not bad, "the core reaches outside itself:\n" + "\n".join(sorted(bad))


# -- the checker checks: synthetic graphs and trees ---------------------------------------
def test_find_cycles_reports_a_cycle_and_only_a_cycle():
    graph = {"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}, "d": {"a": ""}, "e": {"e": ""}}
    assert sorted(find_cycles(graph), key=lambda x: len(x[0])) == [
        (frozenset("e"), ["e", "e"]), (frozenset("abc"), ["a", "b", "c", "a"])]
    assert find_cycles({"a": {"b": ""}, "b": {"c": ""}, "d": {"c": ""}}) == []


def _tree(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return {"pkg": root / "pkg"}


def test_function_level_and_type_checking_imports_make_edges(tmp_path):
    modules, dynamic = scan(_tree(tmp_path, {
        "pkg/__init__.py": "from .x import f\n",
        "pkg/x.py": "def f():\n    from .y import g\n",
        "pkg/y.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import x\n",
        "pkg/z.py": "import importlib\nm = importlib.import_module('pkg.x')\n"}))
    edges, outside = module_graph(modules)
    assert edges["pkg"] == {"pkg.x": f"{tmp_path}/pkg/__init__.py:1"}  # not a cycle with pkg
    assert set(edges["pkg.x"]) == {"pkg.y"} and set(edges["pkg.y"]) == {"pkg.x"}
    assert [c for _, c in find_cycles(edges)] == [["pkg.x", "pkg.y", "pkg.x"]]
    assert outside["pkg.y"] == [("typing", f"{tmp_path}/pkg/y.py:1")]
    assert dynamic == [f"{tmp_path}/pkg/z.py:2"]


def test_importing_a_submodule_runs_its_packages(tmp_path):
    modules, _ = scan(_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a/__init__.py": "from .m import M\n",
        "pkg/a/m.py": "M = 1\n",
        "pkg/a/user.py": "def f():\n    import pkg.b.n\n",
        "pkg/b/__init__.py": "from .other import O\n",
        "pkg/b/n.py": "from .. import a\n",
        "pkg/b/other.py": "from ..a.user import f\n"}))
    edges, _ = module_graph(modules)
    assert set(edges["pkg.a.user"]) == {"pkg.b.n", "pkg.b"}  # pkg.b's __init__ runs
    assert set(edges["pkg.b.n"]) == {"pkg.a"}
    assert set(edges["pkg.b.other"]) == {"pkg.a.user", "pkg.a"}
    # pkg.a.user -> pkg.b -> pkg.b.other -> pkg.a.user: only through pkg.b's __init__.
    assert [c for _, c in find_cycles(edges)] == [
        ["pkg.a.user", "pkg.b", "pkg.b.other", "pkg.a.user"]]
    assert [c for _, c in find_cycles(package_graph(edges))] == [["pkg.a", "pkg.b", "pkg.a"]]
