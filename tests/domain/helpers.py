"""Shared facts for the policy tests: presets, times in each merchant's zone, money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.money import Money
from domain.orders import OrderLine
from domain.policy import Policy, load_presets

PRESETS = load_presets()


def preset(name: str) -> Policy:
    return PRESETS[name]


def local(policy: Policy, *parts: int) -> datetime:
    """A wall-clock time in the merchant's zone, as an aware datetime."""
    return datetime(*parts, tzinfo=ZoneInfo(policy.timezone))  # type: ignore[misc]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def money(amount: str, currency: str) -> Money:
    return Money(amount=Decimal(amount), currency=currency)


def line(
    sku: str = "A", price: str = "100.00", quantity: int = 1, category: str = "general"
) -> OrderLine:
    return OrderLine(
        sku=sku, name=sku, quantity=quantity, unit_price=Decimal(price), category=category
    )


def inspected_items(*items: object, **changes: object) -> list[object]:
    """Returned items as an inspection found them (acceptable, unless `changes` say not)."""
    from domain.decisions.return_refunds import InspectedItem

    return [
        InspectedItem(sku=i.sku, unit_price=i.unit_price, quantity=i.quantity).model_copy(  # type: ignore[attr-defined]
            update=changes
        )
        for i in items
    ]
