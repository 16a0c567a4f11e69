"""Session-wide real parts: PostgreSQL, the Temporal test server and the Temporal dev server."""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from runtime.log import configure_logging
from runtime.postgres import LocalPostgres, free_port
from runtime.settings import Settings
from runtime.temporal import data_converter
from store.db import create_pool, migrate
from workflows.names import SEARCH_ATTRIBUTES

# The settings' development keys: what every test client and worker encrypts with.
CONVERTER = data_converter(Settings(_env_file=None))  # type: ignore[call-arg]

SCRIPTS = Path(sysconfig.get_path("scripts"))

configure_logging("WARNING", json=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    with tempfile.TemporaryDirectory(prefix="orderflow-pg-") as folder:
        server = LocalPostgres(Path(folder) / "data", free_port(), durable=False)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def database_url(postgres: LocalPostgres) -> str:
    return postgres.create_database("orderflow_test")


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url)
    await migrate(pool)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server: timers and windows pass in milliseconds."""
    async for env in _time_skipping():
        yield env


@pytest.fixture
async def own_time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of the test's own, for orders with child workflows: the
    test server stops skipping time for good after some ends of a child workflow, so such a
    test must not share its server."""
    async for env in _time_skipping():
        yield env


async def _time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=CONVERTER,
        test_server_existing_path=str(SCRIPTS / "temporal-test-server"),
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in SEARCH_ATTRIBUTES
            },
        )
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server, with orderflow's search attributes, for updates and end to end."""
    env = await WorkflowEnvironment.start_local(
        data_converter=CONVERTER,
        dev_server_existing_path=str(SCRIPTS / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ],
    )
    yield env
    await env.shutdown()


_exit_status = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave before interpreter shutdown, where the Temporal SDK's runtime can abort the
    process after every test has passed (temporalio/sdk-python#300). The status is kept."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
