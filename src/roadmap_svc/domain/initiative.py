"""The Initiative aggregate: public methods decide, private @event methods record."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from roadmap_svc.domain.assignments import (
    MAX_ASSIGNMENT_FTE,
    Assignment,
    AssignmentChanged,
    AssignmentReleased,
    TeamAssigned,
    fte_value,
)
from roadmap_svc.domain.dates import not_after_today, plausible_date
from roadmap_svc.domain.dependency_graph import MilestoneGraph
from roadmap_svc.domain.errors import (
    AssignmentExistsError,
    AssignmentReleasedError,
    DuplicateDependencyError,
    InitiativeClosedError,
    InvalidValueError,
    MetricExistsError,
    NotFoundError,
    NothingToChangeError,
    StakeholderExistsError,
    UnknownStakeholderError,
)
from roadmap_svc.domain.external_refs import ExternalKeyLinked, ExternalLink
from roadmap_svc.domain.lifecycle import OPEN_STATUSES, DecisionKind, Status, next_status
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.metrics import (
    Direction,
    MeasurementRecorded,
    Metric,
    MetricDefined,
    check_target,
    finite,
)
from roadmap_svc.domain.milestone_events import (
    MilestoneAdded,
    MilestoneCompleted,
    MilestoneDependencyAdded,
    MilestoneDependencyRemoved,
    MilestoneDropped,
    MilestoneMissed,
    MilestoneReplanned,
    MilestoneStarted,
)
from roadmap_svc.domain.milestones import (
    MAX_LAG_DAYS,
    DependencyType,
    Milestone,
    MilestoneOperation,
    MilestoneStatus,
    require_allowed,
)
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.stakeholders import Stakeholder, Stance, stakeholder_key
from roadmap_svc.domain.text import normalise_tags, optional_text, required_text

REVISABLE_FIELDS = ("title", "problem_statement", "business_case", "owner", "sponsor", "tags")


class Initiative(Aggregate):
    class Proposed(Aggregate.Created):
        title: str
        problem_statement: str
        business_case: str
        owner: str
        sponsor: str | None
        proposer: str
        tags: tuple[str, ...]
        meta: EventMeta

    class Revised(Aggregate.Event):
        title: str | None
        problem_statement: str | None
        business_case: str | None
        owner: str | None
        sponsor: str | None
        tags: tuple[str, ...] | None
        meta: EventMeta
        cleared: tuple[str, ...] = ()  # optional fields set to none (None above: unchanged)

    class StakeholderAdded(Aggregate.Event):
        name: str
        role: str | None
        meta: EventMeta

    class StanceRecorded(Aggregate.Event):
        name: str
        stance: Stance
        note: str | None
        meta: EventMeta

    class DecisionTaken(Aggregate.Event):
        """Base of every decision event; `kind` and `leads_to` say which and where to."""

        kind: ClassVar[DecisionKind]
        leads_to: ClassVar[Status]
        rationale: str
        decided_by: str
        alternatives_considered: tuple[str, ...]
        meta: EventMeta

    class Approved(DecisionTaken):
        kind = DecisionKind.APPROVE
        leads_to = Status.APPROVED
        quarter: str
        stakeholders_without_stance: tuple[str, ...]

    class Started(DecisionTaken):
        kind = DecisionKind.START
        leads_to = Status.IN_PROGRESS

    class Rejected(DecisionTaken):
        kind = DecisionKind.REJECT
        leads_to = Status.REJECTED

    class Deferred(DecisionTaken):
        kind = DecisionKind.DEFER
        leads_to = Status.PROPOSED
        to_quarter: str
        revisit_on: date | None

    class Paused(DecisionTaken):
        kind = DecisionKind.PAUSE
        leads_to = Status.PAUSED

    class Resumed(DecisionTaken):
        kind = DecisionKind.RESUME
        leads_to = Status.IN_PROGRESS

    class Cancelled(DecisionTaken):
        kind = DecisionKind.CANCEL
        leads_to = Status.CANCELLED

    class Completed(DecisionTaken):
        kind = DecisionKind.COMPLETE
        leads_to = Status.COMPLETED

    # ---- creation -------------------------------------------------------------------------

    @classmethod
    def propose(
        cls,
        *,
        title: str,
        problem_statement: str,
        business_case: str,
        owner: str,
        sponsor: str | None,
        tags: tuple[str, ...] | list[str],
        meta: EventMeta,
    ) -> Initiative:
        return cls(
            title=required_text("title", title),
            problem_statement=required_text("problem_statement", problem_statement),
            business_case=required_text("business_case", business_case),
            owner=required_text("owner", owner),
            sponsor=optional_text("sponsor", sponsor),
            proposer=meta.actor,
            tags=normalise_tags(tags),
            meta=meta,
        )

    @event(Proposed)
    def __init__(
        self,
        *,
        title: str,
        problem_statement: str,
        business_case: str,
        owner: str,
        sponsor: str | None,
        proposer: str,
        tags: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self.title = title
        self.problem_statement = problem_statement
        self.business_case = business_case
        self.owner = owner
        self.sponsor = sponsor
        self.proposer = proposer
        self.tags = tags
        self.status = Status.PROPOSED
        self.quarter: str | None = None
        self.revisit_on: date | None = None
        self.last_decision: DecisionKind | None = None
        self.stakeholders: dict[str, Stakeholder] = {}
        self.milestones: dict[UUID, Milestone] = {}
        self.assignments: dict[UUID, Assignment] = {}
        self.metrics: dict[UUID, Metric] = {}
        self.external_links: list[ExternalLink] = []
        del meta  # recorded on the event; not aggregate state

    # ---- details --------------------------------------------------------------------------

    def revise(self, changes: dict[str, Any], meta: EventMeta) -> None:
        """Change details; a None sponsor clears it, other fields cannot be cleared."""
        self._require_open()
        unknown = set(changes) - set(REVISABLE_FIELDS)
        if unknown:
            raise InvalidValueError(min(unknown), "cannot be revised")
        cleaned: dict[str, Any] = {}
        cleared: list[str] = []
        for field, value in changes.items():
            if field == "sponsor" and value is None:
                if self.sponsor is not None:
                    cleared.append(field)
                continue
            if field == "tags":
                new: Any = normalise_tags(value)
            else:
                new = required_text(field, value)
            if new != getattr(self, field):
                cleaned[field] = new
        if not cleaned and not cleared:
            raise NothingToChangeError
        self._revise(
            **{field: cleaned.get(field) for field in REVISABLE_FIELDS},
            meta=meta,
            cleared=tuple(cleared),
        )

    @event(Revised)
    def _revise(
        self,
        *,
        title: str | None,
        problem_statement: str | None,
        business_case: str | None,
        owner: str | None,
        sponsor: str | None,
        tags: tuple[str, ...] | None,
        meta: EventMeta,
        cleared: tuple[str, ...] = (),
    ) -> None:
        for field, value in (
            ("title", title),
            ("problem_statement", problem_statement),
            ("business_case", business_case),
            ("owner", owner),
            ("sponsor", sponsor),
            ("tags", tags),
        ):
            if value is not None:
                setattr(self, field, value)
        for field in cleared:
            setattr(self, field, None)

    # ---- stakeholders ---------------------------------------------------------------------

    def add_stakeholder(self, name: str, role: str | None, meta: EventMeta) -> None:
        self._require_open()
        clean = required_text("name", name)
        if stakeholder_key(clean) in self.stakeholders:
            raise StakeholderExistsError(clean)
        self._add_stakeholder(name=clean, role=optional_text("role", role), meta=meta)

    @event(StakeholderAdded)
    def _add_stakeholder(self, *, name: str, role: str | None, meta: EventMeta) -> None:
        del meta
        self.stakeholders[stakeholder_key(name)] = Stakeholder(name=name, role=role)

    def record_stance(self, name: str, stance: Stance, note: str | None, meta: EventMeta) -> None:
        self._require_open()
        stakeholder = self.stakeholders.get(stakeholder_key(name))
        if stakeholder is None:
            raise UnknownStakeholderError(name)
        self._record_stance(
            name=stakeholder.name, stance=stance, note=optional_text("note", note), meta=meta
        )

    @event(StanceRecorded)
    def _record_stance(
        self, *, name: str, stance: Stance, note: str | None, meta: EventMeta
    ) -> None:
        del meta
        key = stakeholder_key(name)
        old = self.stakeholders[key]
        self.stakeholders[key] = Stakeholder(name=old.name, role=old.role, stance=stance, note=note)

    @property
    def stakeholders_without_stance(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stakeholders.values() if s.stance is None)

    # ---- decisions ------------------------------------------------------------------------

    def decide(
        self,
        kind: DecisionKind,
        *,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...] | list[str],
        meta: EventMeta,
        today: date,
        quarter: str | None = None,
        revisit_on: date | None = None,
    ) -> None:
        next_status(self.status, kind)  # refuses an invalid transition, naming the allowed ones
        common: dict[str, Any] = {
            "rationale": required_text("rationale", rationale),
            "decided_by": required_text("decided_by", decided_by),
            "alternatives_considered": tuple(
                required_text("alternatives_considered", a) for a in alternatives_considered
            ),
            "meta": meta,
        }
        if kind is not DecisionKind.APPROVE and kind is not DecisionKind.DEFER:
            if quarter is not None:
                raise InvalidValueError("quarter", f"a {kind.value} decision takes no quarter")
            if revisit_on is not None:
                raise InvalidValueError("revisit_on", "only a defer decision takes a revisit date")
        if kind is DecisionKind.APPROVE:
            if revisit_on is not None:
                raise InvalidValueError("revisit_on", "only a defer decision takes a revisit date")
            self._approve(
                quarter=str(self._required_quarter(quarter)),
                stakeholders_without_stance=self.stakeholders_without_stance,
                **common,
            )
        elif kind is DecisionKind.DEFER:
            self._defer(**common, **self._deferral(quarter, revisit_on, today))
        else:
            _SIMPLE_DECISIONS[kind](self, **common)

    def _required_quarter(self, quarter: str | None) -> Quarter:
        if quarter is None:
            raise InvalidValueError("quarter", "an approval names the quarter it is for")
        return Quarter.parse(quarter)

    def _deferral(
        self, quarter: str | None, revisit_on: date | None, today: date
    ) -> dict[str, Any]:
        if quarter is None:
            raise InvalidValueError("quarter", "a deferral names the later quarter")
        target = Quarter.parse(quarter)
        # "Later" means after the current quarter and after the one it was planned for.
        floor = Quarter.containing(today).next()
        if self.quarter is not None:
            floor = max(floor, Quarter.parse(self.quarter).next())
        if target < floor:
            raise InvalidValueError("quarter", f"must be {floor} or later to defer to")
        if revisit_on is not None and revisit_on < today:
            raise InvalidValueError("revisit_on", "must not be in the past")
        return {"to_quarter": str(target), "revisit_on": revisit_on}

    @event(Approved)
    def _approve(
        self,
        *,
        quarter: str,
        stakeholders_without_stance: tuple[str, ...],
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self._apply_decision(Initiative.Approved)
        self.quarter = quarter
        self.revisit_on = None

    @event(Deferred)
    def _defer(
        self,
        *,
        to_quarter: str,
        revisit_on: date | None,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self._apply_decision(Initiative.Deferred)
        self.quarter = to_quarter
        self.revisit_on = revisit_on

    @event(Started)
    def _start(
        self,
        *,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self._apply_decision(Initiative.Started)

    @event(Rejected)
    def _reject(
        self,
        *,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self._apply_decision(Initiative.Rejected)

    @event(Paused)
    def _pause(
        self,
        *,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self._apply_decision(Initiative.Paused)

    @event(Resumed)
    def _resume(
        self,
        *,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self._apply_decision(Initiative.Resumed)

    @event(Cancelled)
    def _cancel(
        self,
        *,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self._apply_decision(Initiative.Cancelled)

    @event(Completed)
    def _complete(
        self,
        *,
        rationale: str,
        decided_by: str,
        alternatives_considered: tuple[str, ...],
        meta: EventMeta,
    ) -> None:
        self._apply_decision(Initiative.Completed)

    # ---- milestones -----------------------------------------------------------------------

    def milestone(self, milestone_id: UUID) -> Milestone:
        try:
            return self.milestones[milestone_id]
        except KeyError:
            raise NotFoundError("milestone", milestone_id) from None

    def add_milestone(
        self, *, title: str, success_criteria: str, target_date: date, meta: EventMeta
    ) -> UUID:
        self._require_open()
        milestone_id = uuid4()
        self.trigger_event(
            MilestoneAdded,
            meta=meta,
            milestone_id=milestone_id,
            title=required_text("title", title),
            success_criteria=required_text("success_criteria", success_criteria),
            target_date=plausible_date("target_date", target_date),
        )
        return milestone_id

    def replan_milestone(
        self, milestone_id: UUID, *, to_date: date, reason: str, meta: EventMeta
    ) -> None:
        milestone = self._open_milestone(milestone_id, MilestoneOperation.REPLAN)
        if plausible_date("target_date", to_date) == milestone.target_date:
            raise InvalidValueError("target_date", f"is already the target date ({to_date})")
        self.trigger_event(
            MilestoneReplanned,
            meta=meta,
            milestone_id=milestone_id,
            from_date=milestone.target_date,
            to_date=to_date,
            reason=required_text("reason", reason),
        )

    def start_milestone(self, milestone_id: UUID, meta: EventMeta) -> None:
        self._open_milestone(milestone_id, MilestoneOperation.START)
        self.trigger_event(MilestoneStarted, meta=meta, milestone_id=milestone_id)

    def complete_milestone(
        self, milestone_id: UUID, *, actual_date: date, today: date, meta: EventMeta
    ) -> None:
        self._open_milestone(milestone_id, MilestoneOperation.COMPLETE)
        self.trigger_event(
            MilestoneCompleted,
            meta=meta,
            milestone_id=milestone_id,
            actual_date=not_after_today("actual_date", actual_date, today),
        )

    def miss_milestone(self, milestone_id: UUID, *, reason: str | None, meta: EventMeta) -> None:
        self._open_milestone(milestone_id, MilestoneOperation.MISS)
        self.trigger_event(
            MilestoneMissed,
            meta=meta,
            milestone_id=milestone_id,
            reason=optional_text("reason", reason),
        )

    def drop_milestone(self, milestone_id: UUID, *, reason: str, meta: EventMeta) -> None:
        self._open_milestone(milestone_id, MilestoneOperation.DROP)
        self.trigger_event(
            MilestoneDropped,
            meta=meta,
            milestone_id=milestone_id,
            reason=required_text("reason", reason),
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
    ) -> UUID:
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
        graph.add_edge(upstream.id, milestone.id)
        dependency_id = uuid4()
        self.trigger_event(
            MilestoneDependencyAdded,
            meta=meta,
            milestone_id=milestone_id,
            dependency_id=dependency_id,
            upstream_initiative_id=upstream_initiative_id,
            upstream_milestone_id=upstream.id,
            type=type,
            lag_days=lag_days,
        )
        return dependency_id

    def remove_dependency(
        self, milestone_id: UUID, dependency_id: UUID, *, graph: MilestoneGraph, meta: EventMeta
    ) -> None:
        self._require_open()
        milestone = self.milestone(milestone_id)
        dependency = next((d for d in milestone.dependencies if d.id == dependency_id), None)
        if dependency is None:
            raise NotFoundError("dependency", dependency_id)
        graph.remove_edge(dependency.upstream_milestone_id, milestone_id)
        self.trigger_event(
            MilestoneDependencyRemoved,
            meta=meta,
            milestone_id=milestone_id,
            dependency_id=dependency_id,
            upstream_milestone_id=dependency.upstream_milestone_id,
        )

    def _open_milestone(self, milestone_id: UUID, operation: MilestoneOperation) -> Milestone:
        self._require_open()
        milestone = self.milestone(milestone_id)
        require_allowed(milestone, operation)
        return milestone

    # ---- assignments ----------------------------------------------------------------------

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
    ) -> UUID:
        """Put a team on the initiative; over-allocation of the team is never refused here."""
        self._require_open()
        quarter_text = str(Quarter.parse(quarter))
        person = optional_text("person", person)
        self._refuse_duplicate(team_id, quarter_text, person)
        assignment_id = uuid4()
        self.trigger_event(
            TeamAssigned,
            meta=meta,
            assignment_id=assignment_id,
            team_id=team_id,
            quarter=quarter_text,
            fte=fte_value("fte", fte, maximum=MAX_ASSIGNMENT_FTE),
            person=person,
            role=optional_text("role", role),
        )
        return assignment_id

    def change_assignment(
        self, assignment_id: UUID, changes: dict[str, Any], meta: EventMeta
    ) -> None:
        """Change fte, person or role; a None person or role removes it."""
        self._require_open()
        current = self.assignment(assignment_id)
        if current.released:
            raise AssignmentReleasedError
        new: dict[str, Any] = {"fte": None, "person": None, "role": None}
        cleared: list[str] = []
        for field, value in changes.items():
            if field == "fte":
                fte = fte_value("fte", value, maximum=MAX_ASSIGNMENT_FTE)
                new["fte"] = fte if fte != current.fte else None
            elif field in {"person", "role"}:
                if value is None:
                    if getattr(current, field) is not None:
                        cleared.append(field)
                elif (text := required_text(field, value)) != getattr(current, field):
                    new[field] = text
            else:
                raise InvalidValueError(field, "cannot be changed on an assignment")
        if all(v is None for v in new.values()) and not cleared:
            raise NothingToChangeError
        person = None if "person" in cleared else (new["person"] or current.person)
        self._refuse_duplicate(current.team_id, current.quarter, person, besides=assignment_id)
        self.trigger_event(
            AssignmentChanged,
            meta=meta,
            assignment_id=assignment_id,
            cleared=tuple(cleared),
            **new,
        )

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

    def release_assignment(self, assignment_id: UUID, *, reason: str, meta: EventMeta) -> None:
        self._require_open()
        if self.assignment(assignment_id).released:
            raise AssignmentReleasedError
        self.trigger_event(
            AssignmentReleased,
            meta=meta,
            assignment_id=assignment_id,
            reason=required_text("reason", reason),
        )

    # ---- success metrics ------------------------------------------------------------------

    def define_metric(
        self,
        *,
        name: str,
        unit: str,
        baseline: float,
        target: float,
        direction: Direction,
        meta: EventMeta,
    ) -> UUID:
        self._require_open()
        clean = required_text("name", name)
        if any(m.name.casefold() == clean.casefold() for m in self.metrics.values()):
            raise MetricExistsError(clean)
        check_target(baseline, target, direction)
        metric_id = uuid4()
        self.trigger_event(
            MetricDefined,
            meta=meta,
            metric_id=metric_id,
            name=clean,
            unit=required_text("unit", unit),
            baseline=baseline,
            target=target,
            direction=direction,
        )
        return metric_id

    def record_measurement(
        self,
        metric_id: UUID,
        *,
        value: float,
        measured_on: date,
        note: str | None,
        today: date,
        meta: EventMeta,
    ) -> None:
        self._require_open()
        if metric_id not in self.metrics:
            raise NotFoundError("metric", metric_id)
        self.trigger_event(
            MeasurementRecorded,
            meta=meta,
            metric_id=metric_id,
            value=finite("value", value),
            measured_on=not_after_today("measured_on", measured_on, today),
            note=optional_text("note", note),
        )

    # ---- external keys --------------------------------------------------------------------

    def link_external_key(
        self, *, system: str, key: str, url: str | None, milestone_id: UUID | None, meta: EventMeta
    ) -> None:
        """Record the link on the initiative (the key's own aggregate guards uniqueness)."""
        self._require_open()
        if milestone_id is not None:
            self.milestone(milestone_id)
        self.trigger_event(
            ExternalKeyLinked, meta=meta, system=system, key=key, url=url, milestone_id=milestone_id
        )

    # ---- helpers --------------------------------------------------------------------------

    def _apply_decision(self, decision: type[Initiative.DecisionTaken]) -> None:
        # Metadata and rationale live on the event; the aggregate keeps only what rules need.
        self.status = decision.leads_to
        self.last_decision = decision.kind

    def _require_open(self) -> None:
        if self.status not in OPEN_STATUSES:
            raise InitiativeClosedError(self.status.value)


def _same_person(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


_SIMPLE_DECISIONS = {
    DecisionKind.START: Initiative._start,  # noqa: SLF001 - the aggregate's own recorders
    DecisionKind.REJECT: Initiative._reject,  # noqa: SLF001
    DecisionKind.PAUSE: Initiative._pause,  # noqa: SLF001
    DecisionKind.RESUME: Initiative._resume,  # noqa: SLF001
    DecisionKind.CANCEL: Initiative._cancel,  # noqa: SLF001
    DecisionKind.COMPLETE: Initiative._complete,  # noqa: SLF001
}
