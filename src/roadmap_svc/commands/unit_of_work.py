"""The unit of work every command runs in: load, check If-Match, decide, store, answer.

A command is one round trip to the database in the common case: the aggregate comes from the
in-process cache (a changeable copy, no read), the command decides, and its events go to the
group committer, which stores the events of all commands waiting at that moment in one
transaction. The command answers what it changed, typed (`Written`), from the state it just
decided on: never a second read.

Within one process, commands on the same aggregate take turns (a lock per aggregate id). Across
processes (several API workers) a cached aggregate may be stale, and a save can lose a race:
the committer then refuses the command (its event's version exists, or an aggregate it only
read has changed since), and the command is decided again on fresh state after a short,
jittered pause. An If-Match that no longer matches then answers 412, a rule the other writer's
change broke answers its own error, and a command that still holds succeeds. Only a command
that keeps losing for ATTEMPTS tries answers 409 concurrent-write, having stored nothing.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import Environment, EnvType

from roadmap_svc.commands.cache import AggregateCache, changeable_copy
from roadmap_svc.domain.errors import (
    ConcurrentWriteError,
    InvalidValueError,
    NotFoundError,
    VersionMismatchError,
)
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.snapshots import TypedSnapshot
from roadmap_svc.storage.group_commit import CommitConflictError, GroupCommitter, Snapshot
from roadmap_svc.storage.transcoder import MsgspecMapper

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
ATTEMPTS = 8
FIRST_PAUSE_SECONDS = 0.002
MAX_PAUSE_SECONDS = 0.05
# Our settings in the library's environment (eventsourcing_env writes them).
CACHE_SIZE_SETTING = "ROADMAP_AGGREGATE_CACHE_SIZE"
SNAPSHOT_INTERVAL_SETTING = "ROADMAP_SNAPSHOT_INTERVAL"


@dataclass(frozen=True, slots=True)
class Written(Generic[T_co]):
    """What a command changed, as it now is, with where it was recorded."""

    value: T_co  # the initiative, the milestone, the assignment... after the command
    id: UUID  # the aggregate the command addressed
    version: int  # its version now: the ETag of the next If-Match
    position: int  # global position of the command's last event (read-your-writes)


class Work:
    """One attempt of a command: the aggregates it loaded (to change or only to read) and made.

    At commit, every aggregate with new events is stored; every one loaded and left unchanged
    is checked to still be at the version the command read (else the attempt is refused).
    """

    def __init__(self, store: UnitOfWork) -> None:
        self._store = store
        self._aggregates: dict[UUID, Aggregate] = {}
        self._read_versions: dict[UUID, int] = {}
        self._from_cache: set[UUID] = set()

    def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """A changeable copy of the aggregate, or None if there is none of that kind."""
        if aggregate_id in self._aggregates:
            known = self._aggregates[aggregate_id]
            return known if isinstance(known, kind) else None
        cached = self._store.cache.get(aggregate_id)
        if cached is not None:
            self._from_cache.add(aggregate_id)
            found: Aggregate | None = changeable_copy(cached)
        else:
            found = self._store.stored(aggregate_id)
            if found is not None:
                self._store.cache.put(found)  # as stored; the command changes a copy
                found = changeable_copy(found)
        if not isinstance(found, kind):
            return None
        self._aggregates[aggregate_id] = found
        self._read_versions[aggregate_id] = found.version
        return found

    def load(self, kind: type[A], aggregate_id: UUID) -> A:
        found = self.find(kind, aggregate_id)
        if found is None:
            raise NotFoundError(kind.__name__.lower(), aggregate_id)
        return found

    def add(self, aggregate: Aggregate) -> None:
        """A new aggregate, stored with the command."""
        self._aggregates[aggregate.id] = aggregate

    def was_cached(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self._from_cache

    def forget(self) -> None:
        """After a refused attempt: what this attempt read may be stale, in the cache too."""
        for aggregate_id in self._aggregates:
            self._store.cache.evict(aggregate_id)

    def commit(self) -> int:
        """Store every new event atomically; the position of the last one."""
        mapper = self._store.mapper
        interval = self._store.snapshot_interval
        stored: list[StoredEvent] = []
        reads: list[tuple[UUID, int]] = []
        snapshots: list[Snapshot] = []
        changed: list[Aggregate] = []
        for aggregate in self._aggregates.values():
            pending = aggregate.collect_events()
            if not pending:
                if aggregate.id in self._read_versions:
                    reads.append((aggregate.id, aggregate.version))
                continue
            changed.append(aggregate)
            stored += (mapper.to_stored_event(e) for e in pending)
            before = aggregate.version - len(pending)
            if interval and aggregate.version // interval > before // interval:
                snapshot = mapper.to_stored_event(TypedSnapshot.take(aggregate))
                snapshots.append(Snapshot(stored=snapshot, after=stored[-1].state))
        positions = self._store.committer.commit(stored, reads, snapshots)
        for aggregate in changed:
            self._store.cache.put(aggregate)
        return max(positions)


class UnitOfWork(Application[UUID]):
    is_snapshotting_enabled = True  # the snapshot store exists; Work decides when to take one

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.cache = AggregateCache(int(self.env.get(CACHE_SIZE_SETTING) or 0))
        self.snapshot_interval = int(self.env.get(SNAPSHOT_INTERVAL_SETTING) or 0)
        recorder = self.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)  # noqa: S101 - ours is Postgres
        self.committer = GroupCommitter(
            recorder.datastore,
            recorder.events_table_name,
            None if self.snapshots is None else f"{self.name.lower()}_snapshots",
        )
        self._locks: dict[UUID, tuple[threading.RLock, int]] = {}
        self._locks_lock = threading.Lock()

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only our settings configure the library; the base class would also merge os.environ,
        # where a stray POSTGRES_SCHEMA or SINGLE_ROW_TRACKING could change behaviour.
        return Environment(name, {**type(self).env, "IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})

    def construct_mapper(self) -> Mapper[UUID]:
        return MsgspecMapper()

    def close(self) -> None:
        self.committer.close()
        super().close()

    # ---- time --------------------------------------------------------------------------

    def occurred_day(self, meta: EventMeta) -> date:
        """The day a command happened: its occurred_at (imports), else today."""
        if meta.occurred_at is None:
            return self.clock().date()
        return meta.occurred_at.date()

    def _check_occurred(self, meta: EventMeta) -> None:
        if meta.occurred_at is None:
            return
        if meta.occurred_at.tzinfo is None:
            raise InvalidValueError("occurred_at", "must name its UTC offset (RFC 3339)")
        if meta.occurred_at > self.clock():
            raise InvalidValueError("occurred_at", "must not be in the future")

    # ---- reads -------------------------------------------------------------------------

    def stored(self, aggregate_id: UUID, version: int | None = None) -> Aggregate | None:
        """The aggregate rebuilt from the store (latest snapshot, then newer events)."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None
        if version is not None and aggregate.version != version:
            return None
        return aggregate

    def read(self, kind: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """The aggregate now (or at `version`), to read only: never change what this returns."""
        found = (
            self._current(aggregate_id) if version is None else self.stored(aggregate_id, version)
        )
        if not isinstance(found, kind):
            label = kind.__name__.lower()
            raise NotFoundError(label if version is None else f"{label} version", aggregate_id)
        return found

    def _current(self, aggregate_id: UUID) -> Aggregate | None:
        cached = self.cache.get(aggregate_id)
        if cached is None:
            found = self.stored(aggregate_id)
            if found is not None:
                self.cache.put(found)
            return found
        # Another process may have written since: bring the cached one up to date.
        newer = list(self.events.get(originator_id=aggregate_id, gt=cached.version))
        if not newer:
            return cached
        fresh = changeable_copy(cached)
        for domain_event in newer:
            domain_event.mutate(fresh)  # type: ignore[attr-defined]
        self.cache.put(fresh)
        return fresh

    # ---- commands ----------------------------------------------------------------------

    def run(
        self,
        kind: type[A],
        aggregate_id: UUID,
        expected_version: int | None,
        meta: EventMeta,
        decide: Callable[[A, Work], T],
    ) -> Written[T]:
        """Decide on the aggregate and store what it (and any other it touched) recorded."""
        self._check_occurred(meta)
        with self.serialised(aggregate_id):
            for attempt in range(ATTEMPTS):
                work = Work(self)
                aggregate = work.load(kind, aggregate_id)
                if expected_version is not None and expected_version != aggregate.version:
                    if work.was_cached(aggregate_id):  # perhaps stale: compare with the store
                        work.forget()
                        work = Work(self)
                        aggregate = work.load(kind, aggregate_id)
                    if expected_version != aggregate.version:
                        raise VersionMismatchError(expected_version, aggregate.version)
                value = decide(aggregate, work)
                try:
                    position = work.commit()
                except CommitConflictError:
                    work.forget()
                    _pause_or_give_up(attempt)
                    continue
                return Written(value, aggregate.id, aggregate.version, position)
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, meta: EventMeta, make: Callable[[Work], A]) -> Written[A]:
        """Store a new aggregate (and any other `make` touched), retrying a lost race."""
        self._check_occurred(meta)
        for attempt in range(ATTEMPTS):
            work = Work(self)
            aggregate = make(work)
            work.add(aggregate)
            try:
                position = work.commit()
            except CommitConflictError:
                work.forget()
                _pause_or_give_up(attempt)
                continue
            return Written(aggregate, aggregate.id, aggregate.version, position)
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def serialised(self, aggregate_id: UUID) -> Iterator[None]:
        """Commands on one aggregate take turns in this process (re-entrant)."""
        with self._locks_lock:
            lock, users = self._locks.get(aggregate_id, (threading.RLock(), 0))
            self._locks[aggregate_id] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._locks_lock:
                lock, users = self._locks[aggregate_id]
                if users == 1:
                    del self._locks[aggregate_id]
                else:
                    self._locks[aggregate_id] = (lock, users - 1)


def _pause_or_give_up(attempt: int) -> None:
    if attempt == ATTEMPTS - 1:
        raise ConcurrentWriteError
    # Jitter spreads the retries of writers that lost together, so they do not collide again.
    time.sleep(random.uniform(0, min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2**attempt)))  # noqa: S311
