"""history_entry and decision_record: the read shapes of single events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest

from roadmap_svc.domain.decisions import DecisionTaken
from roadmap_svc.domain.events import RoadmapEvent
from roadmap_svc.domain.initiative import Initiative
from roadmap_svc.domain.lifecycle import DecisionKind, Status
from roadmap_svc.domain.meta import EventMeta
from roadmap_svc.domain.stakeholders import Stance
from roadmap_svc.projections.event_views import (
    Decision,
    decision_record,
    event_type_name,
    history_entry,
)

TODAY = date(2026, 5, 4)  # 2026-Q2
REVISIT_ON = date(2026, 9, 15)
ENVELOPE = {"originator_id", "originator_version", "originator_topic", "timestamp", "meta"}
# What history shows of a decision, whatever its kind: the one DecisionTaken event's fields.
DECISION_DATA = {
    "kind",
    "status_before",
    "status_after",
    "quarter",
    "revisit_on",
    "stakeholders_without_stance",
    "rationale",
    "decided_by",
    "alternatives_considered",
}
IMPORTED = datetime(2020, 3, 2, 9, 30, tzinfo=UTC)  # when an imported event happened


def _meta(
    actor: str = "ada", reason: str | None = None, occurred_at: datetime | None = None
) -> EventMeta:
    return EventMeta(actor=actor, reason=reason, request_id="req-7", occurred_at=occurred_at)


def _proposed(occurred_at: datetime | None = None) -> Initiative:
    return Initiative.propose(
        title="Faster checkout",
        problem_statement="Checkout takes 9 seconds on mobile.",
        business_case="Each second costs about 1% conversion.",
        owner="grace",
        sponsor=None,
        tags=["payments", "mobile"],
        meta=_meta("ada", "pitch", occurred_at),
    )


def _decide(initiative: Initiative, kind: DecisionKind, **fields: Any) -> DecisionTaken:
    decided = initiative.decide(
        kind,
        rationale=f"because {kind.value}",
        decided_by="steering group",
        alternatives_considered=["wait", "buy"],
        meta=_meta("barbara", f"{kind.value} meeting"),
        today=TODAY,
        **fields,
    )
    last = initiative.collect_events()[-1]
    assert isinstance(last, DecisionTaken)
    assert last is decided
    return last


def _json(value: object) -> Any:  # what a client sees
    return msgspec.json.decode(msgspec.json.encode(value))


def _assert_builtin(value: object) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str
            _assert_builtin(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _assert_builtin(item)
    else:
        assert value is None or type(value) in {str, int, float, bool}, repr(value)


def _only_event(initiative: Initiative) -> RoadmapEvent:
    (domain_event,) = initiative.collect_events()
    assert isinstance(domain_event, RoadmapEvent)
    return domain_event


def _decisions() -> list[DecisionTaken]:
    lived = _proposed()
    lived.add_stakeholder("Linus", None, _meta())
    lived.collect_events()
    found = [
        _decide(lived, DecisionKind.APPROVE, quarter="2026-Q3"),
        _decide(lived, DecisionKind.START),
        _decide(lived, DecisionKind.PAUSE),
        _decide(lived, DecisionKind.RESUME),
        _decide(lived, DecisionKind.COMPLETE),
    ]
    deferred = _proposed()
    found += [
        _decide(deferred, DecisionKind.DEFER, quarter="2026-Q4", revisit_on=REVISIT_ON),
        _decide(deferred, DecisionKind.REJECT),
    ]
    found.append(_decide(_proposed(), DecisionKind.CANCEL))
    return found


def test_proposed_history_entry() -> None:
    initiative = _proposed()
    proposed = _only_event(initiative)
    entry = history_entry(proposed, 17)
    assert entry.type == "InitiativeProposed" == event_type_name(proposed)
    assert entry.time == entry.recorded_at == proposed.timestamp
    assert entry.occurred_at == proposed.timestamp  # not imported: it happened when recorded
    assert entry.actor == "ada"
    assert entry.reason == "pitch"
    assert entry.request_id == "req-7"
    assert entry.version == 1
    assert entry.position == 17
    assert _json(entry.data) == {
        "title": "Faster checkout",
        "problem_statement": "Checkout takes 9 seconds on mobile.",
        "business_case": "Each second costs about 1% conversion.",
        "owner": "grace",
        "sponsor": None,
        "proposer": "ada",
        "tags": ["payments", "mobile"],
    }


def test_history_entry_data_excludes_the_envelope() -> None:
    initiative = _proposed()
    events: list[RoadmapEvent] = [_only_event(initiative)]
    initiative.revise({"title": "New"}, _meta())
    initiative.add_stakeholder("Linus", "security", _meta())
    initiative.record_stance("Linus", Stance.OBJECTS, "no threat model", _meta())
    events += _events(initiative)
    events += _decisions()
    for position, domain_event in enumerate(events, start=1):
        entry = history_entry(domain_event, position)
        assert not ENVELOPE & entry.data.keys(), entry.type
        assert entry.data.keys() == vars(domain_event).keys() - ENVELOPE, entry.type
        assert entry.version == domain_event.originator_version
        # data holds builtins only: no dates, enums or structs left for a client to guess at
        _assert_builtin(entry.data)
        assert _json(entry)["data"].keys() == entry.data.keys()


def test_history_entries_of_detail_events() -> None:
    initiative = _proposed()
    initiative.collect_events()
    initiative.revise({"owner": "barbara", "tags": ["web"]}, _meta("carol", "reorg"))
    initiative.add_stakeholder("Linus", "security", _meta("carol"))
    initiative.record_stance("Linus", Stance.HAS_CONCERNS, "threat model", _meta("linus"))
    revised, added, stance = (history_entry(e, 10 + n) for n, e in enumerate(_events(initiative)))

    assert revised.type == "InitiativeRevised"
    assert (revised.actor, revised.reason) == ("carol", "reorg")
    assert _json(revised.data) == {
        "title": None,
        "problem_statement": None,
        "business_case": None,
        "owner": "barbara",
        "sponsor": None,
        "tags": ["web"],
        "cleared": [],
    }
    assert added.type == "InitiativeStakeholderAdded"
    assert (added.actor, added.reason) == ("carol", None)
    assert _json(added.data) == {"name": "Linus", "role": "security"}
    assert stance.type == "InitiativeStanceRecorded"
    assert stance.actor == "linus"
    # The stance event carries the stakeholder's role as well now.
    assert _json(stance.data) == {
        "name": "Linus",
        "role": "security",
        "stance": "has_concerns",
        "note": "threat model",
    }
    assert [revised.version, added.version, stance.version] == [2, 3, 4]
    assert [revised.position, added.position, stance.position] == [10, 11, 12]


def _events(initiative: Initiative) -> list[RoadmapEvent]:
    events = initiative.collect_events()
    assert all(isinstance(e, RoadmapEvent) for e in events), events
    return [e for e in events if isinstance(e, RoadmapEvent)]


@pytest.mark.parametrize(
    ("kind", "type_name"),
    [
        (DecisionKind.APPROVE, "InitiativeApproved"),
        (DecisionKind.START, "InitiativeStarted"),
        (DecisionKind.PAUSE, "InitiativePaused"),
        (DecisionKind.RESUME, "InitiativeResumed"),
        (DecisionKind.COMPLETE, "InitiativeCompleted"),
        (DecisionKind.DEFER, "InitiativeDeferred"),
        (DecisionKind.REJECT, "InitiativeRejected"),
        (DecisionKind.CANCEL, "InitiativeCancelled"),
    ],
)
def test_decision_history_entry_type_and_meta(kind: DecisionKind, type_name: str) -> None:
    (decision,) = (d for d in _decisions() if d.kind is kind)
    entry = history_entry(decision, 99)
    assert entry.type == type_name == event_type_name(decision)
    assert entry.actor == "barbara"
    assert entry.reason == f"{kind.value} meeting"
    assert entry.time == entry.recorded_at == entry.occurred_at == decision.timestamp
    assert entry.request_id == "req-7"
    assert entry.data.keys() == DECISION_DATA  # the same fields for every kind
    assert entry.data["kind"] == kind.value
    assert entry.data["rationale"] == f"because {kind.value}"
    assert _json(entry.data["alternatives_considered"]) == ["wait", "buy"]


@pytest.mark.parametrize(
    "kind",
    [
        DecisionKind.START,
        DecisionKind.PAUSE,
        DecisionKind.RESUME,
        DecisionKind.COMPLETE,
        DecisionKind.REJECT,
        DecisionKind.CANCEL,
    ],
)
def test_other_decisions_history_data_names_no_quarter(kind: DecisionKind) -> None:
    (decision,) = (d for d in _decisions() if d.kind is kind)
    data = _json(history_entry(decision, 3).data)
    assert (data["quarter"], data["revisit_on"], data["stakeholders_without_stance"]) == (
        None,
        None,
        [],
    )
    assert (data["status_before"], data["status_after"]) == (
        decision.status_before.value,
        decision.status_after.value,
    )


def test_approved_and_deferred_history_data() -> None:
    decisions = {d.kind: d for d in _decisions()}
    approved = history_entry(decisions[DecisionKind.APPROVE], 1)
    assert _json(approved.data) == {
        "kind": "approve",
        "status_before": "proposed",
        "status_after": "approved",
        "quarter": "2026-Q3",
        "revisit_on": None,
        "stakeholders_without_stance": ["Linus"],
        "rationale": "because approve",
        "decided_by": "steering group",
        "alternatives_considered": ["wait", "buy"],
    }
    deferred = history_entry(decisions[DecisionKind.DEFER], 2)
    assert _json(deferred.data) == {
        "kind": "defer",
        "status_before": "proposed",
        "status_after": "proposed",
        "quarter": "2026-Q4",  # the quarter it moves to (was "to_quarter")
        "revisit_on": "2026-09-15",
        "stakeholders_without_stance": [],
        "rationale": "because defer",
        "decided_by": "steering group",
        "alternatives_considered": ["wait", "buy"],
    }


@pytest.mark.parametrize(
    ("kind", "status_before", "status_after"),
    [
        (DecisionKind.APPROVE, "proposed", "approved"),
        (DecisionKind.START, "approved", "in_progress"),
        (DecisionKind.PAUSE, "in_progress", "paused"),
        (DecisionKind.RESUME, "paused", "in_progress"),
        (DecisionKind.COMPLETE, "in_progress", "completed"),
        (DecisionKind.DEFER, "proposed", "proposed"),
        (DecisionKind.REJECT, "proposed", "rejected"),
        (DecisionKind.CANCEL, "proposed", "cancelled"),
    ],
)
def test_decision_record(kind: DecisionKind, status_before: str, status_after: str) -> None:
    (decision,) = (d for d in _decisions() if d.kind is kind)
    record = decision_record(decision, 123)
    quarter = {DecisionKind.APPROVE: "2026-Q3", DecisionKind.DEFER: "2026-Q4"}.get(kind)
    assert record == Decision(
        kind=kind,
        status_before=Status(status_before),
        status_after=Status(status_after),
        rationale=f"because {kind.value}",
        decided_by="steering group",
        alternatives_considered=("wait", "buy"),
        quarter=quarter,
        revisit_on=REVISIT_ON if kind is DecisionKind.DEFER else None,
        stakeholders_without_stance=("Linus",) if kind is DecisionKind.APPROVE else (),
        recorded_by="barbara",
        recorded_at=decision.timestamp,
        occurred_at=decision.timestamp,  # not imported: it happened when recorded
        initiative_id=decision.originator_id,
        version=decision.originator_version,
        position=123,
    )


def test_decision_record_encodes_to_json() -> None:
    (deferred,) = (d for d in _decisions() if d.kind is DecisionKind.DEFER)
    encoded = msgspec.json.decode(msgspec.json.encode(decision_record(deferred, 5)))
    assert encoded["revisit_on"] == "2026-09-15"
    assert encoded["quarter"] == "2026-Q4"
    assert encoded["initiative_id"] == str(deferred.originator_id)
    assert encoded["alternatives_considered"] == ["wait", "buy"]
    assert (encoded["status_before"], encoded["status_after"]) == ("proposed", "proposed")
    assert encoded["recorded_at"] == encoded["occurred_at"] == _json(deferred.timestamp)


# ---- imported history: when it happened is not when it was recorded -----------------------


def test_history_entry_of_an_imported_event_shows_when_it_occurred() -> None:
    proposed = _only_event(_proposed(occurred_at=IMPORTED))

    entry = history_entry(proposed, 4)

    assert entry.occurred_at == IMPORTED
    assert entry.time == entry.recorded_at == proposed.timestamp != IMPORTED
    assert (entry.actor, entry.reason, entry.request_id) == ("ada", "pitch", "req-7")
    assert "occurred_at" not in entry.data  # part of the envelope (meta), not of the data
    encoded = _json(entry)
    assert encoded["occurred_at"] == "2020-03-02T09:30:00Z"
    assert encoded["recorded_at"] == encoded["time"] == _json(proposed.timestamp)
    assert encoded["request_id"] == "req-7"


def test_decision_record_of_an_imported_decision_shows_when_it_occurred() -> None:
    initiative = _proposed(occurred_at=IMPORTED)
    initiative.collect_events()
    occurred_at = IMPORTED + timedelta(days=3)
    initiative.decide(
        DecisionKind.APPROVE,
        rationale="steering minutes",
        decided_by="steering group",
        alternatives_considered=[],
        meta=_meta("importer", occurred_at=occurred_at),
        today=occurred_at.date(),
        quarter="2020-Q3",
    )
    decision = _only_event(initiative)
    assert isinstance(decision, DecisionTaken)

    record = decision_record(decision, 8)

    assert record.occurred_at == occurred_at
    assert record.recorded_at == decision.timestamp != occurred_at
    assert record.recorded_by == "importer"
    assert history_entry(decision, 8).occurred_at == occurred_at
