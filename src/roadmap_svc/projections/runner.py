"""Supervised projection runners: follow the event log and apply it to a view in batches.

A runner reads the events after its view's tracked position, many at a time, and applies
each batch with its tracking in one transaction (the view's `apply_events`). It waits for
more on the event store's LISTEN/NOTIFY channel, and polls as well, so that a lost
notification or a dropped listening connection only delays it. A runner that fails is
started again after a growing back-off; `restarts` and `last_error` are there for /readyz.

Any number of processes may run the runners (`serve`, `worker`): one runner per view is
active, the one holding the view's PostgreSQL advisory lock, taken on its listening
connection. The others stand by and try again every LOCK_RETRY_SECONDS; when the holder dies,
PostgreSQL ends its session and frees the lock, and one of them takes over.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent, Tracking
from psycopg.conninfo import make_conninfo

from roadmap_svc.application import APPLICATION_NAME
from roadmap_svc.projections import failures
from roadmap_svc.projections.failures import PoisonEventError
from roadmap_svc.projections.kit import View
from roadmap_svc.projections.registry import VIEWS, construct_view
from roadmap_svc.projections.shared_log import LogEntry, SharedLog
from roadmap_svc.projections.view_store import Positioned, ViewRecorder, ViewReplacedError
from roadmap_svc.storage.event_log import events_after
from roadmap_svc.storage.eventstore import EVENTS_TABLE
from roadmap_svc.storage.transcoder import MsgspecMapper

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 10.0
BATCH = 2000  # events per transaction, at most
POLL_SECONDS = 0.5  # the longest wait when no notification arrives
PACE_SECONDS = 0.002  # the shortest time between two batches
STOP_CHECK_SECONDS = 0.05  # how soon a waiting runner notices it is asked to stop
FIRST_POISON_BACKOFF_SECONDS = 1.0  # then 2, 4, ... up to:
MAX_POISON_BACKOFF_SECONDS = 300.0
RETRY_CHECK_SECONDS = 1.0  # how soon a runner waiting at a poison event sees `retry`
LOCK_RETRY_SECONDS = 1.0  # how often a standing-by runner tries to become the active one
RUNNER_APPLICATION_NAME = "roadmap-svc runner"
LOCK_NAMESPACE = 0x524D4150  # "RMAP": the first key of our advisory locks (views: the second)
# Not the event's fault: the connection or the server. Retried without naming an event.
TRANSIENT_ERRORS = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
    OSError,
)


class SupervisedRunner:
    def __init__(self, view: View, env: dict[str, str], log: SharedLog | None = None) -> None:
        self.view = view
        self.env = env
        self._log = log or SharedLog()
        self.restarts = 0
        self.last_error: str | None = None
        self.failure: failures.PoisonEvent | None = None  # the event the view waits at
        self._conninfo = conninfo(env)
        self._stopping = threading.Event()
        self._following = False
        self._progressed = False
        self.standing_by = False  # another process's runner holds the view's lock
        self._thread = threading.Thread(
            target=self._supervise, name=f"projection-{view.name}", daemon=True
        )

    @property
    def name(self) -> str:
        return self.view.name

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
            except ViewReplacedError:
                logger.info(
                    "projection %s: a rebuild swapped its tables in; following them", self.name
                )
            except PoisonEventError as exc:
                self._following = False  # waiting at the event, not following the log
                self._log.forget(exc.position)
                self.last_error = f"{exc}: {_cause(exc)}"
                self._wait_at_poison(exc)
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

    def _wait_at_poison(self, exc: PoisonEventError) -> None:
        """Record the event the view cannot apply, say so once, and wait for the next try:
        after a back-off that doubles up to MAX_POISON_BACKOFF_SECONDS, or at once when an
        operator clears the failure (`roadmap-svc projections retry`)."""
        now = datetime.now(UTC)
        previous = self.failure if self.failure and self.failure.position == exc.position else None
        attempts = 1 if previous is None else previous.attempts + 1
        backoff = min(
            FIRST_POISON_BACKOFF_SECONDS * 2 ** (attempts - 1), MAX_POISON_BACKOFF_SECONDS
        )
        self.failure = failures.PoisonEvent(
            view=self.name,
            position=exc.position,
            topic=exc.topic,
            originator_id=exc.originator_id,
            originator_version=exc.originator_version,
            error=_cause(exc),
            attempts=attempts,
            first_failed_at=now if previous is None else previous.first_failed_at,
            last_failed_at=now,
            next_attempt_at=now + timedelta(seconds=backoff),
        )
        if previous is None:
            logger.error(
                "projection %s cannot apply the event at position %d (%s %s v%d); it waits "
                "there and retries, next in %.0fs",
                self.name,
                exc.position,
                exc.topic,
                exc.originator_id,
                exc.originator_version,
                backoff,
                exc_info=exc.__cause__,
            )
        else:
            logger.warning(
                "projection %s still cannot apply the event at position %d (attempt %d: %s); "
                "next try in %.0fs",
                self.name,
                exc.position,
                attempts,
                _cause(exc),
                backoff,
            )
        try:
            with psycopg.connect(self._conninfo, autocommit=True) as conn:
                failures.record(conn, self.failure)
                deadline = time.monotonic() + backoff
                while not self._stopping.wait(min(RETRY_CHECK_SECONDS, backoff)):
                    if time.monotonic() >= deadline or not failures.is_recorded(conn, self.name):
                        return
        except psycopg.Error:
            logger.warning("projection %s: could not record its failure", self.name, exc_info=True)
            self._stopping.wait(backoff)

    def _got_past_failure(self, position: int) -> None:
        if self.failure is None or position < self.failure.position:
            return
        logger.info(
            "projection %s applied the event at position %d it had failed on",
            self.name,
            self.failure.position,
        )
        self.failure = None
        self.last_error = None
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            failures.clear(conn, self.name)

    def _become_active(self, listener: psycopg.Connection[Any]) -> bool:
        """Take the view's advisory lock on the listening connection (held as long as it is
        open), waiting while another runner holds it; False if asked to stop first."""
        while not self._stopping.is_set():
            row = listener.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LOCK_NAMESPACE, self.name)
            ).fetchone()
            if row is not None and row[0]:
                if self.standing_by:
                    logger.info("projection %s: taking over as the active runner", self.name)
                self.standing_by = False
                return True
            if not self.standing_by:
                logger.info("projection %s: another process runs it; standing by", self.name)
            self.standing_by = True
            self._stopping.wait(LOCK_RETRY_SECONDS)
        return False

    def _wait(self, listener: psycopg.Connection[Any]) -> None:
        """Until a notification, POLL_SECONDS, or a stop; then take all queued notifications."""
        deadline = time.monotonic() + POLL_SECONDS
        while not self._stopping.is_set() and time.monotonic() < deadline:
            if any(True for _ in listener.notifies(timeout=STOP_CHECK_SECONDS, stop_after=1)):
                break
        for _ in listener.notifies(timeout=0):
            pass

    def _follow(self) -> None:
        view = construct_view(self.view, self.env)
        try:
            with _listening(self.env, self.name) as listener:
                if not self._become_active(listener):
                    return  # asked to stop while standing by
                position = view.start_following(APPLICATION_NAME)
                self._following = True
                mapper = MsgspecMapper()
                last = 0.0
                while not self._stopping.is_set():
                    # While events stream in, gather them for PACE_SECONDS: fewer, larger
                    # transactions (a write read at its position waits that much longer).
                    self._stopping.wait(max(0.0, last + PACE_SECONDS - time.monotonic()))
                    last = time.monotonic()
                    found = self._log.after(position, BATCH, partial(_events_after, view))
                    if not found:
                        self._wait(listener)
                        continue
                    position = _apply(view, mapper, found)
                    self._progressed = True
                    self._got_past_failure(position)
        finally:
            view.datastore.close()


def conninfo(env: dict[str, str]) -> str:
    """A psycopg connection string for the library's POSTGRES_* environment."""
    return make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        connect_timeout=env.get("POSTGRES_CONNECT_TIMEOUT", "5"),
    )


