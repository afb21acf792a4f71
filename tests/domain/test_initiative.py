"""The Initiative aggregate without I/O: rules, recorded events, refusals that record nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

import pytest
from eventsourcing.domain import CanMutateAggregate
from hypothesis import given, settings
from hypothesis import strategies as st

from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.details import REVISABLE_FIELDS, InitiativeProposed, InitiativeRevised
from roadmap_svc.domain.errors import (
    DomainError,
    InitiativeClosedError,
    InvalidTransitionError,
    InvalidValueError,
    NothingToChangeError,
    StakeholderExistsError,
    UnknownStakeholderError,
)
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import TRANSITIONS, DecisionKind, Status, allowed_decisions
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.quarter import Quarter
from roadmap_svc.domain.stakeholders import (
    InitiativeStakeholderAdded,
    InitiativeStanceRecorded,
    Stakeholder,
    Stance,
)
from roadmap_svc.domain.text import MAX_TAGS
from tests.domain.aggregate_checks import only_event, refuse, replay

TODAY = date(2026, 5, 14)  # in 2026-Q2
CURRENT = Quarter.containing(TODAY)
META = EventMeta(actor="alice", reason="quarterly planning", request_id="req-1")
OTHER = EventMeta(actor="bob")
K = DecisionKind

E = TypeVar("E", bound=DomainError)
Event = CanMutateAggregate[UUID]
# The event types of details, stakeholders and decisions (each carries `meta`).
META_EVENTS = (
    InitiativeProposed,
    InitiativeRevised,
    InitiativeStakeholderAdded,
    InitiativeStanceRecorded,
    DecisionTaken,
)


def propose(**overrides: Any) -> Initiative:
    fields: dict[str, Any] = {
        "title": "Faster checkout",
        "problem_statement": "Checkout takes 9 seconds on mobile.",
        "business_case": "Each second costs about 1% conversion.",
        "owner": "carol",
        "sponsor": "cfo",
        "tags": ["payments", "mobile"],
        "meta": META,
    }
    fields.update(overrides)
    return Initiative.propose(**fields)


def decide(
    initiative: Initiative,
    kind: DecisionKind,
    *,
    rationale: str = "because it is time",
    decided_by: str = "steering",
    alternatives: Sequence[str] = (),
    meta: EventMeta = META,
    today: date = TODAY,
    quarter: str | None = None,
    revisit_on: date | None = None,
) -> DecisionTaken:
    return initiative.decide(
        kind,
        rationale=rationale,
        decided_by=decided_by,
        alternatives_considered=tuple(alternatives),
        meta=meta,
        today=today,
        quarter=quarter,
        revisit_on=revisit_on,
    )


def approve(initiative: Initiative, quarter: str = "2026-Q3") -> DecisionTaken:
    return decide(initiative, K.APPROVE, quarter=quarter)


# The decisions that bring a fresh initiative into each status.
PATHS: dict[Status, tuple[DecisionKind, ...]] = {
    Status.PROPOSED: (),
    Status.APPROVED: (K.APPROVE,),
    Status.IN_PROGRESS: (K.APPROVE, K.START),
    Status.PAUSED: (K.APPROVE, K.PAUSE),
    Status.COMPLETED: (K.APPROVE, K.COMPLETE),
    Status.REJECTED: (K.REJECT,),
    Status.CANCELLED: (K.CANCEL,),
}
CLOSED = (Status.COMPLETED, Status.REJECTED, Status.CANCELLED)
# For each decision kind, a status in which it is allowed.
SOURCE = {
    K.APPROVE: Status.PROPOSED,
    K.START: Status.APPROVED,
    K.REJECT: Status.PROPOSED,
    K.DEFER: Status.APPROVED,
    K.PAUSE: Status.IN_PROGRESS,
    K.RESUME: Status.PAUSED,
    K.CANCEL: Status.PAUSED,
    K.COMPLETE: Status.IN_PROGRESS,
}
SIMPLE_KINDS = [k for k in DecisionKind if k not in {K.APPROVE, K.DEFER}]
# The type names history shows for them (the names of the event classes of old).
SIMPLE_TYPE_NAMES = {
    K.START: "InitiativeStarted",
    K.REJECT: "InitiativeRejected",
    K.PAUSE: "InitiativePaused",
    K.RESUME: "InitiativeResumed",
    K.CANCEL: "InitiativeCancelled",
    K.COMPLETE: "InitiativeCompleted",
}


def later_quarter(initiative: Initiative) -> str:
    """A quarter every deferral rule accepts: after today's quarter and after the planned one."""
    floor = CURRENT.next()
    if initiative.quarter is not None:
        floor = max(floor, Quarter.parse(initiative.quarter).next())
    return str(floor)


def valid_arguments(initiative: Initiative, kind: DecisionKind) -> dict[str, Any]:
    if kind is K.APPROVE:
        return {"quarter": str(CURRENT.next())}
    if kind is K.DEFER:
        return {"quarter": later_quarter(initiative)}
    return {}


def in_status(status: Status) -> Initiative:
    """A fresh initiative brought into `status`, its pending events already collected."""
    initiative = propose()
    for kind in PATHS[status]:
        decide(initiative, kind, **valid_arguments(initiative, kind))
    assert initiative.status is status
    initiative.collect_events()
    return initiative


