"""Activities stood in by name, recording what the workflow asked of them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.models import (
    ApplyAddressChange,
    ApplyLineEdit,
    AuthorizePayment,
    BuyLabel,
    CapturePayment,
    ClaimEvent,
    ConfirmPayment,
    CreateInvoice,
    EditStock,
    Escalation,
    LabelResult,
    MovementResult,
    OperatorTask,
    OrderEvent,
    ParcelScan,
    PollTracking,
    RefundPayment,
    ReserveReplacement,
    ReturnEvent,
    SendOrderEmail,
    VoidLabel,
    VoidPayment,
)
from domain.digital import CardLookup, CardMarks, CardState, CardToIssue, IssuedCard
from domain.money import Money
from domain.orders import OrderLine, OrderWorkflowInput
from domain.policy import PaymentMethod, Policy, load_policy
from domain.subscriptions import (
    ChargeSaved,
    RefundCharge,
    SendSubscriptionEmail,
    SubscriptionEvent,
)
from tests.paths import DEMO_PRESET


@dataclass
class FakeWorld:
    """Providers as the workflow sees them through its activities. `provider` holds the state
    each payment has at the provider, as `confirm_payment` and `void_payment` find it."""

    decline: str | None = None
    declined_tokens: set[str] = field(default_factory=set)  # declined whatever `decline` says
    # authorisations wait at the provider until this is set
    authorisations_held: asyncio.Event | None = None
    challenge: bool = False  # authorisations need the customer (3-D Secure, PayPal)
    recent_orders: int = 0
    provider: dict[str, str] = field(default_factory=dict)
    carrier_says: list[str] = field(default_factory=list)
    in_stock: bool = True
    capture_failures: int = 0  # the provider answers 500 to this many capture calls first
    capture_refused: bool = False  # the provider refuses the capture, for good
    events: list[OrderEvent] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    email_facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # the last of each kind
    calls: list[str] = field(default_factory=list)
    pickups: dict[str, Any] = field(default_factory=dict)  # tracking number -> booked pickup
    tasks: dict[str, OperatorTask] = field(default_factory=dict)
    return_events: list[Any] = field(default_factory=list)
    refund_acts_then_fails: int = 0  # the provider refunds, then the answer is lost this often
    # Like a provider, refuse a refund that would give back more than this in all (captured).
    refunds_up_to: Decimal | None = None
    refunded_total: Decimal = Decimal(0)
    refused_refunds: list[str] = field(default_factory=list)
    # Refunds whose key contains one of these are held at the provider until the event is set.
    held_refunds: dict[str, asyncio.Event] = field(default_factory=dict)
    refunds_at_provider: list[str] = field(default_factory=list)  # keys received, in order
    # Like a provider, each payment refunds up to its own capture only.
    captured_on: dict[str, Decimal] = field(default_factory=dict)
    refunded_on: dict[str, Decimal] = field(default_factory=dict)
    card_issue_failures: int = 0  # the card issuer answers 500 to this many calls first
    cards_refused: bool = False  # the card issuer refuses to issue, for good
    labels_refused: bool = False  # the carrier refuses every label, for good
    smtp_down: bool = False  # the mail server answers nothing while this holds
    store_down: bool = False  # the database takes no timeline entry or task while this holds
    cards: dict[str, str] = field(default_factory=dict)  # issued card ID -> idempotency key
    redeemed: dict[str, Any] = field(default_factory=dict)  # card ID -> when it was used
    card_marks: dict[str, str] = field(default_factory=dict)  # card ID -> last status kept
    decline_from_period: int | None = None  # saved-card charges of this period on decline
    charges: list[tuple[str, Any]] = field(default_factory=list)  # (key, when) of each charge
    charged_amounts: list[Money] = field(default_factory=list)
    subscription_events: list[Any] = field(default_factory=list)
    claim_events: list[Any] = field(default_factory=list)
    task_log: list[OperatorTask] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)  # task keys escalated to operators
    authorization_lasts: timedelta | None = None  # the provider lets it lapse after this

    def activities(self) -> list[Any]:
        @activity.defn(name="record_order_event")
        async def record_order_event(event: OrderEvent) -> None:
            if self.store_down:
                raise ConnectionRefusedError("PostgreSQL unreachable")
            self.events.append(event)

        @activity.defn(name="authorize_payment")
        async def authorize_payment(request: AuthorizePayment) -> MovementResult:
            self.calls.append(f"authorize:{request.idempotency_key}")
            # the order's own attempts are pay_<n>; a fee's or a quote's payment is its own
            attempt = request.idempotency_key.partition(":authorization:")[2]
            payment_id = "pay_" + (attempt or request.idempotency_key).replace(":", "_")
            if self.authorisations_held is not None:
                await self.authorisations_held.wait()
            if self.decline or request.payment_token in self.declined_tokens:
                self.provider[payment_id] = "declined"
                return MovementResult(
                    payment_id=payment_id,
                    state="declined",
                    decline_code=self.decline or "card_declined",
                )
            if self.challenge or request.payment_token == "paypal":
                self.provider[payment_id] = "requires_action"
                return MovementResult(
                    payment_id=payment_id,
                    state="requires_action",
                    next_action_url=f"https://pay.example/{payment_id}",
                )
            self.provider[payment_id] = "authorized"
            lasts = self.authorization_lasts
            return MovementResult(
                payment_id=payment_id,
                state="authorized",
                card_country="US",
                capture_before=activity.info().current_attempt_scheduled_time + lasts
                if lasts
                else None,
            )

        @activity.defn(name="create_invoice")
        async def create_invoice(request: CreateInvoice) -> MovementResult:
            self.calls.append(f"invoice:{request.idempotency_key}")
            payment_id = "inv_" + request.idempotency_key.rsplit(":", 1)[1]
            self.provider[payment_id] = "requires_action"
            return MovementResult(
                payment_id=payment_id,
                state="requires_action",
                next_action_url=f"https://pay.example/{payment_id}",
            )

        @activity.defn(name="confirm_payment")
        async def confirm_payment(request: ConfirmPayment) -> MovementResult:
            self.calls.append(f"confirm:{request.payment_id}")
            return MovementResult(
                payment_id=request.payment_id, state=self.provider.get(request.payment_id, "")
            )

        @activity.defn(name="customer_order_count")
        async def customer_order_count(order_id: str) -> int:
            return self.recent_orders

        @activity.defn(name="capture_payment")
        async def capture_payment(request: CapturePayment) -> MovementResult:
            self.calls.append(f"capture:{request.idempotency_key}")
            if self.capture_failures > 0:
                self.capture_failures -= 1
                raise RuntimeError("provider answered 500")
            if self.capture_refused:
                raise ApplicationError(
                    "the authorisation expired", type="PaymentRejected", non_retryable=True
                )
            self.captured_on[request.payment_id] = request.amount.amount
            return MovementResult(payment_id=request.payment_id, state="captured")

        @activity.defn(name="send_order_email")
        async def send_order_email(request: SendOrderEmail) -> None:
            if self.smtp_down:
                raise ConnectionRefusedError("SMTP server unreachable")
            self.emails.append(request.template)
            self.email_facts[request.template] = request.facts

        @activity.defn(name="buy_shipping_label")
        async def buy_shipping_label(request: BuyLabel) -> LabelResult:
            self.calls.append(f"label:{request.idempotency_key}")
            if self.labels_refused:
                raise ApplicationError(
                    "address outside the carrier's network",
                    type="LabelRejected",
                    non_retryable=True,
                )
            parcel_no = request.idempotency_key.rsplit(":", 1)[1]
            self.pickups[f"TRK{parcel_no}"] = request.pickup_at
            return LabelResult(
                carrier=request.carrier,
                tracking_number=f"TRK{parcel_no}",
                label_id=f"lbl_{parcel_no}",
            )

        @activity.defn(name="refund_payment")
        async def refund_payment(request: RefundPayment) -> MovementResult:
            key = request.idempotency_key
            self.refunds_at_provider.append(key)
            for part, release in self.held_refunds.items():
                if part in key:
                    await release.wait()
            # Like the provider's idempotency keys: a key seen before moves no money again.
            done = any(c.startswith(f"refund:{key}:") for c in self.calls)
            on_payment = self.refunded_on.get(request.payment_id, Decimal(0))
            over = (
                self.refunds_up_to is not None
                and self.refunded_total + request.amount.amount > self.refunds_up_to
            ) or (
                request.payment_id in self.captured_on
                and on_payment + request.amount.amount > self.captured_on[request.payment_id]
            )
            if not done and over:
                self.refused_refunds.append(key)
                raise ApplicationError(
                    "refund above what was captured", type="PaymentRejected", non_retryable=True
                )
            if not done:
                self.refunded_total += request.amount.amount
                self.refunded_on[request.payment_id] = on_payment + request.amount.amount
                self.calls.append(f"refund:{key}:{request.amount}")
            if self.refund_acts_then_fails > 0:
                self.refund_acts_then_fails -= 1
                raise RuntimeError("timed out after the provider refunded")
            return MovementResult(payment_id=request.payment_id, state="refunded")

        @activity.defn(name="record_return_event")
        async def record_return_event(event: ReturnEvent) -> None:
            self.return_events.append(event)

        @activity.defn(name="void_payment")
        async def void_payment(request: VoidPayment) -> MovementResult:
            self.calls.append(f"void:{request.idempotency_key}")
            state = self.provider.get(request.payment_id, "authorized")
            if state in ("authorized", "requires_action"):
                state = self.provider[request.payment_id] = "voided"
            return MovementResult(payment_id=request.payment_id, state=state)

        @activity.defn(name="apply_address_change")
        async def apply_address_change(request: ApplyAddressChange) -> None:
            self.calls.append(f"address:{request.change_id}")

        @activity.defn(name="poll_tracking")
        async def poll_tracking(request: PollTracking) -> list[ParcelScan]:
            # A carrier that says nothing special has the parcel once its pickup time passed.
            now = activity.info().current_attempt_scheduled_time
            scans = []
            for number in request.tracking_numbers:
                pickup = self.pickups.get(number)
                default = "pre_transit" if pickup is not None and now < pickup else "in_transit"
                said = self.carrier_says.pop(0) if self.carrier_says else default
                self.calls.append(f"poll:{said}")
                scans.append(ParcelScan(tracking_number=number, status=said))
            return scans

        @activity.defn(name="void_shipping_label")
        async def void_shipping_label(request: VoidLabel) -> bool:
            self.calls.append(f"void_label:{request.label_id}")
            return True

        @activity.defn(name="set_operator_task")
        async def set_operator_task(task: OperatorTask) -> None:
            if self.store_down:
                raise ConnectionRefusedError("PostgreSQL unreachable")
            self.tasks[task.kind] = task
            self.task_log.append(task)

        @activity.defn(name="reserve_replacement")
        async def reserve_replacement(request: ReserveReplacement) -> bool:
            self.calls.append(f"reserve:{request.reservation_key}")
            return self.in_stock

        @activity.defn(name="reserve_edit_stock")
        async def reserve_edit_stock(request: EditStock) -> bool:
            self.calls.append(f"reserve_edit:{request.reservation_key}:{request.units}")
            return self.in_stock

        @activity.defn(name="release_edit_stock")
        async def release_edit_stock(request: EditStock) -> None:
            self.calls.append(f"release_edit:{request.reservation_key}")

        @activity.defn(name="apply_line_edit")
        async def apply_line_edit(request: ApplyLineEdit) -> None:
            lines = ",".join(f"{line.quantity}x{line.sku}" for line in request.lines)
            self.calls.append(f"lines:{lines}:{request.total}:released {request.release}")

        @activity.defn(name="issue_digital_card")
        async def issue_digital_card(request: CardToIssue) -> IssuedCard:
            self.calls.append(f"card:{request.idempotency_key}")
            if self.card_issue_failures > 0:
                self.card_issue_failures -= 1
                raise RuntimeError("card issuer answered 500")
            if self.cards_refused:
                raise ApplicationError(
                    "the issuer refused: card program suspended",
                    type="CardRejected",
                    non_retryable=True,
                )
            card_id = next(
                (c for c, key in self.cards.items() if key == request.idempotency_key),
                f"gc_{len(self.cards) + 1}",
            )
            self.cards[card_id] = request.idempotency_key
            return IssuedCard(card_id=card_id, issued_at=activity.info().started_time)

        @activity.defn(name="digital_card_state")
        async def digital_card_state(request: CardLookup) -> CardState:
            self.calls.append(f"card_state:{request.card_id}")
            return CardState(
                card_id=request.card_id, redeemed_at=self.redeemed.get(request.card_id)
            )

        @activity.defn(name="mark_digital_cards")
        async def mark_digital_cards(request: CardMarks) -> None:
            for mark in request.marks:
                self.card_marks[mark.card_id] = mark.status.value

        @activity.defn(name="charge_saved_card")
        async def charge_saved_card(request: ChargeSaved) -> MovementResult:
            at = activity.info().current_attempt_scheduled_time
            self.charges.append((request.idempotency_key, at))
            self.charged_amounts.append(request.amount)
            period = int(request.idempotency_key.split(":period:")[1].split(":")[0])
            payment_id = "pay_" + request.idempotency_key.replace(":", "_")
            if self.decline_from_period is not None and period >= self.decline_from_period:
                return MovementResult(
                    payment_id=payment_id, state="declined", decline_code="card_declined"
                )
            return MovementResult(payment_id=payment_id, state="captured")

        @activity.defn(name="refund_subscription_charge")
        async def refund_subscription_charge(request: RefundCharge) -> MovementResult:
            self.calls.append(f"refund:{request.idempotency_key}:{request.amount}")
            return MovementResult(payment_id=request.payment_id, state="refunded")

        @activity.defn(name="record_subscription_event")
        async def record_subscription_event(event: SubscriptionEvent) -> None:
            self.subscription_events.append(event)

        @activity.defn(name="send_subscription_email")
        async def send_subscription_email(request: SendSubscriptionEmail) -> None:
            self.emails.append(request.template)
            self.email_facts[request.template] = request.facts

        @activity.defn(name="record_claim_event")
        async def record_claim_event(event: ClaimEvent) -> None:
            self.claim_events.append(event)

        @activity.defn(name="escalate_task")
        async def escalate_task(overdue: Escalation) -> bool:
            task = next((t for t in self.tasks.values() if t.task_key == overdue.task_key), None)
            if task is None or task.closed:
                return False
            if overdue.task_key not in self.escalated:
                self.escalated.append(overdue.task_key)
            return True

        return [
            record_claim_event,
            escalate_task,
            charge_saved_card,
            refund_subscription_charge,
            record_subscription_event,
            send_subscription_email,
            issue_digital_card,
            digital_card_state,
            mark_digital_cards,
            record_return_event,
            void_shipping_label,
            set_operator_task,
            create_invoice,
            confirm_payment,
            customer_order_count,
            reserve_replacement,
            reserve_edit_stock,
            release_edit_stock,
            apply_line_edit,
            poll_tracking,
            refund_payment,
            void_payment,
            apply_address_change,
            record_order_event,
            authorize_payment,
            capture_payment,
            send_order_email,
            buy_shipping_label,
        ]

    def statuses(self) -> list[str]:
        return [e.status.value for e in self.events if e.status is not None]


def policy_with_return_window(window: timedelta) -> Policy:
    policy = load_policy(DEMO_PRESET)
    assert policy.returns is not None
    windows = tuple(w.model_copy(update={"length": window}) for w in policy.returns.windows)
    return policy.model_copy(
        update={"returns": policy.returns.model_copy(update={"windows": windows})}
    )


def held_at_dispatch(policy: Policy) -> Policy:
    """The policy with a dispatch slot always more than a day ahead (the next day at 23:59,
    every day a business day), so what happens between payment and dispatch can be tested."""
    from datetime import time

    from domain.policy.shipping import DispatchRule

    assert policy.shipping is not None
    dispatch = DispatchRule(same_business_day=False, cutoff=time(23, 59), clauses=("IMA-SHP-2",))
    return policy.model_copy(
        update={
            "shipping": policy.shipping.model_copy(update={"dispatch": dispatch}),
            "calendar": policy.calendar.model_copy(
                update={"weekend": (), "holidays_country": None}
            ),
        }
    )


def order_input(order_id: str, policy: Policy) -> OrderWorkflowInput:
    from datetime import UTC, datetime
    from decimal import Decimal

    from domain.calendar import pin_calendar

    total = Money(amount=Decimal("39.80"), currency=policy.currency)
    placed_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    return OrderWorkflowInput(
        order_id=order_id,
        policy=pin_calendar(policy, placed_at),
        lines=[OrderLine(sku="LAMP-1", name="Lamp", quantity=2, unit_price=Decimal("19.90"))],
        items_total=total,
        shipping_total=Money.zero(policy.currency),
        total=total,
        payment_method=PaymentMethod.CARD,
        payment_token="pm_card_approved",
        destination_country="LV",
        placed_at=placed_at,
    )


@asynccontextmanager
async def running_order(
    env: WorkflowEnvironment, world: FakeWorld, order: OrderWorkflowInput
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    """A worker with the stood-in activities, and the order's workflow started on it."""
    from workflows.claims.workflow import ClaimWorkflow
    from workflows.names import order_workflow_id
    from workflows.order.workflow import OrderWorkflow
    from workflows.returns.workflow import ReturnWorkflow
    from workflows.runner import workflow_runner

    queue = f"q-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[OrderWorkflow, ReturnWorkflow, ClaimWorkflow],
        workflow_runner=workflow_runner(),
        activities=world.activities(),
    ):
        handle = await env.client.start_workflow(
            OrderWorkflow.run, order, id=order_workflow_id(order.order_id), task_queue=queue
        )
        try:
            yield handle
        finally:
            # A test that failed half-way must not leave a workflow whose pending activities
            # would stop the time-skipping server from skipping for the tests after it.
            with suppress(RPCError):
                await handle.terminate("test finished")


