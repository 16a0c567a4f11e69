from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.integration.harness import System, running_system


@pytest.fixture(scope="session")
async def system(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    dev_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
) -> AsyncIterator[System]:
    folder: Path = tmp_path_factory.mktemp("system")
    async with running_system(folder, database_url, dev_env.client, pool) as running:
        yield running