# ---- propose ------------------------------------------------------------------------------


def test_propose_records_one_event_with_the_cleaned_fields_and_meta() -> None:
    initiative = propose(title="  Faster checkout ", owner=" carol ", sponsor=" cfo ")

    assert initiative.version == 1
    assert (initiative.title, initiative.owner, initiative.sponsor) == (
        "Faster checkout",
        "carol",
        "cfo",
    )
    assert initiative.status is Status.PROPOSED
    assert initiative.quarter is None
    assert initiative.revisit_on is None
    assert initiative.last_decision is None
    assert initiative.stakeholders == {}
    proposed = only_event(initiative)
    assert isinstance(proposed, InitiativeProposed)
    assert proposed.type_name == "InitiativeProposed"
    assert proposed.originator_id == initiative.id
    assert proposed.title == "Faster checkout"
    assert proposed.proposer == "alice"
    assert proposed.tags == ("payments", "mobile")
    assert proposed.meta == META


def test_the_proposer_is_the_actor_of_the_meta() -> None:
    initiative = propose(meta=EventMeta(actor="dave", reason="hackathon idea"))

    assert initiative.proposer == "dave"
    assert initiative.owner == "carol"


def test_sponsor_is_optional() -> None:
    initiative = propose(sponsor=None)

    assert initiative.sponsor is None


@pytest.mark.parametrize(
    "field", ["title", "problem_statement", "business_case", "owner", "sponsor"]
)
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_propose_refuses_a_blank_field_naming_it(field: str, blank: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        propose(**{field: blank})

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_tags_are_normalised_and_deduplicated_keeping_first_order() -> None:
    initiative = propose(tags=[" Payments ", "MOBILE", "payments", "q3.okr:growth_2-b", "mobile"])

    assert initiative.tags == ("payments", "mobile", "q3.okr:growth_2-b")


def test_tags_may_be_empty() -> None:
    assert propose(tags=[]).tags == ()


@pytest.mark.parametrize(
    "tag", ["", "  ", "-leading-dash", ".dot", "has space", "ümlaut", "#hash", "a/b", "x" * 41]
)
def test_an_invalid_tag_is_refused(tag: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        propose(tags=["payments", tag])

    assert caught.value.field == "tags"
    assert repr(tag) in caught.value.message


def test_a_tag_of_forty_characters_is_accepted() -> None:
    assert propose(tags=["x" * 40]).tags == ("x" * 40,)


def test_at_most_twenty_distinct_tags() -> None:
    twenty = [f"tag-{n}" for n in range(MAX_TAGS)]

    assert propose(tags=twenty).tags == tuple(twenty)
    with pytest.raises(InvalidValueError) as caught:
        propose(tags=[*twenty, "one-more"])
    assert caught.value.field == "tags"
    assert str(MAX_TAGS) in caught.value.message


def test_the_tag_limit_counts_tags_after_deduplication() -> None:
    twenty = [f"tag-{n}" for n in range(MAX_TAGS)]

    initiative = propose(tags=twenty + [t.upper() for t in twenty])

    assert len(initiative.tags) == MAX_TAGS


# ---- revise -------------------------------------------------------------------------------


def test_revise_records_only_the_changed_fields() -> None:
    initiative = in_status(Status.PROPOSED)

    initiative.revise(
        {
            "title": " Faster checkout ",  # same after trimming: not a change
            "owner": "erin",
            "tags": ["Payments", "web"],
            "sponsor": "cfo",  # unchanged
        },
        OTHER,
    )

    revised = only_event(initiative)
    assert isinstance(revised, InitiativeRevised)
    assert revised.type_name == "InitiativeRevised"
    assert (revised.owner, revised.tags) == ("erin", ("payments", "web"))
    assert revised.title is None
    assert revised.problem_statement is None
    assert revised.business_case is None
    assert revised.sponsor is None
    assert revised.meta == OTHER
    assert (initiative.owner, initiative.tags, initiative.title, initiative.sponsor) == (
        "erin",
        ("payments", "web"),
        "Faster checkout",
        "cfo",
    )
    assert initiative.version == 2


def test_revise_can_change_every_revisable_field() -> None:
    initiative = in_status(Status.PROPOSED)
    changes: dict[str, Any] = {
        "title": "Instant checkout",
        "problem_statement": "Still slow.",
        "business_case": "Conversion.",
        "owner": "erin",
        "sponsor": "cto",
        "tags": ["speed"],
    }
    assert set(changes) == set(REVISABLE_FIELDS)

    initiative.revise(changes, META)

    revised = only_event(initiative)
    assert isinstance(revised, InitiativeRevised)
    assert {field: getattr(initiative, field) for field in changes} == {
        **changes,
        "tags": ("speed",),
    }
    assert revised.tags == ("speed",)


def test_revise_can_clear_the_tags() -> None:
    initiative = propose()

    initiative.revise({"tags": []}, META)

    assert initiative.tags == ()
    assert replay(initiative.collect_events()).tags == ()


def test_revise_can_remove_the_sponsor() -> None:
    initiative = in_status(Status.PROPOSED)
    assert initiative.sponsor == "cfo"

    initiative.revise({"sponsor": None}, META)

    assert initiative.sponsor is None


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"title": "Faster checkout"},
        {"title": "  Faster checkout  ", "owner": "carol"},
        {"tags": ["MOBILE", "payments", "mobile"]},  # same tags, same order after normalising
        {"sponsor": "cfo"},
    ],
)
def test_a_revision_that_changes_nothing_is_refused(changes: dict[str, Any]) -> None:
    initiative = in_status(Status.PROPOSED)
    initiative.revise({"tags": ["mobile", "payments"]}, META)

    refuse(initiative, NothingToChangeError, lambda: initiative.revise(changes, META))


