"""docs/traceability.md maps every clause of POLICIES.md to its preset, decision, the place it is
live and its tests, or says it is open; this keeps the map true: a live row's decisions are
imported from their module and called by a workflow or an endpoint (read from the syntax tree),
and one of its workflow or whole-stack tests names the clause it proves."""

from __future__ import annotations

import ast
import re

import pytest

from domain.policy import load_presets
from tests.paths import ROOT

POLICIES_MD = ROOT.parent / "shared" / "POLICIES.md"
CLAUSE = re.compile(r"\b(?:[A-Z]{3}-[A-Z]{3}-\d+|LIF-\d+)\b")


LIVE_CODE = ("workflows", "starter")
STACK_TESTS = ("tests/workflows", "tests/integration", "tests/security")


def table() -> dict[str, list[str]]:
    """clause -> [preset field, decision, live, tests, status]"""
    rows: dict[str, list[str]] = {}
    for line in (ROOT / "docs" / "traceability.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and CLAUSE.fullmatch(cells[0]):
            rows[cells[0]] = cells[1:]
    return rows


def folder_of_each_test() -> dict[str, str]:
    """test name -> the folder of its file, relative to the project"""
    found: dict[str, str] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        for name in re.findall(r"^\s*(?:async )?def (test_\w+)", path.read_text(), flags=re.M):
            found[name] = str(path.parent.relative_to(ROOT))
    return found


def defined_tests() -> set[str]:
    return set(folder_of_each_test())


def decisions_called_live() -> set[tuple[str, str]]:
    """(module, function) of each decision of `domain/decisions/` that live code imports
    from its module and calls, read from the code's syntax tree, not its text."""
    found: set[tuple[str, str]] = set()
    for folder in LIVE_CODE:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            imported: dict[str, tuple[str, str]] = {}  # local name -> (module, function)
            modules: dict[str, str] = {}  # local name -> decision module
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    if node.module.startswith("domain.decisions."):
                        tail = node.module.removeprefix("domain.decisions.")
                        for alias in node.names:
                            imported[alias.asname or alias.name] = (tail, alias.name)
                    elif node.module == "domain.decisions":
                        for alias in node.names:
                            modules[alias.asname or alias.name] = alias.name
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                callee = node.func
                if isinstance(callee, ast.Name) and callee.id in imported:
                    found.add(imported[callee.id])
                elif (
                    isinstance(callee, ast.Attribute)
                    and isinstance(callee.value, ast.Name)
                    and callee.value.id in modules
                ):
                    found.add((modules[callee.value.id], callee.attr))
    return found


def sources_of_tests() -> dict[str, str]:
    """test name -> its source (docstring and body)"""
    found: dict[str, str] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                found[node.name] = ast.get_source_segment(text, node) or ""
    return found


@pytest.mark.skipif(
    not POLICIES_MD.exists(), reason="../shared/POLICIES.md is not beside this clone"
)
def test_every_clause_of_the_policies_is_traced() -> None:
    clauses = set(CLAUSE.findall(POLICIES_MD.read_text()))
    assert len(clauses) >= 75
    missing = clauses - set(table())
    assert not missing, f"clauses missing from docs/traceability.md: {sorted(missing)}"


def test_every_traced_clause_names_tests_that_exist() -> None:
    existing = defined_tests()
    for clause, (_, _, _, tests, status) in table().items():
        named = [t.strip() for t in tests.split(",") if t.strip()]
        assert named, f"{clause} names no test"
        assert not set(named) - existing, f"{clause} names missing tests: {set(named) - existing}"
        assert status in ("live", "open"), f"{clause} is {status!r}, neither live nor open"


def test_a_live_clause_is_called_by_the_running_system_and_proven_there() -> None:
    """A live clause's decisions are called from a workflow or an endpoint, and one of its tests
    runs a workflow or the whole stack; an open one says why. Prints the counts."""
    folders, called, sources = folder_of_each_test(), decisions_called_live(), sources_of_tests()
    counts = {"live": 0, "open": 0}
    for clause, (_, decision, live, tests, status) in table().items():
        counts[status] += 1
        if status == "open":
            assert live.startswith("open:"), f"{clause} is open and does not say why"
            continue
        assert live and not live.startswith("open"), f"{clause} is live and names no place"
        for module, name in re.findall(r"`(\w+)\.(\w+)`", decision):
            assert (module, name) in called, (
                f"{clause}: domain.decisions.{module}.{name} is imported and called by nothing live"
            )
        named = [t.strip() for t in tests.split(",") if t.strip()]
        proving = [t for t in named if folders[t].startswith(STACK_TESTS) and clause in sources[t]]
        assert proving, f"{clause} is live but no workflow or whole-stack test it names proves it"
    print(f"\ntraceability: {counts['live']} clauses live, {counts['open']} open")
    assert counts["live"] > 0


def test_every_merchant_clause_is_encoded_in_the_preset_it_names() -> None:
    presets = load_presets()
    for clause, (field, _, _, _, _) in table().items():
        if clause.startswith("LIF-"):
            continue
        merchant = field.strip("`").split(":")[0]
        assert clause in presets[merchant].clause_ids(), f"{clause} is not in {merchant}.toml"


def test_the_table_has_one_row_per_clause() -> None:
    text = (ROOT / "docs" / "traceability.md").read_text()
    ids = re.findall(r"^\| ((?:[A-Z]{3}-[A-Z]{3}-\d+|LIF-\d+)) \|", text, flags=re.M)
    assert len(ids) == len(set(ids)) and len(ids) >= 75


def test_test_names_are_unique_so_the_map_is_unambiguous() -> None:
    names: list[str] = []
    for path in (ROOT / "tests").rglob("test_*.py"):
        names += re.findall(r"^\s*(?:async )?def (test_\w+)", path.read_text(), flags=re.M)
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated, f"test names used twice: {sorted(duplicated)}"


def test_a_name_that_is_only_defined_live_is_not_a_call_of_the_decision() -> None:
    """The gate reads calls, not text: `starter/subscriptions.py` defines an endpoint named
    `cancel_subscription`, and `workflows/aftercare.py` a `return_window` of its own, yet
    neither calls the decisions of those names; the ones live code does call are found."""
    called = decisions_called_live()
    assert ("aftercare", "cancel_subscription") not in called
    assert ("returns", "return_window") not in called
    assert ("subscriptions", "subscription_cancellation") in called
    assert ("returns", "return_eligibility") in called
