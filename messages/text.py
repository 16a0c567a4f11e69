"""The plain-text alternative of an HTML message: its words, paragraph by paragraph, links
written out, the title and the footer kept; no markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = {"p", "h1", "h2", "h3", "div", "tr", "table", "pre", "footer", "main", "ul", "li"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "script"):
            self.skip += 1
        elif tag in BLOCKS:
            self.parts.append("\n\n" if tag in ("p", "h1", "pre", "table", "footer") else "\n")
            self.pre += tag == "pre"
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append("  ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.parts.append("")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "script"):
            self.skip -= 1
        elif tag == "pre":
            self.pre -= 1
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href not in self.parts[-1]:
                self.parts.append(f": {href}")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.parts.append(data if self.pre else _SPACE.sub(" ", data))


# Markup's own whitespace only: no-break spaces inside amounts and dates stay as written.
_SPACE = re.compile(r"[ \t\r\n\f]+")


def plain_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    text, blank = [], False
    for line in lines:
        if not line:
            blank = bool(text)
            continue
        if blank:
            text.append("")
        text.append(line)
        blank = False
    return "\n".join(text) + "\n"