@pytest.mark.parametrize("field", ["status", "proposer", "quarter", "id", "version"])
def test_an_unknown_or_unrevisable_field_is_refused(field: str) -> None:
    initiative = in_status(Status.PROPOSED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.revise({"title": "New title", field: "x"}, META),
    )

    assert error.field == field


@pytest.mark.parametrize("field", ["title", "problem_statement", "business_case", "owner"])
def test_a_revision_to_a_blank_value_is_refused(field: str) -> None:
    initiative = in_status(Status.PROPOSED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.revise({"sponsor": "cto", field: "  "}, META),
    )

    assert error.field == field


def test_a_revision_with_an_invalid_tag_is_refused() -> None:
    initiative = in_status(Status.PROPOSED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.revise({"title": "New title", "tags": ["ok", "not ok"]}, META),
    )

    assert error.field == "tags"


@pytest.mark.parametrize("status", [Status.APPROVED, Status.IN_PROGRESS, Status.PAUSED])
def test_an_open_initiative_can_be_revised(status: Status) -> None:
    initiative = in_status(status)

    initiative.revise({"title": "Renamed"}, META)

    assert initiative.title == "Renamed"
    assert initiative.status is status


@pytest.mark.parametrize("status", CLOSED)
def test_a_closed_initiative_cannot_be_revised(status: Status) -> None:
    initiative = in_status(status)

    error = refuse(
        initiative, InitiativeClosedError, lambda: initiative.revise({"title": "Late"}, META)
    )

    assert error.status == status.value
    assert status.value in str(error)


# ---- stakeholders -------------------------------------------------------------------------


def test_adding_a_stakeholder_records_name_and_role() -> None:
    initiative = in_status(Status.PROPOSED)

    returned = initiative.add_stakeholder("  Ada Lovelace ", " Head of Payments ", OTHER)

    added = only_event(initiative)
    assert isinstance(added, InitiativeStakeholderAdded)
    assert added.type_name == "InitiativeStakeholderAdded"
    assert (added.name, added.role, added.meta) == ("Ada Lovelace", "Head of Payments", OTHER)
    stakeholder = initiative.stakeholders["ada lovelace"]
    assert returned == stakeholder  # the command answers with the stakeholder it added
    assert (stakeholder.name, stakeholder.role, stakeholder.stance) == (
        "Ada Lovelace",
        "Head of Payments",
        None,
    )
    assert initiative.stakeholders_without_stance == ("Ada Lovelace",)


def test_a_stakeholder_role_is_optional() -> None:
    initiative = in_status(Status.PROPOSED)

    initiative.add_stakeholder("Ada", None, META)

    assert initiative.stakeholders["ada"].role is None


@pytest.mark.parametrize("duplicate", ["Ada", "ada", " ADA ", "aDa"])
def test_a_stakeholder_is_consulted_once_whatever_the_case(duplicate: str) -> None:
    initiative = in_status(Status.PROPOSED)
    initiative.add_stakeholder("Ada", "finance", META)

    error = refuse(
        initiative,
        StakeholderExistsError,
        lambda: initiative.add_stakeholder(duplicate, None, META),
    )

    assert error.name == duplicate.strip()


@pytest.mark.parametrize(("name", "role", "field"), [("  ", None, "name"), ("Ada", " ", "role")])
def test_blank_stakeholder_values_are_refused(name: str, role: str | None, field: str) -> None:
    initiative = in_status(Status.PROPOSED)

    error = refuse(
        initiative, InvalidValueError, lambda: initiative.add_stakeholder(name, role, META)
    )

    assert error.field == field


def test_a_stance_is_recorded_for_the_stakeholder_matched_case_insensitively() -> None:
    initiative = in_status(Status.PROPOSED)
    initiative.add_stakeholder("Ada", "finance", META)
    initiative.add_stakeholder("Grace", None, META)
    initiative.collect_events()

    returned = initiative.record_stance(" ADA ", Stance.HAS_CONCERNS, " Budget is tight ", OTHER)

    recorded = only_event(initiative)
    assert isinstance(recorded, InitiativeStanceRecorded)
    assert recorded.type_name == "InitiativeStanceRecorded"
    # The stance event carries the stakeholder's role too: it replays the whole stakeholder.
    assert (recorded.name, recorded.role, recorded.stance, recorded.note, recorded.meta) == (
        "Ada",
        "finance",
        Stance.HAS_CONCERNS,
        "Budget is tight",
        OTHER,
    )
    ada = initiative.stakeholders["ada"]
    assert (ada.name, ada.role, ada.stance, ada.note) == (
        "Ada",
        "finance",
        Stance.HAS_CONCERNS,
        "Budget is tight",
    )
    assert returned == ada  # the command answers with the stakeholder as it now stands
    assert initiative.stakeholders_without_stance == ("Grace",)


def test_a_later_stance_replaces_the_earlier_one() -> None:
    initiative = in_status(Status.PROPOSED)
    initiative.add_stakeholder("Ada", None, META)
    initiative.record_stance("Ada", Stance.OBJECTS, "too risky", META)

    returned = initiative.record_stance("Ada", Stance.ENDORSES, None, META)

    assert initiative.stakeholders["ada"].stance is Stance.ENDORSES
    assert initiative.stakeholders["ada"].note is None
    assert returned == Stakeholder(name="Ada", stance=Stance.ENDORSES)


def test_a_stance_of_an_unknown_stakeholder_is_refused() -> None:
    initiative = in_status(Status.PROPOSED)
    initiative.add_stakeholder("Ada", None, META)

    error = refuse(
        initiative,
        UnknownStakeholderError,
        lambda: initiative.record_stance("Grace", Stance.ENDORSES, None, META),
    )

    assert error.name == "Grace"


def test_a_blank_stance_note_is_refused() -> None:
    initiative = in_status(Status.PROPOSED)
    initiative.add_stakeholder("Ada", None, META)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.record_stance("Ada", Stance.OBJECTS, "   ", META),
    )

    assert error.field == "note"


@pytest.mark.parametrize("status", CLOSED)
def test_stakeholders_of_a_closed_initiative_cannot_change(status: Status) -> None:
    initiative = propose()
    initiative.add_stakeholder("Ada", None, META)
    for kind in PATHS[status]:
        decide(initiative, kind, **valid_arguments(initiative, kind))

    refuse(initiative, InitiativeClosedError, lambda: initiative.add_stakeholder("Bo", None, META))
    refuse(
        initiative,
        InitiativeClosedError,
        lambda: initiative.record_stance("Ada", Stance.ENDORSES, None, META),
    )


# ---- decisions: approve -------------------------------------------------------------------


def test_approve_records_the_quarter_and_the_stakeholders_without_stance() -> None:
    initiative = in_status(Status.PROPOSED)
    initiative.add_stakeholder("Ada", None, META)
    initiative.add_stakeholder("Grace", None, META)
    initiative.add_stakeholder("Linus", None, META)
    initiative.record_stance("grace", Stance.ENDORSES, None, META)
    initiative.collect_events()

    returned = decide(
        initiative,
        K.APPROVE,
        quarter=" 2026-q4 ",
        rationale="  Worth it  ",
        decided_by=" steering ",
        alternatives=[" do nothing ", "buy a tool"],
        meta=OTHER,
    )

    approved = only_event(initiative)
    assert approved is returned  # the command answers with the decision it recorded
    assert isinstance(approved, DecisionTaken)
    assert (approved.kind, approved.type_name) == (K.APPROVE, "InitiativeApproved")
    assert (approved.status_before, approved.status_after) == (Status.PROPOSED, Status.APPROVED)
    assert approved.quarter == "2026-Q4"
    assert approved.revisit_on is None
    assert approved.stakeholders_without_stance == ("Ada", "Linus")
    assert (approved.rationale, approved.decided_by) == ("Worth it", "steering")
    assert approved.alternatives_considered == ("do nothing", "buy a tool")
    assert approved.meta == OTHER
    assert (initiative.status, initiative.quarter, initiative.last_decision) == (
        Status.APPROVED,
        "2026-Q4",
        K.APPROVE,
    )


def test_approve_without_stakeholders_records_an_empty_tuple() -> None:
    initiative = in_status(Status.PROPOSED)

    approve(initiative)

    approved = only_event(initiative)
    assert isinstance(approved, DecisionTaken)
    assert approved.kind is K.APPROVE
    assert approved.stakeholders_without_stance == ()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "quarter"),
        ({"quarter": "2026-Q5"}, "quarter"),
        ({"quarter": "next quarter"}, "quarter"),
        ({"quarter": "2101-Q1"}, "quarter"),
        ({"quarter": "2026-Q4", "revisit_on": TODAY}, "revisit_on"),
    ],
)
def test_approve_needs_a_valid_quarter_and_takes_no_revisit_date(
    arguments: dict[str, Any], field: str
) -> None:
    initiative = in_status(Status.PROPOSED)

    error = refuse(
        initiative, InvalidValueError, lambda: decide(initiative, K.APPROVE, **arguments)
    )

    assert error.field == field


# ---- decisions: defer ---------------------------------------------------------------------


def test_defer_a_proposal_to_the_next_quarter() -> None:
    initiative = in_status(Status.PROPOSED)
    revisit = TODAY + timedelta(days=60)

    returned = decide(initiative, K.DEFER, quarter="2026-q3", revisit_on=revisit, meta=OTHER)

    deferred = only_event(initiative)
    assert deferred is returned
    assert isinstance(deferred, DecisionTaken)
    assert (deferred.kind, deferred.type_name) == (K.DEFER, "InitiativeDeferred")
    assert (deferred.status_before, deferred.status_after) == (Status.PROPOSED, Status.PROPOSED)
    # `quarter` of a deferral is the quarter it moves to (the event had `to_quarter` before).
    assert (deferred.quarter, deferred.revisit_on, deferred.meta) == (
        "2026-Q3",
        revisit,
        OTHER,
    )
    assert deferred.stakeholders_without_stance == ()
    assert (initiative.status, initiative.quarter, initiative.revisit_on) == (
        Status.PROPOSED,
        "2026-Q3",
        revisit,
    )
    assert initiative.last_decision is K.DEFER


@pytest.mark.parametrize("quarter", ["2026-Q2", "2026-Q1", "2025-Q4"])
def test_defer_refuses_the_current_or_an_earlier_quarter(quarter: str) -> None:
    initiative = in_status(Status.PROPOSED)

    error = refuse(
        initiative, InvalidValueError, lambda: decide(initiative, K.DEFER, quarter=quarter)
    )

    assert error.field == "quarter"
    assert "2026-Q3 or later" in error.message


@pytest.mark.parametrize("quarter", ["2026-Q3", "2026-Q4"])
def test_defer_refuses_a_quarter_not_after_the_approved_one(quarter: str) -> None:
    initiative = in_status(Status.PROPOSED)
    approve(initiative, "2026-Q4")

    error = refuse(
        initiative, InvalidValueError, lambda: decide(initiative, K.DEFER, quarter=quarter)
    )

    assert error.field == "quarter"
    assert "2027-Q1 or later" in error.message


def test_defer_an_approved_initiative_to_after_its_quarter() -> None:
    initiative = in_status(Status.PROPOSED)
    approve(initiative, "2026-Q4")

    decide(initiative, K.DEFER, quarter="2027-Q1")

    assert (initiative.status, initiative.quarter) == (Status.PROPOSED, "2027-Q1")


def test_a_second_deferral_must_go_past_the_first() -> None:
    initiative = in_status(Status.PROPOSED)
    decide(initiative, K.DEFER, quarter="2027-Q2")

    error = refuse(
        initiative, InvalidValueError, lambda: decide(initiative, K.DEFER, quarter="2027-Q2")
    )
    decide(initiative, K.DEFER, quarter="2027-Q3")

    assert error.field == "quarter"
    assert initiative.quarter == "2027-Q3"


def test_defer_of_an_initiative_approved_for_a_past_quarter_accepts_a_later_one() -> None:
    initiative = in_status(Status.PROPOSED)
    approve(initiative, "2026-Q1")  # a quarter already behind TODAY

    decide(initiative, K.DEFER, quarter="2026-Q3")

    assert initiative.quarter == "2026-Q3"


def test_defer_of_an_initiative_approved_for_a_past_quarter_refuses_the_current_one() -> None:
    initiative = in_status(Status.PROPOSED)
    approve(initiative, "2026-Q1")  # a quarter already behind TODAY (2026-Q2)

    error = refuse(
        initiative, InvalidValueError, lambda: decide(initiative, K.DEFER, quarter="2026-Q2")
    )

    assert error.field == "quarter"


def test_defer_needs_a_quarter() -> None:
    initiative = in_status(Status.APPROVED)

    error = refuse(initiative, InvalidValueError, lambda: decide(initiative, K.DEFER))

    assert error.field == "quarter"


def test_defer_refuses_a_malformed_quarter() -> None:
    initiative = in_status(Status.APPROVED)

    error = refuse(
        initiative, InvalidValueError, lambda: decide(initiative, K.DEFER, quarter="2027Q1")
    )

    assert error.field == "quarter"


def test_defer_refuses_a_revisit_date_in_the_past() -> None:
    initiative = in_status(Status.PROPOSED)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: decide(
            initiative, K.DEFER, quarter="2027-Q1", revisit_on=TODAY - timedelta(days=1)
        ),
    )

    assert error.field == "revisit_on"


@pytest.mark.parametrize("revisit_on", [TODAY, TODAY + timedelta(days=1), None])
def test_defer_accepts_a_revisit_date_from_today_on(revisit_on: date | None) -> None:
    initiative = in_status(Status.PROPOSED)

    decide(initiative, K.DEFER, quarter="2027-Q1", revisit_on=revisit_on)

    assert initiative.revisit_on == revisit_on


def test_the_deferral_floor_follows_the_today_it_is_given() -> None:
    initiative = in_status(Status.PROPOSED)
    later_today = date(2026, 11, 2)  # in 2026-Q4

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: decide(initiative, K.DEFER, quarter="2026-Q4", today=later_today),
    )
    decide(initiative, K.DEFER, quarter="2027-Q1", today=later_today)

    assert "2027-Q1 or later" in error.message
    assert initiative.quarter == "2027-Q1"


def test_approve_after_a_deferral_clears_the_revisit_date() -> None:
    initiative = in_status(Status.PROPOSED)
    decide(initiative, K.DEFER, quarter="2027-Q1", revisit_on=date(2026, 12, 1))

    approve(initiative, "2027-Q1")

    assert (initiative.status, initiative.quarter, initiative.revisit_on) == (
        Status.APPROVED,
        "2027-Q1",
        None,
    )


# ---- decisions: the other kinds and common rules ------------------------------------------


