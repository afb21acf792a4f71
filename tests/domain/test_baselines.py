"""Quarter baselines and drift, in the domain: names unique in a quarter ignoring case, a
baseline kept as taken, and how drift places each kind of change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from roadmap_svc.domain.baselines import (
    BaselineAllocation,
    BaselineInitiative,
    BaselineMilestone,
    BaselineStanding,
    BaselineTeam,
    PlanSnapshot,
    QuarterBaselines,
    quarter_baselines_id,
)
from roadmap_svc.domain.drift import drift
from roadmap_svc.domain.errors import BaselineNameTakenError, InvalidValueError, NotFoundError
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import Slip

META = EventMeta(actor="planner")
Q = "2031-Q2"


def _line(
    initiative_id: UUID, status: str = "approved", teams: dict[UUID, float] | None = None
) -> BaselineInitiative:
    allocations = teams or {}
    return BaselineInitiative(
        id=initiative_id,
        title=f"I {str(initiative_id)[:4]}",
        status=status,
        candidate=status == "proposed",
        fte=sum(allocations.values()),
        teams=tuple(BaselineAllocation(team_id=t, fte=f) for t, f in allocations.items()),
    )


def _plan(
    lines: list[BaselineInitiative],
    standings: list[tuple[UUID, str, str | None]] | None = None,
    milestones: list[BaselineMilestone] | None = None,
    teams: list[BaselineTeam] | None = None,
) -> PlanSnapshot:
    return PlanSnapshot(
        quarter=Q,
        position=7,
        totals={"initiatives": float(len(lines)), "load_percent": None},
        initiatives=tuple(lines),
        teams=tuple(teams or ()),
        milestones=tuple(milestones or ()),
        standings=tuple(
            BaselineStanding(id=i, title="t", status=s, quarter=q) for i, s, q in standings or ()
        ),
    )


def test_names_are_unique_in_a_quarter_ignoring_case_and_spacing() -> None:
    baselines = QuarterBaselines.open(Q, META)
    assert baselines.id == quarter_baselines_id(Q) == quarter_baselines_id(" 2031-q2 ".strip())
    kept = baselines.take("Kick-off", None, _plan([]), META)
    assert (kept.name, kept.taken_by) == ("Kick-off", "planner")
    with pytest.raises(BaselineNameTakenError, match="'Kick-off'"):
        baselines.take("  KICK-OFF ", "again", _plan([]), META)
    with pytest.raises(InvalidValueError):
        baselines.take("   ", None, _plan([]), META)
    assert baselines.named("kick-off") is kept
    with pytest.raises(NotFoundError):
        baselines.named("mid-quarter")
    assert baselines.version == 2  # opened, one taken: the refusals recorded nothing


def test_each_initiative_of_the_baseline_lands_in_one_place() -> None:
    done, rejected, moved, deferred, candidate, kept = (uuid4() for _ in range(6))
    then = _plan(
        [
            _line(done),
            _line(rejected),
            _line(moved),
            _line(deferred),
            _line(candidate, "proposed"),
            _line(kept),
        ]
    )
    now = _plan(
        [_line(kept, "in_progress")],
        [
            (done, "completed", Q),
            (rejected, "rejected", Q),
            (moved, "approved", "2031-Q4"),  # re-approved for another quarter
            (deferred, "proposed", "2031-Q3"),
            (candidate, "proposed", "2031-Q4"),  # a candidate deferred to a later quarter
            (kept, "in_progress", Q),
        ],
    )
    found = drift("b", then, now)
    assert [i.id for i in found.removed] == [done, rejected, moved]
    assert [i.status_now for i in found.removed] == ["completed", "rejected", "approved"]
    assert [i.id for i in found.deferred] == [deferred, candidate]
    assert [(i.id, i.status_then, i.status_now) for i in found.status_changed] == [
        (kept, "approved", "in_progress")
    ]
    assert found.added == found.cancelled == ()


def test_milestones_allocations_capacities_and_totals() -> None:
    initiative, team = uuid4(), uuid4()
    slip = Slip(
        from_date=date(2031, 5, 1),
        to_date=date(2031, 5, 9),
        reason="vendor",
        recorded_by="ana",
        recorded_at=datetime(2031, 4, 2, tzinfo=UTC),
        occurred_at=datetime(2031, 4, 2, tzinfo=UTC),
    )
    early, late, new = uuid4(), uuid4(), uuid4()

    def milestone(mid: UUID, target: date, slips: tuple[Slip, ...] = ()) -> BaselineMilestone:
        return BaselineMilestone(
            initiative_id=initiative,
            id=mid,
            title="m",
            target_date=target,
            status="planned",
            slips=slips,
        )

    then = _plan(
        [_line(initiative, teams={team: 1.0})],
        milestones=[milestone(early, date(2031, 5, 20)), milestone(late, date(2031, 5, 1))],
        teams=[BaselineTeam(id=team, name="A", capacity_fte=3.0, allocated_fte=1.0)],
    )
    now = _plan(
        [_line(initiative, teams={team: 2.5})],
        [(initiative, "approved", Q)],
        milestones=[
            milestone(early, date(2031, 5, 13)),
            milestone(late, date(2031, 5, 9), (slip,)),
            milestone(new, date(2031, 6, 1)),
        ],
        teams=[BaselineTeam(id=team, name="A", capacity_fte=2.0, allocated_fte=2.5)],
    )
    found = drift("b", then, now)
    ((slipped,), (pulled_in,), (added,)) = (
        found.milestones_slipped,
        found.milestones_pulled_in,
        found.milestones_added,
    )
    assert (slipped.milestone_id, slipped.days, slipped.replans) == (late, 8, (slip,))
    assert (pulled_in.milestone_id, pulled_in.days) == (early, -7)
    assert (added.milestone_id, added.target_then) == (new, None)
    ((allocation,),) = (found.allocations_changed,)
    assert (allocation.fte_then, allocation.fte_now, allocation.change) == (1.0, 2.5, 1.5)
    ((capacity,),) = (found.capacities_changed,)
    assert (capacity.fte_then, capacity.fte_now, capacity.change) == (3.0, 2.0, -1.0)
    assert found.totals["initiatives"].change == 0.0
    assert found.totals["load_percent"].change is None
