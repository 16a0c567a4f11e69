-- Finding orders outside Temporal, and operators who sign in with their own credential.

-- The shop's own order number: unique per merchant, searchable.
ALTER TABLE orders ADD COLUMN external_reference text;
CREATE UNIQUE INDEX orders_external_reference ON orders (merchant, external_reference)
    WHERE external_reference IS NOT NULL;
CREATE INDEX orders_by_placement ON orders (created_at DESC, order_id DESC);
CREATE INDEX orders_by_customer_ref ON orders (customer_ref, created_at DESC);
-- Tracking number and carrier: containment queries on the parcels.
CREATE INDEX orders_by_shipment ON orders USING gin (shipments jsonb_path_ops);

-- One credential per operator. Only a SHA-256 of the secret is kept: the secret is 32 random
-- bytes, so a slow hash adds nothing; the prefix finds the row without scanning.
CREATE TABLE operators (
    name        text PRIMARY KEY,
    key_prefix  text NOT NULL UNIQUE,
    key_hash    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    last_used_at timestamptz,
    revoked_at  timestamptz
);
