"""The code as an attacker's tools read it: bandit finds nothing of high severity in what
runs in production (the tests, the benchmarks and the chaos run are not shipped)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import ROOT


def test_bandit_finds_no_high_severity_issue() -> None:
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-r",
            *("domain", "workflows", "activities", "adapters", "store", "starter"),
            *("runtime", "cli", "sandbox", "worker.py"),
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(ran.stdout)
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it did read the code
    high = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] == "HIGH"
    ]
    assert not high, high
