"""What a return may take back of its order: each line asked for is one of the order's, in
no greater quantity than is left of it once the returns still open or already settled are
counted (a line rejected or lapsed may be asked for again); and, where the product to
exchange for is out of stock, whether another is offered (CRD-RET-5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.decisions import Decision, allow, refuse
from domain.decisions.returns import ReturnedItem
from domain.orders import OrderLine
from domain.policy import Policy
from domain.returns import ReturnLineAsk


def returnable(
    lines: Sequence[OrderLine], taken: Mapping[str, int], asked: Sequence[ReturnLineAsk]
) -> tuple[list[ReturnedItem], Decision]:
    """The items asked for, as the policy's eligibility reads them, and whether the order can
    give them: refused (field `lines`) for a SKU not ordered or more than is left of it.
    `taken`: the quantity of each SKU other returns hold."""
    by_sku = {line.sku: line for line in lines}
    items: list[ReturnedItem] = []
    for ask in asked:
        line = by_sku.get(ask.sku)
        if line is None:
            return [], refuse(f"{ask.sku} is not a line of this order")
        left = sum(x.quantity for x in lines if x.sku == ask.sku) - taken.get(ask.sku, 0)
        if ask.quantity > left:
            return [], refuse(f"only {left} x {ask.sku} can still be returned")
        items.append(
            ReturnedItem(
                sku=line.sku,
                category=line.category,
                unit_price=line.unit_price,
                quantity=ask.quantity,
                **ask.model_dump(
                    include={"opened", "used", "original_packaging", "all_accessories"}
                ),
                damage_cause=ask.damage_cause,
            )
        )
    return items, allow("every line asked for can be returned")


def exchange_out_of_stock(policy: Policy) -> Decision:
    """The product to exchange for is out of stock: the customer is offered another."""
    exchange = policy.returns.exchange if policy.returns else None
    if exchange is None or not exchange.out_of_stock_offer_alternative:
        return refuse("no exchange alternative is offered: the return is refunded")
    return allow("the customer is contacted and offered another product", *exchange.clauses)
