"""The worker registers every activity the workflows may schedule."""

from __future__ import annotations

import inspect
from typing import Any

from activities.orders import OrderActivities
from worker import order_activities


def test_every_order_activity_is_registered() -> None:
    stub: Any = OrderActivities.__new__(OrderActivities)
    defined = {
        name
        for name, member in inspect.getmembers(OrderActivities, inspect.isfunction)
        if hasattr(member, "__temporal_activity_definition")
    }
    registered = {fn.__name__ for fn in order_activities(stub)}  # type: ignore[attr-defined]
    assert "confirm_payment" in defined
    assert registered == defined