@pytest.mark.parametrize("kind", SIMPLE_KINDS)
def test_a_decision_of_a_simple_kind_records_its_event(kind: DecisionKind) -> None:
    source = SOURCE[kind]
    initiative = in_status(source)

    returned = decide(initiative, kind, rationale="reason", alternatives=["wait"], meta=OTHER)

    recorded = only_event(initiative)
    assert recorded is returned
    assert isinstance(recorded, DecisionTaken)
    assert recorded.kind is kind
    assert recorded.type_name == SIMPLE_TYPE_NAMES[kind]
    assert (recorded.status_before, recorded.status_after) == (source, TRANSITIONS[source][kind])
    assert (recorded.rationale, recorded.decided_by, recorded.alternatives_considered) == (
        "reason",
        "steering",
        ("wait",),
    )
    assert (recorded.quarter, recorded.revisit_on, recorded.stakeholders_without_stance) == (
        None,
        None,
        (),
    )
    assert recorded.meta == OTHER
    assert initiative.status is TRANSITIONS[source][kind]
    assert initiative.last_decision is kind


@pytest.mark.parametrize("kind", SIMPLE_KINDS)
def test_a_decision_of_a_simple_kind_takes_no_quarter(kind: DecisionKind) -> None:
    initiative = in_status(SOURCE[kind])

    error = refuse(
        initiative, InvalidValueError, lambda: decide(initiative, kind, quarter="2027-Q1")
    )

    assert error.field == "quarter"


@pytest.mark.parametrize("kind", SIMPLE_KINDS)
def test_a_decision_of_a_simple_kind_takes_no_revisit_date(kind: DecisionKind) -> None:
    initiative = in_status(SOURCE[kind])

    error = refuse(
        initiative, InvalidValueError, lambda: decide(initiative, kind, revisit_on=TODAY)
    )

    assert error.field == "revisit_on"


@pytest.mark.parametrize("kind", list(DecisionKind))
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rationale": ""}, "rationale"),
        ({"rationale": "  \n "}, "rationale"),
        ({"decided_by": " "}, "decided_by"),
        ({"alternatives": ["build it", "  "]}, "alternatives_considered"),
    ],
)
def test_a_decision_refuses_blank_text(
    kind: DecisionKind, overrides: dict[str, Any], field: str
) -> None:
    initiative = in_status(SOURCE[kind])
    arguments = {**valid_arguments(initiative, kind), **overrides}

    error = refuse(initiative, InvalidValueError, lambda: decide(initiative, kind, **arguments))

    assert error.field == field


def test_an_invalid_transition_names_the_allowed_decisions_and_records_nothing() -> None:
    initiative = in_status(Status.PROPOSED)

    error = refuse(initiative, InvalidTransitionError, lambda: decide(initiative, K.START))

    assert error.allowed == ("approve", "reject", "defer", "cancel")
    assert "approve, reject, defer, cancel" in str(error)


def test_an_invalid_transition_is_reported_before_bad_input() -> None:
    initiative = in_status(Status.PAUSED)

    error = refuse(
        initiative,
        InvalidTransitionError,
        lambda: decide(initiative, K.APPROVE, rationale=" ", quarter="nonsense"),
    )

    assert error.decision == "approve"
    assert error.allowed == allowed_decisions(Status.PAUSED)


@pytest.mark.parametrize("status", CLOSED)
@pytest.mark.parametrize("kind", list(DecisionKind))
def test_a_closed_initiative_takes_no_decision(status: Status, kind: DecisionKind) -> None:
    initiative = in_status(status)

    error = refuse(
        initiative,
        InvalidTransitionError,
        lambda: decide(initiative, kind, **valid_arguments(initiative, kind)),
    )

    assert error.allowed == ()
    assert error.status == status.value


# ---- events, meta and replay --------------------------------------------------------------


def full_history() -> Initiative:
    """A history touching every event type, each command by a different actor."""
    initiative = propose(meta=EventMeta(actor="a0"))
    initiative.revise({"owner": "erin", "tags": ["speed"]}, EventMeta(actor="a1"))
    initiative.add_stakeholder("Ada", "finance", EventMeta(actor="a2"))
    initiative.add_stakeholder("Grace", None, EventMeta(actor="a3"))
    initiative.record_stance("ada", Stance.OBJECTS, "risky", EventMeta(actor="a4"))
    decide(initiative, K.DEFER, quarter="2026-Q4", revisit_on=TODAY, meta=EventMeta(actor="a5"))
    decide(initiative, K.APPROVE, quarter="2027-Q1", meta=EventMeta(actor="a6"))
    decide(initiative, K.START, meta=EventMeta(actor="a7"))
    decide(initiative, K.PAUSE, meta=EventMeta(actor="a8"))
    decide(initiative, K.RESUME, meta=EventMeta(actor="a9"))
    decide(initiative, K.COMPLETE, meta=EventMeta(actor="a10"))
    return initiative


