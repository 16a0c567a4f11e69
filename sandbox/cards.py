"""The sandbox card issuer: digital gift-card codes for a card type and value, lookups,
redemption, and a signed webhook when a card is redeemed.

Codes mix upper and lower case, as many issuers' do, so that anything that changes their case
on the way to the customer shows. A control endpoint redeems a card the way a shopper at the
brand would, for tests and demos.
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sandbox.common import idempotent, new_id, require_key
from sandbox.state import SandboxState

ALPHABET = string.ascii_letters + string.digits


class CardIn(BaseModel):
    card_type: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    amount: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    reference: str = Field(min_length=1, max_length=100)


def new_code() -> str:
    """Four groups of four letters and digits, case-sensitive."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(4))


def cards_router(state: SandboxState, api_key: str) -> APIRouter:
    router = APIRouter(prefix="/cards", tags=["sandbox card issuer"])
    auth = [Depends(require_key(api_key))]

    def load(card_id: str) -> dict[str, Any]:
        card = state.one("SELECT * FROM cards WHERE id = ?", card_id)
        if card is None:
            raise HTTPException(404, f"no card {card_id}")
        return card

    @router.post("/v1/cards", dependencies=auth)
    async def issue(
        body: CardIn, request: Request, idempotency_key: str | None = Header(None)
    ) -> JSONResponse:
        def handle() -> tuple[int, dict[str, Any]]:
            card = {
                "id": new_id("gc"),
                "code": new_code(),
                "card_type": body.card_type,
                "amount": body.amount,
                "currency": body.currency,
                "reference": body.reference,
                "issued_at": time.time(),
            }
            state.run(
                "INSERT INTO cards (id, code, card_type, amount, currency, reference, issued_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                *card.values(),
            )
            return 201, load(card["id"])

        return idempotent(state, request, idempotency_key, handle)

    @router.get("/v1/cards/{card_id}", dependencies=auth)
    async def lookup(card_id: str) -> dict[str, Any]:
        return load(card_id)

    @router.post("/v1/sandbox/cards/{card_id}/redeem", dependencies=auth)
    async def redeem(card_id: str) -> dict[str, Any]:
        """A shopper spends the card at the brand: it is used up, and the merchant told."""
        card = load(card_id)
        if card["redeemed_at"] is not None:
            raise HTTPException(409, f"card {card_id} was already redeemed")
        state.run("UPDATE cards SET redeemed_at = ? WHERE id = ?", time.time(), card_id)
        card = load(card_id)
        public = {k: v for k, v in card.items() if k != "code"}
        state.enqueue_webhook(
            new_id("evt"),
            "cards",
            {"type": "card.redeemed", "created": int(time.time()), "data": public},
        )
        return card

    return router
