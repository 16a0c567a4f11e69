"""Starting an order's workflow from its stored row: at placement, or later by the relay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import structlog
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.money import Money
from domain.orders import OrderLine, OrderWorkflowInput, PaymentStep
from domain.policy import PaymentMethod, Policy
from domain.status import OrderStatus
from workflows.names import (
    MERCHANT,
    ORDER_REFERENCE,
    ORDER_STATUS,
    PAYMENT_METHOD,
    UPDATE_PAYMENT_STEP,
    order_workflow_id,
)

log = structlog.get_logger("orderflow.api.launch")
# How long placing an order waits to learn what the customer must do next; past it the answer
# is the stored status, and the order's page shows the next action once known.
STEP_TIMEOUT = timedelta(seconds=10)
# What "the workflow cannot say in time" looks like to the client.
STEP_UNKNOWN = (RPCError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError)


def step_json(step: PaymentStep) -> dict[str, Any]:
    body: dict[str, Any] = {"status": step.status.value}
    if step.next_action_url:
        body["next_action"] = {"type": "redirect", "url": step.next_action_url}
    if step.decline_code:
        body["decline_code"] = step.decline_code
    return body


async def place_order_workflow(
    client: Client, row: dict[str, Any], task_queue: str
) -> tuple[bool, PaymentStep | None]:
    """Start `order-<id>` and learn its first payment step in one request (update-with-start:
    the workflow answers the update in its first task). Returns whether the workflow runs, and
    the step, or None when the workflow cannot say within `STEP_TIMEOUT`."""
    order = workflow_input(row, row.get("payment_token"))
    options = _start_options(order, task_queue, row.get("external_reference"))
    start = WithStartWorkflowOperation("OrderWorkflow", order, **options)
    try:
        step = await client.execute_update_with_start_workflow(
            UPDATE_PAYMENT_STEP,
            1,
            start_workflow_operation=start,
            result_type=PaymentStep,
            rpc_timeout=STEP_TIMEOUT,
        )
        return True, step
    except STEP_UNKNOWN as err:
        # The order is stored either way: the answer is its stored status, the order's page
        # shows the next action once the workflow knows it, and a workflow that did not start
        # is started by the relay.
        log.info("payment step not known yet", order_id=order.order_id, error=str(err))
    try:
        await start.workflow_handle()
    except WorkflowAlreadyStartedError:
        return True, None  # started before, and closed since
    except RPCError:
        return False, None
    return True, None


async def payment_step(client: Client, order_id: str) -> PaymentStep | None:
    """The first payment attempt's step of a running order, or None when the workflow cannot
    say in time (the answer is then the stored status)."""
    handle = client.get_workflow_handle(order_workflow_id(order_id))
    try:
        return await handle.execute_update(
            UPDATE_PAYMENT_STEP, 1, result_type=PaymentStep, rpc_timeout=STEP_TIMEOUT
        )
    except STEP_UNKNOWN as err:
        log.info("payment step not known yet", order_id=order_id, error=str(err))
        return None


def workflow_input(row: dict[str, Any], payment_token: str | None) -> OrderWorkflowInput:
    currency = row["currency"]

    def money(value: Decimal) -> Money:
        return Money(amount=value, currency=currency)

    return OrderWorkflowInput(
        order_id=row["order_id"],
        policy=Policy.model_validate(row["policy"]),
        lines=[OrderLine.model_validate(line) for line in row["lines"]],
        items_total=money(row["items_total"]),
        shipping_total=money(row["shipping_total"]),
        total=money(row["total"]),
        payment_method=PaymentMethod(row["payment_method"]),
        payment_token=payment_token,
        destination_country=row["shipping_address"]["country"],
        placed_at=row["created_at"],
        billing_country=(row.get("billing_address") or row["shipping_address"])["country"],
    )


def _start_options(
    order: OrderWorkflowInput, task_queue: str, reference: str | None = None
) -> dict[str, Any]:
    found_by = [SearchAttributePair(ORDER_REFERENCE, reference)] if reference else []
    return dict(
        id=order_workflow_id(order.order_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(ORDER_STATUS, OrderStatus.PENDING_PAYMENT.value),
                SearchAttributePair(MERCHANT, order.policy.merchant),
                SearchAttributePair(PAYMENT_METHOD, order.payment_method.value),
                *found_by,
            ]
        ),
        static_summary=f"Order {order.order_id} · {order.policy.merchant} · {order.total}",
        static_details=(
            f"Policy `{order.policy.merchant}` {order.policy.version}; "
            f"{len(order.lines)} line(s), ships to {order.destination_country}"
        ),
    )


async def start_order_workflow(client: Client, row: dict[str, Any], task_queue: str) -> None:
    """Start `order-<id>`; starting it again is harmless (the running one is kept)."""
    order = workflow_input(row, row.get("payment_token"))
    await client.start_workflow(
        "OrderWorkflow",
        order,
        **_start_options(order, task_queue, row.get("external_reference")),
        # Fail fast when Temporal is unreachable; the relay tries again.
        rpc_timeout=timedelta(seconds=3),
    )
