"""Properties every decision keeps, whatever the facts (hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.decisions.changes import OrderFacts, cancellation, edit_window
from domain.decisions.return_refunds import InspectedItem, InspectionFacts, refund_breakdown
from domain.decisions.returns import ReturnedItem, ReturnRequest, return_eligibility
from domain.money import Money
from domain.policy.returns import ReturnReason
from tests.domain.helpers import PRESETS, line, money, utc

START = utc(2026, 3, 1, 9)
WITH_RETURNS = sorted(name for name, p in PRESETS.items() if p.returns is not None)
WITH_CANCELLATION = sorted(name for name, p in PRESETS.items() if p.cancellation is not None)

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
minutes = st.integers(min_value=0, max_value=200 * 24 * 60)


@st.composite
def inspections(draw: st.DrawFn) -> tuple[str, InspectionFacts]:
    name = draw(st.sampled_from(WITH_RETURNS))
    currency = PRESETS[name].currency
    items = draw(
        st.lists(
            st.builds(
                InspectedItem,
                sku=st.just("X"),
                unit_price=prices,
                quantity=st.integers(1, 5),
                acceptable=st.booleans(),
                defect_confirmed=st.none() | st.booleans(),
                missing_accessories_cost=st.just(Decimal(0)) | prices,
            ),
            min_size=1,
            max_size=4,
        )
    )
    facts = InspectionFacts(
        reason=draw(st.sampled_from(ReturnReason)),
        items=items,
        approved=draw(st.booleans()),
        shipping_refundable=Money(amount=draw(prices), currency=currency),
        refundable=Money(amount=draw(prices), currency=currency),
        inspected_at=START,
    )
    return name, facts


@settings(max_examples=300, deadline=None)
@given(inspections())
def test_a_refund_is_never_negative_nor_above_what_remains_refundable(
    case: tuple[str, InspectionFacts],
) -> None:
    name, facts = case
    breakdown = refund_breakdown(PRESETS[name], facts)
    assert Decimal(0) <= breakdown.total.amount <= facts.refundable.amount
    assert breakdown.shipping.amount <= breakdown.total.amount


@settings(max_examples=300, deadline=None)
@given(inspections())
def test_the_refund_breakdown_sums_to_the_refund(case: tuple[str, InspectionFacts]) -> None:
    name, facts = case
    breakdown = refund_breakdown(PRESETS[name], facts)
    total = sum((line.amount for line in breakdown.lines), Money.zero(facts.refundable.currency))
    assert total == breakdown.total


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(WITH_RETURNS),
    st.sampled_from(ReturnReason),
    st.integers(0, 30),
    minutes,
    minutes,
)
def test_a_closed_return_window_never_reopens(
    name: str, reason: ReturnReason, delivered_days: int, first: int, later: int
) -> None:
    policy = PRESETS[name]
    request = ReturnRequest(
        reason=reason,
        items=[ReturnedItem(sku="X", unit_price=Decimal(10))],
        purchased_at=START,
        delivered_at=START + timedelta(days=delivered_days),
    )
    t1 = START + timedelta(minutes=first)
    t2 = t1 + timedelta(minutes=later)
    if not return_eligibility(policy, request, t1).decision.allowed:
        assert not return_eligibility(policy, request, t2).decision.allowed


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(PRESETS)), st.integers(0, 48 * 60), minutes, minutes)
def test_a_closed_edit_window_never_reopens(
    name: str, fulfilment_after: int, first: int, later: int
) -> None:
    policy = PRESETS[name]
    facts = OrderFacts(
        lines=[line()],
        shipping_paid=money("0", policy.currency),
        paid_at=START,
        fulfilment_started_at=START + timedelta(minutes=fulfilment_after),
    )
    t1 = START + timedelta(minutes=first)
    if not edit_window(policy, facts, t1).allowed:
        assert not edit_window(policy, facts, t1 + timedelta(minutes=later)).allowed


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(WITH_CANCELLATION), prices, prices, minutes)
def test_cancellation_is_deterministic_and_refunds_at_most_the_payment(
    name: str, price: Decimal, shipping: Decimal, after: int
) -> None:
    policy = PRESETS[name]
    facts = OrderFacts(
        lines=[line(price=str(price))],
        shipping_paid=money(str(shipping), policy.currency),
        paid_at=START,
    )
    now = START + timedelta(minutes=after)
    first, second = cancellation(policy, facts, now), cancellation(policy, facts, now)
    assert first == second
    assert Decimal(0) <= first.refund.amount <= price + shipping
