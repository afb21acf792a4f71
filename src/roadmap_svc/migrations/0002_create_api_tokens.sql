-- Bearer API tokens. Only a SHA-256 hash of each token is stored, never the token itself.
CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    role        text        NOT NULL CHECK (role IN ('viewer', 'editor', 'auditor', 'admin')),
    token_hash  bytea       NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
