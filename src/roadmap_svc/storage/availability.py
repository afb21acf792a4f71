"""Whether the event store's database answers, so that an outage fails requests at once.

Without it, every command of an outage waits for a pooled connection (the connect timeout)
and the library's retries on top: writes hung for 8 to 13 s while PostgreSQL was stopped.
After a connection failure the gate is shut: calls raise DatabaseUnavailableError at once,
while one thread probes with a fresh connection every PROBE_SECONDS and opens the gate (and
drops the pool's dead connections) as soon as the server answers again.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from functools import update_wrapper
from typing import Concatenate, ParamSpec, Protocol, TypeVar

import psycopg
import psycopg_pool
from eventsourcing import persistence
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import DictRow, dict_row

logger = logging.getLogger(__name__)
# psycopg_pool retries a failed connection after 1, 2, 4, 8 ... s: after a ten-second outage
# the pool stayed empty for up to 8 s after the server was back. Every second instead.
psycopg_pool.base.AttemptWithBackoff.DELAY_BACKOFF = 1.0
PROBE_SECONDS = 0.25
PROBE_CONNECT_TIMEOUT_SECONDS = 2
NO_FREE_CONNECTION = "no database connection was free in time"
# The library wraps psycopg's errors in its own; all of them mean "the connection failed".
CONNECTION_ERRORS = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
)


class DatabaseUnavailableError(Exception):
    """The database did not answer (down, restarting, or no connection free in time);
    nothing was done: retrying shortly is safe."""


class Availability:
    def __init__(self, probe: Callable[[], None], on_back: Callable[[], None]) -> None:
        self._probe = probe
        self._on_back = on_back
        self._lock = threading.Lock()
        self._reason: str | None = None  # set while the gate is shut
        self._probing = False
        self.outages = 0

    @property
    def is_up(self) -> bool:
        return self._reason is None

    def ensure(self) -> None:
        reason = self._reason
        if reason is not None:
            raise DatabaseUnavailableError(f"the database is unreachable ({reason})")

    def failed(self, exc: BaseException) -> None:
        """A connection to the database failed: shut the gate until a probe connects."""
        with self._lock:
            if self._reason is not None:
                return
            self._reason = describe(exc)
            self.outages += 1
            probing, self._probing = self._probing, True
        logger.warning("database unreachable, failing fast until it answers: %s", self._reason)
        if not probing:
            threading.Thread(target=self._probe_until_back, name="db-probe", daemon=True).start()

    def answered(self) -> None:
        """The database answered a query: open the gate (the probe will agree)."""
        with self._lock:
            self._reason = None

    def _probe_until_back(self) -> None:
        started = time.monotonic()
        while True:
            try:
                self._probe()
                self._on_back()
            except Exception:  # noqa: BLE001 - any failure means "not back yet"
                time.sleep(PROBE_SECONDS)
                continue
            with self._lock:
                was_down = self._reason is not None
                self._reason = None
                self._probing = False
            if was_down:
                logger.warning("database answers again after %.1f s", time.monotonic() - started)
            return


_by_datastore: weakref.WeakKeyDictionary[PostgresDatastore, Availability] = (
    weakref.WeakKeyDictionary()
)
_registry_lock = threading.Lock()


def availability_of(datastore: PostgresDatastore) -> Availability:
    """The one gate of a datastore (shared by its recorders and the group committer)."""
    with _registry_lock:
        gate = _by_datastore.get(datastore)
        if gate is None:

            def probe() -> None:
                with fresh_connection(datastore) as conn:
                    conn.execute("SELECT 1")

            # pool.check: drop the dead connections (after a restart, all of them)
            gate = Availability(probe, on_back=datastore.pool.check)
            _by_datastore[datastore] = gate
        return gate


def fresh_connection(datastore: PostgresDatastore) -> psycopg.Connection[DictRow]:
    """A connection of its own, not the pool's: when the server is down it fails at once,
    where the pool would wait its timeout for a connection."""
    pool = datastore.pool
    kwargs = pool.kwargs if isinstance(pool.kwargs, dict) else {}
    return psycopg.connect(
        str(pool.conninfo),
        **{**kwargs, "connect_timeout": PROBE_CONNECT_TIMEOUT_SECONDS, "row_factory": dict_row},
    )


def pool_exhausted(exc: BaseException) -> bool:
    """No pooled connection was free in time: the database is busy, not down."""
    return any(isinstance(e, psycopg_pool.PoolTimeout) for e in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def describe(exc: BaseException) -> str:
    """An error on one line (a log line during an outage, not a traceback a second)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


class _HasDatastore(Protocol):
    @property
    def datastore(self) -> PostgresDatastore: ...


S = TypeVar("S", bound=_HasDatastore)
P = ParamSpec("P")
R = TypeVar("R")


def guarded(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """A recorder's read, through its datastore's gate: refused at once while the database is
    known to be down; retried once (after dropping dead pooled connections, as all are after a
    server restart) when a connection fails; then the gate is shut and the call refused."""

    def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        gate = availability_of(self.datastore)
        gate.ensure()
        try:
            return method(self, *args, **kwargs)
        except CONNECTION_ERRORS as first:
            if pool_exhausted(first):
                raise DatabaseUnavailableError(NO_FREE_CONNECTION) from first
            self.datastore.pool.check()
        try:
            return method(self, *args, **kwargs)
        except CONNECTION_ERRORS as exc:
            if pool_exhausted(exc):
                raise DatabaseUnavailableError(NO_FREE_CONNECTION) from exc
            gate.failed(exc)
            reason = f"the database is unreachable ({describe(exc)})"
            raise DatabaseUnavailableError(reason) from exc

    update_wrapper(call, method)
    return call
