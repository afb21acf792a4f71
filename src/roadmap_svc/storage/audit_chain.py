"""The audit chain's and checkpoints' tables (migration 0008): what the committer appends,
and what verify and export read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import psycopg
from eventsourcing.persistence import StoredEvent

from roadmap_svc.audit.chain import GENESIS, canonical_event, link
from roadmap_svc.storage.event_log import stored_log
from roadmap_svc.storage.eventstore import EVENTS_TABLE

# Read under the event store's write lock: the previous link is the newest one.
HEAD = "SELECT position, hash FROM audit_chain ORDER BY position DESC LIMIT 1"
INSERT_LINKS = (
    "INSERT INTO audit_chain (position, hash)"
    " SELECT * FROM unnest(%(positions)s::bigint[], %(hashes)s::bytea[])"
)
# Backfilled links keep their event's own recording time.
_INSERT_OLD_LINKS = (
    "INSERT INTO audit_chain (position, hash, recorded_at) SELECT * FROM"
    " unnest(%(positions)s::bigint[], %(hashes)s::bytea[], %(times)s::timestamptz[])"
)
# The log as of a time: the last position recorded by then (0: none yet).
POSITION_AT = "SELECT coalesce(max(position), 0) FROM audit_chain WHERE recorded_at <= $1"
_POSITION_AT = POSITION_AT.replace("$1", "%s")
_LINKS_AFTER = (
    "SELECT position, hash FROM audit_chain WHERE position > %s ORDER BY position LIMIT %s"
)
FIRST_RECORDED = "SELECT min(recorded_at) FROM audit_chain"
# The same for one aggregate, in one round trip: the prefix's end, the aggregate's version
# in it, and when the log began.
SYNC_AS_OF = f"""
WITH prefix AS (
    SELECT coalesce(max(position), 0) AS position FROM audit_chain WHERE recorded_at <= %s
)
SELECT prefix.position,
       (SELECT max(originator_version) FROM {EVENTS_TABLE}
         WHERE originator_id = %s AND notification_id <= prefix.position) AS version,
       (SELECT min(recorded_at) FROM audit_chain) AS first
FROM prefix
"""  # noqa: S608 - constant


def links(previous: bytes, events: Sequence[tuple[int, bytes]]) -> dict[str, list[Any]]:
    """The links of events (position, canonical bytes) that follow `previous`, as
    INSERT_LINKS's parameters (`hashes` ends with the new head)."""
    positions: list[int] = []
    hashes: list[bytes] = []
    for position, canonical in sorted(events):
        previous = link(previous, position, canonical)
        positions.append(position)
        hashes.append(previous)
    return {"positions": positions, "hashes": hashes}


def _recorded_at(state: bytes) -> datetime:
    """An event's own recording time (the library's `timestamp`)."""
    recorded: Any = msgspec.json.decode(state).get("timestamp")
    return msgspec.convert(recorded, datetime) if recorded else datetime.now(UTC)


def backfill(conn: psycopg.Connection[Any], page: int = 5000) -> int:
    """Chain the events recorded before the chain existed: once, in the migration run that
    creates it (never later, or it would chain events inserted after the fact). Under the
    write lock, so no command commits meanwhile. Returns how many were chained."""
    chained = 0
    with conn.transaction():
        conn.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
        if conn.execute(HEAD).fetchone() is not None:
            return 0  # chained already
        previous = GENESIS
        chunk: list[tuple[StoredEvent, int]] = []
        for item in stored_log(conn, page=page):
            chunk.append(item)
            if len(chunk) == page:
                previous = _chain_old(conn, previous, chunk)
                chained, chunk = chained + len(chunk), []
        if chunk:
            _chain_old(conn, previous, chunk)
            chained += len(chunk)
    return chained


def _chain_old(
    conn: psycopg.Connection[Any], previous: bytes, chunk: list[tuple[StoredEvent, int]]
) -> bytes:
    params = links(
        previous,
        [
            (position, canonical_event(e.originator_id, e.originator_version, e.topic, e.state))
            for e, position in chunk
        ],
    )
    params["times"] = [_recorded_at(bytes(e.state)) for e, _ in chunk]
    conn.execute(_INSERT_OLD_LINKS, params)
    last: bytes = params["hashes"][-1]
    return last


def links_after(conn: psycopg.Connection[Any], page: int = 2000) -> Iterator[tuple[int, bytes]]:
    """Every stored link (position, hash), in position order, a page at a time."""
    after = 0
    while True:
        rows = conn.execute(_LINKS_AFTER, (after, page)).fetchall()
        for position, digest in rows:
            yield int(position), bytes(digest)
        if len(rows) < page:
            return
        after = rows[-1][0]


def position_at(conn: psycopg.Connection[Any], when: datetime) -> int:
    """The log as of a time: its last position recorded by then (0: none yet)."""
    row = conn.execute(_POSITION_AT, (when,)).fetchone()
    return int(row[0]) if row else 0
