"""Payment endpoints: where a payment stands right after placing an order, a new attempt after
a failed one, and the operator's fraud review. Each goes through a workflow update."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from domain.orders import (
    CancelOutcome,
    FraudDecision,
    FraudOutcome,
    OwnershipRejection,
    PaymentInstruction,
    PaymentStep,
    RetryPayment,
)
from domain.policy import Policy
from starter.api.access import visible_order
from starter.api.deps import PoolDep, SealerDep, SettingsDep
from starter.api.links import returning_to_page
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR, acting, require_operator
from starter.launch import step_json
from starter.openapi import problems
from starter.problems import Problem, limit_reached
from starter.schemas.common import Decided
from starter.schemas.orders import PaymentAttempt
from starter.updates import IdempotencyKey, no_longer, run_update, update_id
from starter.views import money_json
from store import credentials
from workflows.names import (
    UPDATE_REJECT_CARD,
    UPDATE_RETRY_PAYMENT,
    UPDATE_REVIEW_FRAUD,
)

log = structlog.get_logger("orderflow.api.payments")
router = APIRouter(route_class=AnswerRoute, tags=["payments"])


class PaymentRetry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment: PaymentInstruction


@router.post(
    "/v1/orders/{order_id}/payment/retry",
    tags=["orders"],
    response_model=PaymentAttempt,
    responses=problems(409, 503),
    dependencies=CUSTOMER_OR_OPERATOR,
)
async def retry_payment(
    order_id: str,
    body: PaymentRetry,
    request: Request,
    pool: PoolDep,
    sealer: SealerDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """A new payment attempt after a failed one, within the policy's number of attempts.
    Sent again with the same Idempotency-Key (an answer lost on the way), it answers the one
    attempt it started."""
    row = await visible_order(request, order_id)
    if body.payment.method.value != row["payment_method"]:
        raise Problem(
            422,
            "Another payment method",
            f"this order is paid by {row['payment_method']}; a retry uses the same method",
            field="payment.method",
        )
    token = body.payment.token or ("paypal" if row["payment_method"] == "paypal" else None)
    if token is None:
        raise Problem(
            422, "Card token missing", "a card payment needs a token", field="payment.token"
        )
    # a repeat under the same Idempotency-Key keeps its token under the first one's reference
    ref = credentials.reference_for_request(order_id, idempotency_key) if idempotency_key else None
    repeat = ref is not None and await credentials.kept(pool, ref)
    if not repeat and await credentials.count_of(pool, order_id) > settings.payment_retries_max:
        raise limit_reached(
            "payment retries per order", settings.payment_retries_max, "payment_retries_max"
        )
    ref = await credentials.keep(pool, sealer, order_id, token, ref)
    step = await run_update(
        request,
        order_id,
        UPDATE_RETRY_PAYMENT,
        RetryPayment(payment_token=ref),
        PaymentStep,
        id=update_id(UPDATE_RETRY_PAYMENT, idempotency_key),
    )
    if step is None:
        card = Policy.model_validate(row["policy"]).payment.card
        raise no_longer(row, card.clauses if card else (), "paid again")
    return {
        "order_id": order_id,
        "attempt": step.attempt,
        **returning_to_page(request, order_id, step_json(step)),
    }


@router.post(
    "/v1/ops/orders/{order_id}/fraud-review",
    tags=["operators"],
    response_model=Decided,
    responses=problems(409, 503),
    dependencies=[Depends(require_operator)],
)
async def review_fraud(
    order_id: str,
    decision: FraudDecision,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Approve, reject or require an e-invoice for an order held for review."""
    row = await visible_order(request, order_id)
    outcome = await run_update(
        request,
        order_id,
        UPDATE_REVIEW_FRAUD,
        decision,
        FraudOutcome,
        id=update_id(UPDATE_REVIEW_FRAUD, idempotency_key),
    )
    if outcome is None:
        fraud = Policy.model_validate(row["policy"]).payment.fraud
        raise no_longer(row, fraud.clauses if fraud else (), "reviewed")
    log.info(
        "fraud review decided",
        verdict=decision.verdict.value,
        operator=acting(request, decision.operator),
    )
    body: dict[str, Any] = {
        "order_id": order_id,
        "status": outcome.status.value,
        "clauses": outcome.clauses,
    }
    if outcome.refund is not None:
        body["refund"] = money_json(outcome.refund.amount, outcome.refund.currency)
    return body


@router.post(
    "/v1/ops/orders/{order_id}/card-ownership-rejection",
    tags=["operators"],
    response_model=Decided,
    responses=problems(409, 503),
    dependencies=[Depends(require_operator)],
)
async def reject_card_ownership(
    order_id: str, rejection: OwnershipRejection, request: Request
) -> dict[str, Any]:
    """Cancel a paid order not yet shipped whose card is not the buyer's own: refunded in
    full when ownership is proven, else less the gateway's commission (CRD-DIG-2)."""
    row = await visible_order(request, order_id)
    outcome = await run_update(
        request, order_id, UPDATE_REJECT_CARD, rejection, CancelOutcome, id=UPDATE_REJECT_CARD
    )
    if outcome is None:
        rule = Policy.model_validate(row["policy"]).payment.ownership
        raise no_longer(row, rule.clauses if rule else (), "cancelled over card ownership")
    log.info("card ownership rejected", operator=acting(request, rejection.operator))
    return {
        "order_id": order_id,
        "status": outcome.status.value,
        "refund": money_json(outcome.refund.amount, outcome.refund.currency),
        "clauses": outcome.clauses,
    }
