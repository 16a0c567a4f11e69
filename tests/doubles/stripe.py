"""Stripe's PaymentIntents and Refunds as its API documents them (form-encoded requests,
`Idempotency-Key`, 402 card errors carrying the PaymentIntent), with webhooks signed by
stripe's own header generator. Test cards by their documented PaymentMethod IDs."""

from __future__ import annotations

import json
import time
from typing import Any

import stripe
from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from tests.doubles.common import Double, form, new_id

DECLINED = {
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_visa_chargeDeclined": "card_declined",
}
CHALLENGED = {"pm_card_threeDSecure2Required"}


class StripeDouble(Double):
    def __init__(self, webhook_url: str, secret: str, public_url: str) -> None:
        super().__init__(webhook_url)
        self.secret, self.public_url = secret, public_url
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []

    async def send(self, kind: str, obj: dict[str, Any]) -> int:
        event = {
            "id": new_id("evt_"),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(
            secret=self.secret, payload=body, timestamp=int(time.time())
        )
        return await self.deliver(body.encode(), {"Stripe-Signature": header})

    def create(self, sent: dict[str, str]) -> tuple[int, dict[str, Any]]:
        method = sent["payment_method"]
        intent: dict[str, Any] = {
            "id": new_id("pi_", 24),
            "object": "payment_intent",
            "amount": int(sent["amount"]),
            "currency": sent["currency"],
            "capture_method": sent.get("capture_method", "automatic"),
            "metadata": {"order_id": sent.get("metadata[order_id]")},
            "next_action": None,
            "last_payment_error": None,
            "payment_method": {"id": method, "object": "payment_method", "card": {"country": "LV"}},
            "amount_received": 0,
        }
        self.intents[intent["id"]] = intent
        challenge = sent.get("payment_method_options[card][request_three_d_secure]") == "any"
        if method in DECLINED:
            code = DECLINED[method]
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {"code": "card_declined", "decline_code": code}
            error = {"type": "card_error", "code": "card_declined", "decline_code": code}
            return 402, {"error": {**error, "message": "declined", "payment_intent": intent}}
        if method in CHALLENGED or challenge:
            url = f"{self.public_url}/_double/3ds/{intent['id']}"
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "redirect_to_url", "redirect_to_url": {"url": url}}
        elif sent.get("capture_method") == "manual":
            intent["status"] = "requires_capture"
        else:
            intent["status"] = "succeeded"
        return 200, intent

    def app(self) -> FastAPI:
        router = APIRouter()

        @router.post("/v1/payment_intents")
        async def create(request: Request, idempotency_key: str | None = Header(None)) -> Any:
            sent = await form(request)
            return self.once(idempotency_key, lambda: self.create(sent))

        @router.get("/v1/payment_intents/{intent_id}")
        async def retrieve(intent_id: str) -> Any:
            return self.intents[intent_id]

        @router.post("/v1/payment_intents/{intent_id}/capture")
        async def capture(
            intent_id: str, request: Request, idempotency_key: str | None = Header(None)
        ) -> Any:
            sent, intent = await form(request), self.intents[intent_id]

            def act() -> tuple[int, dict[str, Any]]:
                if intent["status"] != "requires_capture":
                    return 400, {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "payment_intent_unexpected_state",
                        }
                    }
                intent["status"] = "succeeded"
                intent["amount_received"] = int(sent.get("amount_to_capture", intent["amount"]))
                return 200, dict(intent)

            return self.once(idempotency_key, act)

        @router.post("/v1/payment_intents/{intent_id}/cancel")
        async def cancel(intent_id: str, idempotency_key: str | None = Header(None)) -> Any:
            intent = self.intents[intent_id]

            def act() -> tuple[int, dict[str, Any]]:
                intent["status"] = "canceled"
                return 200, dict(intent)

            return self.once(idempotency_key, act)

        @router.post("/v1/refunds")
        async def refund(request: Request, idempotency_key: str | None = Header(None)) -> Any:
            sent = await form(request)

            def act() -> tuple[int, dict[str, Any]]:
                made = {
                    "id": new_id("re_", 24),
                    "object": "refund",
                    "status": "succeeded",
                    "amount": int(sent["amount"]),
                    "payment_intent": sent["payment_intent"],
                }
                self.refunds.append(made)
                return 200, made

            return self.once(idempotency_key, act)

        @router.post("/_double/3ds/{intent_id}")
        async def pass_challenge(intent_id: str) -> JSONResponse:
            intent = self.intents[intent_id]
            intent["status"], intent["next_action"] = "requires_capture", None
            status = await self.send("payment_intent.amount_capturable_updated", intent)
            return JSONResponse({"webhook": status})

        app = FastAPI()
        app.include_router(router)
        return app
