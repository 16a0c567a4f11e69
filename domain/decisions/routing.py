"""Where each line of an order goes: physical goods to fulfilment, digital cards to digital
delivery, services to a subscription. A kind no context handles yet is refused at placement,
never accepted and stranded with the money taken."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.orders import OrderLine
from domain.policy import Policy


class LineKind(StrEnum):
    PHYSICAL = "physical"
    DIGITAL_CARD = "digital_card"
    SERVICE = "service"


# The kinds an order carries through to the end; services are subscriptions of their own.
ROUTED = frozenset({LineKind.PHYSICAL, LineKind.DIGITAL_CARD})


class Routing(BaseModel):
    model_config = ConfigDict(frozen=True)

    allowed: bool
    reason: str
    clauses: tuple[str, ...] = ()
    field: str | None = None


def line_kind(policy: Policy, line: OrderLine) -> LineKind:
    if line.is_digital:
        return LineKind.DIGITAL_CARD
    if policy.shipping is None:  # a merchant that ships nothing sells services
        return LineKind.SERVICE
    return LineKind.PHYSICAL


def route_lines(policy: Policy, lines: list[OrderLine]) -> Routing:
    """Whether every line of the order has a context to go to; the first one without is
    named by its field."""
    for index, line in enumerate(lines):
        kind = line_kind(policy, line)
        if kind is LineKind.DIGITAL_CARD and policy.digital is None:
            what = f"{policy.display_name} sells no digital gift cards"
            clauses: tuple[str, ...] = ()
        elif kind in ROUTED:
            continue
        else:
            clauses = policy.services.subscription.clauses if policy.services else ()
            what = (
                f"{policy.display_name} sells services as subscriptions "
                "(POST /v1/subscriptions), not through orders"
            )
        return Routing(
            allowed=False,
            reason=f"line {index + 1} ({line.sku}): {what}",
            clauses=clauses,
            field=f"lines.{index}.category" if kind is LineKind.DIGITAL_CARD else f"lines.{index}",
        )
    return Routing(
        allowed=True, reason="every line has its context: parcels to fulfilment, cards to delivery"
    )
