"""`make demo`: place a few orders on the demo shop of a running `make run`, and say where to
watch them (the demo preset's return window is 60 seconds, parcels move every few seconds)."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from runtime.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = [
    ("Anna Berzina", "LV", "Riga"),
    ("Karim Haddad", "SA", "Jeddah"),
    ("Claire Martin", "FR", "Lyon"),
]


def main() -> int:
    env_file = ROOT / ".data" / "local.env"
    if not env_file.exists():
        print("start the system first: make run", file=sys.stderr)
        return 1
    keys = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    settings = Settings()
    api = httpx.Client(
        base_url=settings.public_base_url,
        timeout=15,
        headers={"Authorization": f"Bearer {keys['ORDERFLOW_STOREFRONT_API_KEY']}"},
    )
    for i, (name, country, city) in enumerate(CUSTOMERS, start=1):
        response = api.post(
            "/v1/orders",
            json={
                "merchant": "demo",
                "currency": "EUR",
                "customer": {"email": f"customer{i}@example.com"},
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
        if response.status_code != 201:
            print(f"order {i} refused: {response.status_code} {response.text}", file=sys.stderr)
            return 1
        order = response.json()
        print(
            f"order {order['order_id']}: {order['status']}\n"
            f"  curl -s {settings.public_base_url}/v1/orders/{order['order_id']}"
            f" -H 'Authorization: Bearer {order['access_token']}'\n"
            f"  Temporal UI: http://127.0.0.1:8233/namespaces/default/workflows/order-{order['order_id']}"
        )
    print("\nMail: http://127.0.0.1:8100/mail")
    return 0


if __name__ == "__main__":
    sys.exit(main())
