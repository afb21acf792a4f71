"""Milestones: dated promises inside an initiative, their slips and their dependencies."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

import msgspec

from roadmap_svc.domain.errors import MilestoneTransitionError


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
