"""The sandbox payment gateway: card tokens, 3-D Secure, PayPal, e-invoices, capture, void,
refund, reversals, and a signed webhook for every change.

Test cards (any future expiry, any CVC) decide the outcome, like a real gateway's test mode. A
payment that needs the customer (a 3-D Secure challenge, a PayPal approval, an invoice) answers
`requires_action` with `next_action.url`, a page of this sandbox where the customer acts; the
outcome then arrives as a webhook. Faults can be armed for tests: a 500, or a timeout after
the work was done; the sandbox counts those that fired.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from html import escape
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from sandbox.common import idempotent, new_id, require_key
from sandbox.state import SandboxState

# number -> (behaviour, issuing country)
TEST_CARDS: dict[str, tuple[str, str]] = {
    "4242424242424242": ("approved", "US"),
    "4000000760000002": ("approved", "BR"),
    "4000000000000002": ("declined", "US"),
    "4000000000009995": ("insufficient_funds", "US"),
    "4000000000000119": ("processing_error", "US"),
    "4000000000003220": ("3ds_required", "US"),
    "4000008400001629": ("3ds_failed", "US"),
    # saved fine and charged with the customer present; declined when charged without them
    "4000000000000341": ("off_session_declined", "US"),
    # authorised, then its capture refused by the issuer for good (the authorisation stays open)
    "4000000000000259": ("capture_refused", "US"),
}
# Ready-made tokens, one per behaviour, for scripts and tests that skip tokenisation.
TEST_TOKENS = {f"pm_card_{b}": b for b, _ in TEST_CARDS.values()}
CHALLENGED = ("3ds_required", "3ds_failed")
DECLINED = ("declined", "insufficient_funds")


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
    payment_method: str = Field(description='a card token, or "paypal"')
    reference: str
    capture: bool = False
    three_d_secure: Literal["automatic", "required"] = "automatic"
    off_session: bool = Field(
        False, description="a charge of a saved card without the customer: nothing can challenge"
    )


class InvoiceIn(BaseModel):
    amount: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    reference: str
    expires_at: int = Field(description="Unix time after which the pay link no longer works")


class AmountIn(BaseModel):
    amount: int | None = Field(default=None, gt=0)


class FaultIn(BaseModel):
    """Make the next `times` calls of an operation fail the way real providers do."""

    operation: Literal["authorize", "capture", "refund", "void"]
    mode: Literal["error", "timeout_after_success"]
    times: int = Field(1, ge=1, le=100)
    delay_seconds: float = Field(15.0, ge=0, le=120)


HOSTED = {"card": "challenge", "paypal": "paypal", "invoice": "invoices"}
# The page a customer sees, by payment kind: title, text, and its buttons (label: outcome).
PAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "card": (
        "3-D Secure check",
        "Confirm the payment of {amount}.",
        {"Confirm": "complete", "Fail the check": "fail"},
    ),
    "paypal": (
        "PayPal",
        "Approve paying {amount}.",
        {"Approve": "approve", "Cancel and return": "cancel"},
    ),
    "invoice": ("Invoice", "Pay {amount} by bank transfer.", {"Pay": "pay"}),
}


def _page(
    title: str, text: str, actions: dict[str, str], return_url: str | None = None
) -> HTMLResponse:
    back = f"&return_url={quote(return_url, safe='')}" if return_url else ""
    buttons = "".join(
        f'<form method="post" action="?outcome={escape(value)}{escape(back)}">'
        f"<button>{escape(label)}</button></form>"
        for label, value in actions.items()
    )
    return HTMLResponse(
        f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
        f"<p>{escape(text)}</p>{buttons}"
    )


def returning(url: str | None) -> str | None:
    """A return URL the hosted pages follow: http(s) only, nothing else."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def payments_router(state: SandboxState, api_key: str, public_url: str) -> APIRouter:
    router = APIRouter(prefix="/payments", tags=["sandbox payments"])
    auth = [Depends(require_key(api_key))]
    faults: dict[str, FaultIn] = {}
    fired: dict[str, int] = {}  # operation -> faults that fired on it
    base = public_url.rstrip("/")

    def public(payment: dict[str, Any]) -> dict[str, Any]:
        body = {
            k: payment.get(k)
            for k in (
                "id",
                "kind",
                "reference",
                "amount",
                "currency",
                "status",
                "decline_code",
                "refunded",
                "card_country",
                "expires_at",
            )
        }
        if payment["status"] == "requires_action":
            body["next_action"] = {
                "type": "redirect",
                "url": f"{base}/{HOSTED[payment['kind']]}/{payment['id']}",
            }
        return body

    def emit(event_type: str, payment: dict[str, Any], **extra: Any) -> None:
        state.enqueue_webhook(
            new_id("evt"),
            "payments",
            {"type": event_type, "created": int(time.time()), "data": {**public(payment), **extra}},
        )

    def load(payment_id: str) -> dict[str, Any]:
        payment = state.one("SELECT * FROM payments WHERE id = ?", payment_id)
        if payment is None:
            raise HTTPException(404, f"no payment {payment_id}")
        return payment

    def insert(payment: dict[str, Any]) -> dict[str, Any]:
        row = {
            "decline_code": None,
            "refunded": 0,
            "created": time.time(),
            "challenge": None,
            "card_country": None,
            "expires_at": None,
            **payment,
        }
        state.db.execute(
            "INSERT INTO payments (id, reference, amount, currency, method, status, decline_code,"
            " refunded, created, kind, challenge, card_country, expires_at) VALUES (:id,"
            " :reference, :amount, :currency, :method, :status, :decline_code, :refunded,"
            " :created, :kind, :challenge, :card_country, :expires_at)",
            row,
        )
        return load(row["id"])

    def behaviour_of(payment: dict[str, Any]) -> str | None:
        """The test card's behaviour behind a payment (None for PayPal and invoices)."""
        method = state.one("SELECT behaviour FROM payment_methods WHERE id = ?", payment["method"])
        return TEST_TOKENS.get(payment["method"]) or (method or {}).get("behaviour")

    def move(payment_id: str, status: str, event: str, decline_code: str | None = None) -> None:
        state.run(
            "UPDATE payments SET status = ?, decline_code = ? WHERE id = ?",
            status,
            decline_code,
            payment_id,
        )
        emit(event, load(payment_id))

    async def faulty(operation: str, request: Request, key: str | None, handle: Any) -> Response:
        """Apply an injected fault to this call, if one is armed."""
        fault = faults.get(operation)
        if fault is None:
            return idempotent(state, request, key, handle)
        fault.times -= 1
        if fault.times <= 0:
            del faults[operation]
        fired[f"{operation} {fault.mode}"] = fired.get(f"{operation} {fault.mode}", 0) + 1
        if fault.mode == "error":
            return JSONResponse({"error": "injected provider error"}, status_code=500)
        answer = idempotent(state, request, key, handle)
        await asyncio.sleep(fault.delay_seconds)  # the work is done; the answer is late
        return answer

    @router.post("/v1/payment_methods", dependencies=auth, status_code=201)
    async def tokenise(body: PaymentMethodIn) -> dict[str, str]:
        behaviour, country = TEST_CARDS.get(body.card.number, ("declined", "US"))
        token = new_id("pm")
        state.run(
            "INSERT INTO payment_methods (id, behaviour, last4, country) VALUES (?, ?, ?, ?)",
            token,
            behaviour,
            body.card.number[-4:],
            country,
        )
        return {"id": token, "last4": body.card.number[-4:], "country": country}

    @router.post("/v1/payments", dependencies=auth)
    async def create_payment(
        body: PaymentIn, request: Request, idempotency_key: str | None = Header(None)
    ) -> Response:
        def handle() -> tuple[int, dict[str, Any]]:
            common = {
                "id": new_id("pay"),
                "reference": body.reference,
                "amount": body.amount,
                "currency": body.currency,
                "method": body.payment_method,
            }
            if body.payment_method == "paypal":
                payment = insert({**common, "kind": "paypal", "status": "requires_action"})
                emit("payment.requires_action", payment)
                return 201, public(payment)
            method = state.one(
                "SELECT behaviour, country FROM payment_methods WHERE id = ?", body.payment_method
            )
            behaviour = TEST_TOKENS.get(body.payment_method) or (method or {}).get("behaviour")
            if behaviour is None:
                return 400, {"error": "unknown payment_method"}
            if behaviour == "processing_error":
                return 500, {"error": "processing_error"}
            card = {**common, "kind": "card", "card_country": (method or {}).get("country")}
            declined = behaviour if behaviour in DECLINED else None
            if body.off_session and behaviour == "off_session_declined":
                declined = "card_declined"
            elif body.off_session and (
                behaviour in CHALLENGED or body.three_d_secure == "required"
            ):
                declined = "authentication_required"  # no customer to pass a challenge
            if declined:
                payment = insert({**card, "status": "declined", "decline_code": declined})
                emit("payment.failed", payment)
            elif behaviour in CHALLENGED or body.three_d_secure == "required":
                challenge = "fail" if behaviour == "3ds_failed" else "pass"
                payment = insert({**card, "status": "requires_action", "challenge": challenge})
                emit("payment.requires_action", payment)
            elif body.capture:
                payment = insert({**card, "status": "captured"})
                emit("payment.captured", payment)
            else:
                payment = insert({**card, "status": "authorized"})
                emit("payment.authorized", payment)
            return 201, public(payment)

        return await faulty("authorize", request, idempotency_key, handle)

    @router.post("/v1/invoices", dependencies=auth)
    async def create_invoice(
        body: InvoiceIn, request: Request, idempotency_key: str | None = Header(None)
    ) -> JSONResponse:
        def handle() -> tuple[int, dict[str, Any]]:
            invoice = insert(
                {
                    "id": new_id("inv"),
                    "reference": body.reference,
                    "amount": body.amount,
                    "currency": body.currency,
                    "method": "invoice",
                    "kind": "invoice",
                    "status": "requires_action",
                    "expires_at": float(body.expires_at),
                }
            )
            emit("invoice.created", invoice)
            return 201, public(invoice)

        return idempotent(state, request, idempotency_key, handle)

    @router.get("/v1/payments/{payment_id}", dependencies=auth)
    async def get_payment(payment_id: str) -> dict[str, Any]:
        return public(load(payment_id))

    @router.post("/v1/payments/{payment_id}/capture", dependencies=auth)
    async def capture(
        payment_id: str,
        body: AmountIn,
        request: Request,
        idempotency_key: str | None = Header(None),
    ) -> Response:
        def handle() -> tuple[int, dict[str, Any]]:
            payment = load(payment_id)
            if payment["status"] == "captured":
                return 200, public(payment)
            if payment["status"] != "authorized":
                return 409, {"error": f"payment is {payment['status']}, not authorized"}
            if body.amount is not None and body.amount > payment["amount"]:
                return 400, {"error": "capture above the authorised amount"}
            if behaviour_of(payment) == "capture_refused":
                return 402, {"error": "the issuer refused the capture"}
            state.run(
                "UPDATE payments SET status = 'captured', amount = ? WHERE id = ?",
                body.amount or payment["amount"],
                payment_id,
            )
            payment = load(payment_id)
            emit("payment.captured", payment)
            return 200, public(payment)

        return await faulty("capture", request, idempotency_key, handle)

    @router.post("/v1/payments/{payment_id}/void", dependencies=auth)
    async def void(
        payment_id: str, request: Request, idempotency_key: str | None = Header(None)
    ) -> Response:
        def handle() -> tuple[int, dict[str, Any]]:
            payment = load(payment_id)
            if payment["status"] == "voided":
                return 200, public(payment)
            if payment["status"] not in ("authorized", "requires_action"):
                return 409, {"error": f"payment is {payment['status']}; only an open payment voids"}
            move(payment_id, "voided", "payment.voided")
            return 200, public(load(payment_id))

        return await faulty("void", request, idempotency_key, handle)

    @router.post("/v1/payments/{payment_id}/refunds", dependencies=auth)
    async def refund(
        payment_id: str,
        body: AmountIn,
        request: Request,
        idempotency_key: str | None = Header(None),
    ) -> Response:
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
            state.run(
                "INSERT INTO refunds (id, payment_id, amount, created) VALUES (?, ?, ?, ?)",
                refund_id,
                payment_id,
                amount,
                time.time(),
            )
            emit("refund.succeeded", load(payment_id), refund_id=refund_id, refund_amount=amount)
            return 201, {
                "id": refund_id,
                "payment_id": payment_id,
                "amount": amount,
                "status": "succeeded",
            }

        return await faulty("refund", request, idempotency_key, handle)

    # -- the pages a customer is redirected to --------------------------------------------

    def open_payment(payment_id: str, kind: str) -> dict[str, Any]:
        payment = load(payment_id)
        if payment["kind"] != kind:
            raise HTTPException(404, f"no {kind} payment {payment_id}")
        if payment["status"] != "requires_action":
            raise HTTPException(409, f"payment is {payment['status']}: nothing left to do here")
        return payment

    def page_route(kind: str) -> Callable[[str], HTMLResponse]:
        title, text, actions = PAGES[kind]

        def page(payment_id: str, return_url: str | None = None) -> HTMLResponse:
            payment = open_payment(payment_id, kind)
            amount = f"{payment['amount'] / 100:.2f} {payment['currency']}"
            return _page(title, text.format(amount=amount), actions, returning(return_url))

        return page

    for kind, path in HOSTED.items():
        router.add_api_route(
            f"/{path}/{{payment_id}}", page_route(kind), methods=["GET"], include_in_schema=False
        )

    def answer(payment_id: str, return_url: str | None) -> Any:
        """Back to the shop's page when it gave one, as a provider's hosted page does."""
        back = returning(return_url)
        return RedirectResponse(back, status_code=303) if back else public(load(payment_id))

    @router.post("/challenge/{payment_id}", response_model=None)
    async def complete_challenge(
        payment_id: str,
        outcome: Literal["complete", "fail"] = "complete",
        return_url: str | None = None,
    ) -> Any:
        payment = open_payment(payment_id, "card")
        if outcome == "complete" and payment["challenge"] == "pass":
            move(payment_id, "authorized", "payment.authorized")
        else:
            move(payment_id, "declined", "payment.failed", "authentication_failed")
        return answer(payment_id, return_url)

    @router.post("/paypal/{payment_id}", response_model=None)
    async def approve_paypal(
        payment_id: str,
        outcome: Literal["approve", "cancel"] = "approve",
        return_url: str | None = None,
    ) -> Any:
        open_payment(payment_id, "paypal")
        if outcome == "approve":
            move(payment_id, "authorized", "payment.authorized")
        else:
            move(payment_id, "declined", "payment.failed", "buyer_cancelled")
        return answer(payment_id, return_url)

    @router.post("/invoices/{payment_id}")
    async def pay_invoice(payment_id: str) -> dict[str, Any]:
        invoice = open_payment(payment_id, "invoice")
        if invoice["expires_at"] is not None and time.time() > invoice["expires_at"]:
            raise HTTPException(409, "this invoice has expired")
        move(payment_id, "captured", "payment.captured")
        return public(load(payment_id))

    # -- controls for tests and demos ---------------------------------------------------

    @router.post("/v1/sandbox/payments/{payment_id}/reverse", dependencies=auth)
    async def reverse(payment_id: str) -> dict[str, Any]:
        """The payer's bank or PayPal takes a captured payment back (a dispute)."""
        payment = load(payment_id)
        if payment["status"] != "captured":
            raise HTTPException(409, f"payment is {payment['status']}; only a capture reverses")
        move(payment_id, "reversed", "payment.reversed")
        return public(load(payment_id))

    @router.post("/v1/sandbox/payment_methods/{method_id}/decline", dependencies=auth)
    async def decline_from_now(method_id: str) -> dict[str, Any]:
        """The card behind a saved method is blocked or expired: every charge now declines."""
        if state.one("SELECT id FROM payment_methods WHERE id = ?", method_id) is None:
            raise HTTPException(404, f"no payment method {method_id}")
        state.run("UPDATE payment_methods SET behaviour = 'declined' WHERE id = ?", method_id)
        return {"id": method_id, "behaviour": "declined"}

    @router.post("/v1/sandbox/faults", dependencies=auth, status_code=201)
    async def arm_fault(body: FaultIn) -> dict[str, Any]:
        faults[body.operation] = body.model_copy()
        return body.model_dump()

    @router.get("/v1/sandbox/faults", dependencies=auth)
    async def faults_fired() -> dict[str, Any]:
        """The faults still armed, and how many fired, by operation and mode."""
        return {"armed": sorted(faults), "fired": dict(sorted(fired.items()))}

    @router.delete("/v1/sandbox/faults", dependencies=auth)
    async def disarm_faults() -> dict[str, Any]:
        """Clear the faults not yet triggered; answers which they were."""
        left = sorted(faults)
        faults.clear()
        return {"disarmed": left}

    return router
