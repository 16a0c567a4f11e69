"""docs/traceability.md maps every clause of POLICIES.md to its preset, decision and tests;
this keeps the map true."""

from __future__ import annotations

import re

import pytest

from domain.policy import load_presets
from tests.paths import ROOT

POLICIES_MD = ROOT.parent / "shared" / "POLICIES.md"
CLAUSE = re.compile(r"\b(?:[A-Z]{3}-[A-Z]{3}-\d+|LIF-\d+)\b")


def table() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in (ROOT / "docs" / "traceability.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and CLAUSE.fullmatch(cells[0]):
            rows[cells[0]] = cells[1:]
    return rows


def defined_tests() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.update(re.findall(r"^\s*(?:async )?def (test_\w+)", path.read_text(), flags=re.M))
    return names


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
    for clause, (_, _, tests, status) in table().items():
        named = [t.strip() for t in tests.split(",") if t.strip()]
        assert named, f"{clause} names no test"
        assert not set(named) - existing, f"{clause} names missing tests: {set(named) - existing}"
        assert status == "honoured", f"{clause} is {status}"


def test_every_merchant_clause_is_encoded_in_the_preset_it_names() -> None:
    presets = load_presets()
    for clause, (field, _, _, _) in table().items():
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
