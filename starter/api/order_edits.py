"""Edits of what the order bought, while the merchant's edit window is open: previewed
(`…/edits/preview`, nothing changes), then taken (`…/edits`, with an Idempotency-Key: the same
edit sent twice is one edit), read back at once, and approved by the customer when an operator
raised the total.
The customer's own token changes quantities and removes lines, at the order's prices; an
added or swapped line carries the shop's price, so only an operator sends one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from temporalio.service import RPCError

from domain.decisions.line_edits import Judged
from domain.edits import (
    EditApproval,
    EditOp,
    EditOrigin,
    EditQuote,
    EditStatus,
    LineChange,
    LineEdit,
    LineEdited,
    Settlement,
)
from domain.orders import PaymentInstruction
from domain.policy import Policy
from starter.api import deps
from starter.api.access import visible_order
from starter.api.deps import PoolDep, SealerDep
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR, is_customer, operator_name
from starter.openapi import problems
from starter.problems import Problem
from starter.schemas.edits import ApprovalAsk, EditAsk
from starter.schemas.orders import EditAnswer
from starter.updates import IdempotencyKey, content_key, no_longer, run_update
from starter.views import money_json
from store import credentials, edits, stock
from workflows.names import (
    QUERY_PREVIEW_EDIT,
    UPDATE_ANSWER_EDIT,
    UPDATE_EDIT_LINES,
    order_workflow_id,
)

router = APIRouter(
    route_class=AnswerRoute, dependencies=CUSTOMER_OR_OPERATOR, prefix="/v1/orders", tags=["orders"]
)


def acting_on(request: Request, order_id: str, changes: list[LineChange] | None = None) -> bool:
    """Whether an operator acts; refuses anyone else but the order's own full token, and a
    customer's edit that prices a line."""
    if operator_name(request) is not None:
        return True
    if not is_customer(request, "order", order_id, "edit"):
        raise Problem(
            403,
            "Storefront token needed",
            "an order is changed at the shop with the order's own token, not with a link "
            "from an e-mail or page",
            field="Authorization",
        )
    priced = [n for n, c in enumerate(changes or []) if c.op in (EditOp.ADD, EditOp.SWAP)]
    if priced:
        raise Problem(
            403,
            "Priced by the shop",
            "a line added or swapped carries the shop's price: an operator sends it; the "
            "customer changes quantities and removes lines",
            field=f"changes[{priced[0]}].op",
        )
    return False


def refused(reason: str, clauses: tuple[str, ...], field: str) -> Problem:
    """A refusal about the order's stage is a conflict (409); one about a field, 422."""
    return Problem(
        409 if field in ("", "order") else 422,
        "Refused by the merchant's policy",
        reason,
        clause=clauses[0] if clauses else None,
        field=field or None,
    )


async def run_change(
    request: Request,
    row: dict[str, Any],
    name: str,
    arg: Any,
    result_type: type,
    *,
    id: str,
    when_ended: tuple[tuple[str, ...], str],
) -> Any:
    """An update changing the order: refused as `refused` says; ended, it can no longer be."""
    try:
        done = await run_update(
            request, row["order_id"], name, arg, result_type, id=id, refused_status=422
        )
    except Problem as problem:
        if problem.status == 422 and problem.field in (None, "order"):
            problem.status = 409
        raise
    if done is None:
        raise no_longer(row, *when_ended)
    return done


