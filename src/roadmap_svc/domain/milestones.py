"""Milestones: dated promises inside an initiative, their slips and their dependencies.

A milestone can be re-planned (every slip is kept: old date, new date, reason, who, when),
started, completed (actual date), missed or dropped, and can depend on milestones of any
initiative; the organisation-wide cycle check is the MilestoneGraph's (dependency_graph.py).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

import msgspec

from roadmap_svc.domain.dates import not_after_today, plausible_date
from roadmap_svc.domain.dependency_graph import MilestoneGraph
from roadmap_svc.domain.errors import (
    DuplicateDependencyError,
    InvalidValueError,
    MilestoneTransitionError,
    NotFoundError,
)
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.parts import InitiativePart
from roadmap_svc.domain.text import optional_text, required_text


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    MISSED = "missed"
    DROPPED = "dropped"


class MilestoneOperation(StrEnum):
    REPLAN = "replan"
    START = "start"
    COMPLETE = "complete"
    MISS = "miss"
    DROP = "drop"
    ADD_DEPENDENCY = "add a dependency to"


class DependencyType(StrEnum):
    FINISH_TO_START = "finish_to_start"
    START_TO_START = "start_to_start"
    FINISH_TO_FINISH = "finish_to_finish"


_OPEN = frozenset({MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS, MilestoneStatus.MISSED})
_ALLOWED: dict[MilestoneOperation, frozenset[MilestoneStatus]] = {
    MilestoneOperation.REPLAN: _OPEN,  # a missed milestone re-planned is planned again
    MilestoneOperation.START: frozenset({MilestoneStatus.PLANNED}),
    MilestoneOperation.COMPLETE: _OPEN,  # late completion of a missed milestone counts
    MilestoneOperation.MISS: frozenset({MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS}),
    MilestoneOperation.DROP: _OPEN,
    MilestoneOperation.ADD_DEPENDENCY: _OPEN,
}
MAX_LAG_DAYS = 365


class Slip(msgspec.Struct, frozen=True, kw_only=True):
    """One re-plan: the promise moved from one date to another, and why."""

    from_date: date
    to_date: date
    reason: str
    recorded_by: str
    recorded_at: datetime
    occurred_at: datetime  # when it was re-planned (differs from recorded_at for imports)


class Dependency(msgspec.Struct, frozen=True, kw_only=True):
    """This milestone depends on an upstream one (possibly in another initiative)."""

    id: UUID
    upstream_initiative_id: UUID
    upstream_milestone_id: UUID
    type: DependencyType
    lag_days: int


class Milestone(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    success_criteria: str
    target_date: date
    original_target_date: date
    status: MilestoneStatus = MilestoneStatus.PLANNED
    actual_date: date | None = None
    closing_reason: str | None = None  # why it was dropped or missed
    slips: tuple[Slip, ...] = ()
    dependencies: tuple[Dependency, ...] = ()

    @property
    def is_closed(self) -> bool:
        return self.status not in _OPEN


def allowed_operations(status: MilestoneStatus) -> tuple[MilestoneOperation, ...]:
    return tuple(op for op, statuses in _ALLOWED.items() if status in statuses)


def require_allowed(milestone: Milestone, operation: MilestoneOperation) -> None:
    if milestone.status not in _ALLOWED[operation]:
        raise MilestoneTransitionError(
            operation.value,
            milestone.status.value,
            [op.value for op in allowed_operations(milestone.status)],
        )


class Milestones(InitiativePart):
    milestones: dict[UUID, Milestone]

    def _init_parts(self) -> None:
        super()._init_parts()
        self.milestones = {}

    def milestone(self, milestone_id: UUID) -> Milestone:
        try:
            return self.milestones[milestone_id]
        except KeyError:
            raise NotFoundError("milestone", milestone_id) from None

    def add_milestone(
        self, *, title: str, success_criteria: str, target_date: date, meta: EventMeta
    ) -> Milestone:
        self._require_open()
        event = self._record(
            MilestoneAdded,
            meta,
            milestone_id=uuid4(),
            title=required_text("title", title),
            success_criteria=required_text("success_criteria", success_criteria),
            target_date=plausible_date("target_date", target_date),
        )
        return self.milestones[event.milestone_id]

    def replan_milestone(
        self, milestone_id: UUID, *, to_date: date, reason: str, meta: EventMeta
    ) -> Milestone:
        milestone = self._open_milestone(milestone_id, MilestoneOperation.REPLAN)
        if plausible_date("target_date", to_date) == milestone.target_date:
            raise InvalidValueError("target_date", f"is already the target date ({to_date})")
        return self._change(
            MilestoneReplanned,
            milestone,
            meta,
            target_date=to_date,
            from_date=milestone.target_date,
            to_date=to_date,
            reason=required_text("reason", reason),
        )

    def start_milestone(self, milestone_id: UUID, meta: EventMeta) -> Milestone:
        milestone = self._open_milestone(milestone_id, MilestoneOperation.START)
        return self._change(MilestoneStarted, milestone, meta)

    def complete_milestone(
        self, milestone_id: UUID, *, actual_date: date, today: date, meta: EventMeta
    ) -> Milestone:
        """Complete it on `actual_date`, which is not after `today` (the occurred date)."""
        milestone = self._open_milestone(milestone_id, MilestoneOperation.COMPLETE)
        return self._change(
            MilestoneCompleted,
            milestone,
            meta,
            actual_date=not_after_today("actual_date", actual_date, today),
        )

    def miss_milestone(
        self, milestone_id: UUID, *, reason: str | None, meta: EventMeta
    ) -> Milestone:
        milestone = self._open_milestone(milestone_id, MilestoneOperation.MISS)
        return self._change(
            MilestoneMissed, milestone, meta, reason=optional_text("reason", reason)
        )

    def drop_milestone(self, milestone_id: UUID, *, reason: str, meta: EventMeta) -> Milestone:
        milestone = self._open_milestone(milestone_id, MilestoneOperation.DROP)
        return self._change(
            MilestoneDropped, milestone, meta, reason=required_text("reason", reason)
        )

    def add_dependency(
        self,
        milestone_id: UUID,
        *,
        upstream_initiative_id: UUID,
        upstream: Milestone,
        type: DependencyType,  # noqa: A002 - the domain's word
        lag_days: int,
        graph: MilestoneGraph,
        meta: EventMeta,
    ) -> Milestone:
        """Make this milestone depend on `upstream`; `graph` refuses a cycle."""
        milestone = self._open_milestone(milestone_id, MilestoneOperation.ADD_DEPENDENCY)
        if upstream.id == milestone.id:
            raise InvalidValueError("upstream_milestone_id", "a milestone cannot depend on itself")
        if upstream.status is MilestoneStatus.DROPPED:
            raise InvalidValueError("upstream_milestone_id", "that milestone was dropped")
        if any(d.upstream_milestone_id == upstream.id for d in milestone.dependencies):
            raise DuplicateDependencyError
        if not -MAX_LAG_DAYS <= lag_days <= MAX_LAG_DAYS:
            raise InvalidValueError("lag_days", f"must be within ±{MAX_LAG_DAYS} days")
        graph.add_edge(upstream.id, milestone.id, meta)
        return self._change(
            MilestoneDependencyAdded,
            milestone,
            meta,
            dependency_id=uuid4(),
            upstream_initiative_id=upstream_initiative_id,
            upstream_milestone_id=upstream.id,
            type=type,
            lag_days=lag_days,
        )

    def remove_dependency(
        self, milestone_id: UUID, dependency_id: UUID, *, graph: MilestoneGraph, meta: EventMeta
    ) -> Milestone:
        self._require_open()
        milestone = self.milestone(milestone_id)
        dependency = next((d for d in milestone.dependencies if d.id == dependency_id), None)
        if dependency is None:
            raise NotFoundError("dependency", dependency_id)
        graph.remove_edge(dependency.upstream_milestone_id, milestone_id, meta)
        return self._change(
            MilestoneDependencyRemoved,
            milestone,
            meta,
            dependency_id=dependency_id,
            upstream_initiative_id=dependency.upstream_initiative_id,
            upstream_milestone_id=dependency.upstream_milestone_id,
        )

    def _open_milestone(self, milestone_id: UUID, operation: MilestoneOperation) -> Milestone:
        self._require_open()
        milestone = self.milestone(milestone_id)
        require_allowed(milestone, operation)
        return milestone

    def _change(
        self,
        event_class: type[MilestoneEvent],
        milestone: Milestone,
        meta: EventMeta,
        **fields: object,
    ) -> Milestone:
        # Every milestone event names the milestone and its dates, so a view needs no state.
        fields.setdefault("target_date", milestone.target_date)
        self._record(event_class, meta, milestone_id=milestone.id, title=milestone.title, **fields)
        return self.milestones[milestone.id]


class MilestoneEvent(RoadmapEvent):
    milestone_id: UUID
    title: str
    target_date: date  # the target date after this event

    def evolve(self, initiative: Milestones) -> None:
        milestones = initiative.milestones
        milestones[self.milestone_id] = self.changed(milestones[self.milestone_id])

    def changed(self, milestone: Milestone) -> Milestone:
        raise NotImplementedError


class MilestoneAdded(MilestoneEvent):
    success_criteria: str

    def evolve(self, initiative: Milestones) -> None:
        initiative.milestones[self.milestone_id] = Milestone(
            id=self.milestone_id,
            title=self.title,
            success_criteria=self.success_criteria,
            target_date=self.target_date,
            original_target_date=self.target_date,
        )


class MilestoneReplanned(MilestoneEvent):
    from_date: date
    to_date: date
    reason: str

    def changed(self, milestone: Milestone) -> Milestone:
        slip = Slip(
            from_date=self.from_date,
            to_date=self.to_date,
            reason=self.reason,
            recorded_by=self.meta.actor,
            recorded_at=self.timestamp,
            occurred_at=self.occurred_at,
        )
        reopened = milestone.status is MilestoneStatus.MISSED
        return msgspec.structs.replace(
            milestone,
            target_date=self.to_date,
            status=MilestoneStatus.PLANNED if reopened else milestone.status,
            closing_reason=None if reopened else milestone.closing_reason,
            slips=(*milestone.slips, slip),
        )


class MilestoneStarted(MilestoneEvent):
    def changed(self, milestone: Milestone) -> Milestone:
        return msgspec.structs.replace(milestone, status=MilestoneStatus.IN_PROGRESS)


class MilestoneCompleted(MilestoneEvent):
    actual_date: date

    def changed(self, milestone: Milestone) -> Milestone:
        return msgspec.structs.replace(
            milestone,
            status=MilestoneStatus.COMPLETED,
            actual_date=self.actual_date,
            closing_reason=None,
        )


class MilestoneMissed(MilestoneEvent):
    reason: str | None

    def changed(self, milestone: Milestone) -> Milestone:
        return msgspec.structs.replace(
            milestone, status=MilestoneStatus.MISSED, closing_reason=self.reason
        )


class MilestoneDropped(MilestoneEvent):
    reason: str

    def changed(self, milestone: Milestone) -> Milestone:
        return msgspec.structs.replace(
            milestone, status=MilestoneStatus.DROPPED, closing_reason=self.reason
        )


class MilestoneDependencyAdded(MilestoneEvent):
    dependency_id: UUID
    upstream_initiative_id: UUID
    upstream_milestone_id: UUID
    type: DependencyType
    lag_days: int

    def changed(self, milestone: Milestone) -> Milestone:
        dependency = Dependency(
            id=self.dependency_id,
            upstream_initiative_id=self.upstream_initiative_id,
            upstream_milestone_id=self.upstream_milestone_id,
            type=self.type,
            lag_days=self.lag_days,
        )
        return msgspec.structs.replace(
            milestone, dependencies=(*milestone.dependencies, dependency)
        )


class MilestoneDependencyRemoved(MilestoneEvent):
    dependency_id: UUID
    upstream_initiative_id: UUID
    upstream_milestone_id: UUID

    def changed(self, milestone: Milestone) -> Milestone:
        kept = tuple(d for d in milestone.dependencies if d.id != self.dependency_id)
        return msgspec.structs.replace(milestone, dependencies=kept)
