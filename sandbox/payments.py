"""The sandbox card gateway: tokens, authorisation, capture, void, refund, and webhooks.

Test cards (any future expiry, any CVC) decide the outcome, like a real gateway's test mode.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sandbox.common import idempotent, new_id, require_key
from sandbox.state import SandboxState

TEST_CARDS: dict[str, str] = {
    "4242424242424242": "approved",
    "4000000000000002": "declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000119": "processing_error",
}
# Ready-made tokens, one per behaviour, for scripts and tests that skip tokenisation.
TEST_TOKENS = {f"pm_card_{b}": b for b in set(TEST_CARDS.values())}


class CardIn(BaseModel):
    number: str = Field(pattern=r"^\d{12,19}$")
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    cvc: str = Field(pattern=r"^\d{3,4}$")


class PaymentMethodIn(BaseModel):
    card: CardIn


class PaymentIn(BaseModel):
    amount: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: str
    reference: str
    capture: bool = False


class AmountIn(BaseModel):
    amount: int | None = Field(default=None, gt=0)


def _public(payment: dict[str, Any]) -> dict[str, Any]:
    return {
        k: payment[k]
        for k in ("id", "reference", "amount", "currency", "status", "decline_code", "refunded")
    }


def payments_router(state: SandboxState, api_key: str) -> APIRouter:
    router = APIRouter(prefix="/payments", tags=["sandbox payments"])
    auth = [Depends(require_key(api_key))]

    def emit(event_type: str, payment: dict[str, Any], **extra: Any) -> None:
        event_id = new_id("evt")
        state.enqueue_webhook(
            event_id,
            "payments",
            {
                "type": event_type,
                "created": int(time.time()),
                "data": {**_public(payment), **extra},
            },
        )

    def load(payment_id: str) -> dict[str, Any]:
        payment = state.one("SELECT * FROM payments WHERE id = ?", payment_id)
        if payment is None:
            raise HTTPException(404, f"no payment {payment_id}")
        return payment

    @router.post("/v1/payment_methods", dependencies=auth, status_code=201)
    def tokenise(body: PaymentMethodIn) -> dict[str, str]:
        behaviour = TEST_CARDS.get(body.card.number, "declined")
        token = new_id("pm")
        state.run(
            "INSERT INTO payment_methods VALUES (?, ?, ?)", token, behaviour, body.card.number[-4:]
        )
        return {"id": token, "last4": body.card.number[-4:]}

    @router.post("/v1/payments", dependencies=auth)
    def create_payment(
        body: PaymentIn, request: Request, idempotency_key: str | None = Header(None)
    ) -> JSONResponse:
        def handle() -> tuple[int, dict[str, Any]]:
            method = state.one(
                "SELECT behaviour FROM payment_methods WHERE id = ?", body.payment_method
            )
            behaviour = TEST_TOKENS.get(body.payment_method) or (method or {}).get("behaviour")
            if behaviour is None:
                return 400, {"error": "unknown payment_method"}
            if behaviour == "processing_error":
                return 500, {"error": "processing_error"}
            declined = behaviour in ("declined", "insufficient_funds")
            payment = {
                "id": new_id("pay"),
                "reference": body.reference,
                "amount": body.amount,
                "currency": body.currency,
                "method": body.payment_method,
                "status": "declined" if declined else "authorized",
                "decline_code": behaviour if declined else None,
                "refunded": 0,
                "created": time.time(),
            }
            state.db.execute(
                "INSERT INTO payments VALUES (:id, :reference, :amount, :currency, :method,"
                " :status, :decline_code, :refunded, :created)",
                payment,
            )
            emit("payment.declined" if declined else "payment.authorized", payment)
            return 201, _public(payment)

        return idempotent(state, request, idempotency_key, handle)

    @router.get("/v1/payments/{payment_id}", dependencies=auth)
    def get_payment(payment_id: str) -> dict[str, Any]:
        return _public(load(payment_id))

    @router.post("/v1/payments/{payment_id}/capture", dependencies=auth)
    def capture(
        payment_id: str,
        body: AmountIn,
        request: Request,
        idempotency_key: str | None = Header(None),
    ) -> JSONResponse:
        def handle() -> tuple[int, dict[str, Any]]:
            payment = load(payment_id)
            if payment["status"] == "captured":
                return 200, _public(payment)
            if payment["status"] != "authorized":
                return 409, {"error": f"payment is {payment['status']}, not authorized"}
            if body.amount is not None and body.amount > payment["amount"]:
                return 400, {"error": "capture above the authorised amount"}
            state.run(
                "UPDATE payments SET status = 'captured', amount = ? WHERE id = ?",
                body.amount or payment["amount"],
                payment_id,
            )
            payment = load(payment_id)
            emit("payment.captured", payment)
            return 200, _public(payment)

        return idempotent(state, request, idempotency_key, handle)

    @router.post("/v1/payments/{payment_id}/void", dependencies=auth)
    def void(
        payment_id: str, request: Request, idempotency_key: str | None = Header(None)
    ) -> JSONResponse:
        def handle() -> tuple[int, dict[str, Any]]:
            payment = load(payment_id)
            if payment["status"] == "voided":
                return 200, _public(payment)
            if payment["status"] != "authorized":
                return 409, {
                    "error": f"payment is {payment['status']}; only an authorisation voids"
                }
            state.run("UPDATE payments SET status = 'voided' WHERE id = ?", payment_id)
            payment = load(payment_id)
            emit("payment.voided", payment)
            return 200, _public(payment)

        return idempotent(state, request, idempotency_key, handle)

    @router.post("/v1/payments/{payment_id}/refunds", dependencies=auth)
    def refund(
        payment_id: str,
        body: AmountIn,
        request: Request,
        idempotency_key: str | None = Header(None),
    ) -> JSONResponse:
        def handle() -> tuple[int, dict[str, Any]]:
            payment = load(payment_id)
            if payment["status"] not in ("captured", "refunded"):
                return 409, {"error": f"payment is {payment['status']}; nothing to refund"}
            amount = body.amount or payment["amount"] - payment["refunded"]
            if amount <= 0 or payment["refunded"] + amount > payment["amount"]:
                return 400, {"error": "refund above what was captured"}
            refunded = payment["refunded"] + amount
            status = "refunded" if refunded == payment["amount"] else "captured"
            state.run(
                "UPDATE payments SET refunded = ?, status = ? WHERE id = ?",
                refunded,
                status,
                payment_id,
            )
            refund_id = new_id("re")
            emit("refund.succeeded", load(payment_id), refund_id=refund_id, refund_amount=amount)
            return 201, {
                "id": refund_id,
                "payment_id": payment_id,
                "amount": amount,
                "status": "succeeded",
            }

        return idempotent(state, request, idempotency_key, handle)

    return router
