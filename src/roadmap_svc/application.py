"""The eventsourcing Application: command methods (the unit of work) and event-store reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper
from eventsourcing.utils import Environment, EnvType

from roadmap_svc.domain.errors import ConcurrentWriteError, NotFoundError, VersionMismatchError
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import Stance
from roadmap_svc.storage.transcoder import MsgspecMapper

APPLICATION_NAME = "roadmap"  # names the event table (roadmap_events) and tracking keys: pinned


class CommandResult(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    version: int
    position: int  # global position of the command's last event (read-your-writes)


class DecisionResult(msgspec.Struct, frozen=True, kw_only=True):
    result: CommandResult
    decision: Initiative.DecisionTaken  # the recorded event, for the caller to show


class DecisionInput(msgspec.Struct, frozen=True, kw_only=True):
    kind: DecisionKind
    rationale: str
    decided_by: str
    alternatives_considered: tuple[str, ...] = ()
    quarter: str | None = None
    revisit_on: date | None = None


class RoadmapApplication(Application[UUID]):
    name = APPLICATION_NAME

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only our settings configure the library; the base class would also merge os.environ,
        # where a stray POSTGRES_SCHEMA or SINGLE_ROW_TRACKING could change behaviour.
        return Environment(name, {**type(self).env, **(env or {})})

    def construct_mapper(self) -> Mapper[UUID]:
        return MsgspecMapper()

    # ---- commands -------------------------------------------------------------------------

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
    ) -> CommandResult:
        initiative = Initiative.propose(
            title=title,
            problem_statement=problem_statement,
            business_case=business_case,
            owner=owner,
            sponsor=sponsor,
            tags=tags,
            meta=meta,
        )
        return self._save(initiative)

    def revise_initiative(
        self,
        initiative_id: UUID,
        changes: dict[str, Any],
        meta: EventMeta,
        expected_version: int | None,
    ) -> CommandResult:
        return self._change(initiative_id, expected_version, lambda i: i.revise(changes, meta))

    def add_stakeholder(
        self,
        initiative_id: UUID,
        *,
        name: str,
        role: str | None,
        meta: EventMeta,
        expected_version: int | None,
    ) -> CommandResult:
        return self._change(
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
    ) -> CommandResult:
        return self._change(
            initiative_id, expected_version, lambda i: i.record_stance(name, stance, note, meta)
        )

    def decide(
        self,
        initiative_id: UUID,
        decision: DecisionInput,
        meta: EventMeta,
        expected_version: int | None,
    ) -> DecisionResult:
        today = self.clock().date()

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

        result, last_event = self._change_and_report(initiative_id, expected_version, take)
        if not isinstance(last_event, Initiative.DecisionTaken):  # pragma: no cover - invariant
            raise TypeError(f"a decision recorded {type(last_event).__name__}")
        return DecisionResult(result=result, decision=last_event)

    # ---- reads ----------------------------------------------------------------------------

    def get_initiative(self, initiative_id: UUID, version: int | None = None) -> Initiative:
        try:
            initiative: object = self.repository.get(initiative_id, version=version)
        except AggregateNotFoundError:
            raise NotFoundError("initiative", initiative_id) from None
        if not isinstance(initiative, Initiative):
            raise NotFoundError("initiative", initiative_id)
        if version is not None and initiative.version != version:
            raise NotFoundError("initiative version", f"{initiative_id}@{version}")
        return initiative

    # ---- the unit of work -----------------------------------------------------------------

    def _change(
        self,
        initiative_id: UUID,
        expected_version: int | None,
        action: Callable[[Initiative], None],
    ) -> CommandResult:
        return self._change_and_report(initiative_id, expected_version, action)[0]

    def _change_and_report(
        self,
        initiative_id: UUID,
        expected_version: int | None,
        action: Callable[[Initiative], None],
    ) -> tuple[CommandResult, object]:
        initiative = self.get_initiative(initiative_id)
        if expected_version is not None and expected_version != initiative.version:
            raise VersionMismatchError(expected_version, initiative.version)
        action(initiative)
        try:
            return self._save_and_report(initiative)
        except ConcurrentWriteError:
            if expected_version is not None:
                # The version the client saw is gone now: a stale If-Match, not a conflict.
                raise VersionMismatchError(expected_version, None) from None
            raise

    def _save(self, initiative: Initiative) -> CommandResult:
        return self._save_and_report(initiative)[0]

    def _save_and_report(self, initiative: Initiative) -> tuple[CommandResult, object]:
        # One save is one transaction: all of a command's events, or none of them.
        try:
            recordings = self.save(initiative)
        except IntegrityError:
            raise ConcurrentWriteError from None
        last = recordings[-1]
        result = CommandResult(
            id=initiative.id, version=initiative.version, position=last.notification.id
        )
        return result, last.domain_event
