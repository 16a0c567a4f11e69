"""Claims and customers' questions over HTTP: following one (`GET /v1/claims/{id}`), the
customer's answer to a quote, and the pieces that filing them on orders and subscriptions
(`starter/claim_filing.py`) and the operators' endpoints (`starter/tasks.py`) share."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from domain.claims import (
    QuoteAnswer,
    QuoteOutcome,
)
from domain.money import Money
from starter.api.access import visible_claim
from starter.api.deps import PoolDep, SealerDep
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR
from starter.openapi import problems
from starter.schemas.returns import ClaimAnswer, QuoteAnswered
from starter.updates import IdempotencyKey, act_on_claim
from starter.views import claim_json, money_json
from store import claims, credentials
from workflows.names import UPDATE_ANSWER_QUOTE

router = APIRouter(route_class=AnswerRoute, dependencies=CUSTOMER_OR_OPERATOR, tags=["claims"])


@router.get("/v1/claims/{claim_id}", response_model=ClaimAnswer)
async def get_claim(claim_id: str, request: Request, pool: PoolDep) -> dict[str, Any]:
    row = await visible_claim(request, claim_id)
    return claim_json(row, await claims.events(pool, claim_id))


@router.post(
    "/v1/claims/{claim_id}/quote", response_model=QuoteAnswered, responses=problems(409, 503)
)
async def answer_quote(
    claim_id: str,
    body: QuoteAnswer,
    request: Request,
    pool: PoolDep,
    sealer: SealerDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Accept (and pay, with a card token) or decline an out-of-warranty quote (PAR-WAR-2)."""
    row = await visible_claim(request, claim_id)
    if body.payment_token and row["order_id"]:
        ref = await credentials.keep(pool, sealer, row["order_id"], body.payment_token)
        body = body.model_copy(update={"payment_token": ref})
    outcome: QuoteOutcome = await act_on_claim(
        request, row, UPDATE_ANSWER_QUOTE, body, idempotency_key, QuoteOutcome
    )
    amount: Money = outcome.amount
    return {
        "claim_id": claim_id,
        "paid": outcome.paid,
        "status": outcome.status.value,
        "amount": money_json(amount.amount, amount.currency),
        "decline_code": outcome.decline_code,
    }
