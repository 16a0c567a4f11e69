"""Following a parcel the carrier says nothing about: it is asked, and past the delivery
estimate the customer is told once (IMA-SHP-3, IMA-SHP-5), on the time-skipping server."""

from __future__ import annotations

import uuid

from temporalio.testing import WorkflowEnvironment

from domain.policy import Carrier
from domain.status import OrderStatus
from tests.domain.helpers import preset
from tests.workflows.fakes import FakeWorld, labelled, order_input, record_history, running_order


async def test_imalent_late_parcel_is_reported_once_and_the_carrier_is_asked_daily(
    time_env: WorkflowEnvironment,
) -> None:
    """The carrier sends no scan; asked once a day it says in transit for 20 days, then
    delivered. 12 business days after dispatch the customer hears it is late, once."""
    world = FakeWorld(carrier_says=["label_created"] + ["in_transit"] * 20 + ["delivered"])
    order_id = f"wf-{uuid.uuid4().hex[:8]}"
    async with running_order(time_env, world, order_input(order_id, preset("imalent"))) as handle:
        result = await handle.result()
        await record_history(handle, "parcel_follow_up")
    assert result.status is OrderStatus.COMPLETED and result.late
    late = [e for e in world.events if e.kind == "parcel_late"]
    assert len(late) == 1 and late[0].clauses == ("IMA-SHP-5",)
    assert world.emails.count("parcel_late") == 1
    assert world.statuses()[-3:] == ["in_transit", "delivered", "completed"]
    polls = [c for c in world.calls if c.startswith("poll:")]
    assert len(polls) == 22 and polls[-1] == "poll:delivered"
    handed_over = next(e for e in world.events if e.kind == "fulfilment_started")
    assert {"IMA-SHP-2", "IMA-SHP-3", "IMA-SHP-4"} <= set(handed_over.clauses)
    # asked before the booked pickup passed, the carrier had nothing: no poll came before it
    first_poll = world.calls.index("poll:label_created")
    assert world.calls[first_poll - 1].startswith("label:")


async def test_imalent_picks_its_carrier_by_destination(time_env: WorkflowEnvironment) -> None:
    """IMA-SHP-4: DHL, post, FedEx or airmail; imalent's parcels to China go by post, the
    others by its first carrier, DHL: the label is bought from the carrier chosen."""
    imalent = preset("imalent")
    assert imalent.shipping is not None
    at_once = imalent.model_copy(
        update={"shipping": imalent.shipping.model_copy(update={"dispatch": None})}
    )
    carriers = {}
    for country in ("LV", "CN"):
        world = FakeWorld()
        order = order_input(f"wf-{uuid.uuid4().hex[:8]}", at_once).model_copy(
            update={"destination_country": country}
        )
        async with running_order(time_env, world, order) as handle:
            snapshot = await labelled(handle, 1)
            await handle.terminate("test over")
        carriers[country] = snapshot.shipments[0].carrier
        handed_over = next(e for e in world.events if e.kind == "fulfilment_started")
        assert "IMA-SHP-4" in handed_over.clauses
    assert carriers == {"LV": Carrier.DHL, "CN": Carrier.POST}
