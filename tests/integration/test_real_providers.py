"""The whole system with the real adapters switched on by configuration (Stripe for cards,
PayPal for PayPal, EasyPost trackers), each against a double that speaks its provider's
protocol and signs its webhooks its provider's way. The orders run exactly as with the
sandboxes: the protocols are the contract (IMA-PAY-1, IMA-PAY-2, KWO-CAN-1, LIF-1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from runtime.postgres import free_port
from tests.doubles.easypost import EasyPostDouble
from tests.doubles.paypal import WEBHOOK_ID, PayPalDouble
from tests.doubles.stripe import StripeDouble
from tests.integration.harness import System, running_system, serve, wait_for
from tests.integration.test_payments_http import movements, place, reaches

STRIPE_SECRET = "whsec_double_stripe"
EASYPOST_SECRET = "easypost-double-secret"


@dataclass
class Providers:
    system: System
    stripe: StripeDouble
    paypal: PayPalDouble
    easypost: EasyPostDouble
    pool: asyncpg.Pool


@pytest.fixture(scope="module")
async def live(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    dev_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
) -> AsyncIterator[Providers]:
    ports = {name: free_port() for name in ("stripe", "paypal", "easypost")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    stripe = StripeDouble("", STRIPE_SECRET, url["stripe"])
    paypal = PayPalDouble("", url["paypal"])
    easypost = EasyPostDouble("", EASYPOST_SECRET)
    folder: Path = tmp_path_factory.mktemp("live")
    async with (
        serve(stripe.app(), ports["stripe"]),
        serve(paypal.app(), ports["paypal"]),
        serve(easypost.app(), ports["easypost"]),
        running_system(
            folder,
            database_url,
            dev_env.client,
            pool,
            payment_gateway="stripe",
            stripe_api_key=SecretStr("sk_test_double"),
            stripe_webhook_secret=SecretStr(STRIPE_SECRET),
            stripe_api_base=url["stripe"],
            wallet_gateway="paypal",
            paypal_client_id="double-client",
            paypal_client_secret=SecretStr("double-secret"),
            paypal_webhook_id=WEBHOOK_ID,
            paypal_api_base=url["paypal"],
            tracking_service="easypost",
            easypost_api_key=SecretStr("EZTK_double"),
            easypost_webhook_secret=SecretStr(EASYPOST_SECRET),
            easypost_api_base=url["easypost"],
            # the sandbox carrier sells the labels but stays silent: EasyPost tells the scans
            sandbox_tracking_step_seconds=3600,
        ) as system,
    ):
        hooks = f"http://127.0.0.1:{system.settings.api_port}/v1/webhooks"
        stripe.webhook_url = f"{hooks}/payments/stripe"
        paypal.webhook_url = f"{hooks}/payments/paypal"
        easypost.webhook_url = f"{hooks}/carriers/easypost"
        yield Providers(system, stripe, paypal, easypost, pool)


async def parcel_of(live: Providers, order_id: str) -> str:
    """The order's tracking number, once its label is bought and EasyPost tracks it."""

    async def tracked() -> str | None:
        number = await live.pool.fetchval(
            "SELECT tracking_number FROM parcels WHERE order_id = $1", order_id
        )
        return number if number in live.easypost.trackers else None

    number: str = await wait_for(tracked, within=60)
    return number


async def delivered(live: Providers, order_id: str, mine: dict[str, str]) -> dict[str, Any]:
    """EasyPost tells the parcel's journey; the order follows it to the end."""
    number = await parcel_of(live, order_id)
    for status in ("in_transit", "available_for_pickup", "delivered"):
        assert await live.easypost.move(number, status) == 200
    view: dict[str, Any] = await reaches(live.system, order_id, mine, "completed")
    shipment = view["shipments"][0]
    assert shipment["status"] == "delivered"
    return view


