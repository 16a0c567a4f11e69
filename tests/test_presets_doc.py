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


def comment_above(text: str, table: str) -> str:
    """The comment lines just above a TOML table's header (`[a.b]`)."""
    lines = text.splitlines()
    at = lines.index(f"[{table}]")
    above = []
    for line in reversed(lines[:at]):
        if not line.startswith("#"):
            break
        above.append(line)
    return " ".join(reversed(above)).lower()


def test_every_setting_a_shipped_preset_holds_is_marked_as_the_merchants_own() -> None:
    """POLICIES.md: a number the seed does not publish is the merchant's setting, and the
    preset says so in a comment (the demo preset is a shop of the project's own)."""
    from domain.policy import PRESETS_DIR, load_presets
    from domain.policy.reference import settings_of

    for name, policy in load_presets().items():
        if name == "demo":
            continue
        text = (PRESETS_DIR / f"{name}.toml").read_text()
        for path, _, _ in settings_of(policy):
            table = path if path.count(".") == 1 else path.rpartition(".")[0]
            if f"[{table}]" not in text:
                continue  # a default the preset does not write
            assert "setting" in comment_above(text, table), f"{name}: {path} is not marked"
