"""A database brought to the schema this service needs: our migrations, the event store's
tables, and every registered view's tracking table and tables (one call for cli, tests and
bench)."""

from __future__ import annotations

import logging

import psycopg

from roadmap_svc.projections.registry import VIEWS
from roadmap_svc.projections.view_tables import ensure_views
from roadmap_svc.storage import audit_chain
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.migrations import MIGRATION_LOCK_KEY, migrate

logger = logging.getLogger(__name__)
AUDIT_CHAIN_MIGRATION = "0008_create_audit_chain.sql"


def migrate_database(target: DatabaseTarget) -> list[str]:
    applied = migrate(target, tracking_tables=[v.name for v in VIEWS])
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            ensure_views(conn, VIEWS)
            if AUDIT_CHAIN_MIGRATION in applied:  # the chain is new: chain what exists
                chained = audit_chain.backfill(conn)
                logger.info("audit chain: %d existing events chained", chained)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied
