"""Typed snapshots: an aggregate's state, restored with the types its parts annotate.

JSON flattens dates, enums, UUID keys, tuples and structs; the mapper decodes each attribute
of a stored snapshot by the annotation its state class declares (every attribute must have
one: `take` refuses an unannotated one rather than restore it as something else).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self, get_type_hints

from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.utils import get_topic, resolve_topic

# Kept by the library's base class; restored from the snapshot's own id and version.
_IDENTITY = frozenset({"_id", "_version", "_pending_events"})
_BASE_TYPES: dict[str, Any] = {"_created_on": datetime, "_modified_on": datetime}


_TYPES: dict[type[Aggregate], dict[str, Any]] = {}


def state_types(aggregate_class: type[Aggregate]) -> dict[str, Any]:
    """Each state attribute's type, from the annotations of the aggregate's state classes."""
    known = _TYPES.get(aggregate_class)
    if known is not None:
        return known
    hints = {
        name: hint
        for name, hint in get_type_hints(aggregate_class).items()
        if not name.isupper()  # class constants such as INITIAL_VERSION
    }
    _TYPES[aggregate_class] = found = {**hints, **_BASE_TYPES}
    return found


class TypedSnapshot(Snapshot):
    @classmethod
    def take(cls, aggregate: Any) -> Self:  # noqa: ANN401 - the library's signature
        types = state_types(type(aggregate))
        state = {k: v for k, v in vars(aggregate).items() if k not in _IDENTITY}
        untyped = sorted(set(state) - set(types))
        if untyped:
            msg = f"{type(aggregate).__name__} has state without annotations: {untyped}"
            raise TypeError(msg)
        return cls(
            originator_id=aggregate.id,
            originator_version=aggregate.version,
            timestamp=cls.create_timestamp(),
            topic=get_topic(type(aggregate)),
            state=state,
        )

    def mutate(self, _: None) -> Aggregate:
        # The mapper decoded each attribute to its annotated type (storage/transcoder.py).
        aggregate_class: type[Aggregate] = resolve_topic(self.topic)
        state = dict(self.state)
        state.update(_id=self.originator_id, _version=self.originator_version, _pending_events=[])
        aggregate = object.__new__(aggregate_class)
        object.__setattr__(aggregate, "__dict__", state)
        return aggregate
