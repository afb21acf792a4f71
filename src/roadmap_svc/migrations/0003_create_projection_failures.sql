-- An event a view could not apply: the view waits at it (and retries with a growing back-off)
-- until a fix lets it through. One row per view at most; `roadmap-svc projections retry`
-- deletes it, which a waiting runner takes as "retry now".
CREATE TABLE projection_failures (
    view_name          text        PRIMARY KEY,
    position           bigint      NOT NULL,
    topic              text        NOT NULL,
    originator_id      uuid        NOT NULL,
    originator_version integer     NOT NULL,
    error              text        NOT NULL,
    attempts           integer     NOT NULL,
    first_failed_at    timestamptz NOT NULL,
    last_failed_at     timestamptz NOT NULL,
    next_attempt_at    timestamptz NOT NULL
);