@asynccontextmanager
async def running_claim(
    env: WorkflowEnvironment, world: FakeWorld, claim: Any
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    """A claim with no running order (a subscription's, or of a completed order) on a worker
    with the stood-in activities."""
    from workflows.claims.workflow import ClaimWorkflow
    from workflows.names import claim_workflow_id
    from workflows.runner import workflow_runner

    queue = f"q-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[ClaimWorkflow],
        workflow_runner=workflow_runner(),
        activities=world.activities(),
    ):
        handle = await env.client.start_workflow(
            ClaimWorkflow.run, claim, id=claim_workflow_id(claim.claim_id), task_queue=queue
        )
        try:
            yield handle
        finally:
            with suppress(RPCError):
                await handle.terminate("test finished")


async def record_history(
    handle: WorkflowHandle[Any, Any], name: str, workflow: str = "order"
) -> None:
    """With ORDERFLOW_RECORD_HISTORIES set, keep this run's history for the replay test as
    `tests/histories/<workflow>_<name>.json` (an existing file is never overwritten)."""
    import os

    from tests.paths import HISTORIES

    target = HISTORIES / f"{workflow}_{name}.json"
    if os.environ.get("ORDERFLOW_RECORD_HISTORIES") and not target.exists():
        target.write_text((await handle.fetch_history()).to_json())


