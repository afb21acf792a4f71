"""The audit chain is written with the events, in their transaction; a database that had
events before the chain existed gets them chained once, by the migration that creates it."""

from __future__ import annotations

import psycopg

from roadmap_svc.application import RoadmapApplication
from roadmap_svc.audit.signing import _from_seed, new_seed_text, public_key_text
from roadmap_svc.audit.verify import verify
from roadmap_svc.schema import AUDIT_CHAIN_MIGRATION, migrate_database
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import eventsourcing_env
from tests.application_helpers import propose

PUBLIC = public_key_text(_from_seed(new_seed_text(), "test"))


def _counts(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn) as conn:
        events = conn.execute("SELECT count(*) FROM roadmap_events").fetchone()
        links = conn.execute("SELECT count(*) FROM audit_chain").fetchone()
    assert events is not None
    assert links is not None
    return int(events[0]), int(links[0])


def test_every_committed_event_has_its_link(migrated_database: DatabaseTarget) -> None:
    app = RoadmapApplication(env=eventsourcing_env(migrated_database, pool_size=2))
    try:
        for n in range(5):
            propose(app, f"Initiative {n}")
    finally:
        app.close()
    assert _counts(migrated_database.dsn) == (5, 5)


def test_events_recorded_before_the_chain_existed_are_chained_by_its_migration(
    fresh_database: DatabaseTarget,
) -> None:
    migrate_database(fresh_database)
    app = RoadmapApplication(env=eventsourcing_env(fresh_database, pool_size=2))
    try:
        for n in range(4):
            propose(app, f"Initiative {n}")
    finally:
        app.close()
    # As the database was before migration 0008: events, no chain.
    with psycopg.connect(fresh_database.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE audit_chain, audit_checkpoints")
        conn.execute("DELETE FROM schema_migrations WHERE name = %s", (AUDIT_CHAIN_MIGRATION,))

    assert AUDIT_CHAIN_MIGRATION in migrate_database(fresh_database)

    assert _counts(fresh_database.dsn) == (4, 4)
    with psycopg.connect(fresh_database.dsn) as conn:
        report = verify(conn, PUBLIC)
    assert report.verified, report.problem
    assert report.events == 4
    assert migrate_database(fresh_database) == []  # and never again
