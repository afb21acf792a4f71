"""Event payloads encoded with msgspec; decoded back to the types the event classes declare."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any, get_type_hints
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

# Values JSON gives back as they were: no conversion needed on decode.
_NATIVE: frozenset[Any] = frozenset({str, int, bool, float, str | None, int | None})
_SET_BY_MAPPER = frozenset({"originator_id", "originator_version"})


class MsgspecTranscoder(Transcoder):
    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder()

    def encode(self, obj: Any) -> bytes:  # noqa: ANN401 - the library's interface
        return self._encoder.encode(obj)

    def decode(self, data: bytes) -> Any:  # noqa: ANN401 - the library's interface
        return self._decoder.decode(data)


class MsgspecMapper(Mapper[UUID]):
    """Restores dates, enums, tuples and structs that JSON flattened, from the event's types."""

    def __init__(self) -> None:
        super().__init__(transcoder=MsgspecTranscoder())

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        state = domain_event.__dict__
        for name, annotation in typed_fields(type(domain_event)):
            if name in state:
                state[name] = msgspec.convert(state[name], annotation)
        return domain_event


@cache
def typed_fields(event_class: type[object]) -> tuple[tuple[str, Any], ...]:
    if not dataclasses.is_dataclass(event_class):
        return ()
    hints = get_type_hints(event_class)
    return tuple(
        (field.name, hints[field.name])
        for field in dataclasses.fields(event_class)
        if field.name not in _SET_BY_MAPPER and hints[field.name] not in _NATIVE
    )
