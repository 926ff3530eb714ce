"""The packages' import graph: no cycle, and handlers that stay in their lane.

A message travels down (handlers -> services -> repositories -> SQLite, kb, texts) and never
back up; an import loop is the first sign of a call going the wrong way, and the reason a
module cannot be imported on its own. Read from the source with ast (every import, also
those inside functions), so nothing is executed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "kb", "fakebot")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def import_graph() -> dict[str, set[str]]:
    """Each project module and the project modules it imports (anywhere in its body)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets.add(base)
                # `from kb import thai` imports the module kb.thai
                targets.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_cycle_finder_finds_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_handlers_import_no_other_feature_and_not_the_wiring() -> None:
    """A feature reaches another only through services (bot/) or handlers.common (and the
    button actions, handlers.actions); only bot.app, the wiring, imports handlers."""
    shared = {"handlers", "handlers.common", "handlers.actions"}
    graph = import_graph()
    wrong = []
    for module, targets in graph.items():
        if module.startswith("handlers."):
            for target in targets:
                if target == "bot.app" or (target.startswith("handlers") and target not in shared):
                    wrong.append(f"{module} -> {target}")
        elif not module.startswith("handlers") and module != "bot.app":
            wrong += [f"{module} -> {t}" for t in targets if t.split(".")[0] == "handlers"]
    assert wrong == []


def test_the_graph_is_read_from_the_source() -> None:
    graph = import_graph()
    assert "bot.texts" in graph["handlers.common"]
    assert "kb.model" in graph["kb.loader"]
