"""Return decisions: the window, eligibility at the request, the ship-back deadline. What a
return refunds after inspection is decided in `return_refunds`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from domain.decisions import Deadline, Decision, allow, merged, refuse
from domain.policy import Policy
from domain.policy.returns import FAULT_REASONS, ReturnReason, ReturnWindow


def _windows_for(policy: Policy, reason: ReturnReason | None) -> list[ReturnWindow]:
    """The windows that apply: those naming the reason replace the general ones for it;
    all of them when `reason` is None."""
    rules = policy.returns
    if rules is None:
        return []
    if reason is None:
        return list(rules.windows)
    named = [w for w in rules.windows if reason in w.reasons]
    return named or [w for w in rules.windows if not w.reasons]


def _latest_window_end(
    policy: Policy,
    purchased_at: datetime,
    delivered_at: datetime | None,
    reason: ReturnReason | None,
) -> Deadline | None:
    """Of the windows that apply, whichever ends later."""
    ends: list[tuple[datetime, tuple[str, ...]]] = []
    for window in _windows_for(policy, reason):
        start = purchased_at if window.counted_from == "purchase" else delivered_at
        if start is not None:
            ends.append((start + window.length, window.clauses))
    if not ends:
        return None
    return Deadline(at=max(at for at, _ in ends), clauses=merged(*(c for _, c in ends)))


def return_window(
    policy: Policy, reason: ReturnReason, purchased_at: datetime, delivered_at: datetime | None
) -> Deadline | None:
    """The window's end for this reason: of several windows, whichever ends later."""
    return _latest_window_end(policy, purchased_at, delivered_at, reason)


class ReturnedItem(BaseModel):
    sku: str
    category: str = "general"
    unit_price: Decimal
    quantity: int = 1
    opened: bool = False
    used: bool = False
    original_packaging: bool = True
    all_accessories: bool = True
    damage_cause: str | None = None  # misuse, breakage, water_damage, ...


class ReturnRequest(BaseModel):
    reason: ReturnReason
    items: list[ReturnedItem] = Field(min_length=1)
    purchased_at: datetime
    delivered_at: datetime | None = None
    has_original_invoice: bool = True
    exchange: bool = False
    replacement: bool = False  # the same product again, free (a fault of the seller's)
    international: bool = False
    described: bool = True  # the customer described the problem
    evidence: tuple[str, ...] = ()  # kinds of the files given (item, packaging, outer_label)


class ReturnOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    decision: Decision
    field: str | None = None  # the request's field a refusal is about
    needs_rma: bool = False
    inspection: bool = False
    return_shipping_paid_by: str = "customer"
    customer_pays_all_shipping: bool = False
    seller_label: bool = False  # the seller's return label, on its own courier account
    window_closes_at: datetime | None = None
    priority: int = 0  # its place on the operators' list (what the policy recommends given)


def _refused(
    reason: str, clauses: tuple[str, ...], field: str, **deadlines: datetime
) -> ReturnOutcome:
    return ReturnOutcome(decision=refuse(reason, *clauses, **deadlines), field=field)


def _excluded(policy: Policy, request: ReturnRequest) -> ReturnOutcome | None:
    """Kinds of goods the policy never takes back for this reason (CRD-EXC-2, PAR-RET-5,
    CRD-DIG-4)."""
    assert policy.returns is not None
    for item in request.items:
        if item.category == "digital_card" and policy.digital:
            rule = policy.digital.no_returns_unless_faulty
            if request.reason is not ReturnReason.DEFECTIVE:
                return _refused(
                    "delivered digital cards are not returned unless faulty on the company's side",
                    rule.clauses,
                    "lines",
                )
        for exclusion in policy.returns.exclusions:
            sealed = not (item.opened or item.used)
            if exclusion.unless_sealed and sealed:
                continue
            if item.category in exclusion.categories and request.reason not in exclusion.unless:
                return _refused(
                    f"{item.sku} ({item.category.replace('_', ' ')}) cannot be returned for "
                    f"{request.reason.value.replace('_', ' ')}",
                    exclusion.clauses,
                    "lines",
                )
    return None


def _in_window(policy: Policy, request: ReturnRequest, now: datetime) -> ReturnOutcome | Deadline:
    window = return_window(policy, request.reason, request.purchased_at, request.delivered_at)
    if window is None:
        return _refused(f"no return window for {request.reason.value}", (), "reason")
    if now <= window.at:
        return window
    windows = _windows_for(policy, request.reason)
    after = {w.after for w in windows} - {None}
    why = (
        "the return window for this reason has closed: the product's warranty applies now"
        if "warranty" in after
        else "the return window has closed"
    )
    refusing = merged(*(w.closed_by for w in windows)) or window.clauses
    return _refused(why, refusing, "reason", return_window_closes_at=window.at)


