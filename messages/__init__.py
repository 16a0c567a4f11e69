"""Customer e-mails: one Jinja2 template per message kind, in HTML with a plain-text
alternative, translated through gettext catalogs (`locales/<lang>/LC_MESSAGES/messages.po`,
English being the source), with money and times written by Babel for the customer's locale
and in the merchant's time zone."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from messages import format
from messages.text import plain_text

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
PAGES = HERE / "pages"
LOCALES = HERE / "locales"
SOURCE = "en"


def languages() -> list[str]:
    """The languages with a catalog, English (the source) first."""
    return [SOURCE, *sorted(p.name for p in LOCALES.iterdir() if p.is_dir())]


def kinds() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.html") if p.stem != "base")


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    locale: str
    direction: str


@cache
def _translations(language: str) -> NullTranslations:
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE or not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def language_of(locale: str) -> tuple[Locale, str]:
    """The Babel locale and the catalog's language for a customer's locale: `fr_BE` is
    written by the French catalog with Belgian formats; a language without a catalog gets
    English words with its own formats."""
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError):
        parsed = Locale.parse(SOURCE)
    language = parsed.language if parsed.language in languages() else SOURCE
    return parsed, language


@pass_context
def _money(ctx: Context, value: Any) -> str:
    return format.money(value, ctx["locale"])


@pass_context
def _price(ctx: Context, value: Any) -> str:
    if format.as_money(value) is not None:
        return format.money(value, ctx["locale"])
    return format.amount(value, ctx["currency"], ctx["locale"])


@pass_context
def _when(ctx: Context, value: Any) -> str:
    return format.when(value, ctx["locale"], ctx["zone"])


@pass_context
def _day(ctx: Context, value: Any) -> str:
    return format.day(value, ctx["locale"], ctx["zone"])


@pass_context
def _number(ctx: Context, value: Any) -> str:
    return format.number(value, ctx["locale"])


@pass_context
def _phrase(ctx: Context, value: Any) -> str:
    """A phrase a workflow wrote in English (an outcome, a reason), in the customer's
    language when the catalog knows it; as written otherwise."""
    return phrase(ctx["language"], "" if value is None else str(value))


def phrase(language: str, text: str, **values: Any) -> str:
    """One text through a language's catalog, its `%(name)s` filled from `values`."""
    if not text:
        return ""
    translated = _translations(language).gettext(text)
    return translated % values if values else translated


def _address(value: Any) -> str:
    if isinstance(value, dict):
        from domain.policy.returns import ReturnAddress

        return ReturnAddress.model_validate(value).block().strip("\n")
    return "" if value is None else str(value).strip("\n")


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader([TEMPLATES, PAGES]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(_translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        money=_money,
        price=_price,
        when=_when,
        day=_day,
        number=_number,
        t=_phrase,
        address=_address,
    )
    return env


class Facts(dict[str, Any]):
    """A message's facts: one a workflow did not send reads as empty, so an older workflow's
    message still renders."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def _values(locale: str, zone: str, context: dict[str, Any]) -> tuple[dict[str, Any], str]:
    parsed, language = language_of(locale)
    return {
        "page_url": None,
        "order_id": "",
        "owner": "",
        "currency": "",
        **context,
        "facts": Facts(context.get("facts") or {}),
        "locale": str(parsed),
        "lang": str(parsed).replace("_", "-"),
        "dir": "rtl" if parsed.character_order == "right-to-left" else "ltr",
        "zone": zone,
        "language": language,
    }, language


def render_page(name: str, locale: str, zone: str, context: dict[str, Any]) -> str:
    """A page customers open (`pages/<name>.html`), in their language."""
    values, language = _values(locale, zone, context)
    return environment(language).get_template(f"{name}.html").render(values)


def render(kind: str, locale: str, zone: str, context: dict[str, Any]) -> Rendered:
    """Subject, HTML and text of one message in `locale`, times in `zone`. `context` holds
    `shop`, `facts` and what the kind names (`order_id`, `owner`, `page_url`, …)."""
    values, language = _values(locale, zone, context)
    template = environment(language).get_template(f"{kind}.html")
    page = template.render(values)
    subject_block = template.blocks["subject"](template.new_context(values))
    subject = re.sub(r"[ \t\r\n]+", " ", html.unescape("".join(subject_block))).strip()
    subject = subject[:1].upper() + subject[1:]
    return Rendered(subject, page, plain_text(page), values["locale"], values["dir"])
