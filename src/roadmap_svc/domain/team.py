"""The Team aggregate: a name, capacity in FTE per quarter, and a WIP limit."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from roadmap_svc.domain.assignments import MAX_CAPACITY_FTE, fte_value
from roadmap_svc.domain.errors import InvalidValueError, NothingToChangeError
from roadmap_svc.domain.events import RecordsEvents, RoadmapCreated, RoadmapEvent
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.text import required_text

MAX_WIP_LIMIT = 1000


def wip_limit_value(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_WIP_LIMIT:
        raise InvalidValueError("wip_limit", f"must be 1..{MAX_WIP_LIMIT}, or null for none")
    return value


class TeamState(RecordsEvents):
    name: str
    wip_limit: int | None
    capacity: dict[str, float]  # FTE per quarter


class Team(TeamState, Aggregate):
    def __init__(self) -> None:
        self.capacity = {}

    @classmethod
    def register(cls, *, name: str, wip_limit: int | None, meta: EventMeta) -> Team:
        return cls._create(
            TeamRegistered,
            name=required_text("name", name),
            wip_limit=wip_limit_value(wip_limit),
            meta=meta,
        )

    def rename(self, new_name: str, meta: EventMeta) -> None:
        clean = required_text("name", new_name)
        if clean == self.name:
            raise NothingToChangeError
        self._record(TeamRenamed, meta, old_name=self.name, new_name=clean)

    def set_capacity(self, quarter: str, fte: float, meta: EventMeta) -> None:
        key = str(Quarter.parse(quarter))
        value = fte_value("fte", fte, maximum=MAX_CAPACITY_FTE, allow_zero=True)
        old = self.capacity.get(key)
        if old == value:
            raise NothingToChangeError
        self._record(TeamCapacitySet, meta, name=self.name, quarter=key, old_fte=old, fte=value)

    def set_wip_limit(self, wip_limit: int | None, meta: EventMeta) -> None:
        value = wip_limit_value(wip_limit)
        if value == self.wip_limit:
            raise NothingToChangeError
        self._record(
            TeamWipLimitSet, meta, name=self.name, old_wip_limit=self.wip_limit, wip_limit=value
        )


class TeamRegistered(RoadmapCreated):
    name: str
    wip_limit: int | None

    def evolve(self, team: TeamState) -> None:
        team.name = self.name
        team.wip_limit = self.wip_limit


class TeamRenamed(RoadmapEvent):
    old_name: str
    new_name: str

    def evolve(self, team: TeamState) -> None:
        team.name = self.new_name


class TeamCapacitySet(RoadmapEvent):
    name: str
    quarter: str
    old_fte: float | None  # None: no capacity was set for that quarter
    fte: float

    def evolve(self, team: TeamState) -> None:
        team.capacity[self.quarter] = self.fte


class TeamWipLimitSet(RoadmapEvent):
    name: str
    old_wip_limit: int | None
    wip_limit: int | None

    def evolve(self, team: TeamState) -> None:
        team.wip_limit = self.wip_limit
