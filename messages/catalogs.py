"""The message catalogs: `python -m messages.catalogs` extracts every text of the
templates and of `phrases.py` and merges it into each language's `messages.po` (new texts
arrive untranslated, and the catalog test names them)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from messages import HERE, LOCALES, SOURCE, languages

METHODS = [
    ("templates/**.html", "jinja2.ext:babel_extract"),
    ("pages/**.html", "jinja2.ext:babel_extract"),
    ("phrases.py", "python"),
]
JINJA = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
OPTIONS = {"templates/**.html": JINJA, "pages/**.html": JINJA}


# Texts the API translates that live beside the decision they answer: the help centre.
DECISIONS = HERE.parent / "domain" / "decisions"


def template_catalog() -> Catalog:
    catalog = Catalog(project="orderflow", charset="utf-8")
    keywords = {"_": None, "gettext": None, "N_": None}
    found = [
        *extract_from_dir(HERE, METHODS, OPTIONS, keywords=keywords),
        *extract_from_dir(DECISIONS, [("help.py", "python")], keywords={"N_": None}),
    ]
    for filename, line, message, comments, _ in found:
        catalog.add(message, locations=[(filename, line)], auto_comments=comments)
    return catalog


def catalog_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def update() -> list[str]:
    """Merge the templates' texts into every catalog; the languages updated."""
    template = template_catalog()
    done = []
    for language in languages():
        if language == SOURCE:
            continue
        path = catalog_path(language)
        with path.open("rb") as source:
            catalog = read_po(source, locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as target:
            write_po(target, catalog, width=100, omit_header=False, ignore_obsolete=True)
        done.append(language)
    return done


if __name__ == "__main__":
    print("updated:", ", ".join(update()), file=sys.stderr)
