"""What the caller may see: an order, a return, a claim or a subscription, each only to its
own token or an operator (else a 404 that reveals nothing), and a merchant's preset."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import Request

from domain.policy import Policy
from starter.api import deps
from starter.auth import (
    may_read,
    may_read_order,
)
from starter.problems import Problem
from store import claims, orders, returns, subscriptions
from workflows.names import (
    claim_workflow_id,
    order_workflow_id,
    return_workflow_id,
    subscription_workflow_id,
)


def merchant_policy(request: Request, merchant: str, currency: str) -> Policy:
    """The merchant's preset, when it exists and prices in `currency`; else a 422 naming the
    field."""
    policy: Policy | None = deps.presets(request).get(merchant)
    if policy is None:
        raise Problem(
            422, "Unknown merchant", f"no policy preset named {merchant!r}", field="merchant"
        )
    if currency != policy.currency:
        raise Problem(
            422,
            "Wrong currency",
            f"{policy.display_name} prices in {policy.currency}, not {currency}",
            field="currency",
        )
    return policy


async def visible_order(request: Request, order_id: str) -> dict[str, Any]:
    """The order, if these credentials may see it (its own token, or the operator key);
    otherwise a 404 that reveals nothing. Binds the order to the request's log context."""
    row = (
        await orders.get_order(deps.pool(request), order_id)
        if may_read_order(request, order_id)
        else None
    )
    if row is None:
        raise Problem(
            404, "Order not found", "no order with this ID is visible with the credentials given"
        )
    structlog.contextvars.bind_contextvars(
        order_id=order_id, workflow_id=order_workflow_id(order_id)
    )
    return row


async def visible_return(request: Request, rma_id: str) -> dict[str, Any]:
    """The return, if these credentials may see its order; otherwise a 404."""
    row = await returns.get_return(deps.pool(request), rma_id)
    if row is None or row["snapshot"] is None or not may_read_order(request, row["order_id"]):
        raise Problem(
            404, "Return not found", "no return with this ID is visible with the credentials given"
        )
    structlog.contextvars.bind_contextvars(
        order_id=row["order_id"], rma_id=rma_id, workflow_id=return_workflow_id(rma_id)
    )
    return row


async def visible_claim(request: Request, claim_id: str) -> dict[str, Any]:
    """The claim, for its order's or subscription's own token or the operator key; else 404."""
    row = await claims.get_claim(deps.pool(request), claim_id)
    visible = (
        row is not None
        and row["snapshot"] is not None
        and (
            may_read(request, "order", row["order_id"])
            if row["order_id"]
            else may_read(request, "subscription", row["subscription_id"])
        )
    )
    if not visible:
        raise Problem(
            404, "Claim not found", "no claim with this ID is visible with the credentials given"
        )
    assert row is not None
    structlog.contextvars.bind_contextvars(
        claim_id=claim_id, order_id=row["order_id"], workflow_id=claim_workflow_id(claim_id)
    )
    return row


async def visible_subscription(request: Request, subscription_id: str) -> dict[str, Any]:
    """The subscription, for its own token or the operator key; otherwise a 404."""
    row = (
        await subscriptions.get(deps.pool(request), subscription_id)
        if may_read(request, "subscription", subscription_id)
        else None
    )
    if row is None:
        raise Problem(
            404,
            "Subscription not found",
            "no subscription with this ID is visible with the credentials given",
        )
    structlog.contextvars.bind_contextvars(
        subscription_id=subscription_id, workflow_id=subscription_workflow_id(subscription_id)
    )
    return row
