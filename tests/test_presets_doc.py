"""`docs/presets.md` is the preset reference a new merchant is written from: it must say
what the model says, field by field."""

from __future__ import annotations

from domain.policy import Policy
from domain.policy.reference import DOC, _models, render


def test_the_preset_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/presets.md is stale: run `python -m domain.policy.reference`"
    )


def test_every_field_of_every_section_and_rule_is_described() -> None:
    text = DOC.read_text(encoding="utf-8")
    for model in _models(Policy):
        section = text.split(f"\n## {model.__name__}\n", 1)[1].split("\n## ", 1)[0]
        for name in model.model_fields:
            assert f"| `{name}` |" in section, f"{model.__name__}.{name}"
    assert "| `cutoff` | time of day | `16:00` |" in text
    assert "IMA-SHP-2" in text.split("\n## DispatchRule\n", 1)[1].split("\n## ", 1)[0]
