from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

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


@pytest.fixture
def system_with(
    tmp_path: Path, database_url: str, dev_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> Callable[..., AbstractAsyncContextManager[System]]:
    """A whole system of the test's own, on settings changed by the keywords given."""

    def start(**overrides: Any) -> AbstractAsyncContextManager[System]:
        return running_system(tmp_path, database_url, dev_env.client, pool, **overrides)

    return start
