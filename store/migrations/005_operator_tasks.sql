-- What waits on a person (a parcel back with no reshipping rule, an order held for review,
-- a Web UI cancellation refused): opened and closed by the order's workflow, listed for
-- operators with its due time.

CREATE TABLE operator_tasks (
    task_key   text PRIMARY KEY,
    order_id   text NOT NULL REFERENCES orders (order_id),
    kind       text NOT NULL,
    summary    text NOT NULL,
    clauses    text[] NOT NULL DEFAULT '{}',
    due_at     timestamptz,
    opened_at  timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz
);

CREATE INDEX operator_tasks_open ON operator_tasks (due_at NULLS LAST, opened_at)
    WHERE closed_at IS NULL;

-- What the customer wrote when cancelling: kept with the order, never in Temporal.
ALTER TABLE orders ADD COLUMN cancel_reason text;
