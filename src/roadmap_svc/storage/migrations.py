"""`roadmap-svc migrate`: ordered SQL files applied once each, under an advisory lock, then
the library's own tables (event store, snapshots, and the tracking table of each view)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import APPLICATION_NAME, eventsourcing_env

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"  # in the package
# Any fixed number works; it only has to be the same in every process of this service.
MIGRATION_LOCK_KEY = 7_340_112_001

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name        text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(Exception):
    pass


def migrate(
    target: DatabaseTarget,
    migrations_dir: Path = MIGRATIONS_DIR,
    *,
    tracking_tables: Iterable[str] = (),
) -> list[str]:
    """Apply pending migrations and create the library's tables; returns what was applied.

    `tracking_tables` names the views whose tracking tables the library creates
    (`<name>_tracking`); roadmap_svc.schema passes every registered view.
    """
    files = sorted(migrations_dir.glob("*.sql"))
    if not files:
        raise MigrationError(f"no migrations found in {migrations_dir}")
    applied: list[str] = []
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            conn.execute(_CREATE_LEDGER)
            rows = conn.execute("SELECT name, checksum FROM schema_migrations").fetchall()
            done: dict[str, str] = dict(rows)
            for path in files:
                checksum = hashlib.sha256(path.read_bytes()).hexdigest()
                if path.name in done:
                    if done[path.name] != checksum:
                        raise MigrationError(f"{path.name} changed after it was applied")
                    continue
                try:
                    with conn.transaction():
                        conn.execute(path.read_text().encode())  # our own files, not input
                        conn.execute(
                            "INSERT INTO schema_migrations (name, checksum) VALUES (%s, %s)",
                            (path.name, checksum),
                        )
                except psycopg.Error as exc:
                    raise MigrationError(f"{path.name} failed and was rolled back: {exc}") from exc
                applied.append(path.name)
                logger.info("applied migration %s", path.name)
            _create_library_tables(target, tracking_tables)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied


def _create_library_tables(target: DatabaseTarget, tracking_tables: Iterable[str]) -> None:
    # The library owns the DDL of its event store, snapshot and tracking tables; we only
    # decide when it runs: here, once, while holding the lock.
    env = eventsourcing_env(target, pool_size=1, create_table=True)
    for name in (APPLICATION_NAME, *tracking_tables):
        factory = InfrastructureFactory.construct(Environment(name, env))
        try:
            if name == APPLICATION_NAME:
                factory.application_recorder()
                factory.aggregate_recorder(purpose="snapshots")
            else:
                factory.tracking_recorder()
        finally:
            factory.close()
