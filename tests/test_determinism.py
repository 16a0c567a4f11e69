"""Workflow code is deterministic by construction, with or without the SDK's sandbox.

A production worker runs workflow code outside the sandbox (`ORDERFLOW_WORKFLOW_SANDBOX`,
docs/performance.md), and `domain/`, which the workflows call, is passed through it anyway.
What the sandbox would stop at run time is refused here, in the source of every module that
runs inside a workflow: the clock, randomness, I/O and process state, and module state one
run could leave for the next. The workflow tests still run every workflow in the sandbox and
every recorded history replays both ways (tests/workflows/test_replay.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

# Modules whose use in workflow code is a non-deterministic call or I/O.
FORBIDDEN_MODULES = {
    "time",
    "random",
    "secrets",
    "uuid",
    "os",
    "socket",
    "ssl",
    "threading",
    "multiprocessing",
    "subprocess",
    "urllib",
    "http",
    "httpx",
    "asyncpg",
    "smtplib",
    "aiosmtplib",
    "sqlite3",
    "tempfile",
    "shutil",
    "pathlib",
}
# Calls that read the machine's clock (`workflow.now()` is the workflow's own).
CLOCK_CALLS = {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"}
MUTATORS = {"append", "add", "update", "pop", "clear", "setdefault", "extend", "remove"}
MUTATORS |= {"discard", "insert", "popitem"}
# Files in those folders that never run inside a workflow: the worker's runner setup.
OUTSIDE = {"workflows/runner.py"}
# Preset files are read by the API and the CLI at start (`load_presets`); a workflow gets its
# policy in its input and never reads a file.
FILES_READ_AT_START = {"domain/policy/__init__.py", "domain/policy/reference.py"}


def workflow_code() -> list[Path]:
    return sorted(
        path
        for folder in ("workflows", "domain")
        for path in (ROOT / folder).rglob("*.py")
        if str(path.relative_to(ROOT)) not in OUTSIDE
    )


def _mutable_globals(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        value = getattr(node, "value", None)
        mutable = isinstance(value, ast.List | ast.Dict | ast.Set) or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in {"list", "dict", "set", "defaultdict", "Counter", "deque"}
        )
        targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
        if mutable:
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _refusals(source: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """What in one module's source would make a workflow run differ from its replay."""
    forbidden = FORBIDDEN_MODULES - allowed
    tree = ast.parse(source)
    shared = _mutable_globals(tree)
    found = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [
                f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in forbidden
            ]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            if (node.module or "").split(".")[0] in forbidden:
                found.append(f"{where}: from {node.module} import ...")
        elif isinstance(node, ast.Global | ast.Nonlocal):
            found.append(f"{where}: {type(node).__name__.lower()} {', '.join(node.names)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if node.func.attr in CLOCK_CALLS and owner != "workflow":
                found.append(f"{where}: {owner}.{node.func.attr}() reads the machine's clock")
            if node.func.attr in MUTATORS and owner in shared:
                found.append(f"{where}: {owner}.{node.func.attr}() changes module state")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            if ast.unparse(node.value) in shared:
                found.append(f"{where}: {ast.unparse(node)} changes module state")
    return found


@pytest.mark.parametrize(
    "path", workflow_code(), ids=[str(p.relative_to(ROOT)) for p in workflow_code()]
)
def test_workflow_code_is_deterministic(path: Path) -> None:
    at_start = str(path.relative_to(ROOT)) in FILES_READ_AT_START
    assert _refusals(path.read_text(), frozenset({"pathlib"} if at_start else ())) == []


@pytest.mark.parametrize(
    ("source", "refused"),
    [
        ("import time\n", "import time"),
        ("from uuid import uuid4\n", "from uuid import"),
        ("import os.path\n", "import os.path"),
        ("from datetime import datetime\nx = datetime.now()\n", "datetime.now()"),
        ("import datetime\nx = datetime.date.today()\n", "datetime.date.today()"),
        ("SEEN = set()\ndef f(k):\n    SEEN.add(k)\n", "SEEN.add() changes module state"),
        ("CACHE: dict = {}\ndef f(k):\n    CACHE[k] = 1\n", "CACHE[k] changes module state"),
        ("n = 0\ndef f():\n    global n\n    n += 1\n", "global n"),
    ],
)
def test_the_check_refuses_what_the_sandbox_would_stop(source: str, refused: str) -> None:
    found = _refusals(source)
    assert any(refused in line for line in found), found


def test_the_check_takes_the_workflows_own_clock_and_constants() -> None:
    source = (
        "from datetime import timedelta\nfrom temporalio import workflow\n"
        "KINDS = {'a', 'b'}\n"
        "def f():\n    return workflow.now() + timedelta(days=1), 'a' in KINDS\n"
    )
    assert _refusals(source) == []


def test_no_workflow_reads_a_preset_file() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "workflows").rglob("*.py")
        if any(name in path.read_text() for name in ("load_policy", "load_presets", "PRESETS_DIR"))
    ]
    assert readers == []
