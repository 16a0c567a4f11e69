-- Payments that need the customer: e-invoices in the ledger; billing address and coupons on
-- the order, for fraud screening and the read model.

ALTER TABLE ledger DROP CONSTRAINT ledger_movement_check;
ALTER TABLE ledger ADD CONSTRAINT ledger_movement_check
    CHECK (movement IN ('authorization', 'capture', 'void', 'refund', 'invoice'));

ALTER TABLE orders ADD COLUMN billing_address jsonb;
ALTER TABLE orders ADD COLUMN coupons text[] NOT NULL DEFAULT '{}';
ALTER TABLE orders ADD COLUMN customer_ref text;
CREATE INDEX orders_by_customer ON orders (merchant, customer_ref, created_at);

-- Events the order already knows of (a payment needing action, a parcel's first scan) are
-- kept, and marked instead of relayed.
ALTER TABLE webhook_inbox DROP CONSTRAINT webhook_inbox_relay_state_check;
ALTER TABLE webhook_inbox ADD CONSTRAINT webhook_inbox_relay_state_check
    CHECK (relay_state IN ('pending', 'relayed', 'unmatched', 'informational'));
