"""Assignments: a team (optionally a named person in a role) on an initiative for a quarter."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.meta import EventMeta

MAX_ASSIGNMENT_FTE = 100.0  # more on one initiative from one team is a typo, not a plan
MAX_CAPACITY_FTE = 10_000.0


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    team_id: UUID
    quarter: str
    fte: float
    person: str | None = None
    role: str | None = None
    released: bool = False
    release_reason: str | None = None


def fte_value(field: str, value: float, *, maximum: float, allow_zero: bool = False) -> float:
    """FTE in hundredths: > 0 (or >= 0 for capacity) and at most `maximum`."""
    if math.isnan(value):  # compares false with everything: refuse it before the range checks
        raise InvalidValueError(field, "must be a number")
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidValueError(field, "must be greater than 0" if not allow_zero else ">= 0")
    if value > maximum:
        raise InvalidValueError(field, f"must be at most {maximum:g}")
    if abs(value * 100 - round(value * 100)) > 1e-6:  # noqa: PLR2004 - float tolerance
        raise InvalidValueError(field, "at most two decimals (e.g. 0.25)")
    return float(round(value, 2))


class AssignmentEvent(Aggregate.Event):
    meta: EventMeta
    assignment_id: UUID

    def apply(self, aggregate: Any) -> None:  # noqa: ANN401 - the library's signature
        assignments: dict[UUID, Assignment] = aggregate.assignments
        assignments[self.assignment_id] = self.changed(assignments[self.assignment_id])

    def changed(self, assignment: Assignment) -> Assignment:
        raise NotImplementedError


class TeamAssigned(AssignmentEvent):
    team_id: UUID
    quarter: str
    fte: float
    person: str | None
    role: str | None

    def apply(self, aggregate: Any) -> None:  # noqa: ANN401
        aggregate.assignments[self.assignment_id] = Assignment(
            id=self.assignment_id,
            team_id=self.team_id,
            quarter=self.quarter,
            fte=self.fte,
            person=self.person,
            role=self.role,
        )


class AssignmentChanged(AssignmentEvent):
    fte: float | None  # None: unchanged
    person: str | None
    role: str | None
    cleared: tuple[str, ...]  # person and/or role removed

    def changed(self, assignment: Assignment) -> Assignment:
        changes: dict[str, Any] = {
            field: value
            for field, value in (("fte", self.fte), ("person", self.person), ("role", self.role))
            if value is not None
        }
        changes.update(dict.fromkeys(self.cleared))
        return msgspec.structs.replace(assignment, **changes)


class AssignmentReleased(AssignmentEvent):
    reason: str

    def changed(self, assignment: Assignment) -> Assignment:
        return msgspec.structs.replace(assignment, released=True, release_reason=self.reason)
