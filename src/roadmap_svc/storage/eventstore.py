"""The eventsourcing library's environment, derived from our settings (never from os.environ)."""

from __future__ import annotations

from roadmap_svc.storage.database import DatabaseTarget

# Names the event store's tables (roadmap_events, roadmap_snapshots) and tracking keys: pinned.
APPLICATION_NAME = "roadmap"
EVENTS_TABLE = f"{APPLICATION_NAME}_events"
SNAPSHOTS_TABLE = f"{APPLICATION_NAME}_snapshots"

# Fail fast instead of the library's default minutes of retries (NOTES pitfall 4).
CONNECT_TIMEOUT_SECONDS = 5
LOCK_TIMEOUT_SECONDS = 5
DEFAULT_SNAPSHOT_INTERVAL = 50


def eventsourcing_env(
    target: DatabaseTarget,
    *,
    pool_size: int = 5,
    create_table: bool = False,
    aggregate_cache_size: int = 0,
    snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
) -> dict[str, str]:
    return {
        # Read by our unit of work, not by the library (whose repository cache stays off).
        "ROADMAP_AGGREGATE_CACHE_SIZE": str(aggregate_cache_size),
        "ROADMAP_SNAPSHOT_INTERVAL": str(snapshot_interval),
        "IS_SNAPSHOTTING_ENABLED": "y",
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": target.dbname,
        "POSTGRES_HOST": target.host,
        "POSTGRES_PORT": str(target.port),
        "POSTGRES_USER": target.user,
        "POSTGRES_PASSWORD": target.password,
        # Also the longest wait for a free pooled connection (then a 503).
        "POSTGRES_CONNECT_TIMEOUT": str(max(1, round(connect_timeout))),
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_SECONDS),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        # No ping per checkout: a connection found dead on use is replaced and the statement
        # retried (the library's recorders retry; the group committer reads back).
        "POSTGRES_PRE_PING": "n",
        # Never "y": the insert function drops the table lock that keeps positions gap-free.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        # Tables are created once, by `migrate`, under an advisory lock (NOTES pitfall 3).
        "CREATE_TABLE": "y" if create_table else "n",
    }
