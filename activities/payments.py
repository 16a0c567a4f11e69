"""Payment activities: every call that moves or asks about money at the payment provider,
each written to the ledger under its idempotency key first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.models import (
    AuthorizePayment,
    CapturePayment,
    ConfirmPayment,
    CreateInvoice,
    MovementResult,
    RefundPayment,
    VoidPayment,
)
from adapters.errors import ProviderRejected, ProviderUnavailable
from adapters.payments import PaymentGateway, PaymentResult, PaymentState
from adapters.payments.routing import PaymentRouter
from domain.errors import ErrorType
from domain.status import MovementState
from domain.subscriptions import ChargeSaved, RefundCharge
from store import credentials, ledger
from store.sealing import Sealer

# The longest wait a provider's `Retry-After` may impose on an activity's next attempt.
MAX_RETRY_AFTER = timedelta(minutes=5)


@contextmanager
def provider_refusals(kind: str) -> Iterator[None]:
    """A provider's 4xx will not change on retry: fail the activity for good, as `kind`. A
    provider that said when to come back (`Retry-After`) is tried again then."""
    try:
        yield
    except ProviderRejected as err:
        raise ApplicationError(str(err), type=kind, non_retryable=True) from err
    except ProviderUnavailable as err:
        if err.retry_after is None:
            raise
        wait = min(timedelta(seconds=err.retry_after), MAX_RETRY_AFTER)
        raise ApplicationError(
            str(err), type=ErrorType.PROVIDER_UNAVAILABLE, next_retry_delay=wait
        ) from err


# What a ledger row is opened from: every money-moving request, an order's or a subscription's.
Movement = (
    AuthorizePayment
    | CapturePayment
    | CreateInvoice
    | RefundPayment
    | VoidPayment
    | ChargeSaved
    | RefundCharge
)


def _movement(result: PaymentResult) -> MovementResult:
    return MovementResult(
        payment_id=result.payment_id,
        state=result.state.value,
        decline_code=result.decline_code,
        next_action_url=result.next_action_url,
        card_country=result.card_country,
        capture_before=result.capture_before,
    )


class PaymentActivities:
    def __init__(self, pool: asyncpg.Pool, payments: PaymentGateway, sealer: Sealer) -> None:
        self._pool = pool
        self._payments = payments
        self._sealer = sealer

    async def _token(self, token: str, owner: str) -> str:
        """The provider's token behind the reference the workflow carries."""
        try:
            return await credentials.resolve(self._pool, self._sealer, token, owner)
        except credentials.UnknownCredential as err:
            raise ApplicationError(
                str(err), type=ErrorType.PAYMENT_REJECTED, non_retryable=True
            ) from err

    async def _ledger_row(self, request: Movement, movement: str) -> dict[str, Any]:
        """The movement's ledger row, an order's or a subscription's."""
        return await ledger.open_movement(
            self._pool,
            order_id=getattr(request, "order_id", None),
            subscription_id=getattr(request, "subscription_id", None),
            idempotency_key=request.idempotency_key,
            movement=movement,
            amount=request.amount.amount,
            currency=request.amount.currency,
            provider=self._provider(request),
            clauses=request.clauses,
        )

    def _provider(self, request: Movement) -> str:
        """The gateway the movement goes to: by its payment, or for a new one by its token."""
        if isinstance(self._payments, PaymentRouter):
            return self._payments.name_for(
                payment_token=getattr(request, "payment_token", None),
                payment_id=getattr(request, "payment_id", None),
            )
        return self._payments.name

    async def _settle(self, idempotency_key: str, status: str, provider_ref: str) -> None:
        await ledger.settle_movement(
            self._pool, idempotency_key=idempotency_key, status=status, provider_ref=provider_ref
        )

    async def _start_payment(
        self,
        request: AuthorizePayment | CreateInvoice | ChargeSaved,
        movement: str,
        start: Callable[[], Awaitable[PaymentResult]],
    ) -> MovementResult:
        """Start a provider payment once: an earlier attempt that reached the provider left
        its reference on the ledger row, and the provider is asked about that one instead."""
        row = await self._ledger_row(request, movement)
        with provider_refusals(ErrorType.PAYMENT_REJECTED):
            if row["status"] != "pending" and row["provider_ref"]:
                result = await self._payments.lookup(str(row["provider_ref"]))
            else:
                result = await start()
        await self._settle(request.idempotency_key, result.state.value, result.payment_id)
        return _movement(result)

    @activity.defn(name="authorize_payment")
    async def authorize_payment(self, request: AuthorizePayment) -> MovementResult:
        token = await self._token(request.payment_token, request.order_id)
        return await self._start_payment(
            request,
            "authorization",
            lambda: self._payments.authorize(
                amount=request.amount,
                payment_token=token,
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
        with provider_refusals(ErrorType.PAYMENT_REJECTED):
            result = await self._payments.lookup(request.payment_id)
        await self._settle(request.idempotency_key, result.state.value, result.payment_id)
        return _movement(result)

    @activity.defn(name="capture_payment")
    async def capture_payment(self, request: CapturePayment) -> MovementResult:
        row = await self._ledger_row(request, "capture")
        if row["status"] == PaymentState.CAPTURED:
            return MovementResult(payment_id=request.payment_id, state=PaymentState.CAPTURED)
        with provider_refusals(ErrorType.PAYMENT_REJECTED):
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

    @activity.defn(name="refund_payment")
    async def refund_payment(self, request: RefundPayment) -> MovementResult:
        return await self._refund(request)

    async def _refund(self, request: RefundPayment | RefundCharge) -> MovementResult:
        """Refund once under the key: a row already settled is not refunded again."""
        row = await self._ledger_row(request, "refund")
        if row["status"] == "succeeded":
            return MovementResult(payment_id=request.payment_id, state=MovementState.REFUNDED)
        try:
            with provider_refusals(ErrorType.PAYMENT_REJECTED):
                refund = await self._payments.refund(
                    payment_id=request.payment_id,
                    amount=request.amount,
                    idempotency_key=request.idempotency_key,
                )
        except ApplicationError as err:
            if err.non_retryable:  # refused for good: the row says so, never pending
                await ledger.fail_movement(
                    self._pool, idempotency_key=request.idempotency_key, reason=str(err)
                )
            raise
        await self._settle(request.idempotency_key, refund.state, refund.refund_id)
        return MovementResult(payment_id=request.payment_id, state=MovementState.REFUNDED)

    @activity.defn(name="void_payment")
    async def void_payment(self, request: VoidPayment) -> MovementResult:
        row = await self._ledger_row(request, "void")
        if row["status"] == PaymentState.VOIDED:
            return MovementResult(payment_id=request.payment_id, state=PaymentState.VOIDED)
        with provider_refusals(ErrorType.PAYMENT_REJECTED):
            result = await self._payments.lookup(request.payment_id)
            if result.state in (PaymentState.AUTHORIZED, PaymentState.REQUIRES_ACTION):
                result = await self._payments.void(
                    payment_id=request.payment_id, idempotency_key=request.idempotency_key
                )
        # a payment that failed or was captured meanwhile is reported as it stands
        await self._settle(request.idempotency_key, result.state.value, result.payment_id)
        return _movement(result)

    # -- subscriptions: saved cards charged without the customer ----------------------------

    @activity.defn(name="charge_saved_card")
    async def charge_saved_card(self, request: ChargeSaved) -> MovementResult:
        """One period's charge of a saved card, without the customer, once under its key."""
        owner = f"subscription:{request.subscription_id}"
        token = await self._token(request.payment_token, owner)
        return await self._start_payment(
            request,
            "charge",
            lambda: self._payments.charge_saved(
                amount=request.amount,
                payment_token=token,
                reference=f"subscription:{request.subscription_id}",
                idempotency_key=request.idempotency_key,
            ),
        )

    @activity.defn(name="refund_subscription_charge")
    async def refund_subscription_charge(self, request: RefundCharge) -> MovementResult:
        return await self._refund(request)
