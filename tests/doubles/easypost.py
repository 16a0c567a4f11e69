"""EasyPost's Trackers as documented (the API key as the basic-auth user, `{"tracker": …}`,
one tracker per tracking code), with `tracker.updated` events signed by their HMAC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from adapters.carriers.easypost import signature
from tests.doubles.common import Double, new_id


class EasyPostDouble(Double):
    def __init__(self, webhook_url: str, secret: str) -> None:
        super().__init__(webhook_url)
        self.secret = secret
        self.trackers: dict[str, dict[str, Any]] = {}  # by tracking code

    async def move(self, code: str, status: str) -> int:
        """The carrier scans the parcel: the tracker moves and EasyPost tells the webhook."""
        tracker = self.trackers[code]
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        tracker["status"], tracker["updated_at"] = status, now
        tracker["tracking_details"].append({"status": status, "datetime": now, "message": status})
        event = {
            "id": new_id("evt_", 24),
            "object": "Event",
            "description": "tracker.updated",
            "mode": "test",
            "result": tracker,
        }
        body = json.dumps(event).encode()
        return await self.deliver(body, {"X-Hmac-Signature": signature(body, self.secret)})

    def app(self) -> FastAPI:
        router = APIRouter()

        @router.post("/v2/trackers")
        async def create(request: Request) -> Any:
            assert request.headers["authorization"].startswith("Basic ")
            sent = (await request.json())["tracker"]
            code = sent["tracking_code"]
            if code not in self.trackers:
                self.trackers[code] = {
                    "id": new_id("trk_", 32),
                    "object": "Tracker",
                    "tracking_code": code,
                    "carrier": sent.get("carrier", "USPS"),
                    "status": "pre_transit",
                    "tracking_details": [],
                    "updated_at": None,
                }
            return self.trackers[code]

        @router.get("/v2/trackers/{tracker_id}")
        async def read(tracker_id: str) -> Any:
            found = [t for t in self.trackers.values() if t["id"] == tracker_id]
            if not found:
                return JSONResponse({"error": {"code": "NOT_FOUND"}}, status_code=404)
            return found[0]

        app = FastAPI()
        app.include_router(router)
        return app
