"""Gift cards after issue, until the last one is used or has expired: redemptions the issuer
reports, faulty-card reports (answered by support within their deadline, escalated when it
passes, replaced or refunded by an operator's decision), and expiry (an unused expired card
is not refunded)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cards import CardActivities
    from domain.decisions.digital import faulty_card_report, faulty_card_verdict
    from domain.digital import (
        CardLookup,
        CardState,
        CardStatus,
        DigitalCard,
        FaultyCardAnswer,
        FaultyCardDecision,
        FaultyCardReport,
        FaultyCardVerdict,
        ReportStatus,
    )
    from domain.errors import ErrorType
    from domain.money import Money

from workflows.digital.workflow import DigitalDelivery, card_facts
from workflows.payment.purse import Purse
from workflows.shared.deadlines import within
from workflows.shared.options import SHORT, run
from workflows.shared.order import OrderContext
from workflows.shared.refusals import refusal

REFUSED = ErrorType.CARD_REPORT_REFUSED
VERDICTS = {
    FaultyCardVerdict.REPLACE: ReportStatus.REPLACED,
    FaultyCardVerdict.REFUND: ReportStatus.REFUNDED,
    FaultyCardVerdict.REFUSE: ReportStatus.REFUSED,
}


class CardCare:
    def __init__(self, ctx: OrderContext, money: Purse, cards: DigitalDelivery) -> None:
        self._ctx, self._money, self._cards = ctx, money, cards
        self._escalated: set[str] = set()

    # -- until every card is used or expired --------------------------------------------

    async def until_expiry(self) -> None:
        state = self._cards.state
        while True:
            state.changed = False  # news arriving from here on wakes the wait below
            await self._record_news()
            await self._escalate_overdue()
            now = workflow.now()
            live = [c.expires_at for c in state.cards if c.status is CardStatus.ISSUED]
            open_reports = [c for c in state.cards if c.report is ReportStatus.UNDER_REVIEW]
            if not open_reports and all(at <= now for at in live):
                break
            wakes = [at for at in live if at > now]
            wakes += [
                c.answer_by
                for c in open_reports
                if c.answer_by and c.answer_by > now and c.card_id not in self._escalated
            ]
            if wakes:
                await within(
                    lambda: state.changed,
                    min(wakes) - now,
                    "next gift card expiry or support deadline",
                )
            else:
                await workflow.wait_condition(lambda: state.changed)
        await self._expire()
        state.done = True

    async def _record_news(self) -> None:
        news, self._cards.state.news = self._cards.state.news, []
        for card in news:
            assert card.redeemed_at is not None
            await self._ctx.record(
                "digital_card_redeemed",
                None,
                f"gift card {card.card_id} redeemed at {card.redeemed_at.isoformat()}",
                self._used_clauses(),
                details={"card_id": card.card_id},
            )
        if news:
            await self._cards.mark(news)

    async def _escalate_overdue(self) -> None:
        ctx, now = self._ctx, workflow.now()
        for card in self._cards.state.cards:
            due = card.answer_by
            if card.report is not ReportStatus.UNDER_REVIEW or due is None or due > now:
                continue
            if card.card_id in self._escalated:
                continue
            self._escalated.add(card.card_id)
            clauses = self._support_clauses()
            await ctx.record(
                "faulty_card_answer_overdue",
                None,
                f"the report on gift card {card.card_id} was due an answer by {due.isoformat()}",
                clauses,
                details={"card_id": card.card_id},
            )
            await ctx.task(
                "faulty_card_overdue",
                f"answer the report on gift card {card.card_id}: overdue",
                clauses,
                due_at=due,
                key=card.card_id,
            )

    async def _expire(self) -> None:
        """Cards past their expiry: the issuer says whether each was used; unused ones expire
        without a refund."""
        ctx, now = self._ctx, workflow.now()
        ended: list[DigitalCard] = []
        for card in self._cards.state.cards:
            if card.status is not CardStatus.ISSUED or card.expires_at > now:
                continue
            found = await self._ask_issuer(card)
            if found.redeemed_at is not None:
                card.redeemed_at, card.status = found.redeemed_at, CardStatus.REDEEMED
            else:
                card.status = CardStatus.EXPIRED
                await ctx.record(
                    "digital_card_expired",
                    None,
                    f"gift card {card.card_id} expired unused on {card.expires_at.isoformat()}: "
                    "not refunded",
                    self._cards.expiry_clauses(),
                    details={"card_id": card.card_id},
                )
            ended.append(card)
        if ended:
            await self._cards.mark(ended)

    async def _ask_issuer(self, card: DigitalCard) -> CardState:
        lookup = CardLookup(order_id=self._ctx.order_id, card_id=card.card_id)
        found = await run(
            CardActivities.digital_card_state, lookup, SHORT, f"ask the issuer about {card.card_id}"
        )
        return found

    # -- faulty-card reports ------------------------------------------------------------

    def check_report(self, report: FaultyCardReport) -> None:
        card = self._cards.card(report.card_id)
        decision, _ = faulty_card_report(self._ctx.policy, card, workflow.now())
        if not decision.allowed:
            raise refusal(decision.reason, decision.clauses, REFUSED, field="card_id")

    async def report(self, report: FaultyCardReport) -> FaultyCardAnswer:
        """Taken for review once the issuer confirms the card was not used; refused
        otherwise (CRD-DIG-8)."""
        ctx, state = self._ctx, self._cards.state
        card = self._cards.card(report.card_id)
        assert card is not None
        found = await self._ask_issuer(card)
        if found.redeemed_at is not None and card.redeemed_at is None:
            card.redeemed_at, card.status = found.redeemed_at, CardStatus.REDEEMED
            state.news.append(card)
            state.changed = True
        decision, due = faulty_card_report(ctx.policy, card, workflow.now())
        if not decision.allowed:
            await ctx.record(
                "faulty_card_refused",
                None,
                f"report on gift card {card.card_id} refused: {decision.reason}",
                decision.clauses,
                details={"card_id": card.card_id},
            )
            raise refusal(decision.reason, decision.clauses, REFUSED, field="card_id")
        card.report, card.answer_by = ReportStatus.UNDER_REVIEW, due
        await ctx.record(
            "faulty_card_reported",
            None,
            f"gift card {card.card_id} reported faulty; support answers by "
            f"{due.isoformat() if due else 'the policy deadline'}",
            decision.clauses,
            details={"card_id": card.card_id},
            deadlines={f"card_{card.card_id}_answer_by": due} if due else None,
        )
        await ctx.task(
            "faulty_card",
            f"gift card {card.card_id} reported faulty: replace, refund or refuse",
            decision.clauses,
            due_at=due,
            key=card.card_id,
        )
        await ctx.email(
            "faulty_card_received",
            {"card_id": card.card_id, "answer_by": due.isoformat() if due else ""},
            key=card.card_id,
        )
        state.changed = True
        return FaultyCardAnswer(
            card_id=card.card_id, report=card.report, answer_by=due, clauses=decision.clauses
        )

    def check_decision(self, decision: FaultyCardDecision) -> None:
        card = self._cards.card(decision.card_id)
        if card is None or card.report is not ReportStatus.UNDER_REVIEW:
            raise refusal(
                "no report on this card is waiting for an answer",
                self._support_clauses(),
                REFUSED,
                field="card_id",
            )

    async def resolve(self, decision: FaultyCardDecision) -> FaultyCardAnswer:
        """An operator's verdict: a new card, the card's value back, or no fault found."""
        ctx, state = self._ctx, self._cards.state
        card = self._cards.card(decision.card_id)
        assert card is not None and card.report is ReportStatus.UNDER_REVIEW
        card.report = VERDICTS[decision.verdict]  # a second verdict is refused from here on
        verdict = faulty_card_verdict(ctx.policy, decision.verdict)
        replacement: DigitalCard | None = None
        refund: Money | None = None
        if decision.verdict is FaultyCardVerdict.REPLACE:
            replacement = await self._replace(card)
        elif decision.verdict is FaultyCardVerdict.REFUND:
            refund = await self._money.refund(
                card.value, f"card:{card.card_id}", verdict.clauses, "faulty gift card"
            )
            card.status = CardStatus.REFUNDED
        await self._cards.mark([card] + ([replacement] if replacement else []))
        await ctx.record(
            "faulty_card_answered",
            None,
            f"report on gift card {card.card_id}: {verdict.reason} (by {decision.operator})",
            verdict.clauses,
            details={
                "card_id": card.card_id,
                "operator": decision.operator,
                "verdict": decision.verdict.value,
                **({"replacement": replacement.card_id} if replacement else {}),
            },
        )
        await ctx.task("faulty_card", closed=True, key=card.card_id)
        if card.card_id in self._escalated:
            await ctx.task("faulty_card_overdue", closed=True, key=card.card_id)
        await ctx.email(
            "faulty_card_answer",
            {"card_id": card.card_id, "report": card.report.value, "refund": str(refund)},
            key=card.card_id,
        )
        state.changed = True
        return FaultyCardAnswer(
            card_id=card.card_id,
            report=card.report,
            replacement=replacement.card_id if replacement else None,
            refund=refund,
            clauses=verdict.clauses,
        )

    async def _replace(self, card: DigitalCard) -> DigitalCard:
        state = self._cards.state
        line = self._ctx.input.lines[card.line]
        n = sum(1 for c in state.cards if c.line == card.line and c.unit == card.unit)
        new = await self._cards.issue(card.line, card.unit, line, replaces=card.card_id, n=n)
        card.status = CardStatus.REPLACED
        state.cards.append(new)
        await self._ctx.email(
            "digital_cards", {"cards": card_facts([new]), "replaces": card.card_id}, key=new.card_id
        )
        return new

    # -- clauses ------------------------------------------------------------------------

    def _support_clauses(self) -> tuple[str, ...]:
        rule = next((r for r in self._ctx.policy.support if r.topic == "faulty_digital_card"), None)
        return rule.clauses if rule else ()

    def _used_clauses(self) -> tuple[str, ...]:
        rules = self._ctx.policy.digital
        return rules.used_after_purchase_no_compensation.clauses if rules else ()
