-- Shipping-address changes asked for by customers; applied only when the workflow accepts.

CREATE TABLE address_changes (
    id          bigserial PRIMARY KEY,
    order_id    text NOT NULL REFERENCES orders (order_id),
    address     jsonb NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'refused')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz
);
CREATE INDEX address_changes_by_order ON address_changes (order_id, created_at);
