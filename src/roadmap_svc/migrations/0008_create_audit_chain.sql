-- Tamper evidence (audit/): a hash chain over the global log, one link per stored event,
-- written in the same transaction as the events (storage/group_commit.py), and signed
-- checkpoints of its head. `roadmap-svc audit verify` recomputes both from the events.
CREATE TABLE audit_chain (
    position    bigint      PRIMARY KEY,  -- the event's notification_id
    hash        bytea       NOT NULL,     -- SHA-256(previous hash || position || canonical event)
    -- When it was recorded: read under the write lock, so it rises with the position, and
    -- "the log as of T" is the prefix up to the last position recorded by T (as-of reads).
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_chain_recorded_at ON audit_chain (recorded_at);

CREATE TABLE audit_checkpoints (
    id          bigserial   PRIMARY KEY,
    position    bigint      NOT NULL,  -- the chain's head when signed
    hash        bytea       NOT NULL,  -- its hash
    signed_at   timestamptz NOT NULL,
    public_key  bytea       NOT NULL,  -- Ed25519, raw 32 bytes
    signature   bytea       NOT NULL   -- over audit/chain.py's checkpoint_message
);
