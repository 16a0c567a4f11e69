"""The README's configuration table and commands match the code."""

import re

from runtime.settings import Settings
from tests.paths import ROOT

README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    documented = set(re.findall(r"^\| `(ORDERFLOW_[A-Z0-9_]+)` \|", README, flags=re.M))
    settings = {f"ORDERFLOW_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set(), "settings missing from the README"
    assert documented - settings == set(), "README documents settings that do not exist"


def test_the_readme_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"make (\w+)", README)):
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"make {target} is not a target"
