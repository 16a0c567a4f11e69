-- Returns (RMAs): the read model each ReturnWorkflow keeps current, its timeline, and the
-- customer's words and files, which never go into Temporal.

CREATE TABLE returns (
    rma_id          text PRIMARY KEY,
    order_id        text NOT NULL REFERENCES orders (order_id),
    status          text NOT NULL DEFAULT 'requested',
    status_seq      integer NOT NULL DEFAULT 0,
    reason          text NOT NULL,
    resolution      text NOT NULL,
    description     text NOT NULL DEFAULT '',
    evidence        jsonb NOT NULL DEFAULT '[]',
    request_hash    text NOT NULL,
    snapshot        jsonb,
    tracking_number text,
    deadlines       jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX returns_by_order ON returns (order_id, created_at);
CREATE INDEX returns_by_tracking ON returns (tracking_number) WHERE tracking_number IS NOT NULL;

CREATE TABLE return_events (
    rma_id   text NOT NULL REFERENCES returns (rma_id),
    seq      integer NOT NULL,
    at       timestamptz NOT NULL,
    kind     text NOT NULL,
    status   text,
    summary  text NOT NULL,
    clauses  text[] NOT NULL DEFAULT '{}',
    details  jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (rma_id, seq)
);

-- Files a customer gives (photos, videos, receipts): the bytes live in the evidence store
-- (a directory, or an S3-compatible bucket); this is what is known of them.
CREATE TABLE evidence (
    evidence_id  text PRIMARY KEY,
    order_id     text NOT NULL REFERENCES orders (order_id),
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    sha256       text NOT NULL,
    storage_key  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_by_order ON evidence (order_id, created_at);
