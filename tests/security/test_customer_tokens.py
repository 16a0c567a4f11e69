"""Customers' tokens: a key ID (rotation without breaking links sent before), an expiry, and
scopes. The storefront's token does everything; the link in an e-mail reads and acts but
does not change the address; a payment provider never holds a token, only a one-time way
back to the order page (API1, API2, API5)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlparse

from pydantic import SecretStr

from runtime.providers import payment_gateway
from runtime.settings import Settings
from runtime.tokens import Links, TokenKeys, legacy_token
from tests.integration.harness import System, wait_for
from tests.integration.test_api_contract import assert_problem
from tests.integration.test_order_changes_http import NEW_ADDRESS, place, reaches

LATER = datetime.now(UTC) + timedelta(days=1)


def test_a_token_past_its_expiry_opens_nothing() -> None:
    keys = TokenKeys("t1:" + "s" * 43)
    token = keys.issue("order", "o-1", "full", LATER)
    assert keys.read(token, "order", "o-1") is not None
    assert keys.read(token, "order", "o-1", now=LATER.timestamp() + 1) is None


def test_a_token_opens_only_its_own_order_and_kind() -> None:
    keys = TokenKeys("t1:" + "s" * 43)
    token = keys.issue("order", "o-1", "full", LATER)
    assert keys.read(token, "order", "o-2") is None
    assert keys.read(token, "subscription", "o-1") is None
    widened = keys.issue("order", "o-1", "link", LATER).replace(".link.", ".full.")
    assert keys.read(widened, "order", "o-1") is None  # a scope is signed, not chosen


def test_rotation_keeps_old_links_while_their_key_is_kept() -> None:
    old = TokenKeys("t1:" + "a" * 43)
    sent_before = old.issue("order", "o-1", "link", LATER)
    rotated = TokenKeys(f"t2:{'b' * 43} t1:{'a' * 43}")
    assert rotated.current == "t2"
    assert rotated.read(sent_before, "order", "o-1") is not None
    assert ".t2." in rotated.issue("order", "o-1", "link", LATER)
    retired = TokenKeys("t2:" + "b" * 43)
    assert retired.read(sent_before, "order", "o-1") is None


def test_a_token_made_before_key_ids_reads_and_acts_but_never_edits() -> None:
    secret = "c" * 43
    grant = TokenKeys(secret).read(legacy_token(secret, "order", "o-1"), "order", "o-1")
    assert grant is not None and grant.allows("act") and not grant.allows("edit")


def test_the_providers_way_back_holds_no_token() -> None:
    """Stripe and PayPal are told a one-time nonce, never the customer's token."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        payment_gateway="stripe",
        stripe_api_key=SecretStr("sk_test_x"),
        stripe_webhook_secret=SecretStr("whsec_x"),
        order_token_secret=SecretStr("t1:" + "d" * 43),
    )
    gateway = payment_gateway(settings)
    back = gateway._cards._return_url("o-1")  # type: ignore[attr-defined]
    parsed = urlparse(back)
    assert parsed.path == "/orders/o-1/back" and "token" not in parse_qs(parsed.query)
    nonce = parse_qs(parsed.query)["nonce"][0]
    grant = TokenKeys(settings.order_token_secret.get_secret_value()).read(nonce, "order", "o-1")
    assert grant is not None and grant.scope == "return"
    assert not grant.allows("read") and not grant.allows("act")
    assert Links("https://shop", "t1:" + "d" * 43).return_page("o-1") != back  # one-time


def mail_link(system: System, order_id: str) -> str | None:
    for path in system.mail.messages():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["X-Orderflow-Order"] == order_id:
            text = str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
            for word in text.split():
                if f"/orders/{order_id}?token=" in word:
                    return word
    return None


async def _found(system: System, order_id: str) -> str | None:
    return mail_link(system, order_id)


async def test_the_link_in_an_email_reads_and_acts_but_does_not_change_the_address(
    system: System,
) -> None:
    order_id, storefront = await place(system, "holdshop")
    await reaches(system, order_id, storefront, "paid")
    link = await wait_for(lambda: _found(system, order_id), within=30)
    token = parse_qs(urlparse(link).query)["token"][0]
    from_mail = {"Authorization": f"Bearer {token}"}
    assert (await system.api.get(f"/v1/orders/{order_id}", headers=from_mail)).status_code == 200
    refused = await system.api.patch(
        f"/v1/orders/{order_id}/shipping-address", headers=from_mail, json=NEW_ADDRESS
    )
    assert_problem(refused, 403, "Authorization")
    changed = await system.api.patch(
        f"/v1/orders/{order_id}/shipping-address", headers=storefront, json=NEW_ADDRESS
    )
    assert changed.status_code == 200, changed.text
    cancelled = await system.api.post(f"/v1/orders/{order_id}/cancel", headers=from_mail)
    assert cancelled.status_code == 200, cancelled.text


async def test_an_expired_token_and_one_of_a_retired_key_open_nothing(system: System) -> None:
    order_id, storefront = await place(system, "holdshop")
    assert (await system.api.get(f"/v1/orders/{order_id}", headers=storefront)).status_code == 200
    keys = TokenKeys(system.settings.order_token_secret.get_secret_value())
    expired = keys.issue("order", order_id, "full", datetime.now(UTC) - timedelta(seconds=1))
    retired = TokenKeys("old:" + "e" * 43).issue("order", order_id, "full", LATER)
    for token in (expired, retired):
        answer = await system.api.get(
            f"/v1/orders/{order_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert_problem(answer, 404)
    assert time.time() < LATER.timestamp()
