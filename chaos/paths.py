"""The orders of a chaos run: each takes a path (merchant, payment, what the customer does) and
the driver walks it through the public API as a storefront and its customer would. What the
API answered decides the state the order must end in."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from chaos.stack import CHAOS_HOLD, CHAOS_SHOP

# Statuses from which a path's customer acts, and those that mean "paid, the rest is time".
PAID_OR_LATER = ("paid", "fulfilling", "shipped", "in_transit", "delivered", "completed")
CLOSED = ("completed", "cancelled", "payment_failed", "lost")
# Answers worth asking again: the API or Temporal is down for a moment.
AGAIN = (502, 503, 504)


# What the customer does after placing: nothing more, pass the provider's page (3-D Secure,
# PayPal, the invoice), fail or cancel it there, pay again after a decline, cancel, or change
# the shipping address while the order is held.
Does = Literal["nothing", "act", "give_up", "retry", "cancel", "edit"]


@dataclass(frozen=True)
class Path:
    name: str
    merchant: str
    currency: str
    method: str  # card, paypal, invoice
    token: str | None
    does: Does
    weight: int
    ends: bool = True  # the workflow ends within the run (windows of seconds)


PATHS = (
    Path("card", CHAOS_SHOP, "EUR", "card", "pm_card_approved", "nothing", 6),
    Path("card 3-D Secure passed", CHAOS_SHOP, "EUR", "card", "pm_card_3ds_required", "act", 4),
    Path("card 3-D Secure failed", CHAOS_SHOP, "EUR", "card", "pm_card_3ds_failed", "give_up", 1),
    Path("card declined, retried", CHAOS_SHOP, "EUR", "card", "pm_card_declined", "retry", 2),
    Path("paypal approved", CHAOS_SHOP, "EUR", "paypal", None, "act", 2),
    Path("paypal cancelled", CHAOS_SHOP, "EUR", "paypal", None, "give_up", 1),
    Path("invoice paid", CHAOS_SHOP, "EUR", "invoice", None, "act", 1),
    Path("held, cancelled", CHAOS_HOLD, "EUR", "card", "pm_card_approved", "cancel", 3),
    Path("held, address changed", CHAOS_HOLD, "EUR", "card", "pm_card_approved", "edit", 2),
    Path("held", CHAOS_HOLD, "EUR", "card", "pm_card_approved", "nothing", 1),
    Path("kwoking card", "kwoking", "EUR", "card", "pm_card_3ds_required", "act", 1, False),
    Path("paralight card", "paralight", "EUR", "card", "pm_card_approved", "nothing", 1, False),
    Path("imalent card", "imalent", "USD", "card", "pm_card_3ds_required", "act", 1, False),
)
NEW_LINE1 = "Tērbatas iela 2"


def mix(count: int, seed: int) -> list[Path]:
    """`count` paths: one of each when there is room, the rest drawn by weight; held ones
    first (their dispatch cut-off is fixed at the start), the others shuffled."""
    rng = random.Random(seed)
    chosen = list(PATHS) if count >= len(PATHS) else []
    weights = [p.weight for p in PATHS]
    chosen += rng.choices(PATHS, weights=weights, k=count - len(chosen))
    rng.shuffle(chosen)
    return sorted(chosen, key=lambda p: p.merchant != CHAOS_HOLD)


@dataclass
class Driven:
    """One order as the driver left it: what it expects, and what happened on the way."""

    path: Path
    order_id: str | None = None
    token: str | None = None
    expect: str | None = None  # the status it must end in; "paid" means paid or later
    expect_line1: str | None = None
    refund: str | None = None  # what a cancellation's answer promised
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def body_of(path: Path) -> dict[str, Any]:
    return {
        "merchant": path.merchant,
        "currency": path.currency,
        "customer": {"email": f"chaos-{uuid.uuid4().hex[:10]}@example.com"},
        "shipping_address": {
            "name": "Chaos Customer",
            "line1": "Brivibas iela 1",
            "city": "Riga",
            "postal_code": "LV-1010",
            "country": "LV",
        },
        "lines": [{"sku": "LAMP-1", "name": "Flashlight", "quantity": 1, "unit_price": "24.90"}],
        "payment": {"method": path.method, **({"token": path.token} if path.token else {})},
    }


class Driver:
    def __init__(self, http: httpx.AsyncClient, api: str, storefront: dict[str, str]) -> None:
        self.http, self.api, self.storefront = http, api, storefront
        self.patience = 240.0  # seconds a customer waits for a step

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, asked again while the stack is down (a 5xx or no connection)."""
        for _ in range(int(self.patience)):
            try:
                answer = await self.http.request(method, url, **kwargs)
            except httpx.TransportError:
                await asyncio.sleep(1)
                continue
            if answer.status_code not in AGAIN:
                return answer
            await asyncio.sleep(1)
        raise TimeoutError(f"{method} {url}: no answer within {self.patience:.0f} s")

    def _mine(self, order: Driven) -> dict[str, str]:
        return {"Authorization": f"Bearer {order.token}"}

    async def view(self, order: Driven) -> dict[str, Any]:
        answer = await self.call(
            "GET", f"{self.api}/v1/orders/{order.order_id}", headers=self._mine(order)
        )
        answer.raise_for_status()
        return dict(answer.json())

    async def until(self, order: Driven, *statuses: str, action: bool = False) -> dict[str, Any]:
        """The order's view once its status is one of `statuses` (or, with `action`, once it
        asks the customer to act)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        while loop.time() < deadline:
            view = await self.view(order)
            if view["status"] in statuses or (action and view.get("next_action")):
                return view
            await asyncio.sleep(0.5)
        raise TimeoutError(f"still {view['status']} after {self.patience:.0f} s, not {statuses}")

    async def drive(self, order: Driven) -> None:
        try:
            await self._drive(order)
        except Exception as err:  # the audit reports it beside the order
            order.error = f"{type(err).__name__}: {err}"

    async def _drive(self, order: Driven) -> None:
        path = order.path
        placed = await self.call(
            "POST",
            f"{self.api}/v1/orders",
            json=body_of(path),
            headers={**self.storefront, "Idempotency-Key": f"chaos-{uuid.uuid4().hex}"},
        )
        if placed.status_code != 201:
            raise RuntimeError(f"placement answered {placed.status_code}: {placed.text[:200]}")
        body = placed.json()
        order.order_id, order.token = body["order_id"], body["access_token"]
        order.expect = "completed" if path.ends else "paid"
        if path.does in ("act", "give_up"):
            await self._act(order, give_up=path.does == "give_up")
        elif path.does == "retry":
            await self._retry(order)
        elif path.does in ("cancel", "edit"):
            await self.until(order, *PAID_OR_LATER)
            await (self._cancel(order) if path.does == "cancel" else self._edit(order))

    async def _act(self, order: Driven, *, give_up: bool) -> None:
        """The customer at the provider's page: the challenge, PayPal, or the invoice. A card
        whose challenge fails fails it whatever the customer does."""
        view = await self.until(order, *CLOSED, *PAID_OR_LATER, action=True)
        action = view.get("next_action")
        if not action:
            order.notes.append(f"nothing to act on: {view['status']}")
            return
        outcome = {"card": "complete", "paypal": "cancel" if give_up else "approve"}
        params = {"outcome": outcome[order.path.method]} if order.path.method in outcome else {}
        acted = await self.call("POST", action["url"], params=params)
        if acted.status_code >= 400:
            raise RuntimeError(f"provider page answered {acted.status_code}: {acted.text[:200]}")
        if give_up:
            order.expect = "payment_failed"

    async def _retry(self, order: Driven) -> None:
        """Declined; the customer pays again with another card."""
        await self.until(order, "payment_failed")
        url = f"{self.api}/v1/orders/{order.order_id}/payment/retry"
        payment = {"payment": {"method": "card", "token": "pm_card_approved"}}
        for _ in range(3):
            answer = await self.call("POST", url, json=payment, headers=self._mine(order))
            if answer.status_code == 200 or await self._left(order, "payment_failed", 30):
                if answer.status_code != 200:
                    order.notes.append("retry taken by a request whose answer was lost")
                return
        order.expect = "payment_failed"
        order.notes.append(f"retry refused: {answer.status_code} {answer.text[:200]}")

    async def _left(self, order: Driven, status: str, seconds: float) -> bool:
        """Whether the order moves on from `status` within `seconds`."""
        for _ in range(int(seconds * 2)):
            if (await self.view(order))["status"] != status:
                return True
            await asyncio.sleep(0.5)
        return False

    async def _cancel(self, order: Driven) -> None:
        answer = await self.call(
            "POST",
            f"{self.api}/v1/orders/{order.order_id}/cancel",
            json={"reason": "changed my mind"},
            headers=self._mine(order),
        )
        if answer.status_code == 200:
            order.expect, order.refund = "cancelled", answer.json()["refund"]["amount"]
        else:  # the dispatch slot came first: the order goes on
            order.notes.append(f"cancellation refused: {answer.status_code}")

    async def _edit(self, order: Driven) -> None:
        view = await self.view(order)
        address = {**view["shipping_address"], "line1": NEW_LINE1}
        answer = await self.call(
            "PATCH",
            f"{self.api}/v1/orders/{order.order_id}/shipping-address",
            json=address,
            headers={**self._mine(order), "Idempotency-Key": f"edit-{order.order_id}"},
        )
        if answer.status_code == 200:
            order.expect_line1 = NEW_LINE1
        else:
            order.notes.append(f"address change refused: {answer.status_code}")
