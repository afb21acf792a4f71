"""Assignments of teams, success metrics and external keys on an initiative."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import CanMutateAggregate

from roadmap_svc.domain.assignments import (
    MAX_ASSIGNMENT_FTE,
    Assignment,
    AssignmentChanged,
    AssignmentReleased,
    TeamAssigned,
)
from roadmap_svc.domain.errors import (
    AssignmentExistsError,
    AssignmentReleasedError,
    ConflictError,
    DomainError,
    InitiativeClosedError,
    InvalidValueError,
    MetricExistsError,
    NotFoundError,
    NothingToChangeError,
)
from roadmap_svc.domain.external_links import ExternalKeyLinked, ExternalLink
from roadmap_svc.domain.external_refs import (
    ExternalRef,
    ExternalRefLinked,
    external_ref_id,
    normalise_key,
    normalise_system,
    normalise_url,
)
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.metrics import (
    Direction,
    Measurement,
    MeasurementRecorded,
    Metric,
    MetricDefined,
)
from tests.domain.aggregate_checks import only_event, refuse, replay

TODAY = date(2026, 5, 14)
META = EventMeta(actor="alice", reason="planning", request_id="req-5")
OTHER = EventMeta(actor="bob")
TEAM = uuid4()
OTHER_TEAM = uuid4()

E = TypeVar("E", bound=DomainError)
Event = CanMutateAggregate[UUID]


def propose(*, collect: bool = True) -> Initiative:
    initiative = Initiative.propose(
        title="Faster checkout",
        problem_statement="Checkout takes 9 seconds on mobile.",
        business_case="Each second costs about 1% conversion.",
        owner="carol",
        sponsor=None,
        tags=[],
        meta=META,
    )
    if collect:
        initiative.collect_events()
    return initiative


def cancel(initiative: Initiative) -> None:
    initiative.decide(
        DecisionKind.CANCEL,
        rationale="no budget",
        decided_by="steering",
        alternatives_considered=(),
        meta=META,
        today=TODAY,
    )


def assign(initiative: Initiative, **overrides: Any) -> Assignment:
    fields: dict[str, Any] = {
        "team_id": TEAM,
        "quarter": "2026-Q3",
        "fte": 2.5,
        "person": None,
        "role": None,
        "meta": META,
    }
    fields.update(overrides)
    return initiative.assign_team(**fields)


# ---- assign_team --------------------------------------------------------------------------


def test_assign_team_records_the_assignment() -> None:
    initiative = propose()

    returned = assign(
        initiative, quarter=" 2026-q3 ", fte=1.25, person=" Ada ", role=" tech lead ", meta=OTHER
    )

    assignment_id = returned.id
    assigned = only_event(initiative)
    assert isinstance(assigned, TeamAssigned)
    assert (assigned.assignment_id, assigned.team_id, assigned.quarter, assigned.fte) == (
        assignment_id,
        TEAM,
        "2026-Q3",
        1.25,
    )
    assert (assigned.person, assigned.role, assigned.meta) == ("Ada", "tech lead", OTHER)
    assert initiative.assignments == {
        assignment_id: Assignment(
            id=assignment_id,
            team_id=TEAM,
            quarter="2026-Q3",
            fte=1.25,
            person="Ada",
            role="tech lead",
        )
    }
    assert returned == initiative.assignment(assignment_id)  # the command answers with it
    assert initiative.assignment(assignment_id).released is False


def test_an_assignment_event_records_the_fte_before_it_as_zero() -> None:
    initiative = propose()

    assign(initiative, fte=2.5)

    assigned = only_event(initiative)
    assert isinstance(assigned, TeamAssigned)
    assert (assigned.old_fte, assigned.fte) == (0.0, 2.5)
    assert type(assigned.old_fte) is float


def test_person_and_role_are_optional() -> None:
    initiative = propose()

    assignment_id = assign(initiative).id

    assignment = initiative.assignments[assignment_id]
    assert (assignment.person, assignment.role) == (None, None)
    assigned = only_event(initiative)
    assert isinstance(assigned, TeamAssigned)
    assert (assigned.person, assigned.role) == (None, None)


@pytest.mark.parametrize("fte", [0.01, 0.5, 1, 99.99, MAX_ASSIGNMENT_FTE])
def test_fte_above_zero_up_to_one_hundred_is_accepted(fte: float) -> None:
    initiative = propose()

    assignment_id = assign(initiative, fte=fte).id

    assert initiative.assignments[assignment_id].fte == fte


@pytest.mark.parametrize(
    ("fte", "words"),
    [
        (0, "greater than 0"),
        (0.0, "greater than 0"),
        (-1, "greater than 0"),
        (100.01, "at most 100"),
        (1000, "at most 100"),
        (math.inf, "at most 100"),
        (0.001, "two decimals"),
        (2.555, "two decimals"),
    ],
)
def test_fte_outside_the_rules_is_refused(fte: float, words: str) -> None:
    initiative = propose()

    error = refuse(initiative, InvalidValueError, lambda: assign(initiative, fte=fte))

    assert error.field == "fte"
    assert words in error.message


def test_a_nan_fte_is_refused_as_an_invalid_value() -> None:
    initiative = propose()

    error = refuse(initiative, InvalidValueError, lambda: assign(initiative, fte=math.nan))

    assert error.field == "fte"


@pytest.mark.parametrize("quarter", ["2026-Q0", "2026-Q5", "Q3 2026", "next quarter", "2101-Q1"])
def test_an_invalid_quarter_is_refused(quarter: str) -> None:
    initiative = propose()

    error = refuse(initiative, InvalidValueError, lambda: assign(initiative, quarter=quarter))

    assert error.field == "quarter"


@pytest.mark.parametrize(("field", "value"), [("person", "  "), ("role", "")])
def test_a_blank_person_or_role_is_refused(field: str, value: str) -> None:
    initiative = propose()

    error = refuse(initiative, InvalidValueError, lambda: assign(initiative, **{field: value}))

    assert error.field == field


@pytest.mark.parametrize(
    ("first", "second"),
    [("Ada", "Ada"), ("Ada", " ada "), ("ADA", "ada"), (None, None)],
)
def test_the_same_team_person_and_quarter_twice_is_refused(
    first: str | None, second: str | None
) -> None:
    initiative = propose()
    assign(initiative, person=first, quarter="2026-Q3")

    error = refuse(
        initiative,
        AssignmentExistsError,
        lambda: assign(initiative, person=second, quarter="2026-q3", fte=1, role="dev"),
    )

    assert isinstance(error, ConflictError)
    assert error.kind == "assignment-exists"
    assert len(initiative.assignments) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"person": "Grace"},  # same team, other person
        {"person": None},  # same team, no named person
        {"quarter": "2026-Q4"},  # same person, other quarter
        {"team_id": OTHER_TEAM},  # same person, other team
    ],
)
def test_assignments_that_differ_in_team_person_or_quarter_are_allowed(
    overrides: dict[str, Any],
) -> None:
    initiative = propose()
    first = assign(initiative, person="Ada").id

    second = assign(initiative, **overrides).id

    assert second != first
    assert set(initiative.assignments) == {first, second}


def test_a_released_assignment_does_not_block_a_new_one() -> None:
    initiative = propose()
    first = assign(initiative, person="Ada").id
    initiative.release_assignment(first, reason="moved", meta=META)

    second = assign(initiative, person="ada").id

    assert initiative.assignments[first].released
    assert not initiative.assignments[second].released


def test_over_allocation_of_a_team_is_never_refused() -> None:
    # The team might have a capacity of 5 FTE; 100 FTE twice is still recorded (and visible).
    checkout, search = propose(), propose()

    in_checkout = assign(checkout, fte=MAX_ASSIGNMENT_FTE).id
    in_search = assign(search, fte=MAX_ASSIGNMENT_FTE).id
    also_in_checkout = assign(checkout, fte=MAX_ASSIGNMENT_FTE, person="Ada").id

    assert checkout.assignments[in_checkout].fte == 100
    assert search.assignments[in_search].fte == 100
    total = sum(
        a.fte
        for initiative in (checkout, search)
        for a in initiative.assignments.values()
        if a.team_id == TEAM and a.quarter == "2026-Q3"
    )
    assert total == 300
    assert checkout.assignments[also_in_checkout].person == "Ada"


def test_assigning_on_a_closed_initiative_is_refused() -> None:
    initiative = propose()
    cancel(initiative)

    error = refuse(initiative, InitiativeClosedError, lambda: assign(initiative))

    assert error.status == "cancelled"


def test_an_assignment_that_occurred_before_the_previous_event_is_refused() -> None:
    initiative = propose()  # proposed (so occurred) now
    imported = EventMeta(actor="importer", occurred_at=datetime(2021, 3, 1, tzinfo=UTC))

    error = refuse(initiative, InvalidValueError, lambda: assign(initiative, meta=imported))

    assert error.field == "occurred_at"
    assert initiative.assignments == {}


# ---- change_assignment --------------------------------------------------------------------


def assigned(**overrides: Any) -> tuple[Initiative, UUID]:
    initiative = propose()
    fields: dict[str, Any] = {"person": "Ada", "role": "tech lead", "fte": 2}
    fields.update(overrides)
    assignment_id = assign(initiative, **fields).id
    initiative.collect_events()
    return initiative, assignment_id


def test_change_assignment_records_the_assignment_before_and_after() -> None:
    initiative, assignment_id = assigned()

    returned = initiative.change_assignment(
        assignment_id, {"fte": 3.5, "person": "Ada", "role": " architect "}, OTHER
    )

    changed = only_event(initiative)
    assert isinstance(changed, AssignmentChanged)
    # The event carries the whole assignment after the change, unchanged fields included.
    assert (changed.assignment_id, changed.fte, changed.person, changed.role) == (
        assignment_id,
        3.5,
        "Ada",  # unchanged, still named
        "architect",
    )
    assert (changed.old_fte, changed.old_person, changed.old_role) == (2, "Ada", "tech lead")
    assert (changed.team_id, changed.quarter, changed.meta) == (TEAM, "2026-Q3", OTHER)
    assignment = initiative.assignments[assignment_id]
    assert (assignment.fte, assignment.person, assignment.role) == (3.5, "Ada", "architect")
    assert (assignment.team_id, assignment.quarter) == (TEAM, "2026-Q3")
    assert returned == assignment  # the command answers with the assignment after it


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"fte": 0.75}, (0.75, "Ada", "tech lead")),
        ({"person": "Grace"}, (2, "Grace", "tech lead")),
        ({"role": "dev"}, (2, "Ada", "dev")),
        ({"person": None}, (2, None, "tech lead")),
        ({"role": None}, (2, "Ada", None)),
        ({"person": None, "role": None, "fte": 1}, (1, None, None)),
        ({"person": "Grace", "role": None}, (2, "Grace", None)),
    ],
)
def test_change_assignment_sets_or_clears_fields(
    changes: dict[str, Any], expected: tuple[float, str | None, str | None]
) -> None:
    initiative = propose(collect=False)
    assignment_id = assign(initiative, person="Ada", role="tech lead", fte=2).id

    returned = initiative.change_assignment(assignment_id, changes, META)

    assignment = initiative.assignments[assignment_id]
    assert (assignment.fte, assignment.person, assignment.role) == expected
    assert returned == assignment
    events = initiative.collect_events()
    assert replay(events).assignments == {assignment_id: assignment}
    changed = events[-1]
    assert isinstance(changed, AssignmentChanged)
    assert (changed.fte, changed.person, changed.role) == expected
    assert (changed.old_fte, changed.old_person, changed.old_role) == (2, "Ada", "tech lead")


def test_clearing_records_no_person_and_role_after_and_the_ones_before() -> None:
    initiative, assignment_id = assigned()

    initiative.change_assignment(assignment_id, {"person": None, "role": None}, META)

    changed = only_event(initiative)
    assert isinstance(changed, AssignmentChanged)
    assert (changed.person, changed.role) == (None, None)  # cleared
    assert (changed.old_person, changed.old_role) == ("Ada", "tech lead")
    assert (changed.old_fte, changed.fte) == (2, 2)  # the FTE did not change


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"fte": 2},
        {"fte": 2.0, "person": "Ada"},
        {"person": " Ada ", "role": "tech lead"},
    ],
)
def test_a_change_that_changes_nothing_is_refused(changes: dict[str, Any]) -> None:
    initiative, assignment_id = assigned()

    refuse(
        initiative,
        NothingToChangeError,
        lambda: initiative.change_assignment(assignment_id, changes, META),
    )


def test_clearing_what_is_already_empty_changes_nothing() -> None:
    initiative, assignment_id = assigned(person=None, role=None)

    refuse(
        initiative,
        NothingToChangeError,
        lambda: initiative.change_assignment(assignment_id, {"person": None, "role": None}, META),
    )


@pytest.mark.parametrize("field", ["team_id", "quarter", "released", "id"])
def test_an_unknown_or_fixed_field_cannot_be_changed(field: str) -> None:
    initiative, assignment_id = assigned()

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.change_assignment(assignment_id, {"fte": 3, field: "x"}, META),
    )

    assert error.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"fte": 0}, "fte"), ({"fte": 100.5}, "fte"), ({"person": " "}, "person")],
)
def test_a_change_to_an_invalid_value_is_refused(changes: dict[str, Any], field: str) -> None:
    initiative, assignment_id = assigned()

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.change_assignment(assignment_id, changes, META),
    )

    assert error.field == field


def test_a_released_assignment_cannot_be_changed() -> None:
    initiative, assignment_id = assigned()
    initiative.release_assignment(assignment_id, reason="done early", meta=META)

    error = refuse(
        initiative,
        AssignmentReleasedError,
        lambda: initiative.change_assignment(assignment_id, {"fte": 1}, META),
    )

    assert error.kind == "assignment-released"


def test_changing_an_unknown_assignment_is_not_found() -> None:
    initiative, _ = assigned()
    unknown = uuid4()

    error = refuse(
        initiative,
        NotFoundError,
        lambda: initiative.change_assignment(unknown, {"fte": 1}, META),
    )

    assert (error.kind, error.identifier) == ("assignment", unknown)


@pytest.mark.parametrize("changes", [{"person": "ada"}, {"person": None}])
def test_a_change_cannot_create_a_duplicate_active_assignment(changes: dict[str, Any]) -> None:
    initiative = propose()
    assign(initiative, person="Ada")
    assign(initiative, person=None)
    grace = assign(initiative, person="Grace").id

    # Grace's assignment renamed to Ada (or to no person) duplicates an existing one.
    refuse(
        initiative,
        AssignmentExistsError,
        lambda: initiative.change_assignment(grace, changes, META),
    )


# ---- release ------------------------------------------------------------------------------


def test_release_records_the_reason() -> None:
    initiative, assignment_id = assigned()

    returned = initiative.release_assignment(assignment_id, reason=" team moved ", meta=OTHER)

    released = only_event(initiative)
    assert isinstance(released, AssignmentReleased)
    assert (released.assignment_id, released.reason, released.meta) == (
        assignment_id,
        "team moved",
        OTHER,
    )
    assignment = initiative.assignments[assignment_id]
    assert (assignment.released, assignment.release_reason) == (True, "team moved")
    assert (assignment.fte, assignment.person) == (2, "Ada")  # kept for history
    assert returned == assignment


def test_a_release_records_the_fte_freed_and_who_was_released() -> None:
    initiative, assignment_id = assigned()

    initiative.release_assignment(assignment_id, reason="moved", meta=META)

    released = only_event(initiative)
    assert isinstance(released, AssignmentReleased)
    assert (released.team_id, released.quarter) == (TEAM, "2026-Q3")
    assert (released.person, released.role) == ("Ada", "tech lead")
    assert (released.old_fte, released.fte) == (2, 0.0)
    assert type(released.fte) is float


@pytest.mark.parametrize("blank", ["", "  "])
def test_release_requires_a_reason(blank: str) -> None:
    initiative, assignment_id = assigned()

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.release_assignment(assignment_id, reason=blank, meta=META),
    )

    assert error.field == "reason"


def test_releasing_twice_is_refused() -> None:
    initiative, assignment_id = assigned()
    initiative.release_assignment(assignment_id, reason="first", meta=META)

    refuse(
        initiative,
        AssignmentReleasedError,
        lambda: initiative.release_assignment(assignment_id, reason="again", meta=META),
    )

    assert initiative.assignments[assignment_id].release_reason == "first"


def test_team_load_follows_from_the_assignment_events_alone() -> None:
    # A planning view adds up (fte - old_fte) per team and quarter, without any other state.
    initiative = propose(collect=False)
    ada = assign(initiative, person="Ada", fte=2).id
    assign(initiative, person="Grace", fte=1.5)
    later = assign(initiative, quarter="2026-Q4", fte=3).id
    other = assign(initiative, team_id=OTHER_TEAM, fte=4).id
    initiative.change_assignment(ada, {"fte": 0.5, "person": "Linus"}, META)
    initiative.change_assignment(later, {"role": "dev"}, META)
    initiative.release_assignment(other, reason="moved", meta=META)
    initiative.release_assignment(later, reason="descoped", meta=META)

    load: dict[tuple[UUID, str], float] = {}
    people: dict[UUID, str | None] = {}
    for recorded in initiative.collect_events():
        if isinstance(recorded, TeamAssigned | AssignmentChanged | AssignmentReleased):
            key = (recorded.team_id, recorded.quarter)
            load[key] = load.get(key, 0.0) + recorded.fte - recorded.old_fte
            people[recorded.assignment_id] = recorded.person

    assert load == {(TEAM, "2026-Q3"): 2.0, (TEAM, "2026-Q4"): 0.0, (OTHER_TEAM, "2026-Q3"): 0.0}
    active = [a for a in initiative.assignments.values() if not a.released]
    assert sum(load.values()) == sum(a.fte for a in active) == 2.0
    assert people == {a.id: a.person for a in initiative.assignments.values()}
    assert people[ada] == "Linus"


def test_releasing_an_unknown_assignment_is_not_found() -> None:
    initiative, _ = assigned()

    error = refuse(
        initiative,
        NotFoundError,
        lambda: initiative.release_assignment(uuid4(), reason="x", meta=META),
    )

    assert error.kind == "assignment"


def test_changing_or_releasing_on_a_closed_initiative_is_refused() -> None:
    initiative, assignment_id = assigned()
    cancel(initiative)

    refuse(
        initiative,
        InitiativeClosedError,
        lambda: initiative.change_assignment(assignment_id, {"fte": 1}, META),
    )
    refuse(
        initiative,
        InitiativeClosedError,
        lambda: initiative.release_assignment(assignment_id, reason="x", meta=META),
    )


# ---- success metrics ----------------------------------------------------------------------


def define(initiative: Initiative, **overrides: Any) -> Metric:
    fields: dict[str, Any] = {
        "name": "Checkout time",
        "unit": "s",
        "baseline": 9.0,
        "target": 3.0,
        "direction": Direction.LOWER_IS_BETTER,
        "meta": META,
    }
    fields.update(overrides)
    return initiative.define_metric(**fields)


def test_define_metric_records_it() -> None:
    initiative = propose()

    returned = define(initiative, name=" Checkout time ", unit=" s ", meta=OTHER)
    metric_id = returned.id

    defined = only_event(initiative)
    assert isinstance(defined, MetricDefined)
    assert (defined.metric_id, defined.name, defined.unit) == (metric_id, "Checkout time", "s")
    assert (defined.baseline, defined.target, defined.direction, defined.meta) == (
        9.0,
        3.0,
        Direction.LOWER_IS_BETTER,
        OTHER,
    )
    assert initiative.metrics == {
        metric_id: Metric(
            id=metric_id,
            name="Checkout time",
            unit="s",
            baseline=9.0,
            target=3.0,
            direction=Direction.LOWER_IS_BETTER,
        )
    }
    assert returned == initiative.metric(metric_id)  # the command answers with the metric


@pytest.mark.parametrize(
    ("direction", "baseline", "target"),
    [
        (Direction.HIGHER_IS_BETTER, 2.0, 3.5),
        (Direction.HIGHER_IS_BETTER, -10, 0),
        (Direction.LOWER_IS_BETTER, 9.0, 3.0),
        (Direction.LOWER_IS_BETTER, 0, -1),
    ],
)
def test_a_target_better_than_the_baseline_is_accepted(
    direction: Direction, baseline: float, target: float
) -> None:
    initiative = propose()

    metric_id = define(initiative, baseline=baseline, target=target, direction=direction).id

    metric = initiative.metrics[metric_id]
    assert (metric.baseline, metric.target, metric.direction) == (baseline, target, direction)


@pytest.mark.parametrize(
    ("direction", "baseline", "target", "word"),
    [
        (Direction.HIGHER_IS_BETTER, 2.0, 2.0, "above"),
        (Direction.HIGHER_IS_BETTER, 2.0, 1.0, "above"),
        (Direction.LOWER_IS_BETTER, 9.0, 9.0, "below"),
        (Direction.LOWER_IS_BETTER, 9.0, 12.0, "below"),
    ],
)
def test_a_target_not_better_than_the_baseline_is_refused(
    direction: Direction, baseline: float, target: float, word: str
) -> None:
    initiative = propose()

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: define(initiative, baseline=baseline, target=target, direction=direction),
    )

    assert error.field == "target"
    assert word in error.message
    assert direction.value in error.message


@pytest.mark.parametrize("duplicate", ["Checkout time", "checkout TIME", "  CHECKOUT TIME "])
def test_a_metric_name_is_defined_once_whatever_the_case(duplicate: str) -> None:
    initiative = propose()
    define(initiative)

    error = refuse(
        initiative,
        MetricExistsError,
        lambda: define(initiative, name=duplicate, unit="ms", baseline=9000, target=1000),
    )

    assert error.kind == "metric-exists"
    assert len(initiative.metrics) == 1


@pytest.mark.parametrize(("field", "blank"), [("name", " "), ("unit", "")])
def test_a_blank_metric_name_or_unit_is_refused(field: str, blank: str) -> None:
    initiative = propose()

    error = refuse(initiative, InvalidValueError, lambda: define(initiative, **{field: blank}))

    assert error.field == field


def test_record_measurement_appends_it_to_the_metric() -> None:
    initiative = propose()
    metric_id = define(initiative).id
    initiative.collect_events()

    initiative.record_measurement(
        metric_id,
        value=7.5,
        measured_on=TODAY - timedelta(days=7),
        note=" after CDN ",
        today=TODAY,
        meta=OTHER,
    )
    returned = initiative.record_measurement(
        metric_id, value=6.0, measured_on=TODAY, note=None, today=TODAY, meta=META
    )

    first, second = initiative.collect_events()
    assert isinstance(first, MeasurementRecorded)
    assert isinstance(second, MeasurementRecorded)
    assert (first.metric_id, first.value, first.note, first.meta) == (
        metric_id,
        7.5,
        "after CDN",
        OTHER,
    )
    assert (first.measured_on, second.measured_on) == (TODAY - timedelta(days=7), TODAY)
    # Each measurement keeps who recorded it and when.
    assert initiative.metrics[metric_id].measurements == (
        Measurement(
            value=7.5,
            measured_on=TODAY - timedelta(days=7),
            note="after CDN",
            recorded_by="bob",
            recorded_at=first.timestamp,
        ),
        Measurement(
            value=6.0,
            measured_on=TODAY,
            note=None,
            recorded_by="alice",
            recorded_at=second.timestamp,
        ),
    )
    assert returned == initiative.metric(metric_id)  # the command answers with the metric


def test_a_measurement_event_names_its_metric() -> None:
    initiative = propose()
    metric_id = define(initiative, baseline=9.0, target=3.0).id
    initiative.collect_events()

    initiative.record_measurement(
        metric_id, value=7.5, measured_on=TODAY, note=None, today=TODAY, meta=META
    )

    measured = only_event(initiative)
    assert isinstance(measured, MeasurementRecorded)
    assert (measured.name, measured.unit, measured.baseline, measured.target) == (
        "Checkout time",
        "s",
        9.0,
        3.0,
    )
    assert measured.direction is Direction.LOWER_IS_BETTER


def test_a_measurement_worse_than_the_baseline_is_still_recorded() -> None:
    initiative = propose()
    metric_id = define(initiative).id

    initiative.record_measurement(
        metric_id, value=15.0, measured_on=TODAY, note=None, today=TODAY, meta=META
    )

    assert initiative.metrics[metric_id].measurements[0].value == 15.0


@pytest.mark.parametrize("measured_on", [TODAY + timedelta(days=1), date(2100, 1, 1)])
def test_a_measurement_in_the_future_is_refused(measured_on: date) -> None:
    initiative = propose()
    metric_id = define(initiative).id

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.record_measurement(
            metric_id, value=5, measured_on=measured_on, note=None, today=TODAY, meta=META
        ),
    )

    assert error.field == "measured_on"
    assert str(TODAY) in error.message


def test_a_measurement_before_2000_is_refused() -> None:
    initiative = propose()
    metric_id = define(initiative).id

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.record_measurement(
            metric_id, value=5, measured_on=date(1999, 1, 1), note=None, today=TODAY, meta=META
        ),
    )

    assert error.field == "measured_on"


def test_a_blank_measurement_note_is_refused() -> None:
    initiative = propose()
    metric_id = define(initiative).id

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.record_measurement(
            metric_id, value=5, measured_on=TODAY, note="  ", today=TODAY, meta=META
        ),
    )

    assert error.field == "note"


def test_a_measurement_of_an_unknown_metric_is_not_found() -> None:
    initiative = propose()
    define(initiative)
    unknown = uuid4()

    error = refuse(
        initiative,
        NotFoundError,
        lambda: initiative.record_measurement(
            unknown, value=5, measured_on=TODAY, note=None, today=TODAY, meta=META
        ),
    )

    assert (error.kind, error.identifier) == ("metric", unknown)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_non_finite_measurement_is_refused(value: float) -> None:
    initiative = propose()
    metric_id = define(initiative).id

    refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.record_measurement(
            metric_id, value=value, measured_on=TODAY, note=None, today=TODAY, meta=META
        ),
    )


@pytest.mark.parametrize(
    ("baseline", "target", "direction"),
    [
        (0.0, math.inf, Direction.HIGHER_IS_BETTER),
        (-math.inf, 0.0, Direction.HIGHER_IS_BETTER),
        (0.0, -math.inf, Direction.LOWER_IS_BETTER),
    ],
)
def test_an_infinite_baseline_or_target_is_refused(
    baseline: float, target: float, direction: Direction
) -> None:
    initiative = propose()

    refuse(
        initiative,
        InvalidValueError,
        lambda: define(initiative, baseline=baseline, target=target, direction=direction),
    )


def test_metrics_on_a_closed_initiative_are_refused() -> None:
    initiative = propose()
    metric_id = define(initiative).id
    cancel(initiative)

    refuse(initiative, InitiativeClosedError, lambda: define(initiative, name="Other"))
    refuse(
        initiative,
        InitiativeClosedError,
        lambda: initiative.record_measurement(
            metric_id, value=5, measured_on=TODAY, note=None, today=TODAY, meta=META
        ),
    )


# ---- external keys ------------------------------------------------------------------------


def test_link_external_key_records_the_link_on_the_initiative() -> None:
    initiative = propose()
    milestone_id = initiative.add_milestone(
        title="Beta", success_criteria="10% traffic", target_date=date(2026, 9, 30), meta=META
    ).id
    initiative.collect_events()

    to_initiative = initiative.link_external_key(
        system="jira", key="PROJ-1", url=None, milestone_id=None, meta=OTHER
    )
    to_milestone = initiative.link_external_key(
        system="jira",
        key="PROJ-2",
        url="https://jira.example.com/browse/PROJ-2",
        milestone_id=milestone_id,
        meta=META,
    )

    first, second = initiative.collect_events()
    assert isinstance(first, ExternalKeyLinked)
    assert isinstance(second, ExternalKeyLinked)
    assert (first.system, first.key, first.url, first.milestone_id, first.meta) == (
        "jira",
        "PROJ-1",
        None,
        None,
        OTHER,
    )
    assert (second.url, second.milestone_id) == (
        "https://jira.example.com/browse/PROJ-2",
        milestone_id,
    )
    # The event names the milestone it links, so a view needs no state.
    assert (first.milestone_title, second.milestone_title) == (None, "Beta")
    assert initiative.external_links == (
        ExternalLink(system="jira", key="PROJ-1", url=None, milestone_id=None),
        ExternalLink(
            system="jira",
            key="PROJ-2",
            url="https://jira.example.com/browse/PROJ-2",
            milestone_id=milestone_id,
        ),
    )
    assert (to_initiative, to_milestone) == initiative.external_links  # what the commands answer


def test_link_external_key_to_an_unknown_milestone_is_not_found() -> None:
    initiative = propose()
    unknown = uuid4()

    error = refuse(
        initiative,
        NotFoundError,
        lambda: initiative.link_external_key(
            system="jira", key="PROJ-1", url=None, milestone_id=unknown, meta=META
        ),
    )

    assert (error.kind, error.identifier) == ("milestone", unknown)
    assert initiative.external_links == ()


def test_link_external_key_on_a_closed_initiative_is_refused() -> None:
    initiative = propose()
    cancel(initiative)

    refuse(
        initiative,
        InitiativeClosedError,
        lambda: initiative.link_external_key(
            system="jira", key="PROJ-1", url=None, milestone_id=None, meta=META
        ),
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("jira", "jira"), (" JIRA ", "jira"), ("GitHub", "github"), ("a.b-c_9", "a.b-c_9")],
)
def test_normalise_system_lowercases_and_trims(raw: str, clean: str) -> None:
    assert normalise_system(raw) == clean


@pytest.mark.parametrize("raw", ["", "  ", "9jira", "-jira", "ji ra", "jira!", "x" * 41])
def test_normalise_system_refuses_what_is_not_a_system_name(raw: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        normalise_system(raw)

    assert caught.value.field == "system"


def test_a_system_name_of_forty_characters_is_accepted() -> None:
    assert normalise_system("x" * 40) == "x" * 40


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("PROJ-123", "PROJ-123"), ("  PROJ-123 ", "PROJ-123"), ("#42", "#42"), ("k" * 200, "k" * 200)],
)
def test_normalise_key_trims_and_keeps_the_case(raw: str, clean: str) -> None:
    assert normalise_key(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "PROJ 123", "k" * 201])
def test_normalise_key_refuses_blank_spaced_or_long_keys(raw: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        normalise_key(raw)

    assert caught.value.field == "key"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, None),
        ("https://jira.example.com/browse/PROJ-1", "https://jira.example.com/browse/PROJ-1"),
        (" http://example.com ", "http://example.com"),
    ],
)
def test_normalise_url_accepts_http_urls_or_none(raw: str | None, clean: str | None) -> None:
    assert normalise_url(raw) == clean


@pytest.mark.parametrize(
    "raw", ["", "jira.example.com", "ftp://example.com", "https://", "https://a b", "mailto:x@y"]
)
def test_normalise_url_refuses_what_is_not_an_http_url(raw: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        normalise_url(raw)

    assert caught.value.field == "url"


def link_ref(key: str, milestone_id: UUID | None = None, **overrides: Any) -> ExternalRef:
    fields: dict[str, Any] = {
        "system": "jira",
        "key": key,
        "url": None,
        "initiative_id": uuid4(),
        "milestone_id": milestone_id,
        "meta": META,
    }
    fields.update(overrides)
    return ExternalRef.link(**fields)


def test_external_ref_id_ignores_the_case_of_the_key() -> None:
    assert external_ref_id("jira", "PROJ-123") == external_ref_id("jira", "proj-123")
    assert link_ref("Proj-123").id == external_ref_id("jira", "PROJ-123")


def test_external_ref_id_differs_by_system_and_by_key() -> None:
    jira = external_ref_id("jira", "PROJ-123")

    assert external_ref_id("github", "PROJ-123") != jira
    assert external_ref_id("jira", "PROJ-124") != jira


def test_an_external_ref_is_created_under_the_id_of_its_key() -> None:
    initiative_id, milestone_id = uuid4(), uuid4()

    ref = link_ref(
        "PROJ-7",
        milestone_id,
        url="https://jira.example.com/browse/PROJ-7",
        initiative_id=initiative_id,
    )

    assert ref.id == external_ref_id("jira", "proj-7")
    assert ref.target == f"milestone {milestone_id} of initiative {initiative_id}"
    assert (ref.system, ref.key, ref.url) == (
        "jira",
        "PROJ-7",
        "https://jira.example.com/browse/PROJ-7",
    )
    (linked,) = ref.collect_events()
    assert isinstance(linked, ExternalRefLinked)
    assert (linked.system, linked.key, linked.meta) == ("jira", "PROJ-7", META)
    assert (linked.initiative_id, linked.milestone_id) == (initiative_id, milestone_id)


def test_an_external_ref_of_the_initiative_itself_targets_the_initiative() -> None:
    initiative_id = uuid4()

    ref = link_ref("PROJ-8", initiative_id=initiative_id)

    assert ref.milestone_id is None
    assert ref.target == f"initiative {initiative_id}"


# ---- replay -------------------------------------------------------------------------------


def test_replaying_reproduces_assignments_metrics_and_links() -> None:
    initiative = propose(collect=False)
    ada = assign(initiative, person="Ada", role="tech lead").id
    team_level = assign(initiative, team_id=OTHER_TEAM, fte=4).id
    initiative.change_assignment(ada, {"fte": 1.5, "role": None}, META)
    initiative.release_assignment(team_level, reason="moved", meta=META)
    metric_id = define(initiative).id
    initiative.record_measurement(
        metric_id, value=8.0, measured_on=TODAY, note="first", today=TODAY, meta=META
    )
    initiative.link_external_key(
        system="jira", key="PROJ-1", url=None, milestone_id=None, meta=META
    )
    events = initiative.collect_events()

    replayed = replay(events)

    assert replayed == initiative
    assert replayed.version == len(events) == 8
    assert replayed.assignments[ada].fte == 1.5
    assert replayed.assignments[ada].role is None
    assert replayed.assignments[team_level].released
    assert len(replayed.metrics[metric_id].measurements) == 1
    assert [link.key for link in replayed.external_links] == ["PROJ-1"]
