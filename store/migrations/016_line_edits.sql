-- Units given back to stock when an order's lines are edited down or cancelled: one row per
-- SKU under the edit's key, so that an edit applied again gives nothing back twice.

CREATE TABLE stock_releases (
    release_key text NOT NULL,
    merchant    text NOT NULL,
    sku         text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (release_key, sku)
);

-- Edits of an order's lines and cancellations of some of its lines, as the API took them:
-- what a client reads back at once under the ID its 201 named. The order's timeline says
-- what became of an edit later (approved, lapsed).
CREATE TABLE order_edits (
    edit_id      text PRIMARY KEY,
    order_id     text NOT NULL REFERENCES orders (order_id),
    kind         text NOT NULL CHECK (kind IN ('edit', 'cancel_lines')),
    request_hash text NOT NULL,
    status       text NOT NULL,
    answer       jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_edits_by_order ON order_edits (order_id, created_at);
