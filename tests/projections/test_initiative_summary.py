"""The pure initiative-summary fold over events collected from the aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from eventsourcing.domain import Aggregate

from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import Stakeholder, Stance
from roadmap_svc.projections.initiative_summary import InitiativeSummary, fold, summarise

TODAY = date(2026, 5, 4)  # 2026-Q2
FIRST_POSITION = 100


def _meta() -> EventMeta:
    return EventMeta(actor="ada", reason="test")


def _proposed(**overrides: Any) -> Initiative:
    fields: dict[str, Any] = {
        "title": f"Initiative {uuid4().hex[:8]}",
        "problem_statement": "Checkout takes 9 seconds on mobile.",
        "business_case": "Each second costs about 1% conversion.",
        "owner": "grace",
        "sponsor": "cfo",
        "tags": ["payments"],
        "meta": _meta(),
    }
    fields.update(overrides)
    return Initiative.propose(**fields)


def _decide(initiative: Initiative, kind: DecisionKind, **fields: Any) -> None:
    initiative.decide(
        kind,
        rationale=f"because {kind.value}",
        decided_by="steering",
        alternatives_considered=(),
        meta=_meta(),
        today=TODAY,
        **fields,
    )


def _events(initiative: Initiative) -> list[Aggregate.Event]:
    return [e for e in initiative.collect_events() if isinstance(e, Aggregate.Event)]


def _positioned(
    events: list[Aggregate.Event], start: int = FIRST_POSITION
) -> list[tuple[Aggregate.Event, int]]:
    # Other aggregates' events interleave in the global log: positions have gaps.
    return [(e, start + 3 * index) for index, e in enumerate(events)]


def _assert_matches(summary: InitiativeSummary | None, initiative: Initiative) -> None:
    """The summary shows what the aggregate itself holds after the same events."""
    assert summary is not None
    assert summary.id == initiative.id
    assert summary.title == initiative.title
    assert summary.owner == initiative.owner
    assert summary.sponsor == initiative.sponsor
    assert summary.proposer == initiative.proposer
    assert summary.tags == initiative.tags
    assert summary.status == initiative.status.value
    assert summary.quarter == initiative.quarter
    last = initiative.last_decision
    assert summary.last_decision == (None if last is None else last.value)
    assert summary.stakeholders == tuple(initiative.stakeholders.values())
    assert summary.stakeholders_without_stance == initiative.stakeholders_without_stance
    assert summary.version == initiative.version
    assert summary.proposed_at == initiative.created_on
    assert summary.updated_at == initiative.modified_on


def test_proposed_starts_the_summary() -> None:
    initiative = _proposed(tags=["payments", "mobile"], sponsor=None)
    events = _events(initiative)
    summary = fold(_positioned(events))
    _assert_matches(summary, initiative)
    assert summary is not None
    assert summary.status == "proposed"
    assert summary.quarter is None
    assert summary.last_decision is None
    assert summary.stakeholders == ()
    assert summary.sponsor is None
    assert summary.proposer == "ada"
    assert summary.version == 1
    assert summary.proposed_position == summary.position == FIRST_POSITION


class _Stepper:
    """Folds an initiative's new events one at a time, checking the summary after each step."""

    def __init__(self, initiative: Initiative) -> None:
        self.initiative = initiative
        self.summary: InitiativeSummary | None = None
        self.position = FIRST_POSITION

    def step(self, expected_status: str) -> InitiativeSummary:
        for domain_event in _events(self.initiative):
            self.position += 7
            self.summary = summarise(domain_event, self.summary, self.position)
        _assert_matches(self.summary, self.initiative)
        assert self.summary is not None
        assert self.summary.status == expected_status
        assert self.summary.position == self.position
        assert self.summary.proposed_position == FIRST_POSITION + 7
        return self.summary


