"""The database a process uses: ROADMAP_DATABASE_URL's server, or the embedded one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from roadmap_svc.config import Settings
from roadmap_svc.storage.database import DatabaseTarget, parse_database_url
from roadmap_svc.storage.embedded import embedded_postgres


@contextmanager
def open_database(settings: Settings) -> Iterator[DatabaseTarget]:
    if settings.database_url is not None:
        yield parse_database_url(settings.database_url)
        return
    with embedded_postgres(settings.data_path) as target:
        yield target
