"""JSON as the API reads it: plain RFC 8259 data that PostgreSQL and every later reader can
hold. Refused: NaN and Infinity (not JSON at all), numbers that overflow a float, nesting
deeper than anyone writes, NUL and other control characters, and lone surrogates (which no
UTF-8 text can hold). Each refusal names where in the document it was found."""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

MAX_DEPTH = 32
# Kept in free text (notes, descriptions); every other control character is refused.
TEXT_CONTROLS = frozenset("\t\n\r")


class NotPlainJson(ValueError):
    """Why a body is not plain JSON, and where (`lines.0.name`, or `body`)."""

    def __init__(self, reason: str, where: str = "body") -> None:
        super().__init__(reason)
        self.reason = reason
        self.where = where


def _constant(name: str) -> Any:
    raise NotPlainJson(f"{name} is not a JSON number")


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotPlainJson(f"the number {text[:40]} is out of range")
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > 40:
        raise NotPlainJson(f"the number {text[:40]}… is out of range")
    return int(text)


def _where(path: list[str | int]) -> str:
    return ".".join(map(str, path)) or "body"


def _unplain(text: str) -> str | None:
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and char not in TEXT_CONTROLS:
            return f"the control character U+{ord(char):04X} is not accepted"
        if category == "Cs":
            return f"the lone surrogate U+{ord(char):04X} is not text"
    return None


def check(document: Any, max_depth: int = MAX_DEPTH) -> None:
    """Walk a parsed document without recursion: depth, keys and strings."""
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > max_depth:
            raise NotPlainJson(f"nesting deeper than {max_depth} levels", _where(path[:max_depth]))
        if isinstance(value, str):
            if (reason := _unplain(value)) is not None:
                raise NotPlainJson(reason, _where(path))
        elif isinstance(value, dict):
            for key, item in value.items():
                if (reason := _unplain(key)) is not None:
                    raise NotPlainJson(f"a key: {reason}", _where(path))
                stack.append((item, [*path, key]))
        elif isinstance(value, list):
            stack.extend((item, [*path, index]) for index, item in enumerate(value))


def loads(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The document in `body`, or `NotPlainJson`; a syntax error stays `json.JSONDecodeError`."""
    try:
        document = json.loads(
            body, parse_constant=_constant, parse_float=_number, parse_int=_integer
        )
    except RecursionError as err:
        raise NotPlainJson(f"nesting deeper than {max_depth} levels") from err
    except UnicodeDecodeError as err:
        raise NotPlainJson("the body is not UTF-8") from err
    check(document, max_depth)
    return document
