"""The orders of a chaos run: each takes a path (merchant, payment, what the customer and the
operators do) and the driver walks it through the public API as a storefront, its customer
and its operators would. The state each order must end in is its path's, fixed before the
run: an answer the path does not expect is a failure, kept with the order for the report."""

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


# What happens after placing: nothing more, the customer passes the provider's page (3-D
# Secure, PayPal, the invoice), fails or cancels it there, pays again after a decline,
# cancels, or changes the shipping address while the order is held; an operator cancels the
# order whose label the carrier refused; the customer cancels while an operator refunds.
Does = Literal[
    "nothing", "act", "give_up", "retry", "cancel", "edit", "operator_cancels", "both_refund"
]


@dataclass(frozen=True)
class Path:
    name: str
    merchant: str
    currency: str
    method: str  # card, paypal, invoice
    token: str | None
    does: Does
    weight: int
    expect: str  # the status the order ends in; "paid" means paid or later
    ends: bool = True  # the workflow ends within the run (windows of seconds)
    line1: str = "Brivibas iela 1"


SHOP, HOLD = CHAOS_SHOP, CHAOS_HOLD
APPROVED, CHALLENGED = "pm_card_approved", "pm_card_3ds_required"
PATHS = (
    Path("card", SHOP, "EUR", "card", APPROVED, "nothing", 12, "completed"),
    Path("card 3-D Secure passed", SHOP, "EUR", "card", CHALLENGED, "act", 8, "completed"),
    Path(
        "card 3-D Secure failed",
        SHOP,
        "EUR",
        "card",
        "pm_card_3ds_failed",
        "give_up",
        2,
        "payment_failed",
    ),
    Path(
        "card declined, retried", SHOP, "EUR", "card", "pm_card_declined", "retry", 4, "completed"
    ),
    Path("paypal approved", SHOP, "EUR", "paypal", None, "act", 4, "completed"),
    Path("paypal cancelled", SHOP, "EUR", "paypal", None, "give_up", 2, "payment_failed"),
    Path("invoice paid", SHOP, "EUR", "invoice", None, "act", 2, "completed"),
    Path(
        "card capture refused",
        SHOP,
        "EUR",
        "card",
        "pm_card_capture_refused",
        "nothing",
        1,
        "payment_failed",
    ),
    Path(
        "label refused, cancelled by an operator",
        SHOP,
        "EUR",
        "card",
        APPROVED,
        "operator_cancels",
        1,
        "cancelled",
        line1="Outside the network 1",
    ),
    Path("held, cancelled", HOLD, "EUR", "card", APPROVED, "cancel", 6, "cancelled"),
    Path(
        "held, cancelled while an operator refunds",
        HOLD,
        "EUR",
        "card",
        APPROVED,
        "both_refund",
        2,
        "cancelled",
    ),
    Path("held, address changed", HOLD, "EUR", "card", APPROVED, "edit", 4, "completed"),
    Path("held", HOLD, "EUR", "card", APPROVED, "nothing", 2, "completed"),
    Path("kwoking card", "kwoking", "EUR", "card", CHALLENGED, "act", 2, "paid", False),
    Path("paralight card", "paralight", "EUR", "card", APPROVED, "nothing", 2, "paid", False),
    Path("imalent card", "imalent", "USD", "card", CHALLENGED, "act", 2, "paid", False),
)
NEW_LINE1 = "Tērbatas iela 2"
GOODWILL = "5.00"  # the operator's refund beside a cancellation
POLICY_REFUSAL = "Refused by the merchant's policy"  # a 409's title when the policy refuses


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
    refunds: list[str] = field(default_factory=list)  # what the refunds' answers promised
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def expect(self) -> str:
        """The status it must end in, its path's; "paid" means paid or later."""
        return self.path.expect

    @property
    def expect_line1(self) -> str | None:
        return NEW_LINE1 if self.path.does == "edit" else None


def body_of(path: Path) -> dict[str, Any]:
    return {
        "merchant": path.merchant,
        "currency": path.currency,
        "customer": {"email": f"chaos-{uuid.uuid4().hex[:10]}@example.com"},
        "shipping_address": {
            "name": "Chaos Customer",
            "line1": path.line1,
            "city": "Riga",
            "postal_code": "LV-1010",
            "country": "LV",
        },
        "lines": [{"sku": "LAMP-1", "name": "Flashlight", "quantity": 1, "unit_price": "24.90"}],
        "payment": {"method": path.method, **({"token": path.token} if path.token else {})},
    }


