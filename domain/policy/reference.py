"""The preset reference (`docs/presets.md`), written from the policy model itself so it
cannot drift: every section and rule, each field with its type, unit and default, and the
clause IDs the shipped presets encode with it. `python -m domain.policy.reference` rewrites
the file; a test checks it is current."""

from __future__ import annotations

import inspect
import re
import sys
import types
from datetime import date, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from domain.policy import PRESETS_DIR, Policy, clauses_of, load_presets, models_in
from domain.policy.rules import Rule

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "presets.md"

INTRO = """# Policy presets

A merchant's rules are one TOML file in `policies/`, named after the merchant
(`policies/<merchant>.toml`), loaded and validated when the API and the worker start: a field
that is unknown, of the wrong type or out of range stops the start with the file and the
field named. Every order keeps the snapshot of the preset it was placed under (its `version`
is a hash of the content), so editing a preset never changes a running order.

Each *rule* names the policy clauses it encodes in `clauses` (IDs from `POLICIES.md`, such as
`IMA-SHP-3`); a *section* groups rules and names none. A section or rule left out means the
merchant does not publish that rule: the action it governs is refused, or not offered.

Units: durations are ISO 8601 (`PT23H`, `P14D`); times of day are `HH:MM` in the merchant's
`timezone`; amounts are decimals in the preset's `currency`; percentages are numbers from 0 to
100; weekdays count from Monday = 0.

This file is written from the model (`python -m domain.policy.reference`); the tables below
are the whole of what a preset may hold. The shipped presets in `policies/` are worked
examples: `demo.toml` is the smallest.
"""


def _kind(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        kinds = [_kind(a) for a in args if a is not type(None)]
        optional = " or absent" if type(None) in args else ""
        return " or ".join(kinds) + optional
    if origin is Literal:
        return " / ".join(f"`{a}`" for a in args)
    if origin in (tuple, list):
        inner = [a for a in args if a is not Ellipsis]
        return f"list of {_kind(inner[0])}" if inner else "list"
    if origin is dict:
        return f"table of {_kind(args[0])} → {_kind(args[1])}"
    if origin is not None and args:  # Annotated and the like
        return _kind(args[0])
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
        if issubclass(annotation, Enum):
            return " / ".join(f"`{m.value}`" for m in annotation)
        named = {
            bool: "true / false",
            int: "integer",
            str: "text",
            Decimal: "decimal",
            float: "number",
            timedelta: "duration",
            time: "time of day",
            date: "date",
        }
        return named.get(annotation, annotation.__name__)
    return str(annotation)


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, timedelta):
        return f"`{_iso_duration(value)}`"
    if isinstance(value, time):
        return f"`{value:%H:%M}`"
    if isinstance(value, BaseModel):
        return "its defaults"
    if value in ((), [], {}):
        return "none"
    return f"`{value}`"


def _iso_duration(value: timedelta) -> str:
    days, seconds = value.days, value.seconds
    out = f"P{days}D" if days else "P"
    if seconds:
        hours, rest = divmod(seconds, 3600)
        out += "T" + (f"{hours}H" if hours else "") + (f"{rest // 60}M" if rest // 60 else "")
    return out if out != "P" else "PT0S"


def _comments(model: type[BaseModel]) -> dict[str, str]:
    """The comment lines written just above each field in the model's source."""
    try:
        lines = inspect.getsource(model).splitlines()
    except (OSError, TypeError):
        return {}
    found, pending = {}, []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("# ").strip())
            continue
        match = re.match(r"^\s{4}([a-z_][a-z0-9_]*)\s*:", line)
        if match and pending:
            found[match.group(1)] = " ".join(pending)
        pending = []
    return found


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for arg in get_args(annotation):
            visit(arg)

    visit(root)
    return seen


def _clauses_by_model() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for policy in load_presets(PRESETS_DIR).values():
        for rule in models_in(policy):
            if clauses := clauses_of(rule):
                found.setdefault(type(rule).__name__, set()).update(clauses)
    return found


