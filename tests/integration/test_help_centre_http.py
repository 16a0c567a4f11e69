"""The help centre over HTTP (KWO-FAQ-1), on kwoking's preset as shipped: every topic it
lists is answered from the order's own state and policy, in the customer's language, on
`GET /v1/orders/{id}/help` and on the order page."""

from __future__ import annotations

from typing import Any

from messages.phrases import ORDER_STATUS
from runtime.tokens import Links
from tests.integration.harness import STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem

KWOKING_TOPICS = [
    "where_is_my_order",
    "edit_or_cancel",
    "split_parcels",
    "tracking_not_updated",
    "customs_refusal",
    "refund_timing_and_amount",
    "declined_payment",
    "payment_verification",
    "one_coupon_at_a_time",
]

ENGLISH = {"email": "jane.doe@example.com", "locale": "en"}


async def placed(system: System, **changes: Any) -> tuple[str, dict[str, str]]:
    answer = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body(**changes))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["order_id"], {"Authorization": f"Bearer {body['access_token']}"}


async def help_when(
    system: System, order_id: str, mine: dict[str, str], status: str, lang: str | None = None
) -> dict[str, str]:
    """The answers, by topic, once the order reached `status`."""

    async def reached() -> dict[str, Any] | None:
        view = (await system.api.get(f"/v1/orders/{order_id}", headers=mine)).json()
        return view if view["status"] == status else None

    await wait_for(reached, within=30)
    params = {"lang": lang} if lang else {}
    answer = await system.api.get(f"/v1/orders/{order_id}/help", headers=mine, params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [t["topic"] for t in body["topics"]] == KWOKING_TOPICS
    assert all("KWO-FAQ-1" in t["clauses"] for t in body["topics"])
    return {t["topic"]: t["answer"] for t in body["topics"]} | {
        f"{t['topic']}?": t["question"] for t in body["topics"]
    }


async def test_kwoking_help_topics_are_what_the_customer_api_answers(system: System) -> None:
    """KWO-FAQ-1: a kwoking order waiting for its 3-D Secure check, asked every topic."""
    order_id, mine = await placed(system, merchant="kwoking", customer=ENGLISH)
    answers = await help_when(system, order_id, mine, "awaiting_3ds")
    assert answers["where_is_my_order"] == (
        f"Your order is {ORDER_STATUS['awaiting_3ds']}; no parcel has left yet."
    )
    assert "cancel the order until it leaves the warehouse" in answers["edit_or_cancel"]
    assert answers["split_parcels"] == "Your order travels in one parcel."
    assert "3-D Secure" in answers["payment_verification"]
    assert answers["declined_payment"] == "No payment of this order was declined."
    assert answers["one_coupon_at_a_time"] == ("At most 1 coupon(s) per order; this order uses 0.")
    assert "Refunded so far: 0.00 EUR." in answers["refund_timing_and_amount"]
    assert "Intermediary and bank fees are yours." in answers["refund_timing_and_amount"]
    # in French, as the order page is written for a French customer
    french = await help_when(system, order_id, mine, "awaiting_3ds", lang="fr")
    assert french["one_coupon_at_a_time?"] == "Puis-je utiliser plus d'un coupon ?"
    assert "3-D Secure" in french["payment_verification"]


async def test_a_declined_kwoking_payment_is_explained_with_its_code(system: System) -> None:
    """KWO-FAQ-1 (why was my payment declined): the decline the provider gave, and the
    attempts kwoking's card rule leaves."""
    order_id, mine = await placed(
        system,
        merchant="kwoking",
        customer=ENGLISH,
        payment={"method": "card", "token": "pm_card_declined"},
    )
    answers = await help_when(system, order_id, mine, "payment_failed")
    assert answers["declined_payment"].startswith("Your last payment was declined (")
    assert "2 attempt(s) left" in answers["declined_payment"]


async def test_the_order_page_shows_the_help_centre(system: System) -> None:
    """KWO-FAQ-1: the order page answers the same questions, for the link's holder only."""
    order_id, mine = await placed(
        system,
        merchant="kwoking",
        customer={"email": "claire@example.com", "locale": "fr"},
    )
    await help_when(system, order_id, mine, "awaiting_3ds")
    links = Links(
        system.settings.public_base_url, system.settings.order_token_secret.get_secret_value()
    )
    page = await system.api.get(links.order_page(order_id))
    assert page.status_code == 200, page.text
    assert "Questions sur votre commande" in page.text
    assert "Puis-je utiliser plus d&#39;un coupon ?" in page.text
    assert 'id="help-declined_payment"' in page.text
    # another order's token, or none, sees nothing of this order's answers
    other_id, theirs = await placed(system, merchant="kwoking")
    denied = await system.api.get(f"/v1/orders/{order_id}/help", headers=theirs)
    assert_problem(denied, 404)
    assert_problem(await system.api.get(f"/v1/orders/{order_id}/help"), 404)


async def test_a_shop_without_a_help_centre_answers_no_topics(system: System) -> None:
    """KWO-FAQ-1 is kwoking's: the demo shop lists no help topics, so none is answered."""
    order_id, mine = await placed(system)
    answer = await system.api.get(f"/v1/orders/{order_id}/help", headers=mine)
    assert answer.status_code == 200 and answer.json()["topics"] == []
