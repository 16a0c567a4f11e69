"""Money: Decimal amounts with an ISO 4217 currency, never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

# Minor units of the currencies the merchants price in (ISO 4217); others default to 2.
MINOR_UNITS: dict[str, int] = {
    "BHD": 3,
    "JOD": 3,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "ISK": 0,
}


def _currency(code: str) -> str:
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        raise ValueError("currency must be an ISO 4217 code of three capital letters, e.g. EUR")
    return code


Currency = Annotated[str, AfterValidator(_currency)]


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


class Money(BaseModel):
    """An amount in one currency, rounded half-up to the currency's minor unit."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: Currency

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError("amounts are decimal strings, never floats")
        return value

    def model_post_init(self, __context: object) -> None:
        if not self.amount.is_finite():
            raise ValueError("amount must be a finite number")
        rounded = self.amount.quantize(quantum(self.currency), rounding=ROUND_HALF_UP)
        object.__setattr__(self, "amount", rounded)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """An amount given in the currency's smallest unit, as providers answer it."""
        return cls(amount=Decimal(units).scaleb(-MINOR_UNITS.get(currency, 2)), currency=currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def times(self, factor: int | Decimal) -> Money:
        return Money(amount=self.amount * factor, currency=self.currency)

    @property
    def minor_units(self) -> int:
        """The amount in the currency's smallest unit, as payment providers take it."""
        return int(self.amount.scaleb(MINOR_UNITS.get(self.currency, 2)))

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class FeeCapture(BaseModel):
    """A payment of the order's besides its own (a reshipping fee): its capture, and what of
    it was given back. A refund goes to the order's own payment first, then to these."""

    payment_id: str
    captured: Money
    refunded: Money | None = None
