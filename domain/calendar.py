"""The merchant's business calendar: weekends and public holidays in its time zone."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Container
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from domain.policy import Policy
from domain.policy.rules import BusinessCalendar


@lru_cache(maxsize=32)
def _public_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


# How far ahead an order's pinned calendar reaches: past its longest deadline (a warranty
# repair, a subscription year) with room to spare.
PINNED_YEARS = 3


def pinned(rules: BusinessCalendar, placed_at: datetime) -> BusinessCalendar:
    """The calendar with its public holidays written out from the year of `placed_at` on, so
    an order keeps the dates it was placed with whatever `holidays` package is installed."""
    if is_pinned(rules) or rules.holidays_country is None:
        return rules
    table = _public_holidays(rules.holidays_country, rules.holidays_subdivision)
    first = placed_at.astimezone(UTC).year - 1
    days: list[date] = []
    for year in range(first, first + PINNED_YEARS + 1):
        table.get(date(year, 1, 1))  # fills the table for that year
        days += [d for d in table if d.year == year]
    return rules.model_copy(update={"holidays": tuple(sorted(set(days)))})


def pin_calendar(policy: Policy, placed_at: datetime) -> Policy:
    """The policy an order is placed under, with its holiday dates written in."""
    return policy.model_copy(update={"calendar": pinned(policy.calendar, placed_at)})


def is_pinned(rules: BusinessCalendar) -> bool:
    return rules.holidays is not None or not rules.holidays_country


class Calendar:
    def __init__(self, rules: BusinessCalendar, zone: ZoneInfo) -> None:
        self.zone = zone
        self._weekend = frozenset(rules.weekend)
        self._holidays: Container[date] | None = None
        if rules.holidays is not None:
            self._holidays = frozenset(rules.holidays)
        elif rules.holidays_country:
            self._holidays = _public_holidays(rules.holidays_country, rules.holidays_subdivision)

    def is_holiday(self, day: date) -> bool:
        return self._holidays is not None and day in self._holidays

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self._weekend and not self.is_holiday(day)

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def add_business_days(self, day: date, count: int) -> date:
        for _ in range(count):
            day = self.next_business_day(day)
        return day

    def business_days_after(self, moment: datetime, count: int) -> datetime:
        """The same local clock time `count` business days later."""
        local = self.local(moment)
        return self.at(self.add_business_days(local.date(), count), local.time())

    def days_after_holidays_added(self, moment: datetime, count: int) -> datetime:
        """The same local clock time `count` days later, weekends counted, every public
        holiday on the way adding a day."""
        local = self.local(moment)
        day = local.date()
        while count > 0:
            day += timedelta(days=1)
            if not self.is_holiday(day):
                count -= 1
        return self.at(day, local.time())

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later, or the month's last day if it is shorter."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))
