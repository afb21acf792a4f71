"""Quarter baselines: a quarter's plan and its initiatives' milestones, recorded under a name
as they stood at one position of the log, to compare later plans with (domain.drift).

One aggregate per quarter holds its baselines (its id is derived from the quarter), so a
name is unique within a quarter, compared without case, and two concurrent first baselines
of a quarter both try to create version 1: the event store keeps one. A baseline, once taken,
is never changed.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.errors import BaselineNameTakenError, NotFoundError
from roadmap_svc.domain.events import RecordsEvents, RoadmapCreated, RoadmapEvent
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import Slip
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.text import optional_text, required_text


def quarter_baselines_id(quarter: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:roadmap-svc:quarter-baselines:{Quarter.parse(quarter)}")


def baseline_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class BaselineAllocation(msgspec.Struct, frozen=True, kw_only=True):
    team_id: UUID
    fte: float


class BaselineInitiative(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    status: str
    candidate: bool  # proposed for the quarter, not approved into it
    fte: float
    teams: tuple[BaselineAllocation, ...]


class BaselineTeam(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: str
    capacity_fte: float
    allocated_fte: float


class BaselineMilestone(msgspec.Struct, frozen=True, kw_only=True):
    initiative_id: UUID
    id: UUID
    title: str
    target_date: date
    status: str
    slips: tuple[Slip, ...]  # every re-plan up to then


class BaselineStanding(msgspec.Struct, frozen=True, kw_only=True):
    """Where an initiative of the plan stands, in the plan or not."""

    id: UUID
    title: str
    status: str
    quarter: str | None  # approved for, or deferred to


class PlanSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A quarter's plan at one position: what a baseline keeps, and what drift compares."""

    quarter: str
    position: int  # the last event of the log it reflects
    totals: dict[str, float | None]
    initiatives: tuple[BaselineInitiative, ...]
    teams: tuple[BaselineTeam, ...]
    milestones: tuple[BaselineMilestone, ...]  # of every initiative of the plan
    standings: tuple[BaselineStanding, ...] = ()  # of every initiative named here


class Baseline(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    note: str | None
    taken_at: datetime  # recorded
    taken_by: str  # the token's name
    plan: PlanSnapshot


class QuarterBaselinesState(RecordsEvents):
    quarter: str
    baselines: dict[str, Baseline]  # by baseline_key(name), in the order taken


class QuarterBaselines(QuarterBaselinesState, Aggregate):
    def __init__(self) -> None:
        self.baselines = {}

    @classmethod
    def open(cls, quarter: str, meta: EventMeta) -> QuarterBaselines:
        name = str(Quarter.parse(quarter))
        return cls._create(
            QuarterBaselinesOpened, id=quarter_baselines_id(name), quarter=name, meta=meta
        )

    def take(self, name: str, note: str | None, plan: PlanSnapshot, meta: EventMeta) -> Baseline:
        clean = required_text("name", name)
        taken_before = self.baselines.get(baseline_key(clean))
        if taken_before is not None:
            raise BaselineNameTakenError(self.quarter, taken_before.name)
        taken = self._record(
            BaselineTaken, meta, name=clean, note=optional_text("note", note), plan=plan
        )
        return self.baselines[baseline_key(taken.name)]

    def named(self, name: str) -> Baseline:
        try:
            return self.baselines[baseline_key(name)]
        except KeyError:
            raise NotFoundError("baseline", f"{name} of {self.quarter}") from None


class QuarterBaselinesOpened(RoadmapCreated):
    quarter: str

    def evolve(self, baselines: QuarterBaselinesState) -> None:
        baselines.quarter = self.quarter


class BaselineTaken(RoadmapEvent):
    name: str
    note: str | None
    plan: PlanSnapshot

    def evolve(self, baselines: QuarterBaselinesState) -> None:
        baselines.baselines[baseline_key(self.name)] = Baseline(
            name=self.name,
            note=self.note,
            taken_at=self.timestamp,
            taken_by=self.meta.actor,
            plan=self.plan,
        )
