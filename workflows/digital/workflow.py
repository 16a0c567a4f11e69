"""Digital delivery: an order's gift cards, one per unit of each digital line.

Under the policy's threshold the cards are issued at once after capture, against a deadline
that is recorded and checked; at or above it an operator verifies the purchase first, against
its own deadline: when that passes the verification is escalated, and nothing is ever issued
unverified. A rejected purchase (a card not the buyer's own) is cancelled and refunded less
the gateway's commission. Only card IDs pass through here: codes stay sealed in PostgreSQL
and reach the customer by e-mail and on the order's page.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cards import CardActivities
    from domain.decisions.aftercare import DigitalDelivery as Plan
    from domain.decisions.aftercare import digital_card_expiry, digital_delivery
    from domain.decisions.digital import card_units
    from domain.digital import (
        CardEvent,
        CardMark,
        CardMarks,
        CardStatus,
        CardToIssue,
        DigitalCard,
        VerificationVerdict,
    )
    from domain.money import Money
    from domain.orders import OrderLine
    from domain.status import OrderStatus

from workflows.digital.state import DigitalState
from workflows.shared.deadlines import within
from workflows.shared.options import MONEY, run, run_local
from workflows.shared.order import OrderContext


class DigitalDelivery:
    def __init__(self, ctx: OrderContext) -> None:
        self._ctx = ctx
        lines = ctx.input.lines
        self.any = any(line.is_digital for line in lines)
        self.only = self.any and all(line.is_digital for line in lines)
        self.state = DigitalState(done=not self.any)
        if self.any:
            ctx.more_details = self.details

    def card(self, card_id: str) -> DigitalCard | None:
        return next((c for c in self.state.cards if c.card_id == card_id), None)

    def details(self) -> list[str]:
        rows = [
            f"**Gift card:** `{c.card_id}` {c.sku} {c.value} ({c.status.value}"
            + (f", report {c.report.value}" if c.report else "")
            + f"), expires {c.expires_at.isoformat(timespec='seconds')}"
            for c in self.state.cards
        ]
        if self.state.verifying:
            rows.append("**Gift cards:** waiting for the purchase to be verified")
        return rows

    # -- the issuer's webhooks ----------------------------------------------------------

    def note_event(self, event: CardEvent) -> None:
        """A card redeemed at the brand; applied once per event ID, never moving back."""
        if event.event_id in self.state.seen:
            return
        self.state.seen.add(event.event_id)
        card = self.card(event.card_id)
        if event.type == "card.redeemed" and card is not None and card.redeemed_at is None:
            card.redeemed_at = event.redeemed_at or workflow.now()
            if card.status is CardStatus.ISSUED:
                card.status = CardStatus.REDEEMED
            self.state.news.append(card)
            self.state.changed = True

    # -- delivery -----------------------------------------------------------------------

    async def deliver(self) -> bool:
        """Verify when the policy asks for it, then issue every card. False when the purchase
        was rejected (the order is then cancelled)."""
        ctx, state = self._ctx, self.state
        state.done = False
        plan = digital_delivery(ctx.policy, ctx.input.total, ctx.order.paid_at or workflow.now())
        late = False
        if plan.verification_required:
            verified, late = await self._verify(plan)
            if not verified:
                return False
        issuing = asyncio.ensure_future(self._issue_all())
        wait = plan.deliver_by - workflow.now()
        if not late and wait.total_seconds() > 0:
            if not await within(issuing.done, wait, "gift cards due"):
                late = True
                await self._late(plan, "the card issuer has not issued the cards in time")
        elif not late:
            late = True
            await self._late(plan, "the cards were not issued in time")
        await issuing
        await self._issued(plan, late)
        return True

    async def _verify(self, plan: Plan) -> tuple[bool, bool]:
        """Hold the cards until an operator verifies the purchase: (verified, overdue)."""
        ctx, state = self._ctx, self.state
        state.verifying = True
        due = plan.deliver_by
        await ctx.record(
            "digital_verification",
            None,
            f"a purchase of {ctx.input.total} is verified before its gift cards are issued, "
            f"by {due.isoformat()}",
            plan.clauses,
            deadlines={"cards_due_by": due},
        )
        await ctx.task(
            "digital_verification",
            "verify the purchase information; then approve, or reject a card not the buyer's",
            plan.clauses,
            due_at=due,
        )
        await ctx.email("digital_verification", {"by": due.isoformat()})
        overdue = not await within(
            lambda: state.verification is not None,
            due - workflow.now(),
            "purchase verification due",
        )
        if overdue:
            await self._late(
                plan, "the purchase was not verified in time; nothing is issued unverified"
            )
            await workflow.wait_condition(lambda: state.verification is not None)
        state.verifying = False
        verdict = state.verification
        assert verdict is not None
        await ctx.task("digital_verification", closed=True)
        if verdict.verdict is VerificationVerdict.REJECT:
            return False, overdue
        await ctx.record(
            "digital_verified",
            None,
            f"purchase verified by {verdict.operator}",
            plan.clauses,
            details={"operator": verdict.operator},
        )
        return True, overdue

    async def _late(self, plan: Plan, why: str) -> None:
        """The delivery deadline passed: on the timeline, and escalated to operators."""
        await self._ctx.record(
            "digital_delivery_overdue",
            None,
            f"{why} (due {plan.deliver_by.isoformat()})",
            plan.clauses,
        )
        await self._ctx.task("digital_delivery_overdue", why, plan.clauses, due_at=plan.deliver_by)

    async def _issue_all(self) -> None:
        units = card_units(self._ctx.input.lines)
        cards = await asyncio.gather(*(self.issue(line, unit, item) for line, unit, item in units))
        self.state.cards.extend(cards)
        await self.mark(list(cards))

    async def issue(
        self, line: int, unit: int, item: OrderLine, replaces: str | None = None, n: int = 0
    ) -> DigitalCard:
        """One card from the issuer, once under `<order>:card:<line>:<unit>[:r<n>]`."""
        ctx = self._ctx
        value = Money(amount=item.unit_price, currency=ctx.policy.currency)
        key = f"{ctx.order_id}:card:{line}:{unit}" + (f":r{n}" if n else "")
        request = CardToIssue(
            order_id=ctx.order_id,
            line=line,
            unit=unit,
            sku=item.sku,
            value=value,
            idempotency_key=key,
        )
        issued = await run(
            CardActivities.issue_digital_card, request, MONEY, f"issue gift card {item.sku}"
        )
        expiry = digital_card_expiry(ctx.policy, issued.issued_at)
        return DigitalCard(
            card_id=issued.card_id,
            line=line,
            unit=unit,
            sku=item.sku,
            value=value,
            issued_at=issued.issued_at,
            expires_at=expiry.at,
            replaces=replaces,
        )

    async def mark(self, cards: list[DigitalCard]) -> None:
        """Each card's status and dates, as the order's page shows them."""
        marks = [
            CardMark(
                card_id=c.card_id,
                status=c.status,
                expires_at=c.expires_at,
                redeemed_at=c.redeemed_at,
            )
            for c in cards
        ]
        await run_local(CardActivities.mark_digital_cards, CardMarks(marks=marks), "card status")

    async def _issued(self, plan: Plan, late: bool) -> None:
        ctx, state = self._ctx, self.state
        state.issued = True
        if self.only:
            ctx.order.delivered_at = workflow.now()
        expires = max(c.expires_at for c in state.cards)
        await ctx.record(
            "digital_cards_issued",
            OrderStatus.DELIVERED if self.only else None,
            f"{len(state.cards)} gift card(s) issued"
            + (" late" if late else "")
            + f"; they expire two months after issue, by {expires.isoformat()}",
            plan.clauses + self.expiry_clauses(),
            details={"cards": [c.card_id for c in state.cards]},
            deadlines={"cards_expire_at": expires},
        )
        if late:
            await ctx.task("digital_delivery_overdue", closed=True)
        await ctx.email("digital_cards", {"cards": card_facts(state.cards)})

    def expiry_clauses(self) -> tuple[str, ...]:
        rules = self._ctx.policy.digital
        return rules.expiry.clauses if rules else ()


def card_facts(cards: list[DigitalCard]) -> list[dict[str, str]]:
    """What the cards' e-mail says of each; the code is added by the mail activity."""
    return [
        {
            "card_id": c.card_id,
            "sku": c.sku,
            "value": str(c.value),
            "expires_at": c.expires_at.isoformat(timespec="minutes"),
        }
        for c in cards
    ]
