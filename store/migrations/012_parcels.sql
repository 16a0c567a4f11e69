-- Each parcel's order, and its tracker when a tracking service follows it: a tracking
-- service's events name the parcel, not the order.
CREATE TABLE parcels (
    tracking_number text PRIMARY KEY,
    order_id        text NOT NULL,
    carrier         text NOT NULL,
    tracker_id      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
