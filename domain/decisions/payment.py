"""Payment decisions: methods, 3-D Secure, retries, coupons, refund routes, what providers' events
mean (fraud screening is `domain.decisions.fraud`; what an order costs, `domain.decisions.quote`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.decisions import Deadline, Decision, allow, refuse
from domain.decisions.changes import Cancellation
from domain.money import Money
from domain.policy import PaymentMethod, Policy
from domain.policy.payment import CardRule
from domain.policy.rules import SETTING, as_said
from domain.status import ProviderState


def payment_method(policy: Policy, method: PaymentMethod) -> Decision:
    rule = policy.payment.methods
    if method not in rule.allowed:
        offered = ", ".join(m.value for m in rule.allowed)
        return refuse(f"{policy.display_name} accepts {offered}", *rule.clauses)
    return allow(f"{method.value} accepted", *rule.clauses)


def requires_3ds(policy: Policy, method: PaymentMethod) -> Decision:
    """`allowed` here means: a 3-D Secure challenge is required for this payment."""
    card = policy.payment.card
    if method is PaymentMethod.CARD and card is not None and card.requires_3ds:
        return allow(as_said(card, "card payments pass a 3-D Secure check"), *card.clauses)
    return refuse("no 3-D Secure check required", *(card.clauses if card else ()))


def payment_retry(policy: Policy, attempts_made: int) -> Decision:
    card = policy.payment.card
    limit = card.max_attempts if card else 1
    clauses = card.clauses if card else policy.payment.methods.clauses

    def said(reason: str) -> str:
        return as_said(card, reason) if card else reason

    if attempts_made >= limit:
        return refuse(said(f"all {limit} payment attempts are used"), *clauses)
    return allow(said(f"attempt {attempts_made + 1} of {limit}"), *clauses)


def action_window(policy: Policy) -> timedelta:
    """How long the customer has to pass 3-D Secure or approve at PayPal."""
    card = policy.payment.card
    return card.action_timeout if card else CardRule.model_fields["action_timeout"].default


def retry_window(policy: Policy) -> timedelta:
    """How long a failed payment waits for the customer's next attempt."""
    card = policy.payment.card
    return card.retry_within if card else CardRule.model_fields["retry_within"].default


def coupons(policy: Policy, codes: list[str]) -> Decision:
    rule = policy.payment.coupons
    if rule is None:
        return allow("no coupon limit") if not codes else refuse("this shop takes no coupons")
    if len(codes) > rule.max_per_order:
        return refuse(
            as_said(rule, f"at most {rule.max_per_order} coupon code per order"), *rule.clauses
        )
    return allow(as_said(rule, "coupon count within the limit"), *rule.clauses)


def invoice_expiry(policy: Policy, sent_at: datetime) -> Deadline:
    rule = policy.payment.invoice
    if rule is None:
        raise ValueError(f"{policy.merchant} does not issue e-invoices")
    return Deadline(at=sent_at + rule.expires_after, clauses=rule.clauses)


def ownership_refund(policy: Policy, paid: Money, ownership_proven: bool) -> tuple[Money, Decision]:
    """The refund when an order is cancelled over a payment method not the buyer's own."""
    rule = policy.payment.ownership
    if rule is None or ownership_proven or not rule.deduct_commission_if_unproven:
        clauses = rule.clauses if rule else ()
        return paid, allow("refund in full", *clauses)
    commission = paid.times(rule.gateway_commission_percent / 100)
    return paid - commission, allow(
        f"ownership not proven: the gateway commission ({commission}, "
        f"{rule.gateway_commission_percent}% as the {SETTING}) is deducted",
        *rule.clauses,
    )


def operator_refund(policy: Policy, captured: Money, refunded: Money, amount: Money) -> Decision:
    """Whether an operator may refund `amount`: never more than what is still refundable of
    what was captured, and only to the original payment (the refund route's clauses)."""
    route = refund_route(policy)
    left = (
        captured - refunded if captured.amount > refunded.amount else Money.zero(captured.currency)
    )
    if amount.currency != captured.currency:
        return refuse(f"the order was paid in {captured.currency}", *route.clauses)
    if amount.amount <= 0:
        return refuse("a refund must be more than zero", *route.clauses)
    if amount.amount > left.amount:
        return refuse(f"only {left} of the {captured} captured is left to refund", *route.clauses)
    return allow(f"{amount} refunded of {left} refundable", *route.clauses)


def refund_route(policy: Policy) -> Decision:
    rule = policy.payment.refunds
    if rule is None:
        return allow("refunds go to the original payment method")
    fees = (
        "; intermediary and bank fees are the customer's"
        if rule.bank_fees_borne_by_customer
        else ""
    )
    return allow(f"refunds go to the original payment method{fees}", *rule.clauses)


