"""Group commit: the events of commands that arrive together are stored in one transaction.

One committer thread per process takes every command waiting for storage and writes them all
with one table lock, one INSERT and one commit. The lock is the library's (EXCLUSIVE on the
events table, so commit order is position order and readers never pass a gap); under it, one
statement refuses the commands that lost a race and inserts the rest, so a conflict of one
command never fails the others in its batch:

- a command whose event (aggregate, version) exists already lost to another writer;
- a command that read an aggregate at a version that is no longer the latest decided on
  stale state (e.g. a dependency on a milestone that was dropped meanwhile);
- within a batch, a later command that writes an aggregate version an earlier one writes, or
  reads an aggregate an earlier one writes, is refused before the statement runs.

Refused commands insert nothing and use no position, so positions stay gap-free. When the
connection breaks mid-batch, whether the commit happened is read back from the table (the
events' bytes are unique), so an acknowledged command is never lost and never stored twice.

A command may carry an idempotency key (storage/idempotency.py): under the same lock, one whose
key is taken is refused (IdempotencyKeyUsedError), and the others' keys are stored with their
answers in the same transaction as their events.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from uuid import UUID

import psycopg
from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from roadmap_svc.audit import chain
from roadmap_svc.audit.chain import GENESIS
from roadmap_svc.metrics import GROUP_COMMIT_BATCH, GROUP_COMMIT_SECONDS
from roadmap_svc.storage import audit_chain, idempotency
from roadmap_svc.storage.availability import (
    CONNECTION_ERRORS,
    availability_of,
    fresh_connection,
    pool_exhausted,
)
from roadmap_svc.storage.idempotency import Claim, IdempotencyKeyUsedError

logger = logging.getLogger(__name__)
MAX_BATCH = 512  # commands per transaction; more wait for the next one
LOCK_TIMEOUT_SECONDS = 5

_INSERT = """
WITH batch AS (
    SELECT * FROM unnest(
        %(commands)s::int[], %(ids)s::uuid[], %(versions)s::bigint[],
        %(topics)s::text[], %(states)s::bytea[]
    ) WITH ORDINALITY AS b(command, originator_id, originator_version, topic, state, ord)
), reads AS (
    SELECT * FROM unnest(
        %(read_commands)s::int[], %(read_ids)s::uuid[], %(read_versions)s::bigint[]
    ) AS r(command, originator_id, originator_version)
), refused AS (
    SELECT b.command FROM batch b WHERE EXISTS (
        SELECT 1 FROM {events} e
        WHERE e.originator_id = b.originator_id AND e.originator_version = b.originator_version)
    UNION
    SELECT r.command FROM reads r WHERE EXISTS (
        SELECT 1 FROM {events} e
        WHERE e.originator_id = r.originator_id AND e.originator_version > r.originator_version)
)
INSERT INTO {events} (originator_id, originator_version, topic, state)
SELECT originator_id, originator_version, topic, state FROM batch
WHERE command NOT IN (SELECT command FROM refused)
ORDER BY ord
RETURNING originator_id, originator_version, notification_id
"""
# A snapshot is stored only if the event it was taken after is the one this batch stored.
_INSERT_SNAPSHOTS = """
INSERT INTO {snapshots} (originator_id, originator_version, topic, state)
SELECT s.originator_id, s.originator_version, s.topic, s.state
FROM unnest(%(ids)s::uuid[], %(versions)s::bigint[], %(topics)s::text[], %(states)s::bytea[],
            %(after)s::bytea[]) AS s(originator_id, originator_version, topic, state, after)
WHERE EXISTS (
    SELECT 1 FROM {events} e
    WHERE e.originator_id = s.originator_id AND e.originator_version = s.originator_version
      AND e.state = s.after)
ON CONFLICT DO NOTHING
"""
_FIND_STORED = """
SELECT originator_id, originator_version, state, notification_id FROM {events}
WHERE (originator_id, originator_version) IN (
    SELECT * FROM unnest(%(ids)s::uuid[], %(versions)s::bigint[]))
