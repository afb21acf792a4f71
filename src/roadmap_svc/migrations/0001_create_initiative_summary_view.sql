-- The initiative summary read model, written only by InitiativeSummaryProjection.
CREATE TABLE initiative_summary_view (
    id                          uuid PRIMARY KEY,
    title                       text        NOT NULL,
    status                      text        NOT NULL,
    owner                       text        NOT NULL,
    sponsor                     text,
    proposer                    text        NOT NULL,
    quarter                     text,
    tags                        text[]      NOT NULL,
    last_decision               text,
    stakeholders                jsonb       NOT NULL,
    stakeholders_without_stance text[]      NOT NULL,
    version                     bigint      NOT NULL,
    proposed_at                 timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    proposed_position           bigint      NOT NULL UNIQUE,
    position                    bigint      NOT NULL
);

-- Lists page by proposed_position (stable under concurrent writes) within each filter.
CREATE INDEX initiative_summary_view_status ON initiative_summary_view (status, proposed_position);
CREATE INDEX initiative_summary_view_quarter ON initiative_summary_view (quarter, proposed_position);
CREATE INDEX initiative_summary_view_owner ON initiative_summary_view (owner, proposed_position);
CREATE INDEX initiative_summary_view_tags ON initiative_summary_view USING gin (tags);
