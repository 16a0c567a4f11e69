-- Digital gift cards: what the card issuer issued for each order line, the code sealed
-- (AES-256-GCM, key ID beside it); Temporal only ever sees the card's ID.

CREATE TABLE digital_cards (
    card_id         text PRIMARY KEY,
    order_id        text NOT NULL REFERENCES orders (order_id),
    idempotency_key text NOT NULL UNIQUE,
    line            integer NOT NULL,
    unit            integer NOT NULL,
    sku             text NOT NULL,
    amount          numeric(14, 3) NOT NULL,
    currency        text NOT NULL,
    issuer          text NOT NULL,
    key_id          text NOT NULL,
    code_sealed     bytea NOT NULL,
    status          text NOT NULL DEFAULT 'issued',
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz,
    redeemed_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX digital_cards_by_order ON digital_cards (order_id, line, unit);

-- The card issuer's webhooks (redemptions) go through the same inbox.
ALTER TABLE webhook_inbox DROP CONSTRAINT webhook_inbox_kind_check;
ALTER TABLE webhook_inbox
    ADD CONSTRAINT webhook_inbox_kind_check CHECK (kind IN ('payments', 'carriers', 'cards'));
