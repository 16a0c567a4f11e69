"""The operators' side of claims, and the task list: everything waiting on a person across
orders, returns, gift cards, claims, repairs and customers' questions, most urgent first,
each with the action to take (the endpoint, and the workflow update it runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starter import paging
from starter.api.deps import PoolDep
from starter.auth import operator_router
from starter.schemas.operators import TaskList
from store import tasks
from workflows import names

router = operator_router(400, 409, 503)

# What each kind of task asks for: the endpoint (with `{order_id}` and `{ref}`, the return,
# claim or card it is about) and the workflow update behind it.
ACTIONS: dict[str, tuple[str, str, str | None]] = {
    "fraud_review": ("POST", "/v1/ops/orders/{order_id}/fraud-review", names.UPDATE_REVIEW_FRAUD),
    "digital_verification": (
        "POST",
        "/v1/ops/orders/{order_id}/digital-verification",
        names.UPDATE_VERIFY_PURCHASE,
    ),
    "digital_delivery_overdue": (
        "POST",
        "/v1/ops/orders/{order_id}/digital-verification",
        names.UPDATE_VERIFY_PURCHASE,
    ),
    "faulty_card": (
        "POST",
        "/v1/ops/orders/{order_id}/digital-cards/{ref}/decision",
        names.UPDATE_RESOLVE_FAULTY_CARD,
    ),
    "faulty_card_overdue": (
        "POST",
        "/v1/ops/orders/{order_id}/digital-cards/{ref}/decision",
        names.UPDATE_RESOLVE_FAULTY_CARD,
    ),
    "return_approval": ("POST", "/v1/ops/returns/{ref}/review", names.UPDATE_REVIEW_RETURN),
    "return_inspection": ("POST", "/v1/ops/returns/{ref}/inspection", names.UPDATE_INSPECT_RETURN),
    "return_parcel_lost": ("POST", "/v1/ops/returns/{ref}/received", names.UPDATE_RECEIVE_RETURN),
    "exchange_out_of_stock": (
        "POST",
        "/v1/returns/{ref}/exchange-choice",
        names.UPDATE_CHOOSE_EXCHANGE,
    ),
    "return_refund_failed": ("POST", "/v1/ops/orders/{order_id}/refunds", names.UPDATE_REFUND),
    "returned_parcel": ("POST", "/v1/ops/orders/{order_id}/refunds", names.UPDATE_REFUND),
    "customs_refusal": ("POST", "/v1/ops/orders/{order_id}/refunds", names.UPDATE_REFUND),
    "gift_cards_failed": ("POST", "/v1/ops/orders/{order_id}/refunds", names.UPDATE_REFUND),
    "cancellation_refused": ("GET", "/v1/orders/{order_id}", None),
    "claim": ("POST", "/v1/ops/claims/{ref}/decision", names.UPDATE_DECIDE_CLAIM),
    "claim_refund_failed": ("POST", "/v1/ops/claims/{ref}/decision", names.UPDATE_DECIDE_CLAIM),
    "customer_message": ("POST", "/v1/ops/claims/{ref}/answer", names.UPDATE_ANSWER_QUESTION),
    "claim_product": ("POST", "/v1/ops/claims/{ref}/received", names.UPDATE_RECEIVE_CLAIM_PRODUCT),
    "warranty_inspection": (
        "POST",
        "/v1/ops/claims/{ref}/inspection",
        names.UPDATE_INSPECT_WARRANTY,
    ),
    "warranty_repair": ("POST", "/v1/ops/claims/{ref}/repaired", names.UPDATE_FINISH_REPAIR),
    "events_parked": ("POST", "/v1/ops/event-endpoints/{ref}/replay", None),
    "refund_owed": ("POST", "/v1/ops/orders/{order_id}/refunds", names.UPDATE_REFUND),
}


def _action(row: dict[str, Any]) -> dict[str, Any] | None:
    found = ACTIONS.get(row["kind"])
    if found is None:
        return None
    method, path, update = found
    ref = row["ref"] or row["order_id"] or ""
    return {
        "method": method,
        "path": path.format(order_id=row["order_id"], ref=ref),
        "update": update,
    }


def _mark(row: dict[str, Any]) -> list[Any]:
    return [row["priority"], row["due_at"], row["opened_at"], row["task_key"]]


@router.get("/tasks", response_model=TaskList)
async def open_tasks(
    pool: PoolDep,
    limit: paging.Limit = 100,
    cursor: paging.Cursor = None,
) -> dict[str, Any]:
    """Everything waiting on a person, the most urgent first (a higher priority, then the
    earliest due time, then the oldest without one), with the order, the due time, whether
    it is overdue or escalated, and the action to take. `next_cursor` pages on."""
    after = paging.decode(cursor, int, paging.when, paging.when, str)
    rows = await tasks.open_tasks(pool, limit, after)
    now = datetime.now().astimezone()
    items = [
        {
            **{
                k: row[k]
                for k in (
                    "task_key",
                    "kind",
                    "summary",
                    "order_id",
                    "subscription_id",
                    "ref",
                    "due_at",
                    "opened_at",
                    "escalated_at",
                    "priority",
                )
            },
            "clauses": list(row["clauses"]),
            "overdue": row["due_at"] is not None and row["due_at"] < now,
            "action": _action(row),
        }
        for row in rows
    ]
    return paging.page(items, rows, limit, _mark)
