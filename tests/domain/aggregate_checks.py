"""Checks shared by the domain tests: refused commands change nothing; events replay."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate

from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.initiative import Initiative

E = TypeVar("E", bound=BaseException)
Event = CanMutateAggregate[UUID]


def refuse(aggregate: Aggregate, error: type[E], command: Callable[[], object]) -> E:
    """Run a command that must be refused; the aggregate must be exactly as before.

    Equality covers every attribute, `last_occurred_at` (the order rule's state) included.
    """
    before = copy.deepcopy(aggregate)
    version = aggregate.version
    pending = len(aggregate.pending_events)
    with pytest.raises(error) as caught:
        command()
    assert aggregate.version == version
    assert len(aggregate.pending_events) == pending
    assert aggregate == before  # Aggregate equality compares every attribute
    return caught.value


def only_event(initiative: Initiative) -> RoadmapEvent:
    """The one event a command recorded: a RoadmapEvent, as every event of ours is."""
    events = initiative.collect_events()
    assert len(events) == 1, events
    (recorded,) = events
    assert isinstance(recorded, RoadmapEvent), recorded
    return recorded


def replay(events: Sequence[Event]) -> Initiative:
    aggregate: Initiative | None = None
    for recorded in events:
        aggregate = recorded.mutate(aggregate)
    assert isinstance(aggregate, Initiative)
    return aggregate
