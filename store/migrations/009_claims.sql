-- Claims and customers' questions: the read model each ClaimWorkflow keeps current, its
-- timeline, and the customer's words, files and the operator's answer, which never go into
-- Temporal. A claim belongs to an order or to a subscription; so do its evidence and tasks.

CREATE TABLE claims (
    claim_id        text PRIMARY KEY,
    order_id        text REFERENCES orders (order_id),
    subscription_id text REFERENCES subscriptions (subscription_id),
    kind            text NOT NULL,
    status          text NOT NULL DEFAULT 'open',
    status_seq      integer NOT NULL DEFAULT 0,
    description     text NOT NULL DEFAULT '',
    evidence        jsonb NOT NULL DEFAULT '[]',
    answer          text,
    request_hash    text NOT NULL,
    snapshot        jsonb,
    deadlines       jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT claims_owner_check CHECK (num_nonnulls(order_id, subscription_id) = 1)
);
CREATE INDEX claims_by_order ON claims (order_id, created_at) WHERE order_id IS NOT NULL;
CREATE INDEX claims_by_subscription ON claims (subscription_id, created_at)
    WHERE subscription_id IS NOT NULL;

CREATE TABLE claim_events (
    claim_id text NOT NULL REFERENCES claims (claim_id),
    seq      integer NOT NULL,
    at       timestamptz NOT NULL,
    kind     text NOT NULL,
    status   text,
    summary  text NOT NULL,
    clauses  text[] NOT NULL DEFAULT '{}',
    details  jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (claim_id, seq)
);

ALTER TABLE evidence ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE evidence ADD COLUMN subscription_id text REFERENCES subscriptions (subscription_id);
ALTER TABLE evidence ADD CONSTRAINT evidence_owner_check
    CHECK (num_nonnulls(order_id, subscription_id) = 1);

-- A task names what its action acts on (`ref`: a return, a claim, a card) and when it was
-- escalated for being overdue.
ALTER TABLE operator_tasks ALTER COLUMN order_id DROP NOT NULL;
ALTER TABLE operator_tasks ADD COLUMN subscription_id text
    REFERENCES subscriptions (subscription_id);
ALTER TABLE operator_tasks ADD CONSTRAINT operator_tasks_owner_check
    CHECK (num_nonnulls(order_id, subscription_id) = 1);
ALTER TABLE operator_tasks ADD COLUMN ref text;
ALTER TABLE operator_tasks ADD COLUMN escalated_at timestamptz;
