"""A view's tables in PostgreSQL: created from its row types, recreated when their shape (or
the fold's revision) changed, and the generation that tells a live runner a rebuild swapped
them. The one place that knows a view's DDL and its `projection_views` row."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Literal

import psycopg
from psycopg.rows import tuple_row

from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections import row_versions
from roadmap_svc.projections.kit import View, tracking_table
from roadmap_svc.projections.tables import TableSQL

logger = logging.getLogger(__name__)
__all__ = ["create_tables", "ensure_views", "fingerprint", "generation", "tracking_table"]


def fingerprint(view: View) -> str:
    parts = [f"revision {view.revision}"]
    parts += [f"{t.name} {TableSQL(t).fingerprint}" for t in view.tables]
    # versions are kept from the first event on: a view that begins keeping them replays
    parts += [
        f"versions {'; '.join(row_versions.VersionsSQL(t).ddl)}"
        for t in row_versions.versioned(view)
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def create_tables(conn: psycopg.Connection[Any], view: View, suffix: str = "") -> None:
    """(Re)create the view's tables (and their versions), empty, named `<table><suffix>`."""
    for table in view.tables:
        sql = TableSQL(table, table.name + suffix)
        conn.execute(f"DROP TABLE IF EXISTS {sql.name}")
        for statement in sql.ddl:
            conn.execute(statement.encode())
    row_versions.create_versions(conn, view, suffix)


def ensure_views(conn: psycopg.Connection[Any], views: tuple[View, ...]) -> list[str]:
    """Create missing views and recreate changed ones (empty, position 0: the runner replays
    the log into them). Returns the names recreated. Run under the migration lock."""
    recreated = []
    for view in views:
        wanted = fingerprint(view)
        row = conn.execute(
            "SELECT fingerprint FROM projection_views WHERE view_name = %s", (view.name,)
        ).fetchone()
        if row is not None and row[0] == wanted:
            continue
        with conn.transaction():
            create_tables(conn, view)
            conn.execute(
                f"DELETE FROM {tracking_table(view.name)} WHERE application_name = %s",  # noqa: S608 - ours
                (APPLICATION_NAME,),
            )
            conn.execute(
                "INSERT INTO projection_views (view_name, fingerprint, generation)"
                " VALUES (%s, %s, 1) ON CONFLICT (view_name) DO UPDATE"
                " SET fingerprint = EXCLUDED.fingerprint,"
                " generation = projection_views.generation + 1",
                (view.name, wanted),
            )
        recreated.append(view.name)
        logger.info("view %s: tables (re)created; it replays the log", view.name)
    return recreated


def generation(
    conn: psycopg.Connection[Any],
    view_name: str,
    *,
    lock: Literal["", "FOR SHARE", "FOR UPDATE"] = "",
) -> int:
    """The live generation of a view's tables."""
    with conn.cursor(row_factory=tuple_row) as curs:  # whatever the connection's rows are
        row = curs.execute(
            f"SELECT generation FROM projection_views WHERE view_name = %s {lock}",  # noqa: S608
            (view_name,),
        ).fetchone()
    if row is None:
        msg = f"view {view_name} has no tables: run `roadmap-svc migrate`"
        raise LookupError(msg)
    return int(row[0])