def test_details_follow_the_events() -> None:
    initiative = _proposed()
    stepper = _Stepper(initiative)
    stepper.step("proposed")
    initiative.revise({"title": "Renamed", "owner": "barbara", "tags": ["web"]}, _meta())
    summary = stepper.step("proposed")
    assert (summary.title, summary.owner, summary.tags) == ("Renamed", "barbara", ("web",))
    initiative.revise({"sponsor": "cto", "problem_statement": "Still slow."}, _meta())
    summary = stepper.step("proposed")
    assert (summary.sponsor, summary.version) == ("cto", 3)
    initiative.revise({"sponsor": None}, _meta())  # clears the sponsor
    summary = stepper.step("proposed")
    assert (summary.sponsor, summary.version) == (None, 4)
    initiative.revise({"sponsor": "cfo"}, _meta())
    summary = stepper.step("proposed")
    assert (summary.sponsor, summary.version) == ("cfo", 5)
    initiative.add_stakeholder("Linus", "security", _meta())
    initiative.add_stakeholder("Margaret", None, _meta())
    summary = stepper.step("proposed")
    assert summary.stakeholders_without_stance == ("Linus", "Margaret")
    initiative.record_stance("LINUS", Stance.OBJECTS, "threat model first", _meta())
    summary = stepper.step("proposed")
    assert summary.stakeholders_without_stance == ("Margaret",)
    assert summary.stakeholders[0] == Stakeholder(
        name="Linus", role="security", stance=Stance.OBJECTS, note="threat model first"
    )
    initiative.record_stance("Linus", Stance.ENDORSES, None, _meta())  # a stance can change
    summary = stepper.step("proposed")
    assert summary.stakeholders[0].stance is Stance.ENDORSES
    assert summary.stakeholders[0].note is None
    assert summary.version == 9


def test_decisions_follow_the_events() -> None:
    initiative = _proposed()
    stepper = _Stepper(initiative)
    stepper.step("proposed")
    _decide(initiative, DecisionKind.DEFER, quarter="2026-Q4", revisit_on=date(2026, 9, 1))
    summary = stepper.step("proposed")
    assert (summary.quarter, summary.last_decision) == ("2026-Q4", "defer")
    _decide(initiative, DecisionKind.APPROVE, quarter="2027-Q1")
    summary = stepper.step("approved")
    assert (summary.quarter, summary.last_decision) == ("2027-Q1", "approve")
    _decide(initiative, DecisionKind.START)
    assert stepper.step("in_progress").last_decision == "start"
    _decide(initiative, DecisionKind.PAUSE)
    assert stepper.step("paused").last_decision == "pause"
    _decide(initiative, DecisionKind.RESUME)
    summary = stepper.step("in_progress")
    assert summary.last_decision == "resume"
    assert summary.quarter == "2027-Q1"  # only approve and defer move the quarter
    _decide(initiative, DecisionKind.COMPLETE)
    summary = stepper.step("completed")
    assert (summary.last_decision, summary.version) == ("complete", 7)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ([DecisionKind.REJECT], "rejected"),
        ([DecisionKind.CANCEL], "cancelled"),
        ([DecisionKind.APPROVE, DecisionKind.CANCEL], "cancelled"),
        ([DecisionKind.APPROVE, DecisionKind.PAUSE, DecisionKind.REJECT], "rejected"),
        ([DecisionKind.APPROVE, DecisionKind.COMPLETE], "completed"),
        ([DecisionKind.APPROVE, DecisionKind.START, DecisionKind.DEFER], "proposed"),
    ],
)
def test_decision_paths_end_in_the_right_status(path: list[DecisionKind], status: str) -> None:
    initiative = _proposed()
    for kind in path:
        if kind is DecisionKind.APPROVE:
            _decide(initiative, kind, quarter="2026-Q3")
        elif kind is DecisionKind.DEFER:
            _decide(initiative, kind, quarter="2026-Q4")
        else:
            _decide(initiative, kind)
    events = _events(initiative)
    summary = fold(_positioned(events))
    _assert_matches(summary, initiative)
    assert summary is not None
    assert summary.status == status
    assert summary.last_decision == path[-1].value
    assert summary.version == len(events)
    assert summary.position == FIRST_POSITION + 3 * (len(events) - 1)


