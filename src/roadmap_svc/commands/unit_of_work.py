"""The unit of work every command runs in: load, check If-Match, decide, store, answer.

A command is one round trip to the database in the common case: the aggregate comes from the
in-process cache (a changeable copy, no read), the command decides, and its events go to the
group committer, which stores the events of all commands waiting at that moment in one
transaction. The command answers what it changed, typed (`Written`), from the state it just
decided on: never a second read.

A command method is written once, as a plan (`@command`: what to load, how to decide), and
runs two ways: called, in the caller's thread (scripts, tests); or `await`ed through
`.asynchronously(...)` on the event loop (the API), where it decides in memory and waits for
its commit without holding a thread; an aggregate the cache lacks is loaded in a worker thread
and the decision made again (deciding has no effect outside the attempt's copies).

Within one process, commands on the same aggregate take turns (a lock per aggregate id). Across
processes (several API workers) a cached aggregate may be stale, and a save can lose a race:
the committer then refuses the command (its event's version exists, or an aggregate it only
read has changed since), and the command is decided again on fresh state after a short,
jittered pause. An If-Match that no longer matches then answers 412, a rule the other writer's
change broke answers its own error, and a command that still holds succeeds. Only a command
that keeps losing for ATTEMPTS tries answers 409 concurrent-write, having stored nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ApplicationRecorder, EventStore, Mapper, StoredEvent
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Connection
from psycopg.rows import DictRow

from roadmap_svc.commands.cache import AggregateCache, changeable_copy
from roadmap_svc.domain.errors import (
    ConcurrentWriteError,
    InvalidValueError,
    NotFoundError,
    VersionMismatchError,
)
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.snapshots import TypedSnapshot
from roadmap_svc.storage import audit_chain
from roadmap_svc.storage.eventstore import EVENTS_TABLE, SNAPSHOTS_TABLE
from roadmap_svc.storage.group_commit import CommitConflictError, GroupCommitter, Snapshot
from roadmap_svc.storage.idempotency import Claim, IdempotencyKey, StoredAnswer
from roadmap_svc.storage.recorders import EventRecorder, SnapshotRecorder
from roadmap_svc.storage.transcoder import MsgspecMapper

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
P = ParamSpec("P")
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


@dataclass(frozen=True, slots=True)
class Change(Generic[A, T_co]):
    """A command on an existing aggregate: load it (kind, id), check If-Match, decide."""

    kind: type[A]
    aggregate_id: UUID
    expected_version: int | None
    meta: EventMeta
    decide: Callable[[A, Work], T_co]
    after_turn_of: tuple[UUID, ...] = ()  # ids whose in-process turn to take first


@dataclass(frozen=True, slots=True)
class Creation(Generic[T_co]):
    """A command that makes a new aggregate (and may touch others through the Work)."""

    meta: EventMeta
    make: Callable[[Work], T_co]  # the new aggregate


Plan = Change[Any, T] | Creation[T]


@dataclass(frozen=True, slots=True)
class Idempotent(Generic[T]):
    """A command under an idempotency key: the key, and how its answer is made from what it
    wrote, so that the answer is stored in the transaction that stores its events."""

    key: IdempotencyKey
    render: Callable[[Written[T]], StoredAnswer]

    def claim(self, value: T, aggregate: Aggregate) -> Claim:
        def answer(position: int) -> StoredAnswer:
            return self.render(Written(value, aggregate.id, aggregate.version, position))

        return Claim(self.key, answer)


@dataclass(frozen=True, slots=True)
class AsOf:
    position: int  # the log's last position recorded by then (0: none)
    version: int | None  # the aggregate's version in that prefix (None: not yet)
    first: datetime | None  # when the log's first event was recorded


class NotInMemoryError(Exception):
    """Deciding on the event loop needs an aggregate that is not in memory: load it first."""

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(f"{aggregate_id} is not in memory")
        self.aggregate_id = aggregate_id


class StaleIfMatchError(Exception):
    """If-Match differs from a cached version that may be stale: compare with the store."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """An attempt's changes, mapped for the committer."""

    stored: list[StoredEvent]
    reads: list[tuple[UUID, int]]
    snapshots: list[Snapshot]
    changed: list[Aggregate]


