"""The order workflow's activities: the read model, payments, labels and e-mail."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.emails import render
from activities.models import (
    ApplyAddressChange,
    AuthorizePayment,
    BuyLabel,
    CapturePayment,
    ConfirmPayment,
    CreateInvoice,
    LabelResult,
    MovementResult,
    OrderEvent,
    ParcelScan,
    PollTracking,
    RefundPayment,
    ReserveReplacement,
    SendOrderEmail,
    VoidPayment,
)
from adapters.carriers import CarrierGateway, Destination
from adapters.email import Mailer
from adapters.errors import ProviderRejected
from adapters.payments import PaymentGateway, PaymentResult, PaymentState
from store import emails, ledger, orders, stock


@contextmanager
def provider_refusals(kind: str) -> Iterator[None]:
    """A provider's 4xx will not change on retry: fail the activity for good, as `kind`."""
    try:
        yield
    except ProviderRejected as err:
        raise ApplicationError(str(err), type=kind, non_retryable=True) from err


def _movement(result: PaymentResult) -> MovementResult:
    return MovementResult(
        payment_id=result.payment_id,
        state=result.state.value,
        decline_code=result.decline_code,
        next_action_url=result.next_action_url,
        card_country=result.card_country,
    )


class OrderActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        payments: PaymentGateway,
        carrier: CarrierGateway,
        mailer: Mailer,
        mail_from: str,
    ) -> None:
        self._pool = pool
        self._payments = payments
        self._carrier = carrier
        self._mailer = mailer
        self._mail_from = mail_from

    async def _order(self, order_id: str) -> dict[str, object]:
        order = await orders.get_order(self._pool, order_id)
        if order is None:
            raise ApplicationError(
                f"order {order_id} is not in the database", type="OrderNotFound", non_retryable=True
            )
        return order

    async def _ledger_row(
        self,
        request: AuthorizePayment | CapturePayment | CreateInvoice | RefundPayment | VoidPayment,
        movement: str,
    ) -> dict[str, Any]:
        return await ledger.open_movement(
            self._pool,
            order_id=request.order_id,
            idempotency_key=request.idempotency_key,
            movement=movement,
            amount=request.amount.amount,
            currency=request.amount.currency,
            provider=self._payments.name,
            clauses=request.clauses,
        )

    async def _settle(self, idempotency_key: str, status: str, provider_ref: str) -> None:
        await ledger.settle_movement(
            self._pool, idempotency_key=idempotency_key, status=status, provider_ref=provider_ref
        )

    @activity.defn(name="record_order_event")
    async def record_order_event(self, event: OrderEvent) -> None:
        await orders.record_event(
            self._pool,
            order_id=event.order_id,
            seq=event.seq,
            at=event.at,
            kind=event.kind,
            summary=event.summary,
            status=event.status,
            clauses=event.clauses,
            details=event.details,
            shipments=event.shipments,
            deadlines=event.deadlines,
        )

    async def _start_payment(
        self,
        request: AuthorizePayment | CreateInvoice,
        movement: str,
        start: Callable[[], Awaitable[PaymentResult]],
    ) -> MovementResult:
        """Start a provider payment once: an earlier attempt that reached the provider left
        its reference on the ledger row, and the provider is asked about that one instead."""
        row = await self._ledger_row(request, movement)
        with provider_refusals("PaymentRejected"):
            if row["status"] != "pending" and row["provider_ref"]:
                result = await self._payments.lookup(str(row["provider_ref"]))
            else:
                result = await start()
        await self._settle(request.idempotency_key, result.state.value, result.payment_id)
        return _movement(result)

    @activity.defn(name="authorize_payment")
    async def authorize_payment(self, request: AuthorizePayment) -> MovementResult:
        return await self._start_payment(
            request,
            "authorization",
            lambda: self._payments.authorize(
                amount=request.amount,
                payment_token=request.payment_token,
                reference=request.order_id,
                idempotency_key=request.idempotency_key,
                three_d_secure=request.three_d_secure,
            ),
        )

    @activity.defn(name="create_invoice")
    async def create_invoice(self, request: CreateInvoice) -> MovementResult:
        return await self._start_payment(
            request,
            "invoice",
            lambda: self._payments.create_invoice(
                amount=request.amount,
                reference=request.order_id,
                expires_at=request.expires_at,
                idempotency_key=request.idempotency_key,
            ),
        )

    @activity.defn(name="confirm_payment")
    async def confirm_payment(self, request: ConfirmPayment) -> MovementResult:
        """A webhook is a hint; the provider's own answer is what the order acts on."""
        with provider_refusals("PaymentRejected"):
            result = await self._payments.lookup(request.payment_id)
        await self._settle(request.idempotency_key, result.state.value, result.payment_id)
        return _movement(result)

    @activity.defn(name="customer_order_count")
    async def customer_order_count(self, order_id: str) -> int:
        """Orders the same customer placed with this merchant in the 24 hours before this one."""
        return await orders.recent_orders_by_customer(self._pool, order_id)

    @activity.defn(name="capture_payment")
    async def capture_payment(self, request: CapturePayment) -> MovementResult:
        row = await self._ledger_row(request, "capture")
        if row["status"] == PaymentState.CAPTURED:
            return MovementResult(payment_id=request.payment_id, state=PaymentState.CAPTURED)
        with provider_refusals("PaymentRejected"):
            # An earlier attempt may have captured before it was cut off: ask before moving
            # money again. The first attempt has nothing to ask about.
            current = (
                await self._payments.lookup(request.payment_id) if not row["opened_now"] else None
            )
            if current is None or current.state is not PaymentState.CAPTURED:
                current = await self._payments.capture(
                    payment_id=request.payment_id,
                    amount=request.amount,
                    idempotency_key=request.idempotency_key,
                )
        await self._settle(request.idempotency_key, current.state.value, current.payment_id)
        return MovementResult(payment_id=current.payment_id, state=current.state.value)

    @activity.defn(name="send_order_email")
    async def send_order_email(self, request: SendOrderEmail) -> None:
        order = await self._order(request.order_id)
        subject, body = render(request.template, order, request.facts)
        recipient = str(order["customer"]["email"])  # type: ignore[index]
        row = await emails.claim_email(
            self._pool,
            order_id=request.order_id,
            template=request.template,
            idempotency_key=request.idempotency_key,
            recipient=recipient,
            subject=subject,
            message_id=make_msgid(
                idstring=request.idempotency_key.replace(":", "."), domain="orderflow.local"
            ),
        )
        if row["sent_at"] is not None:
            return
        message = EmailMessage()
        message["From"] = self._mail_from
        message["To"] = recipient
        message["Subject"] = subject
        message["Message-ID"] = str(row["message_id"])
        message["X-Orderflow-Order"] = request.order_id
        message.set_content(body)
        await self._mailer.send(message)
        await emails.mark_sent(self._pool, request.idempotency_key)

    @activity.defn(name="buy_shipping_label")
    async def buy_shipping_label(self, request: BuyLabel) -> LabelResult:
        order = await self._order(request.order_id)
        destination = Destination.model_validate(order["shipping_address"])
        with provider_refusals("LabelRejected"):
            label = await self._carrier.buy_label(
                carrier=request.carrier,
                reference=request.order_id,
                destination=destination,
                idempotency_key=request.idempotency_key,
            )
        return LabelResult(
            carrier=label.carrier, tracking_number=label.tracking_number, label_id=label.label_id
        )

    @activity.defn(name="refund_payment")
    async def refund_payment(self, request: RefundPayment) -> MovementResult:
        row = await self._ledger_row(request, "refund")
        if row["status"] == "succeeded":
            return MovementResult(payment_id=request.payment_id, state="refunded")
        with provider_refusals("PaymentRejected"):
            refund = await self._payments.refund(
                payment_id=request.payment_id,
                amount=request.amount,
                idempotency_key=request.idempotency_key,
            )
        await self._settle(request.idempotency_key, refund.state, refund.refund_id)
        return MovementResult(payment_id=request.payment_id, state="refunded")

    @activity.defn(name="void_payment")
    async def void_payment(self, request: VoidPayment) -> MovementResult:
        row = await self._ledger_row(request, "void")
        if row["status"] == PaymentState.VOIDED:
            return MovementResult(payment_id=request.payment_id, state=PaymentState.VOIDED)
        with provider_refusals("PaymentRejected"):
            result = await self._payments.lookup(request.payment_id)
            if result.state in (PaymentState.AUTHORIZED, PaymentState.REQUIRES_ACTION):
                result = await self._payments.void(
                    payment_id=request.payment_id, idempotency_key=request.idempotency_key
                )
        # a payment that failed or was captured meanwhile is reported as it stands
        await self._settle(request.idempotency_key, result.state.value, result.payment_id)
        return _movement(result)

    @activity.defn(name="apply_address_change")
    async def apply_address_change(self, request: ApplyAddressChange) -> None:
        if not await orders.apply_address(self._pool, request.order_id, request.change_id):
            raise ApplicationError(
                f"address change {request.change_id} is not one of order {request.order_id}",
                type="AddressChangeUnknown",
                non_retryable=True,
            )

    @activity.defn(name="poll_tracking")
    async def poll_tracking(self, request: PollTracking) -> list[ParcelScan]:
        """Ask the carrier for parcels it has not told about; heartbeats between parcels."""
        scans: list[ParcelScan] = []
        for index, tracking_number in enumerate(request.tracking_numbers):
            activity.heartbeat(index)
            with provider_refusals("TrackingRejected"):
                status = await self._carrier.track(tracking_number)
            scans.append(ParcelScan(tracking_number=tracking_number, status=status))
        return scans

    @activity.defn(name="reserve_replacement")
    async def reserve_replacement(self, request: ReserveReplacement) -> bool:
        """Reserve the order's items again, for a replacement parcel; False when out of stock."""
        order = await self._order(request.order_id)
        wanted: dict[str, int] = {}
        for line in order["lines"]:  # type: ignore[attr-defined]
            if int(line.get("parcel", 1)) != request.parcel:
                continue
            wanted[line["sku"]] = wanted.get(line["sku"], 0) + int(line["quantity"])
        return await stock.reserve(
            self._pool, str(order["merchant"]), request.reservation_key, wanted
        )