def test_fold_continues_from_a_given_summary() -> None:
    initiative = _proposed()
    initiative.add_stakeholder("Linus", None, _meta())
    _decide(initiative, DecisionKind.APPROVE, quarter="2026-Q3")
    positioned = _positioned(_events(initiative))
    halfway = fold(positioned[:2])
    assert fold(positioned[2:], halfway) == fold(positioned)


def test_fold_of_nothing_is_the_given_summary() -> None:
    assert fold([]) is None
    summary = fold(_positioned(_events(_proposed())))
    assert fold([], summary) is summary


@dataclass(frozen=True)
class _OtherEvent(Aggregate.Event):
    note: str


def test_other_events_of_the_initiative_only_move_version_and_position() -> None:
    initiative = _proposed()
    summary = fold(_positioned(_events(initiative)))
    assert summary is not None
    other = _OtherEvent(
        originator_id=initiative.id,
        originator_version=2,
        timestamp=Aggregate.Event.create_timestamp(),
        note="a milestone, say",
    )
    moved = summarise(other, summary, 999)
    assert moved is not None
    assert (moved.version, moved.position, moved.updated_at) == (2, 999, other.timestamp)
    assert (
        msgspec.structs.replace(
            moved, version=summary.version, position=summary.position, updated_at=summary.updated_at
        )
        == summary
    )


def test_events_of_the_initiative_s_other_parts_only_move_version_and_position() -> None:
    # A real RoadmapEvent with no handler of its own (milestones are not in the summary).
    initiative = _proposed()
    stepper = _Stepper(initiative)
    before = stepper.step("proposed")
    initiative.add_milestone(
        title="Beta", success_criteria="10% of traffic", target_date=date(2026, 9, 1), meta=_meta()
    )
    after = stepper.step("proposed")
    assert after.version == before.version + 1 == 2
    assert (
        msgspec.structs.replace(
            after, version=before.version, position=before.position, updated_at=before.updated_at
        )
        == before
    )


def test_events_of_other_aggregates_find_no_summary() -> None:
    other = _OtherEvent(
        originator_id=uuid4(),
        originator_version=1,
        timestamp=Aggregate.Event.create_timestamp(),
        note="a team, say",
    )
    assert summarise(other, None, 5) is None


@pytest.mark.parametrize(
    "make_change",
    [
        lambda i: i.revise({"title": "New title"}, _meta()),
        lambda i: i.add_stakeholder("Linus", None, _meta()),
        lambda i: _decide(i, DecisionKind.APPROVE, quarter="2026-Q3"),
        lambda i: _decide(i, DecisionKind.REJECT),
    ],
    ids=["revised", "stakeholder-added", "approved", "rejected"],
)
def test_an_event_before_proposed_raises(make_change: Any) -> None:
    initiative = _proposed()
    _events(initiative)  # drop Proposed
    make_change(initiative)
    (orphan,) = _events(initiative)
    with pytest.raises(ValueError, match="before Proposed"):
        summarise(orphan, None, FIRST_POSITION)
    with pytest.raises(ValueError, match="before Proposed"):
        fold([(orphan, FIRST_POSITION)])


def test_stance_before_proposed_raises() -> None:
    initiative = _proposed()
    initiative.add_stakeholder("Linus", None, _meta())
    _events(initiative)
    initiative.record_stance("Linus", Stance.ENDORSES, None, _meta())
    (orphan,) = _events(initiative)
    with pytest.raises(ValueError, match="before Proposed"):
        summarise(orphan, None, FIRST_POSITION)


def test_summary_is_a_plain_struct_that_round_trips_as_json() -> None:
    initiative = _proposed()
    initiative.add_stakeholder("Linus", "security", _meta())
    initiative.record_stance("Linus", Stance.HAS_CONCERNS, "why", _meta())
    summary = fold(_positioned(_events(initiative)))
    assert summary is not None
    decoded = msgspec.json.decode(msgspec.json.encode(summary), type=InitiativeSummary)
    assert decoded == summary
