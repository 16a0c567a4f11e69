"""A payment's two movements as activities, each once under its ledger key: authorised on
a card token, then captured. The purse (`purse.py`) captures through them; a payment of its
own beside the order's (a reshipping fee, a warranty quote, an edit's difference) authorises
through them too."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.models import AuthorizePayment, CapturePayment, MovementResult
    from activities.payments import PaymentActivities
    from domain.money import Money

from workflows.shared.options import MONEY, run


async def authorise(
    order_id: str, amount: Money, token: str, key: str, clauses: tuple[str, ...], summary: str
) -> MovementResult:
    """A payment of `amount` on the customer's card token, authorised once under `key`."""
    request = AuthorizePayment(
        order_id=order_id, amount=amount, payment_token=token, idempotency_key=key, clauses=clauses
    )
    result = await run(PaymentActivities.authorize_payment, request, MONEY, summary)
    return result


async def capture(
    order_id: str,
    payment_id: str,
    amount: Money,
    key: str,
    clauses: tuple[str, ...],
    summary: str,
) -> None:
    """Take the money of an authorised payment, once under `key`."""
    request = CapturePayment(
        order_id=order_id,
        payment_id=payment_id,
        amount=amount,
        idempotency_key=key,
        clauses=clauses,
    )
    await run(PaymentActivities.capture_payment, request, MONEY, summary)
