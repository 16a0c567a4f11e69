"""LIF-3: a carrier repeating a scan after its order's workflow ended tells the order nothing
it does not know; a parcel that moves on after the end is news for operators."""

from __future__ import annotations

from domain.decisions.tracking import scan_known_after_the_order


def test_a_repeated_or_older_scan_is_known_and_a_move_on_is_news() -> None:
    assert scan_known_after_the_order("delivered", "delivered")  # the carrier's retry
    assert scan_known_after_the_order("in_transit", "delivered")  # older, arriving late
    assert scan_known_after_the_order("exception", "out_for_delivery")
    # Sent back after its delivery: the same rank as delivered, but news.
    assert not scan_known_after_the_order("return_to_sender", "delivered")
    assert not scan_known_after_the_order("delivered", "in_transit")  # delivered after the end
    assert not scan_known_after_the_order("delivered", None)  # not the order's parcel
    assert not scan_known_after_the_order("teleported", "delivered")  # a status not known