def _condition_problem(policy: Policy, request: ReturnRequest) -> ReturnOutcome | None:
    """The state the goods must be in (for returns that are not the seller's fault), the
    invoice, the description and the evidence the policy asks for."""
    rules = policy.returns
    assert rules is not None
    condition = rules.conditions
    if condition is not None and condition.original_invoice and not request.has_original_invoice:
        return _refused(
            "the original purchase invoice is required", condition.clauses, "has_original_invoice"
        )
    if condition is not None and request.reason not in FAULT_REASONS:
        for item in request.items:
            problem = (
                "it has been opened"
                if condition.unopened and item.opened
                else "it has been used"
                if condition.unused and item.used
                else f"it is damaged ({item.damage_cause.replace('_', ' ')})"
                if condition.undamaged and item.damage_cause
                else "it is not in its original packaging"
                if condition.original_packaging and not item.original_packaging
                else "accessories are missing"
                if condition.all_accessories and not item.all_accessories
                else None
            )
            if problem:
                return _refused(
                    f"{item.sku} cannot be returned: {problem}", condition.clauses, "lines"
                )
    rma = rules.rma
    if rma is not None and "problem_description" in rma.contents_required and not request.described:
        return _refused(
            "the return must carry a short description of the problem", rma.clauses, "description"
        )
    for rule in rules.evidence:
        if request.reason not in rule.reasons:
            continue
        missing = [k for k in rule.kinds if k not in request.evidence]
        if missing:
            return _refused(
                "photos or videos are required of: "
                + ", ".join(k.replace("_", " ") for k in missing),
                rule.clauses,
                "evidence",
            )
        if len(request.evidence) < rule.at_least:
            return _refused(
                f"at least {rule.at_least} photo or video of the damage is required",
                rule.clauses,
                "evidence",
            )
    return None


def return_priority(policy: Policy, request: ReturnRequest) -> int:
    """A return that carries what the policy recommends (the note describing the problem,
    every kind of photo it names) comes first on the operators' list (1); any other, in its
    turn (0). A recommendation never refuses."""
    rules = policy.returns
    if rules is None:
        return 0
    wanted = rules.rma.contents_recommended if rules.rma else ()
    kinds = [k for r in rules.evidence if request.reason in r.reasons for k in r.recommended]
    if not wanted and not kinds:
        return 0
    noted = "problem_description" not in wanted or request.described
    return int(noted and all(k in request.evidence for k in kinds))


def _exchange_problem(policy: Policy, request: ReturnRequest) -> ReturnOutcome | None:
    """A free replacement is for the seller's fault (KWO-DEF-1); an exchange for another
    product only where the policy offers one, and not for what the customer damaged or
    opened without a defect (CRD-RET-6)."""
    rules = policy.returns
    assert rules is not None
    if request.replacement and request.reason not in FAULT_REASONS:
        return _refused(
            "a free replacement is for a defective, damaged or wrong item",
            rules.refund.clauses,
            "resolution",
        )
    exchange = rules.exchange
    if request.exchange and exchange is None:
        return _refused(f"{policy.display_name} offers no exchanges", (), "resolution")
    if not request.exchange or exchange is None:
        return None
    for item in request.items:
        if item.damage_cause and item.damage_cause in exchange.customer_damage_excluded:
            return _refused(
                f"no exchange for {item.damage_cause.replace('_', ' ')}", exchange.clauses, "lines"
            )
        opened = item.opened or item.used
        if opened and exchange.opened_only_if_defective and request.reason not in FAULT_REASONS:
            return _refused(
                "opened or used products are exchanged only for a proven manufacturing defect",
                exchange.clauses,
                "lines",
            )
    return None


def return_eligibility(policy: Policy, request: ReturnRequest, now: datetime) -> ReturnOutcome:
    """Whether a return may be asked for, decided at once: the excluded kinds, the window,
    the goods' state, the invoice, description and evidence; then how it goes ahead."""
    rules = policy.returns
    if rules is None:
        return _refused(f"{policy.display_name} publishes no return policy", (), "reason")
    window = _in_window(policy, request, now)
    if isinstance(window, ReturnOutcome):
        return window
    refused = (
        _excluded(policy, request)
        or _condition_problem(policy, request)
        or _exchange_problem(policy, request)
    )
    if refused is not None:
        return refused
    fault = request.reason in FAULT_REASONS
    payer, all_shipping, label = "customer", False, False
    shipping = rules.shipping
    if shipping is not None:
        if fault and shipping.seller_pays_for_fault:
            payer, label = "merchant", shipping.seller_label_for_fault
        all_shipping = (
            payer == "customer"
            and request.international
            and shipping.international_all_shipping_by_customer
        )
    clauses = merged(
        window.clauses,
        rules.conditions.clauses if rules.conditions else (),
        rules.exchange.clauses if request.exchange and rules.exchange else (),
        shipping.clauses if shipping else (),
        rules.rma.clauses if rules.rma else (),
        rules.inspection.clauses if rules.inspection else (),
    )
    return ReturnOutcome(
        decision=allow("the return may go ahead", *clauses, return_window_closes_at=window.at),
        needs_rma=rules.rma is not None,
        inspection=rules.inspection is not None,
        return_shipping_paid_by=payer,
        customer_pays_all_shipping=all_shipping,
        seller_label=label,
        window_closes_at=window.at,
        priority=return_priority(policy, request),
    )


def returns_close_at(
    policy: Policy, purchased_at: datetime, delivered_at: datetime
) -> Deadline | None:
    """When the last return window for any reason closes: after it the order is complete."""
    return _latest_window_end(policy, purchased_at, delivered_at, None)
