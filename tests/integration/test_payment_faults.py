"""A payment provider that fails like real ones: 500s, and a timeout after the charge went
through. Money still moves exactly once (ARCHITECTURE: Money)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities import build_activities
from activities.models import CapturePayment
from adapters.cards.sandbox import SandboxCardIssuer
from adapters.carriers.sandbox import SandboxCarrier
from adapters.email.smtp import SmtpMailer
from adapters.payments.sandbox import SandboxPaymentGateway
from domain.money import Money
from store import ledger
from store.sealing import Sealer
from tests.integration.harness import STOREFRONT, System, order_body, running_system, wait_for


@pytest.fixture
async def impatient(
    tmp_path: Path, database_url: str, dev_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> AsyncIterator[System]:
    """A whole system whose adapters give a provider one second to answer."""
    async with running_system(
        tmp_path, database_url, dev_env.client, pool, provider_timeout_seconds=1.0
    ) as system:
        yield system


def provider_events(system: System, payment_id: str, event_type: str) -> int:
    """How many webhooks of this type the gateway sent for the payment (its own record)."""
    with sqlite3.connect(system.settings.sandbox_state_path) as db:
        bodies = [json.loads(row[0]) for row in db.execute("SELECT body FROM outbox")]
    return sum(1 for b in bodies if b["type"] == event_type and b["data"]["id"] == payment_id)


async def arm(system: System, operation: str, mode: str, **extra: Any) -> None:
    armed = await system.sandbox.post(
        "/payments/v1/sandbox/faults", json={"operation": operation, "mode": mode, **extra}
    )
    assert armed.status_code == 201, armed.text


async def test_provider_500s_and_a_timeout_after_the_capture_still_capture_once(
    impatient: System, pool: asyncpg.Pool
) -> None:
    """Two 500s on authorisation, then a capture that succeeds at the gateway but answers
    after the adapter gave up: the activity retries, asks the gateway, and finds the capture
    done. One authorisation, one capture."""
    system = impatient
    await arm(system, "authorize", "error", times=2)
    await arm(system, "capture", "timeout_after_success", delay_seconds=2.0)
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body())
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}

    async def delivered() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view if view["status"] in ("delivered", "completed") else None

    view = await wait_for(delivered, within=60)
    moved = [(m["movement"], m["status"]) for m in view["payments"]]
    assert moved == [("authorization", "authorized"), ("capture", "captured")]
    payment_id = view["payments"][0]["provider_ref"]
    assert provider_events(system, payment_id, "payment.authorized") == 1
    assert provider_events(system, payment_id, "payment.captured") == 1
    gateway = await system.sandbox.get(f"/payments/v1/payments/{payment_id}")
    assert gateway.json()["status"] == "captured" and gateway.json()["amount"] == 3980
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM ledger WHERE order_id = $1 AND movement = 'capture'", order_id
        )
        == 1
    )


async def test_a_capture_whose_worker_died_before_the_ledger_write_is_not_repeated(
    system: System, pool: asyncpg.Pool
) -> None:
    """The capture reached the gateway, then the worker died before settling the ledger row.
    The retried activity finds the capture at the gateway and only settles the row."""
    placed = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(merchant="holdshop")
    )
    order_id = placed.json()["order_id"]
    gateway = SandboxPaymentGateway(
        system.settings.payment_provider_url,
        system.settings.payment_provider_api_key.get_secret_value(),
    )
    carrier = SandboxCarrier(
        system.settings.carrier_provider_url,
        system.settings.carrier_provider_api_key.get_secret_value(),
    )
    try:
        amount = Money(amount=Decimal("12.50"), currency="EUR")
        key = f"{order_id}:capture:died-{uuid.uuid4().hex[:6]}"
        payment = await gateway.authorize(
            amount=amount,
            payment_token="pm_card_approved",
            reference=order_id,
            idempotency_key=f"{key}:auth",
        )
        # the first attempt: the ledger row opened, the gateway captured, then the worker died
        await ledger.open_movement(
            pool,
            order_id=order_id,
            idempotency_key=key,
            movement="capture",
            amount=amount.amount,
            currency="EUR",
            provider=gateway.name,
        )
        await gateway.capture(payment_id=payment.payment_id, amount=amount, idempotency_key=key)

        activities = build_activities(
            pool,
            gateway,
            carrier,
            SmtpMailer("127.0.0.1", 9),
            system.settings.mail_from,
            issuer=SandboxCardIssuer(system.settings.card_issuer_url, "unused"),
            sealer=Sealer(system.settings.card_code_keys.get_secret_value()),
        )
        # a capture call from the retry would meet this 500 and fail the activity
        await arm(system, "capture", "error")
        retried = await ActivityEnvironment().run(
            activities.payments.capture_payment,
            CapturePayment(
                order_id=order_id, payment_id=payment.payment_id, amount=amount, idempotency_key=key
            ),
        )
        disarmed = await system.sandbox.delete("/payments/v1/sandbox/faults")
    finally:
        await system.sandbox.delete("/payments/v1/sandbox/faults")
        await gateway.aclose()
        await carrier.aclose()
    assert disarmed.json() == {"disarmed": ["capture"]}  # the retry never called capture
    assert retried.state == "captured"
    row = await pool.fetchrow(
        "SELECT status, provider_ref FROM ledger WHERE idempotency_key = $1", key
    )
    assert row is not None and row["status"] == "captured"
    assert row["provider_ref"] == payment.payment_id

    async def one_capture_event() -> bool:
        return provider_events(system, payment.payment_id, "payment.captured") == 1

    assert await wait_for(one_capture_event, within=5)


async def test_webhooks_delivered_twice_and_out_of_order_have_one_effect(
    tmp_path: Path, database_url: str, dev_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    """The gateway and the carrier send every event twice, shuffled, with random delays: the
    3-D Secure order still captures once and ends delivered, its tracking only forward."""
    async with running_system(
        tmp_path, database_url, dev_env.client, pool, sandbox_webhook_chaos=True
    ) as system:
        placed = await system.api.post(
            "/v1/orders", headers=STOREFRONT, json=order_body(merchant="secureshop")
        )
        order_id = placed.json()["order_id"]
        mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}
        # the provider's own answer, not the way back to the order page
        page = httpx.URL(placed.json()["next_action"]["url"]).copy_remove_param("return_url")
        challenge = await system.sandbox.post(page)
        assert challenge.json()["status"] == "authorized"

        async def delivered() -> dict[str, Any] | None:
            view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
            return view if view["status"] in ("delivered", "completed") else None

        view = await wait_for(delivered, within=60)
        with sqlite3.connect(system.settings.sandbox_state_path) as db:
            sent = db.execute(
                "SELECT count(*), min(attempts) FROM outbox WHERE delivered_at IS NOT NULL"
            ).fetchone()
    assert sent[0] > 0 and sent[1] == 2  # every delivered event went out twice
    assert [m["movement"] for m in view["payments"]] == ["authorization", "capture"]
    statuses = [e["status"] for e in view["timeline"] if e["status"]]
    assert statuses.count("paid") == 1 and statuses.count("delivered") == 1
    stored = await pool.fetchval("SELECT count(*) FROM webhook_inbox WHERE order_id = $1", order_id)
    distinct = await pool.fetchval(
        "SELECT count(DISTINCT event_id) FROM webhook_inbox WHERE order_id = $1", order_id
    )
    assert stored == distinct > 0
