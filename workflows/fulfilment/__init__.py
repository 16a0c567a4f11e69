"""Fulfilment, a component of the order: the warehouse hand-off at the dispatch slot, labels,
the carrier's pickup and scans, address edits, and parcels lost or sent back."""