# How far a provider payment has come: a later state never gives way to an earlier one, so
# webhooks that arrive twice or out of order change nothing.
PAYMENT_PROGRESS = {
    ProviderState.REQUIRES_ACTION: 0,
    ProviderState.AUTHORIZED: 1,
    ProviderState.CAPTURED: 2,
    ProviderState.FAILED: 3,
    ProviderState.VOIDED: 3,
    ProviderState.REVERSED: 4,
}
EVENT_STATES = {
    "payment.requires_action": ProviderState.REQUIRES_ACTION,
    "invoice.created": ProviderState.REQUIRES_ACTION,
    "payment.authorized": ProviderState.AUTHORIZED,
    "payment.captured": ProviderState.CAPTURED,
    "payment.failed": ProviderState.FAILED,
    "payment.voided": ProviderState.VOIDED,
    "payment.reversed": ProviderState.REVERSED,
}


def advance_payment(known: ProviderState | None, state: ProviderState) -> ProviderState | None:
    """`state` when it moves a payment forward from `known`, else None."""
    if known is not None and PAYMENT_PROGRESS[state] <= PAYMENT_PROGRESS[known]:
        return None
    return state


def payment_progress(known: ProviderState | None, event_type: str) -> ProviderState | None:
    """The payment's state after a provider event, or None when the event tells nothing new
    (a repeat, an older state arriving late, or an event of no consequence)."""
    state = EVENT_STATES.get(event_type)
    return None if state is None else advance_payment(known, state)


def _without_refund(policy: Policy, reason: str, clauses: tuple[str, ...]) -> Cancellation:
    return Cancellation(decision=allow(reason, *clauses), refund=Money.zero(policy.currency))


def reversal_cancellation(policy: Policy, shipped: bool) -> Cancellation | None:
    """The payer's bank or wallet took a captured payment back: before dispatch the order is
    cancelled, with nothing left to refund; after it, the order stands (None)."""
    if shipped:
        return None
    return _without_refund(
        policy, "the payer took the payment back", policy.payment.methods.clauses
    )


def chargeback(policy: Policy, shipped: bool) -> Decision:
    """A reversal the provider confirmed is an operator's to decide (accept it, or contest
    it at the provider); nothing is cancelled without them. Refused when already shipped
    orders have nothing to cancel: accepting then only records it."""
    clauses = policy.payment.methods.clauses
    if shipped:
        return refuse("the parcel has left: accepting the chargeback cancels nothing", *clauses)
    return allow("the payer took the payment back: an operator decides", *clauses)


def review_rejection(policy: Policy) -> Cancellation:
    """An operator refused a held order: it is cancelled; its authorisation is released."""
    rule = policy.payment.fraud
    return _without_refund(policy, "refused after review", rule.clauses if rule else ())


def ownership_rejection(
    policy: Policy, captured: bool, shipped: bool, cancelling: bool = False
) -> Decision:
    """Whether a paid order may still be cancelled because the card is not the buyer's own
    (its refund is `ownership_refund`)."""
    rule = policy.payment.ownership
    clauses = rule.clauses if rule else ()
    if rule is None or not rule.may_cancel:
        return refuse(f"{policy.display_name} has no card-ownership rule", *clauses)
    if not captured or shipped:
        return refuse(
            "only a paid order not yet shipped is cancelled over card ownership", *clauses
        )
    if cancelling:
        return refuse("the order is already being cancelled", *clauses)
    return allow("a card not the buyer's own: the order may be cancelled", *clauses)


# What the workflow already knows from the provider's synchronous answer, or never acts on.
INFORMATIONAL_EVENTS = frozenset({"payment.requires_action", "invoice.created", "refund.succeeded"})


def wakes_the_order(event_type: str, payment_kind: str | None) -> bool:
    """Whether a payment event is news to the order's workflow. A card or PayPal capture is
    the workflow's own doing; an invoice's capture is the customer paying it. Unknown event
    types are delivered: the workflow ignores what it does not know."""
    if event_type in INFORMATIONAL_EVENTS:
        return False
    if event_type == "payment.captured":
        return payment_kind == "invoice"
    return True


# The provider state of each state the ledger records (the ledger's "declined" is a failed
# payment; a refunded payment was captured first).
LEDGER_STATES = {state.value: state for state in ProviderState} | {
    "declined": ProviderState.FAILED,
    "refunded": ProviderState.CAPTURED,
}


def known_after_the_order(event_type: str, ledger_states: set[str]) -> bool:
    """Whether a payment event arriving after its order's workflow ended is already accounted
    for: the ledger recorded the payment in the state the event reports, or past it (an
    authorisation heard of after its capture). Anything else (a reversal, an event for a
    payment the ledger never saw, an unknown event) is news an operator must see."""
    known = [LEDGER_STATES[s] for s in ledger_states if s in LEDGER_STATES]
    if event_type not in EVENT_STATES or not known:
        return False
    furthest = max(known, key=PAYMENT_PROGRESS.__getitem__)
    return payment_progress(furthest, event_type) is None
