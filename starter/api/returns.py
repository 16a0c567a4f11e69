"""Returns over HTTP: evidence files, the customer's request (RMA), the parcel sent back, and
following a return. Eligibility is decided by the order's workflow at once from the policy:
201 with the RMA, or 422 naming the clause and the field."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import asyncpg
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from domain.policy import Policy
from domain.returns import (
    ExchangeChoice,
    ReturnAsk,
    ReturnOpened,
    ReturnRequested,
    ReturnShipment,
)
from starter.api.access import visible_order, visible_return
from starter.api.deps import PoolDep
from starter.api.intake import same_request
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR
from starter.openapi import problems
from starter.problems import Problem
from starter.schemas.returns import ReturnAnswer, ReturnOpenedAnswer
from starter.updates import IdempotencyKey, act_on_return, run_update
from starter.views import return_json
from store import evidence, returns
from workflows.names import (
    UPDATE_CHOOSE_EXCHANGE,
    UPDATE_REQUEST_RETURN,
    UPDATE_RETURN_SHIPMENT,
)

log = structlog.get_logger("orderflow.api.returns")
router = APIRouter(route_class=AnswerRoute, dependencies=CUSTOMER_OR_OPERATOR, tags=["returns"])


def _rma_id(order_id: str, key: str | None) -> str:
    """From the client's Idempotency-Key, so a repeated request is the same return."""
    if key is None:
        return f"rma_{secrets.token_hex(8)}"
    return "rma_" + hashlib.sha256(f"{order_id}:{key}".encode()).hexdigest()[:16]


async def _keep(pool: asyncpg.Pool, order_id: str, rma_id: str, body: ReturnAsk) -> None:
    """Keep the customer's words and files with the request, before the order decides it: a
    request repeated under its key with another body is a 422."""
    ids = [e.evidence_id for e in body.evidence]
    unknown = set(ids) - await evidence.of_order(pool, order_id, ids)
    if unknown:
        raise Problem(
            422,
            "Unknown evidence",
            "not files of this order: " + ", ".join(sorted(unknown)),
            field="evidence",
        )
    request_hash = hashlib.sha256(
        json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()
    stored = await returns.insert_return(
        pool,
        rma_id=rma_id,
        order_id=order_id,
        reason=body.reason.value,
        resolution=body.resolution.value,
        description=body.description,
        evidence=[e.model_dump(mode="json") for e in body.evidence],
        request_hash=request_hash,
    )
    same_request(stored, request_hash, "return request")


async def _open(
    request: Request, pool: asyncpg.Pool, row: dict[str, Any], rma_id: str, body: ReturnAsk
) -> ReturnOpened:
    """Ask the order for the return; refused, what was kept of the request is forgotten."""
    order_id = row["order_id"]
    asked = ReturnRequested(
        rma_id=rma_id,
        reason=body.reason,
        lines=body.lines,
        resolution=body.resolution,
        exchange_sku=body.exchange_sku,
        has_original_invoice=body.has_original_invoice,
        described=bool(body.description),
        evidence_kinds=tuple(e.kind for e in body.evidence),
    )
    try:
        opened = await run_update(
            request,
            order_id,
            UPDATE_REQUEST_RETURN,
            asked,
            ReturnOpened,
            id=f"return:{rma_id}",
            refused_status=422,
        )
    except Problem as problem:
        if problem.status != 503:
            await returns.forget_refused(pool, rma_id)
        raise
    if opened is None:
        await returns.forget_refused(pool, rma_id)
        rules = Policy.model_validate(row["policy"]).returns
        clauses = [c for w in rules.windows for c in w.clauses] if rules else []
        raise Problem(
            422,
            "Refused by the merchant's policy",
            f"the order is {row['status']}: its return window has closed",
            clause=clauses[0] if clauses else None,
            field="order",
        )
    return opened


@router.post(
    "/v1/orders/{order_id}/returns",
    status_code=201,
    response_model=ReturnOpenedAnswer,
    responses=problems(409, 503),
)
async def request_return(
    order_id: str,
    body: ReturnAsk,
    request: Request,
    pool: PoolDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Ask for a return of some lines. Decided at once: 201 with the RMA and its status, or
    422 with the clause that makes it ineligible and the field it is about."""
    row = await visible_order(request, order_id)
    rma_id = _rma_id(order_id, idempotency_key)
    await _keep(pool, order_id, rma_id, body)
    opened = await _open(request, pool, row, rma_id, body)
    if opened.snapshot is not None:  # readable at once, before the return's first step
        snapshot = opened.snapshot.model_dump(mode="json")
        await returns.accepted(pool, rma_id, opened.status.value, snapshot)
    structlog.contextvars.bind_contextvars(rma_id=rma_id)
    log.info("return requested", reason=body.reason.value, status=opened.status.value)
    return JSONResponse(
        {
            "rma_id": rma_id,
            "order_id": order_id,
            "status": opened.status.value,
            "needs_approval": opened.needs_approval,
            "seller_return_label": opened.seller_label,
            "return_window_closes_at": opened.window_closes_at.isoformat()
            if opened.window_closes_at
            else None,
            "clauses": list(opened.clauses),
            "links": {"self": f"/v1/returns/{rma_id}"},
        },
        status_code=201,
        headers={"Location": f"/v1/returns/{rma_id}"},
    )


@router.get("/v1/returns/{rma_id}", response_model=ReturnAnswer)
async def get_return(rma_id: str, request: Request, pool: PoolDep) -> dict[str, Any]:
    row = await visible_return(request, rma_id)
    return return_json(row, await returns.events(pool, [rma_id]))


@router.post(
    "/v1/returns/{rma_id}/shipment", response_model=ReturnAnswer, responses=problems(409, 503)
)
async def give_shipment(
    rma_id: str,
    body: ReturnShipment,
    request: Request,
    pool: PoolDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The parcel is on its way back: its carrier, tracking number and receipt (KWO-RMA-2)."""
    row = await visible_return(request, rma_id)
    if await returns.parcel_owner(pool, body.tracking_number, rma_id):
        raise Problem(
            422,
            "Tracking number taken",
            "this tracking number is another parcel's: give the one of the parcel you sent back",
            field="tracking_number",
        )
    if body.receipt and not await evidence.of_order(pool, row["order_id"], [body.receipt]):
        raise Problem(
            422, "Unknown evidence", "the receipt is not a file of this order", field="receipt"
        )
    return await act_on_return(request, row, UPDATE_RETURN_SHIPMENT, body, idempotency_key)


@router.post(
    "/v1/returns/{rma_id}/exchange-choice",
    response_model=ReturnAnswer,
    responses=problems(409, 503),
)
async def choose_exchange(
    rma_id: str, body: ExchangeChoice, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """Out of stock: another product, or the refund (CRD-RET-5)."""
    row = await visible_return(request, rma_id)
    return await act_on_return(request, row, UPDATE_CHOOSE_EXCHANGE, body, idempotency_key)
