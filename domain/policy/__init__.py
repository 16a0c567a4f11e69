"""The policy model: a merchant's published rules as data, each rule naming its clauses.

A preset is one TOML file in `policies/`. It is validated when loaded and versioned by a
hash of its content; an order carries the snapshot it was placed under, so a later change
to the file never alters a running order. A new merchant is a new file, not new code.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.money import Currency
from domain.policy.aftercare import ClaimRule, DigitalRules, HelpRule, ServiceRules, SupportRule
from domain.policy.aftercare import WarrantyRules as WarrantyRules
from domain.policy.changes import CancellationRules, EditRule
from domain.policy.payment import PaymentMethod as PaymentMethod
from domain.policy.payment import PaymentRules
from domain.policy.returns import ReturnRules
from domain.policy.rules import BusinessCalendar, Rule
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
    """The preset in this file, checked (`domain.policy.check`); the first errors refuse it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PolicyError(f"{path.name}: {err}") from err
    policy, findings = check_preset(path.stem, text)
    wrong = errors(findings)
    if policy is None or wrong:
        raise PolicyError(f"{path.name}: " + "; ".join(str(f) for f in wrong))
    return policy


def load_presets(directory: Path = PRESETS_DIR) -> dict[str, Policy]:
    """Every preset in the folder, by merchant name; a broken file fails the whole load."""
    presets = {p.stem: load_policy(p) for p in sorted(directory.glob("*.toml"))}
    if not presets:
        raise PolicyError(f"{directory}: no policy presets (*.toml) found")
    return presets


CLAUSE_LINE = re.compile(r"^\s*[-*]\s+((?:[A-Z]{3}-[A-Z]{3}-\d+)|LIF-\d+)\b", re.M)


class Finding(BaseModel):
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def clause_catalogue(text: str) -> set[str]:
    """The clause IDs a digest such as POLICIES.md defines (`- ID text` lines)."""
    return set(CLAUSE_LINE.findall(text))


def check_preset(
    name: str, text: str, known: set[str] | None = None, *, strict_known: bool = True
) -> tuple[Policy | None, list[Finding]]:
    """The preset in `text` for merchant `name`, and what is wrong with it. Clause IDs not in
    `known` are errors (`strict_known`) or warnings."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return None, [Finding(field="(file)", message=str(err))]
    data.pop("version", None)
    try:
        policy = Policy.model_validate({**data, "version": content_version(data)})
    except ValidationError as err:
        return None, [
            Finding(field=".".join(str(p) for p in e["loc"]) or "(file)", message=e["msg"])
            for e in err.errors()
        ]
    found = _consistency(name, policy)
    if known is not None:
        unknown = sorted(policy.clause_ids() - known)
        if unknown:
            severity: Literal["error", "warning"] = "error" if strict_known else "warning"
            found.append(
                Finding(
                    field="clauses",
                    message=f"clause IDs not in the clause catalogue: {', '.join(unknown)}",
                    severity=severity,
                )
            )
    return policy, found


def _consistency(name: str, policy: Policy) -> list[Finding]:
    from domain.standards import locale_id

    found: list[Finding] = []
    if policy.merchant != name:
        found.append(Finding(field="merchant", message=f"must equal the file name {name!r}"))
    try:
        locale_id(policy.locale)
    except ValueError as err:
        found.append(Finding(field="locale", message=str(err)))
    payment = policy.payment
    if PaymentMethod.INVOICE in payment.methods.allowed and payment.invoice is None:
        found.append(
            Finding(field="payment.invoice", message="required when invoices are an allowed method")
        )
    for rule in models_in(policy):
        if isinstance(rule, Rule) and rule.setting and clauses_of(rule):
            found.append(
                Finding(
                    field=type(rule).__name__,
                    message="a merchant setting cites no clause: drop `setting` or the clauses",
                )
            )
    return found


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