# Numbers a rule holds that its clause does not publish: the merchant's settings (POLICIES.md:
# "where a seed gives a rule but no number"). Rules marked `setting = true` are listed too.
SETTING_FIELDS = {
    "payment.card.max_attempts": "how many payment attempts a customer may make",
    "payment.card.action_timeout": "how long a customer has to pass 3-D Secure or approve",
    "payment.invoice.expires_after": "how long an e-invoice may be paid",
    "payment.fraud.review_score": "the score from which an order waits for a person",
    "payment.fraud.amount_threshold": "the amount from which an order scores as large",
    "payment.fraud.max_orders_per_customer_per_day": "the orders a day that score as velocity",
    "payment.ownership.gateway_commission_percent": "the gateway's commission, deducted",
    "payment.refunds.bank_fee_percent": "intermediary and bank fees deducted, in percent",
    "payment.refunds.bank_fee_fixed": "intermediary and bank fees deducted, fixed",
    "shipping.returned_to_sender.reshipping_fee": "the price of sending a parcel again",
    "shipping.returned_to_sender.pay_within": "the time to pay for it",
    "returns.shipping.kept_below": "the value under which a faulty item is not sent back",
    "warranty.coverage.period_by_model": "the warranty of particular models",
    "warranty.coverage.period_by_category": "the warranty of product categories",
}


def _value_at(policy: Policy, path: str) -> Any:
    value: Any = policy
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _shown(value: Any) -> str:
    if isinstance(value, timedelta):
        return f"`{_iso_duration(value)}`"
    if isinstance(value, dict):
        return ", ".join(f"`{k}` {_shown(v)}" for k, v in value.items()) if value else ""
    return f"`{value}`"


def settings_of(policy: Policy) -> list[tuple[str, str, str]]:
    """(field, value, what) of each setting the preset holds: every rule it marks as a
    setting, and each number of `SETTING_FIELDS` that it sets."""
    found = [
        (path, "the whole rule", "the merchant's own rule, no clause publishes it")
        for path, rule in _rules_by_path(policy)
        if rule.setting
    ]
    for path, what in SETTING_FIELDS.items():
        value = _value_at(policy, path)
        parent = _value_at(policy, path.rpartition(".")[0])
        if value in (None, {}) or parent is None:
            continue
        if path.rpartition(".")[2] not in parent.model_fields_set:
            continue
        found.append((path, _shown(value), what))
    return found


def _rules_by_path(model: BaseModel, prefix: str = "") -> list[tuple[str, Rule]]:
    found: list[tuple[str, Rule]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, Rule):
            found.append((path, value))
        if isinstance(value, BaseModel):
            found += _rules_by_path(value, path + ".")
    return found


def _settings_section() -> list[str]:
    out = [
        "## Merchant settings, not clauses\n",
        "A number a seed does not publish (a fee, a period, a threshold), or a rule no clause "
        "publishes, is the merchant's setting: its preset says so in a comment, and the "
        "decisions that rest on it say `merchant setting` instead of citing a clause "
        "(`setting = true` marks a whole rule). The shipped presets hold these:\n",
        "| preset | field | value | what it sets |\n| --- | --- | --- | --- |",
    ]
    for name, policy in sorted(load_presets().items()):
        for path, value, what in settings_of(policy):
            out.append(f"| `{name}` | `{path}` | {value} | {what} |")
    out.append("")
    return out


def render() -> str:
    clauses = _clauses_by_model()
    out = [INTRO, *_settings_section()]
    for model in _models(Policy):
        name = model.__name__
        out.append(f"## {name}\n")
        doc = model.__dict__.get("__doc__")
        if doc:
            out.append(inspect.cleandoc(doc) + "\n")
        if name in clauses:
            out.append(
                "Encodes, in the shipped presets: " + ", ".join(sorted(clauses[name])) + "\n"
            )
        notes = _comments(model)
        out.append("| field | type | default | notes |\n| --- | --- | --- | --- |")
        for field_name, field in model.model_fields.items():
            if name == "Policy" and field_name == "version":
                note = "set when loaded: the hash of the file's content; not written by hand"
            else:
                note = field.description or notes.get(field_name, "")
            bounds = [
                f"{label} {getattr(meta, attr)}"
                for meta in field.metadata
                for attr, label in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))
                if getattr(meta, attr, None) is not None
            ]
            if bounds:
                note = (note + "; " if note else "") + ", ".join(bounds)
            note = note.replace("|", "\\|").replace("\n", " ")
            kind = _kind(field.annotation).replace("|", "\\|")
            out.append(f"| `{field_name}` | {kind} | {_default(field)} | {note} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
