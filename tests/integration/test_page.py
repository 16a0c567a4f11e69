"""The customer's order page: opened from the e-mail's link, in the customer's language, with
the parcels, the dates and what can still be done, and the way back from the payment page.
Checked in headless Chromium: screenshots land in the test's output folder."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.harness import STOREFRONT, System, order_body, wait_for
from tests.integration.test_api_contract import assert_problem

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parent.parent.parent / ".data" / "screenshots"


async def place(system: System, **changes: Any) -> dict[str, Any]:
    placed = await system.api.post("/v1/orders", headers=STOREFRONT, json=order_body(**changes))
    assert placed.status_code == 201, placed.text
    return dict(placed.json())


def page_link_in_mail(system: System, order_id: str) -> str | None:
    for path in system.mail.messages():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["X-Orderflow-Order"] == order_id:
            text = str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
            for word in text.split():
                if f"/orders/{order_id}?token=" in word:
                    return word
    return None


async def screenshot(url: str, name: str) -> tuple[Path, str]:
    """What a person sees: Chromium renders the page to a PNG and its DOM after scripts."""
    assert CHROMIUM is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{name}.png"
    common = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    png = await asyncio.to_thread(
        subprocess.run,
        [*common, f"--screenshot={shot}", "--window-size=800,1400", url],
        capture_output=True,
        timeout=60,
    )
    assert png.returncode == 0, png.stderr[-500:]
    dom = await asyncio.to_thread(
        subprocess.run, [*common, "--dump-dom", url], capture_output=True, timeout=60, text=True
    )
    assert dom.returncode == 0, dom.stderr[-500:]
    return shot, dom.stdout


async def test_the_page_opens_from_the_mail_in_the_customers_language(system: System) -> None:
    order = await place(
        system, merchant="holdshop", customer={"email": "claire@example.com", "locale": "fr"}
    )
    link = await wait_for(lambda: _async(page_link_in_mail(system, order["order_id"])), 30)
    assert link.startswith(system.settings.public_base_url)
    assert order["access_token"] not in link  # the e-mail carries a link token of its own

    async def paid() -> httpx.Response | None:
        page = await system.api.get(link)
        return page if "payée" in page.text else None

    page = await wait_for(paid, within=30)
    assert page.headers["content-type"].startswith("text/html")
    assert "no-store" in page.headers["cache-control"]
    assert 'lang="fr" dir="ltr"' in page.text and "Commande" in page.text
    assert "39,80\u00a0€" in page.text  # 2 × 19.90 EUR, as French writes it
    assert "Annuler la commande" in page.text
    # the address is changed with the storefront's token, never from an e-mail's link
    assert "Modifier l'adresse de livraison" not in page.text
    at_the_shop = await system.api.get(
        f"/orders/{order['order_id']}", params={"token": order["access_token"]}
    )
    assert "Modifier l'adresse de livraison" in at_the_shop.text
    assert "Ask for a return" not in page.text and "Demander un retour" not in page.text
    assert (
        "IMA-EDT-1" in page.text or "KWO-CAN-1" in page.text or '<span class="clause"' in page.text
    )

    wrong = await system.api.get(f"/orders/{order['order_id']}", params={"token": "ot_guess"})
    assert_problem(wrong, 404)


async def test_arabic_reads_right_to_left(system: System) -> None:
    order = await place(system, customer={"email": "karim@example.com", "locale": "ar"})
    page = await system.api.get(order["links"]["page"])
    assert page.status_code == 200
    assert 'lang="ar" dir="rtl"' in page.text and "الطلب" in page.text


async def test_the_payment_page_returns_to_the_order_page(system: System) -> None:
    order = await place(system, merchant="secureshop")
    url = order["next_action"]["url"]
    assert "return_url=" in url
    async with httpx.AsyncClient(timeout=10) as browser:
        assert (await browser.get(url)).status_code == 200
        back = await browser.post(httpx.URL(url).copy_add_param("outcome", "complete"))
    assert back.status_code == 303
    way_back = back.headers["location"]
    assert way_back.startswith(
        f"{system.settings.public_base_url}/orders/{order['order_id']}/back?"
    )
    assert order["access_token"] not in way_back and "token=" not in way_back
    arrived = await system.api.get(way_back)
    assert arrived.status_code == 303
    page = await system.api.get(arrived.headers["location"])
    assert page.status_code == 200 and order["order_id"] in page.text
    assert_problem(await system.api.get(way_back), 410)  # once only


@pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium here: apt-get install -y chromium (Debian) to see pages"
)
async def test_a_person_sees_the_page_and_can_cancel_from_it(system: System) -> None:
    order = await place(
        system, merchant="holdshop", customer={"email": "anna@example.com", "locale": "lv"}
    )
    link = system.settings.public_base_url + order["links"]["page"]

    async def paid() -> bool:
        return "apmaksāts" in (await system.api.get(link)).text

    await wait_for(paid, within=30)
    shot, dom = await screenshot(link, "order-page-lv")
    assert shot.stat().st_size > 10_000
    assert "Pasūtījums" in dom and "Atcelt pasūtījumu" in dom

    # the cancel form calls the API with the page's own token, as the button would
    mine = {"Authorization": f"Bearer {order['access_token']}"}
    cancelled = await system.api.post(
        f"/v1/orders/{order['order_id']}/cancel", headers=mine, json={"reason": "no longer"}
    )
    assert cancelled.status_code == 200, cancelled.text
    shot, dom = await screenshot(link, "order-page-lv-cancelled")
    assert "atcelts" in dom and "Atcelt pasūtījumu" not in dom

    arabic = await place(system, customer={"email": "karim@example.com", "locale": "ar"})
    shot, dom = await screenshot(
        system.settings.public_base_url + arabic["links"]["page"], "order-page-ar"
    )
    assert 'dir="rtl"' in dom and shot.stat().st_size > 10_000


async def _async(value: Any) -> Any:
    return value
