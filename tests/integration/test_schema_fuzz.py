"""The OpenAPI document holds for whatever a caller sends: schemathesis generates requests
(valid and invalid) for every operation and checks each answer against the document: no
server error, only documented statuses, content types, headers and bodies.

It runs on a system of its own (its own database, its own worker), so every order it finds
has a worker to answer for it and the run does not depend on what other tests left."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from runtime.postgres import LocalPostgres
from store.db import create_pool, migrate
from tests.integration.harness import OPERATOR_KEY, STOREFRONT_KEY, System, running_system

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
        cwd=folder,  # its caches stay with the test, never in the project
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    text = out.decode()
    assert process.returncode == 0, text[-6000:]
    return text


def exercised(report: str) -> int:
    """How many operations the run tested, from schemathesis's summary."""
    found = re.search(r"Tested:\s+(\d+)", report)
    return int(found.group(1)) if found else 0


@pytest.fixture(scope="module")
async def fuzzed(
    tmp_path_factory: pytest.TempPathFactory, postgres: LocalPostgres, dev_env: WorkflowEnvironment
) -> AsyncIterator[System]:
    database_url = postgres.create_database("orderflow_fuzz")
    pool = await create_pool(database_url)
    await migrate(pool)
    folder = tmp_path_factory.mktemp("fuzz")
    try:
        async with running_system(folder, database_url, dev_env.client, pool) as system:
            yield system
    finally:
        await pool.close()


async def test_placing_answers_as_documented_to_the_storefront(  # first: orders to work on
    fuzzed: System, tmp_path: Path
) -> None:
    await schemathesis(
        fuzzed,
        tmp_path,
        STOREFRONT_KEY,
        "--include-method",
        "POST",
        "--include-path-regex",
        "^/v1/(orders|subscriptions)$",
    )


async def test_every_operation_answers_as_documented_to_an_operator(
    fuzzed: System, tmp_path: Path
) -> None:
    report = await schemathesis(fuzzed, tmp_path, OPERATOR_KEY)
    spec = json.loads((await fuzzed.api.get("/openapi.json")).text)
    operations = sum(len(item) for item in spec["paths"].values())
    assert operations >= 40 and exercised(report) >= operations - 2, report[-3000:]
