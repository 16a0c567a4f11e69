"""May the order's lines change now, and what does the change make of it: the edit window
(IMA-EDT-1), the merchant's line-edit setting, the categories that never change (a gift card,
CRD-DIG-3), the new totals and the money that moves. Some lines cancelled before the carrier
collects them: the policy's cancellation bands for those lines (KWO-CAN-1..4)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.decisions import Decision, allow, merged, refuse
from domain.decisions.changes import OrderFacts, band_refund, cancellation_stage, edit_window
from domain.decisions.quote import order_amount, quote_order
from domain.edits import EditOp, EditQuote, LineChange, LinesToCancel
from domain.money import Money
from domain.orders import OrderLine
from domain.policy import Policy
from domain.policy.rules import as_said


class Judged(BaseModel):
    """A decision on an edit or a partial cancellation, and the field a refusal is about."""

    model_config = ConfigDict(frozen=True)

    decision: Decision
    field: str = ""
    quote: EditQuote | None = None


def _no(reason: str, *clauses: str, field: str) -> Judged:
    return Judged(decision=refuse(reason, *clauses), field=field)


def _fixed(policy: Policy, line: OrderLine) -> tuple[str, ...] | None:
    """The clauses that keep this line as bought, or None when it may change."""
    if line.is_digital:
        return policy.digital.no_changes.clauses if policy.digital else ()
    rule = policy.edit.lines if policy.edit else None
    if rule is not None and line.category in rule.fixed_categories:
        return rule.clauses
    return None


def _changed(
    policy: Policy, lines: list[OrderLine], change: LineChange, at: str
) -> tuple[list[OrderLine], Judged | None]:
    """The lines after one change, or the refusal naming its field."""
    by_sku = {line.sku: n for n, line in enumerate(lines)}
    new = change.line
    if change.op is not EditOp.ADD and change.sku not in by_sku:
        return lines, _no(f"the order has no line {change.sku}", field=f"{at}.sku")
    if new is not None and new.sku in by_sku and new.sku != change.sku:
        return lines, _no(
            f"the order has a line {new.sku} already: change its quantity instead",
            field=f"{at}.line.sku",
        )
    old = lines[by_sku[change.sku]] if change.sku in by_sku else None
    locked = _fixed(policy, old) if old is not None else None
    if old is not None and locked is not None:
        return lines, _no(f"{old.name} cannot change once bought", *locked, field=f"{at}.sku")
    locked = _fixed(policy, new) if new is not None else None
    if new is not None and locked is not None:
        return lines, _no(
            f"a {new.category} line cannot be added after payment",
            *locked,
            field=f"{at}.line.category",
        )
    out = list(lines)
    if change.op is EditOp.QUANTITY:
        n = by_sku[str(change.sku)]
        out[n] = out[n].model_copy(update={"quantity": change.quantity})
    elif change.op is EditOp.REMOVE:
        out.pop(by_sku[str(change.sku)])
    elif change.op is EditOp.ADD:
        assert new is not None
        out.append(new)
    else:
        assert new is not None
        out[by_sku[str(change.sku)]] = new
    return out, None


def unit_moves(
    before: list[OrderLine], after: list[OrderLine]
) -> tuple[dict[str, int], dict[str, int]]:
    """Units more and units fewer of each SKU."""
    was: dict[str, int] = {}
    for line in before:
        was[line.sku] = was.get(line.sku, 0) + line.quantity
    now: dict[str, int] = {}
    for line in after:
        now[line.sku] = now.get(line.sku, 0) + line.quantity
    more = {sku: q - was.get(sku, 0) for sku, q in now.items() if q > was.get(sku, 0)}
    fewer = {sku: q - now.get(sku, 0) for sku, q in was.items() if q > now.get(sku, 0)}
    return more, fewer


def line_edit(
    policy: Policy,
    facts: OrderFacts,
    changes: tuple[LineChange, ...],
    now: datetime,
    *,
    can_charge: bool = True,
) -> Judged:
    """Decide an edit of the order's lines: refused with the clause and the field, or allowed
    with the order it makes (lines, totals, the difference to charge or refund). A raise needs
    a payment to charge it on (`can_charge`)."""
    window = edit_window(policy, facts, now)
    if not window.allowed:
        return Judged(decision=window, field="order")
    assert policy.edit is not None  # an open window is the edit rule's
    rule = policy.edit.lines
    if rule is None:
        return _no(
            f"{policy.display_name} does not change an order's lines once it is placed "
            "(merchant setting): cancel it, or ask the shop",
            field="changes",
        )
    if facts.paid_at is None:
        return _no(
            "the order's lines change once its payment is settled",
            *policy.edit.clauses,
            field="order",
        )
    lines = list(facts.lines)
    for n, change in enumerate(changes):
        at = f"changes[{n}]"
        if change.op.value not in rule.changes:
            return _no(
                as_said(rule, f"{policy.display_name} does not take a {change.op.value} edit"),
                field=f"{at}.op",
            )
        lines, refused = _changed(policy, lines, change, at)
        if refused is not None:
            return refused
    if not lines:
        return _no(
            "an edit keeps at least one line: to drop them all, cancel the order",
            field="changes",
        )
    if lines == list(facts.lines):
        return _no("the edit changes nothing", field="changes")
    judged = _quoted(policy, facts, lines, merged(policy.edit.clauses, window.clauses))
    quote = judged.quote
    if quote is not None and quote.raises and not can_charge:
        return _no(
            f"the edit costs {quote.difference} more: give a payment for it",
            *quote.clauses,
            field="payment.token",
        )
    return judged


def _quoted(
    policy: Policy, facts: OrderFacts, lines: list[OrderLine], clauses: tuple[str, ...]
) -> Judged:
    quote = quote_order(policy, lines)
    amount = order_amount(policy, quote)
    if not amount.allowed:
        return _no(amount.reason, *amount.clauses, field="changes")
    previous = quote_order(policy, list(facts.lines)).items + facts.shipping_paid
    more, fewer = unit_moves(list(facts.lines), lines)
    difference = quote.total - previous
    edit = EditQuote(
        lines=tuple(lines),
        items_total=quote.items,
        shipping_total=quote.shipping,
        total=quote.total,
        previous_total=previous,
        difference=difference,
        clauses=clauses,
        reserve=more,
        release=fewer,
    )
    verb = "charged" if difference.amount > 0 else "refunded"
    money = f"{abs(difference.amount)} {difference.currency} {verb}"
    said = "nothing to settle" if difference.amount == 0 else money
    return Judged(decision=allow(f"lines changed: {said}", *clauses), quote=edit)


class LinesCancelled(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    field: str = ""
    kept: tuple[OrderLine, ...] = ()
    refund: Money | None = None
    refund_lines: tuple[tuple[str, Money], ...] = ()


def _taken_out(
    lines: list[OrderLine], asked: tuple[LinesToCancel, ...]
) -> tuple[list[OrderLine], list[OrderLine], str | None, str]:
    """The lines kept and the lines cancelled; or what is wrong and its field."""
    kept = {line.sku: line for line in lines}
    gone: list[OrderLine] = []
    for n, ask in enumerate(asked):
        line = kept.get(ask.sku)
        if line is None:
            return [], [], f"the order has no line {ask.sku} left to cancel", f"lines[{n}].sku"
        quantity = line.quantity if ask.quantity is None else ask.quantity
        if quantity > line.quantity:
            return [], [], f"the order has {line.quantity} of {ask.sku}", f"lines[{n}].quantity"
        gone.append(line.model_copy(update={"quantity": quantity}))
        if quantity == line.quantity:
            del kept[ask.sku]
        else:
            kept[ask.sku] = line.model_copy(update={"quantity": line.quantity - quantity})
    return [kept[line.sku] for line in lines if line.sku in kept], gone, None, ""


def partial_cancellation(
    policy: Policy,
    facts: OrderFacts,
    asked: tuple[LinesToCancel, ...],
    now: datetime,
    *,
    by_operator: bool = False,
) -> LinesCancelled:
    """Some lines cancelled before the parcel leaves: allowed as the policy's cancellation
    allows (until shipment or fulfilment, KWO-CAN-3), refunded by its band for those lines
    (KWO-CAN-1, -2, -4); gift cards stay (CRD-DIG-3). A shop that publishes no cancellation
    rule still lets its operators cancel goods not yet collected, refunded in full."""
    for n, ask in enumerate(asked):
        line = next((x for x in facts.lines if x.sku == ask.sku), None)
        if line is not None and line.is_digital:
            clauses = policy.digital.no_changes.clauses if policy.digital else ()
            return LinesCancelled(
                decision=refuse(f"{line.name}: a gift card is not cancelled once bought", *clauses),
                field=f"lines[{n}].sku",
            )
    kept, gone, wrong, field = _taken_out(list(facts.lines), asked)
    if wrong is not None:
        return LinesCancelled(decision=refuse(wrong), field=field)
    if not kept:
        return LinesCancelled(
            decision=refuse("every line would go: cancel the whole order instead"),
            field="lines",
        )
    if facts.cancelling:
        return LinesCancelled(decision=refuse("the order is being cancelled"), field="order")
    stage = cancellation_stage(policy, facts, now, by_operator=by_operator)
    if not stage.allowed:
        return LinesCancelled(decision=stage, field="order")
    if facts.paid_at is None:
        return LinesCancelled(
            decision=refuse("lines are cancelled once the order is paid", *stage.clauses),
            field="order",
        )
    goods_left = any(not line.is_digital for line in kept)
    refund, refund_lines, clauses = band_refund(
        policy, gone, now - facts.paid_at, facts.shipping_paid if not goods_left else None
    )
    clauses = merged(stage.clauses, clauses)
    if policy.digital is not None and any(line.is_digital for line in kept):
        clauses = merged(clauses, policy.digital.no_changes.clauses)
    names = ", ".join(f"{line.quantity} × {line.sku}" for line in gone)
    return LinesCancelled(
        decision=allow(f"{names} cancelled; {refund} refunded", *clauses),
        kept=tuple(kept),
        refund=refund,
        refund_lines=refund_lines,
    )
