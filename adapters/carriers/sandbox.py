"""The sandbox carrier's client: label purchase and tracking, over HTTP."""

from __future__ import annotations

from datetime import datetime

from adapters.carriers import Destination, Label
from adapters.http import ProviderClient
from domain.policy import Carrier


class SandboxCarrier:
    name = "sandbox"

    def __init__(self, base_url: str, api_key: str) -> None:
        self._client = ProviderClient(base_url, api_key)

    async def buy_label(
        self,
        *,
        carrier: Carrier,
        reference: str,
        destination: Destination,
        idempotency_key: str,
        pickup_at: datetime | None = None,
    ) -> Label:
        body = await self._client.call(
            "POST",
            "/v1/labels",
            idempotency_key=idempotency_key,
            json={
                "service": carrier.value,
                "reference": reference,
                "destination": destination.model_dump(),
                "pickup_at": pickup_at.isoformat() if pickup_at else None,
            },
        )
        return Label(
            label_id=body["label_id"],
            tracking_number=body["tracking_number"],
            carrier=Carrier(body["service"]),
        )

    async def void_label(self, label_id: str) -> bool:
        body = await self._client.call("POST", f"/v1/labels/{label_id}/void")
        return bool(body["voided"])

    async def track(self, tracking_number: str) -> str:
        body = await self._client.call("GET", f"/v1/tracking/{tracking_number}")
        return str(body["status"])

    async def aclose(self) -> None:
        await self._client.aclose()
