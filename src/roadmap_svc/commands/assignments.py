"""Commands on team assignments and success metrics of an initiative."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from roadmap_svc.commands.initiatives import InitiativeCommands
from roadmap_svc.commands.unit_of_work import Outcome
from roadmap_svc.domain.errors import InvalidValueError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.metrics import Direction
from roadmap_svc.domain.team import Team


class AssignmentCommands(InitiativeCommands):
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
    ) -> Outcome:
        def assign(initiative: Initiative) -> None:
            if self.find(Team, team_id) is None:
                raise InvalidValueError("team_id", f"no team {team_id}")
            initiative.assign_team(
                team_id=team_id, quarter=quarter, fte=fte, person=person, role=role, meta=meta
            )

        return self.change_initiative(initiative_id, expected_version, assign)

    def change_assignment(
        self,
        initiative_id: UUID,
        assignment_id: UUID,
        changes: dict[str, Any],
        *,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id,
            expected_version,
            lambda i: i.change_assignment(assignment_id, changes, meta),
        )

    def release_assignment(
        self,
        initiative_id: UUID,
        assignment_id: UUID,
        *,
        reason: str,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id,
            expected_version,
            lambda i: i.release_assignment(assignment_id, reason=reason, meta=meta),
        )

    def define_metric(
        self,
        initiative_id: UUID,
        *,
        name: str,
        unit: str,
        baseline: float,
        target: float,
        direction: Direction,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        def define(initiative: Initiative) -> None:
            initiative.define_metric(
                name=name,
                unit=unit,
                baseline=baseline,
                target=target,
                direction=direction,
                meta=meta,
            )

        return self.change_initiative(initiative_id, expected_version, define)

    def record_measurement(
        self,
        initiative_id: UUID,
        metric_id: UUID,
        *,
        value: float,
        measured_on: date,
        note: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        today = self.today()
        return self.change_initiative(
            initiative_id,
            expected_version,
            lambda i: i.record_measurement(
                metric_id, value=value, measured_on=measured_on, note=note, today=today, meta=meta
            ),
        )