"""


_EVENT_PARAMS = ("commands", "ids", "versions", "topics", "states")
_PARAMS = (*_EVENT_PARAMS, "read_commands", "read_ids", "read_versions")


class CommitConflictError(Exception):
    """Another writer stored a version this command wrote or read; nothing of it was stored."""


class CommitFailedError(Exception):
    """The database could not store the batch (unreachable, lock timeout); nothing was stored."""


class CommitOutcomeUnknownError(Exception):
    """The connection was lost during the commit and the database did not answer after: the
    batch may or may not be stored. Retrying with the same Idempotency-Key is safe."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    stored: StoredEvent  # the snapshot, as the snapshot store keeps it
    after: bytes  # the state bytes of the event it was taken after


@dataclass(slots=True)
class _Command:
    events: Sequence[StoredEvent]
    reads: Sequence[tuple[UUID, int]]
    snapshots: Sequence[Snapshot]
    claim: Claim | None = None
    future: Future[list[int]] = field(default_factory=Future)
    # each event's canonical bytes for the audit chain, made before the write lock is taken
    canonicals: list[bytes] = field(default_factory=list)

    @property
    def keys(self) -> set[tuple[UUID, int]]:
        return {(_uuid(e.originator_id), e.originator_version) for e in self.events}


class GroupCommitter:
    def __init__(
        self, datastore: PostgresDatastore, events_table: str, snapshots_table: str | None
    ) -> None:
        self._datastore = datastore
        self._gate = availability_of(datastore)
        events = sql.Identifier(events_table)
        # Rendered once: psycopg caches the conversion of plain strings, not of sql.Composed.
        self._insert = _render(sql.SQL(_INSERT).format(events=events))
        self._find = _render(sql.SQL(_FIND_STORED).format(events=events))
        # The library's write lock (commit order is position order) and its wake-up call.
        self._begin = (
            _render(
                sql.SQL("SET LOCAL lock_timeout = '{}s'").format(sql.SQL(str(LOCK_TIMEOUT_SECONDS)))
            ),
            _render(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events)),
            _render(sql.SQL("NOTIFY {}").format(sql.Identifier(events_table.replace(".", "_")))),
        )
        self._snapshots = (
            None
            if snapshots_table is None
            else _render(
                sql.SQL(_INSERT_SNAPSHOTS).format(
                    snapshots=sql.Identifier(snapshots_table), events=events
                )
            )
        )
        self._queue: queue.SimpleQueue[_Command | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._started = threading.Lock()
        self._closed = False
        self.batches = 0  # how many transactions; commands / batches is the mean batch size
        self.commands = 0

    def commit(
        self,
        events: Sequence[StoredEvent],
        reads: Sequence[tuple[UUID, int]] = (),
        snapshots: Sequence[Snapshot] = (),
        claim: Claim | None = None,
    ) -> list[int]:
        """Store one command's events atomically; their positions, in order."""
        return self.submit(events, reads, snapshots, claim).result()

    def submit(
        self,
        events: Sequence[StoredEvent],
        reads: Sequence[tuple[UUID, int]] = (),
        snapshots: Sequence[Snapshot] = (),
        claim: Claim | None = None,
    ) -> Future[list[int]]:
        """As commit, without waiting: the future positions (or the refusal)."""
        if not events:
            raise ValueError("a command stores at least one event")
        self._start()
        canonicals = [
            chain.canonical_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in events
        ]
        command = _Command(events, reads, snapshots, claim, canonicals=canonicals)
        self._queue.put(command)
        return command.future

    def close(self) -> None:
        with self._started:
            self._closed = True
            if self._thread.is_alive():
                self._queue.put(None)
                self._thread.join()

    def _start(self) -> None:
        with self._started:
            if self._closed:
                raise CommitFailedError("the application is closed")
            if not self._thread.is_alive():
                self._thread.start()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._store(batch)

    def _store(self, batch: list[_Command]) -> None:
        try:
            admitted = _admit(batch)
            if not admitted:
                return
            if not self._gate.is_up:  # known down: refuse now, not after the connect timeout
                _fail(admitted, CommitFailedError("the database is unreachable"))
                return
            self.batches += 1
            self.commands += len(admitted)
            GROUP_COMMIT_BATCH.observe(len(admitted))
            stored: dict[tuple[UUID, int], int] | None
            try:
                with GROUP_COMMIT_SECONDS.time():
                    stored = self._insert_batch(admitted)
            except CONNECTION_ERRORS as exc:
                if _lock_timeout(exc):  # nothing was stored: say so, without a long retry
                    _fail(admitted, CommitFailedError("the event store is busy (lock timeout)"))
                    return
                if pool_exhausted(exc):  # no connection, so nothing was sent
                    _fail(admitted, CommitFailedError("no database connection was free in time"))
                    return
                self._gate.failed(exc)
                # The commit may or may not have happened: read back what was stored, on a
                # connection that works (one found dead suggests the others are too).
                logger.warning("group commit of %d commands interrupted: %s", len(admitted), exc)
                self._datastore.pool.check()
                stored = self._read_back(admitted, exc)
            if stored is not None:
                _settle(admitted, stored)
        except Exception as exc:
            logger.exception("group commit failed")
            _fail(batch, exc)

    def _insert_batch(self, batch: list[_Command]) -> dict[tuple[UUID, int], int]:
        claims = [command.claim for command in batch if command.claim is not None]
        with (
            self._datastore.get_connection() as conn,
            conn.pipeline(),
            conn.cursor() as cur,
            conn.cursor() as chain_head,
            conn.transaction(),
        ):
            for statement in self._begin:
                cur.execute(statement)
            # Under the lock, pipelined: read with the insert's answer, no round trip of its own.
            chain_head.execute(audit_chain.HEAD)
            taken: set[tuple[str, str]] = set()
            if claims:
                cur.execute(idempotency.TAKEN, idempotency.taken_params(claims))
                taken = {(row["scope"], row["key"]) for row in cur.fetchall()}
            keyed = [c for c in batch if c.claim is None or _key(c.claim) not in taken]
            stored: dict[tuple[UUID, int], int] = {}
            if keyed:
                cur.execute(self._insert, _params(keyed))
                stored = {
                    (row["originator_id"], row["originator_version"]): row["notification_id"]
                    for row in cur.fetchall()
                }
            head = chain_head.fetchone()
            if stored:
                cur.execute(
                    audit_chain.INSERT_LINKS,
                    audit_chain.links(
                        GENESIS if head is None else bytes(head["hash"]),
                        [
                            (stored[key], canonical)
                            for command in keyed
                            for key, canonical in zip(
                                _event_keys(command), command.canonicals, strict=True
                            )
                            if key in stored
                        ],
                    ),
                )
            snapshots = [s for command in keyed for s in command.snapshots]
            if snapshots and self._snapshots is not None:
                cur.execute(self._snapshots, _snapshot_params(snapshots))
            positioned = [
                (command.claim, max(positions))
                for command in keyed
                if command.claim is not None and (positions := _positions(command, stored))
            ]
            if positioned:
                cur.execute(idempotency.CLAIM, idempotency.claim_params(positioned))
        inserted = {id(command) for command in keyed}
        for command in batch:
            if id(command) not in inserted:
                command.future.set_exception(IdempotencyKeyUsedError())
        return stored

    def _read_back(
        self, batch: list[_Command], cause: Exception
    ) -> dict[tuple[UUID, int], int] | None:
        """Which of the batch's events the lost transaction stored, by their exact bytes."""
        events = [e for command in batch for e in command.events]
        try:
            # Its own connection: the pool's would wait its timeout if the server is away.
            with fresh_connection(self._datastore) as conn, conn.cursor() as cur:
                cur.execute(
                    self._find,
                    {
                        "ids": [_uuid(e.originator_id) for e in events],
                        "versions": [e.originator_version for e in events],
                    },
                )
                rows = cur.fetchall()
        except (psycopg.Error, persistence.PersistenceError) as exc:
            _fail(
                batch,
                CommitOutcomeUnknownError(
                    f"the connection was lost while committing ({cause}) and the database "
                    f"did not answer after ({exc})"
                ),
            )
            return None
        self._gate.answered()  # it answered: the connection was lost, not the server
        ours = {(_uuid(e.originator_id), e.originator_version): e.state for e in events}
        return {
            (row["originator_id"], row["originator_version"]): row["notification_id"]
            for row in rows
            if bytes(row["state"]) == ours[(row["originator_id"], row["originator_version"])]
        }


def _admit(batch: list[_Command]) -> list[_Command]:
    """Refuse, before the statement, commands that conflict with an earlier one in the batch."""
    admitted: list[_Command] = []
    written: set[tuple[UUID, int]] = set()
    written_ids: set[UUID] = set()
    claimed: set[tuple[str, str]] = set()
    for command in batch:
        if command.claim is not None:
            if _key(command.claim) in claimed:
                command.future.set_exception(IdempotencyKeyUsedError())
                continue
            claimed.add(_key(command.claim))
        keys = command.keys
        if keys & written or any(read_id in written_ids for read_id, _ in command.reads):
            command.future.set_exception(CommitConflictError())
            continue
        written |= keys
        written_ids |= {key[0] for key in keys}
        admitted.append(command)
    return admitted


def _params(batch: list[_Command]) -> dict[str, list[object]]:
    params: dict[str, list[object]] = {name: [] for name in _PARAMS}
    for index, command in enumerate(batch):
        for e in command.events:
            params["commands"].append(index)
            params["ids"].append(e.originator_id)
            params["versions"].append(e.originator_version)
            params["topics"].append(e.topic)
            params["states"].append(e.state)
        for read_id, read_version in command.reads:
            params["read_commands"].append(index)
            params["read_ids"].append(read_id)
            params["read_versions"].append(read_version)
    return params


def _snapshot_params(snapshots: list[Snapshot]) -> dict[str, list[object]]:
    return {
        "ids": [s.stored.originator_id for s in snapshots],
        "versions": [s.stored.originator_version for s in snapshots],
        "topics": [s.stored.topic for s in snapshots],
        "states": [s.stored.state for s in snapshots],
        "after": [s.after for s in snapshots],
    }


def _settle(batch: list[_Command], stored: dict[tuple[UUID, int], int]) -> None:
    for command in batch:
        if command.future.done():  # refused already (its key was taken)
            continue
        positions = _positions(command, stored)
        if positions:
            command.future.set_result(positions)
        else:
            command.future.set_exception(CommitConflictError())


def _event_keys(command: _Command) -> list[tuple[UUID, int]]:
    return [(_uuid(e.originator_id), e.originator_version) for e in command.events]


def _positions(command: _Command, stored: dict[tuple[UUID, int], int]) -> list[int]:
    """The positions of the command's events, in order; empty unless all were stored."""
    positions = [stored.get((_uuid(e.originator_id), e.originator_version)) for e in command.events]
    return [p for p in positions if p is not None] if None not in positions else []


def _key(claim: Claim) -> tuple[str, str]:
    return claim.key.scope, claim.key.key


def _fail(batch: list[_Command], error: Exception) -> None:
    for command in batch:
        if not command.future.done():
            command.future.set_exception(error)


def _render(query: sql.Composed) -> str:
    return query.as_string()  # our constants and identifiers only


def _lock_timeout(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.errors.LockNotAvailable) or isinstance(
        exc.__cause__, psycopg.errors.LockNotAvailable
    )


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)
