"""A database brought to the schema this service needs: our migrations, the event store's
tables, and every registered view's tracking table and tables (one call for cli, tests and
bench)."""

from __future__ import annotations

import psycopg

from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.view_tables import ensure_views
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.migrations import MIGRATION_LOCK_KEY, migrate


def migrate_database(target: DatabaseTarget) -> list[str]:
    applied = migrate(target, tracking_tables=[v.name for v in VIEWS])
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            ensure_views(conn, VIEWS)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied
