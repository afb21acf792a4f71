"""The audit chain's and checkpoints' tables (migration 0008): what the committer appends,
and what verify and export read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from roadmap_svc.audit.chain import GENESIS, canonical_event, link
from roadmap_svc.storage.eventstore import EVENTS_TABLE

# Read under the event store's write lock: the previous link is the newest one.
HEAD = "SELECT position, hash FROM audit_chain ORDER BY position DESC LIMIT 1"
INSERT_LINKS = (
    "INSERT INTO audit_chain (position, hash)"
    " SELECT * FROM unnest(%(positions)s::bigint[], %(hashes)s::bytea[])"
)


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


def backfill(conn: psycopg.Connection[Any], page: int = 5000) -> int:
    """Chain the events recorded before the chain existed: once, in the migration run that
    creates it (never later, or it would chain events inserted after the fact). Under the
    write lock, so no command commits meanwhile. Returns how many were chained."""
    chained = 0
    with conn.transaction():
        conn.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
        head = conn.execute(HEAD).fetchone()
        previous, after = (GENESIS, 0) if head is None else (bytes(head[1]), int(head[0]))
        while True:
            with conn.cursor(binary=True) as curs:
                rows = curs.execute(
                    "SELECT notification_id, originator_id, originator_version, topic, state"  # noqa: S608
                    f" FROM {EVENTS_TABLE} WHERE notification_id > %s"
                    " ORDER BY notification_id LIMIT %s",
                    (after, page),
                ).fetchall()
            if not rows:
                return chained
            params = links(
                previous,
                [(r[0], canonical_event(r[1], r[2], r[3], bytes(r[4]))) for r in rows],
            )
            conn.execute(INSERT_LINKS, params)
            previous = params["hashes"][-1]
            after = rows[-1][0]
            chained += len(rows)
