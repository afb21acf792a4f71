-- Idempotency-Key: the answer to a write, stored in the transaction that stored its events, so
-- a retry with the same key (by the same token) gets that answer again and records nothing,
-- even when the first attempt's process died between its commit and its response.
CREATE TABLE idempotency_keys (
    scope       text        NOT NULL,  -- the token's name: keys of different tokens never meet
    key         text        NOT NULL,
    fingerprint bytea       NOT NULL,  -- sha256 of the method, path and body
    status      smallint    NOT NULL,
    headers     jsonb       NOT NULL,
    body        bytea       NOT NULL,
    position    bigint      NOT NULL,  -- of the write's last event
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