class Work:
    """One attempt of a command: the aggregates it loaded (to change or only to read) and made.

    At commit, every aggregate with new events is stored; every one loaded and left unchanged
    is checked to still be at the version the command read (else the attempt is refused).
    `loaded` holds aggregates read from the store for this command (None: there is none);
    with `in_memory`, an aggregate found neither there nor in the cache is not read from the
    store here but reported (NotInMemoryError), so that the caller loads it off the loop.
    """

    def __init__(
        self,
        store: UnitOfWork,
        *,
        in_memory: bool = False,
        loaded: dict[UUID, Aggregate | None] | None = None,
    ) -> None:
        self._store = store
        self._in_memory = in_memory
        self._loaded = {} if loaded is None else loaded
        self._aggregates: dict[UUID, Aggregate] = {}
        self._read_versions: dict[UUID, int] = {}
        self._from_cache: set[UUID] = set()

    def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """A changeable copy of the aggregate, or None if there is none of that kind."""
        if aggregate_id in self._aggregates:
            known = self._aggregates[aggregate_id]
            return known if isinstance(known, kind) else None
        found: Aggregate | None
        if aggregate_id in self._loaded:
            found = self._loaded[aggregate_id]
        elif (cached := self._store.cache.get(aggregate_id)) is not None:
            self._from_cache.add(aggregate_id)
            found = cached
        elif self._in_memory:
            raise NotInMemoryError(aggregate_id)
        else:
            found = self._loaded[aggregate_id] = self._store.load_stored(aggregate_id)
        if not isinstance(found, kind):
            return None
        copy = changeable_copy(found)  # the cached or loaded one stays as committed
        self._aggregates[aggregate_id] = copy
        self._read_versions[aggregate_id] = copy.version
        return copy

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
        self._loaded.clear()

    def prepare(self) -> Prepared:
        """Collect and map every new event, the versions read, and snapshots due."""
        mapper = self._store.mapper
        interval = self._store.snapshot_interval
        prepared = Prepared(stored=[], reads=[], snapshots=[], changed=[])
        for aggregate in self._aggregates.values():
            pending = aggregate.collect_events()
            if not pending:
                if aggregate.id in self._read_versions:
                    prepared.reads.append((aggregate.id, aggregate.version))
                continue
            prepared.changed.append(aggregate)
            prepared.stored.extend(mapper.to_stored_event(e) for e in pending)
            before = aggregate.version - len(pending)
            if interval and aggregate.version // interval > before // interval:
                snapshot = mapper.to_stored_event(TypedSnapshot.take(aggregate))
                after = prepared.stored[-1].state
                prepared.snapshots.append(Snapshot(stored=snapshot, after=after))
        return prepared

    def committed(self, prepared: Prepared, positions: list[int]) -> int:
        for aggregate in prepared.changed:
            self._store.cache.put(aggregate)
        return max(positions)

    def commit(self) -> int:
        """Store every new event atomically; the position of the last one."""
        prepared = self.prepare()
        positions = self._store.committer.commit(
            prepared.stored, prepared.reads, prepared.snapshots
        )
        return self.committed(prepared, positions)


