"""The package imports one way: no two modules import each other, directly or through others.

Found by reading the source (``ast``), not by importing it: an edge is an ``import`` of one of
our modules. At module import level (top-level statements, outside ``if TYPE_CHECKING:``) there
must be no cycle at all: those are the cycles that break or half-initialise a module depending
on which one is imported first. Counting the imports inside functions and the type-only ones too
(the layering, not just what runs), the cycles left are the known ones below, which live in
code other changes own; anything new fails.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import trader_cli

PACKAGE = Path(trader_cli.__file__).resolve().parent

#: Cycles tolerated when lazy and type-only imports count too (see the module docstring).
#: The CLI app imports its command modules to register them, and each command module imports
#: the app's shared options: registration, not layering.
KNOWN_PREFIXES = ("trader_cli.cli.", "trader_cli.sim.")
KNOWN_CYCLES: set[frozenset[str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return "TYPE_CHECKING" in ast.unparse(test)


def _top_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *[h.body for h in node.handlers]):
                yield from _top_level(block)
        elif isinstance(node, ast.With):
            yield from _top_level(node.body)


def _everywhere(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def import_graph(*, lazy_and_typing: bool) -> dict[str, set[str]]:
    """Module → the modules of ours it imports (``from pkg import mod`` names ``pkg.mod``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imports = _everywhere(tree) if lazy_and_typing else _top_level(tree.body)
        for node in imports:
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(frozenset(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _known(group: frozenset[str]) -> bool:
    return group in KNOWN_CYCLES or any(all(m.startswith(p) for m in group)
                                        for p in KNOWN_PREFIXES)


def test_no_import_cycles_at_module_import_level() -> None:
    assert cycles(import_graph(lazy_and_typing=False)) == []


def test_no_new_cycles_counting_lazy_and_type_only_imports() -> None:
    found = cycles(import_graph(lazy_and_typing=True))
    assert [sorted(g) for g in found if not _known(g)] == []


def test_the_finder_sees_a_cycle_through_a_third_module(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [frozenset({"a", "b", "c"})]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_health_and_redaction_name_nothing_of_config_and_preview_not_place() -> None:
    graph = import_graph(lazy_and_typing=True)
    assert "trader_cli.config" not in graph["trader_cli.services.health"]
    assert "trader_cli.config" not in graph["trader_cli.redaction"]
    assert "trader_cli.services.place" not in graph["trader_cli.services.preview"]
