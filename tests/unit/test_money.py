from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.money import Money


def test_amounts_round_half_up_to_the_currency_minor_unit() -> None:
    assert Money(amount=Decimal("19.995"), currency="EUR").amount == Decimal("20.00")
    assert Money(amount=Decimal("1.0005"), currency="KWD").amount == Decimal("1.001")
    assert Money(amount=Decimal("100.5"), currency="JPY").amount == Decimal("101")


def test_floats_are_refused() -> None:
    with pytest.raises(ValidationError, match="never floats"):
        Money(amount=19.9, currency="EUR")  # type: ignore[arg-type]


def test_currencies_do_not_mix() -> None:
    with pytest.raises(ValueError, match="EUR with SAR"):
        Money(amount=Decimal(1), currency="EUR") + Money(amount=Decimal(1), currency="SAR")


def test_currency_must_be_an_iso_code() -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money(amount=Decimal(1), currency="eur")


def test_minor_units_are_what_a_provider_takes() -> None:
    assert Money(amount=Decimal("499.99"), currency="SAR").minor_units == 49999
    assert Money(amount=Decimal("1.234"), currency="BHD").minor_units == 1234


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.integers(1, 50))
def test_adding_n_times_equals_multiplying(amount: Decimal, n: int) -> None:
    one = Money(amount=amount, currency="EUR")
    total = Money.zero("EUR")
    for _ in range(n):
        total = total + one
    assert total == one.times(n)
