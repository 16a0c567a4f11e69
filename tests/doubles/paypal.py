"""PayPal's Orders v2 and Payments v2 as documented (OAuth client credentials,
`PayPal-Request-Id`, `Prefer: return=representation`, intent AUTHORIZE), with webhooks PayPal
itself vouches for through verify-webhook-signature: only events this double sent verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse

from tests.doubles.common import Double, new_id

WEBHOOK_ID = "8PT597110X687430LKGECATA"


def paypal_id() -> str:
    return new_id(length=17).upper()


class PayPalDouble(Double):
    def __init__(self, webhook_url: str, public_url: str) -> None:
        super().__init__(webhook_url)
        self.public_url = public_url
        self.orders: dict[str, dict[str, Any]] = {}
        self.sent: dict[str, str] = {}  # transmission ID -> event ID

    def unit(self, order_id: str) -> dict[str, Any]:
        unit: dict[str, Any] = self.orders[order_id]["purchase_units"][0]
        return unit

    def order_of(self, payment_id: str, kind: str) -> str:
        return next(
            o
            for o in self.orders
            if any(p["id"] == payment_id for p in self.unit(o).get("payments", {}).get(kind, []))
        )

    async def send(self, kind: str, resource_type: str, resource: dict[str, Any]) -> int:
        event = {
            "id": f"WH-{paypal_id()}",
            "event_version": "1.0",
            "create_time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "resource_type": resource_type,
            "event_type": kind,
            "resource": resource,
        }
        transmission = new_id(length=32)
        self.sent[transmission] = event["id"]
        return await self.deliver(
            json.dumps(event).encode(),
            {
                "PAYPAL-AUTH-ALGO": "SHA256withRSA",
                "PAYPAL-CERT-URL": f"{self.public_url}/v1/notifications/certs/CERT-1",
                "PAYPAL-TRANSMISSION-ID": transmission,
                "PAYPAL-TRANSMISSION-SIG": new_id(length=64),
                "PAYPAL-TRANSMISSION-TIME": event["create_time"],
            },
        )

    def app(self) -> FastAPI:
        router = APIRouter()

        @router.post("/v1/oauth2/token")
        async def token(request: Request) -> Any:
            assert request.headers["authorization"].startswith("Basic ")
            return {"access_token": "A21AA-double", "token_type": "Bearer", "expires_in": 32400}

        @router.post("/v2/checkout/orders")
        async def create(
            request: Request, paypal_request_id: str | None = Header(None)
        ) -> JSONResponse:
            sent = await request.json()

            def act() -> tuple[int, dict[str, Any]]:
                order_id = paypal_id()
                self.orders[order_id] = {
                    "id": order_id,
                    "intent": sent["intent"],
                    "status": "PAYER_ACTION_REQUIRED",
                    "purchase_units": sent["purchase_units"],
                    "links": [
                        {
                            "rel": "payer-action",
                            "method": "GET",
                            "href": f"{self.public_url}/_double/approve/{order_id}",
                        }
                    ],
                }
                return 200, self.orders[order_id]

            return self.once(paypal_request_id, act)

        @router.get("/v2/checkout/orders/{order_id}")
        async def show(order_id: str) -> Any:
            return self.orders[order_id]

        @router.post("/v2/checkout/orders/{order_id}/authorize")
        async def authorize(order_id: str, paypal_request_id: str | None = Header(None)) -> Any:
            order = self.orders[order_id]

            def act() -> tuple[int, dict[str, Any]]:
                if order["status"] != "APPROVED":
                    return 422, {
                        "name": "UNPROCESSABLE_ENTITY",
                        "details": [{"issue": "ORDER_NOT_APPROVED"}],
                    }
                order["status"] = "COMPLETED"
                amount = self.unit(order_id)["amount"]
                auth = {"id": paypal_id(), "status": "CREATED", "amount": amount}
                self.unit(order_id)["payments"] = {"authorizations": [auth]}
                return 201, order

            return self.once(paypal_request_id, act)

        @router.post("/v2/payments/authorizations/{auth_id}/capture")
        async def capture(
            auth_id: str, request: Request, paypal_request_id: str | None = Header(None)
        ) -> Any:
            sent, order_id = await request.json(), self.order_of(auth_id, "authorizations")
            payments = self.unit(order_id)["payments"]

            def act() -> tuple[int, dict[str, Any]]:
                payments["authorizations"][0]["status"] = "CAPTURED"
                made = {
                    "id": paypal_id(),
                    "status": "COMPLETED",
                    "amount": sent["amount"],
                    "custom_id": self.unit(order_id).get("custom_id"),
                }
                payments["captures"] = [made]
                return 201, made

            return self.once(paypal_request_id, act)

        @router.post("/v2/payments/authorizations/{auth_id}/void")
        async def void(auth_id: str, paypal_request_id: str | None = Header(None)) -> Response:
            order_id = self.order_of(auth_id, "authorizations")
            self.unit(order_id)["payments"]["authorizations"][0]["status"] = "VOIDED"
            return Response(status_code=204)

        @router.post("/v2/payments/captures/{capture_id}/refund")
        async def refund(
            capture_id: str, request: Request, paypal_request_id: str | None = Header(None)
        ) -> Any:
            sent = await request.json()

            def act() -> tuple[int, dict[str, Any]]:
                return 201, {"id": paypal_id(), "status": "COMPLETED", "amount": sent["amount"]}

            return self.once(paypal_request_id, act)

        @router.post("/v1/notifications/verify-webhook-signature")
        async def verify(request: Request) -> Any:
            sent = await request.json()
            genuine = (
                sent["webhook_id"] == WEBHOOK_ID
                and self.sent.get(sent["transmission_id"]) == sent["webhook_event"]["id"]
            )
            return {"verification_status": "SUCCESS" if genuine else "FAILURE"}

        @router.post("/_double/approve/{order_id}")
        async def approve(order_id: str) -> JSONResponse:
            order = self.orders[order_id]
            order["status"] = "APPROVED"
            return JSONResponse(
                {"webhook": await self.send("CHECKOUT.ORDER.APPROVED", "checkout-order", order)}
            )

        app = FastAPI()
        app.include_router(router)
        return app
