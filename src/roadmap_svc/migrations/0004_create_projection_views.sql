-- Which shape each view's tables have (a fingerprint of their DDL and the fold's revision) and
-- which generation of them is live. A view whose fingerprint changed is recreated empty and
-- replayed from the log; an online rebuild swaps in new tables and bumps the generation, which
-- tells the live runner to drop what it holds in memory. The live runner reads this row
-- FOR SHARE in every batch; a rebuild's swap holds it FOR UPDATE.
CREATE TABLE projection_views (
    view_name   text   PRIMARY KEY,
    fingerprint text   NOT NULL,
    generation  bigint NOT NULL
);
