"""Messages as the SMTP mailer sends them: read back by a standard parser, in every script
the merchants write in, with no way for a value to add a header of its own."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from adapters.email.compose import compose


def _sent(**fields: object) -> object:
    """The message as it goes over the wire, read back with the e-mail package's default
    policy (as a mail client would)."""
    return message_from_bytes(flatten_message(compose(**fields)), policy=policy.default)  # type: ignore[arg-type]


def test_a_letter_in_arabic_reads_back_with_both_alternatives() -> None:
    subject = "تم شحن طلبك رقم 1042"
    text, html = "مرحبا، طلبك في الطريق.\n", "<p>مرحبا، طلبك <b>في الطريق</b>.</p>"
    read = _sent(
        sender="متجر الإضاءة <orders@imalent.example>",
        recipient="customer@example.com",
        subject=subject,
        text=text,
        html=html,
        headers={"Content-Language": "ar", "X-Orderflow-Order": "ord_1"},
    )
    assert read["Subject"] == subject  # type: ignore[index]
    assert read["From"].addresses[0].display_name == "متجر الإضاءة"  # type: ignore[index]
    assert read["From"].addresses[0].addr_spec == "orders@imalent.example"  # type: ignore[index]
    assert read["Content-Language"] == "ar" and read["X-Orderflow-Order"] == "ord_1"  # type: ignore[index]
    assert read.get_content_type() == "multipart/alternative"  # type: ignore[attr-defined]
    assert read.get_body(("plain",)).get_content() == text  # type: ignore[attr-defined]
    assert read.get_body(("html",)).get_content() == html  # type: ignore[attr-defined]


def test_an_operators_note_is_plain_text_in_latvian() -> None:
    read = _sent(
        sender="orders@orderflow.local",
        recipient="operators@orderflow.local",
        subject="Nokavēts uzdevums: atmaksa pasūtījumam",
        text="Uzdevums ir nokavēts.\n",
    )
    assert read.get_content_type() == "text/plain"  # type: ignore[attr-defined]
    assert read["Subject"] == "Nokavēts uzdevums: atmaksa pasūtījumam"  # type: ignore[index]
    assert read.get_content() == "Uzdevums ir nokavēts.\n"  # type: ignore[attr-defined]


def test_the_envelope_is_read_from_the_headers() -> None:
    message = compose(
        sender="Kwoking <shop@kwoking.example>",
        recipient="client@example.fr",
        subject="Commande expédiée",
        text="Bonjour",
    )
    assert extract_sender(message) == "shop@kwoking.example"
    assert extract_recipients(message) == ["client@example.fr"]


@pytest.mark.parametrize("field", ["subject", "recipient", "header"])
def test_a_line_break_cannot_add_a_header(field: str) -> None:
    injected = "x\r\nBcc: someone@evil.example"
    fields = {
        "sender": "orders@orderflow.local",
        "recipient": injected if field == "recipient" else "c@example.com",
        "subject": injected if field == "subject" else "Hello",
        "text": "body",
        "headers": {"X-Orderflow-Order": injected} if field == "header" else {},
    }
    with pytest.raises(ValueError, match="line break"):
        compose(**fields)  # type: ignore[arg-type]
