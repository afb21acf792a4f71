"""migrate(): ordered SQL files applied once each, under an advisory lock, checked by checksum."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from roadmap_svc.schema import migrate_database
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.migrations import MIGRATIONS_DIR, MigrationError, migrate

OUR_FILES = [
    "0001_create_initiative_summary_view.sql",
    "0002_create_api_tokens.sql",
    "0003_create_projection_failures.sql",
    "0004_create_projection_views.sql",
    "0005_create_idempotency_keys.sql",
    "0006_create_rate_limit_windows.sql",
    "0007_create_webhooks.sql",
    "0008_create_audit_chain.sql",
]
EXPECTED_TABLES = (
    "roadmap_events",
    "roadmap_snapshots",
    "initiative_summary_view",
    "initiative_summary_tracking",
    "api_tokens",
    "idempotency_keys",
    "rate_limit_windows",
    "webhook_endpoints",
    "webhook_deliveries",
    "schema_migrations",
)


def _tables(target: DatabaseTarget) -> set[str]:
    with psycopg.connect(target.dsn) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {name for (name,) in rows}


def _ledger(target: DatabaseTarget) -> list[tuple[str, str]]:
    with psycopg.connect(target.dsn) as conn:
        rows = conn.execute("SELECT name, checksum FROM schema_migrations ORDER BY name").fetchall()
    return [(name, checksum) for name, checksum in rows]


@pytest.fixture
def migrations_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "migrations"
    copy.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, copy / path.name)
    return copy


def test_the_real_migrations_are_the_expected_files() -> None:
    assert sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql")) == OUR_FILES


def test_migrate_applies_every_file_and_creates_every_table(
    fresh_database: DatabaseTarget,
) -> None:
    assert _tables(fresh_database) == set()
    assert migrate_database(fresh_database) == OUR_FILES
    assert set(EXPECTED_TABLES) <= _tables(fresh_database)
    assert [name for name, _ in _ledger(fresh_database)] == OUR_FILES


def test_storage_migrate_makes_the_tracking_tables_it_is_told_of(
    fresh_database: DatabaseTarget,
) -> None:
    migrate(fresh_database)
    assert "initiative_summary_tracking" not in _tables(fresh_database)
    migrate(fresh_database, tracking_tables=["some_view"])
    assert {"roadmap_events", "roadmap_snapshots", "some_view_tracking"} <= _tables(fresh_database)


def test_second_migrate_applies_nothing(fresh_database: DatabaseTarget) -> None:
    migrate(fresh_database)
    ledger = _ledger(fresh_database)
    tables = _tables(fresh_database)
    assert migrate(fresh_database) == []
    assert _ledger(fresh_database) == ledger
    assert _tables(fresh_database) == tables


def test_concurrent_migrates_all_succeed_and_apply_each_file_once(
    fresh_database: DatabaseTarget,
) -> None:
    workers = 4
    start = threading.Barrier(workers, timeout=30)

    def run() -> list[str]:
        start.wait()
        return migrate_database(fresh_database)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run) for _ in range(workers)]
        results = [future.result(timeout=120) for future in futures]  # re-raises any failure

    applied = [name for result in results for name in result]
    assert sorted(applied) == OUR_FILES  # each file applied by exactly one of the callers
    assert [name for name, _ in _ledger(fresh_database)] == OUR_FILES
    assert set(EXPECTED_TABLES) <= _tables(fresh_database)


def test_changed_migration_is_refused(
    fresh_database: DatabaseTarget, migrations_copy: Path
) -> None:
    assert migrate(fresh_database, migrations_copy) == OUR_FILES
    ledger = _ledger(fresh_database)
    edited = migrations_copy / OUR_FILES[1]
    edited.write_text(edited.read_text() + "\n-- an innocent-looking edit\n")

    with pytest.raises(MigrationError, match=f"{OUR_FILES[1]} changed after it was applied"):
        migrate(fresh_database, migrations_copy)
    assert _ledger(fresh_database) == ledger


def test_new_migration_is_applied_after_the_old_ones(
    fresh_database: DatabaseTarget, migrations_copy: Path
) -> None:
    migrate(fresh_database, migrations_copy)
    (migrations_copy / "9999_create_extra.sql").write_text("CREATE TABLE extra (id int);\n")

    assert migrate(fresh_database, migrations_copy) == ["9999_create_extra.sql"]
    assert "extra" in _tables(fresh_database)
    assert [name for name, _ in _ledger(fresh_database)] == [*OUR_FILES, "9999_create_extra.sql"]


def test_failing_migration_is_rolled_back_and_not_recorded(
    fresh_database: DatabaseTarget, migrations_copy: Path
) -> None:
    migrate(fresh_database, migrations_copy)
    broken = migrations_copy / "9998_broken.sql"
    broken.write_text("CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n")

    with pytest.raises(MigrationError, match=r"9998_broken\.sql") as raised:
        migrate(fresh_database, migrations_copy)
    assert isinstance(raised.value.__cause__, psycopg.errors.UndefinedTable)
    assert "half_done" not in _tables(fresh_database)
    assert [name for name, _ in _ledger(fresh_database)] == OUR_FILES

    broken.write_text("CREATE TABLE half_done (id int);\n")  # fixed before it was ever applied
    assert migrate(fresh_database, migrations_copy) == ["9998_broken.sql"]
    assert "half_done" in _tables(fresh_database)


def test_empty_migrations_directory_is_refused(
    fresh_database: DatabaseTarget, tmp_path: Path
) -> None:
    with pytest.raises(MigrationError, match="no migrations found"):
        migrate(fresh_database, tmp_path)
