"""The unit of work every command runs in: load, check If-Match, decide, save atomically.

Within one process, commands on the same aggregate take turns (striped locks by id), so they
do not race at all. Across processes (several API workers) a save can still lose a race:
another writer stored the same aggregate version first. The command is then decided again on
fresh state after a short, jittered pause: an If-Match that no longer matches then answers
412, a rule the other writer's change broke answers its own error, and a command that still
holds (e.g. adding a second stakeholder) succeeds. Only a command that keeps losing for
ATTEMPTS tries answers 409 concurrent-write, having stored nothing.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper
from eventsourcing.utils import Environment, EnvType

from roadmap_svc.domain.errors import ConcurrentWriteError, NotFoundError, VersionMismatchError
from roadmap_svc.storage.transcoder import MsgspecMapper

A = TypeVar("A", bound=Aggregate)
ATTEMPTS = 8
FIRST_PAUSE_SECONDS = 0.002
MAX_PAUSE_SECONDS = 0.05
LOCK_STRIPES = 64


class CommandResult(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID  # the aggregate the command addressed
    version: int
    position: int  # global position of the command's last event (read-your-writes)


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    result: CommandResult
    event: Any  # the addressed aggregate's last new event: what the command recorded


class UnitOfWork(Application[UUID]):
    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        # Re-entrant: a command may hold its stripe and another's that hashes to the same one.
        self._stripes = [threading.RLock() for _ in range(LOCK_STRIPES)]

    def serialised(self, aggregate_id: UUID) -> threading.RLock:
        """The in-process lock of commands on this aggregate."""
        return self._stripes[aggregate_id.int % LOCK_STRIPES]

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only our settings configure the library; the base class would also merge os.environ,
        # where a stray POSTGRES_SCHEMA or SINGLE_ROW_TRACKING could change behaviour.
        return Environment(name, {**type(self).env, **(env or {})})

    def construct_mapper(self) -> Mapper[UUID]:
        return MsgspecMapper()

    def today(self) -> date:
        return self.clock().date()

    def load(self, kind: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        found = self.find(kind, aggregate_id, version)
        if found is None:
            label = kind.__name__.lower()
            raise NotFoundError(label if version is None else f"{label} version", aggregate_id)
        return found

    def find(self, kind: type[A], aggregate_id: UUID, version: int | None = None) -> A | None:
        try:
            aggregate: object = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, kind):
            return None
        if version is not None and aggregate.version != version:
            return None
        return aggregate

    def run(
        self,
        kind: type[A],
        aggregate_id: UUID,
        expected_version: int | None,
        action: Callable[[A], Sequence[Aggregate] | None],
    ) -> Outcome:
        """Apply `action` to the aggregate and save it with any others the action returns."""
        with self.serialised(aggregate_id):
            for attempt in range(ATTEMPTS):
                aggregate = self.load(kind, aggregate_id)
                if expected_version is not None and expected_version != aggregate.version:
                    raise VersionMismatchError(expected_version, aggregate.version)
                others = action(aggregate) or ()
                try:
                    return self.record(aggregate, *others)
                except ConcurrentWriteError:
                    _pause_or_give_up(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, make: Callable[[], Sequence[Aggregate]]) -> Outcome:
        """Save new aggregates (the first is the one addressed), retrying a lost race."""
        for attempt in range(ATTEMPTS):
            aggregates = make()
            try:
                return self.record(*aggregates)
            except ConcurrentWriteError:
                _pause_or_give_up(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def record(self, primary: Aggregate, *others: Aggregate) -> Outcome:
        # One save is one transaction: all of a command's events, or none of them.
        try:
            recordings = self.save(primary, *others)
        except IntegrityError:
            raise ConcurrentWriteError from None
        own = [r for r in recordings if r.domain_event.originator_id == primary.id]
        result = CommandResult(
            id=primary.id, version=primary.version, position=recordings[-1].notification.id
        )
        return Outcome(result=result, event=own[-1].domain_event if own else None)


def _pause_or_give_up(attempt: int) -> None:
    if attempt == ATTEMPTS - 1:
        raise ConcurrentWriteError
    # Jitter spreads the retries of writers that lost together, so they do not collide again.
    time.sleep(random.uniform(0, min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2**attempt)))  # noqa: S311
