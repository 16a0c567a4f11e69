"""The configuration table (docs/configuration.md) and the commands the README and the docs
name match the code; every doc is reachable from docs/README.md."""

import re

from runtime.settings import Settings
from tests.paths import ROOT

README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_every_setting_is_in_the_configuration_table() -> None:
    documented = set(re.findall(r"^\| `(ORDERFLOW_[A-Z0-9_]+)` \|", CONFIGURATION, flags=re.M))
    settings = {f"ORDERFLOW_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set(), "settings missing from the README"
    assert documented - settings == set(), "README documents settings that do not exist"


def test_the_readme_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    text = README + "".join(doc.read_text() for doc in DOCS)
    for target in set(re.findall(r"(?:^|`)make (\w+)", text, flags=re.M)):
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"make {target} is not a target"


def test_the_readme_stays_short_and_every_doc_is_in_the_index() -> None:
    assert len(README.splitlines()) <= 300
    index = (ROOT / "docs" / "README.md").read_text()
    for doc in DOCS:
        if doc.name != "README.md":
            assert f"]({doc.name})" in index, f"docs/README.md does not link {doc.name}"
