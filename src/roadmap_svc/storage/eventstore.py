"""The eventsourcing library's environment, derived from our settings (never from os.environ)."""

from __future__ import annotations

from roadmap_svc.storage.database import DatabaseTarget

# Fail fast instead of the library's default minutes of retries (NOTES pitfall 4).
CONNECT_TIMEOUT_SECONDS = 5
LOCK_TIMEOUT_SECONDS = 5


def eventsourcing_env(
    target: DatabaseTarget,
    *,
    pool_size: int = 5,
    create_table: bool = False,
    aggregate_cache_size: int = 0,
) -> dict[str, str]:
    return {
        # Long histories (the dependency graph, busy initiatives) are replayed once, then each
        # read only fetches events newer than the cached version: correct across processes.
        "AGGREGATE_CACHE_MAXSIZE": str(aggregate_cache_size) if aggregate_cache_size else "",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": target.dbname,
        "POSTGRES_HOST": target.host,
        "POSTGRES_PORT": str(target.port),
        "POSTGRES_USER": target.user,
        "POSTGRES_PASSWORD": target.password,
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_SECONDS),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_PRE_PING": "y",
        # Never "y": the insert function drops the table lock that keeps positions gap-free.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        # Tables are created once, by `migrate`, under an advisory lock (NOTES pitfall 3).
        "CREATE_TABLE": "y" if create_table else "n",
    }