class UnitOfWork(Application[UUID]):
    is_snapshotting_enabled = True  # the snapshot store exists; Work decides when to take one

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.cache = AggregateCache(int(self.env.get(CACHE_SIZE_SETTING) or 0))
        self.snapshot_interval = int(self.env.get(SNAPSHOT_INTERVAL_SETTING) or 0)
        self.committer = GroupCommitter(
            self._datastore(), EVENTS_TABLE, None if self.snapshots is None else SNAPSHOTS_TABLE
        )
        self._locks: dict[UUID, tuple[threading.RLock, int]] = {}
        self._locks_lock = threading.Lock()
        self._async_locks: dict[UUID, tuple[asyncio.Lock, int]] = {}  # of the loop's tasks

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only our settings configure the library; the base class would also merge os.environ,
        # where a stray POSTGRES_SCHEMA or SINGLE_ROW_TRACKING could change behaviour.
        return Environment(name, {**type(self).env, "IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})

    def construct_mapper(self) -> Mapper[UUID]:
        return MsgspecMapper()

    def construct_recorder(self) -> ApplicationRecorder:
        return EventRecorder(datastore=self._datastore(), events_table_name=EVENTS_TABLE)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        recorder = SnapshotRecorder(datastore=self._datastore(), events_table_name=SNAPSHOTS_TABLE)
        return self.factory.event_store(mapper=self.mapper, recorder=recorder)

    def _datastore(self) -> PostgresDatastore:
        factory = self.factory
        assert isinstance(factory, PostgresFactory)  # noqa: S101 - PERSISTENCE_MODULE is ours
        return factory.datastore

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

    def as_of(self, aggregate_id: UUID, when: datetime) -> AsOf:
        """Where the log stood at `when` (its last position recorded by then) and the
        aggregate's version in it (None: it did not exist yet)."""
        with self._datastore().get_connection() as conn, conn.cursor() as curs:
            row = curs.execute(audit_chain.SYNC_AS_OF, (when, aggregate_id)).fetchone()
        assert row is not None  # noqa: S101 - an aggregate query always answers a row
        return AsOf(position=int(row["position"]), version=row["version"], first=row["first"])

    def connection(self) -> AbstractContextManager[Connection[DictRow]]:
        """A connection of the event store's pool, for reads that fold events in this
        process (as-of views); give it back soon."""
        return self._datastore().get_connection()

    def stored(self, aggregate_id: UUID, version: int | None = None) -> Aggregate | None:
        """The aggregate rebuilt from the store (latest snapshot, then newer events)."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None
        if version is not None and aggregate.version != version:
            return None
        return aggregate

    def load_stored(self, aggregate_id: UUID) -> Aggregate | None:
        """As stored now, and kept in the cache (never change what this returns)."""
        found = self.stored(aggregate_id)
        if found is not None:
            self.cache.put(found)
        return found

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
            return self.load_stored(aggregate_id)
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

    def execute(self, plan: Plan[T], idempotent: Idempotent[T] | None = None) -> Written[T]:
        """Run a command in this thread (loading what the cache lacks from the store)."""
        self._check_occurred(plan.meta)
        if isinstance(plan, Creation):
            return self._retrying(lambda _: self._attempt_creation(plan, Work(self)), idempotent)
        with self._turns(*plan.after_turn_of, plan.aggregate_id):
            return self._retrying(
                lambda refreshed: self._attempt(plan, Work(self), refreshed), idempotent
            )

    def _retrying(
        self,
        attempt: Callable[[bool], tuple[Work, Aggregate, T, Prepared]],
        idempotent: Idempotent[T] | None,
    ) -> Written[T]:
        refreshed = False
        tries = 0
        while True:
            try:
                work, aggregate, value, prepared = attempt(refreshed)
            except StaleIfMatchError:
                refreshed = True  # the attempt forgot what it read: the next loads it afresh
                continue
            claim = None if idempotent is None else idempotent.claim(value, aggregate)
            try:
                positions = self.committer.commit(
                    prepared.stored, prepared.reads, prepared.snapshots, claim
                )
            except CommitConflictError:
                work.forget()
                tries += 1
                time.sleep(_pause_or_give_up(tries))
                continue
            position = work.committed(prepared, positions)
            return Written(value, aggregate.id, aggregate.version, position)

    async def execute_async(
        self, plan: Plan[T], idempotent: Idempotent[T] | None = None
    ) -> Written[T]:
        """Run a command on the event loop: decide in memory, await the commit."""
        self._check_occurred(plan.meta)
        if self.cache.size <= 0:  # nothing is ever in memory: decide in a thread instead
            return await asyncio.to_thread(self.execute, plan, idempotent)
        if isinstance(plan, Creation):
            return await self._retrying_async(plan, None, idempotent)
        async with self._turns_async(*plan.after_turn_of, plan.aggregate_id):
            return await self._retrying_async(plan, plan, idempotent)

    async def _retrying_async(
        self, plan: Plan[T], change: Change[Any, T] | None, idempotent: Idempotent[T] | None
    ) -> Written[T]:
        loaded: dict[UUID, Aggregate | None] = {}
        refreshed = False
        tries = 0
        while True:
            work = Work(self, in_memory=True, loaded=loaded)
            try:
                if change is None:
                    assert isinstance(plan, Creation)  # noqa: S101 - by the caller
                    work, aggregate, value, prepared = self._attempt_creation(plan, work)
                else:
                    work, aggregate, value, prepared = self._attempt(change, work, refreshed)
            except NotInMemoryError as missing:
                loaded[missing.aggregate_id] = await asyncio.to_thread(
                    self.load_stored, missing.aggregate_id
                )
                continue
            except StaleIfMatchError:
                refreshed = True
                continue
            claim = None if idempotent is None else idempotent.claim(value, aggregate)
            try:
                positions = await asyncio.wrap_future(
                    self.committer.submit(
                        prepared.stored, prepared.reads, prepared.snapshots, claim
                    )
                )
            except CommitConflictError:
                work.forget()
                tries += 1
                await asyncio.sleep(_pause_or_give_up(tries))
                continue
            position = work.committed(prepared, positions)
            return Written(value, aggregate.id, aggregate.version, position)

    def _attempt(
        self, plan: Change[A, T], work: Work, refreshed: bool
    ) -> tuple[Work, Aggregate, T, Prepared]:
        aggregate = work.load(plan.kind, plan.aggregate_id)
        expected = plan.expected_version
        if expected is not None and expected != aggregate.version:
            if work.was_cached(plan.aggregate_id) and not refreshed:
                work.forget()  # perhaps stale: compare with the store before refusing
                raise StaleIfMatchError
            raise VersionMismatchError(expected, aggregate.version)
        value = plan.decide(aggregate, work)
        return work, aggregate, value, work.prepare()

    def _attempt_creation(
        self, plan: Creation[T], work: Work
    ) -> tuple[Work, Aggregate, T, Prepared]:
        made = plan.make(work)
        if not isinstance(made, Aggregate):  # pragma: no cover - every plan makes one
            raise TypeError(f"a creation made {made!r}, not an aggregate")
        work.add(made)
        return work, made, made, work.prepare()

    def run(
        self,
        kind: type[A],
        aggregate_id: UUID,
        expected_version: int | None,
        meta: EventMeta,
        decide: Callable[[A, Work], T],
    ) -> Written[T]:
        """Decide on the aggregate and store what it (and any other it touched) recorded."""
        return self.execute(Change(kind, aggregate_id, expected_version, meta, decide))

    def create(self, meta: EventMeta, make: Callable[[Work], A]) -> Written[A]:
        """Store a new aggregate (and any other `make` touched), retrying a lost race."""
        return self.execute(Creation(meta, make))

    # ---- turns -------------------------------------------------------------------------

    @contextmanager
    def _turns(self, *aggregate_ids: UUID) -> Iterator[None]:
        """Commands on one aggregate take turns in this process (threads)."""
        with contextlib.ExitStack() as stack:
            for aggregate_id in aggregate_ids:
                stack.enter_context(self.serialised(aggregate_id))
            yield

    @asynccontextmanager
    async def _turns_async(self, *aggregate_ids: UUID) -> AsyncIterator[None]:
        """Commands on one aggregate take turns on the event loop."""
        locks = [self._async_lock(aggregate_id) for aggregate_id in aggregate_ids]
        taken: list[asyncio.Lock] = []
        try:
            for lock in locks:
                await lock.acquire()
                taken.append(lock)
            yield
        finally:
            for lock in reversed(taken):
                lock.release()
            for aggregate_id in aggregate_ids:
                self._async_lock_done(aggregate_id)

    def _async_lock(self, aggregate_id: UUID) -> asyncio.Lock:
        lock, users = self._async_locks.get(aggregate_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._async_locks[aggregate_id] = (lock, users + 1)
        return lock

    def _async_lock_done(self, aggregate_id: UUID) -> None:
        lock, users = self._async_locks[aggregate_id]
        if users == 1:
            del self._async_locks[aggregate_id]
        else:
            self._async_locks[aggregate_id] = (lock, users - 1)

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


class command(Generic[P, T]):  # noqa: N801 - a decorator, like property
    """A command method written once as a plan, run in a thread or awaited on the loop.

    @command
    def revise_initiative(self, ...) -> Plan[Initiative]: ...

    app.revise_initiative(...)                      # Written[Initiative], this thread
    await app.revise_initiative.asynchronously(...)  # the same, on the event loop
    """

    def __init__(self, plan: Callable[Concatenate[Any, P], Plan[T]]) -> None:
        self._plan = plan
        self.__doc__ = plan.__doc__
        self.__name__ = plan.__name__

    @overload
    def __get__(self, app: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, app: UnitOfWork, owner: type[Any]) -> BoundCommand[P, T]: ...

    def __get__(self, app: UnitOfWork | None, owner: type[Any]) -> Self | BoundCommand[P, T]:
        return self if app is None else BoundCommand(app, self._plan)


class BoundCommand(Generic[P, T]):
    __slots__ = ("_app", "_plan")

    def __init__(self, app: UnitOfWork, plan: Callable[Concatenate[Any, P], Plan[T]]) -> None:
        self._app = app
        self._plan = plan

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Written[T]:
        return self._app.execute(self._plan(self._app, *args, **kwargs))

    async def asynchronously(self, *args: P.args, **kwargs: P.kwargs) -> Written[T]:
        return await self._app.execute_async(self._plan(self._app, *args, **kwargs))

    async def idempotently(
        self, idempotent: Idempotent[T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Written[T]:
        """As `asynchronously`, storing the answer under the key with the events (or raising
        IdempotencyKeyUsedError, having stored nothing, if the key was taken)."""
        return await self._app.execute_async(self._plan(self._app, *args, **kwargs), idempotent)

    def plan(self, *args: P.args, **kwargs: P.kwargs) -> Plan[T]:
        return self._plan(self._app, *args, **kwargs)

    @property
    def name(self) -> str:
        """The command's name (its method's), as metrics count it."""
        return self._plan.__name__


def _pause_or_give_up(lost: int) -> float:
    """How long to pause after the `lost`-th lost race, or give up (nothing was stored)."""
    if lost >= ATTEMPTS:
        raise ConcurrentWriteError
    # Jitter spreads the retries of writers that lost together, so they do not collide again.
    return random.uniform(0, min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** (lost - 1)))  # noqa: S311
