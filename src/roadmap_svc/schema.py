"""A database brought to the schema this service needs: our migrations, the event store's
tables and the tracking table of every registered view (one call for cli, tests and bench)."""

from __future__ import annotations

from roadmap_svc.projections.registry import PROJECTIONS
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.migrations import migrate


def migrate_database(target: DatabaseTarget) -> list[str]:
    return migrate(target, tracking_tables=[p.name for p, _ in PROJECTIONS])
