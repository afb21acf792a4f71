"""The global log, tailed the way the projection runner tails it, while writers commit
together, some slowly and some rolling back: every committed event is seen exactly once and in
order; rolled-back positions leave gaps that never stall the reader.

Quick tier: 1,000 events; `./dev test-extended`: 50,000 (LOG_EVENTS overrides).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from roadmap_svc.application import RoadmapApplication
from roadmap_svc.projections.initiative_summary import VIEW
from roadmap_svc.projections.registry import construct_view
from roadmap_svc.projections.runner import _events_after
from roadmap_svc.projections.view_store import ViewRecorder
from roadmap_svc.storage.database import DatabaseTarget
from roadmap_svc.storage.eventstore import EVENTS_TABLE, eventsourcing_env
from tests.application_helpers import propose

EXTENDED = os.environ.get("HYPOTHESIS_PROFILE") == "extended"
EVENTS = int(os.environ.get("LOG_EVENTS", "50000" if EXTENDED else "1000"))
WRITERS = 3


@pytest.fixture
def view(migrated_database: DatabaseTarget) -> Iterator[ViewRecorder]:
    found = construct_view(VIEW, eventsourcing_env(migrated_database, pool_size=2))
    try:
        yield found
    finally:
        found.datastore.close()


class Reader(threading.Thread):
    """Follows the log as the runner does: the events after the last position it saw."""

    def __init__(self, view: ViewRecorder) -> None:
        super().__init__(daemon=True)
        self.view = view
        self.seen: list[int] = []
        self.done = threading.Event()

    def run(self) -> None:
        position = 0
        while True:
            found = _events_after(self.view, position)
            self.seen.extend(p for _, p in found)
            if found:
                position = found[-1][1]
            elif self.done.is_set():
                return
            else:
                time.sleep(0.001)


def _insert(conn: psycopg.Connection[Any], like: tuple[str, bytes]) -> None:
    conn.execute(
        f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)"  # noqa: S608
        " VALUES (%s, 1, %s, %s)",
        (uuid4(), *like),
    )


def _committed(target: DatabaseTarget) -> list[int]:
    with psycopg.connect(target.dsn) as conn:
        rows = conn.execute(
            f"SELECT notification_id FROM {EVENTS_TABLE} ORDER BY notification_id"  # noqa: S608
        ).fetchall()
    return [row[0] for row in rows]


def _a_stored_event(app: RoadmapApplication, target: DatabaseTarget) -> tuple[str, bytes]:
    _propose(app)
    with psycopg.connect(target.dsn) as conn:
        row = conn.execute(f"SELECT topic, state FROM {EVENTS_TABLE} LIMIT 1").fetchone()  # noqa: S608
    assert row is not None
    return row[0], bytes(row[1])


def _propose(app: RoadmapApplication) -> None:
    propose(app, "log")


def test_every_committed_event_is_seen_once_and_in_order(
    app: RoadmapApplication, view: ViewRecorder, migrated_database: DatabaseTarget
) -> None:
    like = _a_stored_event(app, migrated_database)
    reader = Reader(view)
    reader.start()
    stop = threading.Event()
    rolled_back = 0

    def commands() -> None:  # the service's own path: group commit
        while not stop.is_set():
            _propose(app)

    def slow() -> None:  # takes the store's lock like every writer, then dawdles
        with psycopg.connect(migrated_database.dsn) as conn:
            while not stop.is_set():
                with conn.transaction():
                    conn.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
                    _insert(conn, like)
                    time.sleep(0.003)  # holding the lock: every writer waits for it
                time.sleep(0.02)

    def rolling_back() -> None:  # burns positions that are never committed
        nonlocal rolled_back
        with psycopg.connect(migrated_database.dsn) as conn:
            while not stop.is_set():
                conn.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
                _insert(conn, like)
                conn.rollback()
                rolled_back += 1
                time.sleep(0.02)

    threads = [threading.Thread(target=commands) for _ in range(WRITERS)]
    threads += [threading.Thread(target=slow), threading.Thread(target=rolling_back)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 600
    while len(reader.seen) < EVENTS:
        assert time.monotonic() < deadline, f"only {len(reader.seen)} events in 10 minutes"
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(30)
    reader.done.set()
    reader.join(30)

    committed = _committed(migrated_database)
    assert rolled_back > 0
    assert committed[-1] > len(committed)  # the rolled-back positions are gaps
    assert reader.seen == committed  # every committed one, once, in order


def test_the_reader_harness_sees_a_missed_event(
    view: ViewRecorder, app: RoadmapApplication, migrated_database: DatabaseTarget
) -> None:
    """Negative control: two writers that skip the store's lock commit out of position order;
    the same reader then misses the earlier one, and the same comparison says so."""
    like = _a_stored_event(app, migrated_database)
    reader = Reader(view)
    with (
        psycopg.connect(migrated_database.dsn) as early,
        psycopg.connect(migrated_database.dsn) as late,
    ):
        _insert(early, like)  # takes the lower position...
        _insert(late, like)
        late.commit()  # ...but the higher one commits first
        reader.start()
        deadline = time.monotonic() + 10
        while len(reader.seen) < 2:  # the first event and the late one
            assert time.monotonic() < deadline
            time.sleep(0.01)
        early.commit()
    time.sleep(0.05)
    reader.done.set()
    reader.join(10)
    assert reader.seen != _committed(migrated_database)
    assert len(reader.seen) == len(_committed(migrated_database)) - 1
