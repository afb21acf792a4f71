"""history_entry and decision_record: the read shapes of single events."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
import pytest
from eventsourcing.domain import Aggregate

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
DECISION_DATA = {"rationale", "decided_by", "alternatives_considered"}


def _meta(actor: str = "ada", reason: str | None = None) -> EventMeta:
    return EventMeta(actor=actor, reason=reason, request_id="req-7")


def _proposed() -> Initiative:
    return Initiative.propose(
        title="Faster checkout",
        problem_statement="Checkout takes 9 seconds on mobile.",
        business_case="Each second costs about 1% conversion.",
        owner="grace",
        sponsor=None,
        tags=["payments", "mobile"],
        meta=_meta("ada", "pitch"),
    )


def _decide(initiative: Initiative, kind: DecisionKind, **fields: Any) -> Initiative.DecisionTaken:
    initiative.decide(
        kind,
        rationale=f"because {kind.value}",
        decided_by="steering group",
        alternatives_considered=["wait", "buy"],
        meta=_meta("barbara", f"{kind.value} meeting"),
        today=TODAY,
        **fields,
    )
    last = initiative.collect_events()[-1]
    assert isinstance(last, Initiative.DecisionTaken)
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


def _only_event(initiative: Initiative) -> Aggregate.Event:
    (domain_event,) = initiative.collect_events()
    assert isinstance(domain_event, Aggregate.Event)
    return domain_event


def _decisions() -> list[Initiative.DecisionTaken]:
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
    assert entry.type == "InitiativeProposed"
    assert entry.time == proposed.timestamp
    assert entry.actor == "ada"
    assert entry.reason == "pitch"
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
    events: list[Aggregate.Event] = [_only_event(initiative)]
    initiative.revise({"title": "New"}, _meta())
    initiative.add_stakeholder("Linus", "security", _meta())
    initiative.record_stance("Linus", Stance.OBJECTS, "no threat model", _meta())
    events += [e for e in initiative.collect_events() if isinstance(e, Aggregate.Event)]
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
    assert _json(stance.data) == {"name": "Linus", "stance": "has_concerns", "note": "threat model"}
    assert [revised.version, added.version, stance.version] == [2, 3, 4]
    assert [revised.position, added.position, stance.position] == [10, 11, 12]


def _events(initiative: Initiative) -> list[Aggregate.Event]:
    return [e for e in initiative.collect_events() if isinstance(e, Aggregate.Event)]


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
    assert entry.time == decision.timestamp
    assert entry.data.keys() >= DECISION_DATA
    assert entry.data["rationale"] == f"because {kind.value}"
    assert _json(entry.data["alternatives_considered"]) == ["wait", "buy"]


def test_approved_and_deferred_history_data() -> None:
    decisions = {d.kind: d for d in _decisions()}
    approved = history_entry(decisions[DecisionKind.APPROVE], 1)
    assert _json(approved.data) == {
        "quarter": "2026-Q3",
        "stakeholders_without_stance": ["Linus"],
        "rationale": "because approve",
        "decided_by": "steering group",
        "alternatives_considered": ["wait", "buy"],
    }
    deferred = history_entry(decisions[DecisionKind.DEFER], 2)
    assert _json(deferred.data) == {
        "to_quarter": "2026-Q4",
        "revisit_on": "2026-09-15",
        "rationale": "because defer",
        "decided_by": "steering group",
        "alternatives_considered": ["wait", "buy"],
    }


@pytest.mark.parametrize(
    ("kind", "status_after"),
    [
        (DecisionKind.APPROVE, "approved"),
        (DecisionKind.START, "in_progress"),
        (DecisionKind.PAUSE, "paused"),
        (DecisionKind.RESUME, "in_progress"),
        (DecisionKind.COMPLETE, "completed"),
        (DecisionKind.DEFER, "proposed"),
        (DecisionKind.REJECT, "rejected"),
        (DecisionKind.CANCEL, "cancelled"),
    ],
)
def test_decision_record(kind: DecisionKind, status_after: str) -> None:
    (decision,) = (d for d in _decisions() if d.kind is kind)
    record = decision_record(decision, 123)
    quarter = {DecisionKind.APPROVE: "2026-Q3", DecisionKind.DEFER: "2026-Q4"}.get(kind)
    assert record == Decision(
        kind=kind,
        status_after=Status(status_after),
        rationale=f"because {kind.value}",
        decided_by="steering group",
        alternatives_considered=("wait", "buy"),
        quarter=quarter,
        revisit_on=REVISIT_ON if kind is DecisionKind.DEFER else None,
        stakeholders_without_stance=("Linus",) if kind is DecisionKind.APPROVE else (),
        recorded_by="barbara",
        recorded_at=decision.timestamp,
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