async def test_a_card_order_through_stripe_tracked_by_easypost(live: Providers) -> None:
    placed, mine = await place(live.system, payment={"method": "card", "token": "pm_card_visa"})
    assert placed["status"] == "paid"
    view = await delivered(live, placed["order_id"], mine)
    statuses = [e["status"] for e in view["timeline"] if e["status"]]
    assert statuses[-4:] == ["fulfilling", "in_transit", "delivered", "completed"]
    assert [(m["movement"], m["status"]) for m in view["payments"]] == [
        ("authorization", "authorized"),
        ("capture", "captured"),
    ]
    intent = next(
        i for i in live.stripe.intents.values() if i["metadata"]["order_id"] == placed["order_id"]
    )
    assert intent["status"] == "succeeded" and intent["amount_received"] == 3980


async def test_a_card_declined_at_stripe_then_another_card_pays(live: Providers) -> None:
    """IMA-PAY-2: a decline is an answer (Stripe's code kept); the customer tries again."""
    placed, mine = await place(
        live.system, payment={"method": "card", "token": "pm_card_chargeDeclined"}
    )
    order_id = placed["order_id"]
    await reaches(live.system, order_id, mine, "payment_failed")
    retry = await live.system.api.post(
        f"/v1/orders/{order_id}/payment/retry",
        headers=mine,
        json={"payment": {"method": "card", "token": "pm_card_visa"}},
    )
    assert retry.status_code == 200, retry.text
    view = await delivered(live, order_id, mine)
    assert [m["status"] for m in movements(view, "authorization")] == ["declined", "authorized"]
    assert [m["status"] for m in movements(view, "capture")] == ["captured"]


async def test_3d_secure_at_stripe_then_the_webhook_pays_the_order(live: Providers) -> None:
    placed, mine = await place(
        live.system,
        merchant="secureshop",
        payment={"method": "card", "token": "pm_card_visa"},
    )
    assert placed["status"] == "awaiting_3ds"
    url = placed["next_action"]["url"]
    assert url.startswith(live.stripe.public_url + "/_double/3ds/pi_")
    async with httpx.AsyncClient() as browser:
        passed = await browser.post(url)
    assert passed.json() == {"webhook": 200}
    await delivered(live, placed["order_id"], mine)


async def test_a_paypal_order_approved_at_paypal_is_authorised_then_captured_once(
    live: Providers,
) -> None:
    placed, mine = await place(live.system, payment={"method": "paypal"})
    assert placed["status"] == "awaiting_paypal_approval"
    url = placed["next_action"]["url"]
    assert url.startswith(live.paypal.public_url + "/_double/approve/")
    async with httpx.AsyncClient() as browser:
        approved = await browser.post(url)
    assert approved.json() == {"webhook": 200}  # verified by PayPal's verify call, kept
    view = await delivered(live, placed["order_id"], mine)
    assert [m["status"] for m in movements(view, "capture")] == ["captured"]
    paypal_order = live.paypal.orders[url.rsplit("/", 1)[1]]
    payments = paypal_order["purchase_units"][0]["payments"]
    assert [c["status"] for c in payments["captures"]] == ["COMPLETED"]
    assert payments["captures"][0]["amount"] == {"currency_code": "EUR", "value": "39.80"}


async def test_a_held_card_order_cancelled_is_refunded_once_at_stripe(live: Providers) -> None:
    """KWO-CAN-1: cancelled before dispatch, the whole payment comes back, once."""
    placed, mine = await place(
        live.system, merchant="holdshop", payment={"method": "card", "token": "pm_card_visa"}
    )
    order_id = placed["order_id"]
    await reaches(live.system, order_id, mine, "paid")
    cancelled = await live.system.api.post(f"/v1/orders/{order_id}/cancel", headers=mine)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["refund"] == {"amount": "39.80", "currency": "EUR"}
    view = await reaches(live.system, order_id, mine, "cancelled")
    refunds = movements(view, "refund")
    assert [(m["status"], m["provider"]) for m in refunds] == [("succeeded", "stripe")]
    intent = next(i for i in live.stripe.intents.values() if i["metadata"]["order_id"] == order_id)
    made = [r for r in live.stripe.refunds if r["payment_intent"] == intent["id"]]
    assert [r["amount"] for r in made] == [3980]
    assert refunds[0]["provider_ref"] == made[0]["id"]
