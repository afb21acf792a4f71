"""Refusing a PostgreSQL that may lose acknowledged writes: the service answers 201 only
once the events are committed, which means nothing if the server does not keep commits."""

from __future__ import annotations

import logging

import psycopg

from roadmap_svc.config import ConfigError
from roadmap_svc.storage.database import DatabaseTarget

logger = logging.getLogger(__name__)
# setting -> the values under which a committed write can be lost in a crash
UNSAFE_VALUES = {
    "fsync": {"off"},
    "synchronous_commit": {"off"},
    "full_page_writes": {"off"},
}
ALLOW_SETTING = "ROADMAP_ALLOW_UNSAFE_POSTGRES"


class UnsafeDatabaseError(ConfigError):
    """The server runs with a setting that can lose committed transactions."""


def unsafe_settings(target: DatabaseTarget) -> list[str]:
    """The settings this service's sessions see (a database or role may override them)."""
    with psycopg.connect(target.dsn) as conn:
        found = []
        for name, unsafe in UNSAFE_VALUES.items():
            row = conn.execute(
                "SELECT setting FROM pg_settings WHERE name = %s", (name,)
            ).fetchone()
            if row is not None and row[0] in unsafe:
                found.append(f"{name}={row[0]}")
        return found


def check_durability(target: DatabaseTarget, *, allow_unsafe: bool) -> None:
    unsafe = unsafe_settings(target)
    if not unsafe:
        return
    what = ", ".join(unsafe)
    if not allow_unsafe:
        raise UnsafeDatabaseError(
            f"PostgreSQL runs with {what}: a crash could lose writes this service has "
            f"acknowledged. Turn it on, or set {ALLOW_SETTING}=true for throw-away data."
        )
    logger.warning(
        "PostgreSQL runs with %s (%s=true): acknowledged writes may be lost", what, ALLOW_SETTING
    )
