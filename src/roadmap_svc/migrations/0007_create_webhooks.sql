-- Webhook endpoints (registered by admins) and the deliveries of outbox entries to them.
CREATE TABLE webhook_endpoints (
    id               uuid        PRIMARY KEY,
    url              text        NOT NULL,
    event_types      text[]      NOT NULL,  -- empty: every type
    description      text,
    -- Signs the deliveries (Standard Webhooks); shown to the admin once, kept to sign with.
    secret           text        NOT NULL,
    enabled          boolean     NOT NULL DEFAULT true,
    disabled_reason  text,
    -- The outbox position up to which this endpoint's deliveries are queued.
    queued_through   bigint      NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id              bigserial   PRIMARY KEY,
    endpoint_id     uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    position        bigint      NOT NULL,  -- of the event (webhook-id: msg_<position>)
    event_type      text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending',  -- pending, delivered, failed
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status     integer,  -- the receiver's HTTP status (none: no answer)
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, position)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
