-- Requests per token per minute, summed over every API process (api/rate_limits.py): each
-- process adds what it admitted about once a second and reads the total back.
CREATE TABLE rate_limit_windows (
    scope        text        NOT NULL,  -- the token's name
    window_start timestamptz NOT NULL,  -- the minute
    count        bigint      NOT NULL,
    PRIMARY KEY (scope, window_start)
);
