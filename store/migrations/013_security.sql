-- What each client Idempotency-Key was first sent with, per act: the same key with another
-- body is refused instead of silently answering the first request's outcome.
CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- The one-time nonces that bring a customer back from a provider's page (3-D Secure, PayPal)
-- to a session of their order: each is used once.
CREATE TABLE used_nonces (
    nonce      text PRIMARY KEY,
    used_at    timestamptz NOT NULL DEFAULT now()
);
