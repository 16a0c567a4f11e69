"""A message built from its MIME parts, as it goes on the wire.

The e-mail package's default policy (`EmailMessage`) parses every header it is given into a
structured object and folds it again when the message is sent; for orderflow's messages, whose
headers it writes itself, that was most of the worker's CPU for an e-mail, more than sending
it (docs/performance.md). Here the headers are written as they are sent: addresses and a
subject outside ASCII encoded once (RFC 2047), each body as UTF-8 in base64, the customer's
letter as its plain text and HTML alternatives."""

from __future__ import annotations

from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr


def _one_line(name: str, value: str) -> str:
    """A header's value, refused when it would start another header (CR or LF in it)."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"the {name} header may not hold a line break")
    return value


def _encoded(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def address(value: str) -> str:
    """`Name <address>` with a name outside ASCII encoded; the address as it is."""
    name, addr = parseaddr(value)
    return formataddr((name, addr or value), charset="utf-8")


def compose(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> Message:
    """A plain-text message, or with `html` a multipart/alternative of both (plain first, as
    RFC 2046 orders them: the last is the one preferred)."""
    message: Message
    if html is None:
        message = MIMEText(text, "plain", "utf-8")
    else:
        message = MIMEMultipart("alternative")
        message.attach(MIMEText(text, "plain", "utf-8"))
        message.attach(MIMEText(html, "html", "utf-8"))
    message["From"] = address(_one_line("From", sender))
    message["To"] = address(_one_line("To", recipient))
    message["Subject"] = _encoded(_one_line("Subject", subject))
    for name, value in (headers or {}).items():
        message[name] = _encoded(_one_line(name, value))
    return message
