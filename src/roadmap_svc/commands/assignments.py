"""Commands on team assignments of an initiative."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from roadmap_svc.commands.initiatives import InitiativeCommands
from roadmap_svc.commands.unit_of_work import Change, Work, command
from roadmap_svc.domain.assignments import Assignment
from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.team import Team


class AssignmentCommands(InitiativeCommands):
    @command
    def assign_team(
        self,
        initiative_id: UUID,
        *,
        team_id: UUID,
        quarter: str,
        fte: float,
        person: str | None,
        role: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Assignment]:
        def assign(initiative: Initiative, work: Work) -> Assignment:
            if work.find(Team, team_id) is None:
                raise InvalidValueError("team_id", f"no team {team_id}")
            return initiative.assign_team(
                team_id=team_id, quarter=quarter, fte=fte, person=person, role=role, meta=meta
            )

        return self.initiative_change(initiative_id, expected_version, meta, assign)

    @command
    def change_assignment(
        self,
        initiative_id: UUID,
        assignment_id: UUID,
        changes: dict[str, Any],
        *,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Assignment]:
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.change_assignment(assignment_id, changes, meta),
        )

    @command
    def release_assignment(
        self,
        initiative_id: UUID,
        assignment_id: UUID,
        *,
        reason: str,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Assignment]:
        return self.initiative_change(
            initiative_id,
            expected_version,
            meta,
            lambda i, _: i.release_assignment(assignment_id, reason=reason, meta=meta),
        )
