"""The sandbox carrier: labels for DHL, post, FedEx and airmail, tracking, and scan webhooks.

A label is bought with the merchant's pickup time; the parcel is scanned picked_up when the
carrier collects it (at that pickup, or one step after the label when none is booked), then
in_transit, out_for_delivery and delivered N seconds apart. A label not yet collected can
be voided, and its parcel is never scanned. Like test cards at a payment gateway, a test address decides
the outcome: a first address line starting with "Undeliverable" comes back to the sender
after in_transit, one starting with "Customs refused" comes back refused at customs. A control endpoint posts any scan at once, for tests and demos.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sandbox.common import idempotent, new_id, require_key
from sandbox.state import SandboxState

log = structlog.get_logger("orderflow.sandbox.carrier")

ROUTES = {
    "deliver": ("picked_up", "in_transit", "out_for_delivery", "delivered"),
    "back": ("picked_up", "in_transit", "return_to_sender"),
    "customs": ("picked_up", "in_transit", "return_to_sender"),
}
# Why a route's parcel comes back, said with its return_to_sender scan.
BACK_REASONS = {"back": "address", "customs": "customs"}
TEST_ADDRESSES = {"undeliverable": "back", "customs refused": "customs"}
# A destination whose first line starts so is outside the carrier's network: its label is
# refused for good.
REFUSED_ADDRESS = "outside the network"
Scan = Literal[
    "pre_transit",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "exception",
    "return_to_sender",
    "lost",
]


class DestinationIn(BaseModel):
    name: str
    line1: str
    line2: str = ""
    city: str
    postal_code: str = ""
    country: str = Field(pattern=r"^[A-Z]{2}$")


class LabelIn(BaseModel):
    service: Literal["dhl", "post", "fedex", "airmail"]
    reference: str
    destination: DestinationIn
    pickup_at: datetime | None = None


class ScanIn(BaseModel):
    status: Scan
    occurred_at: datetime | None = None
    reason: Literal["address", "customs"] | None = None


def emit_scan(
    state: SandboxState,
    shipment: dict[str, Any],
    status: str,
    occurred_at: datetime | None = None,
    reason: str | None = None,
) -> str:
    event_id = new_id("trk")
    state.run(
        "UPDATE shipments SET status = ? WHERE tracking_number = ?",
        status,
        shipment["tracking_number"],
    )
    state.enqueue_webhook(
        event_id,
        "carriers",
        {
            "type": "tracking.updated",
            "data": {
                "tracking_number": shipment["tracking_number"],
                "service": shipment["service"],
                "reference": shipment["reference"],
                "status": status,
                "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
                **({"reason": reason} if reason else {}),
            },
        },
    )
    return event_id


def carriers_router(state: SandboxState, api_key: str, step_seconds: float) -> APIRouter:
    router = APIRouter(prefix="/carriers", tags=["sandbox carrier"])
    auth = [Depends(require_key(api_key))]

    def load(tracking_number: str) -> dict[str, Any]:
        shipment = state.one("SELECT * FROM shipments WHERE tracking_number = ?", tracking_number)
        if shipment is None:
            raise HTTPException(404, f"no shipment {tracking_number}")
        return shipment

    @router.post("/v1/labels", dependencies=auth)
    async def buy_label(
        body: LabelIn, request: Request, idempotency_key: str | None = Header(None)
    ) -> JSONResponse:
        def handle() -> tuple[int, dict[str, Any]]:
            tracking = f"SB{secrets.randbelow(10**10):010d}{body.service[:2].upper()}"
            label_id = new_id("lbl")
            next_at = time.time() + step_seconds if step_seconds > 0 else None
            if next_at is not None and body.pickup_at is not None:
                next_at = max(next_at, body.pickup_at.timestamp())
            line1 = body.destination.line1.lower()
            if line1.startswith(REFUSED_ADDRESS):
                return 422, {"error": "address outside the carrier's network"}
            route = next(
                (route for start, route in TEST_ADDRESSES.items() if line1.startswith(start)),
                "deliver",
            )
            state.run(
                "INSERT INTO shipments (tracking_number, label_id, service, reference,"
                " status, step, next_at, created, route)"
                " VALUES (?, ?, ?, ?, 'label_created', 0, ?, ?, ?)",
                tracking,
                label_id,
                body.service,
                body.reference,
                next_at,
                time.time(),
                route,
            )
            return 201, {
                "label_id": label_id,
                "tracking_number": tracking,
                "service": body.service,
                "label_url": f"/carriers/v1/labels/{label_id}.pdf",
            }

        return idempotent(state, request, idempotency_key, handle)

    @router.post("/v1/labels/{label_id}/void", dependencies=auth)
    async def void_label(label_id: str) -> dict[str, Any]:
        shipment = state.one("SELECT * FROM shipments WHERE label_id = ?", label_id)
        if shipment is None:
            raise HTTPException(404, f"no label {label_id}")
        if shipment["status"] not in ("label_created", "voided"):
            return {"label_id": label_id, "voided": False, "status": shipment["status"]}
        state.run(
            "UPDATE shipments SET status = 'voided', next_at = NULL WHERE label_id = ?", label_id
        )
        return {"label_id": label_id, "voided": True, "status": "voided"}

    @router.get("/v1/tracking/{tracking_number}", dependencies=auth)
    async def track(tracking_number: str) -> dict[str, Any]:
        shipment = load(tracking_number)
        return {
            "tracking_number": tracking_number,
            "status": shipment["status"],
            "service": shipment["service"],
        }

    @router.post(
        "/v1/sandbox/shipments/{tracking_number}/scans", dependencies=auth, status_code=202
    )
    async def scan_now(tracking_number: str, body: ScanIn) -> dict[str, str]:
        shipment = load(tracking_number)
        state.run("UPDATE shipments SET next_at = NULL WHERE tracking_number = ?", tracking_number)
        return {"event_id": emit_scan(state, shipment, body.status, body.occurred_at, body.reason)}

    return router


async def progress_parcels(state: SandboxState, step_seconds: float, interval: float = 0.2) -> None:
    """Scan every parcel whose next step is due, as a carrier's network would."""
    while True:
        try:
            for shipment in state.all(
                "SELECT * FROM shipments WHERE next_at IS NOT NULL AND next_at <= ?", time.time()
            ):
                step, route = shipment["step"], ROUTES[shipment["route"]]
                back = route[step] == "return_to_sender"
                emit_scan(
                    state,
                    shipment,
                    route[step],
                    reason=BACK_REASONS.get(shipment["route"]) if back else None,
                )
                done = step + 1 >= len(route)
                state.run(
                    "UPDATE shipments SET step = ?, next_at = ? WHERE tracking_number = ?",
                    step + 1,
                    None if done else time.time() + step_seconds,
                    shipment["tracking_number"],
                )
        except Exception:
            log.exception("parcel progression failed")
        await asyncio.sleep(interval)
