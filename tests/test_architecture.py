"""The shape of the code, as docs/architecture.md draws it: one package per context in
`workflows/` with the same files, every handler on its workflow class, no import cycle
between modules or packages, each layer importing only what it may, modules a reader can
take in one sitting and functions that fit on a screen."""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import ROOT

PACKAGES = ("domain", "workflows", "activities", "adapters", "store", "starter", "cli", "runtime")
CONTEXTS = ("order", "payment", "fulfilment", "digital", "returns", "claims", "subscriptions")
MODULE_LINES = 300  # in workflows/, starter/, activities/, domain/, store/
FUNCTION_LINES = 60  # anywhere but the tests


def _modules() -> dict[str, Path]:
    found = {"worker": ROOT / "worker.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project's modules this one imports, anywhere in it (TYPE_CHECKING included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            named.add(base)
            named.update(f"{base}.{alias.name}" for alias in node.names)
    found = set()
    for target in named:
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return cycles


def _package(name: str) -> str:
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0] or name


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(GRAPH) == []


def test_no_package_imports_itself_through_others() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for name, targets in GRAPH.items():
        for target in targets:
            a, b = _package(name), _package(target)
            if a != b and not b.startswith(f"{a}.") and not a.startswith(f"{b}."):
                packages[a].add(b)
    assert _cycles(packages) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    "layer, allowed",
    [
        ("domain", {"domain"}),
        ("adapters", {"adapters", "domain"}),
        ("workflows", {"workflows", "domain", "activities"}),
    ],
)
def test_each_layer_imports_only_what_it_may(layer: str, allowed: set[str]) -> None:
    wrong = {
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name.split(".")[0] == layer
        for target in targets
        if target.split(".")[0] not in allowed
    }
    assert not wrong


def test_workflows_reach_activities_only_through_their_stubs_and_models() -> None:
    """A workflow calls an activity by its method and passes its models; it never runs an
    adapter, the store or the mail renderer itself."""
    used = {
        target
        for name, targets in GRAPH.items()
        if name.startswith("workflows.")
        for target in targets
        if target.startswith("activities")
    }
    assert used and used <= {
        "activities.carriers",
        "activities.cards",
        "activities.mail",
        "activities.models",
        "activities.payments",
        "activities.store",
    }


@pytest.mark.parametrize("context", CONTEXTS)
def test_each_context_is_a_package_with_the_same_files(context: str) -> None:
    package = ROOT / "workflows" / context
    assert (package / "__init__.py").exists()
    assert (package / "workflow.py").exists()
    assert (package / "state.py").exists()


def test_the_workflows_folder_holds_only_the_contexts_and_what_they_share() -> None:
    folders = {p.name for p in (ROOT / "workflows").iterdir() if p.is_dir() and p.name[0] != "_"}
    modules = {p.name for p in (ROOT / "workflows").glob("*.py")}
    assert folders == {*CONTEXTS, "shared"}
    assert modules == {"__init__.py", "names.py", "runner.py"}


def test_every_handler_is_declared_on_its_workflow_class() -> None:
    registered = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / "workflows").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and node.attr in {"set_signal_handler", "set_update_handler", "set_query_handler"}
    ]
    assert not registered


def _sources(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_modules_are_short_enough_to_read_in_one_sitting() -> None:
    long = {
        f"{path.relative_to(ROOT)}: {lines}"
        for path in _sources("workflows", "starter", "activities", "domain", "store")
        if (lines := len(path.read_text().splitlines())) > MODULE_LINES
    }
    assert not long


def _own_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """A function's lines without those of the functions defined inside it (a router's
    handlers, each a function judged on its own)."""
    inner = 0
    todo = list(ast.iter_child_nodes(node))
    while todo:
        child = todo.pop()
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            inner += (child.end_lineno or child.lineno) - child.lineno + 1
        else:
            todo.extend(ast.iter_child_nodes(child))
    return (node.end_lineno or node.lineno) - node.lineno + 1 - inner


def test_functions_fit_on_a_screen() -> None:
    long = {
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}"
        for path in [ROOT / "worker.py", *_sources(*PACKAGES, "sandbox", "bench")]
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := _own_lines(node)) > FUNCTION_LINES
    }
    assert not long


def _calls(folder: str, name: str) -> list[str]:
    """Where `name` is defined or set as a keyword argument in `folder`."""
    found = []
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                found.append(f"{path.relative_to(ROOT)}:def")
            if isinstance(node, ast.keyword) and node.arg == name:
                found.append(f"{path.relative_to(ROOT)}:kw")
    return sorted(set(found))


def test_one_recorder_one_refusal_one_deadline_wait() -> None:
    """Every owner's timeline entry, e-mail and task is written by the shared recorder, every
    validator refuses through one function, and every wait with a deadline is one helper's."""
    assert _calls("workflows", "record") == ["workflows/shared/recorder.py:def"]
    assert _calls("workflows", "task_of") == ["workflows/shared/recorder.py:def"]
    assert _calls("workflows", "email") == ["workflows/shared/recorder.py:def"]
    assert _calls("workflows", "refused") == []
    assert _calls("workflows", "timeout") == ["workflows/shared/deadlines.py:kw"]


def test_error_types_come_from_the_registry() -> None:
    """No `ApplicationError` type or non-retryable type is a string literal: each is one of
    `domain.errors.ErrorType`, which the API's problem mapping reads too."""
    literal = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for folder in ("workflows", "activities", "starter")
        for path in (ROOT / folder).rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.keyword)
        and node.arg in {"type", "non_retryable_error_types"}
        and any(
            isinstance(value, ast.Constant) and isinstance(value.value, str)
            for value in (node.value.elts if isinstance(node.value, ast.List) else [node.value])
        )
    ]
    assert not literal


def test_the_app_state_is_read_only_through_the_typed_dependencies() -> None:
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "starter").rglob("*.py")
        if "app.state" in path.read_text()
    )
    assert readers == ["starter/api/deps.py", "starter/app.py"]


def test_the_sandbox_checks_every_workflow_module() -> None:
    """Only `domain/` models, activity stubs and third-party libraries are passed through
    the workflow sandbox: every module of `workflows/` is imported by the sandbox itself,
    so its restrictions (no clock, no randomness, no I/O) hold in all of them."""
    passed = []
    for path in (ROOT / "workflows").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.With) and "imports_passed_through" in ast.unparse(node):
                passed += [
                    f"{path.relative_to(ROOT)}:{inner.lineno}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.ImportFrom)
                    and (inner.module or "").split(".")[0] == "workflows"
                ]
    assert not passed
