"""The sandbox card issuer's client: the calls a real gift-card issuer takes, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.cards import IssuerCard
from adapters.http import ProviderClient
from domain.money import Money


def _card(body: dict[str, Any]) -> IssuerCard:
    redeemed = body.get("redeemed_at")
    return IssuerCard(
        card_id=body["id"],
        code=body["code"],
        card_type=body["card_type"],
        value=Money.from_minor(int(body["amount"]), body["currency"]),
        issued_at=datetime.fromtimestamp(body["issued_at"], UTC),
        redeemed_at=datetime.fromtimestamp(redeemed, UTC) if redeemed else None,
    )


class SandboxCardIssuer:
    name = "sandbox"

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0) -> None:
        self._client = ProviderClient(base_url, api_key, timeout=timeout)

    async def issue(
        self, *, card_type: str, value: Money, reference: str, idempotency_key: str
    ) -> IssuerCard:
        body = await self._client.call(
            "POST",
            "/v1/cards",
            idempotency_key=idempotency_key,
            json={
                "card_type": card_type,
                "amount": value.minor_units,
                "currency": value.currency,
                "reference": reference,
            },
        )
        return _card(body)

    async def lookup(self, card_id: str) -> IssuerCard:
        return _card(await self._client.call("GET", f"/v1/cards/{card_id}"))

    async def aclose(self) -> None:
        await self._client.aclose()
