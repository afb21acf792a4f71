"""The one event mechanism of every aggregate here: an event carries its metadata, knows its
stable type name, and evolves its aggregate itself (`evolve`), on record and on replay.

Rules live in the aggregates' (or their parts') public methods; `evolve` only changes state,
so replaying an old event never re-checks a rule that has changed since.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate

from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.meta import EventMeta

E = TypeVar("E", bound="RoadmapEvent")


class RoadmapEvent(Aggregate.Event):
    meta: EventMeta

    @property
    def occurred_at(self) -> datetime:
        """When it happened: what counts days. `timestamp` is when it was recorded."""
        return self.meta.occurred_at or self.timestamp

    @property
    def type_name(self) -> str:
        """The stable name clients and auditors see (history, feed)."""
        return type(self).__name__

    def apply(self, aggregate: Any) -> None:  # noqa: ANN401 - the library's signature
        self.evolve(aggregate)
        aggregate.last_occurred_at = self.occurred_at

    def evolve(self, aggregate: Any) -> None:  # noqa: ANN401 - each event names its part
        raise NotImplementedError


class RoadmapCreated(RoadmapEvent, Aggregate.Created):
    """The first event of an aggregate."""


class RecordsEvents:
    """What our aggregates share: recording an event in order of occurrence."""

    last_occurred_at: datetime  # occurred time of the latest event

    if TYPE_CHECKING:

        @property
        def pending_events(self) -> list[CanMutateAggregate[UUID]]: ...

        def trigger_event(
            self,
            event_class: type[CanMutateAggregate[UUID]],
            **kwargs: Any,  # noqa: ANN401 - the library's signature
        ) -> None: ...

    def _record(self, event_class: type[E], meta: EventMeta, **fields: object) -> E:
        """Record an event of `event_class` (which evolves this aggregate) and return it."""
        # Imported history must arrive in the order it happened.
        if meta.occurred_at is not None and meta.occurred_at < self.last_occurred_at:
            raise InvalidValueError(
                "occurred_at",
                f"must not be before this object's previous event ({self.last_occurred_at})",
            )
        self.trigger_event(event_class, meta=meta, **fields)
        return cast("E", self.pending_events[-1])
