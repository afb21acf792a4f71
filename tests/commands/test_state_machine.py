"""Random command sequences against the real application and store, checked against a small
in-memory model written from the rules in the README (not from the domain code): decisions
through the lifecycle, milestones and re-plans, dependencies (no cycle, ever), teams with
unique names, assignments. After every step the stored initiative and its summary view (the
view's own fold over the stored events) equal the model's answer.

Quick profile: 10 runs of up to 40 steps per backend; `./dev test-extended`: 250 runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from roadmap_svc.application import DecisionInput, RoadmapApplication
from roadmap_svc.domain import errors
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import DependencyType
from roadmap_svc.projections.initiative_summary import fold
from tests.application_helpers import meta_of

OPEN = {"proposed", "approved", "in_progress", "paused"}
# decision -> {from status: to status}; reject, defer and cancel from every open status
LIFECYCLE: dict[str, dict[str, str]] = {
    "approve": {"proposed": "approved"},
    "start": {"approved": "in_progress"},
    "pause": {"approved": "paused", "in_progress": "paused"},
    "resume": {"paused": "in_progress"},
    "complete": {"approved": "completed", "in_progress": "completed"},
    "reject": dict.fromkeys(OPEN, "rejected"),
    "defer": dict.fromkeys(OPEN, "proposed"),
    "cancel": dict.fromkeys(OPEN, "cancelled"),
}
MILESTONE_OPEN = {"planned", "in_progress", "missed"}
FIRST_DAY = date(2030, 1, 1)


def _meta() -> EventMeta:
    return meta_of("model")


@dataclass
class ModelMilestone:
    initiative: UUID
    status: str = "planned"
    target: date = FIRST_DAY
    slips: int = 0
    upstream: set[UUID] = field(default_factory=set)


@dataclass
class ModelInitiative:
    status: str = "proposed"
    version: int = 1
    quarter: str | None = None
    milestones: dict[UUID, ModelMilestone] = field(default_factory=dict)
    active_assignments: set[tuple[UUID, str]] = field(default_factory=set)


def _refused(refusal: type[Exception] | None, call: Callable[[], object]) -> bool:
    """Make the call; True when the model expected it refused (and the service refused it)."""
    if refusal is None:
        call()
        return False
    with pytest.raises(refusal):
        call()
    return True


class Roadmap(RuleBasedStateMachine):
    lifecycle: ClassVar[dict[str, dict[str, str]]] = LIFECYCLE
    initiatives = Bundle("initiatives")
    milestones = Bundle("milestones")
    teams = Bundle("teams")

    def __init__(self, app: RoadmapApplication) -> None:
        super().__init__()
        self.app = app
        self.model: dict[UUID, ModelInitiative] = {}
        self.milestone_of: dict[UUID, ModelMilestone] = {}
        self.team_names: set[str] = set()
        self.touched: set[UUID] = set()

    # ---- what the model expects ----------------------------------------------------------

    def _reaches(self, start: UUID, goal: UUID) -> bool:
        """Is `goal` upstream of `start`, following dependencies?"""
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(self.milestone_of[current].upstream)
        return False

    def _accepted(self, initiative_id: UUID) -> None:
        self.model[initiative_id].version += 1
        self.touched.add(initiative_id)

    # ---- rules ----------------------------------------------------------------------------

    @rule(target=initiatives)
    def propose(self) -> UUID:
        written = self.app.propose_initiative(
            title=f"Initiative {uuid4().hex[:6]}",
            problem_statement="p",
            business_case="b",
            owner="owner",
            sponsor=None,
            tags=(),
            meta=_meta(),
        )
        self.model[written.id] = ModelInitiative()
        self.touched.add(written.id)
        return written.id

    @rule(
        initiative=initiatives,
        kind=st.sampled_from(sorted(LIFECYCLE)),
        quarter=st.integers(1, 4),
        with_version=st.booleans(),
    )
    def decide(self, initiative: UUID, kind: str, quarter: int, with_version: bool) -> None:
        model = self.model[initiative]
        planned = model.quarter
        if kind == "approve":
            chosen: str | None = f"2030-Q{quarter}"
        elif kind == "defer":  # after both the current and the planned quarter
            planned_year = int(planned[:4]) if planned else 2030
            chosen = f"{max(2032, planned_year + 1)}-Q{quarter}"
        else:
            chosen = None
        decision = DecisionInput(kind=DecisionKind(kind), rationale="model", quarter=chosen)
        expected = model.version if with_version else None
        if model.status not in self.lifecycle[kind]:
            with pytest.raises(errors.InvalidTransitionError):
                self.app.decide(initiative, decision, _meta(), expected)
            return
        self.app.decide(initiative, decision, _meta(), expected)
        model.status = self.lifecycle[kind][model.status]
        model.quarter = chosen if chosen is not None else planned
        self._accepted(initiative)

    @rule(initiative=initiatives)
    def stale_write_is_refused(self, initiative: UUID) -> None:
        model = self.model[initiative]
        if model.version == 1:
            return
        with pytest.raises(errors.VersionMismatchError):
            self.app.revise_initiative(
                initiative,
                changes={"owner": "someone else"},
                meta=_meta(),
                expected_version=model.version - 1,
            )

    @rule(target=milestones, initiative=initiatives, days=st.integers(0, 400))
    def add_milestone(self, initiative: UUID, days: int) -> object:
        model = self.model[initiative]
        target = FIRST_DAY + timedelta(days=days)
        written: list[Any] = []

        def call() -> None:
            written.append(
                self.app.add_milestone(
                    initiative,
                    title="m",
                    success_criteria="s",
                    target_date=target,
                    meta=_meta(),
                    expected_version=None,
                )
            )

        if _refused(None if model.status in OPEN else errors.InitiativeClosedError, call):
            return multiple()  # nothing to add to the bundle
        milestone_id = written[0].value.id
        milestone = ModelMilestone(initiative=initiative, target=target)
        model.milestones[milestone_id] = milestone
        self.milestone_of[milestone_id] = milestone
        self._accepted(initiative)
        return milestone_id

    def _milestone_refusal(self, milestone: UUID, allowed: set[str]) -> type[Exception] | None:
        known = self.milestone_of[milestone]
        if self.model[known.initiative].status not in OPEN:
            return errors.InitiativeClosedError
        if known.status not in allowed:
            return errors.MilestoneTransitionError
        return None

    def _initiative_of(self, milestone: UUID) -> UUID:
        return self.milestone_of[milestone].initiative

    @rule(milestone=milestones, days=st.integers(-30, 90))
    def replan(self, milestone: UUID, days: int) -> None:
        initiative = self._initiative_of(milestone)
        refusal = self._milestone_refusal(milestone, MILESTONE_OPEN)
        known = self.milestone_of[milestone]
        to_date = known.target + timedelta(days=days)
        if refusal is None and days == 0:
            refusal = errors.InvalidValueError  # already the target date

        def call() -> object:
            return self.app.replan_milestone(
                initiative,
                milestone,
                to_date=to_date,
                reason="model",
                meta=_meta(),
                expected_version=None,
            )

        if _refused(refusal, call):
            return
        known.target, known.slips = to_date, known.slips + 1
        if known.status == "missed":
            known.status = "planned"  # a missed milestone re-planned is planned again
        self._accepted(initiative)

    @rule(
        milestone=milestones,
        operation=st.sampled_from(["start", "complete", "miss", "drop"]),
    )
    def progress(self, milestone: UUID, operation: str) -> None:
        allowed, after = {
            "start": ({"planned"}, "in_progress"),
            "complete": (MILESTONE_OPEN, "completed"),
            "miss": ({"planned", "in_progress"}, "missed"),
            "drop": (MILESTONE_OPEN, "dropped"),
        }[operation]
        initiative = self._initiative_of(milestone)
        refusal = self._milestone_refusal(milestone, allowed)
        calls = {
            "start": lambda: self.app.start_milestone(
                initiative, milestone, meta=_meta(), expected_version=None
            ),
            "complete": lambda: self.app.complete_milestone(
                initiative, milestone, actual_date=None, meta=_meta(), expected_version=None
            ),
            "miss": lambda: self.app.miss_milestone(
                initiative, milestone, reason=None, meta=_meta(), expected_version=None
            ),
            "drop": lambda: self.app.drop_milestone(
                initiative, milestone, reason="model", meta=_meta(), expected_version=None
            ),
        }
        if _refused(refusal, calls[operation]):
            return
        self.milestone_of[milestone].status = after
        self._accepted(initiative)

    @rule(downstream=milestones, upstream=milestones)
    def depend(self, downstream: UUID, upstream: UUID) -> None:
        initiative = self._initiative_of(downstream)
        refusal = self._milestone_refusal(downstream, MILESTONE_OPEN)
        up = self.milestone_of[upstream]
        if refusal is None:
            if upstream == downstream or up.status == "dropped":
                refusal = errors.InvalidValueError
            elif upstream in self.milestone_of[downstream].upstream:
                refusal = errors.ConflictError  # the same dependency twice
            elif self._reaches(upstream, downstream):
                refusal = errors.DependencyCycleError

        def call() -> object:
            return self.app.add_dependency(
                initiative,
                downstream,
                upstream_initiative_id=up.initiative,
                upstream_milestone_id=upstream,
                type=DependencyType.FINISH_TO_START,
                lag_days=0,
                meta=_meta(),
                expected_version=None,
            )

        if _refused(refusal, call):
            return
        self.milestone_of[downstream].upstream.add(upstream)
        self._accepted(initiative)

    @rule(target=teams, taken=st.booleans())
    def register_team(self, taken: bool) -> UUID | None:
        if taken and self.team_names:
            name = min(self.team_names).upper()  # names are unique ignoring case
            with pytest.raises(errors.ConflictError):
                self.app.register_team(name=name, wip_limit=None, meta=_meta())
            return None
        name = f"team {uuid4().hex[:8]}"
        written = self.app.register_team(name=name, wip_limit=3, meta=_meta())
        self.team_names.add(name)
        return written.id

    @rule(initiative=initiatives, team=teams, quarter=st.integers(1, 2))
    def assign(self, initiative: UUID, team: UUID | None, quarter: int) -> None:
        if team is None:
            return
        model = self.model[initiative]
        key = (team, f"2030-Q{quarter}")

        def call() -> object:
            return self.app.assign_team(
                initiative,
                team_id=team,
                quarter=key[1],
                fte=0.5,
                person=None,
                role=None,
                meta=_meta(),
                expected_version=None,
            )

        if model.status not in OPEN:
            with pytest.raises(errors.InitiativeClosedError):
                call()
            return
        if key in model.active_assignments:
            with pytest.raises(errors.ConflictError):  # one per team, quarter and person
                call()
            return
        call()
        model.active_assignments.add(key)
        self._accepted(initiative)

    # ---- what is stored equals the model ------------------------------------------------

    @invariant()
    def stored_and_viewed_as_modelled(self) -> None:
        for initiative in self.touched:
            model = self.model[initiative]
            stored = self.app.get_initiative(initiative)
            assert (stored.status.value, stored.version, stored.quarter) == (
                model.status,
                model.version,
                model.quarter,
            )
            for milestone_id, milestone in model.milestones.items():
                found = stored.milestones[milestone_id]
                assert (found.status.value, found.target_date, len(found.slips)) == (
                    milestone.status,
                    milestone.target,
                    milestone.slips,
                )
                assert {d.upstream_milestone_id for d in found.dependencies} == milestone.upstream
            active = {(a.team_id, a.quarter) for a in stored.assignments.values() if not a.released}
            assert active == model.active_assignments
            events = cast(
                "list[Aggregate.Event]", list(self.app.repository.event_store.get(initiative))
            )
            summary = fold((event, n) for n, event in enumerate(events, start=1))
            assert summary is not None
            assert (summary.status, summary.version, summary.quarter) == (
                model.status,
                model.version,
                model.quarter,
            )
        self.touched.clear()


def _run(
    machine: type[Roadmap],
    app: RoadmapApplication,
    examples: int,
    *,
    shrink: bool = True,
    derandomize: bool = False,
) -> None:
    def bound_init(self: Roadmap) -> None:
        machine.__init__(self, app)

    bound = type(f"Bound{machine.__name__}", (machine,), {"__init__": bound_init})
    phases = list(Phase) if shrink else [Phase.generate]
    run_state_machine_as_test(
        bound,
        settings=settings(
            max_examples=examples,
            stateful_step_count=40,
            deadline=None,
            phases=phases,
            database=None,
            derandomize=derandomize,
        ),
    )


def test_random_command_sequences_match_the_model(app: RoadmapApplication) -> None:
    profile = settings()  # the loaded profile: quick by default, extended on demand
    _run(Roadmap, app, max(profile.max_examples // 4, 5))


class WrongRoadmap(Roadmap):
    """A model with one rule wrong (start straight from proposed)."""

    lifecycle: ClassVar[dict[str, dict[str, str]]] = {
        **LIFECYCLE,
        "start": {"proposed": "in_progress", "approved": "in_progress"},
    }


def test_the_machine_finds_a_wrong_model(app: RoadmapApplication) -> None:
    """Negative control: the same harness, with a model the service disagrees with."""
    with pytest.raises(errors.InvalidTransitionError):
        # the same sequences every run (a stable cost); found is enough, no need to shrink
        _run(WrongRoadmap, app, 200, shrink=False, derandomize=True)
