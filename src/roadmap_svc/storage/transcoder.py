"""Event payloads encoded with msgspec, and decoded in one pass to the types each event class
declares (dates, enums, UUIDs, tuples, structs), without an intermediate dict of builtins.

A snapshot's state is typed by the aggregate class it names: its attributes decode to the
types the aggregate's state classes annotate (domain/snapshots.py).
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any, TypedDict, get_type_hints
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder
from eventsourcing.utils import resolve_topic

from roadmap_svc.domain.snapshots import TypedSnapshot, state_types

_SET_BY_MAPPER = frozenset({"originator_id", "originator_version"})


class CorruptEventError(MapperDeserialisationError):
    """A stored event that no longer decodes: the log was edited or damaged. Retrying cannot
    help; `roadmap-svc audit verify` names what changed."""

    def __init__(self, stored_event: StoredEvent, cause: Exception) -> None:
        self.aggregate_id = str(stored_event.originator_id)
        self.version = stored_event.originator_version
        self.topic = stored_event.topic
        self.position: int | None = getattr(stored_event, "position", None)
        at = "" if self.position is None else f" at position {self.position}"
        super().__init__(
            f"the stored {self.topic} of {self.aggregate_id} version {self.version}{at} "
            f"cannot be decoded: {cause}"
        )


class MsgspecTranscoder(Transcoder):
    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder()

    def encode(self, obj: Any) -> bytes:  # noqa: ANN401 - the library's interface
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> Any:  # noqa: ANN401 - the library's interface
        return self._decoder.decode(data)


class MsgspecMapper(Mapper[UUID]):
    def __init__(self) -> None:
        super().__init__(transcoder=MsgspecTranscoder())

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event_class = resolve_topic(stored_event.topic)
        try:
            state: dict[str, Any] = event_decoder(event_class).decode(stored_event.state)
            if issubclass(event_class, TypedSnapshot):
                aggregate_class = resolve_topic(state["topic"])
                state["state"] = snapshot_state_decoder(aggregate_class).decode(state["state"])
        except (msgspec.DecodeError, ValueError) as exc:
            raise CorruptEventError(stored_event, exc) from exc
        originator_id = stored_event.originator_id
        state["originator_id"] = (
            originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        )
        state["originator_version"] = stored_event.originator_version
        domain_event = object.__new__(event_class)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event  # type: ignore[no-any-return]


@cache
def event_decoder(event_class: type[object]) -> msgspec.json.Decoder[dict[str, Any]]:
    """Decodes an event's stored fields straight to the types its class declares."""
    hints = get_type_hints(event_class)
    fields: dict[str, Any] = {
        field.name: hints[field.name]
        for field in dataclasses.fields(event_class)  # type: ignore[arg-type]
        if field.name not in _SET_BY_MAPPER
    }
    if issubclass(event_class, TypedSnapshot):
        fields["state"] = msgspec.Raw  # typed by the aggregate class it names, next
    shape = TypedDict(f"{event_class.__name__}Stored", fields, total=False)  # type: ignore[misc]
    return msgspec.json.Decoder(shape)


@cache
def snapshot_state_decoder(aggregate_class: type[Any]) -> msgspec.json.Decoder[dict[str, Any]]:
    shape = TypedDict(  # type: ignore[misc]
        f"{aggregate_class.__name__}State", state_types(aggregate_class), total=False
    )
    return msgspec.json.Decoder(shape)
