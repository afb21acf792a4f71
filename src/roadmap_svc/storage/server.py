"""Creating and dropping databases on a PostgreSQL server."""

from __future__ import annotations

import contextlib

import psycopg
from psycopg import sql

from roadmap_svc.storage.database import DatabaseTarget


def ensure_database(server: DatabaseTarget, dbname: str) -> None:
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists is None:
            # Another process may create it between the check and here; that is fine.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def drop_database(server: DatabaseTarget, dbname: str) -> None:
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )
