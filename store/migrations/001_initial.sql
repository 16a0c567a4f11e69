-- The read model, the timeline, the webhook inbox, the money ledger and the e-mail log.

CREATE TABLE orders (
    order_id         text PRIMARY KEY,
    merchant         text NOT NULL,
    status           text NOT NULL,
    status_seq       integer NOT NULL DEFAULT 0,
    currency         char(3) NOT NULL,
    items_total      numeric(16, 3) NOT NULL,
    shipping_total   numeric(16, 3) NOT NULL,
    total            numeric(16, 3) NOT NULL,
    payment_method   text NOT NULL,
    payment_token    text,
    policy_version   text NOT NULL,
    policy           jsonb NOT NULL,
    customer         jsonb NOT NULL,
    shipping_address jsonb NOT NULL,
    lines            jsonb NOT NULL,
    shipments        jsonb NOT NULL DEFAULT '[]',
    deadlines        jsonb NOT NULL DEFAULT '{}',
    idempotency_key  text,
    request_hash     text NOT NULL,
    workflow_started_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (merchant, idempotency_key)
);
CREATE INDEX orders_by_status ON orders (merchant, status, created_at DESC);
CREATE INDEX orders_not_started ON orders (created_at) WHERE workflow_started_at IS NULL;

CREATE TABLE order_events (
    order_id  text NOT NULL REFERENCES orders (order_id),
    seq       integer NOT NULL,
    at        timestamptz NOT NULL,
    kind      text NOT NULL,
    status    text,
    summary   text NOT NULL,
    clauses   text[] NOT NULL DEFAULT '{}',
    details   jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (order_id, seq)
);

CREATE TABLE webhook_inbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('payments', 'carriers')),
    provider        text NOT NULL,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    order_id        text,
    payload         jsonb NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    relay_state     text NOT NULL DEFAULT 'pending'
                    CHECK (relay_state IN ('pending', 'relayed', 'unmatched')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    relayed_at      timestamptz,
    UNIQUE (kind, provider, event_id)
);
CREATE INDEX webhook_inbox_due ON webhook_inbox (next_attempt_at) WHERE relay_state = 'pending';
CREATE INDEX webhook_inbox_unmatched ON webhook_inbox (received_at) WHERE relay_state = 'unmatched';

CREATE TABLE ledger (
    id              bigserial PRIMARY KEY,
    order_id        text NOT NULL REFERENCES orders (order_id),
    idempotency_key text NOT NULL UNIQUE,
    movement        text NOT NULL CHECK (movement IN ('authorization', 'capture', 'void', 'refund')),
    amount          numeric(16, 3) NOT NULL CHECK (amount >= 0),
    currency        char(3) NOT NULL,
    provider        text NOT NULL,
    provider_ref    text,
    status          text NOT NULL,
    clauses         text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_by_order ON ledger (order_id, created_at);

CREATE TABLE emails (
    id              bigserial PRIMARY KEY,
    order_id        text NOT NULL REFERENCES orders (order_id),
    template        text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    message_id      text NOT NULL,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
