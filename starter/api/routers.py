"""Every router of the API, in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from starter.api import (
    cards,
    claim_filing,
    claims,
    evidence,
    health,
    help,
    order_changes,
    order_edits,
    orders,
    payments,
    returns,
    subscriptions,
    webhooks,
)
from starter.api.ops import cards as ops_cards
from starter.api.ops import claims as ops_claims
from starter.api.ops import events as ops_events
from starter.api.ops import orders as ops_orders
from starter.api.ops import policy as ops_policy
from starter.api.ops import search, tasks

ROUTERS: tuple[APIRouter, ...] = (
    orders.router,
    order_changes.router,
    order_edits.router,
    evidence.router,
    returns.router,
    cards.router,
    subscriptions.router,
    claim_filing.router,
    claims.router,
    tasks.router,
    ops_claims.router,
    ops_events.router,
    ops_policy.router,
    search.router,
    payments.router,
    webhooks.router,
    ops_orders.router,
    health.router,
    help.router,
    ops_cards.router,
)
