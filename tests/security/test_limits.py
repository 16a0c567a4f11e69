"""Limits at the door and caps per order, all settings: past a rate limit a 429 problem+json
with Retry-After before anything runs; past a cap a 409 naming the setting, and nothing kept
(API4: unrestricted resource consumption)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from tests.integration.harness import STOREFRONT, System, order_body
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_returns_http import PNG

Start = Callable[..., AbstractAsyncContextManager[System]]


def rate_limited(answer: httpx.Response) -> None:
    problem = assert_problem(answer, 429)
    assert problem["type"].endswith("/problems/rate-limited")
    assert int(answer.headers["retry-after"]) >= 1


async def test_a_customer_token_past_its_limit_is_429_with_retry_after(
    system_with: Start,
) -> None:
    async with system_with(with_worker=False, rate_limit_per_token="3/minute") as system:
        guess = {"Authorization": "Bearer ot.k0.full.9999999999.guess"}
        for _ in range(3):
            assert (await system.api.get("/v1/orders/o-1", headers=guess)).status_code == 404
        rate_limited(await system.api.get("/v1/orders/o-2", headers=guess))
        other = {"Authorization": "Bearer ot.k0.full.9999999999.other"}
        assert (await system.api.get("/v1/orders/o-1", headers=other)).status_code == 404


async def test_failed_authentications_close_the_address_for_a_while(system_with: Start) -> None:
    """API2: a credential cannot be guessed at the API's speed."""
    async with system_with(with_worker=False, rate_limit_unauthorized="3/minute") as system:
        wrong = {"Authorization": "Bearer sf_wrong"}
        for _ in range(3):
            assert_problem(await system.api.post("/v1/orders", headers=wrong, json={}), 401)
        rate_limited(await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body()))


async def test_requests_without_a_shops_key_are_limited_per_address(system_with: Start) -> None:
    async with system_with(with_worker=False, rate_limit_per_address="2/minute") as system:
        for _ in range(2):
            assert (await system.api.get("/v1/orders/o-1")).status_code in (401, 404)
        rate_limited(await system.api.get("/v1/orders/o-1"))
        assert (await system.api.get("/healthz")).status_code == 200  # probes are never limited


async def placed(system: System) -> tuple[str, dict[str, str]]:
    answer = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    assert answer.status_code == 201, answer.text
    return answer.json()["order_id"], {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_an_order_holds_at_most_so_many_evidence_files(system_with: Start, pool: Any) -> None:
    async with system_with(evidence_max_files_per_order=2) as system:
        order_id, mine = await placed(system)
        image = {**mine, "Content-Type": "image/png"}
        for n in range(2):
            sent = await system.api.post(
                f"/v1/orders/{order_id}/evidence", headers=image, content=PNG + bytes([n])
            )
            assert sent.status_code == 201, sent.text
        again = await system.api.post(
            f"/v1/orders/{order_id}/evidence", headers=image, content=PNG + bytes([0])
        )
        assert again.status_code == 201  # the same file again is the same evidence
        third = await system.api.post(
            f"/v1/orders/{order_id}/evidence", headers=image, content=PNG + bytes([2])
        )
        problem = assert_problem(third, 409, "body")
        assert "ORDERFLOW_EVIDENCE_MAX_FILES_PER_ORDER" in problem["detail"]
        files = await pool.fetchval("SELECT count(*) FROM evidence WHERE order_id = $1", order_id)
        assert files == 2


async def test_an_order_holds_at_most_so_many_open_questions(system_with: Start) -> None:
    async with system_with(claims_max_open=2) as system:
        order_id, mine = await placed(system)
        for n in range(2):
            asked = await system.api.post(
                f"/v1/orders/{order_id}/messages", headers=mine, json={"text": f"Question {n}?"}
            )
            assert asked.status_code == 201, asked.text
        third = await system.api.post(
            f"/v1/orders/{order_id}/messages", headers=mine, json={"text": "And another?"}
        )
        assert "ORDERFLOW_CLAIMS_MAX_OPEN" in assert_problem(third, 409)["detail"]


async def test_an_order_takes_at_most_so_many_payment_retries(
    system_with: Start, pool: Any
) -> None:
    """Each retry seals a credential: past the cap none is sealed any more."""
    async with system_with(payment_retries_max=1) as system:
        answer = await system.api.post(
            "/v1/orders",
            headers=STOREFRONT,
            json=order_body(payment={"method": "card", "token": "pm_card_declined"}),
        )
        order_id = answer.json()["order_id"]
        mine = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        retry = {"payment": {"method": "card", "token": "pm_card_declined"}}
        first = await system.api.post(
            f"/v1/orders/{order_id}/payment/retry", headers=mine, json=retry
        )
        assert first.status_code != 409 or "ORDERFLOW_" not in first.text
        second = await system.api.post(
            f"/v1/orders/{order_id}/payment/retry", headers=mine, json=retry
        )
        assert "ORDERFLOW_PAYMENT_RETRIES_MAX" in assert_problem(second, 409)["detail"]
        sealed = await pool.fetchval(
            "SELECT count(*) FROM payment_credentials WHERE owner = $1", order_id
        )
        assert sealed == 2
