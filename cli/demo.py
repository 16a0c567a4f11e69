"""`orderflow demo`: a few orders on the demo shop of a running system, and where to watch
them (the demo preset's windows are seconds long, parcels move every few seconds)."""

from __future__ import annotations

import typer

from cli.api import api_of, cli_settings, configured, out

CUSTOMERS = [
    ("Anna Berzina", "LV", "Riga", "lv"),
    ("Karim Haddad", "SA", "Jeddah", "ar"),
    ("Claire Martin", "FR", "Lyon", "fr"),
]


def demo(ctx: typer.Context) -> None:
    """Place three demo orders (in Latvian, Arabic and French) and print their links."""
    api = api_of(ctx)
    settings = cli_settings()
    storefront = configured("ORDERFLOW_STOREFRONT_API_KEY", "storefront_api_key")
    for i, (name, country, city, locale) in enumerate(CUSTOMERS, start=1):
        order = api.call(
            "POST",
            "/v1/orders",
            credential=storefront,
            json={
                "merchant": "demo",
                "currency": "EUR",
                "external_reference": None,
                "customer": {"email": f"customer{i}@example.com", "locale": locale},
                "shipping_address": {
                    "name": name,
                    "line1": f"{i} Demo Street",
                    "city": city,
                    "country": country,
                },
                "lines": [
                    {"sku": f"LAMP-{i}", "name": "Flashlight", "quantity": i, "unit_price": "24.90"}
                ],
                "payment": {"method": "card", "token": "pm_card_approved"},
            },
        )
        if api.show(order):
            continue
        out.print(
            f"order {order['order_id']}: {order['status']}\n"
            f"  customer's page: {api.url}{order['links']['page']}\n"
            f"  Temporal UI: {settings.temporal_ui_url}/namespaces/"
            f"{settings.temporal_namespace}/workflows/order-{order['order_id']}"
        )
    if not api.as_json:
        out.print(f"\nMail: {settings.sandbox_mail_url}")
