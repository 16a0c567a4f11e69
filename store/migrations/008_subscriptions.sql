-- Subscriptions: the read model each SubscriptionWorkflow keeps current, its timeline, and
-- its charges and e-mails in the same ledger and e-mail log as orders.

CREATE TABLE subscriptions (
    subscription_id  text PRIMARY KEY,
    merchant         text NOT NULL,
    plan             text NOT NULL,
    plan_name        text NOT NULL,
    price            numeric(14, 3) NOT NULL CHECK (price > 0),
    currency         char(3) NOT NULL,
    anchor           timestamptz NOT NULL,
    customer         jsonb NOT NULL,
    payment_token    text NOT NULL,
    policy           jsonb NOT NULL,
    policy_version   text NOT NULL,
    idempotency_key  text UNIQUE,
    request_hash     text NOT NULL,
    status           text NOT NULL DEFAULT 'pending',
    status_seq       integer NOT NULL DEFAULT 0,
    period           integer NOT NULL DEFAULT 1,
    deadlines        jsonb NOT NULL DEFAULT '{}',
    workflow_started_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_by_status ON subscriptions (merchant, status, created_at);

CREATE TABLE subscription_events (
    subscription_id text NOT NULL REFERENCES subscriptions (subscription_id),
    seq             integer NOT NULL,
    at              timestamptz NOT NULL,
    kind            text NOT NULL,
    status          text,
    summary         text NOT NULL,
    clauses         text[] NOT NULL DEFAULT '{}',
    details         jsonb NOT NULL DEFAULT '{}',
    period          integer NOT NULL,
    PRIMARY KEY (subscription_id, seq)
);

-- A ledger row or an e-mail belongs to an order or to a subscription.
ALTER TABLE ledger ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE ledger ADD COLUMN subscription_id text REFERENCES subscriptions (subscription_id);
ALTER TABLE ledger ADD CONSTRAINT ledger_owner_check CHECK (num_nonnulls(order_id, subscription_id) = 1);
ALTER TABLE ledger DROP CONSTRAINT ledger_movement_check;
ALTER TABLE ledger ADD CONSTRAINT ledger_movement_check
    CHECK (movement IN ('authorization', 'capture', 'void', 'refund', 'invoice', 'charge'));
CREATE INDEX ledger_by_subscription ON ledger (subscription_id, created_at)
    WHERE subscription_id IS NOT NULL;

ALTER TABLE emails ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE emails ADD COLUMN subscription_id text REFERENCES subscriptions (subscription_id);
ALTER TABLE emails ADD CONSTRAINT emails_owner_check CHECK (num_nonnulls(order_id, subscription_id) = 1);
