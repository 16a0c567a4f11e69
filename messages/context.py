"""What a message knows beyond its facts: the shop, the customer's language and the
merchant's clock, whom it is about and the link to the customer's page."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import formataddr, parseaddr
from typing import Any

from messages import Rendered, language_of, phrase, render
from messages.phrases import N_
from runtime.tokens import Links

DIGITAL = "digital_card"


@dataclass(frozen=True)
class Letter:
    rendered: Rendered
    sender: str


def sender(policy: dict[str, Any], default: str) -> str:
    """The merchant's own sender, else the settings' address under the merchant's name."""
    if policy.get("mail_from"):
        return str(policy["mail_from"])
    _, address = parseaddr(default)
    return formataddr((str(policy.get("display_name") or ""), address or default))


def locale_of(row: dict[str, Any]) -> str:
    """The language of an order's or a subscription's customer: theirs, else the merchant's."""
    return str((row.get("customer") or {}).get("locale") or row["policy"].get("locale") or "en")


def _phrase(locale: str, text: str, **values: Any) -> str:
    return phrase(language_of(locale)[1], text, **values)


def order_letter(
    kind: str, order: dict[str, Any], facts: dict[str, Any], default_from: str, links: Links | None
) -> Letter:
    policy, locale = order["policy"], locale_of(order)
    oid = order["order_id"]
    context = {
        "shop": policy.get("display_name", ""),
        "order_id": oid,
        "owner": _phrase(locale, N_("order %(id)s"), id=oid),
        "currency": order["currency"],
        "total": f"{order['total']} {order['currency']}",
        "lines": order["lines"],
        "digital_only": all(line.get("category") == DIGITAL for line in order["lines"]),
        "page_url": links.order_page(oid) if links else None,
        "facts": facts,
    }
    rendered = render(kind, locale, policy.get("timezone", "UTC"), context)
    return Letter(rendered, sender(policy, default_from))


def subscription_letter(
    kind: str, row: dict[str, Any], facts: dict[str, Any], default_from: str
) -> Letter:
    policy, locale = row["policy"], locale_of(row)
    sid, plan = row["subscription_id"], row["plan_name"]
    context = {
        "shop": policy.get("display_name", ""),
        "subscription_id": sid,
        "plan": plan,
        "owner": _phrase(locale, N_("%(plan)s (subscription %(id)s)"), plan=plan, id=sid),
        "currency": row["currency"],
        "facts": facts,
    }
    rendered = render(kind, locale, policy.get("timezone", "UTC"), context)
    return Letter(rendered, sender(policy, default_from))


def address_of(value: str) -> Address:
    name, address = parseaddr(value)
    return Address(display_name=name, addr_spec=address)
