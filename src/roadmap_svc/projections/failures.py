"""Poison events: an event a view cannot apply, kept where operators and /readyz can see it.

A view that fails on an event does not skip it (its rows would silently be wrong) and does not
stop for good: it waits at that event, retries after a growing back-off, and records the event's
position, aggregate, version, type and error in `projection_failures`, so that
`roadmap-svc projections status` shows it from any process and `... retry` (after a fix)
makes the runner try again at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from roadmap_svc.storage.pool import Pool

TABLE = "projection_failures"


class PoisonEvent(msgspec.Struct, frozen=True, kw_only=True):
    view: str
    position: int
    topic: str
    originator_id: UUID
    originator_version: int
    error: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    next_attempt_at: datetime


class PoisonEventError(Exception):
    """A view could not apply the event at `position` (not a connection problem)."""

    def __init__(
        self, position: int, topic: str, originator_id: UUID, originator_version: int
    ) -> None:
        super().__init__(f"event at position {position} ({topic}) could not be applied")
        self.position = position
        self.topic = topic
        self.originator_id = originator_id
        self.originator_version = originator_version


def record(conn: psycopg.Connection[Any], failure: PoisonEvent) -> None:
    conn.execute(
        f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
        " ON CONFLICT (view_name) DO UPDATE SET position = EXCLUDED.position,"
        " topic = EXCLUDED.topic, originator_id = EXCLUDED.originator_id,"
        " originator_version = EXCLUDED.originator_version, error = EXCLUDED.error,"
        " attempts = EXCLUDED.attempts, first_failed_at = EXCLUDED.first_failed_at,"
        " last_failed_at = EXCLUDED.last_failed_at, next_attempt_at = EXCLUDED.next_attempt_at",
        msgspec.structs.astuple(failure),
    )


def is_recorded(conn: psycopg.Connection[Any], view: str) -> bool:
    found = conn.execute(f"SELECT 1 FROM {TABLE} WHERE view_name = %s", (view,)).fetchone()  # noqa: S608
    return found is not None


def clear(conn: psycopg.Connection[Any], view: str | None = None) -> list[PoisonEvent]:
    """Forget the failure of `view` (every view: None); a waiting runner then retries at once."""
    sql = f"DELETE FROM {TABLE}" + ("" if view is None else " WHERE view_name = %s")  # noqa: S608
    rows = conn.execute(sql + " RETURNING *", () if view is None else (view,)).fetchall()
    return [_failure(row) for row in rows]


def recorded(conn: psycopg.Connection[Any]) -> list[PoisonEvent]:
    rows = conn.execute(f"SELECT * FROM {TABLE} ORDER BY view_name").fetchall()  # noqa: S608
    return [_failure(row) for row in rows]


async def waiting(pool: Pool) -> list[PoisonEvent]:
    """As `recorded`, on the query pool (for /readyz)."""
    rows = await pool.fetch(f"SELECT * FROM {TABLE} ORDER BY view_name")  # noqa: S608
    return [_failure(tuple(row)) for row in rows]


def _failure(row: tuple[Any, ...]) -> PoisonEvent:
    return PoisonEvent(**dict(zip(PoisonEvent.__struct_fields__, row, strict=True)))
