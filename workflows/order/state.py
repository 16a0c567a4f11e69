"""The order workflow's state: one object made of its contexts' parts, each a component with
state of its own that only it writes. The order's handlers call a part's method; the parts
reach each other only through what they were built with."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.orders import OrderWorkflowInput

from workflows.claims.desk import ClaimDesk
from workflows.digital.steps import GiftCards
from workflows.fulfilment.edits import AddressEdits
from workflows.fulfilment.parcels import Parcels
from workflows.fulfilment.workflow import Fulfilment
from workflows.order.cancellation import Cancellations
from workflows.order.line_cancels import LineCancels
from workflows.order.line_edits import LineEdits
from workflows.payment.purse import Purse
from workflows.payment.workflow import Payment
from workflows.returns.desk import ReturnDesk
from workflows.shared.order import OrderContext


@dataclass
class OrderState:
    order: OrderContext  # the input, the snapshot, the timeline
    money: Purse
    cancels: Cancellations
    payment: Payment
    edits: AddressEdits
    line_edits: LineEdits
    line_cancels: LineCancels
    fulfilment: Fulfilment
    parcels: Parcels
    returns: ReturnDesk  # the order's side of its returns, each a child workflow
    cards: GiftCards
    claims: ClaimDesk  # the order's side of its claims, each a child workflow
    payment_events: set[str] = field(default_factory=set)  # provider event IDs applied
    cancelled_from_ui: bool = False

    @classmethod
    def of(cls, order: OrderWorkflowInput) -> OrderState:
        ctx = OrderContext(order)
        money = Purse(ctx)
        cancels = Cancellations(ctx, money)
        edits = AddressEdits(ctx)
        fulfilment = Fulfilment(ctx, cancels, edits)
        return cls(
            order=ctx,
            money=money,
            cancels=cancels,
            payment=Payment(ctx, money, cancels),
            edits=edits,
            line_edits=LineEdits(ctx, money, cancels, edits),
            line_cancels=LineCancels(ctx, money, cancels, edits),
            fulfilment=fulfilment,
            parcels=Parcels(ctx, money, fulfilment),
            returns=ReturnDesk(ctx, money),
            cards=GiftCards(ctx, money, cancels),
            claims=ClaimDesk(ctx, money),
        )
