"""Every customer e-mail renders in every language with a catalog: right to left in Arabic,
money and times as the customer's locale writes them in the merchant's time zone, and every
text of the templates translated."""

from __future__ import annotations

from typing import Any

import pytest
from babel.messages.pofile import read_po

from messages import kinds, languages
from messages.catalogs import catalog_path, template_catalog
from messages.context import order_letter, sender, subscription_letter
from messages.text import plain_text
from runtime.tokens import Links

AMOUNT = "1234.500 EUR"
DUE = "2026-11-23T14:31:39.196800+00:00"  # 15:31 in Paris
ADDRESS = {
    "name": "Kwoking SAV",
    "line1": "1 rue du Port",
    "city": "Marseille",
    "postal_code": "13002",
    "country": "FR",
}
FACTS: dict[str, dict[str, Any]] = {
    "order_confirmation": {},
    "shipment_tracking": {
        "carrier": "dhl",
        "tracking_number": "TRK1",
        "customs_notice": "IMA-SHP-5",
    },
    "payment_failed": {"reason": "insufficient_funds", "may_retry": True},
    "payment_action_needed": {"paypal": False, "url": "https://pay.example/3ds", "by": DUE},
    "invoice": {"amount": AMOUNT, "expires_at": DUE, "pay_url": "https://pay.example/inv"},
    "invoice_expired": {"expired_at": DUE},
    "parcel_late": {"tracking_number": "TRK1", "expected_by": DUE},
    "parcel_lost": {"tracking_number": "TRK1", "reshipped": False, "refund": AMOUNT},
    "parcel_returned": {"tracking_number": "TRK1", "fee": AMOUNT, "pay_by": DUE},
    "parcel_held_at_customs": {"tracking_number": "TRK1"},
    "returned_parcel_refunded": {"tracking_number": "TRK1", "refund": AMOUNT},
    "order_cancelled": {"refund": AMOUNT},
    "order_changed": {
        "before": [{"sku": "LAMP-1", "name": "Lamp", "quantity": 2, "price": "19.90"}],
        "after": [{"sku": "LAMP-1", "name": "Lamp", "quantity": 3, "price": "19.90"}],
        "total": "59.70 EUR",
        "difference": "19.90 EUR",
        "settlement": "charged",
        "moved": "19.90 EUR",
    },
    "order_edit_approval": {
        "edit_id": "ed_1",
        "after": [{"sku": "STRAP-1", "name": "Strap", "quantity": 1, "price": "8.00"}],
        "total": "47.80 EUR",
        "difference": "8.00 EUR",
        "approve_by": "2026-03-04T17:00:00+00:00",
    },
    "operator_refund": {"refund": AMOUNT},
    "return_requested": {"rma_id": "RMA-1"},
    "return_approved": {
        "rma_id": "RMA-1",
        "address": ADDRESS,
        "ship_back_by": DUE,
        "tracking_requested": True,
        "include": ["order_number", "product"],
    },
    "return_rejected": {"rma_id": "RMA-1"},
    "return_expired": {"rma_id": "RMA-1"},
    "return_received": {"rma_id": "RMA-1"},
    "return_out_of_stock": {"rma_id": "RMA-1"},
    "return_replaced": {"rma_id": "RMA-1", "carrier": "post", "tracking_number": "TRK2"},
    "return_refunded": {"rma_id": "RMA-1", "lines": [["shipping", "4.90"]], "refund": AMOUNT},
    "digital_cards": {
        "cards": [{"card_id": "c1", "sku": "GC-50", "value": AMOUNT, "expires_at": DUE}],
        "codes": {"c1": "AbC-123"},
    },
    "digital_verification": {"by": DUE},
    "faulty_card_received": {"card_id": "c1", "answer_by": DUE},
    "faulty_card_answer": {"card_id": "c1", "report": "refunded", "refund": AMOUNT},
    "claim_received": {"claim_id": "CLM-1", "answer_by": DUE},
    "question_answered": {"claim_id": "CLM-1", "answer": "<b>Tuesday</b>", "operator": "Léa"},
    "claim_decided": {"claim_id": "CLM-1", "outcome": "refund", "reason": "no fault was found"},
    "warranty_send_product": {
        "claim_id": "CLM-1",
        "reason": "covered by the warranty",
        "shipping": "we tell you how to send it",
        "address": "Jeddah",
    },
    "warranty_via_agent": {"claim_id": "CLM-1"},
    "warranty_repair_started": {
        "claim_id": "CLM-1",
        "remedy": "repair or replacement",
        "waits": "",
        "repair_due_at": DUE,
    },
    "warranty_quote": {"claim_id": "CLM-1", "reason": "a service at basic cost", "quote": AMOUNT},
    "warranty_done": {"claim_id": "CLM-1", "outcome": "repaired", "tracking": ""},
    "subscription_receipt": {"amount": AMOUNT, "period": 2, "from": DUE, "to": DUE},
    "renewal_failed": {
        "amount": AMOUNT,
        "period": 2,
        "decline_code": "card_declined",
        "retry_at": DUE,
    },
    "subscription_cancelled": {"refund": AMOUNT, "access_ends_at": DUE},
    "subscription_ended": {"ended_at": DUE},
}
SUBSCRIPTION = {
    "subscription_receipt",
    "renewal_failed",
    "subscription_cancelled",
    "subscription_ended",
}
DATES_ONLY = {"subscription_receipt"}  # a period runs from day to day
# How each language writes 1,234.50 EUR and the 23rd of November 2026, 15:31 in Paris.
EXPECTED = {
    "en": ("€1,234.50", "November 23, 2026", "3:31"),
    "fr": ("1\u202f234,50\u00a0€", "23 novembre 2026", "15:31"),
    "ar": ("1,234.50", "23 نوفمبر 2026", "3:31"),
    "lv": ("1\u00a0234,50\u00a0€", "2026. gada 23. novembris", "15:31"),
}
POLICY = {
    "display_name": "Kwoking",
    "timezone": "Europe/Paris",
    "locale": "fr",
    "mail_from": "Kwoking <commandes@kwoking.example>",
}


