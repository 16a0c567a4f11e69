"""The help centre of one order (KWO-FAQ-1): `GET /v1/orders/{id}/help` answers every topic
the merchant's help centre lists, from the order's own state and its pinned policy, in the
customer's language as the order page is written; the order page shows them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from messages import language_of
from messages.context import locale_of
from starter.api.access import visible_order
from starter.api.deps import PoolDep
from starter.api.help_answers import answered
from starter.api.routing import AnswerRoute
from starter.auth import CUSTOMER_OR_OPERATOR
from starter.openapi import problems
from starter.schemas.common import Answer
from store import orders

router = APIRouter(
    route_class=AnswerRoute, dependencies=CUSTOMER_OR_OPERATOR, prefix="/v1/orders", tags=["orders"]
)


class HelpTopic(Answer):
    topic: str = Field(description="the help centre's topic (`where_is_my_order`, …)")
    question: str
    answer: str
    clauses: list[str]


class HelpCentre(Answer):
    order_id: str
    language: str
    topics: list[HelpTopic]


@router.get("/{order_id}/help", response_model=HelpCentre, responses=problems(404))
async def help_centre(
    order_id: str,
    request: Request,
    pool: PoolDep,
    lang: Annotated[
        str | None,
        Query(pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$", description="another language"),
    ] = None,
) -> dict[str, Any]:
    """Every question of the merchant's help centre, answered for this order: where it is,
    whether and until when it may change, its parcels, tracking, customs, refunds, payments
    and coupons, each with the clauses it rests on. Empty for a merchant with no help centre."""
    row = await visible_order(request, order_id)
    language = language_of(lang or locale_of(row))[1]
    topics = await answered(pool, row, await orders.list_events(pool, order_id), language)
    return {"order_id": order_id, "language": language, "topics": topics}
