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


def render() -> str:
    clauses = _clauses_by_model()
    out = [INTRO]
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