def _edit_clauses(row: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    rule = Policy.model_validate(row["policy"]).edit
    return (rule.clauses if rule else (), "edited")


def quote_json(order_id: str, quote: EditQuote) -> dict[str, Any]:
    def money(m: Any) -> dict[str, str]:
        return money_json(m.amount, m.currency)

    return {
        "order_id": order_id,
        "lines": [line.model_dump(mode="json") for line in quote.lines],
        "items_total": money(quote.items_total),
        "shipping_total": money(quote.shipping_total),
        "total": money(quote.total),
        "previous_total": money(quote.previous_total),
        "difference": money(quote.difference),
        "clauses": list(quote.clauses),
    }


def edited_json(order_id: str, done: LineEdited) -> dict[str, Any]:
    path = f"/v1/orders/{order_id}/edits/{done.edit_id}"
    return {
        **quote_json(order_id, done.quote),
        "edit_id": done.edit_id,
        "status": done.status.value,
        "settlement": done.settlement.value,
        "moved": money_json(done.moved.amount, done.moved.currency) if done.moved else None,
        "approve_by": done.approve_by,
        "decline_code": done.decline_code,
        "links": {"self": path, "order": f"/v1/orders/{order_id}"},
    }


async def _payment(request: Request, order_id: str, pay: PaymentInstruction | None) -> str | None:
    if pay is None or pay.token is None:
        return None
    return await credentials.keep(deps.pool(request), deps.sealer(request), order_id, pay.token)


async def _in_stock(request: Request, row: dict[str, Any], units: dict[str, int]) -> None:
    short = await stock.short(deps.pool(request), str(row["merchant"]), units)
    if short:
        raise Problem(
            409,
            "Out of stock",
            f"not enough in stock for this edit: {', '.join(short)}",
            field="changes",
        )


@router.post("/{order_id}/edits/preview", response_model=EditAnswer, responses=problems(409, 503))
async def preview_edit(order_id: str, body: EditAsk, request: Request) -> dict[str, Any]:
    """What the edit would make of the order, and the money it would move; nothing changes.
    Refused as the edit itself would be: 409 or 422 with the clause and the field."""
    row = await visible_order(request, order_id)
    operator = acting_on(request, order_id, body.changes)
    edit = LineEdit(
        edit_id="preview",
        changes=tuple(body.changes),
        origin=EditOrigin.OPERATOR if operator else EditOrigin.CUSTOMER,
    )
    handle = deps.temporal(request).get_workflow_handle(order_workflow_id(order_id))
    try:
        judged: Judged = await handle.query(QUERY_PREVIEW_EDIT, edit, result_type=Judged)
    except RPCError as err:
        raise no_longer(row, *_edit_clauses(row)) from err
    if not judged.decision.allowed or judged.quote is None:
        raise refused(judged.decision.reason, judged.decision.clauses, judged.field)
    await _in_stock(request, row, judged.quote.reserve)
    return {
        **quote_json(order_id, judged.quote),
        "status": EditStatus.PREVIEW.value,
        "settlement": Settlement.NONE.value,
    }


@router.post(
    "/{order_id}/edits",
    status_code=201,
    response_model=EditAnswer,
    responses=problems(402, 409, 503),
)
async def edit_order(
    order_id: str,
    body: EditAsk,
    request: Request,
    pool: PoolDep,
    sealer: SealerDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Change the order's lines within the edit window. 201 with the new lines and totals and
    how the difference was settled (an operator's raise: awaiting the customer's approval);
    402 when the difference could not be charged (nothing changed); 409 or 422 with the
    clause and the field."""
    row = await visible_order(request, order_id)
    operator = acting_on(request, order_id, body.changes)
    asked = body.model_dump(mode="json")
    edit_id = "ed_" + content_key(order_id, idempotency_key or asked)[:20]
    edit = LineEdit(
        edit_id=edit_id,
        changes=tuple(body.changes),
        origin=EditOrigin.OPERATOR if operator else EditOrigin.CUSTOMER,
        payment_token=await _payment(request, order_id, body.payment),
    )
    done: LineEdited = await run_change(
        request,
        row,
        UPDATE_EDIT_LINES,
        edit,
        LineEdited,
        id=f"edit:{edit_id}",
        when_ended=_edit_clauses(row),
    )
    answer = edited_json(order_id, done)
    await edits.keep(
        pool,
        edit_id=edit_id,
        order_id=order_id,
        kind="edit",
        request_hash=content_key(asked),
        status=done.status.value,
        answer=answer,
    )
    if done.status is EditStatus.DECLINED:
        raise Problem(
            402,
            "Payment declined",
            f"the difference of {done.quote.difference} was declined ({done.decline_code}); "
            "nothing was changed or charged",
            clause=done.quote.clauses[0] if done.quote.clauses else None,
            field="payment",
        )
    path = answer["links"]["self"]
    return JSONResponse(answer, status_code=201, headers={"Location": path})


@router.get("/{order_id}/edits/{edit_id}", response_model=EditAnswer)
async def get_edit(order_id: str, edit_id: str, request: Request, pool: PoolDep) -> dict[str, Any]:
    await visible_order(request, order_id)
    row = await edits.get(pool, order_id, edit_id)
    if row is None:
        raise Problem(
            404, "Edit not found", "no edit with this ID is visible with the credentials given"
        )
    answer: dict[str, Any] = row["answer"]
    return {**answer, "status": row["status"]}


@router.post(
    "/{order_id}/edits/{edit_id}/approval",
    response_model=EditAnswer,
    responses=problems(402, 409, 503),
)
async def approve_edit(
    order_id: str, edit_id: str, body: ApprovalAsk, request: Request, pool: PoolDep
) -> dict[str, Any]:
    """The customer's word on an operator's edit that raises the total: approved, the
    difference is charged (on `payment`, or the order's own card) and the lines change. The
    order's own token or its page's link (the e-mail asking for the approval leads there)."""
    row = await visible_order(request, order_id)
    if operator_name(request) is not None or not is_customer(request, "order", order_id, "act"):
        raise Problem(
            403,
            "The customer's to approve",
            "only the order's own token approves its edit",
            field="Authorization",
        )
    approval = EditApproval(
        edit_id=edit_id,
        approve=body.approve,
        payment_token=await _payment(request, order_id, body.payment),
    )
    done: LineEdited = await run_change(
        request,
        row,
        UPDATE_ANSWER_EDIT,
        approval,
        LineEdited,
        id=f"approval:{edit_id}",
        when_ended=_edit_clauses(row),
    )
    answer = edited_json(order_id, done)
    await edits.settle(pool, order_id, edit_id, done.status.value, answer)
    return answer
