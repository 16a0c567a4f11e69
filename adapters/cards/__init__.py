"""Card issuers: the protocol every issuer of digital gift cards implements."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from domain.money import Money


class IssuerCard(BaseModel):
    """A card as its issuer answers for it. `code` is secret: it is sealed before it is kept
    and never logged."""

    card_id: str
    code: str
    card_type: str
    value: Money
    issued_at: datetime
    redeemed_at: datetime | None = None

    def __repr__(self) -> str:  # a card in a traceback shows no code
        return f"IssuerCard(card_id={self.card_id!r}, card_type={self.card_type!r})"

    __str__ = __repr__


class CardIssuer(Protocol):
    name: str

    async def issue(
        self, *, card_type: str, value: Money, reference: str, idempotency_key: str
    ) -> IssuerCard:
        """Issue one card of `card_type` worth `value`; the same key gives the same card."""
        ...

    async def lookup(self, card_id: str) -> IssuerCard:
        """The card as it stands now: whether, and when, it was redeemed."""
        ...
