-- Customers' payment tokens, sealed. Workflows carry only a reference (`pmref_…`), which the
-- payment activities open for the order or subscription it was given for.
CREATE TABLE payment_credentials (
    ref        text PRIMARY KEY,
    owner      text NOT NULL,
    key_id     text NOT NULL,
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