def scan_of(tracking_number: str, status: Any, at: Any) -> Any:
    """A carrier's scan as the relay hands it to the order."""
    from domain.orders import TrackingEvent

    return TrackingEvent(
        event_id=f"{tracking_number}-{status.value}",
        tracking_number=tracking_number,
        status=status,
        occurred_at=at,
    )


async def opened_task(world: FakeWorld, kind: str) -> OperatorTask:
    """The operator task of that kind once the workflow has opened it. It is set after the
    timeline entry that announces it, so a test waits for the task itself."""
    from tests.integration.harness import wait_for

    async def opened() -> OperatorTask | None:
        return world.tasks.get(kind)

    task: OperatorTask = await wait_for(opened, within=30)
    return task


async def labelled(handle: WorkflowHandle[Any, Any], count: int) -> Any:
    """Wait until the order has `count` labels; its snapshot then."""
    from domain.orders import OrderSnapshot
    from tests.integration.harness import wait_for
    from workflows.names import QUERY_ORDER

    async def ready() -> Any:
        snapshot = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        return snapshot if len(snapshot.shipments) == count else None

    return await wait_for(ready, within=30)


async def picked_up(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], count: int = 1
) -> Any:
    """Wait for `count` labels, let the clock run to the booked pickup and the carrier collect
    every parcel still waiting for it (as the sandbox carrier does), and wait until the order
    has shipped."""
    from domain.orders import OrderSnapshot
    from domain.status import OrderStatus, TrackingStatus
    from tests.integration.harness import wait_for
    from workflows.names import QUERY_ORDER, SIGNAL_CARRIER_EVENT

    snapshot = await labelled(handle, count)
    now = await env.get_current_time()
    if snapshot.pickup_at is not None and snapshot.pickup_at > now:
        await env.sleep(snapshot.pickup_at - now)
    for parcel in snapshot.shipments:
        if parcel.status is TrackingStatus.PRE_TRANSIT and not parcel.voided:
            at = snapshot.pickup_at or snapshot.fulfilment_started_at
            await handle.signal(
                SIGNAL_CARRIER_EVENT, scan_of(parcel.tracking_number, TrackingStatus.PICKED_UP, at)
            )

    async def shipped() -> Any:
        now = await handle.query(QUERY_ORDER, result_type=OrderSnapshot)
        return now if now.status is OrderStatus.SHIPPED and now.shipped_at else None

    return await wait_for(shipped, within=30)


