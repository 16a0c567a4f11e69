"""The policy model: a merchant's published rules as data, each rule naming its clauses.

A preset is one TOML file in `policies/`. It is validated when loaded and versioned by a
hash of its content; an order carries the snapshot it was placed under, so a later change
to the file never alters a running order. A new merchant is a new file, not new code.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.money import Currency
from domain.policy.aftercare import ClaimRule, DigitalRules, HelpRule, ServiceRules, SupportRule
from domain.policy.aftercare import WarrantyRules as WarrantyRules
from domain.policy.changes import CancellationRules, EditRule
from domain.policy.payment import PaymentMethod as PaymentMethod
from domain.policy.payment import PaymentRules
from domain.policy.returns import ReturnRules
from domain.policy.rules import BusinessCalendar
from domain.policy.shipping import Carrier as Carrier
from domain.policy.shipping import ShippingRules

PRESETS_DIR = Path(__file__).resolve().parent.parent.parent / "policies"


class Policy(BaseModel):
    """One merchant's rules. Immutable; `version` is the hash of its content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The merchant's key in the API (`"merchant": "…"`); equal to the file's name.
    merchant: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,40}$")
    # The shop's name as customers read it: e-mails, the order page, the sender.
    display_name: str
    # ISO 4217: every order of the merchant is priced in it.
    currency: Currency
    # IANA zone (`Europe/Riga`): cut-offs, business days and the dates customers read.
    timezone: str
    locale: str = Field(
        "en",
        pattern=r"^[A-Za-z]{2,3}(_[A-Za-z0-9]{2,8})*$",
        description="the language customers read unless they chose theirs (CLDR, as `fr`)",
    )
    mail_from: str | None = Field(
        None,
        max_length=200,
        description="the sender of customers' e-mails, `Name <address>`; the settings' "
        "sender under the merchant's display name when absent",
    )
    calendar: BusinessCalendar = BusinessCalendar()
    payment: PaymentRules
    shipping: ShippingRules | None = None
    edit: EditRule | None = None
    cancellation: CancellationRules | None = None
    returns: ReturnRules | None = None
    warranty: WarrantyRules | None = None
    claims: tuple[ClaimRule, ...] = ()
    support: tuple[SupportRule, ...] = ()
    digital: DigitalRules | None = None
    services: ServiceRules | None = None
    help: HelpRule | None = None
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

    def clause_ids(self) -> set[str]:
        """Every clause ID the preset encodes, wherever it sits."""
        return {clause for rule in models_in(self) for clause in clauses_of(rule)}


def models_in(value: object) -> Iterator[BaseModel]:
    """Every model within `value` (itself included), depth first."""
    if isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from models_in(getattr(value, name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from models_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from models_in(item)


def clauses_of(model: BaseModel) -> tuple[str, ...]:
    """The clause IDs a rule names itself, in `clauses` and in fields such as
    `until_clauses`; none for a section."""
    return tuple(
        clause
        for name in type(model).model_fields
        if name.endswith("clauses") and isinstance(getattr(model, name), tuple)
        for clause in getattr(model, name)
    )


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
    # Checked when a preset is loaded, not in the model: orders pinned to an older policy
    # must still decode.
    from domain.standards import locale_id

    try:
        locale_id(policy.locale)
    except ValueError as err:
        raise PolicyError(f"{path.name}: locale: {err}") from err
    payment = policy.payment
    if PaymentMethod.INVOICE in payment.methods.allowed and payment.invoice is None:
        raise PolicyError(
            f"{path.name}: payment.invoice: required when invoices are an allowed method"
        )
    return policy


def load_presets(directory: Path = PRESETS_DIR) -> dict[str, Policy]:
    """Every preset in the folder, by merchant name; a broken file fails the whole load."""
    presets = {p.stem: load_policy(p) for p in sorted(directory.glob("*.toml"))}
    if not presets:
        raise PolicyError(f"{directory}: no policy presets (*.toml) found")
    return presets
