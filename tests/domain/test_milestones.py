"""Milestones of an initiative: add, re-plan (slips kept), start, complete, miss, drop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import CanMutateAggregate
from hypothesis import given, settings
from hypothesis import strategies as st

from roadmap_svc.domain.dependency_graph import MilestoneGraph
from roadmap_svc.domain.errors import (
    DomainError,
    InitiativeClosedError,
    InvalidValueError,
    MilestoneTransitionError,
    NotFoundError,
)
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.milestones import (
    DependencyType,
    Milestone,
    MilestoneAdded,
    MilestoneCompleted,
    MilestoneDependencyAdded,
    MilestoneDependencyRemoved,
    MilestoneDropped,
    MilestoneEvent,
    MilestoneMissed,
    MilestoneOperation,
    MilestoneReplanned,
    MilestoneStarted,
    MilestoneStatus,
    allowed_operations,
)
from tests.domain.aggregate_checks import only_event, refuse, replay

TODAY = date(2026, 5, 14)
TARGET = date(2026, 9, 30)
LATER = date(2026, 11, 15)
META = EventMeta(actor="alice", reason="planning", request_id="req-7")
OTHER = EventMeta(actor="bob")

E = TypeVar("E", bound=DomainError)
Event = CanMutateAggregate[UUID]
S = MilestoneStatus
Op = MilestoneOperation

# Written out here (not taken from the module) so the test states the rules independently.
EXPECTED_ALLOWED: dict[MilestoneStatus, tuple[MilestoneOperation, ...]] = {
    S.PLANNED: (Op.REPLAN, Op.START, Op.COMPLETE, Op.MISS, Op.DROP, Op.ADD_DEPENDENCY),
    S.IN_PROGRESS: (Op.REPLAN, Op.COMPLETE, Op.MISS, Op.DROP, Op.ADD_DEPENDENCY),
    S.MISSED: (Op.REPLAN, Op.COMPLETE, Op.DROP, Op.ADD_DEPENDENCY),
    S.COMPLETED: (),
    S.DROPPED: (),
}
# Where each allowed operation leads from each status.
LEADS_TO: dict[MilestoneOperation, Callable[[MilestoneStatus], MilestoneStatus]] = {
    Op.REPLAN: lambda s: S.PLANNED if s is S.MISSED else s,
    Op.START: lambda _: S.IN_PROGRESS,
    Op.COMPLETE: lambda _: S.COMPLETED,
    Op.MISS: lambda _: S.MISSED,
    Op.DROP: lambda _: S.DROPPED,
    Op.ADD_DEPENDENCY: lambda s: s,
}


def propose() -> Initiative:
    return Initiative.propose(
        title="Faster checkout",
        problem_statement="Checkout takes 9 seconds on mobile.",
        business_case="Each second costs about 1% conversion.",
        owner="carol",
        sponsor=None,
        tags=["payments"],
        meta=META,
    )


def add(initiative: Initiative, **overrides: Any) -> UUID:
    fields: dict[str, Any] = {
        "title": "Beta in production",
        "success_criteria": "10% of traffic on the new checkout",
        "target_date": TARGET,
        "meta": META,
    }
    fields.update(overrides)
    return initiative.add_milestone(**fields).id


def upstream_elsewhere() -> tuple[UUID, Milestone]:
    """A milestone of another initiative, to depend on."""
    other = propose()
    milestone_id = add(other, title="API ready")
    return other.id, other.milestones[milestone_id]


def add_dependency(initiative: Initiative, milestone_id: UUID) -> UUID:
    upstream_initiative_id, upstream = upstream_elsewhere()
    milestone = initiative.add_dependency(
        milestone_id,
        upstream_initiative_id=upstream_initiative_id,
        upstream=upstream,
        type=DependencyType.FINISH_TO_START,
        lag_days=0,
        graph=MilestoneGraph.start(META),
        meta=META,
    )
    return milestone.dependencies[-1].id


def replan(initiative: Initiative, milestone_id: UUID) -> None:
    """Re-plan by one week: always a different, plausible date."""
    known = initiative.milestones.get(milestone_id)
    current = TARGET if known is None else known.target_date
    initiative.replan_milestone(
        milestone_id, to_date=current + timedelta(days=7), reason="scope grew", meta=META
    )


# Every milestone command with otherwise valid arguments.
OPERATIONS: dict[MilestoneOperation, Callable[[Initiative, UUID], object]] = {
    Op.REPLAN: replan,
    Op.START: lambda i, m: i.start_milestone(m, META),
    Op.COMPLETE: lambda i, m: i.complete_milestone(m, actual_date=TODAY, today=TODAY, meta=META),
    Op.MISS: lambda i, m: i.miss_milestone(m, reason="vendor late", meta=META),
    Op.DROP: lambda i, m: i.drop_milestone(m, reason="descoped", meta=META),
    Op.ADD_DEPENDENCY: add_dependency,
}
# The operations that bring a fresh milestone into each status.
PATHS: dict[MilestoneStatus, tuple[MilestoneOperation, ...]] = {
    S.PLANNED: (),
    S.IN_PROGRESS: (Op.START,),
    S.COMPLETED: (Op.START, Op.COMPLETE),
    S.MISSED: (Op.MISS,),
    S.DROPPED: (Op.DROP,),
}


def milestone_in(status: MilestoneStatus) -> tuple[Initiative, UUID]:
    """An initiative with one milestone in `status`, its pending events collected."""
    initiative = propose()
    milestone_id = add(initiative)
    for operation in PATHS[status]:
        OPERATIONS[operation](initiative, milestone_id)
    assert initiative.milestones[milestone_id].status is status
    initiative.collect_events()
    return initiative, milestone_id


# ---- add ----------------------------------------------------------------------------------


def test_add_records_a_planned_milestone_with_its_original_date() -> None:
    initiative = propose()
    initiative.collect_events()

    returned = initiative.add_milestone(
        title="  Beta in production ",
        success_criteria=" 10% of traffic ",
        target_date=TARGET,
        meta=OTHER,
    )

    milestone_id = returned.id
    added = only_event(initiative)
    assert isinstance(added, MilestoneAdded)
    assert (added.milestone_id, added.title, added.success_criteria, added.target_date) == (
        milestone_id,
        "Beta in production",
        "10% of traffic",
        TARGET,
    )
    assert added.meta == OTHER
    assert initiative.milestones == {
        milestone_id: Milestone(
            id=milestone_id,
            title="Beta in production",
            success_criteria="10% of traffic",
            target_date=TARGET,
            original_target_date=TARGET,
        )
    }
    milestone = initiative.milestone(milestone_id)
    assert returned == milestone  # add_milestone returns the new milestone
    assert milestone.status is S.PLANNED
    assert (milestone.actual_date, milestone.closing_reason) == (None, None)
    assert (milestone.slips, milestone.dependencies) == ((), ())
    assert not milestone.is_closed


def test_each_milestone_gets_its_own_id() -> None:
    initiative = propose()

    ids = {add(initiative, title=f"Step {n}") for n in range(3)}

    assert len(ids) == 3
    assert set(initiative.milestones) == ids
    assert sorted(m.title for m in initiative.milestones.values()) == ["Step 0", "Step 1", "Step 2"]


@pytest.mark.parametrize("field", ["title", "success_criteria"])
@pytest.mark.parametrize("blank", ["", "  ", "\t\n"])
def test_add_refuses_a_blank_text_naming_the_field(field: str, blank: str) -> None:
    initiative = propose()

    error = refuse(initiative, InvalidValueError, lambda: add(initiative, **{field: blank}))

    assert error.field == field
    assert initiative.milestones == {}


@pytest.mark.parametrize("target", [date(1999, 12, 31), date(1, 1, 1), date(2101, 1, 1)])
def test_add_refuses_an_implausible_date(target: date) -> None:
    initiative = propose()

    error = refuse(initiative, InvalidValueError, lambda: add(initiative, target_date=target))

    assert error.field == "target_date"
    assert "2000-01-01" in error.message
    assert "2100-12-31" in error.message


@pytest.mark.parametrize("target", [date(2000, 1, 1), date(2100, 12, 31), TODAY - timedelta(1)])
def test_add_accepts_the_edges_of_the_plausible_range_and_past_dates(target: date) -> None:
    initiative = propose()

    milestone_id = add(initiative, target_date=target)

    assert initiative.milestones[milestone_id].target_date == target


# ---- re-plan ------------------------------------------------------------------------------


def test_replan_records_the_slip_from_old_to_new_with_the_reason() -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)

    returned = initiative.replan_milestone(
        milestone_id, to_date=LATER, reason=" vendor late ", meta=OTHER
    )

    replanned = only_event(initiative)
    assert isinstance(replanned, MilestoneReplanned)
    assert (replanned.milestone_id, replanned.from_date, replanned.to_date) == (
        milestone_id,
        TARGET,
        LATER,
    )
    assert (replanned.title, replanned.target_date) == ("Beta in production", LATER)
    assert replanned.reason == "vendor late"
    assert replanned.meta == OTHER
    milestone = initiative.milestones[milestone_id]
    assert returned == milestone  # the milestone as it is after the re-plan
    assert milestone.target_date == LATER
    assert milestone.original_target_date == TARGET
    assert milestone.status is S.PLANNED
    (slip,) = milestone.slips
    assert (slip.from_date, slip.to_date, slip.reason) == (TARGET, LATER, "vendor late")
    assert slip.recorded_by == "bob"
    assert slip.recorded_at == replanned.timestamp
    # No meta.occurred_at: it was re-planned when it was recorded.
    assert slip.occurred_at == replanned.occurred_at == replanned.timestamp


def test_a_slip_imported_from_another_tool_keeps_when_it_happened() -> None:
    long_ago = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    then = long_ago + timedelta(days=40)
    imported = EventMeta(actor="importer", reason="migrated from Jira", occurred_at=long_ago)
    initiative = Initiative.propose(
        title="Faster checkout",
        problem_statement="Checkout takes 9 seconds on mobile.",
        business_case="Each second costs about 1% conversion.",
        owner="carol",
        sponsor=None,
        tags=[],
        meta=imported,
    )
    milestone_id = add(initiative, meta=imported)
    initiative.collect_events()

    milestone = initiative.replan_milestone(
        milestone_id,
        to_date=LATER,
        reason="vendor late",
        meta=EventMeta(actor="importer", occurred_at=then),
    )

    replanned = only_event(initiative)
    assert isinstance(replanned, MilestoneReplanned)
    assert replanned.occurred_at == then
    (slip,) = milestone.slips
    assert slip.occurred_at == then  # when it was re-planned ...
    assert slip.recorded_at == replanned.timestamp  # ... not when it was recorded
    assert slip.recorded_at > then
    assert slip.recorded_by == "importer"


def test_a_replan_that_occurred_before_the_previous_event_is_refused() -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)
    earlier = initiative.last_occurred_at - timedelta(seconds=1)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.replan_milestone(
            milestone_id,
            to_date=LATER,
            reason="vendor late",
            meta=EventMeta(actor="importer", occurred_at=earlier),
        ),
    )

    assert error.field == "occurred_at"
    assert initiative.milestones[milestone_id].slips == ()


def test_replan_can_move_a_date_earlier() -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)
    earlier = TARGET - timedelta(days=30)

    initiative.replan_milestone(milestone_id, to_date=earlier, reason="went well", meta=META)

    milestone = initiative.milestones[milestone_id]
    assert milestone.target_date == earlier
    assert [(s.from_date, s.to_date) for s in milestone.slips] == [(TARGET, earlier)]


def test_replanning_twice_keeps_both_slips_and_the_original_date() -> None:
    initiative = propose()
    milestone_id = add(initiative)
    final = LATER + timedelta(days=20)

    initiative.replan_milestone(milestone_id, to_date=LATER, reason="first slip", meta=META)
    initiative.replan_milestone(milestone_id, to_date=final, reason="second slip", meta=OTHER)

    milestone = initiative.milestones[milestone_id]
    assert milestone.original_target_date == TARGET
    assert milestone.target_date == final
    assert [(s.from_date, s.to_date, s.reason, s.recorded_by) for s in milestone.slips] == [
        (TARGET, LATER, "first slip", "alice"),
        (LATER, final, "second slip", "bob"),
    ]
    assert replay(initiative.collect_events()).milestones == initiative.milestones


def test_replan_to_the_same_date_is_refused() -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.replan_milestone(
            milestone_id, to_date=TARGET, reason="no change", meta=META
        ),
    )

    assert error.field == "target_date"
    assert str(TARGET) in error.message


def test_replan_back_to_the_original_date_after_a_slip_is_a_change() -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)
    initiative.replan_milestone(milestone_id, to_date=LATER, reason="slip", meta=META)

    initiative.replan_milestone(milestone_id, to_date=TARGET, reason="recovered", meta=META)

    milestone = initiative.milestones[milestone_id]
    assert milestone.target_date == milestone.original_target_date == TARGET
    assert len(milestone.slips) == 2


@pytest.mark.parametrize("blank", ["", "   "])
def test_replan_without_a_reason_is_refused(blank: str) -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.replan_milestone(milestone_id, to_date=LATER, reason=blank, meta=META),
    )

    assert error.field == "reason"


@pytest.mark.parametrize("to_date", [date(1999, 12, 31), date(2101, 1, 1)])
def test_replan_to_an_implausible_date_is_refused(to_date: date) -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.replan_milestone(
            milestone_id, to_date=to_date, reason="typo", meta=META
        ),
    )

    assert error.field == "target_date"


def test_a_missed_milestone_replanned_is_planned_again() -> None:
    initiative, milestone_id = milestone_in(S.MISSED)

    initiative.replan_milestone(milestone_id, to_date=LATER, reason="new vendor", meta=META)

    milestone = initiative.milestones[milestone_id]
    assert milestone.status is S.PLANNED
    assert milestone.target_date == LATER
    assert [s.to_date for s in milestone.slips] == [LATER]


def test_an_in_progress_milestone_replanned_stays_in_progress() -> None:
    initiative, milestone_id = milestone_in(S.IN_PROGRESS)

    initiative.replan_milestone(milestone_id, to_date=LATER, reason="more work", meta=META)

    assert initiative.milestones[milestone_id].status is S.IN_PROGRESS


# ---- start --------------------------------------------------------------------------------


def test_start_moves_a_planned_milestone_in_progress() -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)

    returned = initiative.start_milestone(milestone_id, OTHER)

    started = only_event(initiative)
    assert isinstance(started, MilestoneStarted)
    assert (started.milestone_id, started.meta) == (milestone_id, OTHER)
    assert (started.title, started.target_date) == ("Beta in production", TARGET)
    assert initiative.milestones[milestone_id].status is S.IN_PROGRESS
    assert returned == initiative.milestones[milestone_id]


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.MISSED])
def test_start_is_only_allowed_from_planned(status: MilestoneStatus) -> None:
    initiative, milestone_id = milestone_in(status)

    error = refuse(
        initiative,
        MilestoneTransitionError,
        lambda: initiative.start_milestone(milestone_id, META),
    )

    assert (error.operation, error.status) == ("start", status.value)
    assert error.allowed == tuple(op.value for op in EXPECTED_ALLOWED[status])
    assert "start" not in error.allowed
    assert f"cannot start a milestone that is {status.value}" in str(error)
    for operation in error.allowed:
        assert operation in str(error)


# ---- complete -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PLANNED, S.IN_PROGRESS, S.MISSED])
def test_complete_is_allowed_from_every_open_status(status: MilestoneStatus) -> None:
    initiative, milestone_id = milestone_in(status)
    actual = TODAY - timedelta(days=2)

    returned = initiative.complete_milestone(
        milestone_id, actual_date=actual, today=TODAY, meta=OTHER
    )

    completed = only_event(initiative)
    assert isinstance(completed, MilestoneCompleted)
    assert (completed.actual_date, completed.meta) == (actual, OTHER)
    assert (completed.milestone_id, completed.title) == (milestone_id, "Beta in production")
    assert completed.target_date == initiative.milestones[milestone_id].target_date
    milestone = initiative.milestones[milestone_id]
    assert returned == milestone
    assert milestone.status is S.COMPLETED
    assert milestone.actual_date == actual
    assert milestone.is_closed


def test_complete_accepts_today_as_the_actual_date() -> None:
    initiative, milestone_id = milestone_in(S.IN_PROGRESS)

    initiative.complete_milestone(milestone_id, actual_date=TODAY, today=TODAY, meta=META)

    assert initiative.milestones[milestone_id].actual_date == TODAY


@pytest.mark.parametrize("actual", [TODAY + timedelta(days=1), date(2030, 1, 1)])
def test_complete_refuses_an_actual_date_in_the_future(actual: date) -> None:
    initiative, milestone_id = milestone_in(S.IN_PROGRESS)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.complete_milestone(
            milestone_id, actual_date=actual, today=TODAY, meta=META
        ),
    )

    assert error.field == "actual_date"
    assert str(TODAY) in error.message


def test_complete_refuses_an_implausible_actual_date() -> None:
    initiative, milestone_id = milestone_in(S.IN_PROGRESS)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.complete_milestone(
            milestone_id, actual_date=date(1999, 12, 31), today=TODAY, meta=META
        ),
    )

    assert error.field == "actual_date"


def test_the_future_is_judged_against_the_given_today() -> None:
    initiative, milestone_id = milestone_in(S.IN_PROGRESS)
    actual = TODAY + timedelta(days=10)

    initiative.complete_milestone(
        milestone_id, actual_date=actual, today=actual + timedelta(days=1), meta=META
    )

    assert initiative.milestones[milestone_id].actual_date == actual


# ---- miss ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PLANNED, S.IN_PROGRESS])
@pytest.mark.parametrize(("reason", "kept"), [(" vendor late ", "vendor late"), (None, None)])
def test_miss_records_the_optional_reason(
    status: MilestoneStatus, reason: str | None, kept: str | None
) -> None:
    initiative, milestone_id = milestone_in(status)

    returned = initiative.miss_milestone(milestone_id, reason=reason, meta=OTHER)

    missed = only_event(initiative)
    assert isinstance(missed, MilestoneMissed)
    assert (missed.reason, missed.meta) == (kept, OTHER)
    assert (missed.milestone_id, missed.title, missed.target_date) == (
        milestone_id,
        "Beta in production",
        TARGET,
    )
    milestone = initiative.milestones[milestone_id]
    assert returned == milestone
    assert (milestone.status, milestone.closing_reason) == (S.MISSED, kept)
    assert not milestone.is_closed  # a missed milestone can still be re-planned or completed


def test_miss_refuses_a_blank_reason() -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.miss_milestone(milestone_id, reason="  ", meta=META),
    )

    assert error.field == "reason"


def test_a_missed_milestone_cannot_be_missed_again() -> None:
    initiative, milestone_id = milestone_in(S.MISSED)

    error = refuse(
        initiative,
        MilestoneTransitionError,
        lambda: initiative.miss_milestone(milestone_id, reason=None, meta=META),
    )

    assert (error.operation, error.status) == ("miss", "missed")
    assert error.allowed == ("replan", "complete", "drop", "add a dependency to")


# ---- drop ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PLANNED, S.IN_PROGRESS, S.MISSED])
def test_drop_records_the_reason(status: MilestoneStatus) -> None:
    initiative, milestone_id = milestone_in(status)

    returned = initiative.drop_milestone(milestone_id, reason=" descoped ", meta=OTHER)

    dropped = only_event(initiative)
    assert isinstance(dropped, MilestoneDropped)
    assert (dropped.reason, dropped.meta) == ("descoped", OTHER)
    assert (dropped.milestone_id, dropped.title) == (milestone_id, "Beta in production")
    assert dropped.target_date == initiative.milestones[milestone_id].target_date
    milestone = initiative.milestones[milestone_id]
    assert returned == milestone
    assert (milestone.status, milestone.closing_reason) == (S.DROPPED, "descoped")
    assert milestone.is_closed


@pytest.mark.parametrize("blank", ["", " \t "])
def test_drop_requires_a_reason(blank: str) -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.drop_milestone(milestone_id, reason=blank, meta=META),
    )

    assert error.field == "reason"


# ---- transitions --------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(MilestoneStatus))
def test_allowed_operations_per_status(status: MilestoneStatus) -> None:
    assert allowed_operations(status) == EXPECTED_ALLOWED[status]


@pytest.mark.parametrize("status", [S.COMPLETED, S.DROPPED])
@pytest.mark.parametrize("operation", list(MilestoneOperation))
def test_every_operation_on_a_closed_milestone_is_refused_naming_none(
    status: MilestoneStatus, operation: MilestoneOperation
) -> None:
    initiative, milestone_id = milestone_in(status)

    error = refuse(
        initiative,
        MilestoneTransitionError,
        lambda: OPERATIONS[operation](initiative, milestone_id),
    )

    assert (error.operation, error.status) == (operation.value, status.value)
    assert error.allowed == ()
    assert str(error) == (
        f"cannot {operation.value} a milestone that is {status.value}; "
        "allowed: none (the milestone is closed)"
    )


@pytest.mark.parametrize("operation", list(MilestoneOperation))
def test_every_operation_on_an_unknown_milestone_is_not_found(
    operation: MilestoneOperation,
) -> None:
    initiative, _ = milestone_in(S.PLANNED)
    unknown = uuid4()

    error = refuse(initiative, NotFoundError, lambda: OPERATIONS[operation](initiative, unknown))

    assert (error.kind, error.identifier) == ("milestone", unknown)


def test_milestone_lookup_of_an_unknown_id_is_not_found() -> None:
    initiative, _ = milestone_in(S.PLANNED)
    unknown = uuid4()

    with pytest.raises(NotFoundError) as caught:
        initiative.milestone(unknown)

    assert str(unknown) in str(caught.value)


def cancel(initiative: Initiative) -> None:
    initiative.decide(
        DecisionKind.CANCEL,
        rationale="no budget",
        decided_by="steering",
        alternatives_considered=(),
        meta=META,
        today=TODAY,
    )


@pytest.mark.parametrize("operation", list(MilestoneOperation))
def test_every_milestone_command_on_a_cancelled_initiative_is_refused(
    operation: MilestoneOperation,
) -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)
    cancel(initiative)

    error = refuse(
        initiative,
        InitiativeClosedError,
        lambda: OPERATIONS[operation](initiative, milestone_id),
    )

    assert error.status == "cancelled"
    assert initiative.milestones[milestone_id].status is S.PLANNED


def test_adding_or_removing_on_a_cancelled_initiative_is_refused() -> None:
    initiative, milestone_id = milestone_in(S.PLANNED)
    dependency_id = add_dependency(initiative, milestone_id)
    cancel(initiative)
    graph = MilestoneGraph.start(META)

    refuse(initiative, InitiativeClosedError, lambda: add(initiative))
    refuse(
        initiative,
        InitiativeClosedError,
        lambda: initiative.remove_dependency(milestone_id, dependency_id, graph=graph, meta=META),
    )

    assert len(initiative.milestones) == 1
    assert len(initiative.milestones[milestone_id].dependencies) == 1


def test_the_closed_initiative_check_comes_before_the_milestone_lookup() -> None:
    initiative, _ = milestone_in(S.PLANNED)
    cancel(initiative)

    refuse(initiative, InitiativeClosedError, lambda: initiative.start_milestone(uuid4(), META))


# ---- replay -------------------------------------------------------------------------------


def test_replaying_the_events_reproduces_the_same_milestones() -> None:
    initiative = propose()
    shipped = add(initiative, title="Shipped")
    slipped = add(initiative, title="Slipped", target_date=date(2026, 7, 1))
    missed = add(initiative, title="Missed then recovered")
    dropped = add(initiative, title="Dropped")
    initiative.start_milestone(shipped, META)
    initiative.replan_milestone(shipped, to_date=LATER, reason="more tests", meta=OTHER)
    initiative.complete_milestone(shipped, actual_date=TODAY, today=TODAY, meta=META)
    initiative.replan_milestone(slipped, to_date=TARGET, reason="first", meta=META)
    initiative.replan_milestone(slipped, to_date=LATER, reason="second", meta=OTHER)
    initiative.miss_milestone(missed, reason=None, meta=META)
    initiative.replan_milestone(missed, to_date=LATER, reason="retry", meta=META)
    add_dependency(initiative, slipped)
    initiative.drop_milestone(dropped, reason="descoped", meta=META)
    events = initiative.collect_events()

    replayed = replay(events)

    assert replayed.milestones == initiative.milestones
    assert replayed == initiative
    assert replayed.version == len(events) == 14
    assert [replayed.milestones[m].status for m in (shipped, slipped, missed, dropped)] == [
        S.COMPLETED,
        S.PLANNED,
        S.PLANNED,
        S.DROPPED,
    ]
    assert replayed.milestones[slipped].original_target_date == date(2026, 7, 1)
    assert len(replayed.milestones[slipped].slips) == 2
    assert len(replayed.milestones[slipped].dependencies) == 1
    for recorded in events[1:]:
        assert isinstance(recorded, MilestoneEvent)
        assert recorded.milestone_id in initiative.milestones


def test_every_milestone_event_names_the_milestone_its_title_and_its_date_after_it() -> None:
    initiative = propose()
    graph = MilestoneGraph.start(META)
    upstream_initiative_id, upstream = upstream_elsewhere()
    shipped = add(initiative, title="Shipped")
    dropped = add(initiative, title="Dropped", target_date=date(2026, 7, 1))
    initiative.start_milestone(shipped, META)
    initiative.replan_milestone(shipped, to_date=LATER, reason="more tests", meta=META)
    dependency = initiative.add_dependency(
        shipped,
        upstream_initiative_id=upstream_initiative_id,
        upstream=upstream,
        type=DependencyType.FINISH_TO_START,
        lag_days=0,
        graph=graph,
        meta=META,
    ).dependencies[-1]
    initiative.remove_dependency(shipped, dependency.id, graph=graph, meta=META)
    initiative.complete_milestone(shipped, actual_date=TODAY, today=TODAY, meta=META)
    initiative.miss_milestone(dropped, reason=None, meta=META)
    initiative.replan_milestone(dropped, to_date=TARGET, reason="retry", meta=META)
    initiative.drop_milestone(dropped, reason="descoped", meta=META)
    events = initiative.collect_events()

    kinds = [type(e) for e in events[1:]]
    assert kinds == [
        MilestoneAdded,
        MilestoneAdded,
        MilestoneStarted,
        MilestoneReplanned,
        MilestoneDependencyAdded,
        MilestoneDependencyRemoved,
        MilestoneCompleted,
        MilestoneMissed,
        MilestoneReplanned,
        MilestoneDropped,
    ]
    for count, recorded in enumerate(events[1:], start=2):
        assert isinstance(recorded, MilestoneEvent)
        after = replay(events[:count]).milestones[recorded.milestone_id]
        assert (recorded.title, recorded.target_date) == (after.title, after.target_date)
    # The re-plans carry the new date, the others the unchanged one.
    assert [e.target_date for e in events[1:] if isinstance(e, MilestoneEvent)] == [
        TARGET,
        date(2026, 7, 1),
        TARGET,
        LATER,
        LATER,
        LATER,
        LATER,
        date(2026, 7, 1),
        TARGET,
        TARGET,
    ]
    removed = events[6]
    assert isinstance(removed, MilestoneDependencyRemoved)
    assert (removed.upstream_initiative_id, removed.upstream_milestone_id) == (
        upstream_initiative_id,
        upstream.id,
    )


def test_replaying_a_prefix_gives_the_milestone_as_it_was() -> None:
    initiative = propose()
    milestone_id = add(initiative)
    initiative.replan_milestone(milestone_id, to_date=LATER, reason="slip", meta=META)
    initiative.drop_milestone(milestone_id, reason="gone", meta=META)
    events = initiative.collect_events()

    before_drop = replay(events[:3]).milestones[milestone_id]

    assert before_drop.status is S.PLANNED
    assert (before_drop.target_date, before_drop.original_target_date) == (LATER, TARGET)
    assert before_drop.closing_reason is None
    assert initiative.milestones[milestone_id].status is S.DROPPED


# ---- property: operations follow the table ------------------------------------------------


@settings(database=None, deadline=None)
@given(st.lists(st.sampled_from(list(MilestoneOperation)), max_size=12))
def test_any_sequence_of_operations_follows_the_table(
    operations: list[MilestoneOperation],
) -> None:
    initiative = propose()
    milestone_id = add(initiative)
    for operation in operations:
        status = initiative.milestones[milestone_id].status
        version = initiative.version
        if operation in EXPECTED_ALLOWED[status]:
            OPERATIONS[operation](initiative, milestone_id)
            assert initiative.milestones[milestone_id].status is LEADS_TO[operation](status)
            assert initiative.version == version + 1
        else:
            with pytest.raises(MilestoneTransitionError) as caught:
                OPERATIONS[operation](initiative, milestone_id)
            assert caught.value.allowed == tuple(op.value for op in EXPECTED_ALLOWED[status])
            assert initiative.milestones[milestone_id].status is status
            assert initiative.version == version
    assert replay(initiative.collect_events()) == initiative
