"""Money and times as the customer's locale writes them, in the merchant's time zone.

Facts reach the templates as the workflows wrote them: amounts as `"24.90 EUR"` or
`{"amount": …, "currency": …}`, times as ISO 8601. Anything else is shown as it is."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_gmt
from babel.numbers import format_currency, format_decimal

_MONEY = re.compile(r"^(-?\d+(?:\.\d+)?) ([A-Z]{3})$")


def as_money(value: Any) -> tuple[Decimal, str] | None:
    if isinstance(value, dict) and {"amount", "currency"} <= value.keys():
        value = f"{value['amount']} {value['currency']}"
    found = _MONEY.match(str(value).strip()) if isinstance(value, str | dict) else None
    if not found:
        return None
    try:
        return Decimal(found.group(1)), found.group(2)
    except InvalidOperation:
        return None


def money(value: Any, locale: str) -> str:
    """`924.000 SAR` → `924.00 ر.س.` (between right-to-left marks) in Arabic, `924,00 SAR` in French."""
    parsed = as_money(value)
    if parsed is None:
        return "" if value is None else str(value)
    amount, currency = parsed
    return format_currency(amount, currency, locale=locale)


def amount(value: Any, currency: str, locale: str) -> str:
    """A bare amount of the order's currency, such as a line's unit price."""
    return money(f"{Decimal(str(value))} {currency}", locale)


def as_time(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def when(value: Any, locale: str, zone: str) -> str:
    """A moment as the merchant's clock shows it: `23 novembre 2026 17:31 UTC+01:00`; a date
    alone as a date. Raw text (`as soon as possible`) passes through."""
    moment = as_time(value)
    if moment is None:
        return "" if value is None else str(value)
    if not isinstance(moment, datetime):
        return format_date(moment, "long", locale=locale)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(ZoneInfo(zone))
    return (
        f"{format_date(local, 'long', locale=locale)} {format_time(local, 'short', locale=locale)}"
        f" {get_timezone_gmt(local, 'short', locale=locale)}"
    )


def day(value: Any, locale: str, zone: str) -> str:
    """The date alone, for validity and periods."""
    moment = as_time(value)
    if moment is None:
        return "" if value is None else str(value)
    if isinstance(moment, datetime):
        moment = moment.astimezone(ZoneInfo(zone)) if moment.tzinfo else moment
        moment = moment.date()
    return format_date(moment, "long", locale=locale)


def number(value: Any, locale: str) -> str:
    return format_decimal(value, locale=locale)
