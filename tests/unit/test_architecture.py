"""The layers of the code, counted with the imports inside functions that import-linter
does not see as such: no loops between packages, and in-function imports only where
they keep start-up fast."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "grym_desktop"
# Imports inside functions are for start-up speed only: the command line loads a command's
# modules when it runs, the host loads an engine (and so torch or CTranslate2) on demand.
LAZY_IMPORTS_ALLOWED = {"cli.py", "host/main.py", "engines/__init__.py"}


def modules() -> list[tuple[str, ast.Module]]:
    return [(str(path.relative_to(PACKAGE)), ast.parse(path.read_text(), str(path)))
            for path in sorted(PACKAGE.rglob("*.py"))]


def part_of(relative: str) -> str:
    """The package a file belongs to: its first folder, or the module's own name."""
    first = relative.split("/")[0]
    return first.removesuffix(".py")


def imported_parts(tree: ast.Module) -> set[str]:
    parts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        parts.update(n.split(".")[1] for n in names
                     if n.startswith("grym_desktop.") and n.count(".") >= 1)
    return parts


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One loop in the graph, as the list of its nodes, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_loop_between_packages_counting_imports_inside_functions():
    graph: dict[str, set[str]] = defaultdict(set)
    for relative, tree in modules():
        own = part_of(relative)
        graph[own].update(p for p in imported_parts(tree) if p != own)
    graph.pop("__main__", None)
    assert find_cycle(graph) is None, f"import loop: {' -> '.join(find_cycle(graph))}"


def test_find_cycle_finds_a_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_project_modules_are_imported_inside_functions_only_for_start_up_speed():
    lazy = []
    for relative, tree in modules():
        if relative in LAZY_IMPORTS_ALLOWED:
            continue
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                        "grym_desktop"):
                    lazy.append(f"{relative}:{node.lineno} {node.module}")
    assert lazy == []
