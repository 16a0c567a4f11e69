"""Card issuer activities: issue a digital gift card once per key and keep its code sealed;
ask the issuer whether a card was redeemed; keep each card's status for the order's page."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from activities.payments import provider_refusals
from adapters.cards import CardIssuer
from domain.digital import CardLookup, CardMarks, CardState, CardToIssue, IssuedCard
from domain.errors import ErrorType
from store import cards
from store.sealing import Sealer


async def card_codes(
    pool: asyncpg.Pool, sealer: Sealer, order_id: str, card_ids: list[str] | None = None
) -> dict[str, str]:
    """The codes of an order's cards (those named, or all), opened for the customer."""
    return {
        row["card_id"]: sealer.open(row["key_id"], bytes(row["code_sealed"]), row["card_id"])
        for row in await cards.of_order(pool, order_id)
        if card_ids is None or row["card_id"] in card_ids
    }


class CardActivities:
    def __init__(self, pool: asyncpg.Pool, issuer: CardIssuer, sealer: Sealer) -> None:
        self._pool, self._issuer, self._sealer = pool, issuer, sealer

    @activity.defn(name="issue_digital_card")
    async def issue_digital_card(self, request: CardToIssue) -> IssuedCard:
        """The issuer's card for this key, issued the first time; only its ID leaves here."""
        kept = await cards.by_key(self._pool, request.idempotency_key)
        if kept is not None:
            return IssuedCard(card_id=kept["card_id"], issued_at=kept["issued_at"])
        with provider_refusals(ErrorType.CARD_REJECTED):
            card = await self._issuer.issue(
                card_type=request.sku,
                value=request.value,
                reference=request.order_id,
                idempotency_key=request.idempotency_key,
            )
        key_id, sealed = self._sealer.seal(card.code, card.card_id)
        await cards.keep(
            self._pool,
            card_id=card.card_id,
            order_id=request.order_id,
            idempotency_key=request.idempotency_key,
            line=request.line,
            unit=request.unit,
            sku=request.sku,
            amount=request.value.amount,
            currency=request.value.currency,
            issuer=self._issuer.name,
            key_id=key_id,
            code_sealed=sealed,
            issued_at=card.issued_at,
        )
        kept = await cards.by_key(self._pool, request.idempotency_key)
        assert kept is not None
        return IssuedCard(card_id=kept["card_id"], issued_at=kept["issued_at"])

    @activity.defn(name="digital_card_state")
    async def digital_card_state(self, request: CardLookup) -> CardState:
        """The issuer's word on whether, and when, the card was redeemed."""
        with provider_refusals(ErrorType.CARD_REJECTED):
            card = await self._issuer.lookup(request.card_id)
        return CardState(card_id=card.card_id, redeemed_at=card.redeemed_at)

    @activity.defn(name="mark_digital_cards")
    async def mark_digital_cards(self, request: CardMarks) -> None:
        for mark in request.marks:
            await cards.mark(
                self._pool, mark.card_id, mark.status.value, mark.expires_at, mark.redeemed_at
            )