async def clock_at(env: WorkflowEnvironment, policy: Policy, weekday: int, at: Any) -> Any:
    """Move the test server's clock forward to the next business `weekday` (Monday is 0) at
    `at`, merchant time, whose next business day is the next weekday, so that expectations
    read plainly. Returns that moment."""
    from datetime import timedelta

    from domain.calendar import Calendar

    cal = Calendar(policy.calendar, policy.zone)
    now = cal.local(await env.get_current_time())
    day = now.date() + timedelta(days=1)
    while not (
        day.weekday() == weekday
        and cal.is_business_day(day)
        and cal.next_business_day(day) == day + timedelta(days=1 if weekday < 4 else 3)
    ):
        day += timedelta(days=1)
    target = cal.at(day, at)
    await env.sleep(target - now)
    return target


async def refused(call: Any, kind: str) -> list[str]:
    """Await an update the workflow's validator must refuse as `kind`; its clauses."""
    import pytest
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.exceptions import ApplicationError

    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await call
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == kind, cause
    return list(cause.details)


async def emailed(world: FakeWorld, template: str, **facts: Any) -> dict[str, Any]:
    """Wait until the order's e-mail `template` went out (with these facts, where given): an
    order's e-mails go out behind its path, a moment after the step that sends them."""
    from tests.integration.harness import wait_for

    async def sent() -> tuple[dict[str, Any]] | None:
        found = world.email_facts.get(template)
        if found is None or any(found.get(k) != v for k, v in facts.items()):
            return None
        return (found,)  # truthy even for an e-mail without facts

    (result,) = await wait_for(sent, within=30)
    return result
