"""Input checked against the standards rather than by hand: ISO 3166-1 countries, ISO 4217
currencies, e-mail addresses (RFC 5321/5322 through `email-validator`) and locales (CLDR,
through Babel)."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, EmailStr, StringConstraints


def _country(code: str) -> str:
    import pycountry

    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _currency(code: str) -> str:
    import pycountry

    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


def one_line(text: str) -> str:
    """Text that is one line of printable characters (names, addresses, short labels)."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"the control character U+{ord(char):04X} is not accepted here")
    return text


def locale_id(value: str) -> str:
    """A locale as Babel names it (`fr_FR`, `ar`, `lv`), from either `fr-FR` or `fr_FR`."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(value.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError) as err:
        raise ValueError(f"{value!r} is not a known locale (such as fr, ar, lv or en_GB)") from err


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
OneLine = AfterValidator(one_line)


LocaleId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$", max_length=35),
    AfterValidator(locale_id),
]