def test_every_event_carries_the_meta_of_its_command() -> None:
    initiative = full_history()

    events = initiative.collect_events()

    assert len(events) == 11
    assert initiative.version == 11
    assert [e.originator_version for e in events] == list(range(1, 12))
    for number, recorded in enumerate(events):
        assert isinstance(recorded, META_EVENTS)
        assert isinstance(recorded, RoadmapEvent)
        assert recorded.meta.actor == f"a{number}"
    # The stable names history shows, one per event: unchanged by the one DecisionTaken class.
    assert [e.type_name for e in events if isinstance(e, RoadmapEvent)] == [
        "InitiativeProposed",
        "InitiativeRevised",
        "InitiativeStakeholderAdded",
        "InitiativeStakeholderAdded",
        "InitiativeStanceRecorded",
        "InitiativeDeferred",
        "InitiativeApproved",
        "InitiativeStarted",
        "InitiativePaused",
        "InitiativeResumed",
        "InitiativeCompleted",
    ]
    assert initiative.collect_events() == []  # collecting drains the pending events


def test_replaying_the_events_reproduces_the_same_state() -> None:
    initiative = full_history()
    events = initiative.collect_events()

    replayed = replay(events)

    assert replayed == initiative
    assert replayed.id == initiative.id
    assert replayed.version == initiative.version == len(events)
    assert replayed.status is Status.COMPLETED
    assert replayed.quarter == "2027-Q1"
    assert replayed.owner == "erin"
    assert replayed.stakeholders["ada"].stance is Stance.OBJECTS
    assert replayed.stakeholders["ada"].role == "finance"
    assert replayed.stakeholders_without_stance == ("Grace",)
    assert replayed.last_occurred_at == initiative.last_occurred_at == events[-1].timestamp


def test_replaying_a_prefix_gives_the_state_at_that_version() -> None:
    initiative = full_history()
    events = initiative.collect_events()

    deferred = replay(events[:6])

    assert deferred.version == 6
    assert deferred.last_occurred_at == events[5].timestamp
    assert (deferred.status, deferred.quarter, deferred.revisit_on) == (
        Status.PROPOSED,
        "2026-Q4",
        TODAY,
    )
    assert deferred.last_decision is K.DEFER


# ---- occurred_at: imported history arrives in the order it happened -----------------------

# Imported from another tool: long before these events are recorded, whatever the clock says.
IMPORTED = datetime(2020, 3, 2, 9, 30, tzinfo=UTC)
DAY = IMPORTED.date()  # the `today` of a decision imported from then


def at(occurred_at: datetime | None, actor: str = "importer") -> EventMeta:
    return EventMeta(actor=actor, reason="import", occurred_at=occurred_at)


def imported() -> Initiative:
    """Proposed at IMPORTED, with a stakeholder Ada added an hour later; events collected."""
    initiative = propose(meta=at(IMPORTED))
    initiative.add_stakeholder("Ada", "finance", at(IMPORTED + timedelta(hours=1)))
    initiative.collect_events()
    return initiative


# Every command that records an event after the first, fed the meta to record it with.
COMMANDS: dict[str, Callable[[Initiative, EventMeta], object]] = {
    "revise": lambda i, meta: i.revise({"title": "Imported title"}, meta),
    "add_stakeholder": lambda i, meta: i.add_stakeholder("Grace", None, meta),
    "record_stance": lambda i, meta: i.record_stance("Ada", Stance.ENDORSES, None, meta),
    "approve": lambda i, meta: decide(i, K.APPROVE, quarter="2020-Q3", meta=meta, today=DAY),
    "defer": lambda i, meta: decide(i, K.DEFER, quarter="2020-Q3", meta=meta, today=DAY),
    "cancel": lambda i, meta: decide(i, K.CANCEL, meta=meta, today=DAY),
}


def test_an_event_occurs_when_it_is_recorded_unless_its_meta_says_otherwise() -> None:
    initiative = propose(meta=at(IMPORTED))
    initiative.add_stakeholder("Ada", None, OTHER)  # OTHER names no occurred_at

    proposed, added = initiative.collect_events()

    assert isinstance(proposed, RoadmapEvent)
    assert isinstance(added, RoadmapEvent)
    assert proposed.occurred_at == IMPORTED
    assert proposed.timestamp != IMPORTED  # recorded now, whenever it happened
    assert added.meta.occurred_at is None
    assert added.occurred_at == added.timestamp


def test_last_occurred_at_tracks_the_occurred_time_of_the_latest_event() -> None:
    initiative = propose(meta=at(IMPORTED))
    assert initiative.last_occurred_at == IMPORTED  # the first event is never refused

    initiative.add_stakeholder("Ada", None, at(IMPORTED + timedelta(days=2)))
    assert initiative.last_occurred_at == IMPORTED + timedelta(days=2)

    initiative.revise({"title": "Now"}, OTHER)  # no occurred_at: it happens when recorded
    events = initiative.collect_events()
    assert initiative.last_occurred_at == events[-1].timestamp

    assert replay(events).last_occurred_at == initiative.last_occurred_at
    assert replay(events[:2]).last_occurred_at == IMPORTED + timedelta(days=2)


