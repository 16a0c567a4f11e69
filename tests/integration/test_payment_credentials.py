"""The customer's card token stays out of Temporal: the API seals it in PostgreSQL and the
workflow carries a reference that only the payment activity opens, for the order it was
given for. Orders started before references existed carry their token, and still pay."""

from __future__ import annotations

import sqlite3
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import build_activities
from activities.models import AuthorizePayment
from adapters.cards.sandbox import SandboxCardIssuer
from adapters.carriers.sandbox import SandboxCarrier
from adapters.email.smtp import SmtpMailer
from adapters.payments.sandbox import SandboxPaymentGateway
from domain.money import Money
from store import credentials
from store.sealing import Sealer
from tests.integration.harness import STOREFRONT, System, history_plaintext, order_body, wait_for
from workflows.names import order_workflow_id


async def tokenised(system: System, number: str) -> str:
    """A card token as the storefront gets it from the provider's card form."""
    made = await system.sandbox.post(
        "/payments/v1/payment_methods",
        json={"card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def methods_charged(system: System, order_id: str) -> list[str]:
    """The payment methods the provider was asked to charge for the order (its own record)."""
    with sqlite3.connect(system.settings.sandbox_state_path) as db:
        found = db.execute(
            "SELECT method FROM payments WHERE reference = ? ORDER BY created", (order_id,)
        )
        return [row[0] for row in found]


async def test_card_tokens_reach_the_provider_but_never_the_workflow(
    system: System, pool: asyncpg.Pool
) -> None:
    declined = await tokenised(system, "4000000000000002")
    approved = await tokenised(system, "4242424242424242")
    placed = await system.api.post(
        "/v1/orders",
        headers=STOREFRONT,
        json=order_body(payment={"method": "card", "token": declined}),
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    mine = {"Authorization": f"Bearer {placed.json()['access_token']}"}

    async def status(*wanted: str) -> Any:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view if view["status"] in wanted else None

    await wait_for(lambda: status("payment_failed"), within=30)
    # the retry sent twice under one Idempotency-Key (an answer lost on the way) is one
    # attempt, its token sealed once
    retry = {"payment": {"method": "card", "token": approved}}
    again = {**mine, "Idempotency-Key": "retry-1"}
    retried = await system.api.post(
        f"/v1/orders/{order_id}/payment/retry", headers=again, json=retry
    )
    assert retried.status_code == 200, retried.text
    repeated = await system.api.post(
        f"/v1/orders/{order_id}/payment/retry", headers=again, json=retry
    )
    assert repeated.status_code == 200, repeated.text
    assert repeated.json()["attempt"] == retried.json()["attempt"]
    await wait_for(lambda: status("paid", "fulfilling", "shipped", "delivered"), within=30)

    # the provider charged both cards the customer gave ...
    assert methods_charged(system, order_id) == [declined, approved]
    # ... while the workflow's history (decrypted) holds only references
    history = await system.client.get_workflow_handle(order_workflow_id(order_id)).fetch_history()
    plain = history_plaintext(history)
    assert declined not in plain and approved not in plain
    assert plain.count(credentials.PREFIX) >= 2
    # and PostgreSQL keeps them sealed, the order its reference
    ref = await pool.fetchval("SELECT payment_token FROM orders WHERE order_id = $1", order_id)
    assert ref.startswith(credentials.PREFIX)
    sealed = await pool.fetch("SELECT sealed FROM payment_credentials WHERE owner = $1", order_id)
    assert len(sealed) == 2
    assert all(
        declined.encode() not in r["sealed"] and approved.encode() not in r["sealed"]
        for r in sealed
    )


async def test_a_raw_token_still_pays_and_a_reference_opens_only_for_its_own_order(
    system: System, pool: asyncpg.Pool
) -> None:
    placed = await system.api.post(
        "/v1/orders", headers=STOREFRONT, json=order_body(merchant="holdshop")
    )
    order_id = placed.json()["order_id"]
    settings = system.settings
    sealer = Sealer(settings.card_code_keys.get_secret_value())
    gateway = SandboxPaymentGateway(
        settings.payment_provider_url, settings.payment_provider_api_key.get_secret_value()
    )
    carrier = SandboxCarrier(
        settings.carrier_provider_url, settings.carrier_provider_api_key.get_secret_value()
    )
    activities = build_activities(
        pool,
        gateway,
        carrier,
        SmtpMailer("127.0.0.1", 9),
        settings.mail_from,
        issuer=SandboxCardIssuer(settings.card_issuer_url, "unused"),
        sealer=sealer,
    )
    amount = Money(amount=Decimal("5.00"), currency="EUR")

    def authorise(token: str) -> AuthorizePayment:
        return AuthorizePayment(
            order_id=order_id,
            amount=amount,
            payment_token=token,
            idempotency_key=f"{order_id}:authorization:{uuid.uuid4().hex[:8]}",
        )

    try:
        # an order started before references: its input carries the token itself
        raw = await ActivityEnvironment().run(
            activities.payments.authorize_payment, authorise("pm_card_approved")
        )
        assert raw.state == "authorized"
        # a reference kept for another order does not open for this one
        elsewhere = await credentials.keep(pool, sealer, "another-order", "pm_card_approved")
        with pytest.raises(ApplicationError) as refused:
            await ActivityEnvironment().run(
                activities.payments.authorize_payment, authorise(elsewhere)
            )
        assert refused.value.type == "PaymentRejected" and refused.value.non_retryable
    finally:
        await gateway.aclose()
        await carrier.aclose()
