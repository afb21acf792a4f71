"""Checks shared by the domain tests: refused commands change nothing; events replay."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate

from roadmap_svc.domain.initiative import Initiative

E = TypeVar("E", bound=BaseException)
Event = CanMutateAggregate[UUID]


def refuse(aggregate: Aggregate, error: type[E], command: Callable[[], object]) -> E:
    """Run a command that must be refused; the aggregate must be exactly as before."""
    before = copy.deepcopy(aggregate)
    version = aggregate.version
    pending = len(aggregate.pending_events)
    with pytest.raises(error) as caught:
        command()
    assert aggregate.version == version
    assert len(aggregate.pending_events) == pending
    assert aggregate == before  # Aggregate equality compares every attribute
    return caught.value


def only_event(initiative: Initiative) -> Event:
    events = initiative.collect_events()
    assert len(events) == 1, events
    return events[0]


def replay(events: Sequence[Event]) -> Initiative:
    aggregate: Initiative | None = None
    for recorded in events:
        aggregate = recorded.mutate(aggregate)
    assert isinstance(aggregate, Initiative)
    return aggregate
