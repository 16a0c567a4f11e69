"""PostgreSQL killed under the API (as a crash or a restart does) and started again: while it
is away every request is answered 503 problem+json with a `Retry-After`, never a 500, and once
it is back the same requests are answered, with nothing that was accepted before lost
(ARCHITECTURE: faults end well; STANDARDS: bad moments get a clear error, never a 500)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from runtime.postgres import LocalPostgres, free_port
from store.db import create_pool, migrate
from tests.integration.harness import STOREFRONT, order_body, running_system, wait_for
from tests.integration.test_api_contract import assert_problem


async def read(api: httpx.AsyncClient, path: str, mine: dict[str, str], into: list[int]) -> None:
    """GETs of the order, one after the other, for two seconds."""
    loop = asyncio.get_running_loop()
    until = loop.time() + 2.0
    while loop.time() < until:
        into.append((await api.get(path, headers=mine)).status_code)


def kill(server: LocalPostgres) -> None:
    """`kill -9` of the server and its backends: no shutdown message reaches any client."""
    assert server.process is not None
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(30)


async def test_the_api_answers_503_while_postgres_is_away_and_the_order_after(
    tmp_path: Path, dev_env: WorkflowEnvironment
) -> None:
    server = LocalPostgres(tmp_path / "pg", free_port(), durable=False)
    server.start()
    try:
        database_url = server.create_database("orderflow_away")
        pool = await create_pool(database_url)
        await migrate(pool)
        async with running_system(
            tmp_path, database_url, dev_env.client, pool, with_worker=False
        ) as system:
            placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["order_id"]
            mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}
            path = f"/v1/orders/{order_id}"
            assert (await system.api.get(path, headers=mine)).status_code == 200

            # Readers in flight when the server dies: their statements are cut half-way.
            answers: list[int] = []
            readers = [asyncio.create_task(read(system.api, path, mine, answers)) for _ in range(8)]
            await asyncio.sleep(0.5)
            kill(server)
            await asyncio.gather(*readers)
            assert set(answers) <= {200, 503} and 503 in answers, sorted(set(answers))
            # Connections the pool holds are cut, new ones refused: both are 503.
            for _ in range(3):
                away = await system.api.get(path, headers=mine)
                problem = assert_problem(away, 503)
                assert away.headers["Retry-After"] == "2"
                assert "send the same request again" in problem["detail"]
            refused = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
            assert_problem(refused, 503)

            server.start()

            async def answered() -> httpx.Response | None:
                reply = await system.api.get(path, headers=mine)
                assert reply.status_code in (200, 503), reply.text
                return reply if reply.status_code == 200 else None

            back = await wait_for(answered, within=30)
            assert back.json()["order_id"] == order_id
        await pool.close()
    finally:
        server.stop()
