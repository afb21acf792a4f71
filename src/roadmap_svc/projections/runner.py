"""Supervised projection runners: follow the event log and apply it to a view in batches.

A runner reads the events after its view's tracked position, many at a time, and applies
each batch with its tracking in one transaction (the view's `apply_events`). It waits for
more on the event store's LISTEN/NOTIFY channel, and polls as well, so that a lost
notification or a dropped listening connection only delays it. A runner that fails is
started again after a growing back-off; `restarts` and `last_error` are there for /readyz.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.projection import Projection
from psycopg.conninfo import make_conninfo

from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections.initiative_summary_view import InitiativeSummaryView, Positioned
from roadmap_svc.projections.registry import PROJECTIONS, construct_view
from roadmap_svc.storage.eventstore import EVENTS_TABLE
from roadmap_svc.storage.transcoder import MsgspecMapper

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 10.0
BATCH = 500  # events per transaction, at most
POLL_SECONDS = 0.5  # the longest wait when no notification arrives
PACE_SECONDS = 0.002  # the shortest time between two batches
STOP_CHECK_SECONDS = 0.05  # how soon a waiting runner notices it is asked to stop


class SupervisedRunner:
    def __init__(
        self,
        projection_class: type[Projection[Any]],
        view_class: type[InitiativeSummaryView],
        env: dict[str, str],
    ) -> None:
        self.projection_class = projection_class
        self.view_class = view_class
        self.env = env
        self.restarts = 0
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._following = False
        self._progressed = False
        self._thread = threading.Thread(
            target=self._supervise, name=f"projection-{projection_class.name}", daemon=True
        )

    @property
    def name(self) -> str:
        return self.projection_class.name

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive() and self._following

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _supervise(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            self._progressed = False
            try:
                self._follow()
            except Exception as exc:
                if self._progressed:  # it got past something since the last failure
                    backoff = 0.1
                self.restarts += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                logger.exception("projection %s failed; restarting in %.1fs", self.name, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            finally:
                self._following = False

    def _wait(self, listener: psycopg.Connection[Any]) -> None:
        """Until a notification, POLL_SECONDS, or a stop; then take all queued notifications."""
        deadline = time.monotonic() + POLL_SECONDS
        while not self._stopping.is_set() and time.monotonic() < deadline:
            if any(True for _ in listener.notifies(timeout=STOP_CHECK_SECONDS, stop_after=1)):
                break
        for _ in listener.notifies(timeout=0):
            pass

    def _follow(self) -> None:
        view = construct_view(self.projection_class, self.view_class, self.env)
        try:
            with _listening(self.env) as listener:
                position = view.max_tracking_id(APPLICATION_NAME) or 0
                self._following = True
                mapper = MsgspecMapper()
                last = 0.0
                while not self._stopping.is_set():
                    # While events stream in, gather them for PACE_SECONDS: fewer, larger
                    # transactions (a write read at its position waits that much longer).
                    self._stopping.wait(max(0.0, last + PACE_SECONDS - time.monotonic()))
                    last = time.monotonic()
                    found = _events_after(view, position)
                    if not found:
                        self._wait(listener)
                        continue
                    batch: list[Positioned] = [(mapper.to_domain_event(e), p) for e, p in found]
                    view.apply_events(batch, Tracking(APPLICATION_NAME, found[-1][1]))
                    position = found[-1][1]
                    self._progressed = True
        finally:
            view.datastore.close()


class _listening:  # noqa: N801 - a context manager
    """A connection LISTENing on the event store's channel (NOTIFY at every commit)."""

    def __init__(self, env: dict[str, str]) -> None:
        self._conninfo = make_conninfo(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            connect_timeout=env.get("POSTGRES_CONNECT_TIMEOUT", "5"),
        )

    def __enter__(self) -> psycopg.Connection[Any]:
        self._conn = psycopg.connect(self._conninfo, autocommit=True)
        self._conn.execute(f"LISTEN {EVENTS_TABLE}")
        return self._conn

    def __exit__(self, *exc: object) -> None:
        self._conn.close()


_EVENTS_AFTER = f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"  # noqa: E501, S608 - constant


def _events_after(view: InitiativeSummaryView, position: int) -> list[tuple[StoredEvent, int]]:
    """The next events of the log (gap-free: commit order is position order)."""
    with view.datastore.get_connection() as conn, conn.cursor(binary=True) as curs:
        rows = curs.execute(_EVENTS_AFTER, (position, BATCH)).fetchall()
    return [
        (
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            ),
            row["notification_id"],
        )
        for row in rows
    ]


def start_runners(env: dict[str, str]) -> list[SupervisedRunner]:
    runners = [SupervisedRunner(p, v, env) for p, v in PROJECTIONS]
    for runner in runners:
        runner.start()
    return runners


def stop_runners(runners: list[SupervisedRunner]) -> None:
    for runner in runners:
        runner.stop()


def rebuild_all(env: dict[str, str]) -> None:
    """Reset every view with its tracking; runners started afterwards replay from the start.

    Run it while no runner is active (the service stopped), or the old runner keeps writing.
    """
    for projection_class, view_class in PROJECTIONS:
        view = construct_view(projection_class, view_class, env)
        try:
            view.reset(APPLICATION_NAME)
        finally:
            view.datastore.close()
