-- Events out: the merchant's endpoints, the outbox every timeline entry worth telling is
-- written to (in the statement that writes the entry), and each endpoint's deliveries.

CREATE TABLE event_endpoints (
    endpoint_id     text PRIMARY KEY,
    url             text NOT NULL,
    event_types     text[] NOT NULL,
    secret_key_id   text NOT NULL,
    secret          bytea NOT NULL,          -- sealed
    previous_key_id text,
    previous_secret bytea,                   -- sealed; valid until previous_until
    previous_until  timestamptz,
    personal_data   boolean NOT NULL DEFAULT false,
    retry_for       interval NOT NULL,       -- how long a delivery is retried before parking
    status          text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'paused', 'failing')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event_outbox (
    event_id   text PRIMARY KEY,
    position   bigserial UNIQUE,
    stream     text NOT NULL,                -- the order (or `subscription:<id>`) it is of
    type       text NOT NULL,
    at         timestamptz NOT NULL,
    data       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_outbox_by_stream ON event_outbox (stream, position);

CREATE TABLE event_deliveries (
    endpoint_id     text NOT NULL REFERENCES event_endpoints (endpoint_id),
    event_id        text NOT NULL REFERENCES event_outbox (event_id),
    stream          text NOT NULL,
    position        bigint NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'parked')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    delivered_at    timestamptz,
    parked_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX event_deliveries_by_stream ON event_deliveries (endpoint_id, stream, position)
    WHERE state <> 'delivered';
