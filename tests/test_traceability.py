"""docs/traceability.md maps every clause of POLICIES.md to its preset, decision, the place it is
live and its tests, or says it is open; this keeps the map true."""

from __future__ import annotations

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


def called_in_live_code() -> str:
    return "\n".join(
        path.read_text() for folder in LIVE_CODE for path in (ROOT / folder).rglob("*.py")
    )


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
    folders, code = folder_of_each_test(), called_in_live_code()
    counts = {"live": 0, "open": 0}
    for clause, (_, decision, live, tests, status) in table().items():
        counts[status] += 1
        if status == "open":
            assert live.startswith("open:"), f"{clause} is open and does not say why"
            continue
        assert live and not live.startswith("open"), f"{clause} is live and names no place"
        for name in re.findall(r"`\w+\.(\w+)`", decision):
            assert re.search(rf"\b{name}\(", code), f"{clause}: {name} is called by nothing live"
        named = [t.strip() for t in tests.split(",") if t.strip()]
        assert any(folders[t].startswith(STACK_TESTS) for t in named), (
            f"{clause} is live but no workflow or whole-stack test proves it"
        )
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
