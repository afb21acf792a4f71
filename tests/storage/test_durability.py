"""The service refuses a PostgreSQL that may lose acknowledged writes, unless told to."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.durability import (
    UnsafeDatabaseError,
    check_durability,
    unsafe_settings,
)
from tests.e2e.serve_process import run_cli


def _synchronous_commit(database: DatabaseTarget, value: str) -> DatabaseTarget:
    # fsync is server-wide (and off on the throw-away test cluster); synchronous_commit can
    # be set for one database, and every session of the service there runs with it.
    with psycopg.connect(database.dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = {}").format(
                sql.Identifier(database.dbname), sql.SQL(value)
            )
        )
    return database


@pytest.fixture
def unsafe_database(scratch_database: DatabaseTarget) -> DatabaseTarget:
    return _synchronous_commit(scratch_database, "off")


def test_synchronous_commit_on_or_local_is_not_reported(scratch_database: DatabaseTarget) -> None:
    for value in ("on", "local"):
        _synchronous_commit(scratch_database, value)
        assert not [s for s in unsafe_settings(scratch_database) if "synchronous_commit" in s]


def test_synchronous_commit_off_is_refused_unless_allowed(
    unsafe_database: DatabaseTarget,
) -> None:
    assert "synchronous_commit=off" in unsafe_settings(unsafe_database)
    with pytest.raises(UnsafeDatabaseError, match="ROADMAP_ALLOW_UNSAFE_POSTGRES=true"):
        check_durability(unsafe_database, allow_unsafe=False)
    check_durability(unsafe_database, allow_unsafe=True)


@pytest.mark.parametrize("command", ["worker", "api"])
def test_the_processes_refuse_to_start_on_it(unsafe_database: DatabaseTarget, command: str) -> None:
    done = run_cli(command, env={"ROADMAP_DATABASE_URL": unsafe_database.dsn})
    assert done.returncode == 2, done.stderr
    assert "PostgreSQL runs with " in done.stderr
    assert "synchronous_commit=off" in done.stderr