def order(locale: str) -> dict[str, Any]:
    return {
        "order_id": "ORD1",
        "currency": "EUR",
        "total": "1234.500",
        "policy": POLICY,
        "customer": {"email": "jane@example.com", "locale": locale},
        "lines": [{"quantity": 2, "name": "Lampe", "unit_price": "617.25", "category": "general"}],
    }


def letter(kind: str, locale: str) -> Any:
    if kind in SUBSCRIPTION:
        row = {
            "subscription_id": "SUB1",
            "plan_name": "Pro",
            "currency": "EUR",
            "policy": POLICY,
            "customer": {"email": "jane@example.com", "locale": locale},
        }
        return subscription_letter(kind, row, FACTS[kind], "orders@orderflow.local")
    links = Links("https://shop.example", "secret")
    return order_letter(kind, order(locale), FACTS[kind], "orders@orderflow.local", links)


def test_every_message_kind_has_sample_facts() -> None:
    assert sorted(FACTS) == kinds()


@pytest.mark.parametrize("language", languages())
@pytest.mark.parametrize("kind", kinds())
def test_every_kind_renders_in_every_language(kind: str, language: str) -> None:
    rendered = letter(kind, language).rendered
    money, day, clock = EXPECTED[language]
    assert rendered.subject and "{" not in rendered.subject and "%(" not in rendered.subject
    assert f'lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}"' in rendered.html
    assert rendered.direction == ("rtl" if language == "ar" else "ltr")
    assert "%(" not in rendered.text and "{{" not in rendered.html
    assert "Kwoking" in rendered.text  # the shop's name, in every message
    if any(f == AMOUNT for f in FACTS[kind].values()) or kind == "order_confirmation":
        assert money in rendered.text, rendered.text
        assert "1234.500" not in rendered.text
    if any(f == DUE for f in FACTS[kind].values()):
        assert day in rendered.text, rendered.text
        assert kind in DATES_ONLY or clock in rendered.text, rendered.text
        assert "2026-11-23T" not in rendered.text


def test_the_words_are_the_customers_language() -> None:
    assert letter("order_cancelled", "fr").rendered.subject == "Commande ORD1 annulée"
    assert letter("order_cancelled", "lv").rendered.subject == "Pasūtījums ORD1 ir atcelts"
    assert letter("order_cancelled", "ar").rendered.subject == "تم إلغاء الطلب ORD1"
    assert letter("order_cancelled", "en").rendered.subject == "Order ORD1 is cancelled"
    # a regional variant: French words, Belgian formats; an uncatalogued language: English
    assert letter("order_cancelled", "fr_BE").rendered.subject == "Commande ORD1 annulée"
    assert letter("order_cancelled", "de").rendered.subject == "Order ORD1 is cancelled"
    claim = letter("claim_decided", "fr").rendered.text
    assert "remboursement" in claim and "aucun défaut n'a été constaté" in claim


def test_links_lead_to_the_order_page_with_its_token() -> None:
    text = letter("order_confirmation", "en").rendered.text
    assert "https://shop.example/orders/ORD1?token=ot." in text  # a link token, its key named
    assert "your order page" not in text.lower() or "orders/ORD1" in text


def test_customers_words_are_escaped_not_markup() -> None:
    rendered = letter("question_answered", "en").rendered
    assert "&lt;b&gt;Tuesday&lt;/b&gt;" in rendered.html and "<b>Tuesday</b>" in rendered.text


def test_the_sender_is_the_merchants() -> None:
    assert letter("order_cancelled", "en").sender == "Kwoking <commandes@kwoking.example>"
    plain = {"display_name": "IMALENT"}
    assert sender(plain, "orders@orderflow.local") == "IMALENT <orders@orderflow.local>"


@pytest.mark.parametrize("language", [lang for lang in languages() if lang != "en"])
def test_every_text_of_the_templates_is_translated(language: str) -> None:
    with catalog_path(language).open("rb") as source:
        catalog = read_po(source, locale=language)
    wanted = {m.id for m in template_catalog() if m.id}
    missing = sorted(i for i in wanted if not (catalog.get(i) and catalog.get(i).string))
    assert missing == [], f"untranslated in {language}: run python -m messages.catalogs"
    for message in catalog:
        if message.id and message.string:
            assert set(_placeholders(message.id)) == set(_placeholders(message.string)), message.id


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\((\w+)\)s", text)


def test_plain_text_keeps_paragraphs_and_links() -> None:
    text = plain_text('<p>One <a href="https://x.example/p">page</a></p><p>Two</p>')
    assert text == "One page: https://x.example/p\n\nTwo\n"


def test_the_arabic_catalog_is_written_in_arabic() -> None:
    with catalog_path("ar").open("rb") as source:
        catalog = read_po(source, locale="ar")
    latin_only = [
        m.id for m in catalog if m.id and not any("\u0600" <= ch <= "\u06ff" for ch in m.string)
    ]
    assert latin_only == []