class _listening:  # noqa: N801 - a context manager
    """A connection LISTENing on the event store's channel (NOTIFY at every commit). It holds
    the view's lock; its application_name says whose it is (pg_stat_activity, pg_locks)."""

    def __init__(self, env: dict[str, str], view: str) -> None:
        self._conninfo = conninfo(env)
        self._name = f"{RUNNER_APPLICATION_NAME} {view} pid {os.getpid()}"

    def __enter__(self) -> psycopg.Connection[Any]:
        self._conn = psycopg.connect(self._conninfo, autocommit=True, application_name=self._name)
        self._conn.execute(f"LISTEN {EVENTS_TABLE}")
        return self._conn

    def __exit__(self, *exc: object) -> None:
        self._conn.close()


def _apply(view: ViewRecorder, mapper: MsgspecMapper, found: list[LogEntry]) -> int:
    """Apply a batch in one transaction; if it fails other than by a lost connection, apply
    its events one by one, so every event before a poison one is kept and the poison one is
    named (PoisonEventError). Returns the position reached."""
    try:
        batch: list[Positioned] = [(e.event(mapper), e.position) for e in found]
        view.apply_events(batch, Tracking(APPLICATION_NAME, found[-1].position))
    except (*TRANSIENT_ERRORS, ViewReplacedError):
        raise
    except Exception:  # noqa: BLE001 - which event, and why, is found below
        for entry in found:
            stored, position = entry.stored, entry.position
            try:
                event = entry.event(mapper)
                view.apply_events([(event, position)], Tracking(APPLICATION_NAME, position))
            except (*TRANSIENT_ERRORS, ViewReplacedError):
                raise
            except Exception as exc:
                raise PoisonEventError(
                    position,
                    stored.topic,
                    UUID(str(stored.originator_id)),
                    stored.originator_version,
                ) from exc
    return found[-1].position


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return f"{type(cause).__name__}: {cause}"


def _events_after(view: ViewRecorder, position: int) -> list[tuple[StoredEvent, int]]:
    # the runner's own connection, so a view's reads never wait for another's
    with view.datastore.get_connection() as conn:
        return events_after(conn, position, BATCH)


def start_runners(env: dict[str, str]) -> list[SupervisedRunner]:
    log = SharedLog()  # the views read and decode each event once between them
    runners = [SupervisedRunner(view, env, log) for view in VIEWS]
    for runner in runners:
        runner.start()
    return runners


def stop_runners(runners: list[SupervisedRunner]) -> None:
    for runner in runners:
        runner.stop()
