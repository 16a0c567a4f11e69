"""The policy model: a merchant's published rules as data, each rule naming its clauses.

A preset is one TOML file in `policies/`. It is validated when loaded and versioned by a
hash of its content; an order carries the snapshot it was placed under, so a later change
to the file never alters a running order.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.money import Currency

PRESETS_DIR = Path(__file__).resolve().parent.parent / "policies"


class PaymentMethod(StrEnum):
    CARD = "card"
    PAYPAL = "paypal"
    INVOICE = "invoice"


class Carrier(StrEnum):
    DHL = "dhl"
    POST = "post"
    FEDEX = "fedex"
    AIRMAIL = "airmail"


class _Rules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clauses: tuple[str, ...] = Field(
        min_length=1, description="policy clause IDs this rule encodes"
    )


class PaymentRules(_Rules):
    methods: tuple[PaymentMethod, ...] = Field(min_length=1)
    card_requires_3ds: bool = False


class ShippingRules(_Rules):
    free: bool = True
    flat_fee: str = "0"
    carriers: tuple[Carrier, ...] = Field(min_length=1)


class ReturnRules(_Rules):
    window: timedelta
    counted_from: Literal["delivery"] = "delivery"

    @field_validator("window")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("the return window must be longer than zero")
        return value


class Policy(BaseModel):
    """One merchant's rules. Immutable; `version` is the hash of its content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    merchant: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,40}$")
    display_name: str
    currency: Currency
    timezone: str
    payment: PaymentRules
    shipping: ShippingRules
    returns: ReturnRules
    version: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class PolicyError(ValueError):
    """A preset file that cannot be used, naming the file and the field."""


def content_version(data: dict[str, object]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def load_policy(path: Path) -> Policy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise PolicyError(f"{path.name}: {err}") from err
    data.pop("version", None)
    try:
        policy = Policy.model_validate({**data, "version": content_version(data)})
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
        )
        raise PolicyError(f"{path.name}: {problems}") from err
    if policy.merchant != path.stem:
        raise PolicyError(f"{path.name}: merchant: must equal the file name {path.stem!r}")
    return policy


def load_presets(directory: Path = PRESETS_DIR) -> dict[str, Policy]:
    """Every preset in the folder, by merchant name; a broken file fails the whole load."""
    presets = {p.stem: load_policy(p) for p in sorted(directory.glob("*.toml"))}
    if not presets:
        raise PolicyError(f"{directory}: no policy presets (*.toml) found")
    return presets
