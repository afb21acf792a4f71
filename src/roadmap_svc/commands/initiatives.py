"""Commands on an initiative's details, stakeholders and decisions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from roadmap_svc.commands.unit_of_work import Outcome, UnitOfWork
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import Stance


class DecisionInput(msgspec.Struct, frozen=True, kw_only=True):
    kind: DecisionKind
    rationale: str
    decided_by: str
    alternatives_considered: tuple[str, ...] = ()
    quarter: str | None = None
    revisit_on: date | None = None


class InitiativeCommands(UnitOfWork):
    def propose_initiative(
        self,
        *,
        title: str,
        problem_statement: str,
        business_case: str,
        owner: str,
        sponsor: str | None,
        tags: tuple[str, ...] | list[str],
        meta: EventMeta,
    ) -> Outcome:
        return self.create(
            lambda: [
                Initiative.propose(
                    title=title,
                    problem_statement=problem_statement,
                    business_case=business_case,
                    owner=owner,
                    sponsor=sponsor,
                    tags=tags,
                    meta=meta,
                )
            ]
        )

    def get_initiative(self, initiative_id: UUID, version: int | None = None) -> Initiative:
        return self.load(Initiative, initiative_id, version)

    def change_initiative(
        self,
        initiative_id: UUID,
        expected_version: int | None,
        action: Callable[[Initiative], Sequence[Aggregate] | None],
    ) -> Outcome:
        return self.run(Initiative, initiative_id, expected_version, action)

    def revise_initiative(
        self,
        initiative_id: UUID,
        changes: dict[str, Any],
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id, expected_version, lambda i: i.revise(changes, meta)
        )

    def add_stakeholder(
        self,
        initiative_id: UUID,
        *,
        name: str,
        role: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id, expected_version, lambda i: i.add_stakeholder(name, role, meta)
        )

    def record_stance(
        self,
        initiative_id: UUID,
        *,
        name: str,
        stance: Stance,
        note: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        return self.change_initiative(
            initiative_id, expected_version, lambda i: i.record_stance(name, stance, note, meta)
        )

    def decide(
        self,
        initiative_id: UUID,
        decision: DecisionInput,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Outcome:
        today = self.today()

        def take(initiative: Initiative) -> None:
            initiative.decide(
                decision.kind,
                rationale=decision.rationale,
                decided_by=decision.decided_by,
                alternatives_considered=decision.alternatives_considered,
                quarter=decision.quarter,
                revisit_on=decision.revisit_on,
                meta=meta,
                today=today,
            )

        return self.change_initiative(initiative_id, expected_version, take)
