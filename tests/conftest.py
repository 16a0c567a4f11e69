"""Session-wide real parts: PostgreSQL, the Temporal test server and the Temporal dev server."""

from __future__ import annotations

import faulthandler
import functools
import os
import sys
import sysconfig
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from domain.calendar import Calendar
from domain.policy import load_presets
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


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of the test's own: timers and windows pass in milliseconds.
    The test server can stop skipping time for good after some ends of a child workflow
    (temporalio/sdk-java#1540), so no test shares one; a server starts in about 0.1 s."""
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
    now = await env.get_current_time()
    await env.sleep(quiet_monday(now) - now)
    yield env
    await env.shutdown()


def quiet_monday(now: datetime) -> datetime:
    """Where every test server's clock starts: the first Monday, 08:00 UTC, more than a day
    ahead whose fortnight holds none of the merchants' public holidays. A test then starts at
    the same weekday and hour wherever and whenever the suite runs."""
    calendars = _merchant_calendars()
    day = now.date() + timedelta(days=2)
    while day.weekday() != 0 or any(
        cal.is_holiday(day + timedelta(days=n)) for cal in calendars for n in range(14)
    ):
        day += timedelta(days=1)
    return datetime.combine(day, time(8), tzinfo=UTC)


@functools.cache
def _merchant_calendars() -> list[Calendar]:
    return [Calendar(p.calendar, p.zone) for p in load_presets().values()]


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


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: object) -> bool:
    """A test past its timeout (pyproject's `timeout`) ends the run with every thread's
    stack and, on the last line, the test's name, where a CI log's tail shows it."""
    timer = threading.Timer(settings.timeout, _timed_out, (item, settings.timeout))  # type: ignore[attr-defined]
    timer.daemon = True

    def cancel() -> None:
        timer.cancel()
        timer.join()

    item.cancel_timeout = cancel  # type: ignore[attr-defined]
    timer.start()
    return True


def _timed_out(item: pytest.Item, seconds: float) -> None:
    capture = item.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend_global_capture(item)
    sys.stderr.write("\n+++ Timeout: every thread's stack +++\n")
    sys.stderr.flush()
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    sys.stderr.write(f"\n+++ Timeout: {item.nodeid} ran past {seconds:g} s +++\n")
    sys.stderr.flush()
    os._exit(1)


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
