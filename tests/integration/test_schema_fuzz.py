"""The OpenAPI document holds for whatever a caller sends: schemathesis generates requests
(valid and invalid) for every operation and checks each answer against the document: no
server error, only documented statuses, content types, headers and bodies."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

from tests.integration.harness import OPERATOR_KEY, STOREFRONT_KEY, System

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)


async def schemathesis(system: System, folder: Path, key: str, *selection: str) -> str:
    """One schemathesis run over the running API; its exit code and report."""
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{system.settings.public_base_url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        "6",
        "--seed",
        "20261123",
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {key}",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "ndjson",
        "--report-dir",
        str(folder),
        *selection,
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    text = out.decode()
    assert process.returncode == 0, text[-6000:]
    return text


def exercised(report: str) -> int:
    """How many operations the run tested, from schemathesis's summary."""
    found = re.search(r"Tested:\s+(\d+)", report)
    return int(found.group(1)) if found else 0


async def test_every_operation_answers_as_documented_to_an_operator(
    system: System, tmp_path: Path
) -> None:
    report = await schemathesis(system, tmp_path, OPERATOR_KEY)
    spec = json.loads((await system.api.get("/openapi.json")).text)
    operations = sum(len(item) for item in spec["paths"].values())
    assert operations >= 40 and exercised(report) >= operations - 2, report[-3000:]


async def test_placing_answers_as_documented_to_the_storefront(
    system: System, tmp_path: Path
) -> None:
    await schemathesis(
        system,
        tmp_path,
        STOREFRONT_KEY,
        "--include-method",
        "POST",
        "--include-path-regex",
        "^/v1/(orders|subscriptions)$",
    )
