"""Events of an initiative's milestones. Each applies itself to the initiative's state.

Rules live in Initiative's public methods; these only record (they run again on replay).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import (
    Dependency,
    DependencyType,
    Milestone,
    MilestoneStatus,
    Slip,
)


class MilestoneEvent(Aggregate.Event):
    meta: EventMeta
    milestone_id: UUID

    def apply(self, aggregate: Any) -> None:  # noqa: ANN401 - the library's signature
        milestones: dict[UUID, Milestone] = aggregate.milestones
        milestones[self.milestone_id] = self.changed(milestones[self.milestone_id])

    def changed(self, milestone: Milestone) -> Milestone:
        raise NotImplementedError


class MilestoneAdded(MilestoneEvent):
    title: str
    success_criteria: str
    target_date: date

    def apply(self, aggregate: Any) -> None:  # noqa: ANN401
        aggregate.milestones[self.milestone_id] = Milestone(
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
        )
        status = (
            MilestoneStatus.PLANNED
            if milestone.status is MilestoneStatus.MISSED
            else milestone.status
        )
        reopened = milestone.status is MilestoneStatus.MISSED
        return msgspec.structs.replace(
            milestone,
            target_date=self.to_date,
            status=status,
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
    upstream_milestone_id: UUID

    def changed(self, milestone: Milestone) -> Milestone:
        kept = tuple(d for d in milestone.dependencies if d.id != self.dependency_id)
        return msgspec.structs.replace(milestone, dependencies=kept)
