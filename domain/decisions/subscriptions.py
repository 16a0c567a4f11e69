"""Subscriptions: billing periods counted in calendar months from the anchor, the renewal
retry schedule, and whether a cancellation may be asked."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import add_months
from domain.decisions import Decision, allow, merged, refuse
from domain.decisions.aftercare import SubscriptionCancellation, cancel_subscription
from domain.money import Money
from domain.policy import Policy
from domain.policy.aftercare import ServiceRules
from domain.status import SubscriptionStatus
from domain.subscriptions import LastPayment


def _rules(policy: Policy) -> ServiceRules:
    if policy.services is None:
        raise ValueError(f"{policy.merchant} sells no subscriptions")
    return policy.services


def period_bounds(policy: Policy, anchor: datetime, period: int) -> tuple[datetime, datetime]:
    """Period `period` (from 1) runs from the anchor plus `period - 1` intervals to the anchor
    plus `period`: counted from the anchor each time, so 31 January gives 28 (or 29) February,
    then 31 March, never drifting to the 28th."""
    months = _rules(policy).subscription.interval_months
    return add_months(anchor, (period - 1) * months), add_months(anchor, period * months)


def renewal_retry(policy: Policy, period: int, failures: int) -> timedelta | None:
    """How long after the `failures`-th declined charge of `period` the next one is made;
    None when the schedule is spent (the subscription ends) or the period is the first (a
    service never paid for is not chased: it never started)."""
    retries = _rules(policy).subscription.renewal_retries
    if period == 1 or failures > len(retries):
        return None
    return retries[failures - 1]


def subscription_cancellation(
    policy: Policy,
    status: SubscriptionStatus,
    last: LastPayment | None,
    period_end: datetime,
    stop: str,
    now: datetime,
) -> SubscriptionCancellation:
    """The cancellation as `cancel_subscription` decides it, from where the subscription
    stands: an unpaid period (past due) is not kept, so it stops now, refunding nothing new."""
    if status is SubscriptionStatus.PAST_DUE:
        stop = "immediately"
    return cancel_subscription(
        policy,
        last.amount if last else Money.zero(policy.currency),
        last.paid_at if last else now,
        period_end,
        stop,
        now,
    )


def may_cancel(policy: Policy, status: SubscriptionStatus, stop: str) -> Decision:
    rules = _rules(policy)
    clauses = rules.subscription.clauses
    if status in (SubscriptionStatus.CANCELLING, SubscriptionStatus.CANCELLED):
        return refuse("the subscription is already cancelled", *clauses)
    if status is SubscriptionStatus.ENDED:
        return refuse("the subscription has ended", *clauses)
    if status is SubscriptionStatus.PENDING:
        return refuse("the first payment is not decided yet; nothing is billed before it", *clauses)
    if stop not in rules.subscription.stop:
        return refuse(f"stop must be one of {', '.join(rules.subscription.stop)}", *clauses)
    return allow("future billing stops", *clauses)


def activation_clauses(policy: Policy) -> tuple[str, ...]:
    """What a receipt says of the service: intangible and irrevocable, cancelled as the
    recurring-payment clause grants."""
    rules = _rules(policy)
    return merged(rules.intangible.clauses, rules.subscription.clauses)
