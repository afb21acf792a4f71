"""The Team aggregate: a name, capacity in FTE per quarter, and a WIP limit."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from roadmap_svc.domain.assignments import MAX_CAPACITY_FTE, fte_value
from roadmap_svc.domain.errors import InvalidValueError, NothingToChangeError
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.text import required_text

MAX_WIP_LIMIT = 1000


def wip_limit_value(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_WIP_LIMIT:
        raise InvalidValueError("wip_limit", f"must be 1..{MAX_WIP_LIMIT}, or null for none")
    return value


class Team(Aggregate):
    class Registered(Aggregate.Created):
        name: str
        wip_limit: int | None
        meta: EventMeta

    class Renamed(Aggregate.Event):
        old_name: str
        new_name: str
        meta: EventMeta

    class CapacitySet(Aggregate.Event):
        quarter: str
        fte: float
        meta: EventMeta

    class WipLimitSet(Aggregate.Event):
        wip_limit: int | None
        meta: EventMeta

    @classmethod
    def register(cls, *, name: str, wip_limit: int | None, meta: EventMeta) -> Team:
        return cls(
            name=required_text("name", name), wip_limit=wip_limit_value(wip_limit), meta=meta
        )

    @event(Registered)
    def __init__(self, *, name: str, wip_limit: int | None, meta: EventMeta) -> None:
        del meta
        self.name = name
        self.wip_limit = wip_limit
        self.capacity: dict[str, float] = {}

    def rename(self, new_name: str, meta: EventMeta) -> None:
        clean = required_text("name", new_name)
        if clean == self.name:
            raise NothingToChangeError
        self._rename(old_name=self.name, new_name=clean, meta=meta)

    @event(Renamed)
    def _rename(self, *, old_name: str, new_name: str, meta: EventMeta) -> None:
        del old_name, meta
        self.name = new_name

    def set_capacity(self, quarter: str, fte: float, meta: EventMeta) -> None:
        key = str(Quarter.parse(quarter))
        value = fte_value("fte", fte, maximum=MAX_CAPACITY_FTE, allow_zero=True)
        if self.capacity.get(key) == value:
            raise NothingToChangeError
        self._set_capacity(quarter=key, fte=value, meta=meta)

    @event(CapacitySet)
    def _set_capacity(self, *, quarter: str, fte: float, meta: EventMeta) -> None:
        del meta
        self.capacity[quarter] = fte

    def set_wip_limit(self, wip_limit: int | None, meta: EventMeta) -> None:
        value = wip_limit_value(wip_limit)
        if value == self.wip_limit:
            raise NothingToChangeError
        self._set_wip_limit(wip_limit=value, meta=meta)

    @event(WipLimitSet)
    def _set_wip_limit(self, *, wip_limit: int | None, meta: EventMeta) -> None:
        del meta
        self.wip_limit = wip_limit
