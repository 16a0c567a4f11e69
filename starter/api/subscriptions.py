"""Storefront and customer endpoints for subscriptions: start one (its first payment
decided before the answer), follow it, cancel it with the customer's choice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from domain.calendar import pin_calendar
from domain.money import Money
from domain.policy import Policy
from domain.status import SubscriptionStatus
from domain.subscriptions import (
    Subscribe,
    SubscriptionCancel,
    SubscriptionCancelled,
    SubscriptionInput,
    SubscriptionSnapshot,
)
from starter.api import deps
from starter.api.access import merchant_policy, visible_subscription
from starter.api.deps import PoolDep, SealerDep
from starter.api.intake import body_hash, new_id, same_request
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR, require_storefront, storefront_token
from starter.launch import STEP_TIMEOUT, STEP_UNKNOWN
from starter.openapi import problems
from starter.problems import Problem
from starter.schemas.subscriptions import Subscribed, SubscriptionAnswer, SubscriptionCancelAnswer
from starter.updates import IdempotencyKey, run_update, update_id
from starter.views import money_json
from store import emails, ledger, subscriptions
from workflows.names import (
    MERCHANT,
    SUBSCRIPTION_STATUS,
    UPDATE_CANCEL_SUBSCRIPTION,
    UPDATE_SUBSCRIPTION_STARTED,
    subscription_workflow_id,
)

log = structlog.get_logger("orderflow.api.subscriptions")
router = APIRouter(route_class=AnswerRoute, prefix="/v1/subscriptions", tags=["subscriptions"])


def _workflow_input(row: dict[str, Any]) -> SubscriptionInput:
    return SubscriptionInput(
        subscription_id=row["subscription_id"],
        policy=Policy.model_validate(row["policy"]),
        plan=row["plan"],
        price=Money(amount=row["price"], currency=row["currency"]),
        anchor=row["anchor"],
        payment_token=row["payment_token"],
    )


async def _start(request: Request, row: dict[str, Any]) -> SubscriptionSnapshot | None:
    """Start `subscription-<id>` and learn how its first payment went, in one request."""
    sub = _workflow_input(row)
    start = WithStartWorkflowOperation(
        "SubscriptionWorkflow",
        sub,
        id=subscription_workflow_id(sub.subscription_id),
        task_queue=deps.settings(request).temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(SUBSCRIPTION_STATUS, SubscriptionStatus.PENDING.value),
                SearchAttributePair(MERCHANT, sub.policy.merchant),
            ]
        ),
        static_summary=f"Subscription {sub.subscription_id} · {sub.policy.merchant} · "
        f"{sub.plan} {sub.price} monthly",
    )
    try:
        return await deps.temporal(request).execute_update_with_start_workflow(
            UPDATE_SUBSCRIPTION_STARTED,
            start_workflow_operation=start,
            result_type=SubscriptionSnapshot,
            rpc_timeout=STEP_TIMEOUT,
        )
    except STEP_UNKNOWN as err:
        log.warning("subscription start not confirmed", error=str(err))
        return None


def _subscribed(
    request: Request, row: dict[str, Any], started: SubscriptionSnapshot, created: bool
) -> JSONResponse:
    """The 201: the subscription, its first period as it went, and the customer's token."""
    sid = row["subscription_id"]
    token = storefront_token(request, "subscription", sid, row["created_at"])
    return JSONResponse(
        {
            "subscription_id": sid,
            "status": started.status.value,
            "access_token": token,
            "price": money_json(row["price"], row["currency"]),
            "period_end": started.period_end.isoformat() if started.period_end else None,
            "next_charge_at": started.next_charge_at.isoformat()
            if started.next_charge_at
            else None,
            **({"decline_code": started.decline_code} if started.decline_code else {}),
            "links": {"self": f"/v1/subscriptions/{sid}"},
        },
        status_code=201,
        headers={
            "Location": f"/v1/subscriptions/{sid}",
            **({} if created else {"Idempotent-Replayed": "true"}),
        },
    )


@router.post(
    "",
    status_code=201,
    dependencies=[Depends(require_storefront)],
    response_model=Subscribed,
    responses=problems(503),
)
async def subscribe(
    body: Subscribe,
    request: Request,
    pool: PoolDep,
    sealer: SealerDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    policy = merchant_policy(request, body.merchant, body.currency)
    if policy.services is None:
        raise Problem(
            422,
            "No subscriptions",
            f"{policy.display_name} sells no subscriptions",
            field="merchant",
        )
    now = datetime.now(UTC)
    request_hash = body_hash(body)
    pinned = pin_calendar(policy, now)
    row, created = await subscriptions.insert(
        pool,
        subscription_id=new_id(),
        ask=body,
        anchor=now,
        policy=pinned.model_dump(mode="json"),
        policy_version=pinned.version,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        sealer=sealer,
    )
    if not created:
        same_request(row, request_hash, "subscription")
    sid = row["subscription_id"]
    structlog.contextvars.bind_contextvars(
        subscription_id=sid, workflow_id=subscription_workflow_id(sid)
    )
    started = await _start(request, row)
    if started is None:
        raise Problem(
            503,
            "Not started yet",
            "the subscription is kept but its first payment could not be confirmed; send the "
            "same request again (same Idempotency-Key) to learn how it went",
            headers={"Retry-After": "5"},
        )
    if row["workflow_started_at"] is None:
        await subscriptions.mark_started(pool, sid)
    return _subscribed(request, row, started, created)


@router.get(
    "/{subscription_id}", response_model=SubscriptionAnswer, dependencies=CUSTOMER_OR_OPERATOR
)
async def get_subscription(subscription_id: str, request: Request, pool: PoolDep) -> dict[str, Any]:
    row = await visible_subscription(request, subscription_id)
    return {
        "subscription_id": subscription_id,
        "merchant": row["merchant"],
        "plan": row["plan"],
        "plan_name": row["plan_name"],
        "price": money_json(row["price"], row["currency"]),
        "interval": "month",
        "anchor": row["anchor"],
        "status": row["status"],
        "period": row["period"],
        "deadlines": row["deadlines"],
        "payments": [
            {**m, "amount": money_json(m["amount"], m["currency"])}
            for m in await ledger.of_subscription(pool, subscription_id)
        ],
        "emails": await emails.for_subscription(pool, subscription_id),
        "timeline": await subscriptions.events(pool, subscription_id),
    }


@router.post(
    "/{subscription_id}/cancel",
    response_model=SubscriptionCancelAnswer,
    responses=problems(409, 503),
    dependencies=CUSTOMER_OR_OPERATOR,
)
async def cancel_subscription(
    subscription_id: str,
    body: SubscriptionCancel,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Cancel: within 7 days after the last payment it is refunded and stops now; later
    nothing is refunded and `stop` chooses the period's end or now (SVC-SUB-1)."""
    row = await visible_subscription(request, subscription_id)
    done = await run_update(
        request,
        subscription_id,
        UPDATE_CANCEL_SUBSCRIPTION,
        body,
        SubscriptionCancelled,
        id=update_id("cancel", idempotency_key) or "cancel",
        workflow_id=subscription_workflow_id(subscription_id),
    )
    if done is None:
        raise Problem(
            409,
            "Refused by the merchant's policy",
            f"the subscription is {row['status']}: there is nothing left to cancel",
            clause="SVC-SUB-1",
        )
    return {
        "subscription_id": subscription_id,
        "status": done.status.value,
        "refund": money_json(done.refund.amount, done.refund.currency),
        "access_ends_at": done.access_ends_at,
        "clauses": done.clauses,
    }
