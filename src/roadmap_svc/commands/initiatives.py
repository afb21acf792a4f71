"""Commands on an initiative's details, stakeholders and decisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import msgspec

from roadmap_svc.commands.unit_of_work import Change, Creation, UnitOfWork, Work, Written, command
from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import Stance

T = TypeVar("T")


class DecisionInput(msgspec.Struct, frozen=True, kw_only=True):
    kind: DecisionKind
    rationale: str
    decided_by: str | None = None  # who took it; default: the actor who records it
    alternatives_considered: tuple[str, ...] = ()
    quarter: str | None = None
    revisit_on: date | None = None


class InitiativeCommands(UnitOfWork):
    @command
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
    ) -> Creation[Initiative]:
        return Creation(
            meta,
            lambda _: Initiative.propose(
                title=title,
                problem_statement=problem_statement,
                business_case=business_case,
                owner=owner,
                sponsor=sponsor,
                tags=tags,
                meta=meta,
            ),
        )

    def get_initiative(self, initiative_id: UUID, version: int | None = None) -> Initiative:
        """The initiative now or at a version, to read (never change what this returns)."""
        return self.read(Initiative, initiative_id, version)

    def initiative_change(
        self,
        initiative_id: UUID,
        expected_version: int | None,
        meta: EventMeta,
        decide: Callable[[Initiative, Work], T],
        after_turn_of: tuple[UUID, ...] = (),
    ) -> Change[Initiative, T]:
        return Change(Initiative, initiative_id, expected_version, meta, decide, after_turn_of)

    def change_initiative(
        self,
        initiative_id: UUID,
        expected_version: int | None,
        meta: EventMeta,
        decide: Callable[[Initiative, Work], T],
    ) -> Written[T]:
        """Run a one-off change in this thread (scripts and tests)."""
        return self.execute(self.initiative_change(initiative_id, expected_version, meta, decide))

    def _whole(
        self,
        initiative_id: UUID,
        expected_version: int | None,
        meta: EventMeta,
        change: Callable[[Initiative], object],
    ) -> Change[Initiative, Initiative]:
        """A change answered with the whole initiative as it now is."""

        def decide(initiative: Initiative, _: Work) -> Initiative:
            change(initiative)
            return initiative

        return self.initiative_change(initiative_id, expected_version, meta, decide)

    @command
    def revise_initiative(
        self,
        initiative_id: UUID,
        changes: dict[str, Any],
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Initiative]:
        return self._whole(initiative_id, expected_version, meta, lambda i: i.revise(changes, meta))

    @command
    def add_stakeholder(
        self,
        initiative_id: UUID,
        *,
        name: str,
        role: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Initiative]:
        return self._whole(
            initiative_id, expected_version, meta, lambda i: i.add_stakeholder(name, role, meta)
        )

    @command
    def record_stance(
        self,
        initiative_id: UUID,
        *,
        name: str,
        stance: Stance,
        note: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, Initiative]:
        return self._whole(
            initiative_id,
            expected_version,
            meta,
            lambda i: i.record_stance(name, stance, note, meta),
        )

    @command
    def decide(
        self,
        initiative_id: UUID,
        decision: DecisionInput,
        meta: EventMeta,
        expected_version: int | None,
    ) -> Change[Initiative, DecisionTaken]:
        today = self.occurred_day(meta)

        def take(initiative: Initiative, _: Work) -> DecisionTaken:
            return initiative.decide(
                decision.kind,
                rationale=decision.rationale,
                decided_by=decision.decided_by or meta.actor,
                alternatives_considered=decision.alternatives_considered,
                quarter=decision.quarter,
                revisit_on=decision.revisit_on,
                meta=meta,
                today=today,
            )

        return self.initiative_change(initiative_id, expected_version, meta, take)
