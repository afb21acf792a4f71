"""Reads of the event store itself: one aggregate's events with their global positions
(async, for the API), and the log in position order (async for the event feed; sync for
runners and rebuilds)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from psycopg.rows import dict_row

from roadmap_svc.storage.eventstore import EVENTS_TABLE
from roadmap_svc.storage.pool import Pool
from roadmap_svc.storage.recorders import PositionedStoredEvent, stored_event
from roadmap_svc.storage.transcoder import MsgspecMapper

SELECT_AGGREGATE_EVENTS = f"""
SELECT originator_version, topic, state, notification_id
FROM {EVENTS_TABLE}
WHERE originator_id = $1
ORDER BY originator_version
"""  # noqa: S608 - constant

EVENTS_AFTER = f"""
SELECT notification_id, originator_id, originator_version, topic, state
FROM {EVENTS_TABLE}
WHERE notification_id > %s
ORDER BY notification_id
LIMIT %s
"""  # noqa: S608 - constant

LOG_AFTER = f"""
SELECT notification_id, originator_id, originator_version, topic, state
FROM {EVENTS_TABLE}
WHERE notification_id > $1
ORDER BY notification_id
LIMIT $2
"""  # noqa: S608 - constant

_mapper = MsgspecMapper()


def events_after(
    conn: psycopg.Connection[Any], position: int, limit: int
) -> list[tuple[StoredEvent, int]]:
    """The next events of the log (none skipped: commit order is position order)."""
    with conn.cursor(binary=True, row_factory=dict_row) as curs:
        rows = curs.execute(EVENTS_AFTER, (position, limit)).fetchall()
    return [(stored_event(row), row["notification_id"]) for row in rows]


def stored_log(
    conn: psycopg.Connection[Any],
    through: int | None = None,
    page: int = 2000,
    after: int = 0,
) -> Iterator[tuple[StoredEvent, int]]:
    """Every stored event with its position, in position order (after `after`, up to
    `through`), read a page at a time (verify, export, replays, the chain's backfill)."""
    while through is None or after < through:
        # no more than can be wanted: a short stretch reads only itself
        limit = page if through is None else min(page, through - after)
        rows = events_after(conn, after, limit)
        for stored, position in rows:
            if through is not None and position > through:
                return
            yield stored, position
        if len(rows) < limit:
            return
        after = rows[-1][1]


class PositionedEvent:
    __slots__ = ("event", "position")

    def __init__(self, event: Aggregate.Event, position: int) -> None:
        self.event = event
        self.position = position


async def aggregate_events(pool: Pool, aggregate_id: UUID) -> Sequence[PositionedEvent]:
    rows = await pool.fetch(SELECT_AGGREGATE_EVENTS, aggregate_id)
    return [_positioned(row, aggregate_id) for row in rows]


async def log_after(pool: Pool, position: int, limit: int) -> Sequence[PositionedEvent]:
    """The log after a position, in order (none skipped: commit order is position order)."""
    rows = await pool.fetch(LOG_AFTER, position, limit)
    return [_positioned(row, row["originator_id"]) for row in rows]


def _positioned(row: Any, originator_id: UUID) -> PositionedEvent:  # noqa: ANN401 - a Record
    domain_event = _mapper.to_domain_event(
        PositionedStoredEvent(
            originator_id=originator_id,
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
            position=row["notification_id"],
        )
    )
    if not isinstance(domain_event, Aggregate.Event):  # pragma: no cover - all ours are
        raise TypeError(f"unexpected event type {type(domain_event).__qualname__}")
    return PositionedEvent(domain_event, row["notification_id"])