def test_a_fresh_initiative_has_occurred_when_it_was_proposed() -> None:
    initiative = propose()

    assert initiative.last_occurred_at == initiative.created_on


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    "before", [timedelta(microseconds=1), timedelta(hours=1), timedelta(days=400)]
)
def test_an_event_that_occurred_before_the_previous_one_is_refused(
    command: str, before: timedelta
) -> None:
    initiative = imported()
    previous = initiative.last_occurred_at
    assert previous == IMPORTED + timedelta(hours=1)

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: COMMANDS[command](initiative, at(previous - before)),
    )

    assert error.field == "occurred_at"
    assert str(previous) in error.message
    assert initiative.last_occurred_at == previous


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("after", [timedelta(0), timedelta(microseconds=1), timedelta(days=30)])
def test_an_event_that_occurred_at_or_after_the_previous_one_is_recorded(
    command: str, after: timedelta
) -> None:
    initiative = imported()
    occurred_at = initiative.last_occurred_at + after

    COMMANDS[command](initiative, at(occurred_at))

    recorded = only_event(initiative)
    assert recorded.occurred_at == recorded.meta.occurred_at == occurred_at
    assert initiative.last_occurred_at == occurred_at
    assert initiative.version == 3


def test_order_is_checked_against_the_occurred_time_not_the_recorded_time() -> None:
    initiative = imported()  # recorded now; occurred in 2020
    an_hour_later = initiative.last_occurred_at + timedelta(hours=1)
    assert an_hour_later < initiative.modified_on

    initiative.revise({"title": "Imported title"}, at(an_hour_later))

    assert initiative.last_occurred_at == an_hour_later


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_event_without_occurred_at_is_never_refused(command: str) -> None:
    # Even after an event that names a time later than the clock: the domain leaves the
    # "not in the future" rule to the unit of work, and a None occurred_at is not checked.
    initiative = propose(meta=at(datetime(2999, 1, 1, tzinfo=UTC)))
    initiative.add_stakeholder("Ada", "finance", at(datetime(2999, 1, 2, tzinfo=UTC)))
    initiative.collect_events()

    COMMANDS[command](initiative, at(None))

    recorded = only_event(initiative)
    assert recorded.meta.occurred_at is None
    assert recorded.occurred_at == recorded.timestamp
    assert initiative.last_occurred_at == recorded.timestamp


def test_after_an_event_without_occurred_at_an_import_must_not_go_before_it() -> None:
    initiative = imported()
    initiative.revise({"title": "Now"}, OTHER)
    (revised,) = initiative.collect_events()

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: initiative.add_stakeholder(
            "Grace", None, at(revised.timestamp - timedelta(microseconds=1))
        ),
    )
    initiative.add_stakeholder("Grace", None, at(revised.timestamp))

    assert error.field == "occurred_at"
    assert initiative.last_occurred_at == revised.timestamp


def test_an_imported_deferral_takes_its_rules_from_the_day_it_occurred() -> None:
    initiative = imported()  # occurred in 2020-Q1, long before the clock's quarter
    meta = at(IMPORTED + timedelta(hours=2))

    error = refuse(
        initiative,
        InvalidValueError,
        lambda: decide(initiative, K.DEFER, quarter="2020-Q1", meta=meta, today=DAY),
    )
    deferred = decide(initiative, K.DEFER, quarter="2020-Q2", revisit_on=DAY, meta=meta, today=DAY)

    assert error.field == "quarter"
    assert "2020-Q2 or later" in error.message
    assert (deferred.quarter, deferred.revisit_on) == ("2020-Q2", DAY)
    assert deferred.occurred_at == IMPORTED + timedelta(hours=2)
    assert (initiative.quarter, initiative.revisit_on) == ("2020-Q2", DAY)


def test_replaying_imported_history_reproduces_the_same_state() -> None:
    initiative = propose(meta=at(IMPORTED))
    initiative.add_stakeholder("Ada", "finance", at(IMPORTED + timedelta(hours=1)))
    initiative.record_stance("Ada", Stance.ENDORSES, "go", at(IMPORTED + timedelta(days=1)))
    decide(
        initiative,
        K.APPROVE,
        quarter="2020-Q2",
        meta=at(IMPORTED + timedelta(days=1)),
        today=DAY,
    )
    events = initiative.collect_events()

    replayed = replay(events)

    assert replayed == initiative
    assert replayed.last_occurred_at == IMPORTED + timedelta(days=1)


# ---- property: decisions follow TRANSITIONS -----------------------------------------------


@settings(database=None, deadline=None)
@given(st.lists(st.sampled_from(list(DecisionKind)), max_size=15))
def test_any_sequence_of_decisions_follows_the_transition_table(
    kinds: list[DecisionKind],
) -> None:
    initiative = propose()
    for kind in kinds:
        status, version = initiative.status, initiative.version
        pending = len(initiative.pending_events)
        arguments = valid_arguments(initiative, kind)
        if kind in TRANSITIONS[status]:
            decide(initiative, kind, **arguments)
            assert initiative.status is TRANSITIONS[status][kind]
            assert initiative.version == version + 1
            assert len(initiative.pending_events) == pending + 1
        else:
            with pytest.raises(InvalidTransitionError) as caught:
                decide(initiative, kind, **arguments)
            assert caught.value.allowed == allowed_decisions(status)
            assert (initiative.status, initiative.version) == (status, version)
            assert len(initiative.pending_events) == pending
    assert replay(initiative.collect_events()) == initiative
