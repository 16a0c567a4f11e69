"""Customer actions on an order: change the shipping address, cancel, pay for a returned
parcel to go out again, cancel some lines before the carrier collects them. Each is a
workflow update whose validator decides at once; a refusal
is a 409 naming the clause."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from domain.edits import PartialCancel, PartlyCancelled
from domain.orders import (
    Address,
    AddressChange,
    AddressChanged,
    CancelOutcome,
    CancelRequest,
    PaymentInstruction,
    ReshipOutcome,
    ReshipRequest,
)
from domain.policy import Policy
from starter.api import deps
from starter.api.access import visible_order
from starter.api.deps import PoolDep, SealerDep
from starter.api.order_edits import acting_on, run_change
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR, is_customer, operator_name
from starter.openapi import problems
from starter.problems import Problem
from starter.schemas.edits import CancelLinesAsk
from starter.schemas.orders import AddressChangeAnswer, Cancelled, LinesCancelledAnswer, Reshipped
from starter.updates import IdempotencyKey, content_key, no_longer, run_update, update_id
from starter.views import money_json
from store import addresses, credentials, ledger, orders
from workflows.names import (
    UPDATE_CANCEL,
    UPDATE_CANCEL_LINES,
    UPDATE_CHANGE_SHIPPING_ADDRESS,
    UPDATE_RESHIP,
)

router = APIRouter(
    route_class=AnswerRoute, dependencies=CUSTOMER_OR_OPERATOR, prefix="/v1/orders", tags=["orders"]
)


class Reshipping(BaseModel):
    """A corrected address for a parcel that came back, and the payment for its new trip."""

    model_config = ConfigDict(extra="forbid")

    shipping_address: Address
    payment: PaymentInstruction


async def _with_proposed_address(
    request: Request,
    row: dict[str, Any],
    address: Address,
    name: str,
    argument: Callable[[int], Any],
    result_type: type,
    when_ended: tuple[tuple[str, ...], str],
    idempotency_key: str | None = None,
) -> tuple[Any, int]:
    """Store a proposed address (the workflow sees only its ID), run the update that takes
    it, and mark it refused unless the update took it. Returns the answer and the ID."""
    pool, order_id = deps.pool(request), row["order_id"]
    proposed = address.model_dump(mode="json")
    change_id = await addresses.propose(pool, order_id, proposed)
    try:
        answer = await run_update(
            request,
            order_id,
            name,
            argument(change_id),
            result_type,
            id=update_id(name, idempotency_key),
        )
    except Problem as problem:
        if problem.status != 503:  # not answered in time: the order may still take it
            await addresses.refuse(pool, change_id)
        raise
    if answer is not None and getattr(answer, "change_id", change_id) != change_id:
        # the same request answered before: this copy of the address is not the one taken
        await addresses.refuse(pool, change_id)
        change_id = answer.change_id
    if answer is None:
        await addresses.refuse(pool, change_id)
        raise no_longer(row, *when_ended)
    return answer, change_id


@router.patch(
    "/{order_id}/shipping-address", response_model=AddressChangeAnswer, responses=problems(409, 503)
)
async def change_shipping_address(
    order_id: str, address: Address, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    row = await visible_order(request, order_id)
    if operator_name(request) is None and not is_customer(request, "order", order_id, "edit"):
        raise Problem(
            403,
            "Storefront token needed",
            "the shipping address is changed at the shop with the order's own token, not "
            "with a link from an e-mail or page",
            field="Authorization",
        )
    edit = Policy.model_validate(row["policy"]).edit
    changed, _ = await _with_proposed_address(
        request,
        row,
        address,
        UPDATE_CHANGE_SHIPPING_ADDRESS,
        lambda change_id: AddressChange(change_id=change_id),
        AddressChanged,
        (edit.clauses if edit else (), "edited"),
        idempotency_key,
    )
    return {
        "order_id": order_id,
        "shipping_address": address.model_dump(mode="json"),
        "edit_window_closes_at": changed.edit_window_closes_at,
        "clauses": changed.clauses,
    }


@router.post("/{order_id}/cancel", response_model=Cancelled, responses=problems(409, 503))
async def cancel_order(
    order_id: str, request: Request, pool: PoolDep, body: CancelRequest | None = None
) -> dict[str, Any]:
    row = await visible_order(request, order_id)
    if body is not None and body.reason:
        await orders.note_cancel_reason(pool, order_id, body.reason)
    # An order is cancelled once: every cancellation request of it is the same update.
    outcome = await run_update(
        request, order_id, UPDATE_CANCEL, CancelRequest(), CancelOutcome, id=UPDATE_CANCEL
    )
    if outcome is None:
        if row["status"] == "cancelled":  # asked again: the same answer
            refunds = [
                m for m in await ledger.movements(pool, order_id) if m["movement"] == "refund"
            ]
            return {
                "order_id": order_id,
                "status": "cancelled",
                "refund": money_json(
                    sum((m["amount"] for m in refunds), Decimal(0)), row["currency"]
                ),
                "clauses": refunds[0]["clauses"] if refunds else [],
            }
        rules = Policy.model_validate(row["policy"]).cancellation
        raise no_longer(row, rules.until_clauses if rules else (), "cancelled")
    return {
        "order_id": order_id,
        "status": outcome.status.value,
        "refund": money_json(outcome.refund.amount, outcome.refund.currency),
        "clauses": outcome.clauses,
    }


@router.post("/{order_id}/reship", response_model=Reshipped, responses=problems(402, 409, 503))
async def reship_returned_parcel(
    order_id: str,
    body: Reshipping,
    request: Request,
    pool: PoolDep,
    sealer: SealerDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    row = await visible_order(request, order_id)
    if body.payment.token is None:
        raise Problem(
            422,
            "Payment token missing",
            "the reshipping needs a payment token",
            field="payment.token",
        )
    shipping = Policy.model_validate(row["policy"]).shipping
    back = shipping.returned_to_sender if shipping else None
    token = await credentials.keep(pool, sealer, order_id, body.payment.token)
    outcome, change_id = await _with_proposed_address(
        request,
        row,
        body.shipping_address,
        UPDATE_RESHIP,
        lambda change_id: ReshipRequest(change_id=change_id, payment_token=token),
        ReshipOutcome,
        (back.clauses if back else (), "reshipped"),
        idempotency_key=idempotency_key,
    )
    if not outcome.paid:
        await addresses.refuse(pool, change_id)
        raise Problem(
            402,
            "Reshipping payment declined",
            f"the payment of {outcome.fee} was declined ({outcome.decline_code}); nothing was "
            "charged and the parcel waits for another attempt",
            clause=outcome.clauses[0] if outcome.clauses else None,
        )
    return {
        "order_id": order_id,
        "shipping_address": body.shipping_address.model_dump(mode="json"),
        "reshipping_fee": money_json(outcome.fee.amount, outcome.fee.currency),
        "clauses": outcome.clauses,
    }


@router.post(
    "/{order_id}/lines/cancel", response_model=LinesCancelledAnswer, responses=problems(409, 503)
)
async def cancel_lines(
    order_id: str, body: CancelLinesAsk, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Cancel some lines before the carrier collects them: refunded by the policy's band for
    those lines (gift cards stay); 409 or 422 with the clause and the field."""
    row = await visible_order(request, order_id)
    acting_on(request, order_id)  # an operator's name is set on the request by run_update
    asked = body.model_dump(mode="json")
    cancel_id = "cl_" + content_key(order_id, idempotency_key or asked)[:20]
    ask = PartialCancel(cancel_id=cancel_id, lines=tuple(body.lines))
    rules = Policy.model_validate(row["policy"]).cancellation
    done: PartlyCancelled = await run_change(
        request,
        row,
        UPDATE_CANCEL_LINES,
        ask,
        PartlyCancelled,
        id=f"cancel-lines:{cancel_id}",
        when_ended=(rules.until_clauses if rules else (), "cancelled"),
    )
    return {
        "cancel_id": cancel_id,
        "order_id": order_id,
        "lines": [line.model_dump(mode="json") for line in done.lines],
        "refund": money_json(done.refund.amount, done.refund.currency),
        "refund_lines": [
            {"label": label, **money_json(m.amount, m.currency)} for label, m in done.refund_lines
        ],
        "settlement": done.settlement.value,
        "clauses": list(done.clauses),
    }
