"""Operator endpoints (operator key): what needs a person's attention."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.chargebacks import ChargebackDecided, ChargebackDecision
from domain.money import Money
from domain.orders import (
    Note,
    Operator,
    OperatorRefund,
    OperatorRefunded,
)
from domain.policy import Policy
from domain.returns import Inspection, ReturnReceipt, ReturnReview
from starter.api.access import visible_order, visible_return
from starter.api.deps import PoolDep, PresetsDep, RelayDep
from starter.auth import acting, operator_router
from starter.problems import Problem
from starter.schemas.operators import Refunded, Requeued, Stock
from starter.schemas.returns import ReturnAnswer
from starter.updates import IdempotencyKey, act_on_return, content_key, no_longer, run_update
from starter.views import money_json
from store import inbox, stock
from workflows.names import (
    UPDATE_DECIDE_CHARGEBACK,
    UPDATE_INSPECT_RETURN,
    UPDATE_RECEIVE_RETURN,
    UPDATE_REFUND,
    UPDATE_REVIEW_RETURN,
)

router = operator_router(409, 503)


@router.post("/webhooks/{inbox_id}/requeue", status_code=202, response_model=Requeued)
async def requeue_webhook(inbox_id: int, pool: PoolDep, relay: RelayDep) -> dict[str, Any]:
    if not await inbox.requeue(pool, inbox_id):
        raise Problem(404, "Not requeued", f"inbox row {inbox_id} is not an unmatched webhook")
    relay and relay.poke()
    return {"requeued": inbox_id}


class StockLevel(BaseModel):
    available: int = Field(ge=0, le=10_000_000)


@router.put("/stock/{merchant}/{sku}", response_model=Stock)
async def set_stock(
    merchant: str, sku: str, level: StockLevel, pool: PoolDep, presets: PresetsDep
) -> dict[str, Any]:
    """Units available of a SKU; replacements for lost parcels are reserved from it."""
    if merchant not in presets:
        raise Problem(404, "Unknown merchant", f"no policy preset named {merchant!r}")
    await stock.set_available(pool, merchant, sku, level.available)
    return {"merchant": merchant, "sku": sku, "available": level.available}


class RefundIn(BaseModel):
    """An operator's refund: the amount in the order's currency, why, and who decided."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    reason: Annotated[Note, StringConstraints(min_length=1)]
    operator: Operator = ""


@router.post("/orders/{order_id}/refunds", status_code=201, response_model=Refunded)
async def refund_order(
    order_id: str,
    body: RefundIn,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Give money back on an order, up to what is still refundable of what was captured.
    Its ledger key is the Idempotency-Key (or the body's content): sent twice, it refunds once."""
    row = await visible_order(request, order_id)
    refund_id = idempotency_key or content_key(body.model_dump(mode="json"))
    refund = OperatorRefund(
        refund_id=refund_id,
        amount=Money(amount=body.amount, currency=row["currency"]),
        reason=body.reason,
        operator=body.operator,
    )
    done = await run_update(
        request, order_id, UPDATE_REFUND, refund, OperatorRefunded, id=f"refund:{refund_id}"
    )
    if done is None:
        routes = Policy.model_validate(row["policy"]).payment.refunds
        raise no_longer(row, routes.clauses if routes else (), "refunded here")
    return {
        "order_id": order_id,
        "refund_id": done.refund_id,
        "amount": money_json(done.amount.amount, done.amount.currency),
        "refunded_total": money_json(done.refunded_total.amount, done.refunded_total.currency),
        "operator": acting(request, body.operator),
        "clauses": done.clauses,
    }


@router.post("/orders/{order_id}/chargeback", response_model=ChargebackDecided)
async def decide_chargeback(
    order_id: str,
    body: ChargebackDecision,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Accept (an order not yet shipped is cancelled, nothing refunded: the payer has the
    money) or contest a chargeback the provider confirmed; 409 while none waits."""
    row = await visible_order(request, order_id)
    key = idempotency_key or content_key(body.model_dump(mode="json"))
    done = await run_update(
        request,
        order_id,
        UPDATE_DECIDE_CHARGEBACK,
        body,
        ChargebackDecided,
        id=f"chargeback:{key}",
    )
    if done is None:
        methods = Policy.model_validate(row["policy"]).payment.methods
        raise no_longer(row, methods.clauses, "charged back")
    return done


@router.post("/returns/{rma_id}/review", response_model=ReturnAnswer)
async def review_return(
    rma_id: str, body: ReturnReview, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Approve or reject a return that needs prior approval (PAR-RET-2, KWO-RMA-1)."""
    row = await visible_return(request, rma_id)
    return await act_on_return(request, row, UPDATE_REVIEW_RETURN, body, idempotency_key)


@router.post("/returns/{rma_id}/received", response_model=ReturnAnswer)
async def receive_return(
    rma_id: str, body: ReturnReceipt, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """The warehouse scanned the parcel in: a return sent without a tracking number."""
    row = await visible_return(request, rma_id)
    return await act_on_return(request, row, UPDATE_RECEIVE_RETURN, body, idempotency_key)


@router.post("/returns/{rma_id}/inspection", response_model=ReturnAnswer)
async def inspect_return(
    rma_id: str, body: Inspection, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """What inspection found, line by line; answered with the refund or the replacement."""
    row = await visible_return(request, rma_id)
    return await act_on_return(request, row, UPDATE_INSPECT_RETURN, body, idempotency_key)
