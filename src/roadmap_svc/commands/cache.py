"""Aggregates kept in memory between commands, and the cheap copies commands change.

The cache holds aggregates as they were committed and never changes them: a command works
on a copy, and its aggregate replaces the cached one only once its events are stored. A copy
copies each container attribute (dict, list, set) one level deep; that is enough because
everything inside them is immutable (frozen structs, tuples, frozen sets: the parts' rule),
so a copy costs the size of the containers, not of the whole state (no deepcopy).

A cached aggregate may be stale when another process wrote since: a command decided on it is
then refused at commit (its event's version exists) and decided again on fresh state, and
reads fast-forward it with the newer events first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate)
_CONTAINERS = (dict, list, set)


def changeable_copy(aggregate: A) -> A:
    state = {
        name: value.copy() if isinstance(value, _CONTAINERS) else value
        for name, value in vars(aggregate).items()
    }
    state["_pending_events"] = []
    copy = object.__new__(type(aggregate))
    object.__setattr__(copy, "__dict__", state)
    return copy


class AggregateCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        """The committed aggregate, to read (never to change: take a changeable_copy)."""
        with self._lock:
            found = self._items.get(aggregate_id)
            if found is not None:
                self._items.move_to_end(aggregate_id)
            return found

    def put(self, aggregate: Aggregate) -> None:
        if self.size <= 0:
            return
        with self._lock:
            cached = self._items.get(aggregate.id)
            if cached is not None and cached.version > aggregate.version:
                return  # a newer one is cached already
            self._items[aggregate.id] = aggregate
            self._items.move_to_end(aggregate.id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def evict(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._items.pop(aggregate_id, None)
