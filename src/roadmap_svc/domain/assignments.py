"""Assignments: a team (optionally a named person in a role) on an initiative for a quarter.

Over-allocation of a team is never refused here: it is for the planning views to show. Every
assignment event carries team, quarter, person, role and the FTE before and after, so a view
of team load needs nothing else.
"""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID, uuid4

import msgspec

from roadmap_svc.domain.errors import (
    AssignmentExistsError,
    AssignmentReleasedError,
    InvalidValueError,
    NotFoundError,
    NothingToChangeError,
)
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.parts import InitiativePart
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.text import optional_text, required_text

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
    rounded = float(round(value, 2))
    if abs(value - rounded) > 1e-9:  # noqa: PLR2004 - float tolerance
        raise InvalidValueError(field, "at most two decimals (e.g. 0.25)")
    if rounded == 0 and not allow_zero:  # e.g. 1e-12 or 5e-324: zero once in hundredths
        raise InvalidValueError(field, "must be at least 0.01")
    return rounded


class Assignments(InitiativePart):
    assignments: dict[UUID, Assignment]

    def _init_parts(self) -> None:
        super()._init_parts()
        self.assignments = {}

    def assignment(self, assignment_id: UUID) -> Assignment:
        try:
            return self.assignments[assignment_id]
        except KeyError:
            raise NotFoundError("assignment", assignment_id) from None

    def assign_team(
        self,
        *,
        team_id: UUID,
        quarter: str,
        fte: float,
        person: str | None,
        role: str | None,
        meta: EventMeta,
    ) -> Assignment:
        self._require_open()
        quarter_text = str(Quarter.parse(quarter))
        person = optional_text("person", person)
        self._refuse_duplicate(team_id, quarter_text, person)
        event = self._record(
            TeamAssigned,
            meta,
            assignment_id=uuid4(),
            team_id=team_id,
            quarter=quarter_text,
            person=person,
            role=optional_text("role", role),
            old_fte=0.0,
            fte=fte_value("fte", fte, maximum=MAX_ASSIGNMENT_FTE),
        )
        return self.assignments[event.assignment_id]

    def change_assignment(
        self, assignment_id: UUID, changes: dict[str, Any], meta: EventMeta
    ) -> Assignment:
        """Change fte, person or role; a None person or role removes it."""
        self._require_open()
        current = self.assignment(assignment_id)
        if current.released:
            raise AssignmentReleasedError
        after: dict[str, Any] = {"fte": current.fte, "person": current.person, "role": current.role}
        for field, value in changes.items():
            if field == "fte":
                after["fte"] = fte_value("fte", value, maximum=MAX_ASSIGNMENT_FTE)
            elif field in {"person", "role"}:
                after[field] = optional_text(field, value)
            else:
                raise InvalidValueError(field, "cannot be changed on an assignment")
        if after == {"fte": current.fte, "person": current.person, "role": current.role}:
            raise NothingToChangeError
        self._refuse_duplicate(current.team_id, current.quarter, after["person"], assignment_id)
        self._record(
            AssignmentChanged,
            meta,
            assignment_id=assignment_id,
            team_id=current.team_id,
            quarter=current.quarter,
            old_fte=current.fte,
            old_person=current.person,
            old_role=current.role,
            **after,
        )
        return self.assignments[assignment_id]

    def release_assignment(
        self, assignment_id: UUID, *, reason: str, meta: EventMeta
    ) -> Assignment:
        self._require_open()
        current = self.assignment(assignment_id)
        if current.released:
            raise AssignmentReleasedError
        self._record(
            AssignmentReleased,
            meta,
            assignment_id=assignment_id,
            team_id=current.team_id,
            quarter=current.quarter,
            person=current.person,
            role=current.role,
            old_fte=current.fte,
            fte=0.0,
            reason=required_text("reason", reason),
        )
        return self.assignments[assignment_id]

    def _refuse_duplicate(
        self, team_id: UUID, quarter: str, person: str | None, besides: UUID | None = None
    ) -> None:
        """One active assignment per team, quarter and person (no person counts as one)."""
        for existing in self.assignments.values():
            if (
                existing.id != besides
                and not existing.released
                and existing.team_id == team_id
                and existing.quarter == quarter
                and _same_person(existing.person, person)
            ):
                raise AssignmentExistsError


def _same_person(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


class AssignmentEvent(RoadmapEvent):
    assignment_id: UUID
    team_id: UUID
    quarter: str
    person: str | None  # after the event
    role: str | None  # after the event
    old_fte: float  # 0 before an assignment
    fte: float  # 0 after a release


class TeamAssigned(AssignmentEvent):
    def evolve(self, initiative: Assignments) -> None:
        initiative.assignments[self.assignment_id] = Assignment(
            id=self.assignment_id,
            team_id=self.team_id,
            quarter=self.quarter,
            fte=self.fte,
            person=self.person,
            role=self.role,
        )


class AssignmentChanged(AssignmentEvent):
    old_person: str | None
    old_role: str | None

    def evolve(self, initiative: Assignments) -> None:
        assignment = initiative.assignments[self.assignment_id]
        initiative.assignments[self.assignment_id] = msgspec.structs.replace(
            assignment, fte=self.fte, person=self.person, role=self.role
        )


class AssignmentReleased(AssignmentEvent):
    reason: str

    def evolve(self, initiative: Assignments) -> None:
        assignment = initiative.assignments[self.assignment_id]
        initiative.assignments[self.assignment_id] = msgspec.structs.replace(
            assignment, released=True, release_reason=self.reason
        )