class Unexpected(Exception):
    """An answer the order's path does not expect."""


class Driver:
    def __init__(
        self,
        http: httpx.AsyncClient,
        api: str,
        storefront: dict[str, str],
        operator: dict[str, str],
    ) -> None:
        self.http, self.api, self.storefront, self.operator = http, api, storefront, operator
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
        if path.does in ("act", "give_up"):
            await self._act(order, give_up=path.does == "give_up")
        elif path.does == "retry":
            await self._retry(order)
        elif path.does == "operator_cancels":
            await self._operator_cancels(order)
        elif path.does in ("cancel", "edit", "both_refund"):
            await self.until(order, *PAID_OR_LATER)
            if path.does == "cancel":
                await self._cancel(order)
            elif path.does == "edit":
                await self._edit(order)
            else:
                await asyncio.gather(self._cancel(order), self._goodwill(order))

    async def _act(self, order: Driven, *, give_up: bool) -> None:
        """The customer at the provider's page: the challenge, PayPal, or the invoice. A card
        whose challenge fails fails it whatever the customer does."""
        view = await self.until(order, *CLOSED, *PAID_OR_LATER, action=True)
        action = view.get("next_action")
        if not action:
            raise Unexpected(f"nothing to act on: {view['status']}")
        outcome = {"card": "complete", "paypal": "cancel" if give_up else "approve"}
        params = {"outcome": outcome[order.path.method]} if order.path.method in outcome else {}
        acted = await self.call("POST", action["url"], params=params)
        if acted.status_code >= 400:
            raise Unexpected(f"provider page answered {acted.status_code}: {acted.text[:200]}")

    async def _retry(self, order: Driven) -> None:
        """Declined; the customer pays again with another card."""
        await self.until(order, "payment_failed")
        url = f"{self.api}/v1/orders/{order.order_id}/payment/retry"
        payment = {"payment": {"method": "card", "token": "pm_card_approved"}}
        headers = {**self._mine(order), "Idempotency-Key": f"retry-{order.order_id}"}
        answer = await self.call("POST", url, json=payment, headers=headers)
        if answer.status_code != 200:
            raise Unexpected(f"retry answered {answer.status_code}: {answer.text[:200]}")

    async def _cancel(self, order: Driven, headers: dict[str, str] | None = None) -> None:
        answer = await self.call(
            "POST",
            f"{self.api}/v1/orders/{order.order_id}/cancel",
            json={"reason": "changed my mind"},
            headers=headers or self._mine(order),
        )
        if answer.status_code != 200:
            raise Unexpected(f"cancellation answered {answer.status_code}: {answer.text[:200]}")
        order.refunds.append(answer.json()["refund"]["amount"])

    async def _goodwill(self, order: Driven) -> None:
        """An operator's refund at the moment the customer cancels: refunded (201) or, the
        cancellation having given everything back first, refused by the policy (409)."""
        answer = await self.call(
            "POST",
            f"{self.api}/v1/ops/orders/{order.order_id}/refunds",
            json={"amount": GOODWILL, "reason": "goodwill", "operator": "chaos"},
            headers={**self.operator, "Idempotency-Key": f"goodwill-{order.order_id}"},
        )
        if answer.status_code == 201:
            order.refunds.append(answer.json()["amount"]["amount"])
        elif answer.status_code != 409 or answer.json()["title"] != POLICY_REFUSAL:
            raise Unexpected(f"operator refund answered {answer.status_code}: {answer.text[:200]}")

    async def _operator_cancels(self, order: Driven) -> None:
        """The carrier refuses the parcel's label for good; an operator, seeing it on the
        order's timeline, cancels the order."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        while loop.time() < deadline:
            view = await self.view(order)
            if any(e["kind"] == "label_refused" for e in view["timeline"]):
                await self._cancel(order, headers=self.operator)
                return
            await asyncio.sleep(1)
        raise Unexpected(f"no label refusal on the timeline after {self.patience:.0f} s")

    async def _edit(self, order: Driven) -> None:
        view = await self.view(order)
        address = {**view["shipping_address"], "line1": NEW_LINE1}
        answer = await self.call(
            "PATCH",
            f"{self.api}/v1/orders/{order.order_id}/shipping-address",
            json=address,
            headers={**self._mine(order), "Idempotency-Key": f"edit-{order.order_id}"},
        )
        if answer.status_code != 200:
            raise Unexpected(f"address change answered {answer.status_code}: {answer.text[:200]}")
